//! Text features of an ETF: hashed words, word pairs and name character n-grams from the
//! name, summary and family, TF-IDF weighted per field, then projected to a short dense
//! vector (a seeded random ±1 projection) so the map's prototypes stay small.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

use super::record::EtfRecord;
use crate::anomaly::rng::SplitMix64;

/// Which text goes into the vector, and with what weight.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeatureConfig {
    /// Length of the dense vector the map sees (a multiple of 64).
    pub dims: usize,
    /// Weight of each field's block (each block is L2-normalised before weighting).
    pub name_words: f32,
    pub name_chars: f32,
    pub family: f32,
    pub summary: f32,
    /// Word pairs beside single words.
    pub bigrams: bool,
    /// Character n-gram lengths taken from the name's words (inclusive).
    pub char_ngrams: (usize, usize),
    /// Only the first words of a summary count (the objective comes first).
    pub summary_words: usize,
    /// Seed of the random projection.
    pub seed: u64,
}

impl Default for FeatureConfig {
    fn default() -> Self {
        FeatureConfig {
            dims: 256,
            name_words: 1.0,
            name_chars: 0.6,
            family: 0.5,
            summary: 0.8,
            bigrams: true,
            char_ngrams: (3, 5),
            summary_words: 120,
            seed: 0x5eed_e7f5,
        }
    }
}

impl FeatureConfig {
    /// Plain TF-IDF of the words of name and summary, as published baselines use.
    pub fn plain() -> Self {
        FeatureConfig {
            name_words: 1.0,
            name_chars: 0.0,
            family: 0.0,
            summary: 1.0,
            bigrams: false,
            summary_words: usize::MAX,
            ..FeatureConfig::default()
        }
    }
}

/// Feature hashes of one record, one list per field block.
struct Blocks([Vec<u64>; 4]);

/// The fitted featuriser: the configuration and the inverse document frequencies learned
/// from the training records (features seen once or never get the rarest weight).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Featurizer {
    pub config: FeatureConfig,
    pub documents: usize,
    /// `(feature hash, idf)` for features seen in at least two training records, sorted.
    idf: Vec<(u64, f32)>,
    #[serde(skip)]
    lookup: HashMap<u64, f32>,
}

impl Featurizer {
    pub fn fit(records: &[EtfRecord], config: &FeatureConfig) -> Featurizer {
        let mut df: HashMap<u64, u32> = HashMap::new();
        for r in records {
            let mut seen: Vec<u64> = blocks(r, config).0.into_iter().flatten().collect();
            seen.sort_unstable();
            seen.dedup();
            for h in seen {
                *df.entry(h).or_default() += 1;
            }
        }
        let n = records.len() as f32;
        let mut idf: Vec<(u64, f32)> = df
            .into_iter()
            .filter(|&(_, d)| d >= 2)
            .map(|(h, d)| (h, ((1.0 + n) / (1.0 + d as f32)).ln() + 1.0))
            .collect();
        idf.sort_unstable_by_key(|&(h, _)| h);
        let mut f = Featurizer { config: config.clone(), documents: records.len(), idf, lookup: HashMap::new() };
        f.index();
        f
    }

    /// Builds the lookup table after deserialising.
    pub(crate) fn index(&mut self) {
        self.lookup = self.idf.iter().copied().collect();
    }

    fn rare_idf(&self) -> f32 {
        ((1.0 + self.documents as f32) / 2.0).ln() + 1.0
    }

    /// The weighted TF-IDF features of a record: `(hash, value)`, L2-normalised as a whole.
    pub fn sparse(&self, record: &EtfRecord) -> Vec<(u64, f32)> {
        let weights = [self.config.name_words, self.config.name_chars, self.config.family, self.config.summary];
        let mut out = Vec::new();
        for (hashes, w) in blocks(record, &self.config).0.into_iter().zip(weights) {
            if w == 0.0 || hashes.is_empty() {
                continue;
            }
            // Ordered: the norm below sums in the same order on every run.
            let mut tf: BTreeMap<u64, f32> = BTreeMap::new();
            for h in hashes {
                *tf.entry(h).or_default() += 1.0;
            }
            let block: Vec<(u64, f32)> = tf
                .into_iter()
                .map(|(h, c)| (h, (1.0 + c.ln()) * self.lookup.get(&h).copied().unwrap_or_else(|| self.rare_idf())))
                .collect();
            let norm = block.iter().map(|(_, v)| v * v).sum::<f32>().sqrt();
            out.extend(block.into_iter().map(|(h, v)| (h, w * v / norm)));
        }
        normalise_sparse(&mut out);
        out.sort_unstable_by_key(|&(h, _)| h);
        out
    }

    /// The dense vector the map sees: the sparse features through a seeded ±1 projection,
    /// L2-normalised (all zeros for a record with no text at all).
    pub fn embed(&self, record: &EtfRecord) -> Vec<f32> {
        self.dense(&self.sparse(record))
    }

    /// The dense vector of features already made by [`Featurizer::sparse`].
    pub fn dense(&self, sparse: &[(u64, f32)]) -> Vec<f32> {
        project(sparse, self.config.dims, self.config.seed)
    }
}

/// Dot product of two sparse vectors sorted by feature (their cosine when both are unit length).
pub fn sparse_dot(a: &[(u64, f32)], b: &[(u64, f32)]) -> f32 {
    let (mut i, mut j, mut s) = (0, 0, 0.0);
    while i < a.len() && j < b.len() {
        match a[i].0.cmp(&b[j].0) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                s += a[i].1 * b[j].1;
                i += 1;
                j += 1;
            }
        }
    }
    s
}

