//! One random cut tree over a bounded sample of points.
//!
//! Nodes live in an arena (`Vec<Node>` plus a free list) and refer to each other by index,
//! with parent links so that a leaf can be deleted and a score can climb back to the root
//! without a stack. Internal nodes cache their bounding box; a leaf's box is its point.
//!
//! A cut is chosen with probability proportional to each dimension's range in the box
//! (the RCF rule), a point goes left when `x[dim] <= cut`, and identical points share a
//! leaf whose `mass` counts them.

use super::rng::SplitMix64;

/// Marks "no node" in parent/child links.
pub(crate) const NIL: u32 = u32::MAX;

/// Partial sums kept by per-dimension loops. Float additions cannot be reordered by the
/// compiler, so a single running sum makes each addition wait for the previous one; eight
/// independent sums let the loop run in SIMD lanes (several times faster at 72 dimensions).
const LANES: usize = 8;

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Node {
    pub parent: u32,
    /// Left child, or [`NIL`] for a leaf.
    pub left: u32,
    /// Right child of an internal node; for a leaf, its slot in the point store.
    pub right: u32,
    pub cut_dim: u32,
    pub cut: f32,
    pub mass: u32,
}

impl Node {
    fn is_leaf(&self) -> bool {
        self.left == NIL
    }
}

/// A random cut tree of `dims`-dimensional points.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Tree {
    dims: usize,
    pub(crate) root: u32,
    pub(crate) nodes: Vec<Node>,
    free_nodes: Vec<u32>,
    /// Bounding boxes of internal nodes: `2 * dims` values per node index, mins then maxes.
    boxes: Vec<f32>,
    /// Leaf points: `dims` values per slot.
    points: Vec<f32>,
    free_points: Vec<u32>,
}

impl Tree {
    pub fn new(dims: usize) -> Self {
        Self {
            dims,
            root: NIL,
            nodes: Vec::new(),
            free_nodes: Vec::new(),
            boxes: Vec::new(),
            points: Vec::new(),
            free_points: Vec::new(),
        }
    }

    /// Points in the tree, counting duplicates.
    pub fn mass(&self) -> u32 {
        self.node(self.root).map_or(0, |n| n.mass)
    }

    fn node(&self, id: u32) -> Option<&Node> {
        self.nodes.get(id as usize)
    }

    pub(crate) fn leaf_point(&self, leaf: u32) -> &[f32] {
        let slot = self.nodes[leaf as usize].right as usize;
        &self.points[slot * self.dims..(slot + 1) * self.dims]
    }

    fn bbox(&self, id: u32) -> (&[f32], &[f32]) {
        if self.nodes[id as usize].is_leaf() {
            let p = self.leaf_point(id);
            (p, p)
        } else {
            let b = &self.boxes[id as usize * 2 * self.dims..(id as usize + 1) * 2 * self.dims];
            b.split_at(self.dims)
        }
    }

    fn alloc_node(&mut self, node: Node) -> u32 {
        if let Some(id) = self.free_nodes.pop() {
            self.nodes[id as usize] = node;
            id
        } else {
            self.nodes.push(node);
            self.boxes.resize(self.nodes.len() * 2 * self.dims, 0.0);
            (self.nodes.len() - 1) as u32
        }
    }

    fn alloc_leaf(&mut self, point: &[f32], parent: u32) -> u32 {
        let slot = match self.free_points.pop() {
            Some(slot) => {
                let s = slot as usize * self.dims;
                self.points[s..s + self.dims].copy_from_slice(point);
                slot
            }
            None => {
                self.points.extend_from_slice(point);
                (self.points.len() / self.dims - 1) as u32
            }
        };
        self.alloc_node(Node { parent, left: NIL, right: slot, cut_dim: 0, cut: 0.0, mass: 1 })
    }

    fn set_box(&mut self, id: u32, min: &[f32], max: &[f32]) {
        let s = id as usize * 2 * self.dims;
        self.boxes[s..s + self.dims].copy_from_slice(min);
        self.boxes[s + self.dims..s + 2 * self.dims].copy_from_slice(max);
    }

