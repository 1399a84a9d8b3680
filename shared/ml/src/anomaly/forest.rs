//! The Random Cut Forest: internal shingling, one reservoir sample per tree (with optional
//! exponential time decay), and the average of the trees' scores.

use std::collections::BinaryHeap;

use serde::{Deserialize, Serialize};

use super::rng::SplitMix64;
use super::shingle::Shingle;
use super::tree::{Climb, Tree};
use super::AnomalyError;

/// Shape and sampling of a forest. The defaults are the ones the platform uses: 50 trees,
/// 256 points per tree, shingles of 8 consecutive points, AWS's default decay `0.1 / 256`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ForestConfig {
    /// Values in each input point (before shingling).
    pub input_dims: usize,
    /// Consecutive input points concatenated into one tree point.
    pub shingle_size: usize,
    pub num_trees: usize,
    /// Points kept by each tree's reservoir sample.
    pub sample_size: usize,
    /// Exponential decay rate of a point's sampling weight per update; 0 samples uniformly
    /// over the whole stream, larger values favour recent points.
    pub time_decay: f64,
    /// Shingled points a tree must hold before the forest reports scores.
    pub output_after: usize,
    pub seed: u64,
}

impl Default for ForestConfig {
    fn default() -> Self {
        Self {
            input_dims: 1,
            shingle_size: 8,
            num_trees: 50,
            sample_size: 256,
            time_decay: 0.1 / 256.0,
            output_after: 64,
            seed: 42,
        }
    }
}

impl ForestConfig {
    /// Dimensions of the points the trees hold.
    pub fn tree_dims(&self) -> usize {
        self.input_dims * self.shingle_size
    }

    pub fn validate(&self) -> Result<(), AnomalyError> {
        let fail = |why: &str| Err(AnomalyError::InvalidConfig(why.to_string()));
        if self.input_dims == 0 || self.shingle_size == 0 {
            return fail("input_dims and shingle_size must be at least 1");
        }
        if self.tree_dims() > u32::MAX as usize / 2 {
            return fail("input_dims * shingle_size is too large");
        }
        if self.num_trees == 0 || self.num_trees > 10_000 || self.sample_size < 2 || self.sample_size > 1 << 20 {
            return fail("num_trees must be within 1..=10000 and sample_size within 2..=1048576");
        }
        if !(self.time_decay.is_finite() && self.time_decay >= 0.0) {
            return fail("time_decay must be finite and not negative");
        }
        if self.output_after > self.sample_size {
            return fail("output_after cannot exceed sample_size");
        }
        Ok(())
    }
}

/// One entry of a tree's reservoir: the smallest priorities are kept.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Sampled {
    pub priority: f64,
    pub leaf: u32,
}

impl Eq for Sampled {}

impl PartialOrd for Sampled {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Sampled {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.priority.total_cmp(&other.priority)
    }
}

/// A tree with its reservoir sample and its own random stream.
#[derive(Debug, Clone)]
pub(crate) struct SampledTree {
    pub tree: Tree,
    /// Max-heap: the top is the entry evicted next.
    pub sample: BinaryHeap<Sampled>,
    pub rng: SplitMix64,
}

impl PartialEq for SampledTree {
    fn eq(&self, other: &Self) -> bool {
        self.tree == other.tree && self.rng == other.rng && self.sample.as_slice() == other.sample.as_slice()
    }
}

impl SampledTree {
    fn new(dims: usize, seed: u64) -> Self {
        Self { tree: Tree::new(dims), sample: BinaryHeap::new(), rng: SplitMix64::new(seed) }
    }

    /// Offers the `seq`-th point to the sample. A point of weight `w = exp(decay * seq)`
    /// gets priority `ln(E) - ln(w)` with `E` exponential; keeping the smallest
    /// priorities is weighted reservoir sampling (Efraimidis-Spirakis, in log space).
    fn offer(&mut self, point: &[f32], seq: u64, decay: f64, capacity: usize) {
        let priority = (-self.rng.next_open01().ln()).ln() - decay * seq as f64;
        if self.sample.len() >= capacity {
            match self.sample.peek() {
                Some(top) if priority < top.priority => {
                    let leaf = top.leaf;
                    self.sample.pop();
                    self.tree.delete(leaf);
                }
                _ => return,
            }
        }
        let leaf = self.tree.insert(point, &mut self.rng);
        self.sample.push(Sampled { priority, leaf });
    }
}

