//! Versioned model artifacts: the exact state of an [`RcfDetector`] as JSON.
//!
//! The forest is stored whole (not rebuilt from a sample), so a loaded detector scores and
//! learns exactly as the saved one would have. To keep the file small:
//! - each tree is written in preorder (cut dimension and value per internal node, a
//!   reference to a point and a mass per leaf); bounding boxes and internal masses are
//!   derived again on load;
//! - the trees' points are stored once in a shared table (the trees sample the same stream,
//!   so most points sit in many trees);
//! - numeric arrays are little-endian bytes in base64 rather than JSON numbers.
//!
//! Format 1 holds: `format_version`, `kind` ("rcf"), the [`DetectorConfig`], the threshold
//! at saving time (informative), then the threshold statistics, the standardizer and the
//! forest state. Loading checks the kind, the version and every index and length, and
//! answers an error (never a panic) for a malformed file.

use std::collections::HashMap;
use std::path::Path;

use base64::Engine;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::detector::{DetectorConfig, RcfDetector, Standardizer};
use super::forest::{RandomCutForest, Sampled, SampledTree};
use super::rng::SplitMix64;
use super::shingle::Shingle;
use super::threshold::Threshold;
use super::tree::Tree;
use super::AnomalyError;

/// The artifact format this code writes and reads.
pub const FORMAT_VERSION: u32 = 1;
/// The `kind` of RCF detector artifacts.
pub const MODEL_KIND: &str = "rcf";

/// A trained detector, ready to be written to a file and served elsewhere.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelArtifact {
    pub format_version: u32,
    pub kind: String,
    pub config: DetectorConfig,
    /// The threshold when the artifact was made; `None` while the detector was warming up.
    pub threshold: Option<f64>,
    threshold_state: Threshold,
    standardizer: Option<Standardizer>,
    forest: ForestState,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct ForestState {
    seq: u64,
    shingle: Shingle,
    /// Distinct tree points, `tree_dims` values each.
    points: Packed<f32>,
    trees: Vec<TreeState>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct TreeState {
    rng: SplitMix64,
    /// Preorder: the cut dimension of each internal node, `u32::MAX` for a leaf.
    shape: Packed<u32>,
    cuts: Packed<f32>,
    /// Per leaf in preorder: its point in the shared table, and how many copies it holds.
    leaf_points: Packed<u32>,
    leaf_mass: Packed<u32>,
    /// The reservoir: priority and leaf (preorder ordinal) of each sampled point.
    sample_priority: Packed<f64>,
    sample_leaf: Packed<u32>,
}

impl RcfDetector {
    pub fn to_artifact(&self) -> ModelArtifact {
        let threshold = Some(self.threshold.value()).filter(|t| t.is_finite());
        ModelArtifact {
            format_version: FORMAT_VERSION,
            kind: MODEL_KIND.to_string(),
            config: self.config.clone(),
            threshold,
            threshold_state: self.threshold.clone(),
            standardizer: self.standardizer.clone(),
            forest: ForestState::capture(&self.forest),
        }
    }

    pub fn from_artifact(artifact: ModelArtifact) -> Result<Self, AnomalyError> {
        artifact.check_header()?;
        let config = artifact.config;
        let mut detector = RcfDetector::new(config.clone())?;
        if artifact.standardizer.as_ref().map(|s| s.dims())
            != config.standardize.as_ref().map(|_| config.forest.input_dims)
        {
            return Err(invalid("standardizer does not match the configuration"));
        }
        if artifact.threshold_state.config() != &config.threshold {
            return Err(invalid("threshold state does not match the configuration"));
        }
        detector.standardizer = artifact.standardizer;
        detector.threshold = artifact.threshold_state;
        artifact.forest.restore_into(&mut detector.forest)?;
        Ok(detector)
    }
}

impl ModelArtifact {
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("an artifact holds only finite numbers and strings")
    }

    /// Parses an artifact, checking its kind and format version.
    pub fn from_json(json: &str) -> Result<Self, AnomalyError> {
        let artifact: ModelArtifact = serde_json::from_str(json).map_err(|e| invalid(&e.to_string()))?;
        artifact.check_header()?;
        Ok(artifact)
    }

    /// Writes the artifact as JSON to `path`.
    pub fn write_file(&self, path: &Path) -> Result<(), AnomalyError> {
        std::fs::write(path, self.to_json()).map_err(|e| AnomalyError::Io { path: path.to_path_buf(), source: e })
    }

    /// Reads and checks an artifact written by [`write_file`](Self::write_file).
    pub fn read_file(path: &Path) -> Result<Self, AnomalyError> {
        let json =
            std::fs::read_to_string(path).map_err(|e| AnomalyError::Io { path: path.to_path_buf(), source: e })?;
        Self::from_json(&json)
    }

    fn check_header(&self) -> Result<(), AnomalyError> {
        if self.kind != MODEL_KIND {
            return Err(invalid(&format!("kind {:?}, expected {MODEL_KIND:?}", self.kind)));
        }
        if self.format_version != FORMAT_VERSION {
            return Err(invalid(&format!("format version {}, this build reads {FORMAT_VERSION}", self.format_version)));
        }
        Ok(())
    }
}

