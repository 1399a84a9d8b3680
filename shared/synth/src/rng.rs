//! The generator's own PRNG (SplitMix64) and sampling helpers, so a seed gives the same book
//! forever, whatever a dependency upgrade would do to an external crate's streams.
//!
//! Money is never sampled as `f64` to be kept: samples are turned into integer mantissas
//! by the callers. The float helpers (`exp`, `ln`, the normals) use only IEEE add, multiply,
//! divide and sqrt, never libm, so a seed gives the same book on every platform.

/// `e^x` from IEEE add and multiply only, so the per-lot hot path gives the same bits on
/// every platform (libm's `exp` may differ in the last place). Relative error below 1e-11
/// for `x` in [-700, 700]; inputs are clamped to that range.
#[inline]
pub fn exp(x: f64) -> f64 {
    // 2^(j/32) for j = 0..32: x = (32m + j)·ln2/32 + r with |r| <= ln2/64, so a short
    // polynomial suffices.
    const TABLE: [f64; 32] = [
        1.0,
        1.0218971486541166,
        1.0442737824274138,
        1.0671404006768237,
        1.0905077326652577,
        1.1143867425958924,
        1.1387886347566916,
        1.1637248587775775,
        1.189207115002721,
        1.215247359980469,
        1.241857812073484,
        1.2690509571917332,
        1.2968395546510096,
        1.3252366431597413,
        1.3542555469368927,
        1.383909881963832,
        std::f64::consts::SQRT_2,
        1.4451808069770467,
        1.4768261459394993,
        1.5091644275934228,
        1.5422108254079407,
        1.5759808451078865,
        1.6104903319492543,
        1.645755478153965,
        1.681792830507429,
        1.718619298122478,
        1.7562521603732995,
        1.7947090750031072,
        1.8340080864093424,
        1.8741676341103,
        1.9152065613971474,
        1.9571441241754002,
    ];
    // ln 2 split in a high part with trailing zero bits and the rest (fdlibm's constants).
    const LN2_32_HI: f64 = f64::from_bits(0x3FE6_2E42_FEE0_0000) / 32.0;
    const LN2_32_LO: f64 = f64::from_bits(0x3DEA_39EF_3579_3C76) / 32.0;
    let x = if x.is_nan() { 0.0 } else { x.clamp(-700.0, 700.0) };
    // Round to nearest without a branch or a libm call: adding 1.5·2^52 leaves no fraction bits.
    const SHIFTER: f64 = 6_755_399_441_055_744.0;
    let kf = (x * (32.0 * std::f64::consts::LOG2_E) + SHIFTER) - SHIFTER;
    let k = kf as i64;
    let r = x - kf * LN2_32_HI - kf * LN2_32_LO;
    let p = 1.0 + r * (1.0 + r * (0.5 + r * (1.0 / 6.0 + r * (1.0 / 24.0 + r * (1.0 / 120.0)))));
    let m = k.div_euclid(32);
    TABLE[k.rem_euclid(32) as usize] * p * f64::from_bits(((m + 1023) as u64) << 52)
}

/// Natural logarithm from IEEE arithmetic only (see [`exp`]); 0 and negative inputs give
/// `f64::MIN` rather than NaN so a caller's clamp still works.
pub fn ln(x: f64) -> f64 {
    if x.is_nan() || x <= 0.0 || x.is_infinite() {
        return if x == f64::INFINITY { f64::MAX } else { f64::MIN };
    }
    // x = m · 2^e with m in [1, 2), by the bits; subnormals are scaled up first.
    let (x, bias) = if x < f64::MIN_POSITIVE { (x * 2f64.powi(54), -54) } else { (x, 0) };
    let bits = x.to_bits();
    let mut e = ((bits >> 52) & 0x7FF) as i64 - 1023 + bias;
    let mut m = f64::from_bits((bits & 0x000F_FFFF_FFFF_FFFF) | 0x3FF0_0000_0000_0000);
    if m > std::f64::consts::SQRT_2 {
        m *= 0.5;
        e += 1;
    }
    // ln m = 2·atanh(s) with s = (m-1)/(m+1), |s| < 0.172.
    let s = (m - 1.0) / (m + 1.0);
    let s2 = s * s;
    let mut p = 0.0;
    for k in (0..12).rev() {
        p = p * s2 + 1.0 / (2 * k + 1) as f64;
    }
    2.0 * s * p + e as f64 * std::f64::consts::LN_2
}

