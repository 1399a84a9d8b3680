//! Internal shingling: the last `size` points of a stream of `dims`-dimensional points,
//! concatenated oldest first into one `dims * size` vector.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Shingle {
    dims: usize,
    size: usize,
    /// Ring buffer of `size` points, `dims` values each.
    values: Vec<f32>,
    /// Slot the next point goes into.
    next: usize,
    /// Points pushed so far (saturates at `size`).
    filled: usize,
}

impl Shingle {
    pub fn new(dims: usize, size: usize) -> Self {
        Self { dims, size, values: vec![0.0; dims * size], next: 0, filled: 0 }
    }

    pub fn is_full(&self) -> bool {
        self.filled == self.size
    }

    /// Whether this state is a well-formed shingle of `size` points of `dims` values.
    pub fn fits(&self, dims: usize, size: usize) -> bool {
        self.dims == dims
            && self.size == size
            && self.values.len() == dims * size
            && self.next < size
            && self.filled <= size
            && self.values.iter().all(|v| v.is_finite())
    }

    /// Whether one more point completes the shingle.
    pub fn is_full_after_push(&self) -> bool {
        self.filled + 1 >= self.size
    }

    pub fn push(&mut self, point: &[f32]) {
        let start = self.next * self.dims;
        self.values[start..start + self.dims].copy_from_slice(point);
        self.next = (self.next + 1) % self.size;
        self.filled = (self.filled + 1).min(self.size);
    }

    /// The shingled vector as it is now, oldest point first.
    pub fn vector(&self) -> Vec<f32> {
        let split = self.next * self.dims;
        let mut out = Vec::with_capacity(self.values.len());
        out.extend_from_slice(&self.values[split..]);
        out.extend_from_slice(&self.values[..split]);
        out
    }

    /// The shingled vector the stream would have after `point`, leaving `self` unchanged.
    pub fn vector_with(&self, point: &[f32]) -> Vec<f32> {
        let skip = (self.next + 1) % self.size * self.dims;
        let split = self.next * self.dims;
        let mut out = Vec::with_capacity(self.values.len());
        if self.size > 1 {
            if skip > split {
                out.extend_from_slice(&self.values[skip..]);
                out.extend_from_slice(&self.values[..split]);
            } else {
                out.extend_from_slice(&self.values[skip..split]);
            }
        }
        out.extend_from_slice(point);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shingle_keeps_the_last_points_oldest_first() {
        let mut s = Shingle::new(2, 3);
        s.push(&[1.0, 10.0]);
        s.push(&[2.0, 20.0]);
        assert!(!s.is_full());
        s.push(&[3.0, 30.0]);
        assert!(s.is_full());
        assert_eq!(s.vector(), vec![1.0, 10.0, 2.0, 20.0, 3.0, 30.0]);
        s.push(&[4.0, 40.0]);
        assert_eq!(s.vector(), vec![2.0, 20.0, 3.0, 30.0, 4.0, 40.0]);
    }

    #[test]
    fn vector_with_matches_pushing_without_changing_the_shingle() {
        for size in 1..5 {
            let mut s = Shingle::new(1, size);
            for i in 0..7 {
                let probe = s.vector_with(&[100.0 + i as f32]);
                let before = s.clone();
                let mut pushed = s.clone();
                pushed.push(&[100.0 + i as f32]);
                assert_eq!(probe, pushed.vector(), "size {size} step {i}");
                assert_eq!(s, before);
                s.push(&[i as f32]);
            }
        }
    }
}
