// SPDX-License-Identifier: GPL-2.0

//! The blocked set: disjoint IOVA segments that automatic allocation must
//! avoid (every area, and every connected component of the reserved ranges),
//! in an AVL tree augmented with the largest gap between consecutive segments
//! of each subtree.
//!
//! [`Blocked::find_fit`] walks down that tree and skips every subtree whose
//! gaps are all too short, so finding the lowest aligned hole costs
//! O(log n), plus one step for each hole that is long enough but rejected
//! by alignment before the answer (none when holes are aligned, as the
//! allocator keeps them).

use super::{
    avl::{
        Augmented,
        NodeRef,
        Tree, //
    },
    Alloc,
    AllocError, //
};

/// One blocked segment `[start, last]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Segment {
    /// First IOVA.
    pub start: u64,
    /// Last IOVA (inclusive).
    pub last: u64,
}

/// The summary of a subtree of segments.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GapAgg {
    min_start: u64,
    max_last: u64,
    /// The longest run of free IOVAs strictly between two segments of the
    /// subtree (0 when there is none).
    max_gap: u64,
}

/// The number of free IOVAs between segments ending at `a_last` and starting
/// at `b_start` (`a_last < b_start`).
fn gap(a_last: u64, b_start: u64) -> u64 {
    b_start - a_last - 1
}

impl Augmented for Segment {
    type Key = u64;
    type Agg = GapAgg;

    fn key(&self) -> u64 {
        self.start
    }

    fn aggregate(&self, left: Option<&GapAgg>, right: Option<&GapAgg>) -> GapAgg {
        let mut max_gap = 0;
        if let Some(l) = left {
            max_gap = max_gap.max(l.max_gap).max(gap(l.max_last, self.start));
        }
        if let Some(r) = right {
            max_gap = max_gap.max(r.max_gap).max(gap(self.last, r.min_start));
        }
        GapAgg {
            min_start: left.map_or(self.start, |l| l.min_start),
            max_last: right.map_or(self.last, |r| r.max_last),
            max_gap,
        }
    }
}

/// An allocation request: `len` bytes inside `[lo, hi]` at an address
/// aligned up to `align` and then OR-ed with `offset` (upstream's rule).
#[derive(Clone, Copy, Debug)]
pub struct FitRequest {
    /// Bytes needed (> 0).
    pub len: u64,
    /// Power-of-two alignment.
    pub align: u64,
    /// The sub-page offset of the user address, OR-ed into the aligned
    /// address as upstream does (it may exceed `align`).
    pub offset: u64,
    /// Lowest acceptable IOVA.
    pub lo: u64,
    /// Highest acceptable last IOVA.
    pub hi: u64,
}

impl FitRequest {
    /// The lowest fitting address in the free run `[a, b]`, with upstream's
    /// rule (`__alloc_iova_check_range()`): align up, then require
    /// `aligned < b` and `b - aligned >= len - 1`.
    pub fn fit_in(&self, a: u64, b: u64) -> Option<u64> {
        let a = a.max(self.lo);
        let b = b.min(self.hi);
        if a > b {
            return None;
        }
        let x = a.checked_add(self.align - 1)? & !(self.align - 1);
        let x = x | self.offset;
        (x < b && b - x >= self.len - 1).then_some(x)
    }
}

/// The blocked set.
pub struct Blocked<A: Alloc> {
    tree: Tree<Segment, A>,
}

impl<A: Alloc> Default for Blocked<A> {
    fn default() -> Self {
        Self { tree: Tree::new() }
    }
}

impl<A: Alloc> Blocked<A> {
    /// Makes room for `n` more segments, so the next `n` inserts cannot fail.
    pub fn reserve(&mut self, n: usize) -> Result<(), AllocError> {
        self.tree.reserve(n)
    }

    /// Adds `[start, last]`, which must not overlap any segment.
    pub fn insert(&mut self, start: u64, last: u64) -> Result<(), AllocError> {
        self.tree.insert(Segment { start, last })
    }

    /// Removes the segment that starts at `start`.
    pub fn remove(&mut self, start: u64) -> Option<Segment> {
        self.tree.remove(start)
    }

    /// The segments overlapping `[start, last]`, in order.
    pub fn overlapping(&self, start: u64, last: u64) -> impl Iterator<Item = Segment> + '_ {
        let from = match self.tree.last_le(start) {
            Some(s) if s.last >= start => s.start,
            _ => start,
        };
        self.tree
            .iter_from(from)
            .take_while(move |s| s.start <= last)
            .copied()
    }

    /// All segments in order.
    #[cfg(feature = "host")]
    pub fn iter(&self) -> impl Iterator<Item = Segment> + '_ {
        self.tree.iter().copied()
    }

    /// How many segments there are.
    pub fn len(&self) -> usize {
        self.tree.len()
    }

    /// Whether there are none.
    #[cfg(feature = "host")]
    pub fn is_empty(&self) -> bool {
        self.tree.is_empty()
    }

    /// Checks the tree's invariants (for tests).
    #[cfg(feature = "host")]
    pub fn check(&self) -> bool {
        let mut prev: Option<u64> = None;
        for s in self.tree.iter() {
            if s.start > s.last || prev.is_some_and(|p| p >= s.start) {
                return false;
            }
            prev = Some(s.last);
        }
        self.tree.check()
    }

    /// The lowest address that satisfies `req` and lies in no segment.
    pub fn find_fit(&self, req: &FitRequest) -> Option<u64> {
        if req.len == 0 || req.lo > req.hi {
            return None;
        }
        let Some(root) = self.tree.root() else {
            return req.fit_in(req.lo, req.hi);
        };
        // Free run before the first segment.
        let first = root.agg().min_start;
        if first > req.lo {
            if let Some(x) = req.fit_in(req.lo, first - 1) {
                return Some(x);
            }
        }
        if let Some(x) = Self::fit_inside(root, req) {
            return Some(x);
        }
        // Free run after the last segment.
        let last = root.agg().max_last;
        if last < req.hi {
            return req.fit_in(last + 1, req.hi);
        }
        None
    }

    /// The lowest fit in a gap between two segments of `node`'s subtree.
    fn fit_inside(node: NodeRef<'_, Segment, A>, req: &FitRequest) -> Option<u64> {
        let agg = node.agg();
        // Prune: every gap too short, or the whole subtree outside [lo, hi].
        if agg.max_gap < req.len || agg.max_last < req.lo || agg.min_start > req.hi {
            return None;
        }
        let seg = node.value();
        if let Some(l) = node.left() {
            if let Some(x) = Self::fit_inside(l, req) {
                return Some(x);
            }
            // The gap between the left subtree and this segment.
            let la = l.agg();
            if la.max_last + 1 < seg.start {
                if let Some(x) = req.fit_in(la.max_last + 1, seg.start - 1) {
                    return Some(x);
                }
            }
        }
        if seg.start > req.hi {
            return None;
        }
        if let Some(r) = node.right() {
            let ra = r.agg();
            if seg.last + 1 < ra.min_start {
                if let Some(x) = req.fit_in(seg.last + 1, ra.min_start - 1) {
                    return Some(x);
                }
            }
            return Self::fit_inside(r, req);
        }
        None
    }
}
