//! Running mean and variance with a bounded memory.

use serde::{Deserialize, Serialize};

/// Mean and variance of a stream, exact over the first `horizon` values and exponentially
/// weighted (weight `1 / horizon` for the newest value) after that.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunningStats {
    horizon: f64,
    count: u64,
    mean: f64,
    variance: f64,
}

impl RunningStats {
    pub fn new(horizon: f64) -> Self {
        Self { horizon: horizon.max(1.0), count: 0, mean: 0.0, variance: 0.0 }
    }

    pub fn push(&mut self, x: f64) {
        self.count += 1;
        let weight = 1.0 / (self.count as f64).min(self.horizon);
        let delta = x - self.mean;
        self.mean += weight * delta;
        self.variance = (1.0 - weight) * (self.variance + weight * delta * delta);
    }

    pub fn count(&self) -> u64 {
        self.count
    }

    pub fn mean(&self) -> f64 {
        self.mean
    }

    pub fn std_dev(&self) -> f64 {
        self.variance.max(0.0).sqrt()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_within_the_horizon() {
        let mut s = RunningStats::new(100.0);
        for x in [2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0] {
            s.push(x);
        }
        assert_eq!(s.count(), 8);
        assert!((s.mean() - 5.0).abs() < 1e-12);
        assert!((s.std_dev() - 2.0).abs() < 1e-12);
    }

    #[test]
    fn forgets_old_values_past_the_horizon() {
        let mut s = RunningStats::new(50.0);
        for _ in 0..1000 {
            s.push(0.0);
        }
        for _ in 0..500 {
            s.push(10.0);
        }
        assert!((s.mean() - 10.0).abs() < 0.01, "mean {}", s.mean());
    }
}
