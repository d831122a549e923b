// SPDX-License-Identifier: GPL-2.0

//! A stage-2 translation table: map, unmap, walk, over table pages the
//! caller provides through [`TableMemory`].
//!
//! What one map call maps is held in the fewest descriptors: a block
//! wherever its IOVA and output address are aligned to the block size. A
//! leaf never holds what two map calls mapped: tables that separate calls
//! filled are not merged into a block, so unmapping exactly what one call
//! mapped (all the front end ever unmaps) clears whole leaves and never
//! needs a new table, and cannot fail part-way for want of memory. An
//! unmap in the middle of a block still splits it (other callers may ask
//! for that, and it may fail short); a table that becomes empty is freed.
//!
//! Ordering rules (Arm ARM D8.16, SMMUv3 §3.21): a new table is filled
//! before it is linked, so the walker never sees a half-built subtree; an
//! entry that is live and changes from block to table or back is replaced
//! directly under BBML2, and otherwise through break-before-make (invalid,
//! invalidate, new); a table page is freed only after an invalidation that
//! covers its range has completed, because the walk caches may still hold
//! it.

use super::descriptor::{
    level_has_leaves,
    level_shift,
    level_size,
    Entry,
    Prot,
    ENTRIES, //
};

/// The memory and TLB behind a page table.
///
/// Table pages are named by their physical address, which is what the
/// descriptors hold. The format code only passes addresses that
/// [`TableMemory::alloc_table`] returned and that it has not freed.
pub trait TableMemory {
    /// A zeroed 4 KiB table page, or `None` when out of memory.
    fn alloc_table(&mut self) -> Option<u64>;
    /// Entry `index` of `table`.
    fn read(&self, table: u64, index: usize) -> u64;
    /// Sets entry `index` of `table`, as one single-copy-atomic write that
    /// the SMMU observes before any later invalidation command.
    fn write(&mut self, table: u64, index: usize, value: u64);
    /// Frees a table the walker cannot reach or have cached (never linked,
    /// or the whole table is being torn down after the domain is detached).
    fn free_table(&mut self, table: u64);
    /// Queues an unlinked table, to be freed by [`TableMemory::free_retired`].
    fn retire_table(&mut self, table: u64);
    /// Invalidates every cached translation and table walk of
    /// `[iova, iova + size)` and waits until the SMMU has done so.
    fn invalidate(&mut self, iova: u64, size: u64);
    /// Frees every retired table. Called only after an invalidation that
    /// covered an address of each retired table's range.
    fn free_retired(&mut self);
    /// Orders every earlier write (a new table's entries, and its zeroing)
    /// before the next one, which links that table: the walker must never
    /// see the link before the contents (`dma_wmb()` in the kernel).
    fn order_before_link(&mut self);
}

/// Why a map failed. Nothing is left mapped by a failed map.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MapError {
    /// Part of the range is already mapped (`-EEXIST`).
    Exists,
    /// A table page could not be allocated (`-ENOMEM`).
    NoMemory,
    /// Unaligned, empty, or beyond the input or output address size
    /// (`-EINVAL`).
    Range,
}

/// The answer of a walk: where one IOVA goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Translation {
    /// Output address of the walked IOVA (not of the leaf's start).
    pub pa: u64,
    /// Size of the leaf that maps it: 4 KiB, 2 MiB or 1 GiB.
    pub leaf_size: u64,
    /// Its permissions and memory type.
    pub prot: Prot,
}

/// The geometry of a table and how it may be changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Config {
    /// Input (IOVA) size in bits, 25..=48.
    pub ias: u32,
    /// Output (physical) address size in bits, 32..=48.
    pub oas: u32,
    /// The SMMU may change a live entry between block and table without
    /// break-before-make (SMMU_IDR3.BBML == 2).
    pub live_resize: bool,
    /// The table is used with STE.S2FWB: cacheable leaves force write-back
    /// (a nest parent on an SMMU with SMMU_IDR3.FWB).
    pub fwb: bool,
}

/// A stage-2 page table with a 4 KiB granule.
pub struct PageTable<M: TableMemory> {
    mem: M,
    root: u64,
    start_level: u32,
    config: Config,
}

const PAGE: u64 = 4096;

