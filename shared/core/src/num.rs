//! Number plumbing for the hot path: decimal ↔ f64 conversions and a fast string hasher.
//!
//! The planner scores in `f64`; these are the only places where a decimal becomes a float
//! (for scoring) or a float becomes a decimal (a planned quantity or a reported total).

use std::hash::{BuildHasherDefault, Hasher};

use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;

const POW10: [f64; 19] =
    [1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18];

/// A decimal as an `f64` score. Exact up to the float's precision for the amounts a book
/// holds; the general conversion is kept for very large mantissas or scales.
pub fn to_f64(d: Decimal) -> f64 {
    let m = d.mantissa();
    let scale = d.scale() as usize;
    if scale < POW10.len() && m.unsigned_abs() < (1u128 << 53) {
        (m as i64) as f64 / POW10[scale]
    } else {
        d.to_f64().unwrap_or(0.0)
    }
}

/// How a planned float becomes a decimal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Round {
    /// Toward zero: never sell or buy more than planned.
    Down,
    /// Away from zero: cover an amount that must be raised.
    Up,
    Nearest,
}

/// The audited float → decimal conversion: `x` at `scale` decimal places, rounded as asked.
/// A nudge of 1e-7 (in the value's own units) absorbs float noise, so a planned
/// "exactly 3 shares" never becomes 2. Non-finite or out-of-range input gives zero.
pub fn from_f64(x: f64, scale: u32, round: Round) -> Decimal {
    if !x.is_finite() || scale as usize >= POW10.len() {
        return Decimal::ZERO;
    }
    let p = POW10[scale as usize];
    let scaled = match round {
        Round::Down => ((x.abs() + 1e-7) * p).floor().copysign(x),
        Round::Up => ((x.abs() - 1e-7).max(0.0) * p).ceil().copysign(x),
        Round::Nearest => (x * p).round(),
    };
    if scaled.abs() >= 9.0e15 {
        return Decimal::ZERO;
    }
    Decimal::new(scaled as i64, scale)
}

/// FxHash-style hasher for short ASCII keys (security and model ids): the map is built
/// once from trusted reference data, so DoS-resistant hashing buys nothing here.
#[derive(Default, Clone, Copy)]
pub struct IdHasher(u64);

const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl Hasher for IdHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let v = u64::from_le_bytes(c.try_into().expect("8 bytes"));
            self.0 = (self.0.rotate_left(5) ^ v).wrapping_mul(SEED);
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut buf = [0u8; 8];
            buf[..rest.len()].copy_from_slice(rest);
            self.0 = (self.0.rotate_left(5) ^ u64::from_le_bytes(buf)).wrapping_mul(SEED);
        }
    }
    fn write_u8(&mut self, i: u8) {
        self.0 = (self.0.rotate_left(5) ^ i as u64).wrapping_mul(SEED);
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

pub type IdMap<K, V> = std::collections::HashMap<K, V, BuildHasherDefault<IdHasher>>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conversions_round_trip_amounts_a_book_holds() {
        let d: Decimal = "123456.789".parse().unwrap();
        assert_eq!(to_f64(d), 123456.789);
        assert_eq!(to_f64(Decimal::new(-5, 2)), -0.05);
        // 3 shares planned as 2.9999999999 stay 3; 2.5 rounds down to 2 and up to 3.
        assert_eq!(from_f64(2.999_999_999_9, 0, Round::Down), Decimal::from(3));
        assert_eq!(from_f64(2.5, 0, Round::Down), Decimal::from(2));
        assert_eq!(from_f64(2.5, 0, Round::Up), Decimal::from(3));
        assert_eq!(from_f64(3.000_000_000_1, 0, Round::Up), Decimal::from(3));
        assert_eq!(from_f64(1.23456, 3, Round::Down), "1.234".parse::<Decimal>().unwrap());
        assert_eq!(from_f64(f64::NAN, 2, Round::Nearest), Decimal::ZERO);
        assert_eq!(from_f64(1e30, 2, Round::Nearest), Decimal::ZERO);
    }
}
