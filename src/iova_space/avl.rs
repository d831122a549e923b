// SPDX-License-Identifier: GPL-2.0

//! An augmented AVL tree stored in an arena.
//!
//! Every node keeps an aggregate of its subtree (a max gap, a max end, ...)
//! that [`Augmented::aggregate`] recomputes from the node and its children
//! after each structural change, so searches can skip whole subtrees.
//!
//! Nodes live in one [`Storage`] vector and link by index, which keeps the
//! code safe Rust: no raw pointers, no per-node allocation. Removal moves the
//! last node into the freed slot, so the arena never has holes. Keys are
//! unique; callers that need duplicates make them unique (e.g. with a
//! sequence number).
//!
//! Allocation happens only in [`Tree::insert`], before the tree is touched: a
//! failed insert leaves the tree unchanged.

use super::{
    Alloc,
    AllocError,
    Storage, //
};
use core::cmp::Ordering;

/// The index that means "no node".
const NIL: u32 = u32::MAX;

/// The deepest an AVL tree of at most `u32::MAX` nodes can be is 46 (height
/// bound 1.44 log2(n + 2)); iterators keep a stack this deep.
const MAX_DEPTH: usize = 64;

/// A value stored in a [`Tree`]: it has a key and contributes to its
/// subtree's aggregate.
pub trait Augmented {
    /// The ordering key; unique within a tree.
    type Key: Ord + Copy;
    /// The subtree summary.
    type Agg: Copy;
    /// This value's key.
    fn key(&self) -> Self::Key;
    /// The summary of the subtree rooted at this value, given its children's.
    fn aggregate(&self, left: Option<&Self::Agg>, right: Option<&Self::Agg>) -> Self::Agg;
}

/// One arena slot.
pub struct Node<V: Augmented> {
    value: V,
    agg: V::Agg,
    left: u32,
    right: u32,
    height: u8,
}

/// An augmented AVL tree whose nodes live in one vector of the allocator family `A`.
pub struct Tree<V: Augmented, A: Alloc> {
    nodes: A::Vec<Node<V>>,
    root: u32,
    _v: core::marker::PhantomData<V>,
}

/// A read-only handle on one node, for searches that walk the tree using
/// the aggregates.
pub struct NodeRef<'a, V: Augmented, A: Alloc> {
    tree: &'a Tree<V, A>,
    idx: u32,
}

impl<V: Augmented, A: Alloc> Clone for NodeRef<'_, V, A> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<V: Augmented, A: Alloc> Copy for NodeRef<'_, V, A> {}

impl<'a, V: Augmented, A: Alloc> NodeRef<'a, V, A> {
    /// The value at this node.
    pub fn value(&self) -> &'a V {
        &self.tree.node(self.idx).value
    }
    /// The aggregate of this node's subtree.
    pub fn agg(&self) -> &'a V::Agg {
        &self.tree.node(self.idx).agg
    }
    /// The left child.
    pub fn left(&self) -> Option<Self> {
        self.tree.node_ref(self.tree.node(self.idx).left)
    }
    /// The right child.
    pub fn right(&self) -> Option<Self> {
        self.tree.node_ref(self.tree.node(self.idx).right)
    }
}

impl<V: Augmented, A: Alloc> Default for Tree<V, A> {
    fn default() -> Self {
        Self::new()
    }
}

impl<V: Augmented, A: Alloc> Tree<V, A> {
    /// An empty tree.
    pub fn new() -> Self {
        Self {
            nodes: Default::default(),
            root: NIL,
            _v: core::marker::PhantomData,
        }
    }

    /// How many values the tree holds.
    pub fn len(&self) -> usize {
        self.nodes.as_slice().len()
    }

    /// Whether the tree is empty.
    pub fn is_empty(&self) -> bool {
        self.root == NIL
    }