    /// Replaces `old` by `new` among the children of `parent` (or as the root).
    fn relink(&mut self, parent: u32, old: u32, new: u32) {
        self.nodes[new as usize].parent = parent;
        if parent == NIL {
            self.root = new;
        } else if self.nodes[parent as usize].left == old {
            self.nodes[parent as usize].left = new;
        } else {
            self.nodes[parent as usize].right = new;
        }
    }

    /// Inserts `point` and returns the leaf that holds it.
    pub fn insert(&mut self, point: &[f32], rng: &mut SplitMix64) -> u32 {
        if self.root == NIL {
            self.root = self.alloc_leaf(point, NIL);
            return self.root;
        }
        let (mut min, mut max) = (vec![0.0f32; self.dims], vec![0.0f32; self.dims]);
        let mut id = self.root;
        loop {
            let range = self.merged_box(id, point, &mut min, &mut max);
            if range == 0.0 {
                // Only a leaf holding this very point has a zero-range merged box.
                self.nodes[id as usize].mass += 1;
                return id;
            }
            let (dim, cut) = choose_cut(&min, &max, range, rng);
            let (box_min, box_max) = self.bbox(id);
            let separates =
                (point[dim] < box_min[dim] && cut < box_min[dim]) || (point[dim] > box_max[dim] && cut >= box_max[dim]);
            if separates {
                return self.split_above(id, point, dim, cut, &min, &max);
            }
            let node = &mut self.nodes[id as usize];
            node.mass += 1;
            let next = if point[node.cut_dim as usize] <= node.cut { node.left } else { node.right };
            self.set_box(id, &min, &max);
            id = next;
        }
    }

    /// Writes the box of `id` extended by `point` into `min`/`max`; returns its total range.
    fn merged_box(&self, id: u32, point: &[f32], min: &mut [f32], max: &mut [f32]) -> f64 {
        let (bmin, bmax) = self.bbox(id);
        let mut range = [0.0f32; LANES];
        for d in 0..self.dims {
            min[d] = bmin[d].min(point[d]);
            max[d] = bmax[d].max(point[d]);
            range[d % LANES] += max[d] - min[d];
        }
        range.iter().map(|&r| f64::from(r)).sum()
    }

    /// Puts a new internal node (cut `dim`/`cut`, box `min`/`max`) in place of `sibling`,
    /// with a new leaf for `point` on one side and `sibling` on the other.
    fn split_above(&mut self, sibling: u32, point: &[f32], dim: usize, cut: f32, min: &[f32], max: &[f32]) -> u32 {
        let parent = self.nodes[sibling as usize].parent;
        let mass = self.nodes[sibling as usize].mass + 1;
        let inner = self.alloc_node(Node { parent, left: NIL, right: NIL, cut_dim: dim as u32, cut, mass });
        let leaf = self.alloc_leaf(point, inner);
        let (left, right) = if point[dim] <= cut { (leaf, sibling) } else { (sibling, leaf) };
        self.nodes[inner as usize].left = left;
        self.nodes[inner as usize].right = right;
        self.relink(parent, sibling, inner);
        self.nodes[sibling as usize].parent = inner;
        self.set_box(inner, min, max);
        leaf
    }

    /// Removes one copy of the point held by `leaf`.
    pub fn delete(&mut self, leaf: u32) {
        let mut id = leaf;
        while id != NIL {
            let node = &mut self.nodes[id as usize];
            node.mass -= 1;
            id = node.parent;
        }
        if self.nodes[leaf as usize].mass > 0 {
            return;
        }
        let parent = self.nodes[leaf as usize].parent;
        self.free_points.push(self.nodes[leaf as usize].right);
        self.free_nodes.push(leaf);
        if parent == NIL {
            self.root = NIL;
            return;
        }
        let p = &self.nodes[parent as usize];
        let sibling = if p.left == leaf { p.right } else { p.left };
        let grandparent = p.parent;
        self.relink(grandparent, parent, sibling);
        self.free_nodes.push(parent);
        self.shrink_boxes_from(grandparent);
    }

