//! A small deterministic random number generator (SplitMix64) whose whole state is one
//! `u64`, so a forest's randomness can be saved in a model artifact and resumed exactly.

use serde::{Deserialize, Serialize};

/// SplitMix64: fast, statistically sound for sampling and random cuts, trivially
/// serializable. Not for cryptography.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SplitMix64 {
    state: u64,
}

impl SplitMix64 {
    pub fn new(seed: u64) -> Self {
        Self { state: seed }
    }

    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in the open interval (0, 1): never exactly 0 or 1, so its logarithms are finite.
    pub fn next_open01(&mut self) -> f64 {
        ((self.next_u64() >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }

    /// Uniform in [0, 1).
    pub fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_sequence_and_values_stay_in_range() {
        let mut a = SplitMix64::new(7);
        let mut b = SplitMix64::new(7);
        let mut c = SplitMix64::new(8);
        let mut differs = false;
        for _ in 0..1000 {
            let x = a.next_open01();
            assert_eq!(x, b.next_open01());
            assert!(x > 0.0 && x < 1.0);
            differs |= x != c.next_open01();
        }
        assert!(differs);
    }

    #[test]
    fn mean_of_uniform_draws_is_near_one_half() {
        let mut rng = SplitMix64::new(1);
        let n = 20_000;
        let mean = (0..n).map(|_| rng.next_f64()).sum::<f64>() / n as f64;
        assert!((mean - 0.5).abs() < 0.01, "mean {mean}");
    }
}
