// SPDX-License-Identifier: GPL-2.0

//! One I/O address space: areas, allowed ranges, reserved ranges and the
//! IOVA allocator, with upstream iommufd's rules and errnos
//! (`drivers/iommu/iommufd/io_pagetable.c`, Linux 7.3).
//!
//! Every operation either succeeds or fails leaving the space exactly as it
//! was: allocations are made before anything changes, and checks are done
//! before anything is removed. (Upstream's unmap is not atomic: it can
//! unmap some areas and then fail with `-ENOENT` on a partial one. Here a
//! failed unmap unmaps nothing.)
//!
//! Every area records where its first byte sits in its backing page (its
//! page offset, upstream's `area->page_offset`). An IOMMU domain maps whole
//! pages: an area can be mapped into one only if its IOVA and its backing
//! start at the same place in a page, so that the pages it spans are the
//! same count on both sides. The IOVA alignment therefore applies to the
//! page offset too, as upstream's `iopt_insert_area()` and
//! `iopt_check_iova_alignment()` apply it: with an alignment of a page or
//! more every area starts on a page boundary on both sides.
//!
//! Invariants: areas never overlap each other nor a reserved range; allowed
//! ranges never overlap each other nor a reserved range; `blocked` holds
//! exactly the areas and the union of the reserved ranges, as disjoint
//! segments, with room for `areas + reserved` segments so that removing a
//! reserved range never needs to allocate.

use super::{
    avl::{
        Augmented,
        Tree, //
    },
    blocked::{
        Blocked,
        FitRequest, //
    },
    intervals::IntervalSet,
    Alloc,
    Errno,
    MAX_BLOCK_SIZE,
    PAGE_SIZE, //
};

/// Access rights of an area.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Prot {
    /// Devices may read.
    pub read: bool,
    /// Devices may write.
    pub write: bool,
}

/// A mapped IOVA range and what backs it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Area<T> {
    /// First IOVA.
    pub start: u64,
    /// Last IOVA (inclusive).
    pub last: u64,
    /// Offset of the first byte within its backing page (`< PAGE_SIZE`);
    /// a multiple of the IOVA alignment.
    pub page_offset: u64,
    /// Access rights.
    pub prot: Prot,
    /// The user mapping behind it (the front end's pinned pages).
    pub data: T,
}

impl<T> Area<T> {
    /// Length in bytes.
    pub fn len(&self) -> u64 {
        self.last - self.start + 1
    }

    /// Always false: an area holds at least one byte.
    #[cfg(feature = "host")]
    pub fn is_empty(&self) -> bool {
        false
    }
}

impl<T> Augmented for Area<T> {
    type Key = u64;
    type Agg = ();

    fn key(&self) -> u64 {
        self.start
    }

    fn aggregate(&self, _: Option<&()>, _: Option<&()>) {}
}

/// A piece of an area, as IOAS_COPY takes it: `len` bytes starting
/// `offset` bytes into `area`.
#[derive(Debug)]
pub struct RangeSlice<'a, T> {
    /// The area.
    pub area: &'a Area<T>,
    /// Byte offset of the piece within the area.
    pub offset: u64,
    /// Length of the piece.
    pub len: u64,
}

impl<T> RangeSlice<'_, T> {
    /// The page offset of the piece's first byte in the backing (what an
    /// area made of it has: upstream's `start_byte % PAGE_SIZE`).
    pub fn page_offset(&self) -> u64 {
        self.area.page_offset.wrapping_add(self.offset) % PAGE_SIZE
    }
}

/// One part of a mapping made of several ([`IovaSpace::map_parts`]).
#[derive(Debug)]
pub struct Part<T> {
    /// Length in bytes.
    pub len: u64,
    /// Offset of its first byte within its backing page.
    pub page_offset: u64,
    /// The payload of the area it becomes.
    pub data: T,
}

/// Where a new mapping goes.
#[derive(Clone, Copy, Debug)]
pub enum Placement {
    /// Exactly at this IOVA.
    Fixed(u64),
    /// Wherever the allocator finds room, keeping the alignment of this user
    /// address (0: none to keep).
    Alloc {
        /// The user virtual address being mapped.
        user_addr: u64,
    },
}

