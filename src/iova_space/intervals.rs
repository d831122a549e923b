// SPDX-License-Identifier: GPL-2.0

//! An interval set whose members may overlap, each tagged with its owner:
//! the reserved ranges (owned by a device, a domain's aperture, a SW_MSI
//! window) and the allowed ranges of an IOAS.
//!
//! An AVL tree keyed by `(start, sequence)` and augmented with the subtree's
//! largest `last` answers "does anything intersect `[s, e]`" in O(log n).

use super::{
    avl::{
        Augmented,
        Tree, //
    },
    Alloc,
    AllocError, //
};

/// One member `[start, last]` owned by `owner`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Interval<O> {
    /// First IOVA.
    pub start: u64,
    /// Last IOVA (inclusive).
    pub last: u64,
    /// Who put it there.
    pub owner: O,
    seq: u64,
}

impl<O: Copy> Augmented for Interval<O> {
    type Key = (u64, u64);
    type Agg = u64;

    fn key(&self) -> (u64, u64) {
        (self.start, self.seq)
    }

    fn aggregate(&self, left: Option<&u64>, right: Option<&u64>) -> u64 {
        let l = left.copied().unwrap_or(0);
        let r = right.copied().unwrap_or(0);
        self.last.max(l).max(r)
    }
}

/// A set of possibly overlapping, owner-tagged intervals.
pub struct IntervalSet<O: Copy + Eq, A: Alloc> {
    tree: Tree<Interval<O>, A>,
    next_seq: u64,
}

impl<O: Copy + Eq, A: Alloc> Default for IntervalSet<O, A> {
    fn default() -> Self {
        Self {
            tree: Tree::new(),
            next_seq: 0,
        }
    }
}

impl<O: Copy + Eq, A: Alloc> IntervalSet<O, A> {
    /// Adds `[start, last]` for `owner` (`start <= last`).
    pub fn insert(&mut self, start: u64, last: u64, owner: O) -> Result<(), AllocError> {
        let seq = self.next_seq;
        self.tree.insert(Interval {
            start,
            last,
            owner,
            seq,
        })?;
        self.next_seq += 1;
        Ok(())
    }

    /// Makes room for `n` more members, so the next `n` inserts cannot fail.
    pub fn reserve(&mut self, n: usize) -> Result<(), AllocError> {
        self.tree.reserve(n)
    }

    /// Removes the member `iv` (as returned by [`Self::iter`]).
    pub fn remove_one(&mut self, iv: &Interval<O>) -> bool {
        self.tree.remove(iv.key()).is_some()
    }

    /// Whether any member intersects `[start, last]`.
    pub fn intersects(&self, start: u64, last: u64) -> bool {
        self.first_intersecting(start, last).is_some()
    }

    /// Some member that intersects `[start, last]`.
    pub fn first_intersecting(&self, start: u64, last: u64) -> Option<&Interval<O>> {
        let mut at = self.tree.root();
        while let Some(n) = at {
            let v = n.value();
            if v.start <= last && v.last >= start {
                return Some(v);
            }
            // If the left subtree reaches `start`, either it holds an answer
            // or nothing does (its members start after `last`, so everything
            // to the right does too).
            at = match n.left() {
                Some(l) if *l.agg() >= start => Some(l),
                _ => n.right(),
            };
        }
        None
    }

    /// All members, by start.
    pub fn iter(&self) -> impl Iterator<Item = &Interval<O>> + '_ {
        self.tree.iter()
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.tree.is_empty()
    }

    /// How many members there are.
    pub fn len(&self) -> usize {
        self.tree.len()
    }

    /// The connected components of the union, in order, as `(start, last)`.
    pub fn spans(&self) -> Spans<'_, O, A> {
        Spans {
            inner: self.tree.iter(),
            pending: None,
        }
    }

    /// The union components of the members that start at or after
    /// `start`, in order.
    pub fn spans_from(&self, start: u64) -> Spans<'_, O, A> {
        Spans {
            inner: self.tree.iter_from((start, 0)),
            pending: None,
        }
    }

    /// The maximal runs of `[lo, hi]` that no member covers, in order.
    pub fn holes(&self, lo: u64, hi: u64) -> Holes<'_, O, A> {
        Holes {
            spans: self.spans(),
            cursor: Some(lo),
            hi,
        }
    }

    /// Checks the tree's invariants (for tests).
    #[cfg(feature = "host")]
    pub fn check(&self) -> bool {
        self.tree.check()
    }
}

/// Iterator over the union components of an [`IntervalSet`].
pub struct Spans<'a, O: Copy + Eq, A: Alloc> {
    inner: super::avl::Iter<'a, Interval<O>, A>,
    pending: Option<(u64, u64)>,
}

impl<O: Copy + Eq, A: Alloc> Iterator for Spans<'_, O, A> {
    type Item = (u64, u64);

    fn next(&mut self) -> Option<(u64, u64)> {
        loop {
            match (self.inner.next(), self.pending) {
                (Some(i), None) => self.pending = Some((i.start, i.last)),
                (Some(i), Some((s, l))) => {
                    // Overlapping or touching members merge into one span.
                    if l == u64::MAX || i.start <= l + 1 {
                        self.pending = Some((s, l.max(i.last)));
                    } else {
                        self.pending = Some((i.start, i.last));
                        return Some((s, l));
                    }
                }
                (None, p) => {
                    self.pending = None;
                    return p;
                }
            }
        }
    }
}

/// Iterator over the uncovered runs of an [`IntervalSet`] within a window.
pub struct Holes<'a, O: Copy + Eq, A: Alloc> {
    spans: Spans<'a, O, A>,
    cursor: Option<u64>,
    hi: u64,
}

impl<O: Copy + Eq, A: Alloc> Iterator for Holes<'_, O, A> {
    type Item = (u64, u64);

    fn next(&mut self) -> Option<(u64, u64)> {
        loop {
            let c = self.cursor?;
            if c > self.hi {
                return None;
            }
            match self.spans.next() {
                Some((_, l)) if l < c => continue,
                Some((s, l)) => {
                    self.cursor = l.checked_add(1);
                    if s > c {
                        return Some((c, (s - 1).min(self.hi)));
                    }
                }
                None => {
                    self.cursor = None;
                    return Some((c, self.hi));
                }
            }
        }
    }
}