    /// The root, for aggregate-guided searches.
    pub fn root(&self) -> Option<NodeRef<'_, V, A>> {
        self.node_ref(self.root)
    }

    fn node_ref(&self, idx: u32) -> Option<NodeRef<'_, V, A>> {
        (idx != NIL).then_some(NodeRef { tree: self, idx })
    }

    fn node(&self, idx: u32) -> &Node<V> {
        &self.nodes.as_slice()[idx as usize]
    }

    fn node_mut(&mut self, idx: u32) -> &mut Node<V> {
        &mut self.nodes.as_mut_slice()[idx as usize]
    }

    fn height(&self, idx: u32) -> u8 {
        if idx == NIL {
            0
        } else {
            self.node(idx).height
        }
    }

    fn agg_of(&self, idx: u32) -> Option<V::Agg> {
        (idx != NIL).then(|| self.node(idx).agg)
    }

    /// Recomputes height and aggregate of `idx` from its children.
    fn update(&mut self, idx: u32) {
        let (l, r) = (self.node(idx).left, self.node(idx).right);
        let height = 1 + self.height(l).max(self.height(r));
        let (la, ra) = (self.agg_of(l), self.agg_of(r));
        let n = self.node_mut(idx);
        n.height = height;
        n.agg = n.value.aggregate(la.as_ref(), ra.as_ref());
    }

    fn rotate_right(&mut self, idx: u32) -> u32 {
        let l = self.node(idx).left;
        self.node_mut(idx).left = self.node(l).right;
        self.node_mut(l).right = idx;
        self.update(idx);
        self.update(l);
        l
    }

    fn rotate_left(&mut self, idx: u32) -> u32 {
        let r = self.node(idx).right;
        self.node_mut(idx).right = self.node(r).left;
        self.node_mut(r).left = idx;
        self.update(idx);
        self.update(r);
        r
    }

    /// Restores the AVL balance at `idx` (children already balanced) and
    /// returns the new subtree root.
    fn balance(&mut self, idx: u32) -> u32 {
        self.update(idx);
        let (l, r) = (self.node(idx).left, self.node(idx).right);
        let (hl, hr) = (self.height(l), self.height(r));
        if hl > hr + 1 {
            if self.height(self.node(l).left) < self.height(self.node(l).right) {
                let nl = self.rotate_left(l);
                self.node_mut(idx).left = nl;
            }
            self.rotate_right(idx)
        } else if hr > hl + 1 {
            if self.height(self.node(r).right) < self.height(self.node(r).left) {
                let nr = self.rotate_right(r);
                self.node_mut(idx).right = nr;
            }
            self.rotate_left(idx)
        } else {
            idx
        }
    }

    /// Inserts `value`. Its key must not be in the tree yet (a duplicate is
    /// placed after the existing key, which breaks lookups: callers check).
    pub fn insert(&mut self, value: V) -> Result<(), AllocError> {
        let idx = self.len();
        let idx32 = u32::try_from(idx).map_err(|_| AllocError)?;
        if idx32 == NIL {
            return Err(AllocError);
        }
        let agg = value.aggregate(None, None);
        self.nodes.push(Node {
            value,
            agg,
            left: NIL,
            right: NIL,
            height: 1,
        })?;
        self.root = self.insert_at(self.root, idx32);
        Ok(())
    }

    fn insert_at(&mut self, at: u32, new: u32) -> u32 {
        if at == NIL {
            return new;
        }
        if self.node(new).value.key() < self.node(at).value.key() {
            let l = self.insert_at(self.node(at).left, new);
            self.node_mut(at).left = l;
        } else {
            let r = self.insert_at(self.node(at).right, new);
            self.node_mut(at).right = r;
        }
        self.balance(at)
    }

    /// Removes and returns the value with `key`.
    pub fn remove(&mut self, key: V::Key) -> Option<V> {
        let mut removed = NIL;
        self.root = self.remove_at(self.root, key, &mut removed);
        if removed == NIL {
            return None;
        }
        self.compact(removed)
    }

    fn remove_at(&mut self, at: u32, key: V::Key, removed: &mut u32) -> u32 {
        if at == NIL {
            return NIL;
        }
        match key.cmp(&self.node(at).value.key()) {
            Ordering::Less => {
                let l = self.remove_at(self.node(at).left, key, removed);
                self.node_mut(at).left = l;
            }
            Ordering::Greater => {
                let r = self.remove_at(self.node(at).right, key, removed);
                self.node_mut(at).right = r;
            }
            Ordering::Equal => {
                *removed = at;
                let (l, r) = (self.node(at).left, self.node(at).right);
                if l == NIL {
                    return r;
                }
                if r == NIL {
                    return l;
                }
                let mut min = NIL;
                let nr = self.remove_min(r, &mut min);
                self.node_mut(min).left = l;
                self.node_mut(min).right = nr;
                return self.balance(min);
            }
        }
        self.balance(at)
    }

    fn remove_min(&mut self, at: u32, min: &mut u32) -> u32 {
        let l = self.node(at).left;
        if l == NIL {
            *min = at;
            return self.node(at).right;
        }
        let nl = self.remove_min(l, min);
        self.node_mut(at).left = nl;
        self.balance(at)
    }

    /// Frees the unlinked slot `hole` by moving the last slot into it.
    fn compact(&mut self, hole: u32) -> Option<V> {
        let last = (self.len() - 1) as u32;
        if hole != last {
            // Point whoever links to `last` at `hole` instead.
            let key = self.node(last).value.key();
            if self.root == last {
                self.root = hole;
            } else {
                let mut p = self.root;
                loop {
                    let n = self.node(p);
                    let next = if key < n.value.key() { n.left } else { n.right };
                    if next == last {
                        break;
                    }
                    p = next;
                }
                let n = self.node_mut(p);
                if n.left == last {
                    n.left = hole;
                } else {
                    n.right = hole;
                }
            }
            self.nodes.as_mut_slice().swap(hole as usize, last as usize);
        }
        // The freed slot is now the last one.
        self.nodes.pop().map(|n| n.value)
    }

    /// The value with `key`.
    #[cfg(feature = "host")]
    pub fn get(&self, key: V::Key) -> Option<&V> {
        let mut at = self.root;
        while at != NIL {
            let n = self.node(at);
            match key.cmp(&n.value.key()) {
                Ordering::Less => at = n.left,
                Ordering::Greater => at = n.right,
                Ordering::Equal => return Some(&n.value),
            }
        }
        None
    }

    /// The value with the greatest key `<= key`.
    pub fn last_le(&self, key: V::Key) -> Option<&V> {
        let (mut at, mut best) = (self.root, None);
        while at != NIL {
            let n = self.node(at);
            if n.value.key() <= key {
                best = Some(&n.value);
                at = n.right;
            } else {
                at = n.left;
            }
        }
        best
    }

    /// The value with the smallest key `>= key`.
    pub fn first_ge(&self, key: V::Key) -> Option<&V> {
        let (mut at, mut best) = (self.root, None);
        while at != NIL {
            let n = self.node(at);
            if n.value.key() >= key {
                best = Some(&n.value);
                at = n.left;
            } else {
                at = n.right;
            }
        }
        best
    }

    /// In-order iteration over the values with keys `>= key`.
    pub fn iter_from(&self, key: V::Key) -> Iter<'_, V, A> {
        let mut it = Iter {
            tree: self,
            stack: [NIL; MAX_DEPTH],
            depth: 0,
        };
        let mut at = self.root;
        while at != NIL && it.depth < MAX_DEPTH {
            let n = self.node(at);
            if n.value.key() >= key {
                it.stack[it.depth] = at;
                it.depth += 1;
                at = n.left;
            } else {
                at = n.right;
            }
        }
        it
    }

    /// In-order iteration over all values.
    pub fn iter(&self) -> Iter<'_, V, A> {
        let mut it = Iter {
            tree: self,
            stack: [NIL; MAX_DEPTH],
            depth: 0,
        };
        it.push_left(self.root);
        it
    }

    /// Makes room for `n` more values, so the next `n` inserts cannot fail.
    pub fn reserve(&mut self, n: usize) -> Result<(), AllocError> {
        self.nodes.reserve(n)
    }

    /// Removes every value.
    #[cfg(feature = "host")]
    pub fn clear(&mut self) {
        while self.nodes.pop().is_some() {}
        self.root = NIL;
    }

    /// Checks the AVL shape, key order and every aggregate (for tests).
    #[cfg(feature = "host")]
    pub fn check(&self) -> bool
    where
        V::Agg: PartialEq,
    {
        let mut count = 0;
        let ok = self.check_at(self.root, None, None, &mut count).is_some();
        ok && count == self.len()
    }

    #[cfg(feature = "host")]
    fn check_at(
        &self,
        at: u32,
        lo: Option<V::Key>,
        hi: Option<V::Key>,
        count: &mut usize,
    ) -> Option<u8>
    where
        V::Agg: PartialEq,
    {
        if at == NIL {
            return Some(0);
        }
        *count += 1;
        let n = self.node(at);
        let k = n.value.key();
        if lo.is_some_and(|lo| k <= lo) || hi.is_some_and(|hi| k >= hi) {
            return None;
        }
        let hl = self.check_at(n.left, lo, Some(k), count)?;
        let hr = self.check_at(n.right, Some(k), hi, count)?;
        let agg = n
            .value
            .aggregate(self.agg_of(n.left).as_ref(), self.agg_of(n.right).as_ref());
        let balanced = hl.abs_diff(hr) <= 1;
        (balanced && n.height == 1 + hl.max(hr) && agg == n.agg).then_some(n.height)
    }
}

/// In-order iterator of a [`Tree`].
pub struct Iter<'a, V: Augmented, A: Alloc> {
    tree: &'a Tree<V, A>,
    stack: [u32; MAX_DEPTH],
    depth: usize,
}

impl<V: Augmented, A: Alloc> Iter<'_, V, A> {
    fn push_left(&mut self, mut at: u32) {
        while at != NIL && self.depth < MAX_DEPTH {
            self.stack[self.depth] = at;
            self.depth += 1;
            at = self.tree.node(at).left;
        }
    }
}

impl<'a, V: Augmented, A: Alloc> Iterator for Iter<'a, V, A> {
    type Item = &'a V;

    fn next(&mut self) -> Option<&'a V> {
        if self.depth == 0 {
            return None;
        }
        self.depth -= 1;
        let at = self.stack[self.depth];
        let n = self.tree.node(at);
        self.push_left(n.right);
        Some(&n.value)
    }
}