/// The bookkeeping of one IOAS. `O` identifies owners of reserved ranges,
/// `T` is the per-area payload, `A` the allocator family.
pub struct IovaSpace<O: Copy + Eq, T, A: Alloc> {
    areas: Tree<Area<T>, A>,
    allowed: IntervalSet<(), A>,
    reserved: IntervalSet<O, A>,
    blocked: Blocked<A>,
    iova_alignment: u64,
    max_alignment: u64,
}

/// A free place for one area, found by [`IovaSpace::slot`].
pub struct Slot<'a, O: Copy + Eq, T, A: Alloc> {
    space: &'a mut IovaSpace<O, T, A>,
    iova: u64,
    len: u64,
    page_offset: u64,
}

impl<O: Copy + Eq, T, A: Alloc> Slot<'_, O, T, A> {
    /// The IOVA the area will have.
    #[cfg(feature = "host")]
    pub fn iova(&self) -> u64 {
        self.iova
    }

    /// Maps the place as one area; returns its IOVA. Only allocation can
    /// fail ([`Errno::NoMem`]), and then nothing is mapped.
    pub fn fill(self, prot: Prot, data: T) -> Result<u64, Errno> {
        // The probe checked `len != 0` and that the range does not wrap.
        let last = self.iova + (self.len - 1);
        self.space.insert_area(Area {
            start: self.iova,
            last,
            page_offset: self.page_offset,
            prot,
            data,
        })?;
        Ok(self.iova)
    }
}

/// A new set of allowed ranges for [`IovaSpace::replace_allowed`], built
/// one range at a time as they are read from the user (as upstream's
/// `iommufd_ioas_load_iovas()` does), so that the memory it takes is in
/// proportion to the ranges actually read, never to a count the user gave.
pub struct AllowedRanges<A: Alloc>(IntervalSet<(), A>);

impl<A: Alloc> Default for AllowedRanges<A> {
    fn default() -> Self {
        Self::new()
    }
}

impl<A: Alloc> AllowedRanges<A> {
    /// No ranges.
    pub fn new() -> Self {
        Self(IntervalSet::default())
    }

    /// Adds `[start, last]`: `-EINVAL` unless `start < last` and it
    /// overlaps no range added before; `-ENOMEM` if allocation fails.
    pub fn add(&mut self, start: u64, last: u64) -> Result<(), Errno> {
        if start >= last || self.0.intersects(start, last) {
            return Err(Errno::Inval);
        }
        self.0.insert(start, last, ())?;
        Ok(())
    }
}

impl<O: Copy + Eq, T, A: Alloc> Default for IovaSpace<O, T, A> {
    fn default() -> Self {
        Self::new()
    }
}

/// `roundup_pow_of_two()` for `1 <= v <= 2^63`.
fn roundup_pow2(v: u64) -> u64 {
    v.next_power_of_two()
}

impl<O: Copy + Eq, T, A: Alloc> IovaSpace<O, T, A> {
    /// An empty space: no areas, no restrictions, byte alignment (upstream's
    /// `iova_alignment` before any domain is attached).
    pub fn new() -> Self {
        Self {
            areas: Tree::new(),
            allowed: IntervalSet::default(),
            reserved: IntervalSet::default(),
            blocked: Blocked::default(),
            iova_alignment: 1,
            max_alignment: MAX_BLOCK_SIZE,
        }
    }

    /// The alignment every IOVA and length must have.
    pub fn iova_alignment(&self) -> u64 {
        self.iova_alignment
    }

    /// Sets the required alignment (a power of two, from the attached
    /// domains' page sizes). `-EADDRINUSE` if an existing area's IOVA,
    /// length or page offset violates it (upstream's
    /// `iopt_check_iova_alignment()`). `resched` is called once per area
    /// checked (the kernel yields the CPU there).
    pub fn set_iova_alignment(
        &mut self,
        align: u64,
        resched: &mut dyn FnMut(),
    ) -> Result<(), Errno> {
        if !align.is_power_of_two() {
            return Err(Errno::Inval);
        }
        let mask = align - 1;
        let bad = self.areas.iter().any(|a| {
            resched();
            a.start & mask != 0 || a.len() & mask != 0 || a.page_offset & mask != 0
        });
        if bad {
            return Err(Errno::AddrInUse);
        }
        self.iova_alignment = align;
        Ok(())
    }

