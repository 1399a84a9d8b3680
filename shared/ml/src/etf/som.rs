//! A self-organising map (Kohonen), trained in batch mode without labels: deterministic
//! for a seed, whatever the number of threads.

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::anomaly::rng::SplitMix64;

/// Shape and schedule of the map.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SomConfig {
    pub width: usize,
    pub height: usize,
    pub epochs: usize,
    /// Neighbourhood radius (Gaussian σ, in grid steps) at the first epoch...
    pub radius_start: f32,
    /// ...and at the last, shrinking geometrically in between.
    pub radius_end: f32,
    pub seed: u64,
}

impl Default for SomConfig {
    fn default() -> Self {
        SomConfig { width: 30, height: 30, epochs: 20, radius_start: 8.0, radius_end: 0.6, seed: 7 }
    }
}

/// A trained map: `width × height` prototype vectors of `dims` values, row-major.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Som {
    pub width: usize,
    pub height: usize,
    pub dims: usize,
    pub weights: Vec<f32>,
}

impl Som {
    pub fn nodes(&self) -> usize {
        self.width * self.height
    }

    pub fn prototype(&self, node: usize) -> &[f32] {
        &self.weights[node * self.dims..(node + 1) * self.dims]
    }

    /// Squared distance between two nodes on the grid.
    pub fn grid_distance2(&self, a: usize, b: usize) -> f32 {
        let (ax, ay) = ((a % self.width) as f32, (a / self.width) as f32);
        let (bx, by) = ((b % self.width) as f32, (b / self.width) as f32);
        (ax - bx).powi(2) + (ay - by).powi(2)
    }

    /// The `k` nodes nearest to `x` (squared Euclidean distance), nearest first; ties go to
    /// the lower node index.
    pub fn nearest(&self, x: &[f32], k: usize) -> Vec<(usize, f32)> {
        let mut all: Vec<(usize, f32)> = (0..self.nodes()).map(|n| (n, distance2(self.prototype(n), x))).collect();
        let k = k.clamp(1, all.len());
        all.select_nth_unstable_by(k - 1, |a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
        all.truncate(k);
        all.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
        all
    }

    /// The best-matching node of `x`.
    pub fn best(&self, x: &[f32]) -> usize {
        self.nearest(x, 1)[0].0
    }

    /// Trains a map on `data` (rows of equal length). Prototypes start as rows drawn by the
    /// seed; each epoch assigns every row to its best node, then sets each prototype to the
    /// neighbourhood-weighted mean of the rows.
    pub fn train(data: &[Vec<f32>], config: &SomConfig) -> Som {
        let dims = data.first().map_or(0, Vec::len);
        let nodes = config.width.max(1) * config.height.max(1);
        let mut rng = SplitMix64::new(config.seed);
        let mut weights = Vec::with_capacity(nodes * dims);
        for _ in 0..nodes {
            if data.is_empty() {
                weights.extend(std::iter::repeat_n(0.0, dims));
                continue;
            }
            let row = &data[(rng.next_u64() % data.len() as u64) as usize];
            // A little jitter, so nodes drawn from the same row can part.
            weights.extend(row.iter().map(|v| v + 0.01 * (unit(&mut rng) - 0.5)));
        }
        let mut som = Som { width: config.width.max(1), height: config.height.max(1), dims, weights };
        if data.is_empty() {
            return som;
        }
        for epoch in 0..config.epochs {
            let t = if config.epochs > 1 { epoch as f32 / (config.epochs - 1) as f32 } else { 1.0 };
            let radius = config.radius_start * (config.radius_end / config.radius_start).powf(t);
            let best: Vec<usize> = data.par_iter().map(|x| som.best(x)).collect();
            som.batch_update(data, &best, radius);
        }
        som
    }

    fn batch_update(&mut self, data: &[Vec<f32>], best: &[usize], radius: f32) {
        let (nodes, dims) = (self.nodes(), self.dims);
        let mut sums = vec![0.0f32; nodes * dims];
        let mut counts = vec![0.0f32; nodes];
        for (x, &b) in data.iter().zip(best) {
            counts[b] += 1.0;
            sums[b * dims..(b + 1) * dims].iter_mut().zip(x).for_each(|(s, v)| *s += v);
        }
        let reach = (3.0 * radius).ceil() as isize;
        let inv = 1.0 / (2.0 * radius * radius);
        let (width, height) = (self.width as isize, self.height as isize);
        let updated: Vec<Option<Vec<f32>>> = (0..nodes)
            .into_par_iter()
            .map(|n| {
                let (nx, ny) = ((n % self.width) as isize, (n / self.width) as isize);
                let mut acc = vec![0.0f32; dims];
                let mut total = 0.0f32;
                // Only the grid window within 3σ: the kernel is negligible beyond it.
                for by in (ny - reach).max(0)..=(ny + reach).min(height - 1) {
                    for bx in (nx - reach).max(0)..=(nx + reach).min(width - 1) {
                        let b = (by * width + bx) as usize;
                        if counts[b] == 0.0 {
                            continue;
                        }
                        let g2 = ((bx - nx).pow(2) + (by - ny).pow(2)) as f32;
                        let h = (-g2 * inv).exp();
                        total += h * counts[b];
                        acc.iter_mut().zip(&sums[b * dims..(b + 1) * dims]).for_each(|(a, s)| *a += h * s);
                    }
                }
                (total > 1e-6).then(|| acc.into_iter().map(|a| a / total).collect())
            })
            .collect();
        for (n, w) in updated.into_iter().enumerate() {
            if let Some(w) = w {
                self.weights[n * dims..(n + 1) * dims].copy_from_slice(&w);
            }
        }
    }
}

pub fn distance2(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum()
}

fn unit(rng: &mut SplitMix64) -> f32 {
    rng.next_f64() as f32
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two well-separated blobs in 4 dimensions.
    fn blobs() -> Vec<Vec<f32>> {
        let mut rng = SplitMix64::new(3);
        (0..200)
            .map(|i| {
                let centre = if i % 2 == 0 { 1.0 } else { -1.0 };
                (0..4).map(|_| centre + 0.1 * (unit(&mut rng) - 0.5)).collect()
            })
            .collect()
    }

    #[test]
    fn same_seed_same_map() {
        let config = SomConfig { width: 5, height: 4, epochs: 8, ..SomConfig::default() };
        assert_eq!(Som::train(&blobs(), &config), Som::train(&blobs(), &config));
        let other = SomConfig { seed: 8, ..config.clone() };
        assert_ne!(Som::train(&blobs(), &config), Som::train(&blobs(), &other));
    }

    #[test]
    fn separated_groups_map_to_separate_nodes_and_prototypes_sit_on_the_data() {
        let data = blobs();
        let som = Som::train(
            &data,
            &SomConfig { width: 6, height: 6, epochs: 15, radius_start: 3.0, ..SomConfig::default() },
        );
        let a = som.best(&data[0]);
        let b = som.best(&data[1]);
        assert_ne!(a, b);
        assert!(distance2(som.prototype(a), &data[0]) < 0.1);
        assert!(som.grid_distance2(a, b) >= 1.0);
        let near = som.nearest(&data[0], 3);
        assert_eq!(near[0].0, a);
        assert!(near[0].1 <= near[1].1 && near[1].1 <= near[2].1);
    }
}
