//! The platform's RCF detector, run as NAB runs a detector: one fresh model per series,
//! the same configuration for every series, one score in [0, 1] per row.
//!
//! Each value goes through [`RcfDetector`] (standardized, shingled, scored before it is
//! learned). The row's NAB score is the raw forest score expressed against the detector's
//! running score statistics, `z = (score - mean) / std`, squashed to `z / (z + scale)`.
//! After a row whose `z` reaches `alarm_z`, later rows are damped for `quiet_rows` rows:
//! one anomaly usually disturbs a whole shingle's worth of scores, and NAB rewards the
//! first detection of an event while charging every repeated one outside its window.

use serde::{Deserialize, Serialize};

use crate::anomaly::{Detector, DetectorConfig, RcfDetector};

use super::{Series, SeriesDetector};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RcfSeriesConfig {
    pub detector: DetectorConfig,
    /// `z` at which `z / (z + scale)` is one half.
    pub scale: f64,
    /// `z` of a row that starts a quiet period.
    pub alarm_z: f64,
    /// Rows after an alarm whose scores are multiplied by `quiet_factor`.
    pub quiet_rows: usize,
    pub quiet_factor: f64,
}

impl Default for RcfSeriesConfig {
    fn default() -> Self {
        Self { detector: DetectorConfig::default(), scale: 5.0, alarm_z: 4.0, quiet_rows: 200, quiet_factor: 0.0 }
    }
}

pub struct RcfSeriesDetector {
    name: String,
    config: RcfSeriesConfig,
}

impl RcfSeriesDetector {
    pub fn new(name: &str, config: RcfSeriesConfig) -> Self {
        Self { name: name.to_string(), config }
    }

    pub fn config(&self) -> &RcfSeriesConfig {
        &self.config
    }
}

impl Default for RcfSeriesDetector {
    fn default() -> Self {
        Self::new("ballastRcf", RcfSeriesConfig::default())
    }
}

impl SeriesDetector for RcfSeriesDetector {
    fn name(&self) -> &str {
        &self.name
    }

    fn score_series(&self, series: &Series) -> Result<Vec<f64>, String> {
        let config = &self.config;
        let mut detector = RcfDetector::new(config.detector.clone()).map_err(|e| e.to_string())?;
        let mut quiet_left = 0usize;
        let mut out = Vec::with_capacity(series.len());
        for &value in &series.values {
            let stats = detector.threshold().clone();
            let scored = detector.update(&[value as f32]).map_err(|e| e.to_string())?;
            let z = if scored.score > 0.0 { stats.z_score(scored.score).max(0.0) } else { 0.0 };
            let mut score = z / (z + config.scale);
            if quiet_left > 0 {
                quiet_left -= 1;
                score *= config.quiet_factor;
            } else if z >= config.alarm_z {
                quiet_left = config.quiet_rows;
            }
            out.push(score);
        }
        Ok(out)
    }
}