    /// Allows or forbids automatic IOVAs aligned beyond the page size (the
    /// HUGE_PAGES option).
    pub fn set_large_alignment(&mut self, enabled: bool) {
        self.max_alignment = if enabled { MAX_BLOCK_SIZE } else { PAGE_SIZE };
    }

    /// Whether automatic IOVAs may be aligned beyond the page size.
    pub fn large_alignment(&self) -> bool {
        self.max_alignment > PAGE_SIZE
    }

    /// Where a mapping of `len` bytes whose backing starts `page_offset`
    /// bytes into a page would go now, with the errors [`Self::map`] would
    /// give, without mapping anything: lets a caller refuse a bad request
    /// before doing expensive work (pinning).
    pub fn probe(&self, place: Placement, len: u64, page_offset: u64) -> Result<u64, Errno> {
        let iova = match place {
            Placement::Fixed(iova) => self.check_fixed(iova, len).map(|_| iova)?,
            Placement::Alloc { user_addr } => self.alloc_iova(user_addr, len)?,
        };
        self.check_page_offset(page_offset)?;
        Ok(iova)
    }

    /// Finds where a mapping of `len` bytes goes, with the errors
    /// [`Self::map`] would give, and holds the place: the [`Slot`] borrows
    /// the space exclusively, so nothing can take the place before
    /// [`Slot::fill`] maps it there without a second search. Lets a caller
    /// refuse a bad request before doing expensive work in between.
    pub fn slot(
        &mut self,
        place: Placement,
        len: u64,
        page_offset: u64,
    ) -> Result<Slot<'_, O, T, A>, Errno> {
        let iova = self.probe(place, len, page_offset)?;
        Ok(Slot {
            space: self,
            iova,
            len,
            page_offset,
        })
    }

    /// Makes room so that inserting one area or reserved range cannot fail
    /// halfway.
    fn reserve_for_insert(&mut self, areas: usize, reserved: usize) -> Result<(), Errno> {
        self.areas.reserve(areas)?;
        self.reserved.reserve(reserved)?;
        let need = self.areas.len() + areas + self.reserved.len() + reserved + 1;
        self.blocked
            .reserve(need.saturating_sub(self.blocked.len()))?;
        Ok(())
    }

    /// Upstream's check in `iopt_insert_area()`: an area's backing must
    /// start as aligned within its page as its IOVA must be. (A page
    /// offset of a page or more is no page offset: `-EINVAL` too.)
    fn check_page_offset(&self, page_offset: u64) -> Result<(), Errno> {
        if page_offset >= PAGE_SIZE || page_offset & (self.iova_alignment - 1) != 0 {
            return Err(Errno::Inval);
        }
        Ok(())
    }

    /// Upstream's `iopt_check_iova()`: where a fixed mapping may go.
    fn check_fixed(&self, iova: u64, len: u64) -> Result<u64, Errno> {
        if len == 0 || iova & (self.iova_alignment - 1) != 0 || len & (self.iova_alignment - 1) != 0
        {
            return Err(Errno::Inval);
        }
        let last = iova.checked_add(len - 1).ok_or(Errno::Overflow)?;
        if self.reserved.intersects(iova, last) {
            return Err(Errno::Inval);
        }
        if self.area_intersecting(iova, last).is_some() {
            return Err(Errno::Exist);
        }
        Ok(last)
    }

    /// Upstream's `iopt_alloc_iova()`, with the alignment cap at the largest
    /// stage-2 block (1 GiB) instead of the CPU huge page.
    fn alloc_iova(&self, user_addr: u64, len: u64) -> Result<u64, Errno> {
        if len == 0 || len >= u64::MAX / 2 {
            return Err(Errno::Overflow);
        }
        if len & (self.iova_alignment - 1) != 0 {
            return Err(Errno::Inval);
        }
        let mut align = roundup_pow2(len);
        if user_addr != 0 {
            align = align.min(1u64 << user_addr.trailing_zeros());
        }
        align = align.min(self.max_alignment);
        if align < self.iova_alignment {
            return Err(Errno::Inval);
        }
        let mut req = FitRequest {
            len,
            align,
            offset: user_addr % PAGE_SIZE,
            lo: PAGE_SIZE,
            hi: u64::MAX - PAGE_SIZE,
        };
        if self.allowed.is_empty() {
            return self.blocked.find_fit(&req).ok_or(Errno::NoSpc);
        }
        let (lo, hi) = (req.lo, req.hi);
        for (s, l) in self.allowed.spans() {
            if l < lo || s > hi {
                continue;
            }
            req.lo = s.max(lo);
            req.hi = l.min(hi);
            if let Some(x) = self.blocked.find_fit(&req) {
                return Ok(x);
            }
        }
        Err(Errno::NoSpc)
    }

    /// Maps `len` bytes whose backing starts `page_offset` bytes into a
    /// page as one area; returns its IOVA.
    pub fn map(
        &mut self,
        place: Placement,
        len: u64,
        page_offset: u64,
        prot: Prot,
        data: T,
    ) -> Result<u64, Errno> {
        let mut one = Some(Part {
            len,
            page_offset,
            data,
        });
        self.map_parts(place, len, prot, &mut || one.take())
    }

    /// Maps `total` bytes as consecutive areas, one per [`Part`] that
    /// `next_part` yields (IOAS_COPY of several source areas). The parts'
    /// lengths must add up to `total` and each part's page offset must be
    /// aligned as IOVAs are (`-EINVAL`, as upstream checks each area it
    /// inserts). Returns the first IOVA.
    pub fn map_parts(
        &mut self,
        place: Placement,
        total: u64,
        prot: Prot,
        next_part: &mut dyn FnMut() -> Option<Part<T>>,
    ) -> Result<u64, Errno> {
        let iova = match place {
            Placement::Fixed(iova) => {
                self.check_fixed(iova, total)?;
                iova
            }
            Placement::Alloc { user_addr } => self.alloc_iova(user_addr, total)?,
        };
        let mut at = iova;
        let end = iova + (total - 1);
        while let Some(Part {
            len,
            page_offset,
            data,
        }) = next_part()
        {
            let last = match at.checked_add(len.wrapping_sub(1)) {
                Some(l) if len != 0 && l <= end => l,
                _ => {
                    self.unmap_range_unchecked(iova, at);
                    return Err(Errno::Inval);
                }
            };
            if let Err(e) = self.insert_area(Area {
                start: at,
                last,
                page_offset,
                prot,
                data,
            }) {
                self.unmap_range_unchecked(iova, at);
                return Err(e);
            }
            at = last.wrapping_add(1);
        }
        if at != end.wrapping_add(1) {
            self.unmap_range_unchecked(iova, at);
            return Err(Errno::Inval);
        }
        Ok(iova)
    }

    /// Removes the areas this call inserted in `[from, to)` (rollback).
    fn unmap_range_unchecked(&mut self, from: u64, to: u64) {
        if to > from {
            let mut discard = |_| {};
            let _ = self.remove_areas(from, to - 1, &mut discard);
        }
    }

    fn insert_area(&mut self, area: Area<T>) -> Result<(), Errno> {
        self.check_page_offset(area.page_offset)?;
        self.reserve_for_insert(1, 0)?;
        let (start, last) = (area.start, area.last);
        self.areas.insert(area)?;
        self.blocked.insert(start, last)?;
        Ok(())
    }

    /// Some area intersecting `[start, last]`.
    pub fn area_intersecting(&self, start: u64, last: u64) -> Option<&Area<T>> {
        if let Some(a) = self.areas.last_le(start) {
            if a.last >= start {
                return Some(a);
            }
        }
        self.areas.first_ge(start).filter(|a| a.start <= last)
    }

    /// The area containing `iova`.
    pub fn area_at(&self, iova: u64) -> Option<&Area<T>> {
        self.areas.last_le(iova).filter(|a| a.last >= iova)
    }

    /// Unmaps the whole areas in `[iova, iova + len)`, handing each to
    /// `release`; returns the bytes unmapped. `-ENOENT` if the range cuts an
    /// area or holds none, and then nothing is unmapped.
    pub fn unmap(
        &mut self,
        iova: u64,
        len: u64,
        release: &mut dyn FnMut(Area<T>),
    ) -> Result<u64, Errno> {
        if len == 0 {
            return Err(Errno::Inval);
        }
        let last = iova.checked_add(len - 1).ok_or(Errno::Overflow)?;
        if let Some(a) = self.area_at(iova) {
            if a.start < iova {
                return Err(Errno::NoEnt);
            }
            if a.last == last {
                // Exactly one area, the usual unmap: no range walk.
                if let Some(a) = self.areas.remove(iova) {
                    self.blocked.remove(iova);
                    let bytes = a.len();
                    release(a);
                    return Ok(bytes);
                }
            }
        }
        if let Some(a) = self.area_at(last) {
            if a.last > last {
                return Err(Errno::NoEnt);
            }
        }
        match self.remove_areas(iova, last, release) {
            0 => Err(Errno::NoEnt),
            n => Ok(n),
        }
    }

    /// Unmaps every area; returns the bytes unmapped (0 is success).
    pub fn unmap_all(&mut self, release: &mut dyn FnMut(Area<T>)) -> u64 {
        self.remove_areas(0, u64::MAX, release)
    }

    fn remove_areas(&mut self, start: u64, last: u64, release: &mut dyn FnMut(Area<T>)) -> u64 {
        let mut bytes = 0u64;
        let mut from = start;
        while let Some(key) = self
            .areas
            .first_ge(from)
            .filter(|a| a.last <= last)
            .map(|a| a.start)
        {
            if let Some(a) = self.areas.remove(key) {
                self.blocked.remove(a.start);
                bytes = bytes.wrapping_add(a.len());
                let next = a.last.checked_add(1);
                release(a);
                match next {
                    Some(n) => from = n,
                    None => break,
                }
            }
        }
        bytes
    }

    /// The pieces of areas covering `[iova, iova + len)` exactly, in order,
    /// for IOAS_COPY. `-ENOENT` if any byte of the range is unmapped
    /// (before `out` sees any piece); an error of `out` ends the walk and
    /// is returned.
    pub fn slices(
        &self,
        iova: u64,
        len: u64,
        out: &mut dyn FnMut(RangeSlice<'_, T>) -> Result<(), Errno>,
    ) -> Result<(), Errno> {
        if len == 0 {
            return Err(Errno::Inval);
        }
        let last = iova.checked_add(len - 1).ok_or(Errno::Overflow)?;
        // First prove the range is fully covered, then hand out the pieces.
        let mut at = iova;
        loop {
            let a = self.area_at(at).ok_or(Errno::NoEnt)?;
            if a.last >= last {
                break;
            }
            at = a.last + 1;
        }
        let mut at = iova;
        while let Some(a) = self.area_at(at) {
            let end = a.last.min(last);
            out(RangeSlice {
                area: a,
                offset: at - a.start,
                len: end - at + 1,
            })?;
            if end == last {
                break;
            }
            at = end + 1;
        }
        Ok(())
    }

    /// The areas intersecting `[start, last]`, in IOVA order.
    pub fn areas_in(&self, start: u64, last: u64) -> impl Iterator<Item = &Area<T>> + '_ {
        let from = match self.areas.last_le(start) {
            Some(a) if a.last >= start => a.start,
            _ => start,
        };
        self.areas
            .iter_from(from)
            .take_while(move |a| a.start <= last)
    }

    /// Every area, in IOVA order.
    #[cfg(feature = "host")]
    pub fn areas(&self) -> impl Iterator<Item = &Area<T>> + '_ {
        self.areas.iter()
    }

    /// How many areas there are.
    #[cfg(feature = "host")]
    pub fn area_count(&self) -> usize {
        self.areas.len()
    }

    /// Replaces the allowed ranges (IOAS_ALLOW_IOVAS). Each must have
    /// `start < last` and they must not overlap (`-EINVAL`); none may
    /// intersect a reserved range (`-EADDRINUSE`). An empty list lifts the
    /// restriction. (The module builds the set as it reads it, with
    /// [`Self::replace_allowed`].)
    #[cfg(feature = "host")]
    pub fn set_allowed(&mut self, ranges: &[(u64, u64)]) -> Result<(), Errno> {
        let mut new = AllowedRanges::new();
        for &(start, last) in ranges {
            new.add(start, last)?;
        }
        self.replace_allowed(new)
    }

    /// Replaces the allowed ranges with `new`, built range by range with
    /// [`AllowedRanges::add`]: `-EADDRINUSE` (and nothing changes) if one
    /// intersects a reserved range. An empty set lifts the restriction.
    pub fn replace_allowed(&mut self, new: AllowedRanges<A>) -> Result<(), Errno> {
        if new
            .0
            .iter()
            .any(|r| self.reserved.intersects(r.start, r.last))
        {
            return Err(Errno::AddrInUse);
        }
        self.allowed = new.0;
        Ok(())
    }

    /// The allowed ranges, by start.
    #[cfg(feature = "host")]
    pub fn allowed(&self) -> impl Iterator<Item = (u64, u64)> + '_ {
        self.allowed.iter().map(|r| (r.start, r.last))
    }

    /// Reserves `[start, last]` for `owner`. `-EADDRINUSE` if an area or an
    /// allowed range intersects it.
    pub fn reserve(&mut self, start: u64, last: u64, owner: O) -> Result<(), Errno> {
        if start > last {
            return Err(Errno::Inval);
        }
        if self.area_intersecting(start, last).is_some() || self.allowed.intersects(start, last) {
            return Err(Errno::AddrInUse);
        }
        self.reserve_for_insert(0, 1)?;
        self.reserved.insert(start, last, owner)?;
        // Merge the reserved components it touches into one blocked segment.
        // Only reserved segments can overlap it (areas were checked above).
        let (mut lo, mut hi) = (start, last);
        loop {
            let Some(seg) = self.blocked.overlapping(start, last).next() else {
                break;
            };
            lo = lo.min(seg.start);
            hi = hi.max(seg.last);
            self.blocked.remove(seg.start);
        }
        self.blocked.insert(lo, hi)?;
        Ok(())
    }

    /// Removes every range `owner` reserved; returns how many.
    pub fn unreserve(&mut self, owner: O) -> usize {
        let mut removed = 0;
        loop {
            let Some(iv) = self.reserved.iter().find(|i| i.owner == owner).copied() else {
                break;
            };
            // Recompute the component that held it from what remains.
            let comp = self.blocked.overlapping(iv.start, iv.start).next();
            self.reserved.remove_one(&iv);
            removed += 1;
            let Some(comp) = comp else { continue };
            self.blocked.remove(comp.start);
            let mut pieces = self
                .reserved
                .spans_from(comp.start)
                .take_while(|&(s, _)| s <= comp.last);
            // Cannot fail: `blocked` always has room for one segment per
            // area and per reserved range (see `reserve_for_insert`).
            for (s, l) in &mut pieces {
                let _ = self.blocked.insert(s, l.min(comp.last));
            }
        }
        removed
    }

    /// The reserved ranges, by start.
    #[cfg(feature = "host")]
    pub fn reserved(&self) -> impl Iterator<Item = (u64, u64, O)> + '_ {
        self.reserved.iter().map(|r| (r.start, r.last, r.owner))
    }

    /// IOAS_IOVA_RANGES: the runs of the whole 64-bit space that no reserved
    /// range covers, in order.
    pub fn iova_ranges(&self) -> impl Iterator<Item = (u64, u64)> + '_ {
        self.reserved.holes(0, u64::MAX)
    }

    /// Checks every internal invariant (for tests), in O(n log n).
    #[cfg(feature = "host")]
    pub fn check(&self) -> bool {
        if !(self.areas.check() && self.blocked.check() && self.reserved.check()) {
            return false;
        }
        // blocked == areas + union(reserved), as sets of addresses.
        let mut expect_count = 0usize;
        for a in self.areas.iter() {
            if self.reserved.intersects(a.start, a.last) {
                return false;
            }
            expect_count += 1;
            let seg = self.blocked.overlapping(a.start, a.last).next();
            if seg.is_none_or(|s| s.start != a.start || s.last != a.last) {
                return false;
            }
        }
        for (s, l) in self.reserved.spans() {
            // The span must be covered exactly by blocked segments.
            let mut at = s;
            for seg in self.blocked.overlapping(s, l) {
                if seg.start != at || seg.last > l {
                    return false;
                }
                expect_count += 1;
                match seg.last.checked_add(1) {
                    Some(n) => at = n,
                    None => break,
                }
            }
        }
        expect_count == self.blocked.len()
    }
}