impl<M: TableMemory> PageTable<M> {
    /// Allocates the root table. `None` if `config` is out of range or the
    /// root cannot be allocated.
    pub fn new(mut mem: M, config: Config) -> Option<Self> {
        if !(25..=48).contains(&config.ias) || !(32..=48).contains(&config.oas) {
            return None;
        }
        let start_level = Self::start_level_for(config.ias);
        let root = mem.alloc_table()?;
        Some(Self {
            mem,
            root,
            start_level,
            config,
        })
    }

    /// The level of the root table for `ias`: the lowest level whose single
    /// table (no concatenation) spans the input range.
    pub fn start_level_for(ias: u32) -> u32 {
        (0..3)
            .find(|&l| ias > level_shift(l + 1) + 9)
            .map_or(3, |l| l)
    }

    /// The level of the root table.
    pub fn start_level(&self) -> u32 {
        self.start_level
    }

    /// The physical address of the root table (STE.S2TTB).
    pub fn root(&self) -> u64 {
        self.root
    }

    /// The geometry this table was made with.
    #[cfg(feature = "host")]
    pub fn config(&self) -> Config {
        self.config
    }

    /// The memory behind the table.
    #[cfg(feature = "host")]
    pub fn memory(&self) -> &M {
        &self.mem
    }

    /// The memory behind the table, mutably (for its own bookkeeping).
    pub fn memory_mut(&mut self) -> &mut M {
        &mut self.mem
    }

    fn check_range(&self, iova: u64, pa: u64, size: u64) -> bool {
        let in_end = 1u64 << self.config.ias;
        let out_end = 1u64 << self.config.oas;
        size != 0
            && (iova | pa | size) % PAGE == 0
            && iova < in_end
            && size <= in_end - iova
            && pa < out_end
            && size <= out_end - pa
    }

    /// Maps `[iova, iova + size)` to `[pa, pa + size)` with the largest
    /// leaves alignment allows. Fails without changing anything if any
    /// page of the range is already mapped.
    pub fn map(&mut self, iova: u64, pa: u64, size: u64, prot: Prot) -> Result<(), MapError> {
        if !self.check_range(iova, pa, size) {
            return Err(MapError::Range);
        }
        if size == PAGE {
            if let Some(r) = self.map_page(iova, pa, prot) {
                return r;
            }
        }
        let mut done = 0;
        let result = self.map_level(self.root, self.start_level, iova, pa, size, prot, &mut done);
        if result.is_err() && done != 0 {
            // The prefix [iova, iova + done) is mapped in full, so this
            // unmaps exactly it.
            self.unmap(iova, done);
        }
        result
    }

    /// The common case of [`Self::map`], one page where every table on
    /// its path exists (scattered memory is one call per page): a walk down
    /// without recursion and the page written. `None` if a table on the
    /// path is missing: the general path builds it.
    fn map_page(&mut self, iova: u64, pa: u64, prot: Prot) -> Option<Result<(), MapError>> {
        let mut table = self.root;
        for level in self.start_level..3 {
            match Entry::decode(self.mem.read(table, Self::index(iova, level)), level) {
                Entry::Table(child) => table = child,
                Entry::Leaf { .. } => return Some(Err(MapError::Exists)),
                Entry::Invalid => return None,
            }
        }
        let idx = Self::index(iova, 3);
        if Entry::decode(self.mem.read(table, idx), 3) != Entry::Invalid {
            return Some(Err(MapError::Exists));
        }
        let leaf = Entry::Leaf { pa, prot };
        self.mem
            .write(table, idx, leaf.encode_for(3, self.config.fwb));
        Some(Ok(()))
    }

    /// Index of `iova` in a table at `level`.
    fn index(iova: u64, level: u32) -> usize {
        // Masked to 9 bits, so the cast cannot truncate.
        ((iova >> level_shift(level)) & (ENTRIES as u64 - 1)) as usize
    }

