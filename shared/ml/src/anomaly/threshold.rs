//! The learned threshold and the anomaly grade.
//!
//! The threshold follows the distribution of the forest's own scores: `mean + z * std` of
//! the scores seen so far (exponentially weighted past `horizon`), never below `floor`.
//! Scores above the threshold are clipped to it before they update the statistics, so a
//! burst of anomalies does not raise the bar it is judged by. The grade rises linearly
//! from 0 at the threshold to 1 at `z` more standard deviations above it.

use serde::{Deserialize, Serialize};

use super::stats::RunningStats;
use super::AnomalyError;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ThresholdConfig {
    /// Standard deviations above the mean score.
    pub z: f64,
    /// Memory of the score statistics, in scores.
    pub horizon: f64,
    /// Scores observed before the threshold is trusted; grades are 0 until then.
    pub warmup: u64,
    /// Lowest threshold (RCF scores of ordinary points are about 1).
    pub floor: f64,
}

impl ThresholdConfig {
    pub fn validate(&self) -> Result<(), AnomalyError> {
        let finite = [self.z, self.horizon, self.floor].iter().all(|v| v.is_finite());
        if !finite || self.z < 0.0 || self.horizon < 1.0 || self.floor < 0.0 {
            return Err(AnomalyError::InvalidConfig(
                "threshold z and floor must be >= 0, horizon >= 1, all finite".into(),
            ));
        }
        Ok(())
    }
}

impl Default for ThresholdConfig {
    fn default() -> Self {
        Self { z: 3.0, horizon: 2000.0, warmup: 100, floor: 1.0 }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Threshold {
    config: ThresholdConfig,
    stats: RunningStats,
}

impl Threshold {
    pub fn new(config: ThresholdConfig) -> Self {
        let stats = RunningStats::new(config.horizon);
        Self { config, stats }
    }

    pub fn config(&self) -> &ThresholdConfig {
        &self.config
    }

    pub fn is_warm(&self) -> bool {
        self.stats.count() >= self.config.warmup
    }

    /// The current threshold (infinite during the warm-up).
    pub fn value(&self) -> f64 {
        if !self.is_warm() {
            return f64::INFINITY;
        }
        (self.stats.mean() + self.config.z * self.stats.std_dev()).max(self.config.floor)
    }

    /// How far `score` is past the threshold, in [0, 1].
    pub fn grade(&self, score: f64) -> f64 {
        let threshold = self.value();
        if score <= threshold {
            return 0.0;
        }
        let span = (self.config.z * self.stats.std_dev()).max(threshold * 0.1);
        ((score - threshold) / span).min(1.0)
    }

    /// How many standard deviations `score` lies above the mean score (0 during warm-up).
    pub fn z_score(&self, score: f64) -> f64 {
        if !self.is_warm() {
            return 0.0;
        }
        (score - self.stats.mean()) / self.stats.std_dev().max(1e-9)
    }

    /// Learns one more score.
    pub fn observe(&mut self, score: f64) {
        let clipped = if self.is_warm() { score.min(self.value()) } else { score };
        self.stats.push(clipped);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn warmed(scores: impl IntoIterator<Item = f64>) -> Threshold {
        let mut t = Threshold::new(ThresholdConfig { warmup: 10, floor: 0.0, ..ThresholdConfig::default() });
        for s in scores {
            t.observe(s);
        }
        t
    }

    #[test]
    fn threshold_is_mean_plus_z_std_after_warmup() {
        let fresh = warmed([1.0; 9]);
        assert!(!fresh.is_warm());
        assert_eq!(fresh.value(), f64::INFINITY);
        assert_eq!(fresh.grade(100.0), 0.0);
        let t = warmed((0..1000).map(|i| if i % 2 == 0 { 1.0 } else { 3.0 }));
        // mean 2, std 1, z 3 (the clip at the threshold never bites here).
        assert!((t.value() - 5.0).abs() < 1e-9, "{}", t.value());
        assert_eq!(t.grade(4.9), 0.0);
        assert!((t.grade(6.5) - 0.5).abs() < 1e-9);
        assert_eq!(t.grade(100.0), 1.0);
        assert!((t.z_score(4.0) - 2.0).abs() < 1e-9);
    }

    #[test]
    fn anomalies_do_not_raise_their_own_bar() {
        let mut t = warmed((0..1000).map(|i| if i % 2 == 0 { 1.0 } else { 3.0 }));
        let before = t.value();
        for _ in 0..20 {
            t.observe(1000.0);
        }
        assert!(t.value() < before * 1.2, "before {before} after {}", t.value());
    }

    #[test]
    fn floor_bounds_the_threshold() {
        let mut t = Threshold::new(ThresholdConfig { warmup: 1, floor: 1.5, ..ThresholdConfig::default() });
        for _ in 0..10 {
            t.observe(0.5);
        }
        assert_eq!(t.value(), 1.5);
    }
}
