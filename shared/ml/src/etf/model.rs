//! The ETF classifier: text features, a self-organising map trained without labels, and
//! labels named by the reviewed ETFs: the most similar reviewed members on the nearest map
//! nodes vote, blended with a linear label head fitted on the same reviews; plus the
//! complex-product flags from the text. Saved as a versioned JSON artifact.
//!
//! Format 1 holds `format_version`, `kind` ("etf-som"), `model_version`, the configuration,
//! the fitted featuriser (its IDF table), the map (prototypes as little-endian `f32` bytes in
//! base64), the label names, per node the label votes of its neighbourhood and the share of
//! flagged products among its members, the reviewed members (node, labels, sparse
//! features) and the two label heads (weights in base64). Members and heads are optional
//! (older artifacts name by node votes). Loading checks kind, version and every length,
//! and answers an error (never a panic) for a malformed file.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use base64::Engine;
use serde::{Deserialize, Serialize};

use super::features::{sparse_dot, FeatureConfig, Featurizer};
use super::flags::{detect, Evidence, Flags};
use super::head::{Example, HeadConfig, LabelHead};
use super::record::EtfRecord;
use super::som::{Som, SomConfig};

/// The artifact format this code writes and reads.
pub const ETF_FORMAT_VERSION: u32 = 1;
/// The `kind` of ETF classifier artifacts.
pub const ETF_MODEL_KIND: &str = "etf-som";

#[derive(Debug, thiserror::Error)]
pub enum EtfError {
    #[error("invalid ETF model artifact: {0}")]
    Artifact(String),
    #[error("{path}: {source}")]
    Io { path: std::path::PathBuf, source: std::io::Error },
}

/// How the model is fitted. `som.width` or `som.height` 0: the map is sized from the data
/// (`nodes_per_record` nodes per training record, square).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EtfModelConfig {
    pub features: FeatureConfig,
    pub som: SomConfig,
    pub nodes_per_record: f32,
    /// σ (grid steps) of the neighbourhood whose reviewed members name a node; 0: the node alone.
    pub vote_radius: f32,
    /// Nearest nodes whose votes are pooled when classifying...
    pub vote_nodes: usize,
    /// ...weighted by exp(-(d² - d²_best) / temperature).
    pub vote_temperature: f32,
    /// Confidence is the majority share × n / (n + shrink), n the pooled vote mass.
    pub shrink: f64,
    /// Above 0: the reviewed training members on the `vote_nodes` nearest nodes vote, the
    /// `member_k` most similar to the ETF (cosine of the sparse TF-IDF features), each
    /// weighted by similarity^`member_power`. 0 (older artifacts): the nodes' own votes.
    #[serde(default)]
    pub member_k: usize,
    #[serde(default = "default_member_power")]
    pub member_power: f32,
    /// Above 0: a label head (a softmax over the sparse features, fitted on the reviewed
    /// labels) is blended with the members' vote at this weight (1: the head alone).
    /// 0 (older artifacts): the vote alone.
    #[serde(default)]
    pub head_weight: f64,
    #[serde(default)]
    pub head: HeadConfig,
}

fn default_member_power() -> f32 {
    2.0
}

impl Default for EtfModelConfig {
    fn default() -> Self {
        EtfModelConfig {
            // Whole summaries and name words, a little of the name's character n-grams; no
            // family (issuers cut across categories) and no word pairs: the best
            // nearest-member ceiling measured on held-out splits.
            features: FeatureConfig { name_chars: 0.3, summary: 0.7, family: 0.0, ..FeatureConfig::plain() },
            som: SomConfig { width: 0, height: 0, radius_start: 0.0, ..SomConfig::default() },
            nodes_per_record: 1.5,
            vote_radius: 0.5,
            vote_nodes: 400,
            vote_temperature: 0.05,
            shrink: 1.0,
            member_k: 50,
            member_power: 2.0,
            head_weight: 0.7,
            head: HeadConfig::default(),
        }
    }
}