/// A Random Cut Forest over an internally shingled stream.
#[derive(Debug, Clone, PartialEq)]
pub struct RandomCutForest {
    pub(crate) config: ForestConfig,
    pub(crate) shingle: Shingle,
    pub(crate) trees: Vec<SampledTree>,
    /// Shingled points offered to the trees so far.
    pub(crate) seq: u64,
}

impl RandomCutForest {
    pub fn new(config: ForestConfig) -> Result<Self, AnomalyError> {
        config.validate()?;
        let mut seeds = SplitMix64::new(config.seed);
        let trees = (0..config.num_trees).map(|_| SampledTree::new(config.tree_dims(), seeds.next_u64())).collect();
        let shingle = Shingle::new(config.input_dims, config.shingle_size);
        Ok(Self { config, shingle, trees, seq: 0 })
    }

    pub fn config(&self) -> &ForestConfig {
        &self.config
    }

    /// The latest shingled point (the last `shingle_size` inputs, oldest first), once the
    /// shingle is full.
    pub fn last_shingle(&self) -> Option<Vec<f32>> {
        self.shingle.is_full().then(|| self.shingle.vector())
    }

    /// Shingled points offered to the trees so far.
    pub fn points_seen(&self) -> u64 {
        self.seq
    }

    /// Whether scores are meaningful: the shingle is full and each tree holds enough points.
    pub fn is_ready(&self) -> bool {
        self.shingle.is_full() && self.seq >= self.config.output_after as u64
    }

    /// The score `point` would get as the next point of the stream, without learning it;
    /// `None` while the forest is not ready. `point` must have `input_dims` finite values.
    pub fn score(&self, point: &[f32]) -> Result<Option<f64>, AnomalyError> {
        check_point(point, self.config.input_dims)?;
        if self.shingle.is_full_after_push() {
            let shingled = self.shingle.vector_with(point);
            if self.seq >= self.config.output_after as u64 {
                return Ok(Some(self.score_shingled(&shingled)));
            }
        }
        Ok(None)
    }

    /// Scores `point` as [`score`](Self::score) does, then learns it.
    pub fn update(&mut self, point: &[f32]) -> Result<Option<f64>, AnomalyError> {
        let score = self.score(point)?;
        self.shingle.push(point);
        if self.shingle.is_full() {
            let shingled = self.shingle.vector();
            let (seq, decay, capacity) = (self.seq, self.config.time_decay, self.config.sample_size);
            for tree in &mut self.trees {
                tree.offer(&shingled, seq, decay, capacity);
            }
            self.seq += 1;
        }
        Ok(score)
    }

    /// Average of the trees' scores of an already shingled point.
    ///
    /// Trees descend and climb back in groups, one level at a time, so that the memory loads
    /// of different trees overlap instead of waiting on each other (a path is a chain of
    /// dependent loads, and the forest does not fit in a core's cache).
    pub fn score_shingled(&self, shingled: &[f32]) -> f64 {
        const GROUP: usize = 8;
        let mut total = 0.0;
        for group in self.trees.chunks(GROUP) {
            let mut at = [None; GROUP];
            let mut depth = [0usize; GROUP];
            for (slot, t) in at.iter_mut().zip(group) {
                *slot = t.tree.root();
            }
            let mut moving = true;
            while moving {
                moving = false;
                for ((slot, d), t) in at.iter_mut().zip(&mut depth).zip(group) {
                    if let Some(next) = slot.and_then(|id| t.tree.step(id, shingled)) {
                        *slot = Some(next);
                        *d += 1;
                        moving = true;
                    }
                }
            }
            let mut climbs: [Option<Climb>; GROUP] = [None; GROUP];
            for (((climb, slot), d), t) in climbs.iter_mut().zip(&at).zip(&depth).zip(group) {
                *climb = slot.map(|leaf| t.tree.start_climb(shingled, leaf, *d));
            }
            let mut climbing = true;
            while climbing {
                climbing = false;
                for (climb, t) in climbs.iter_mut().zip(group) {
                    if let Some(climb) = climb {
                        climbing |= t.tree.climb_step(climb, shingled);
                    }
                }
            }
            for (climb, t) in climbs.iter().zip(group) {
                total += climb.as_ref().map_or(0.0, |c| t.tree.finish_climb(c));
            }
        }
        total / self.trees.len() as f64
    }
}