    /// Recomputes the boxes of `id` and its ancestors from their children.
    fn shrink_boxes_from(&mut self, mut id: u32) {
        let dims = self.dims;
        let mut merged = vec![0.0f32; 2 * dims];
        while id != NIL {
            self.children_box(id, &mut merged);
            let s = id as usize * 2 * dims;
            if self.boxes[s..s + 2 * dims] == merged[..] {
                return;
            }
            self.boxes[s..s + 2 * dims].copy_from_slice(&merged);
            id = self.nodes[id as usize].parent;
        }
    }

    /// Writes the union of the boxes of the children of internal node `id` (mins, then
    /// maxes) into `merged`.
    fn children_box(&self, id: u32, merged: &mut [f32]) {
        let dims = self.dims;
        let node = &self.nodes[id as usize];
        let (lmin, lmax) = self.bbox(node.left);
        let (rmin, rmax) = self.bbox(node.right);
        for d in 0..dims {
            merged[d] = lmin[d].min(rmin[d]);
            merged[dims + d] = lmax[d].max(rmax[d]);
        }
    }

    /// RCF's scalar anomaly score of `point` against this tree (about 1 for typical points,
    /// larger for points that would be isolated near the root).
    /// The forest scores trees in groups with [`step`](Self::step) and the climb methods;
    /// this is the one-tree version.
    #[cfg(test)]
    pub fn score(&self, point: &[f32]) -> f64 {
        let Some(mut id) = self.root() else { return 0.0 };
        let mut depth = 0;
        while let Some(next) = self.step(id, point) {
            id = next;
            depth += 1;
        }
        let mut climb = self.start_climb(point, id, depth);
        while self.climb_step(&mut climb, point) {}
        self.finish_climb(&climb)
    }

    /// The root, or `None` for an empty tree.
    pub fn root(&self) -> Option<u32> {
        (self.root != NIL).then_some(self.root)
    }

    /// The child of internal node `id` on `point`'s side, or `None` when `id` is a leaf.
    pub fn step(&self, id: u32, point: &[f32]) -> Option<u32> {
        let node = &self.nodes[id as usize];
        if node.is_leaf() {
            None
        } else if point[node.cut_dim as usize] <= node.cut {
            Some(node.left)
        } else {
            Some(node.right)
        }
    }

    /// The score of `point` at the `leaf` its descent reached at `depth`, ready to climb:
    /// on the way up, each box blends it with the score of being isolated there, weighted
    /// by the probability that a random cut of the box would have isolated `point`.
    pub fn start_climb(&self, point: &[f32], leaf: u32, depth: usize) -> Climb {
        let node = &self.nodes[leaf as usize];
        let score = if self.leaf_point(leaf) == point {
            1.0 / (depth as f64 + (1.0 + node.mass as f64).log2())
        } else {
            1.0 / (depth as f64 + 1.0)
        };
        Climb { node: node.parent, depth, score }
    }

    /// Climbs one level; false once the climb is over.
    pub fn climb_step(&self, climb: &mut Climb, point: &[f32]) -> bool {
        if climb.node == NIL {
            return false;
        }
        climb.depth -= 1;
        let p = self.separation_probability(climb.node, point);
        if p == 0.0 {
            // The point is inside this box, hence inside every box above: nothing changes.
            climb.node = NIL;
            return false;
        }
        climb.score = (1.0 - p) * climb.score + p / (climb.depth as f64 + 1.0);
        climb.node = self.nodes[climb.node as usize].parent;
        climb.node != NIL
    }

    /// The tree's score once the climb is over, normalized by the tree's mass.
    pub fn finish_climb(&self, climb: &Climb) -> f64 {
        climb.score * (1.0 + self.mass() as f64).log2()
    }