impl EtfModelConfig {
    /// The published kind of baseline: a coarse 6 × 6 map over plain TF-IDF of name and
    /// summary words, each node named by the majority of its own members.
    pub fn baseline() -> Self {
        EtfModelConfig {
            features: FeatureConfig::plain(),
            som: SomConfig { width: 6, height: 6, radius_start: 3.0, ..SomConfig::default() },
            vote_radius: 0.0,
            vote_nodes: 1,
            member_k: 0,
            head_weight: 0.0,
            ..EtfModelConfig::default()
        }
    }
}

/// What the model says about one ETF. Crosses the model endpoint as JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EtfClassification {
    pub symbol: String,
    pub category_group: Option<String>,
    pub category: Option<String>,
    /// Of the category group: in [0, 1].
    pub confidence: f64,
    pub category_confidence: f64,
    /// The best-matching map node.
    pub cluster: usize,
    /// Share of flagged (complex) products among the training members near that node.
    pub complex_neighbourhood: f64,
    pub flags: Flags,
    pub evidence: Vec<Evidence>,
    /// What the input lacked, e.g. "no summary: classified from name and family".
    pub issues: Vec<String>,
    pub model_version: String,
}

/// Why a classification goes to a person, the most serious first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum ReviewReason {
    /// A complex-product flag was raised from the text.
    ComplexProduct { flags: Vec<String> },
    /// No reviewed ETF names the node: no category group.
    NoLabel,
    /// The input lacked text.
    InputIssues { issues: Vec<String> },
    /// The category group's confidence is below the auto-approval level.
    LowConfidence { confidence: f64, threshold: f64 },
    /// No flag, but most neighbours on the map are complex products.
    ComplexNeighbourhood { share: f64 },
}

/// Neighbourhood share of complex members from which an unflagged ETF is sent to review.
const COMPLEX_NEIGHBOURHOOD: f64 = 0.5;

impl EtfClassification {
    /// `None` when the classification may be approved without a person; otherwise the
    /// first reason in [`ReviewReason`]'s order.
    pub fn needs_review(&self, auto_approve_confidence: f64) -> Option<ReviewReason> {
        if self.flags.any() {
            let flags = self.flags.raised().into_iter().map(str::to_string).collect();
            return Some(ReviewReason::ComplexProduct { flags });
        }
        if self.category_group.is_none() {
            return Some(ReviewReason::NoLabel);
        }
        if !self.issues.is_empty() {
            return Some(ReviewReason::InputIssues { issues: self.issues.clone() });
        }
        if self.confidence < auto_approve_confidence {
            return Some(ReviewReason::LowConfidence {
                confidence: self.confidence,
                threshold: auto_approve_confidence,
            });
        }
        if self.complex_neighbourhood >= COMPLEX_NEIGHBOURHOOD {
            return Some(ReviewReason::ComplexNeighbourhood { share: self.complex_neighbourhood });
        }
        None
    }
}

/// Label votes of one node: `(label index, weight)`.
type Votes = Vec<(u32, f32)>;

/// A fitted classifier; also its own artifact (serde).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EtfModel {
    pub format_version: u32,
    pub kind: String,
    pub model_version: String,
    pub trained_records: usize,
    pub config: EtfModelConfig,
    featurizer: Featurizer,
    map: MapState,
    groups: Vec<String>,
    categories: Vec<String>,
    node_groups: Vec<Votes>,
    node_categories: Vec<Votes>,
    node_complex: Vec<f32>,
    /// The reviewed training records on the map (format 1 artifacts without them vote by node).
    #[serde(default)]
    members: Vec<Member>,
    /// Label heads for the group and the category (absent: the vote alone).
    #[serde(default)]
    group_head: Option<LabelHead>,
    #[serde(default)]
    category_head: Option<LabelHead>,
    /// Member indices per node, rebuilt on load.
    #[serde(skip)]
    by_node: Vec<Vec<u32>>,
}

/// A reviewed training record kept to name the map: its node, labels and sparse features.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Member {
    node: u32,
    group: Option<u32>,
    category: Option<u32>,
    features: Vec<(u64, f32)>,
}

