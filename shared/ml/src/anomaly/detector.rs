//! [`RcfDetector`]: per-feature standardization, a Random Cut Forest and a learned threshold.

use serde::{Deserialize, Serialize};

use super::forest::{check_point, ForestConfig, RandomCutForest};
use super::stats::RunningStats;
use super::threshold::{Threshold, ThresholdConfig};
use super::{AnomalyError, Detector, Scored};

/// Everything that defines a detector before it sees data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DetectorConfig {
    pub forest: ForestConfig,
    /// Per-feature standardization before shingling; `None` feeds raw values. Telemetry
    /// features have unrelated units (counts, milliseconds, ratios), so the platform
    /// standardizes.
    pub standardize: Option<StandardizeConfig>,
    pub threshold: ThresholdConfig,
}

impl Default for DetectorConfig {
    fn default() -> Self {
        Self {
            forest: ForestConfig::default(),
            standardize: Some(StandardizeConfig::default()),
            threshold: ThresholdConfig::default(),
        }
    }
}

/// Each value becomes `(x - mean) / std` of its feature, with the mean and deviation of the
/// stream's first `warmup` points, then frozen.
///
/// Those points only teach the standardizer; the forest starts after them. Frozen, because
/// the forest keeps points for a long time and compares new points with old ones: scaling
/// that keeps moving (after a level shift, say) would make every new point look new, and
/// the unsettled statistics of the first few values would distort the sample.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StandardizeConfig {
    pub warmup: u64,
}

impl Default for StandardizeConfig {
    fn default() -> Self {
        Self { warmup: 200 }
    }
}

/// Standardizes each feature by its running mean and deviation, learned before the point.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Standardizer {
    features: Vec<RunningStats>,
}

/// Standardized values are kept within ±this, so a value far out stays finite as f32.
const STANDARDIZED_LIMIT: f64 = 1e30;

impl Standardizer {
    fn new(dims: usize) -> Self {
        Self { features: vec![RunningStats::new(f64::MAX); dims] }
    }

    pub(crate) fn dims(&self) -> usize {
        self.features.len()
    }

    fn seen(&self) -> u64 {
        self.features.first().map_or(0, RunningStats::count)
    }

    fn apply(&self, point: &[f32]) -> Vec<f32> {
        point.iter().zip(&self.features).map(|(&x, s)| standardize(f64::from(x), s) as f32).collect()
    }

    fn learn(&mut self, point: &[f32]) {
        for (&x, s) in point.iter().zip(&mut self.features) {
            s.push(f64::from(x));
        }
    }
}

fn standardize(x: f64, stats: &RunningStats) -> f64 {
    if stats.count() == 0 {
        return 0.0;
    }
    // A feature constant during the warm-up has no deviation: measure departures from it in
    // units of its size, or of 1 when it was constantly 0 (a reject rate, say).
    let mut scale = stats.std_dev().max(1e-3 * stats.mean().abs());
    if scale < 1e-9 {
        scale = 1.0;
    }
    ((x - stats.mean()) / scale).clamp(-STANDARDIZED_LIMIT, STANDARDIZED_LIMIT)
}

/// A Random Cut Forest detector with a learned threshold.
#[derive(Debug, Clone, PartialEq)]
pub struct RcfDetector {
    pub(crate) config: DetectorConfig,
    pub(crate) standardizer: Option<Standardizer>,
    pub(crate) forest: RandomCutForest,
    pub(crate) threshold: Threshold,
}

impl RcfDetector {
    pub fn new(config: DetectorConfig) -> Result<Self, AnomalyError> {
        let forest = RandomCutForest::new(config.forest.clone())?;
        config.threshold.validate()?;
        if config.standardize.as_ref().is_some_and(|s| s.warmup == 0) {
            return Err(AnomalyError::InvalidConfig("standardize warmup must be at least 1".into()));
        }
        let standardizer = config.standardize.as_ref().map(|_| Standardizer::new(config.forest.input_dims));
        let threshold = Threshold::new(config.threshold.clone());
        Ok(Self { config, standardizer, forest, threshold })
    }

    pub fn config(&self) -> &DetectorConfig {
        &self.config
    }

    pub fn forest(&self) -> &RandomCutForest {
        &self.forest
    }

    /// The threshold scores are currently judged against.
    pub fn threshold(&self) -> &Threshold {
        &self.threshold
    }

    /// Judges an explicit shingle (the last `shingle_size` input points, oldest first,
    /// `input_dims` values each, flattened) against the forest without learning anything:
    /// the stateless scoring an endpoint serves, like SageMaker's built-in RCF, where the
    /// caller keeps each stream's recent points.
    pub fn score_shingle(&self, shingle: &[f32]) -> Result<Scored, AnomalyError> {
        let dims = self.input_dims();
        let expected = dims * self.config.forest.shingle_size;
        if shingle.len() != expected {
            return Err(AnomalyError::DimensionMismatch { expected, got: shingle.len() });
        }
        let mut prepared = Vec::with_capacity(expected);
        for point in shingle.chunks(dims) {
            prepared.extend(self.prepare(point)?);
        }
        if !self.forest.is_ready() {
            return Ok(Scored::NOT_READY);
        }
        Ok(self.judge(Some(self.forest.score_shingled(&prepared))))
    }