    /// Maps `[iova, iova + size)` in `table` at `level`.
    #[allow(clippy::too_many_arguments)]
    fn map_level(
        &mut self,
        table: u64,
        level: u32,
        iova: u64,
        pa: u64,
        size: u64,
        prot: Prot,
        done: &mut u64,
    ) -> Result<(), MapError> {
        if level == 3 {
            return self.map_pages_in_table(table, iova, pa, size, prot, done);
        }
        let esize = level_size(level);
        let end = iova + size;
        let mut cur = iova;
        while cur < end {
            let idx = Self::index(cur, level);
            let ebase = cur & !(esize - 1);
            let chunk_end = end.min(ebase + esize);
            let cur_pa = pa + (cur - iova);
            let whole = cur == ebase && chunk_end == ebase + esize;
            match Entry::decode(self.mem.read(table, idx), level) {
                Entry::Leaf { .. } => return Err(MapError::Exists),
                Entry::Invalid if whole && level_has_leaves(level) && cur_pa % esize == 0 => {
                    let leaf = Entry::Leaf { pa: cur_pa, prot };
                    self.mem
                        .write(table, idx, leaf.encode_for(level, self.config.fwb));
                    *done += esize;
                }
                Entry::Invalid => {
                    // Build the subtree offline and link it when complete.
                    let child = self.mem.alloc_table().ok_or(MapError::NoMemory)?;
                    let before = *done;
                    let r =
                        self.map_level(child, level + 1, cur, cur_pa, chunk_end - cur, prot, done);
                    if let Err(e) = r {
                        self.free_subtree(child, level + 1);
                        *done = before;
                        return Err(e);
                    }
                    self.mem.order_before_link();
                    self.mem
                        .write(table, idx, Entry::Table(child).encode(level));
                }
                Entry::Table(child) => {
                    // Filled by earlier calls: never merged with what this
                    // one maps (see the module's documentation).
                    self.map_level(child, level + 1, cur, cur_pa, chunk_end - cur, prot, done)?;
                }
            }
            cur = chunk_end;
        }
        Ok(())
    }

    /// [`Self::map_level`] at the last level, where every entry of the
    /// range is one whole, aligned page of one table (its caller splits the
    /// range by table): consecutive entries in a tight loop, stopping at
    /// the first one already mapped as the general loop does.
    fn map_pages_in_table(
        &mut self,
        table: u64,
        iova: u64,
        pa: u64,
        size: u64,
        prot: Prot,
        done: &mut u64,
    ) -> Result<(), MapError> {
        let first = Self::index(iova, 3);
        // The range lies inside this table: at most ENTRIES pages.
        let count = (size / PAGE) as usize;
        for i in 0..count {
            let idx = first + i;
            if Entry::decode(self.mem.read(table, idx), 3) != Entry::Invalid {
                return Err(MapError::Exists);
            }
            let leaf = Entry::Leaf {
                pa: pa + i as u64 * PAGE,
                prot,
            };
            self.mem
                .write(table, idx, leaf.encode_for(3, self.config.fwb));
            *done += PAGE;
        }
        Ok(())
    }

    /// Unmaps from `iova` until `size` bytes are unmapped or the first
    /// unmapped page, splitting blocks that straddle either end. Returns the
    /// bytes unmapped (a prefix of the range); 0 for a bad range. Every
    /// unmapped translation is invalidated before this returns.
    pub fn unmap(&mut self, iova: u64, size: u64) -> u64 {
        let in_end = 1u64 << self.config.ias;
        if size == 0 || (iova | size) % PAGE != 0 || iova >= in_end || size > in_end - iova {
            return 0;
        }
        let (n, _) = self.unmap_level(self.root, self.start_level, iova, size, true);
        if n != 0 {
            self.mem.invalidate(iova, n);
        }
        self.mem.free_retired();
        n
    }