fn index_members(members: &[Member], nodes: usize) -> Vec<Vec<u32>> {
    let mut by_node = vec![Vec::new(); nodes];
    for (i, m) in members.iter().enumerate() {
        by_node[m.node as usize].push(i as u32);
    }
    by_node
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct MapState {
    width: usize,
    height: usize,
    dims: usize,
    /// Prototypes, row-major, little-endian `f32` in base64.
    prototypes: String,
    #[serde(skip)]
    som: Option<Som>,
}

impl MapState {
    fn capture(som: Som) -> Self {
        let bytes: Vec<u8> = som.weights.iter().flat_map(|v| v.to_le_bytes()).collect();
        let prototypes = base64::engine::general_purpose::STANDARD.encode(bytes);
        MapState { width: som.width, height: som.height, dims: som.dims, prototypes, som: Some(som) }
    }

    fn restore(&mut self) -> Result<(), EtfError> {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(&self.prototypes)
            .map_err(|e| EtfError::Artifact(format!("prototypes: {e}")))?;
        let expected = self.width.checked_mul(self.height).and_then(|n| n.checked_mul(self.dims * 4));
        if expected != Some(bytes.len()) || self.width == 0 || self.height == 0 {
            return Err(EtfError::Artifact(format!(
                "prototypes hold {} bytes, a {}×{} map of {} values needs {:?}",
                bytes.len(),
                self.width,
                self.height,
                self.dims,
                expected
            )));
        }
        let weights = bytes.chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect();
        self.som = Some(Som { width: self.width, height: self.height, dims: self.dims, weights });
        Ok(())
    }

    fn som(&self) -> &Som {
        self.som.as_ref().expect("the map is restored when the model is built or loaded")
    }
}

/// Index of each distinct label, in sort order (so the order of the training records never
/// changes what an index means).
fn vocabulary<'a>(labels: impl Iterator<Item = Option<&'a str>>) -> (Vec<String>, HashMap<String, u32>) {
    let names: Vec<String> =
        labels.flatten().collect::<std::collections::BTreeSet<&str>>().into_iter().map(str::to_string).collect();
    let index = names.iter().enumerate().map(|(i, l)| (l.clone(), i as u32)).collect();
    (names, index)
}

impl EtfModel {
    /// Fits the featuriser and the map on every record's text (labels unseen), then names
    /// each node from the labelled records on it and its grid neighbours.
    pub fn fit(records: &[EtfRecord], config: &EtfModelConfig) -> EtfModel {
        let featurizer = Featurizer::fit(records, &config.features);
        let sparse: Vec<Vec<(u64, f32)>> = records.iter().map(|r| featurizer.sparse(r)).collect();
        let vectors: Vec<Vec<f32>> = sparse.iter().map(|x| featurizer.dense(x)).collect();
        let mut som_config = config.som.clone();
        if som_config.width == 0 || som_config.height == 0 {
            let nodes = ((records.len() as f32 * config.nodes_per_record).round() as usize).max(4);
            let side = (nodes as f32).sqrt().ceil() as usize;
            som_config.width = side;
            som_config.height = side;
        }
        if som_config.radius_start <= 0.0 {
            som_config.radius_start = (som_config.width.max(som_config.height) as f32 / 3.0).max(1.0);
        }
        let som = Som::train(&vectors, &som_config);
        let best: Vec<usize> = vectors.iter().map(|v| som.best(v)).collect();

        let (groups, group_index) = vocabulary(records.iter().map(|r| r.category_group.as_deref()));
        let (categories, category_index) = vocabulary(records.iter().map(|r| r.category.as_deref()));
        let group_of: Vec<Option<u32>> =
            records.iter().map(|r| r.category_group.as_ref().map(|l| group_index[l])).collect();
        let category_of: Vec<Option<u32>> =
            records.iter().map(|r| r.category.as_ref().map(|l| category_index[l])).collect();
        let node_groups = node_votes(&som, &best, &group_of, config.vote_radius);
        let node_categories = node_votes(&som, &best, &category_of, config.vote_radius);
        let complex: Vec<Option<u32>> = records.iter().map(|r| Some(u32::from(detect(r).0.any()))).collect();
        let node_complex = node_votes(&som, &best, &complex, config.vote_radius.max(0.5))
            .iter()
            .map(|v| {
                let total = v.iter().fold(0.0f32, |t, (_, w)| t + w);
                let flagged = v.iter().filter(|(l, _)| *l == 1).fold(0.0f32, |t, (_, w)| t + w);
                if total > 0.0 {
                    flagged / total
                } else {
                    0.0
                }
            })
            .collect();

        let members: Vec<Member> = if config.member_k > 0 {
            sparse
                .into_iter()
                .zip(&best)
                .zip(group_of.iter().zip(&category_of))
                .filter(|(_, (g, c))| g.is_some() || c.is_some())
                .map(|((features, &b), (&group, &category))| Member { node: b as u32, group, category, features })
                .collect()
        } else {
            Vec::new()
        };
        let head = |label: fn(&Member) -> Option<u32>, names: &[String]| {
            if config.head_weight <= 0.0 {
                return None;
            }
            let examples: Vec<Example> =
                members.iter().filter_map(|m| label(m).map(|y| (m.features.as_slice(), y))).collect();
            LabelHead::fit(&examples, names.len(), &config.head)
        };
        let group_head = head(|m| m.group, &groups);
        let category_head = head(|m| m.category, &categories);
        let by_node = index_members(&members, som.nodes());
        let map = MapState::capture(som);
        let heads = serde_json::to_string(&(&group_head, &category_head)).expect("heads hold finite numbers");
        let model_version =
            format!("{ETF_MODEL_KIND}-v{ETF_FORMAT_VERSION}-{:016x}", fingerprint(&(map.prototypes.clone() + &heads)));
        EtfModel {
            format_version: ETF_FORMAT_VERSION,
            kind: ETF_MODEL_KIND.to_string(),
            model_version,
            trained_records: records.len(),
            config: config.clone(),
            featurizer,
            map,
            groups,
            categories,
            node_groups,
            node_categories,
            node_complex,
            members,
            group_head,
            category_head,
            by_node,
        }
    }