fn invalid(why: &str) -> AnomalyError {
    AnomalyError::Artifact(why.to_string())
}

impl ForestState {
    fn capture(forest: &RandomCutForest) -> Self {
        let mut table = PointTable::default();
        let trees = forest.trees.iter().map(|t| TreeState::capture(t, &mut table)).collect();
        Self { seq: forest.seq, shingle: forest.shingle.clone(), points: Packed(table.values), trees }
    }

    /// Replaces the (fresh) forest's state with this one, after checking it fits.
    fn restore_into(self, forest: &mut RandomCutForest) -> Result<(), AnomalyError> {
        let config = &forest.config;
        let dims = config.tree_dims();
        if self.trees.len() != config.num_trees || !self.points.0.len().is_multiple_of(dims) {
            return Err(invalid("forest state does not match the configuration"));
        }
        if !self.shingle.fits(config.input_dims, config.shingle_size) || !self.points.0.iter().all(|v| v.is_finite()) {
            return Err(invalid("shingle or points are malformed"));
        }
        let points: Vec<&[f32]> = self.points.0.chunks_exact(dims).collect();
        let trees =
            self.trees.into_iter().map(|t| t.restore(dims, config.sample_size, &points)).collect::<Result<_, _>>()?;
        forest.trees = trees;
        forest.seq = self.seq;
        forest.shingle = self.shingle;
        Ok(())
    }
}

/// Distinct points, each stored once.
#[derive(Default)]
struct PointTable {
    index: HashMap<Vec<u32>, u32>,
    values: Vec<f32>,
}

impl PointTable {
    fn intern(&mut self, point: &[f32]) -> u32 {
        let key: Vec<u32> = point.iter().map(|v| v.to_bits()).collect();
        let next = self.index.len() as u32;
        *self.index.entry(key).or_insert_with(|| {
            self.values.extend_from_slice(point);
            next
        })
    }
}

impl TreeState {
    fn capture(sampled: &SampledTree, table: &mut PointTable) -> Self {
        let tree = &sampled.tree;
        let form = tree.to_preorder();
        let ordinal: HashMap<u32, u32> = form.leaves.iter().enumerate().map(|(k, &id)| (id, k as u32)).collect();
        let entries = sampled.sample.as_slice();
        Self {
            rng: sampled.rng.clone(),
            leaf_points: Packed(form.leaves.iter().map(|&id| table.intern(tree.leaf_point(id))).collect()),
            leaf_mass: Packed(form.leaves.iter().map(|&id| tree.nodes[id as usize].mass).collect()),
            shape: Packed(form.shape),
            cuts: Packed(form.cuts),
            sample_priority: Packed(entries.iter().map(|e| e.priority).collect()),
            sample_leaf: Packed(entries.iter().map(|e| ordinal[&e.leaf]).collect()),
        }
    }

