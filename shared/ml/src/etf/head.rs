//! The label head: a linear softmax over the sparse TF-IDF features, fitted on the reviewed
//! ETFs' labels. The map's neighbourhood vote names an ETF from the few members closest to
//! it; the head learns which words separate the labels over all of them (a name with
//! "Municipal" in it says more than a summary's shared boilerplate). The two are blended.
//!
//! Fitted by full-batch Adam on the mean cross-entropy plus an L2 penalty, in a fixed order
//! (examples sorted, in parallel for the forward pass, one label per task for the
//! gradient), so the same examples give the same weights whatever their order and the
//! thread count.

use std::collections::HashMap;

use base64::Engine;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

/// How a head is fitted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HeadConfig {
    /// L2 penalty per weight, against the mean loss (sklearn's `C` is `1 / (l2 · n)`).
    pub l2: f32,
    /// Full-batch Adam steps, and their size.
    pub steps: usize,
    pub learning_rate: f32,
    /// A feature gets a weight only if at least this many training examples carry it.
    pub min_examples: usize,
}

impl Default for HeadConfig {
    fn default() -> Self {
        HeadConfig { l2: 1e-4, steps: 100, learning_rate: 0.1, min_examples: 2 }
    }
}

/// A fitted head: `labels` classes over the features in `features` (sorted hashes).
#[derive(Debug, Clone, PartialEq)]
pub struct LabelHead {
    labels: usize,
    features: Vec<u64>,
    /// One row of `labels` weights per feature.
    weights: Vec<f32>,
    bias: Vec<f32>,
    lookup: HashMap<u64, u32>,
}

/// One training example: sparse features and a label index below `labels`.
pub type Example<'a> = (&'a [(u64, f32)], u32);

impl LabelHead {
    /// Fits on `examples`; `None` when they hold fewer than two distinct labels (nothing
    /// to separate) or a label index not below `labels`.
    pub fn fit(examples: &[Example<'_>], labels: usize, config: &HeadConfig) -> Option<LabelHead> {
        if examples.iter().any(|&(_, y)| y as usize >= labels) {
            return None;
        }
        let mut seen = vec![false; labels];
        for &(_, y) in examples {
            seen[y as usize] = true;
        }
        if seen.iter().filter(|s| **s).count() < 2 {
            return None;
        }
        let mut df: HashMap<u64, usize> = HashMap::new();
        for (x, _) in examples {
            for &(h, _) in *x {
                *df.entry(h).or_default() += 1;
            }
        }
        let mut features: Vec<u64> =
            df.into_iter().filter(|&(_, d)| d >= config.min_examples.max(1)).map(|(h, _)| h).collect();
        features.sort_unstable();
        let lookup: HashMap<u64, u32> = features.iter().enumerate().map(|(i, &h)| (h, i as u32)).collect();
        // A canonical order (label, then features), so the order the examples come in never
        // changes a rounding and the fitted weights are a function of the set alone.
        let mut examples: Vec<Example> = examples.to_vec();
        examples.sort_by_cached_key(|(x, y)| (*y, x.iter().map(|&(h, v)| (h, v.to_bits())).collect::<Vec<_>>()));
        let rows: Vec<Vec<(u32, f32)>> = examples
            .iter()
            .map(|(x, _)| x.iter().filter_map(|(h, v)| lookup.get(h).map(|&c| (c, *v))).collect())
            .collect();
        let (f, k, n) = (features.len(), labels, examples.len() as f32);
        let mut head = LabelHead { labels, features, weights: vec![0.0; f * k], bias: vec![0.0; k], lookup };

        // Adam state: weights then biases, one flat vector of parameters.
        let params = f * k + k;
        let (mut m, mut v) = (vec![0.0f32; params], vec![0.0f32; params]);
        let (b1, b2, eps) = (0.9f32, 0.999f32, 1e-8f32);
        for step in 1..=config.steps {
            // Forward: the softmax of each example, minus its one-hot label.
            let residual: Vec<Vec<f32>> = rows
                .par_iter()
                .zip(examples.par_iter())
                .map(|(row, &(_, y))| {
                    let mut p = head.logits(row);
                    softmax(&mut p);
                    p[y as usize] -= 1.0;
                    p
                })
                .collect();
            // Gradient per label, each summed in example order.
            let by_label: Vec<(Vec<f32>, f32)> = (0..k)
                .into_par_iter()
                .map(|label| {
                    let mut g = vec![0.0f32; f];
                    let mut gb = 0.0f32;
                    for (row, r) in rows.iter().zip(&residual) {
                        let d = r[label];
                        gb += d;
                        for &(c, x) in row {
                            g[c as usize] += x * d;
                        }
                    }
                    (g, gb)
                })
                .collect();
            let (c1, c2) = (1.0 - b1.powi(step as i32), 1.0 - b2.powi(step as i32));
            let mut adam = |i: usize, w: &mut f32, grad: f32| {
                m[i] = b1 * m[i] + (1.0 - b1) * grad;
                v[i] = b2 * v[i] + (1.0 - b2) * grad * grad;
                *w -= config.learning_rate * (m[i] / c1) / ((v[i] / c2).sqrt() + eps);
            };
            for (label, (g, gb)) in by_label.iter().enumerate() {
                for (c, &gc) in g.iter().enumerate() {
                    let i = c * k + label;
                    let w = &mut head.weights[i];
                    let grad = gc / n + config.l2 * *w;
                    adam(i, w, grad);
                }
                adam(f * k + label, &mut head.bias[label], gb / n);
            }
        }
        Some(head)
    }

    fn logits(&self, row: &[(u32, f32)]) -> Vec<f32> {
        let k = self.labels;
        let mut z = self.bias.clone();
        for &(c, x) in row {
            let w = &self.weights[c as usize * k..(c as usize + 1) * k];
            for (zi, wi) in z.iter_mut().zip(w) {
                *zi += x * wi;
            }
        }
        z
    }

    /// The probability of each label for sparse features `x` (unknown features ignored).
    pub fn probabilities(&self, x: &[(u64, f32)]) -> Vec<f64> {
        let row: Vec<(u32, f32)> = x.iter().filter_map(|(h, v)| self.lookup.get(h).map(|&c| (c, *v))).collect();
        let mut z = self.logits(&row);
        softmax(&mut z);
        z.into_iter().map(f64::from).collect()
    }

    pub fn labels(&self) -> usize {
        self.labels
    }
}

fn softmax(z: &mut [f32]) {
    let max = z.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let mut total = 0.0;
    for v in z.iter_mut() {
        *v = (*v - max).exp();
        total += *v;
    }
    for v in z.iter_mut() {
        *v /= total;
    }
}

/// The artifact form: little-endian arrays in base64.
#[derive(Serialize, Deserialize)]
struct Stored {
    labels: usize,
    features: String,
    weights: String,
    bias: Vec<f32>,
}

fn encode<const N: usize>(bytes: impl Iterator<Item = [u8; N]>) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes.flatten().collect::<Vec<u8>>())
}