    /// Probability that a random cut of the box of `id` extended by `point` separates
    /// `point` from the box: the range `point` adds over the extended box's total range.
    fn separation_probability(&self, id: u32, point: &[f32]) -> f64 {
        let (min, max) = self.bbox(id);
        let (mut added, mut total) = ([0.0f32; LANES], [0.0f32; LANES]);
        let whole = self.dims / LANES * LANES;
        let lanes = min[..whole].chunks_exact(LANES).zip(max[..whole].chunks_exact(LANES));
        for ((lo, hi), x) in lanes.zip(point[..whole].chunks_exact(LANES)) {
            for k in 0..LANES {
                let gap = outside(lo[k], hi[k], x[k]);
                added[k] += gap;
                total[k] += hi[k] - lo[k] + gap;
            }
        }
        for d in whole..self.dims {
            let gap = outside(min[d], max[d], point[d]);
            added[0] += gap;
            total[0] += max[d] - min[d] + gap;
        }
        let (added, total): (f64, f64) =
            (added.iter().map(|&v| f64::from(v)).sum(), total.iter().map(|&v| f64::from(v)).sum());
        if total == 0.0 {
            0.0
        } else {
            added / total
        }
    }
}

/// A score on its way from a leaf to the root: the next node to visit, that node's child's
/// depth, and the score so far.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Climb {
    node: u32,
    depth: usize,
    score: f64,
}

/// A tree in preorder, the form model artifacts store: `shape[i]` is the cut dimension of
/// an internal node or [`NIL`] for a leaf; cuts and leaves follow in the same order.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct Preorder {
    pub shape: Vec<u32>,
    pub cuts: Vec<f32>,
    /// Node ids of the leaves (when encoding).
    pub leaves: Vec<u32>,
}

impl Tree {
    /// The tree in preorder, leaves listed by node id.
    pub fn to_preorder(&self) -> Preorder {
        let mut out = Preorder::default();
        let mut stack = if self.root == NIL { vec![] } else { vec![self.root] };
        while let Some(id) = stack.pop() {
            let node = &self.nodes[id as usize];
            if node.is_leaf() {
                out.shape.push(NIL);
                out.leaves.push(id);
            } else {
                out.shape.push(node.cut_dim);
                out.cuts.push(node.cut);
                stack.push(node.right);
                stack.push(node.left);
            }
        }
        out
    }