    fn restore(self, dims: usize, capacity: usize, points: &[&[f32]]) -> Result<SampledTree, AnomalyError> {
        let point_of = |k: usize| self.leaf_points.0.get(k).and_then(|&i| points.get(i as usize).copied());
        let (tree, leaves) = Tree::from_preorder(dims, &self.shape.0, &self.cuts.0, &self.leaf_mass.0, point_of)
            .map_err(|e| invalid(&e))?;
        let sample = self.restore_sample(&leaves, capacity)?;
        Ok(SampledTree { tree, sample: sample.into(), rng: self.rng })
    }

    /// The reservoir entries, checked to hold each leaf exactly as often as its mass says.
    fn restore_sample(&self, leaves: &[u32], capacity: usize) -> Result<Vec<Sampled>, AnomalyError> {
        let (priorities, ordinals) = (&self.sample_priority.0, &self.sample_leaf.0);
        if priorities.len() != ordinals.len() || priorities.len() > capacity {
            return Err(invalid("reservoir is malformed"));
        }
        let mut remaining = self.leaf_mass.0.clone();
        let mut sample = Vec::with_capacity(priorities.len());
        for (&priority, &k) in priorities.iter().zip(ordinals) {
            let left = remaining
                .get_mut(k as usize)
                .filter(|m| **m > 0)
                .ok_or_else(|| invalid("reservoir names a missing leaf"))?;
            *left -= 1;
            if !priority.is_finite() {
                return Err(invalid("reservoir priority is not finite"));
            }
            sample.push(Sampled { priority, leaf: leaves[k as usize] });
        }
        if remaining.iter().any(|&m| m != 0) {
            return Err(invalid("leaf masses and reservoir disagree"));
        }
        Ok(sample)
    }
}

/// Fixed-size numbers packed as little-endian bytes.
trait LeBytes: Copy {
    const SIZE: usize;
    fn put(self, out: &mut Vec<u8>);
    fn get(bytes: &[u8]) -> Self;
}

macro_rules! le_bytes {
    ($($t:ty),*) => {$(
        impl LeBytes for $t {
            const SIZE: usize = std::mem::size_of::<$t>();
            fn put(self, out: &mut Vec<u8>) {
                out.extend_from_slice(&self.to_le_bytes());
            }
            fn get(bytes: &[u8]) -> Self {
                let mut raw = [0u8; std::mem::size_of::<$t>()];
                raw.copy_from_slice(bytes);
                <$t>::from_le_bytes(raw)
            }
        }
    )*};
}

le_bytes!(u32, f32, f64);

/// A numeric array serialized as one base64 string of its little-endian bytes.
#[derive(Debug, Clone, PartialEq)]
struct Packed<T>(Vec<T>);

impl<T: LeBytes> Serialize for Packed<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut bytes = Vec::with_capacity(self.0.len() * T::SIZE);
        for &v in &self.0 {
            v.put(&mut bytes);
        }
        serializer.serialize_str(&base64::engine::general_purpose::STANDARD.encode(bytes))
    }
}

impl<'de, T: LeBytes> Deserialize<'de> for Packed<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        let text = String::deserialize(deserializer)?;
        let bytes = base64::engine::general_purpose::STANDARD.decode(text).map_err(D::Error::custom)?;
        if bytes.len() % T::SIZE != 0 {
            return Err(D::Error::custom(format!(
                "packed array of {} bytes is not a multiple of {}",
                bytes.len(),
                T::SIZE
            )));
        }
        Ok(Packed(bytes.chunks_exact(T::SIZE).map(T::get).collect()))
    }
}

#[cfg(test)]
mod tests {
    use super::super::{train, Detector, ForestConfig};
    use super::*;