    /// The map's shape (width, height).
    pub fn map_shape(&self) -> (usize, usize) {
        (self.map.width, self.map.height)
    }

    /// Classifies one ETF from its name, summary and family; labels on the record are ignored.
    pub fn classify(&self, record: &EtfRecord) -> EtfClassification {
        let (flags, evidence) = detect(record);
        let mut issues = record.input_issues();
        let features = self.featurizer.sparse(record);
        let x = self.featurizer.dense(&features);
        let som = self.map.som();
        let near = som.nearest(&x, self.config.vote_nodes.max(1));
        let weights: Vec<(usize, f32)> =
            near.iter().map(|&(n, d)| (n, (-(d - near[0].1) / self.config.vote_temperature.max(1e-6)).exp())).collect();
        let no_text = x.iter().all(|v| *v == 0.0);
        let ((group, confidence), (category, category_confidence)) = if no_text {
            ((None, 0.0), (None, 0.0))
        } else if self.config.member_k > 0 && !self.members.is_empty() {
            self.member_vote(&features, &near)
        } else {
            (
                self.vote(&self.node_groups, &self.groups, &weights),
                self.vote(&self.node_categories, &self.categories, &weights),
            )
        };
        if no_text {
            issues.push("no text to classify from".to_string());
        }
        let cluster = near[0].0;
        EtfClassification {
            symbol: record.symbol.clone(),
            category_group: group,
            category,
            confidence,
            category_confidence,
            cluster,
            complex_neighbourhood: f64::from(self.node_complex.get(cluster).copied().unwrap_or(0.0)),
            flags,
            evidence,
            issues,
            model_version: self.model_version.clone(),
        }
    }

