//! The platform's RCF detector, run as NAB runs a detector: one fresh model per series,
//! the same configuration for every series, one score in [0, 1] per row.
//!
//! Each value goes through [`RcfDetector`] (shingled, scored before it is learned). The
//! row's NAB score is the raw forest score expressed against the detector's running score
//! statistics, `z = (score - mean) / std`, squashed to `z / (z + scale)`. Two rules then
//! keep one event from raising many alarms, since NAB rewards the first detection of an
//! event and charges every repeated one outside its window:
//! - after a row whose `z` reaches `alarm_z` (an alarm), the next `quiet_rows` rows are
//!   damped: one anomaly disturbs a whole shingle's worth of scores, and often more;
//! - an alarm whose shingle is close to a shingle of one of the last `alarm_memory` alarm
//!   events is a known, recurring event (a daily batch job, a daily auction) and is damped
//!   too. An event's shingles are the `shingle_size` before and after its alarm (so that
//!   an event recurring with its alarm a row earlier or later is still recognised); close
//!   means within `repeat_tolerance` times the shingle's distance from the stream's mean.

use std::collections::VecDeque;

use serde::{Deserialize, Serialize};

use crate::anomaly::{Detector, DetectorConfig, RcfDetector, RunningStats, Threshold, ThresholdConfig};

use super::{Series, SeriesDetector};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RcfSeriesConfig {
    pub detector: DetectorConfig,
    /// `z` at which `z / (z + scale)` is one half.
    pub scale: f64,
    /// `z` of a row that raises an alarm.
    pub alarm_z: f64,
    /// Rows after an alarm whose scores are multiplied by `quiet_factor`.
    pub quiet_rows: usize,
    pub quiet_factor: f64,
    /// Past alarms remembered to recognise recurring events (0: none).
    pub alarm_memory: usize,
    pub repeat_tolerance: f64,
}

impl Default for RcfSeriesConfig {
    fn default() -> Self {
        Self {
            // One feature needs no scaling (cuts are drawn in proportion to ranges, so a
            // uniform scale changes nothing), and without it the forest starts on row one.
            // Score statistics over (nearly) the whole series are steadier than the last 2,000.
            detector: DetectorConfig {
                standardize: None,
                threshold: ThresholdConfig { horizon: 5000.0, ..ThresholdConfig::default() },
                ..DetectorConfig::default()
            },
            scale: 5.0,
            alarm_z: 4.0,
            quiet_rows: 150,
            quiet_factor: 0.0,
            alarm_memory: 16,
            repeat_tolerance: 0.15,
        }
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
        Self::new("rcf", RcfSeriesConfig::default())
    }
}

impl SeriesDetector for RcfSeriesDetector {
    fn name(&self) -> &str {
        &self.name
    }

    fn score_series(&self, series: &Series) -> Result<Vec<f64>, String> {
        let mut detector = RcfDetector::new(self.config.detector.clone()).map_err(|e| e.to_string())?;
        let mut alarms = Alarms::new(&self.config);
        let mut out = Vec::with_capacity(series.len());
        for &value in &series.values {
            let stats: Threshold = detector.threshold().clone();
            let scored = detector.update(&[value as f32]).map_err(|e| e.to_string())?;
            let z = if scored.score > 0.0 { stats.z_score(scored.score).max(0.0) } else { 0.0 };
            let squashed = z / (z + self.config.scale);
            out.push(alarms.judge(z, squashed, value, &detector));
        }
        Ok(out)
    }
}

/// The quiet period and the memory of past alarm events.
struct Alarms<'a> {
    config: &'a RcfSeriesConfig,
    /// Shingles per event side (the forest's shingle size).
    span: usize,
    quiet_left: usize,
    /// Shingles still to record into the memory after the latest alarm.
    recording_left: usize,
    /// The latest `span` shingles.
    recent: VecDeque<Vec<f32>>,
    past: VecDeque<Vec<f32>>,
    values: RunningStats,
}

impl<'a> Alarms<'a> {
    fn new(config: &'a RcfSeriesConfig) -> Self {
        Self {
            config,
            span: config.detector.forest.shingle_size,
            quiet_left: 0,
            recording_left: 0,
            recent: VecDeque::new(),
            past: VecDeque::new(),
            values: RunningStats::new(f64::MAX),
        }
    }