/// Golden-ratio increment of SplitMix64.
const GAMMA: u64 = 0x9E37_79B9_7F4A_7C15;

/// SplitMix64's finalizer: a strong 64-bit mixer, also used to derive stream seeds.
#[inline]
pub fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Stable 64-bit hash of a string (FNV-1a, then mixed), for per-security traits that must
/// not depend on std's randomized hasher.
pub fn hash_str(s: &str) -> u64 {
    let mut h: u64 = 0xCBF2_9CE4_8422_2325;
    for b in s.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01B3);
    }
    mix(h)
}

#[derive(Debug, Clone)]
pub struct Rng {
    state: u64,
    /// Box-Muller yields normals in pairs; the second is kept for the next call.
    spare: Option<f64>,
}

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng { state: mix(seed ^ 0x6A09_E667_F3BC_C908), spare: None }
    }

    /// An independent stream for (seed, domain, index): each account, household block and
    /// the reference data get their own, so any one can be generated without the others.
    pub fn stream(seed: u64, domain: u64, index: u64) -> Self {
        let key = mix(mix(seed).wrapping_add(domain.wrapping_mul(GAMMA)) ^ index.wrapping_mul(0xD6E8_FEB8_6659_FD93));
        Rng { state: key, spare: None }
    }

    #[inline]
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(GAMMA);
        mix(self.state)
    }

    /// Uniform in `0..n` (0 when `n` is 0). Lemire's multiply-shift; the bias (< n / 2^64)
    /// is irrelevant for synthetic data.
    #[inline]
    pub fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// Uniform in `0..n` as an index.
    #[inline]
    pub fn index(&mut self, n: usize) -> usize {
        self.below(n as u64) as usize
    }

    /// Uniform integer in `lo..=hi` (returns `lo` when `hi < lo`).
    #[inline]
    pub fn range(&mut self, lo: i64, hi: i64) -> i64 {
        if hi <= lo {
            return lo;
        }
        lo + self.below((hi - lo) as u64 + 1) as i64
    }

    /// Uniform in `[0, 1)` with 53 random bits.
    #[inline]
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform in `[lo, hi)`.
    #[inline]
    pub fn uniform(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.unit()
    }

    #[inline]
    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    pub fn choose<'a, T>(&mut self, items: &'a [T]) -> Option<&'a T> {
        if items.is_empty() {
            None
        } else {
            Some(&items[self.index(items.len())])
        }
    }

    /// Index drawn with probability proportional to `weights` (0 when all are zero).
    pub fn weighted(&mut self, weights: &[u32]) -> usize {
        let total: u64 = weights.iter().map(|&w| u64::from(w)).sum();
        let mut pick = self.below(total);
        for (i, &w) in weights.iter().enumerate() {
            if pick < u64::from(w) {
                return i;
            }
            pick -= u64::from(w);
        }
        0
    }

    /// Standard normal by the polar form of Box-Muller (Marsaglia), which needs no sin/cos,
    /// so it is the same on every platform. For scores and noise, never for stored money.
    pub fn normal(&mut self) -> f64 {
        if let Some(z) = self.spare.take() {
            return z;
        }
        loop {
            let u = 2.0 * self.unit() - 1.0;
            let v = 2.0 * self.unit() - 1.0;
            let s = u * u + v * v;
            if s > 0.0 && s < 1.0 {
                let f = (-2.0 * ln(s) / s).sqrt();
                self.spare = Some(v * f);
                return u * f;
            }
        }
    }

    /// Approximately standard normal from one draw (Irwin-Hall sum of four uniforms,
    /// bounded at ±3.46): for the per-lot and per-holding noise of the hot path, where
    /// Box-Muller's `ln`/`sin`/`cos` would cost more than the rest of the account.
    #[inline]
    pub fn quick_normal(&mut self) -> f64 {
        let x = self.next_u64();
        let sum = (x & 0xFFFF) + ((x >> 16) & 0xFFFF) + ((x >> 32) & 0xFFFF) + (x >> 48);
        // Mean 2 and variance 1/3 in units of 65536.
        (sum as f64 / 65_536.0 - 2.0) * 1.732_050_807_568_877_2
    }

    /// `exp(mu + sigma · N(0, 1))`.
    pub fn log_normal(&mut self, mu: f64, sigma: f64) -> f64 {
        exp(mu + sigma * self.normal())
    }

    /// Fisher-Yates.
    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.index(i + 1);
            items.swap(i, j);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stream_is_frozen() {
        // If this changes, every generated book changes: bump it only on purpose.
        let mut r = Rng::new(42);
        let first: Vec<u64> = (0..3).map(|_| r.next_u64()).collect();
        assert_eq!(first, [0xFDF2_951D_CB60_FBD1, 0xE77B_AF2F_7FD8_E660, 0x8486_9B34_F494_40E8]);
        assert_eq!(mix(0), 0);
        assert_eq!(mix(1), 0x5692_161D_100B_05E5);
    }

    #[test]
    fn exp_matches_std() {
        for i in -2000..=2000 {
            let x = i as f64 * 0.0137;
            let (ours, std) = (exp(x), x.exp());
            assert!(((ours - std) / std).abs() < 1e-10, "exp({x}): {ours} vs {std}");
        }
        assert_eq!(exp(0.0), 1.0);
        assert!(exp(f64::NAN).is_finite());
    }

    #[test]
    fn ln_matches_std() {
        for x in [1e-300, 1e-10, 0.001, 0.5, 0.7, 1.0, 1.4, 1.42, 1.5, 2.0, 5.0, 600.0, 220_000.0, 1e300, 4e-320] {
            let (ours, std) = (ln(x), f64::ln(x));
            assert!((ours - std).abs() <= 1e-13 * std.abs().max(1.0), "ln({x}): {ours} vs {std}");
        }
        assert_eq!(ln(1.0), 0.0);
        assert_eq!(ln(0.0), f64::MIN);
        assert_eq!(ln(-1.0), f64::MIN);
    }

    #[test]
    fn streams_differ_by_index_and_domain() {
        let a = Rng::stream(7, 1, 0).next_u64();
        let b = Rng::stream(7, 1, 1).next_u64();
        let c = Rng::stream(7, 2, 0).next_u64();
        assert!(a != b && a != c && b != c);
    }

    #[test]
    fn ranges_stay_in_bounds_and_cover_them() {
        let mut r = Rng::new(1);
        let mut seen = [false; 5];
        for _ in 0..1000 {
            let x = r.range(3, 7);
            assert!((3..=7).contains(&x));
            seen[(x - 3) as usize] = true;
            let u = r.unit();
            assert!((0.0..1.0).contains(&u));
        }
        assert!(seen.iter().all(|&s| s));
        assert_eq!(r.range(5, 5), 5);
        assert_eq!(r.below(0), 0);
    }

    #[test]
    fn normals_have_mean_zero_and_unit_variance() {
        let mut r = Rng::new(9);
        let n = 20_000;
        check_standard(&(0..n).map(|_| r.normal()).collect::<Vec<_>>());
        check_standard(&(0..n).map(|_| r.quick_normal()).collect::<Vec<_>>());
    }

    fn check_standard(xs: &[f64]) {
        let n = xs.len();
        let mean = xs.iter().sum::<f64>() / n as f64;
        let var = xs.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / n as f64;
        assert!(mean.abs() < 0.03, "mean {mean}");
        assert!((var - 1.0).abs() < 0.05, "variance {var}");
    }
}