    /// Group and category named by the reviewed members of the nearest nodes: the
    /// `member_k` most similar members that carry each label vote, weighted by cosine
    /// similarity^`member_power`; blended with the label heads when the model has them.
    fn member_vote(&self, x: &[(u64, f32)], near: &[(usize, f32)]) -> ((Option<String>, f64), (Option<String>, f64)) {
        let mut candidates: Vec<(f32, &Member)> = near
            .iter()
            .flat_map(|&(n, _)| self.by_node[n].iter().map(|&i| &self.members[i as usize]))
            .map(|m| (sparse_dot(x, &m.features), m))
            .collect();
        candidates.sort_by(|a, b| b.0.total_cmp(&a.0));
        let name = |label: fn(&Member) -> Option<u32>, names: &[String], head: Option<&LabelHead>| {
            // Each label's share of the vote, shrunk towards "unsure" when few voted.
            let mut shares = vec![0.0f64; names.len()];
            let mut voters = 0usize;
            for (s, l) in candidates.iter().filter_map(|(s, m)| label(m).map(|l| (*s, l))).take(self.config.member_k) {
                shares[l as usize] += f64::from(s.max(1e-6).powf(self.config.member_power));
                voters += 1;
            }
            let total: f64 = shares.iter().sum();
            if total > 0.0 {
                let n = voters as f64;
                shares.iter_mut().for_each(|v| *v *= n / (total * (n + self.config.shrink)));
            }
            let head = head.filter(|h| h.labels() == names.len() && self.config.head_weight > 0.0);
            let blended: Vec<f64> = match head {
                Some(h) if total > 0.0 => {
                    let a = self.config.head_weight.min(1.0);
                    h.probabilities(x).iter().zip(&shares).map(|(p, v)| a * p + (1.0 - a) * v).collect()
                }
                Some(h) => h.probabilities(x),
                None if total > 0.0 => shares,
                None => return (None, 0.0),
            };
            // Of equal shares, the first label name in sort order.
            let Some(best) = (0..blended.len().min(names.len()))
                .max_by(|&a, &b| blended[a].total_cmp(&blended[b]).then_with(|| names[b].cmp(&names[a])))
            else {
                return (None, 0.0);
            };
            (names.get(best).cloned(), blended[best].clamp(0.0, 1.0))
        };
        (
            name(|m| m.group, &self.groups, self.group_head.as_ref()),
            name(|m| m.category, &self.categories, self.category_head.as_ref()),
        )
    }

    /// The pooled majority label of the nearest nodes and its shrunk share.
    fn vote(&self, table: &[Votes], names: &[String], near: &[(usize, f32)]) -> (Option<String>, f64) {
        let mut pooled: BTreeMap<u32, f64> = BTreeMap::new();
        let mut mass = 0.0;
        for &(node, w) in near {
            for &(label, v) in &table[node] {
                *pooled.entry(label).or_default() += f64::from(w) * f64::from(v);
            }
            mass += f64::from(w);
        }
        let total: f64 = pooled.values().sum();
        let Some((&label, &top)) = majority(&pooled, names) else {
            return (None, 0.0);
        };
        let n = total / mass.max(1e-9);
        let confidence = (top / total) * n / (n + self.config.shrink);
        (names.get(label as usize).cloned(), confidence.clamp(0.0, 1.0))
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("an ETF model holds only finite numbers and strings")
    }

    /// Parses an artifact, checking its kind, version and shapes.
    pub fn from_json(json: &str) -> Result<Self, EtfError> {
        let mut model: EtfModel = serde_json::from_str(json).map_err(|e| EtfError::Artifact(e.to_string()))?;
        if model.kind != ETF_MODEL_KIND {
            return Err(EtfError::Artifact(format!("kind {:?}, expected {ETF_MODEL_KIND:?}", model.kind)));
        }
        if model.format_version != ETF_FORMAT_VERSION {
            return Err(EtfError::Artifact(format!(
                "format version {}, this build reads {ETF_FORMAT_VERSION}",
                model.format_version
            )));
        }
        model.map.restore()?;
        let nodes = model.map.width * model.map.height;
        if model.map.dims != model.featurizer.config.dims {
            return Err(EtfError::Artifact("the map's dimensions differ from the features'".into()));
        }
        for (table, names, what) in [
            (&model.node_groups, model.groups.len(), "category group"),
            (&model.node_categories, model.categories.len(), "category"),
        ] {
            if table.len() != nodes || table.iter().flatten().any(|&(l, w)| l as usize >= names || !w.is_finite()) {
                return Err(EtfError::Artifact(format!("{what} votes do not match the map and the label names")));
            }
        }
        if model.node_complex.len() != nodes {
            return Err(EtfError::Artifact("complex shares do not match the map".into()));
        }
        let bad_member = |m: &Member| {
            m.node as usize >= nodes
                || m.group.is_some_and(|g| g as usize >= model.groups.len())
                || m.category.is_some_and(|c| c as usize >= model.categories.len())
                || m.features.iter().any(|(_, v)| !v.is_finite())
        };
        if model.members.iter().any(bad_member) {
            return Err(EtfError::Artifact("a member's node, labels or features do not match the map".into()));
        }
        for (head, names, what) in [
            (&model.group_head, model.groups.len(), "category group"),
            (&model.category_head, model.categories.len(), "category"),
        ] {
            if head.as_ref().is_some_and(|h| h.labels() != names) {
                return Err(EtfError::Artifact(format!("the {what} head's labels do not match the label names")));
            }
        }
        model.by_node = index_members(&model.members, nodes);
        model.featurizer.index();
        Ok(model)
    }