    /// The row's NAB score, given its `z` and squashed score.
    fn judge(&mut self, z: f64, squashed: f64, value: f64, detector: &RcfDetector) -> f64 {
        self.values.push(value);
        let Some(shingle) = detector.forest().last_shingle() else { return squashed };
        let alarm = z >= self.config.alarm_z && self.quiet_left == 0;
        let repeat = alarm && self.is_repeat(&shingle);
        self.track(shingle, alarm);
        if self.quiet_left > 0 {
            self.quiet_left -= 1;
            return squashed * self.config.quiet_factor;
        }
        if repeat {
            return squashed * self.config.quiet_factor;
        }
        if alarm {
            self.quiet_left = self.config.quiet_rows;
        }
        squashed
    }

    /// Keeps the latest shingles, and moves them into the memory around an alarm.
    fn track(&mut self, shingle: Vec<f32>, alarm: bool) {
        if alarm {
            let before: Vec<Vec<f32>> = self.recent.drain(..).collect();
            for s in before {
                self.remember(s);
            }
            self.recording_left = self.span + 1;
        }
        if self.recording_left > 0 {
            self.recording_left -= 1;
            self.remember(shingle.clone());
        }
        if self.recent.len() == self.span {
            self.recent.pop_front();
        }
        self.recent.push_back(shingle);
    }

    fn is_repeat(&self, shingle: &[f32]) -> bool {
        let mean = self.values.mean() as f32;
        let spread = distance(shingle, shingle.iter().map(|_| mean));
        spread > 0.0
            && self.past.iter().any(|p| distance(shingle, p.iter().copied()) <= self.config.repeat_tolerance * spread)
    }

    fn remember(&mut self, shingle: Vec<f32>) {
        let capacity = self.config.alarm_memory * (2 * self.span + 1);
        if capacity == 0 {
            return;
        }
        if self.past.len() == capacity {
            self.past.pop_front();
        }
        self.past.push_back(shingle);
    }
}

fn distance(a: &[f32], b: impl Iterator<Item = f32>) -> f64 {
    a.iter().zip(b).map(|(x, y)| f64::from(x - y).powi(2)).sum::<f64>().sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::anomaly::ForestConfig;

    /// A noisy level (noise of 1) with a spike of 12 every 97 rows and, at row 1500, a
    /// unique level shift.
    fn series() -> Series {
        let mut state = 7u64;
        let values = (0..2000)
            .map(|i| {
                state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
                let noise = (state >> 40) as f64 / (1u64 << 24) as f64;
                let spike = if i % 97 == 50 { 12.0 } else { 0.0 };
                let shift = if (1500..1520).contains(&i) { 40.0 } else { 0.0 };
                10.0 + noise + spike + shift
            })
            .collect();
        let start = chrono::NaiveDate::from_ymd_opt(2020, 1, 1).unwrap().and_hms_opt(0, 0, 0).unwrap();
        let timestamps = (0..2000).map(|i| start + chrono::Duration::minutes(5 * i)).collect();
        Series { name: "test/spikes.csv".into(), timestamps, values }
    }

    fn config(alarm_memory: usize) -> RcfSeriesConfig {
        let mut config = RcfSeriesConfig { alarm_memory, ..RcfSeriesConfig::default() };
        config.detector.forest = ForestConfig { num_trees: 30, sample_size: 128, ..config.detector.forest };
        config
    }

    /// Rows from 600 on whose score reaches the alarm level.
    fn alarms(config: RcfSeriesConfig) -> Vec<usize> {
        let level = config.alarm_z / (config.alarm_z + config.scale);
        let scores = RcfSeriesDetector::new("test", config).score_series(&series()).unwrap();
        assert!(scores.iter().all(|s| (0.0..1.0).contains(s)));
        (600..scores.len()).filter(|&i| scores[i] >= level).collect()
    }

    #[test]
    fn recurring_spikes_stop_alarming_but_a_new_event_still_does() {
        let remembered = alarms(config(16));
        let forgetful = alarms(config(0));
        let spikes = |rows: &[usize]| rows.iter().filter(|&&i| i % 97 >= 50 && i % 97 < 60 && i < 1500).count();
        assert!(spikes(&remembered) <= 2, "{remembered:?}");
        assert!(spikes(&forgetful) >= 5, "{forgetful:?}");
        assert!(remembered.iter().any(|i| (1500..1510).contains(i)), "{remembered:?}");
    }

    #[test]
    fn alarms_are_followed_by_a_quiet_period() {
        let config = config(0);
        let quiet = config.quiet_rows;
        let rows = alarms(config);
        assert!(!rows.is_empty());
        assert!(rows.windows(2).all(|w| w[1] - w[0] > quiet), "{rows:?}");
    }
}