fn normalise_sparse(v: &mut [(u64, f32)]) {
    let norm = v.iter().map(|(_, x)| x * x).sum::<f32>().sqrt();
    if norm > 0.0 {
        v.iter_mut().for_each(|(_, x)| *x /= norm);
    }
}

/// Each feature adds ±value to every output dimension, the signs drawn from the feature's
/// hash (so the projection needs no stored matrix).
pub fn project(features: &[(u64, f32)], dims: usize, seed: u64) -> Vec<f32> {
    let mut out = vec![0.0f32; dims];
    for &(h, v) in features {
        let mut signs = SplitMix64::new(h ^ seed);
        for chunk in out.chunks_mut(64) {
            let bits = signs.next_u64();
            for (i, o) in chunk.iter_mut().enumerate() {
                *o += if bits >> i & 1 == 1 { v } else { -v };
            }
        }
    }
    let norm = out.iter().map(|x| x * x).sum::<f32>().sqrt();
    if norm > 0.0 {
        out.iter_mut().for_each(|x| *x /= norm);
    }
    out
}

/// FNV-1a of a field tag and a token: stable across builds and platforms.
fn hash(tag: u8, token: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ u64::from(tag);
    h = h.wrapping_mul(0x0100_0000_01b3);
    for b in token.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// Lower-case words: letters, digits and `&` (so "S&P" stays one word).
pub fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !(c.is_alphanumeric() || c == '&'))
        .filter(|w| !w.is_empty() && *w != "&")
        .map(str::to_lowercase)
        .collect()
}

fn word_features(tag: u8, words: &[String], bigrams: bool, out: &mut Vec<u64>) {
    out.extend(words.iter().map(|w| hash(tag, w)));
    if bigrams {
        out.extend(words.windows(2).map(|p| hash(tag + 1, &format!("{} {}", p[0], p[1]))));
    }
}

fn blocks(r: &EtfRecord, c: &FeatureConfig) -> Blocks {
    let name = words(&r.name);
    let mut name_words = Vec::new();
    word_features(1, &name, c.bigrams, &mut name_words);
    let mut chars = Vec::new();
    if c.name_chars > 0.0 {
        for w in &name {
            let padded: Vec<char> = format!("<{w}>").chars().collect();
            for n in c.char_ngrams.0..=c.char_ngrams.1 {
                for g in padded.windows(n) {
                    chars.push(hash(3, &g.iter().collect::<String>()));
                }
            }
        }
    }
    let mut family = Vec::new();
    if let Some(f) = r.family.as_deref() {
        // The whole family as one token (an issuer), and its words (issuers share them).
        family.push(hash(4, &f.to_lowercase()));
        family.extend(words(f).iter().map(|w| hash(5, w)));
    }
    let mut summary = Vec::new();
    if let Some(s) = r.summary.as_deref() {
        let w: Vec<String> = words(s).into_iter().take(c.summary_words).collect();
        word_features(6, &w, c.bigrams, &mut summary);
    }
    Blocks([name_words, chars, family, summary])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn etf(name: &str, summary: &str, family: &str) -> EtfRecord {
        EtfRecord {
            symbol: name.into(),
            name: name.into(),
            summary: Some(summary.into()),
            family: Some(family.into()),
            ..EtfRecord::default()
        }
    }

    fn cosine(a: &[f32], b: &[f32]) -> f32 {
        a.iter().zip(b).map(|(x, y)| x * y).sum()
    }

    #[test]
    fn similar_funds_are_closer_than_different_ones_and_vectors_are_unit_length() {
        let records = [
            etf("iShares Core S&P 500 ETF", "tracks large cap US stocks", "BlackRock"),
            etf("SPDR S&P 500 ETF Trust", "tracks large cap US stocks", "State Street"),
            etf("iShares 20+ Year Treasury Bond ETF", "invests in long treasury bonds", "BlackRock"),
            etf("Vanguard Total Bond Market ETF", "invests in investment grade bonds", "Vanguard"),
        ];
        let f = Featurizer::fit(&records, &FeatureConfig::default());
        let v: Vec<Vec<f32>> = records.iter().map(|r| f.embed(r)).collect();
        for x in &v {
            assert!((cosine(x, x) - 1.0).abs() < 1e-4);
        }
        assert!(cosine(&v[0], &v[1]) > cosine(&v[0], &v[2]) + 0.1);
        assert!(cosine(&v[0], &v[1]) > cosine(&v[0], &v[3]) + 0.1);
    }

    #[test]
    fn the_same_record_gives_the_same_vector_after_a_round_trip() {
        let records = [etf("A Fund", "stocks", "X"), etf("B Fund", "bonds", "X")];
        let f = Featurizer::fit(&records, &FeatureConfig::default());
        let mut back: Featurizer = serde_json::from_str(&serde_json::to_string(&f).unwrap()).unwrap();
        back.index();
        assert_eq!(back.embed(&records[0]), f.embed(&records[0]));
        let empty = EtfRecord::default();
        assert!(f.embed(&empty).iter().all(|x| *x == 0.0));
    }

    #[test]
    fn words_keep_ampersands_and_drop_punctuation() {
        assert_eq!(words("S&P 500 Bull 3X, Shares"), ["s&p", "500", "bull", "3x", "shares"]);
    }
}