    pub fn write_file(&self, path: &Path) -> Result<(), EtfError> {
        std::fs::write(path, self.to_json()).map_err(|e| EtfError::Io { path: path.to_path_buf(), source: e })
    }

    pub fn read_file(path: &Path) -> Result<Self, EtfError> {
        let json = std::fs::read_to_string(path).map_err(|e| EtfError::Io { path: path.to_path_buf(), source: e })?;
        Self::from_json(&json)
    }
}

/// For each node, the labels of the labelled records near it on the grid, weighted by a
/// Gaussian of grid distance (σ = `radius`; 0: the node alone). A node with no labelled
/// record in reach borrows, at half weight, from the nearest nodes on the grid that have one.
fn node_votes(som: &Som, best: &[usize], labels: &[Option<u32>], radius: f32) -> Vec<Votes> {
    let nodes = som.nodes();
    let mut members: Vec<HashMap<u32, f32>> = vec![HashMap::new(); nodes];
    for (&b, label) in best.iter().zip(labels) {
        if let Some(l) = label {
            *members[b].entry(*l).or_default() += 1.0;
        }
    }
    let labelled: Vec<usize> = (0..nodes).filter(|&n| !members[n].is_empty()).collect();
    let reach2 = (3.0 * radius).powi(2);
    (0..nodes)
        .map(|n| {
            let mut votes: HashMap<u32, f32> = HashMap::new();
            for &m in &labelled {
                let g2 = som.grid_distance2(n, m);
                let w = if m == n {
                    1.0
                } else if radius > 0.0 && g2 <= reach2 {
                    (-g2 / (2.0 * radius * radius)).exp()
                } else {
                    continue;
                };
                for (&l, &c) in &members[m] {
                    *votes.entry(l).or_default() += w * c;
                }
            }
            if votes.is_empty() {
                let nearest = labelled.iter().map(|&m| som.grid_distance2(n, m)).fold(f32::INFINITY, f32::min);
                for &m in labelled.iter().filter(|&&m| som.grid_distance2(n, m) == nearest) {
                    for (&l, &c) in &members[m] {
                        *votes.entry(l).or_default() += 0.5 * c;
                    }
                }
            }
            let mut v: Votes = votes.into_iter().filter(|(_, w)| *w > 1e-4).collect();
            v.sort_unstable_by_key(|&(l, _)| l);
            v
        })
        .collect()
}

/// The label with the most weight; of equal weights, the first label name in sort order
/// (not the first seen, so the order of the training records does not decide a tie).
fn majority<'a>(pooled: &'a BTreeMap<u32, f64>, names: &[String]) -> Option<(&'a u32, &'a f64)> {
    let name = |l: &u32| names.get(*l as usize);
    pooled.iter().max_by(|a, b| a.1.total_cmp(b.1).then_with(|| name(b.0).cmp(&name(a.0))))
}