    /// Returns the bytes unmapped and whether it stopped early (a hole or
    /// an allocation failure while splitting).
    fn unmap_level(
        &mut self,
        table: u64,
        level: u32,
        iova: u64,
        size: u64,
        live: bool,
    ) -> (u64, bool) {
        let esize = level_size(level);
        let end = iova + size;
        let mut cur = iova;
        let mut total = 0;
        while cur < end {
            let idx = Self::index(cur, level);
            let ebase = cur & !(esize - 1);
            let chunk_end = end.min(ebase + esize);
            let whole = cur == ebase && chunk_end == ebase + esize;
            match Entry::decode(self.mem.read(table, idx), level) {
                Entry::Invalid => return (total, true),
                Entry::Leaf { .. } if whole => {
                    self.mem.write(table, idx, 0);
                    total += esize;
                }
                Entry::Leaf { pa, prot } => {
                    // Split: a new table holding the whole block as leaves
                    // one level down, unmapped offline, then linked.
                    let Some(child) = self.mem.alloc_table() else {
                        return (total, true);
                    };
                    let csize = level_size(level + 1);
                    for i in 0..ENTRIES {
                        let leaf = Entry::Leaf {
                            pa: pa + i as u64 * csize,
                            prot,
                        };
                        self.mem
                            .write(child, i, leaf.encode_for(level + 1, self.config.fwb));
                    }
                    let (n, stop) = self.unmap_level(child, level + 1, cur, chunk_end - cur, false);
                    if n == 0 {
                        self.free_subtree(child, level + 1);
                        return (total, true);
                    }
                    self.mem.order_before_link();
                    self.replace(
                        table,
                        idx,
                        Entry::Table(child).encode(level),
                        ebase,
                        esize,
                        live,
                    );
                    total += n;
                    if stop {
                        return (total, true);
                    }
                }
                Entry::Table(child) if whole && level + 1 == 3 && self.all_pages(child) => {
                    // A last-level table mapped in full and unmapped whole:
                    // unlink it, as the per-entry path below would end up
                    // doing, without clearing its 512 entries one by one.
                    self.unlink_table(table, idx, child, live);
                    total += esize;
                }
                Entry::Table(child) => {
                    let (n, stop) = self.unmap_level(child, level + 1, cur, chunk_end - cur, live);
                    total += n;
                    if (whole && n == esize) || self.is_empty(child) {
                        self.unlink_table(table, idx, child, live);
                    }
                    if stop {
                        return (total, true);
                    }
                }
            }
            cur = chunk_end;
        }
        (total, false)
    }

    /// Changes entry `idx` of `table` (covering `[base, base + size)`)
    /// from one valid entry to another of a different size.
    fn replace(&mut self, table: u64, idx: usize, value: u64, base: u64, size: u64, live: bool) {
        if !live || self.config.live_resize {
            self.mem.write(table, idx, value);
        } else {
            // Break-before-make.
            self.mem.write(table, idx, 0);
            self.mem.invalidate(base, size);
            self.mem.write(table, idx, value);
        }
    }

    /// Clears entry `idx` of `table`, which links `child`, and lets the
    /// child go: retired until the unmap's invalidation if the table is
    /// live (the SMMU may still walk it), freed at once otherwise.
    fn unlink_table(&mut self, table: u64, idx: usize, child: u64, live: bool) {
        self.mem.write(table, idx, 0);
        if live {
            self.mem.retire_table(child);
        } else {
            self.mem.free_table(child);
        }
    }

    /// Whether every entry of the last-level `table` maps a page.
    fn all_pages(&self, table: u64) -> bool {
        (0..ENTRIES).all(|i| {
            matches!(
                Entry::decode(self.mem.read(table, i), 3),
                Entry::Leaf { .. }
            )
        })
    }

    fn is_empty(&self, table: u64) -> bool {
        (0..ENTRIES).all(|i| self.mem.read(table, i) == 0)
    }

    /// Frees `table` (at `level`) and every table below it, directly.
    fn free_subtree(&mut self, table: u64, level: u32) {
        if level < 3 {
            for i in 0..ENTRIES {
                if let Entry::Table(child) = Entry::decode(self.mem.read(table, i), level) {
                    self.free_subtree(child, level + 1);
                }
            }
        }
        self.mem.free_table(table);
    }

    /// Where `iova` translates to, as the SMMU's walk would find it.
    pub fn walk(&self, iova: u64) -> Option<Translation> {
        if iova >> self.config.ias != 0 {
            return None;
        }
        let mut table = self.root;
        let mut level = self.start_level;
        loop {
            match Entry::decode(self.mem.read(table, Self::index(iova, level)), level) {
                Entry::Invalid => return None,
                Entry::Leaf { pa, prot } => {
                    let leaf_size = level_size(level);
                    return Some(Translation {
                        pa: pa + (iova & (leaf_size - 1)),
                        leaf_size,
                        prot,
                    });
                }
                Entry::Table(child) => {
                    table = child;
                    level += 1;
                }
            }
        }
    }

    /// Calls `f` with every leaf, in IOVA order: the leaf's first IOVA and
    /// its translation (output address of that IOVA, size, attributes).
    /// Stops at the first error `f` returns and returns it.
    pub fn for_each_leaf<E>(
        &self,
        f: &mut impl FnMut(u64, Translation) -> Result<(), E>,
    ) -> Result<(), E> {
        self.visit_leaves(self.root, self.start_level, 0, f)
    }