    /// Rebuilds a tree from its preorder form: leaf `k` holds `leaf_point(k)` with mass
    /// `leaf_mass[k]`. Returns the tree and the node id of each leaf, in preorder.
    pub fn from_preorder<'a>(
        dims: usize,
        shape: &[u32],
        cuts: &[f32],
        leaf_mass: &[u32],
        leaf_point: impl Fn(usize) -> Option<&'a [f32]>,
    ) -> Result<(Tree, Vec<u32>), String> {
        let mut tree = Tree::new(dims);
        let (mut order, mut leaves) = (Vec::with_capacity(shape.len()), Vec::new());
        // Internal nodes whose children are still being read, and whether the left is done.
        let mut open: Vec<(u32, bool)> = Vec::new();
        for &entry in shape {
            let parent = open.last().map_or(NIL, |&(id, _)| id);
            if parent == NIL && tree.root != NIL {
                return Err("tree shape continues after the tree is complete".into());
            }
            let id = if entry == NIL {
                let k = leaves.len();
                let point =
                    leaf_point(k).filter(|p| p.len() == dims).ok_or_else(|| format!("leaf {k} has no valid point"))?;
                let mass =
                    leaf_mass.get(k).copied().filter(|&m| m > 0).ok_or_else(|| format!("leaf {k} has no mass"))?;
                let id = tree.alloc_leaf(point, parent);
                tree.nodes[id as usize].mass = mass;
                leaves.push(id);
                id
            } else {
                let cut = *cuts.get(order.len() - leaves.len()).ok_or("fewer cuts than internal nodes")?;
                if entry as usize >= dims || !cut.is_finite() {
                    return Err(format!("invalid cut {cut} on dimension {entry}"));
                }
                tree.alloc_node(Node { parent, left: NIL, right: NIL, cut_dim: entry, cut, mass: 0 })
            };
            tree.attach(&mut open, id);
            if entry != NIL {
                open.push((id, false));
            }
            order.push(id);
        }
        if !open.is_empty() || order.len() - leaves.len() != cuts.len() || leaves.len() != leaf_mass.len() {
            return Err("tree shape, cuts and leaves do not match".into());
        }
        tree.complete_internal_nodes(&order)?;
        Ok((tree, leaves))
    }

    /// Links `id` under the innermost open internal node (or as the root).
    fn attach(&mut self, open: &mut Vec<(u32, bool)>, id: u32) {
        match open.last_mut() {
            None => self.root = id,
            Some((parent, left_done)) => {
                let parent = *parent as usize;
                if *left_done {
                    self.nodes[parent].right = id;
                    open.pop();
                } else {
                    self.nodes[parent].left = id;
                    *left_done = true;
                }
            }
        }
    }

    /// Sets masses and boxes of internal nodes from their children, visiting nodes in
    /// reverse preorder so that children come before their parents.
    fn complete_internal_nodes(&mut self, preorder: &[u32]) -> Result<(), String> {
        let dims = self.dims;
        let mut merged = vec![0.0f32; 2 * dims];
        for &id in preorder.iter().rev() {
            let node = &self.nodes[id as usize];
            if node.is_leaf() {
                continue;
            }
            let mass = self.nodes[node.left as usize].mass.checked_add(self.nodes[node.right as usize].mass);
            self.children_box(id, &mut merged);
            self.nodes[id as usize].mass = mass.ok_or("tree mass overflows")?;
            let s = id as usize * 2 * dims;
            self.boxes[s..s + 2 * dims].copy_from_slice(&merged);
        }
        Ok(())
    }
}

/// How far `x` lies outside `lo..=hi` (0 inside). Plain comparisons rather than
/// `f32::max`, whose NaN handling keeps the loop from vectorizing; values here are finite.
#[inline(always)]
fn outside(lo: f32, hi: f32, x: f32) -> f32 {
    let below = if lo > x { lo - x } else { 0.0 };
    let above = if x > hi { x - hi } else { 0.0 };
    below + above
}

/// Draws a dimension with probability proportional to its range in `min..max` (total
/// `range`) and a cut uniformly within that dimension's range.
fn choose_cut(min: &[f32], max: &[f32], range: f64, rng: &mut SplitMix64) -> (usize, f32) {
    let mut r = rng.next_f64() * range;
    let mut last_positive = 0;
    for d in 0..min.len() {
        let width = f64::from(max[d] - min[d]);
        if width <= 0.0 {
            continue;
        }
        last_positive = d;
        if r < width {
            return (d, cut_within(min[d], max[d], r));
        }
        r -= width;
    }
    // Rounding left r at or past the end: cut the last dimension that has a range.
    let d = last_positive;
    (d, cut_within(min[d], max[d], f64::from(max[d] - min[d]) * 0.5))
}

/// `min + offset`, kept strictly below `max` so both sides of the cut are non-empty.
fn cut_within(min: f32, max: f32, offset: f64) -> f32 {
    let cut = (f64::from(min) + offset) as f32;
    if cut >= max {
        // The largest f32 below max is still >= min because max > min.
        next_below(max).max(min)
    } else {
        cut.max(min)
    }
}