/// FNV-1a of the prototypes and heads: two models share a version only if they are equal.
fn fingerprint(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reviewed funds of three kinds in two groups, sharing a boilerplate sentence.
    fn reviewed() -> Vec<EtfRecord> {
        let kinds = [
            (
                "Municipal Tax-Exempt Bond",
                "municipal bonds exempt from federal income tax",
                "Fixed Income",
                "Municipal Bonds",
            ),
            ("Treasury Bond", "United States Treasury notes and bonds", "Fixed Income", "Treasury Bonds"),
            ("Small Cap Equity", "common stocks of small capitalisation companies", "Equities", "Small Cap"),
        ];
        let issuers = ["Alpha", "Beacon", "Cedar", "Delta", "Ember", "Fjord", "Grove", "Harbor", "Iris", "Juniper"];
        kinds
            .iter()
            .flat_map(|&(name, what, group, category)| {
                issuers.iter().enumerate().map(move |(i, issuer)| EtfRecord {
                    symbol: format!("{}{i}", &category[..3].to_uppercase()),
                    name: format!("{issuer} {name} ETF"),
                    summary: Some(format!(
                        "The investment seeks to track an index. The fund invests at least 80% of its assets in {what}."
                    )),
                    family: Some(format!("{issuer} Funds")),
                    category_group: Some(group.to_string()),
                    category: Some(category.to_string()),
                    ..EtfRecord::default()
                })
            })
            .collect()
    }

    fn new_fund(name: &str, summary: &str) -> EtfRecord {
        EtfRecord { symbol: "NEW".into(), name: name.into(), summary: Some(summary.into()), ..EtfRecord::default() }
    }

    #[test]
    fn a_new_fund_is_named_by_what_its_text_shares_with_reviewed_ones() {
        let model = EtfModel::fit(&reviewed(), &EtfModelConfig::default());
        let muni = model.classify(&new_fund(
            "Kestrel Municipal Bond ETF",
            "The fund invests at least 80% of its assets in municipal bonds exempt from federal income tax.",
        ));
        assert_eq!(muni.category.as_deref(), Some("Municipal Bonds"), "{muni:?}");
        assert_eq!(muni.category_group.as_deref(), Some("Fixed Income"));
        assert!(muni.confidence > 0.5 && muni.confidence <= 1.0, "{}", muni.confidence);
        let small = model.classify(&new_fund(
            "Kestrel Small Cap ETF",
            "The fund invests at least 80% of its assets in common stocks of small capitalisation companies.",
        ));
        assert_eq!(small.category.as_deref(), Some("Small Cap"), "{small:?}");
        assert_eq!(small.category_group.as_deref(), Some("Equities"));
    }

    #[test]
    fn the_artifact_classifies_as_the_fitted_model_does() {
        let model = EtfModel::fit(&reviewed(), &EtfModelConfig::default());
        let back = EtfModel::from_json(&model.to_json()).unwrap();
        let fund = new_fund("Kestrel Treasury Bond ETF", "United States Treasury notes.");
        assert_eq!(back.classify(&fund), model.classify(&fund));
    }

    #[test]
    fn an_artifact_without_label_heads_still_loads_and_names_by_the_vote() {
        let model = EtfModel::fit(&reviewed(), &EtfModelConfig::default());
        let mut json: serde_json::Value = serde_json::from_str(&model.to_json()).unwrap();
        let fields = json.as_object_mut().unwrap();
        fields.remove("group_head");
        fields.remove("category_head");
        let config = fields["config"].as_object_mut().unwrap();
        config.remove("head_weight");
        config.remove("head");
        let older = EtfModel::from_json(&json.to_string()).unwrap();
        let c = older.classify(&new_fund("Kestrel Small Cap ETF", "common stocks of small capitalisation companies"));
        assert_eq!(c.category.as_deref(), Some("Small Cap"), "{c:?}");
    }

    #[test]
    fn a_head_that_does_not_match_the_label_names_is_refused() {
        let model = EtfModel::fit(&reviewed(), &EtfModelConfig::default());
        let mut json: serde_json::Value = serde_json::from_str(&model.to_json()).unwrap();
        // Two groups, three categories: the group head cannot name categories.
        json["category_head"] = json["group_head"].clone();
        let e = EtfModel::from_json(&json.to_string()).unwrap_err().to_string();
        assert!(e.contains("category head"), "{e}");
    }
}