    fn prepare(&self, point: &[f32]) -> Result<Vec<f32>, AnomalyError> {
        check_point(point, self.input_dims())?;
        Ok(match &self.standardizer {
            Some(s) => s.apply(point),
            None => point.to_vec(),
        })
    }

    fn judge(&self, raw: Option<f64>) -> Scored {
        match raw {
            Some(score) if self.threshold.is_warm() => {
                Scored { score, threshold: self.threshold.value(), grade: self.threshold.grade(score), ready: true }
            }
            Some(score) => Scored { score, ..Scored::NOT_READY },
            None => Scored::NOT_READY,
        }
    }
}

impl Detector for RcfDetector {
    fn input_dims(&self) -> usize {
        self.config.forest.input_dims
    }

    fn score(&self, point: &[f32]) -> Result<Scored, AnomalyError> {
        let prepared = self.prepare(point)?;
        Ok(self.judge(self.forest.score(&prepared)?))
    }

    fn update(&mut self, point: &[f32]) -> Result<Scored, AnomalyError> {
        let prepared = self.prepare(point)?;
        if let (Some(s), Some(c)) = (&mut self.standardizer, &self.config.standardize) {
            if s.seen() < c.warmup {
                s.learn(point);
                return Ok(Scored::NOT_READY);
            }
        }
        let raw = self.forest.update(&prepared)?;
        let scored = self.judge(raw);
        if let Some(score) = raw {
            self.threshold.observe(score);
        }
        Ok(scored)
    }
}

/// Streams `history` through a new detector (scoring each point before learning it, as in
/// service) and returns it: its forest holds a sample of the history and its threshold is
/// learned from the scores the history got.
pub fn train<'a>(
    config: DetectorConfig,
    history: impl IntoIterator<Item = &'a [f32]>,
) -> Result<RcfDetector, AnomalyError> {
    let mut detector = RcfDetector::new(config)?;
    for point in history {
        detector.update(point)?;
    }
    Ok(detector)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Three telemetry-like features on unrelated scales with a daily-ish cycle.
    fn telemetry(i: usize) -> [f32; 3] {
        let phase = (i as f32 * 0.05).sin();
        let jitter = ((i * 7919) % 13) as f32 / 13.0;
        [1000.0 + 200.0 * phase + 20.0 * jitter, 2.0 + 0.3 * phase + 0.05 * jitter, 0.01 + 0.002 * jitter]
    }

    fn config() -> DetectorConfig {
        DetectorConfig {
            forest: ForestConfig {
                input_dims: 3,
                shingle_size: 4,
                num_trees: 30,
                sample_size: 128,
                output_after: 64,
                ..ForestConfig::default()
            },
            ..DetectorConfig::default()
        }
    }

    fn history(n: usize) -> Vec<[f32; 3]> {
        (0..n).map(telemetry).collect()
    }

    #[test]
    fn an_explicit_shingle_scores_as_the_stream_would_without_learning() {
        let points = history(3000);
        let detector = train(config(), points.iter().map(|p| &p[..])).unwrap();
        // The stream's next point, and the shingle of it and the three before it.
        let next = telemetry(3000);
        let shingle: Vec<f32> = points[2997..].iter().flatten().chain(next.iter()).copied().collect();
        let before = detector.clone();
        assert_eq!(detector.score_shingle(&shingle).unwrap(), detector.score(&next).unwrap());
        assert_eq!(detector, before, "scoring a shingle learns nothing");
        assert!(matches!(
            detector.score_shingle(&shingle[1..]),
            Err(AnomalyError::DimensionMismatch { expected: 12, got: 11 })
        ));
    }

    #[test]
    fn trained_detector_flags_a_latency_fault_but_not_normal_traffic() {
        let points = history(3000);
        let mut detector = train(config(), points.iter().map(|p| &p[..])).unwrap();
        let normal: Vec<Scored> = (3000..3200).map(|i| detector.update(&telemetry(i)).unwrap()).collect();
        assert!(normal.iter().all(|s| s.ready));
        let false_alarms = normal.iter().filter(|s| s.is_anomaly()).count();
        assert!(false_alarms <= 4, "{false_alarms} false alarms");
        // Ack latency ten times its usual level: 4 orders of magnitude beyond its deviation.
        let mut fault = telemetry(3200);
        fault[1] *= 10.0;
        let scored = detector.score(&fault).unwrap();
        assert!(scored.is_anomaly() && scored.grade > 0.5, "{scored:?}");
    }

    #[test]
    fn not_ready_before_enough_history() {
        let mut detector = RcfDetector::new(config()).unwrap();
        let first = detector.update(&telemetry(0)).unwrap();
        assert_eq!(first, Scored::NOT_READY);
        assert!(!first.is_anomaly());
    }

    #[test]
    fn bad_input_is_an_error_not_a_panic() {
        let mut detector = RcfDetector::new(config()).unwrap();
        assert!(detector.update(&[1.0]).is_err());
        assert!(detector.score(&[1.0, f32::INFINITY, 0.0]).is_err());
        let bad = DetectorConfig { standardize: Some(StandardizeConfig { warmup: 0 }), ..config() };
        assert!(RcfDetector::new(bad).is_err());
    }
}