/// The largest finite f32 strictly below `x` (for finite `x`).
fn next_below(x: f32) -> f32 {
    if x == 0.0 {
        -f32::from_bits(1)
    } else if x > 0.0 {
        f32::from_bits(x.to_bits() - 1)
    } else {
        f32::from_bits(x.to_bits() + 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Checks parent links, masses and cached boxes of the whole tree.
    fn check_invariants(tree: &Tree) {
        if tree.root == NIL {
            return;
        }
        assert_eq!(tree.nodes[tree.root as usize].parent, NIL);
        check_subtree(tree, tree.root);
    }

    fn check_subtree(tree: &Tree, id: u32) -> (Vec<f32>, Vec<f32>, u32) {
        let node = &tree.nodes[id as usize];
        if node.is_leaf() {
            let p = tree.leaf_point(id).to_vec();
            assert!(node.mass > 0);
            return (p.clone(), p, node.mass);
        }
        assert_eq!(tree.nodes[node.left as usize].parent, id);
        assert_eq!(tree.nodes[node.right as usize].parent, id);
        let (lmin, lmax, lmass) = check_subtree(tree, node.left);
        let (rmin, rmax, rmass) = check_subtree(tree, node.right);
        let d = node.cut_dim as usize;
        assert!(lmax[d] <= node.cut && rmin[d] > node.cut, "cut separates the children");
        assert_eq!(node.mass, lmass + rmass);
        let min: Vec<f32> = lmin.iter().zip(&rmin).map(|(a, b)| a.min(*b)).collect();
        let max: Vec<f32> = lmax.iter().zip(&rmax).map(|(a, b)| a.max(*b)).collect();
        let (bmin, bmax) = tree.bbox(id);
        assert_eq!((bmin, bmax), (&min[..], &max[..]), "cached box of node {id}");
        (min, max, node.mass)
    }

    fn grid_point(i: usize) -> Vec<f32> {
        vec![(i % 7) as f32, (i / 7) as f32 * 0.5, ((i * 13) % 5) as f32]
    }

    /// A tree of `n` grid points cycling through `distinct` values, checked after each insert.
    fn grid_tree(seed: u64, n: usize, distinct: usize) -> (Tree, Vec<u32>) {
        let mut rng = SplitMix64::new(seed);
        let mut tree = Tree::new(3);
        let leaves = (0..n)
            .map(|i| {
                let leaf = tree.insert(&grid_point(i % distinct), &mut rng);
                check_invariants(&tree);
                leaf
            })
            .collect();
        (tree, leaves)
    }

    #[test]
    fn inserts_and_deletes_keep_links_masses_and_boxes_consistent() {
        let (mut tree, leaves) = grid_tree(3, 200, 60);
        assert_eq!(tree.mass(), 200);
        for (k, leaf) in leaves.iter().enumerate().filter(|(k, _)| k % 3 != 1) {
            assert_eq!(tree.leaf_point(*leaf), &grid_point(k % 60)[..]);
            tree.delete(*leaf);
            check_invariants(&tree);
        }
        assert_eq!(tree.mass(), 67);
        for (k, leaf) in leaves.iter().enumerate().filter(|(k, _)| k % 3 == 1) {
            assert_eq!(tree.leaf_point(*leaf), &grid_point(k % 60)[..]);
            tree.delete(*leaf);
        }
        assert_eq!(tree.root, NIL);
        assert_eq!(tree.mass(), 0);
    }

    proptest::proptest! {
        /// Any mix of inserts (with many duplicates) and deletes keeps the tree consistent,
        /// and every remaining leaf still holds the point it was given.
        #[test]
        fn random_inserts_and_deletes_keep_the_tree_consistent(
            ops in proptest::collection::vec((0u8..4, 0usize..12, 0usize..1000), 1..120),
            seed in 0u64..1000,
        ) {
            let mut rng = SplitMix64::new(seed);
            let mut tree = Tree::new(3);
            let mut held: Vec<(u32, usize)> = Vec::new();
            for (op, value, pick) in ops {
                if op == 0 && !held.is_empty() {
                    let (leaf, _) = held.swap_remove(pick % held.len());
                    tree.delete(leaf);
                } else {
                    held.push((tree.insert(&grid_point(value), &mut rng), value));
                }
                check_invariants(&tree);
            }
            proptest::prop_assert_eq!(tree.mass() as usize, held.len());
            for (leaf, value) in held {
                proptest::prop_assert_eq!(tree.leaf_point(leaf), &grid_point(value)[..]);
            }
        }
    }

    #[test]
    fn duplicates_share_a_leaf() {
        let mut rng = SplitMix64::new(1);
        let mut tree = Tree::new(2);
        let a = tree.insert(&[1.0, 2.0], &mut rng);
        tree.insert(&[5.0, 2.0], &mut rng);
        let b = tree.insert(&[1.0, 2.0], &mut rng);
        assert_eq!(a, b);
        assert_eq!(tree.nodes[a as usize].mass, 2);
        tree.delete(a);
        assert_eq!(tree.nodes[a as usize].mass, 1);
        check_invariants(&tree);
    }

    #[test]
    fn an_outlier_scores_higher_than_an_inlier() {
        let mut rng = SplitMix64::new(9);
        let mut tree = Tree::new(2);
        for i in 0..256 {
            let x = (i % 16) as f32 * 0.1;
            let y = (i / 16) as f32 * 0.1;
            tree.insert(&[x, y], &mut rng);
        }
        let inlier = tree.score(&[0.75, 0.75]);
        let outlier = tree.score(&[10.0, -10.0]);
        assert!(outlier > 2.0 * inlier, "outlier {outlier} inlier {inlier}");
    }

    #[test]
    fn preorder_round_trip_rebuilds_an_identical_tree() {
        let (mut tree, leaves) = grid_tree(11, 150, 40);
        for leaf in leaves.iter().step_by(4) {
            tree.delete(*leaf);
        }
        let form = tree.to_preorder();
        let points: Vec<Vec<f32>> = form.leaves.iter().map(|&l| tree.leaf_point(l).to_vec()).collect();
        let masses: Vec<u32> = form.leaves.iter().map(|&l| tree.nodes[l as usize].mass).collect();
        let (rebuilt, new_leaves) =
            Tree::from_preorder(3, &form.shape, &form.cuts, &masses, |k| points.get(k).map(|p| &p[..])).unwrap();
        check_invariants(&rebuilt);
        assert_eq!(new_leaves.len(), form.leaves.len());
        assert_eq!(rebuilt.to_preorder().shape, form.shape);
        for i in 0..60 {
            let probe = [i as f32 * 0.3, 1.0, (i % 3) as f32];
            assert_eq!(rebuilt.score(&probe), tree.score(&probe));
        }
    }

    #[test]
    fn malformed_preorder_is_an_error() {
        let point = [1.0f32, 2.0];
        let get = |k: usize| (k < 2).then_some(&point[..]);
        let cases: [(&[u32], &[f32], &[u32]); 5] = [
            (&[0, NIL], &[1.0], &[1]),              // internal node missing a child
            (&[NIL, NIL], &[], &[1, 1]),            // two roots
            (&[5, NIL, NIL], &[1.0], &[1, 1]),      // cut dimension out of range
            (&[0, NIL, NIL], &[], &[1, 1]),         // missing cut
            (&[0, NIL, NIL], &[f32::NAN], &[1, 1]), // cut not finite
        ];
        for (shape, cuts, masses) in cases {
            assert!(Tree::from_preorder(2, shape, cuts, masses, get).is_err(), "{shape:?}");
        }
        assert!(Tree::from_preorder(2, &[NIL], &[], &[0], get).is_err(), "zero mass");
        assert!(Tree::from_preorder(2, &[NIL, NIL, NIL], &[], &[1, 1, 1], get).is_err(), "missing point");
    }

    #[test]
    fn cut_within_stays_inside_the_range() {
        assert!(cut_within(1.0, 2.0, 5.0) < 2.0);
        assert!(cut_within(-2.0, -1.0, 5.0) < -1.0);
        assert!(cut_within(-1.0, 0.0, 5.0) < 0.0);
        assert_eq!(next_below(1.0), 1.0 - f32::EPSILON / 2.0);
        assert_eq!(cut_within(1.0, 2.0, 0.25), 1.25);
        let (d, c) = choose_cut(&[0.0, 3.0], &[0.0, 4.0], 1.0, &mut SplitMix64::new(5));
        assert_eq!(d, 1);
        assert!((3.0..4.0).contains(&c));
    }
}