/// Rejects points of the wrong length or with NaN/infinite values.
pub(crate) fn check_point(point: &[f32], dims: usize) -> Result<(), AnomalyError> {
    if point.len() != dims {
        return Err(AnomalyError::DimensionMismatch { expected: dims, got: point.len() });
    }
    match point.iter().position(|v| !v.is_finite()) {
        Some(index) => Err(AnomalyError::NonFinite { index }),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn small(seed: u64) -> ForestConfig {
        ForestConfig {
            num_trees: 20,
            sample_size: 64,
            output_after: 32,
            shingle_size: 4,
            seed,
            ..ForestConfig::default()
        }
    }

    fn wave(i: usize) -> f32 {
        (i as f32 * 0.3).sin() * 10.0
    }

    #[test]
    fn scores_only_when_ready_and_flags_a_spike() {
        let mut forest = RandomCutForest::new(small(1)).unwrap();
        let mut scores = Vec::new();
        for i in 0..500 {
            scores.push(forest.update(&[wave(i)]).unwrap());
        }
        // Shingle of 4 fills at the 4th point; 32 shingles later the forest is ready.
        assert!(scores[..35].iter().all(Option::is_none));
        assert!(scores[35..].iter().all(Option::is_some));
        let typical = forest.score(&[wave(500)]).unwrap().unwrap();
        let spike = forest.score(&[wave(500) + 50.0]).unwrap().unwrap();
        assert!(spike > 2.0 * typical, "spike {spike} typical {typical}");
    }

    #[test]
    fn update_returns_the_score_before_learning_the_point() {
        let mut forest = RandomCutForest::new(small(2)).unwrap();
        for i in 0..200 {
            let before = forest.score(&[wave(i)]).unwrap();
            assert_eq!(forest.update(&[wave(i)]).unwrap(), before);
        }
    }

    #[test]
    fn samples_stay_bounded_and_same_seed_gives_same_forest() {
        let mut a = RandomCutForest::new(small(5)).unwrap();
        let mut b = RandomCutForest::new(small(5)).unwrap();
        for i in 0..1000 {
            a.update(&[wave(i)]).unwrap();
            b.update(&[wave(i)]).unwrap();
        }
        assert_eq!(a, b);
        for tree in &a.trees {
            assert_eq!(tree.sample.len(), 64);
            assert_eq!(tree.tree.mass(), 64);
        }
    }

    #[test]
    fn time_decay_keeps_the_sample_recent() {
        let decayed = ForestConfig { time_decay: 0.05, ..small(3) };
        let uniform = ForestConfig { time_decay: 0.0, ..small(3) };
        let mean_age = |config: ForestConfig| {
            let mut forest = RandomCutForest::new(config).unwrap();
            for i in 0..2000 {
                forest.update(&[i as f32]).unwrap();
            }
            // The newest value in each shingle is the point's index in the stream.
            let newest: Vec<f32> =
                forest.trees.iter().flat_map(|t| t.sample.iter().map(|s| t.tree.leaf_point(s.leaf)[3])).collect();
            2000.0 - newest.iter().sum::<f32>() / newest.len() as f32
        };
        let (recent, spread) = (mean_age(decayed), mean_age(uniform));
        assert!(recent < 100.0 && spread > 500.0, "decayed {recent} uniform {spread}");
    }

    #[test]
    fn bad_points_and_configs_are_errors() {
        let mut forest = RandomCutForest::new(small(1)).unwrap();
        assert!(matches!(forest.update(&[1.0, 2.0]), Err(AnomalyError::DimensionMismatch { expected: 1, got: 2 })));
        assert!(matches!(forest.update(&[f32::NAN]), Err(AnomalyError::NonFinite { index: 0 })));
        for bad in [
            ForestConfig { num_trees: 0, ..small(1) },
            ForestConfig { shingle_size: 0, ..small(1) },
            ForestConfig { time_decay: -1.0, ..small(1) },
            ForestConfig { output_after: 65, ..small(1) },
        ] {
            assert!(RandomCutForest::new(bad).is_err());
        }
    }
}