fn decode<const N: usize>(text: &str, what: &str) -> Result<Vec<[u8; N]>, String> {
    let bytes = base64::engine::general_purpose::STANDARD.decode(text).map_err(|e| format!("{what}: {e}"))?;
    if bytes.len() % N != 0 {
        return Err(format!("{what}: {} bytes is not a whole number of values", bytes.len()));
    }
    Ok(bytes.chunks_exact(N).map(|c| c.try_into().expect("chunks of N bytes")).collect())
}

impl Serialize for LabelHead {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        Stored {
            labels: self.labels,
            features: encode(self.features.iter().map(|h| h.to_le_bytes())),
            weights: encode(self.weights.iter().map(|w| w.to_le_bytes())),
            bias: self.bias.clone(),
        }
        .serialize(s)
    }
}

impl<'de> Deserialize<'de> for LabelHead {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        let s = Stored::deserialize(d)?;
        let features: Vec<u64> = decode(&s.features, "head features")
            .map_err(D::Error::custom)?
            .into_iter()
            .map(u64::from_le_bytes)
            .collect();
        let weights: Vec<f32> =
            decode(&s.weights, "head weights").map_err(D::Error::custom)?.into_iter().map(f32::from_le_bytes).collect();
        if s.labels == 0 || s.bias.len() != s.labels || Some(weights.len()) != features.len().checked_mul(s.labels) {
            return Err(D::Error::custom(format!(
                "a head of {} labels needs {} biases and {} × {} weights; it has {} and {}",
                s.labels,
                s.labels,
                features.len(),
                s.labels,
                s.bias.len(),
                weights.len()
            )));
        }
        if weights.iter().chain(&s.bias).any(|w| !w.is_finite()) {
            return Err(D::Error::custom("a head weight is not a finite number"));
        }
        let lookup = features.iter().enumerate().map(|(i, &h)| (h, i as u32)).collect();
        Ok(LabelHead { labels: s.labels, features, weights, bias: s.bias, lookup })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two labels told apart by one feature each, plus a shared feature that says nothing.
    fn data() -> Vec<(Vec<(u64, f32)>, u32)> {
        (0..40).map(|i| (vec![(7, 0.6), (if i % 2 == 0 { 1 } else { 2 }, 0.8)], (i % 2) as u32)).collect()
    }

    #[test]
    fn it_learns_the_separating_feature_and_ignores_the_shared_one() {
        let d = data();
        let ex: Vec<Example> = d.iter().map(|(x, y)| (x.as_slice(), *y)).collect();
        let head = LabelHead::fit(&ex, 2, &HeadConfig::default()).unwrap();
        let p = head.probabilities(&[(1, 1.0)]);
        assert!(p[0] > 0.9, "{p:?}");
        let q = head.probabilities(&[(2, 1.0)]);
        assert!(q[1] > 0.9, "{q:?}");
        let shared = head.probabilities(&[(7, 1.0)]);
        assert!((shared[0] - 0.5).abs() < 0.1, "{shared:?}");
        assert!((p.iter().sum::<f64>() - 1.0).abs() < 1e-6);
    }

    #[test]
    fn the_fit_is_the_same_on_one_thread_and_on_four_and_survives_the_artifact() {
        let d = data();
        let ex: Vec<Example> = d.iter().map(|(x, y)| (x.as_slice(), *y)).collect();
        let pool = |n| rayon::ThreadPoolBuilder::new().num_threads(n).build().unwrap();
        let one = pool(1).install(|| LabelHead::fit(&ex, 2, &HeadConfig::default()).unwrap());
        let four = pool(4).install(|| LabelHead::fit(&ex, 2, &HeadConfig::default()).unwrap());
        assert_eq!(one, four);
        let back: LabelHead = serde_json::from_str(&serde_json::to_string(&one).unwrap()).unwrap();
        assert_eq!(back, one);
    }

    #[test]
    fn one_label_is_nothing_to_learn_and_a_bad_artifact_is_refused() {
        let x = [(1u64, 1.0f32)];
        assert!(LabelHead::fit(&[(&x, 0), (&x, 0)], 3, &HeadConfig::default()).is_none());
        let bad = r#"{"labels":2,"features":"AQAAAAAAAAA=","weights":"","bias":[0.0,0.0]}"#;
        let e = serde_json::from_str::<LabelHead>(bad).unwrap_err().to_string();
        assert!(e.contains("needs 2 biases"), "{e}");
    }
}