    fn visit_leaves<E>(
        &self,
        table: u64,
        level: u32,
        base: u64,
        f: &mut impl FnMut(u64, Translation) -> Result<(), E>,
    ) -> Result<(), E> {
        for i in 0..ENTRIES {
            let iova = base + ((i as u64) << level_shift(level));
            match Entry::decode(self.mem.read(table, i), level) {
                Entry::Invalid => {}
                Entry::Leaf { pa, prot } => f(
                    iova,
                    Translation {
                        pa,
                        leaf_size: level_size(level),
                        prot,
                    },
                )?,
                Entry::Table(child) => self.visit_leaves(child, level + 1, iova, f)?,
            }
        }
        Ok(())
    }

    /// Valid descriptors in the whole table (tables and leaves), not
    /// counting the root itself.
    pub fn descriptor_count(&self) -> u64 {
        self.count_level(self.root, self.start_level)
    }

    fn count_level(&self, table: u64, level: u32) -> u64 {
        let mut n = 0;
        for i in 0..ENTRIES {
            match Entry::decode(self.mem.read(table, i), level) {
                Entry::Invalid => {}
                Entry::Leaf { .. } => n += 1,
                Entry::Table(child) => n += 1 + self.count_level(child, level + 1),
            }
        }
        n
    }
}

/// What one entry's span needs at least, from [`PageTable::min_descriptor_count`].
struct MinSpan {
    /// The fewest descriptors that hold the span's translations, counting
    /// the entry itself.
    count: u64,
    /// Output address and attributes of the span's first byte, when the
    /// whole span maps to one contiguous output range with one set of
    /// attributes (a leaf of the entry's level could hold it, alignment
    /// permitting).
    contiguous: Option<(u64, Prot)>,
}

impl<M: TableMemory> PageTable<M> {
    /// The fewest valid descriptors (below the root) that any 4 KiB-granule
    /// table needs for the translations this one holds: every span that
    /// maps to one aligned, contiguous output range with equal attributes
    /// counts as one block. [`Self::descriptor_count`] equals it when the
    /// table uses every block it could; the difference is what holding
    /// separate map calls' ranges apart (never one leaf for two calls) or
    /// a missed block costs.
    ///
    /// It depends only on what the table translates, not on how it is
    /// built, and needs no memory.
    pub fn min_descriptor_count(&self) -> u64 {
        (0..ENTRIES)
            .map(|i| self.min_span(self.root, i, self.start_level).count)
            .sum()
    }

    fn min_span(&self, table: u64, index: usize, level: u32) -> MinSpan {
        match Entry::decode(self.mem.read(table, index), level) {
            Entry::Invalid => MinSpan {
                count: 0,
                contiguous: None,
            },
            Entry::Leaf { pa, prot } => MinSpan {
                count: 1,
                contiguous: Some((pa, prot)),
            },
            Entry::Table(child) => {
                let child_size = level_size(level + 1);
                let mut below = 0;
                let mut contiguous = None;
                for i in 0..ENTRIES {
                    let span = self.min_span(child, i, level + 1);
                    below += span.count;
                    // The run so far continues only if this entry starts
                    // where the first one's output would be.
                    contiguous = match (i, contiguous, span.contiguous) {
                        (0, _, first) => first,
                        (_, Some((pa0, prot0)), Some((pa, prot)))
                            if prot == prot0 && pa == pa0 + i as u64 * child_size =>
                        {
                            Some((pa0, prot0))
                        }
                        _ => None,
                    };
                }
                match contiguous {
                    Some((pa0, _)) if level_has_leaves(level) && pa0 % level_size(level) == 0 => {
                        MinSpan {
                            count: 1,
                            contiguous,
                        }
                    }
                    _ => MinSpan {
                        count: 1 + below,
                        contiguous: None,
                    },
                }
            }
        }
    }
}

impl<M: TableMemory> Drop for PageTable<M> {
    /// Frees every table page. The table must no longer be reachable by
    /// the SMMU (no STE points at it and its VMID has been invalidated).
    fn drop(&mut self) {
        self.free_subtree(self.root, self.start_level);
    }
}
