// SPDX-License-Identifier: GPL-2.0

//! The obvious model of a page table: a sorted set of mapped runs, with
//! what a walk must answer and the fewest descriptors any 4 KiB-granule
//! table can hold the runs in.

use crate::{level_size, MapError, Prot};
use std::collections::BTreeMap;

/// One mapped run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Run {
    /// Length in bytes.
    pub size: u64,
    /// Output address of its first byte.
    pub pa: u64,
    /// Attributes.
    pub prot: Prot,
}

/// Mapped runs by first IOVA; they never overlap.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Model {
    /// The runs.
    pub runs: BTreeMap<u64, Run>,
}

impl Model {
    /// The run holding `iova`, with its start.
    pub fn run_at(&self, iova: u64) -> Option<(u64, Run)> {
        let (&s, &r) = self.runs.range(..=iova).next_back()?;
        (iova < s + r.size).then_some((s, r))
    }

    fn overlaps(&self, iova: u64, size: u64) -> bool {
        self.run_at(iova).is_some() || self.runs.range(iova..iova + size).next().is_some()
    }

    /// Maps, failing like the page table (nothing changes on failure).
    pub fn map(&mut self, iova: u64, pa: u64, size: u64, prot: Prot) -> Result<(), MapError> {
        if self.overlaps(iova, size) {
            return Err(MapError::Exists);
        }
        self.runs.insert(iova, Run { size, pa, prot });
        Ok(())
    }

    /// Unmaps the mapped prefix of `[iova, iova + size)`; returns its length.
    pub fn unmap(&mut self, iova: u64, size: u64) -> u64 {
        let end = iova + size;
        let mut cur = iova;
        while cur < end {
            let Some((s, r)) = self.run_at(cur) else {
                break;
            };
            self.runs.remove(&s);
            if s < cur {
                self.runs.insert(s, Run { size: cur - s, ..r });
            }
            let rend = s + r.size;
            if rend > end {
                let off = end - s;
                self.runs.insert(
                    end,
                    Run {
                        size: rend - end,
                        pa: r.pa + off,
                        prot: r.prot,
                    },
                );
            }
            cur = rend.min(end);
        }
        cur - iova
    }

    /// Output address and attributes of `iova`.
    pub fn lookup(&self, iova: u64) -> Option<(u64, Prot)> {
        self.run_at(iova).map(|(s, r)| (r.pa + (iova - s), r.prot))
    }

    /// Whether `[a, a + size)` is mapped in full, to one contiguous output
    /// range aligned to `size`, with one set of attributes: one leaf can
    /// hold it.
    pub fn uniform(&self, a: u64, size: u64) -> bool {
        let Some((pa, prot)) = self.lookup(a) else {
            return false;
        };
        if pa % size != 0 {
            return false;
        }
        let end = a + size;
        let mut cur = a;
        while cur < end {
            match self.run_at(cur) {
                Some((s, r)) if r.prot == prot && r.pa + (cur - s) == pa + (cur - a) => {
                    cur = s + r.size;
                }
                _ => return false,
            }
        }
        true
    }

    /// Whether one run holds `[a, a + size)` in full, at an output address
    /// aligned to `size`: a leaf of that size the table makes for one map
    /// call (a run is what one call mapped, less what was unmapped since),
    /// never merging what separate calls mapped.
    pub fn one_call(&self, a: u64, size: u64) -> bool {
        self.run_at(a)
            .is_some_and(|(s, r)| a + size <= s + r.size && (r.pa + (a - s)) % size == 0)
    }

    /// The leaf size a minimal table uses for `iova`.
    pub fn leaf_size(&self, iova: u64, start_level: u32) -> Option<u64> {
        self.leaf_size_where(iova, start_level, Self::uniform)
    }

    /// The leaf size the table uses for `iova` when it holds each map
    /// call's range in the fewest descriptors and merges none.
    pub fn leaf_size_by_call(&self, iova: u64, start_level: u32) -> Option<u64> {
        self.leaf_size_where(iova, start_level, Self::one_call)
    }

    fn leaf_size_where(
        &self,
        iova: u64,
        start_level: u32,
        leaf: fn(&Self, u64, u64) -> bool,
    ) -> Option<u64> {
        self.lookup(iova)?;
        (start_level.max(1)..=3)
            .map(level_size)
            .find(|&sz| leaf(self, iova & !(sz - 1), sz))
    }

    /// The fewest valid descriptors (below the root) that hold every run.
    pub fn min_descriptors(&self, start_level: u32) -> u64 {
        self.min_in_table(start_level, 0, Self::uniform)
    }

    /// The fewest valid descriptors (below the root) that hold every run
    /// when no leaf holds what two map calls mapped.
    pub fn min_descriptors_by_call(&self, start_level: u32) -> u64 {
        self.min_in_table(start_level, 0, Self::one_call)
    }

    fn min_in_table(&self, level: u32, base: u64, leaf: fn(&Self, u64, u64) -> bool) -> u64 {
        let esize = level_size(level);
        let span = esize * 512;
        let mut n = 0;
        let mut next = base;
        // Visit only the entries some run touches.
        while next < base + span {
            let e = match self.run_at(next) {
                Some(_) => next,
                None => match self.runs.range(next..base + span).next() {
                    Some((&s, _)) => s,
                    None => break,
                },
            };
            let eb = e & !(esize - 1);
            if level >= 1 && leaf(self, eb, esize) {
                n += 1;
            } else if level == 3 {
                n += 1;
            } else {
                n += 1 + self.min_in_table(level + 1, eb, leaf);
            }
            next = eb + esize;
        }
        n
    }
}