    fn series(i: usize) -> [f32; 2] {
        let t = i as f32;
        [(t * 0.1).sin() * 5.0 + ((i * 31) % 7) as f32 * 0.1, (t * 0.03).cos()]
    }

    fn trained() -> RcfDetector {
        trained_with_decay(ForestConfig::default().time_decay)
    }

    /// Ten trees of 64 points over 1,500 points of a two-feature series.
    fn trained_with_decay(time_decay: f64) -> RcfDetector {
        let config = DetectorConfig {
            forest: ForestConfig {
                input_dims: 2,
                shingle_size: 4,
                num_trees: 10,
                sample_size: 64,
                time_decay,
                output_after: 16,
                ..ForestConfig::default()
            },
            ..DetectorConfig::default()
        };
        let history: Vec<[f32; 2]> = (0..1500).map(series).collect();
        train(config, history.iter().map(|p| &p[..])).unwrap()
    }

    #[test]
    fn save_and_load_scores_and_learns_exactly_as_the_original() {
        let original = trained();
        let json = original.to_artifact().to_json();
        let artifact = ModelArtifact::from_json(&json).unwrap();
        assert_eq!(artifact.kind, "rcf");
        assert_eq!(artifact.format_version, FORMAT_VERSION);
        assert!(artifact.threshold.is_some());
        let mut loaded = RcfDetector::from_artifact(artifact).unwrap();
        let mut original = original;
        for i in 1500..2000 {
            let mut p = series(i);
            if i % 97 == 0 {
                p[0] += 20.0;
            }
            assert_eq!(loaded.score(&p).unwrap(), original.score(&p).unwrap());
            assert_eq!(loaded.update(&p).unwrap(), original.update(&p).unwrap(), "point {i}");
        }
        // Saving again after more learning still round-trips, through a file this time.
        let path = std::env::temp_dir().join(format!("ballast-rcf-artifact-{}.json", std::process::id()));
        loaded.to_artifact().write_file(&path).unwrap();
        let again = RcfDetector::from_artifact(ModelArtifact::read_file(&path).unwrap()).unwrap();
        std::fs::remove_file(&path).unwrap();
        assert_eq!(again.score(&series(2000)).unwrap(), loaded.score(&series(2000)).unwrap());
        assert!(matches!(ModelArtifact::read_file(&path), Err(AnomalyError::Io { .. })));
    }

    #[test]
    fn shared_point_table_keeps_the_artifact_small() {
        // A strong decay keeps each tree's sample among the last ~100 points, so the ten
        // trees of 64 points share most of them.
        let artifact = trained_with_decay(0.05).to_artifact();
        let distinct = artifact.forest.points.0.len() / 8;
        assert!(distinct < 10 * 64 / 2, "{distinct} distinct points");
    }

    #[test]
    fn wrong_kind_version_or_corrupt_state_is_an_error() {
        let artifact = trained().to_artifact();
        let mut other_kind = artifact.clone();
        other_kind.kind = "iforest".into();
        assert!(ModelArtifact::from_json(&other_kind.to_json()).is_err());
        let mut newer = artifact.clone();
        newer.format_version = FORMAT_VERSION + 1;
        assert!(ModelArtifact::from_json(&newer.to_json()).is_err());
        let mut corrupt = artifact.clone();
        corrupt.forest.trees[3].sample_leaf.0[0] = 10_000;
        assert!(RcfDetector::from_artifact(corrupt).is_err());
        let mut short = artifact.clone();
        short.forest.trees[0].leaf_points.0.pop();
        assert!(RcfDetector::from_artifact(short).is_err());
        let mut fewer_trees = artifact.clone();
        fewer_trees.forest.trees.pop();
        assert!(RcfDetector::from_artifact(fewer_trees).is_err());
        assert!(ModelArtifact::from_json("{\"kind\": \"rcf\"}").is_err());
        let json = artifact.to_json().replacen("\"points\":\"", "\"points\":\"#", 1);
        assert!(ModelArtifact::from_json(&json).is_err());
    }
}
