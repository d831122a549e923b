// SPDX-License-Identifier: GPL-2.0

//! Long-term pins of user memory for DMA (`FOLL_PIN | FOLL_LONGTERM`),
//! kept as runs of pages contiguous in memory: [`PinnedRuns`].
//!
//! A run is its first page and its index in the range: a device driver maps
//! each run with one call (the IOMMU can then use the largest blocks the
//! run allows), and a hugetlb folio costs one run whatever its size. Every
//! page of a run holds exactly one pin, so any part of a run unpins with
//! `unpin_user_page_range_dirty_lock()`.
//!
//! Pinning goes one batch at a time through `src/iommufd/gup.c`, which pins the
//! pages into a buffer owned here (see there why it is C); the runs are
//! built from each batch with one pointer compare per page and no call.
//!
//! C header: [`include/linux/mm.h`](srctree/include/linux/mm.h)

use super::{
    memfd::Memfd,
    sched::cond_resched, //
};
use core::{
    mem::MaybeUninit,
    ptr,
    slice, //
};
use kernel::{
    alloc::{
        kvec::PushError,
        KVVec, //
    },
    bindings,
    ffi::{
        c_long,
        c_ulong, //
    },
    mm::Mm,
    page::{
        PAGE_SHIFT,
        PAGE_SIZE, //
    },
    prelude::*,
};

// Only pointers to these structs cross, but the lint looks into them and
// finds the empty structs bindgen makes of configured-out members.
#[allow(improper_ctypes)]
extern "C" {
    /// `src/iommufd/gup.c`: pin one batch of user memory.
    fn iommufd_rs_gup_pin_user(
        mm: *mut bindings::mm_struct,
        addr: c_ulong,
        left: c_ulong,
        max: c_ulong,
        writable: bool,
        pages: *mut *mut bindings::page,
        npages: *mut c_ulong,
        probe_next: *mut bool,
    ) -> c_long;
    /// `src/iommufd/gup.c`: pin one batch of a memfd range.
    fn iommufd_rs_gup_pin_memfd(
        file: *mut bindings::file,
        start: bindings::loff_t,
        last: bindings::loff_t,
        left: c_ulong,
        max: c_ulong,
        pages: *mut *mut bindings::page,
        npages: *mut c_ulong,
    ) -> c_long;
    /// `src/iommufd/helpers.c`: `page_to_phys()`, a macro.
    fn iommufd_rs_page_to_phys(page: *mut bindings::page) -> bindings::phys_addr_t;
}

/// Pages (or folios) pinned per call into `src/iommufd/gup.c`: bounds each call's
/// work and the buffer it fills.
const BATCH: usize = 512;

/// Hugetlb folios pinned per call into `src/iommufd/gup.c`: their counts
/// sit in an array on the stack.
const FOLIO_BATCH: usize = 32;

/// Runs unpinned between two `cond_resched()`.
const UNPIN_BATCH: usize = 512;

/// Pages `page`, `page + 1`, ... of a range, from the range's page `idx` up
/// to the next run's `idx` (or the range's end).
struct Run {
    page: *mut bindings::page,
    idx: usize,
}

/// The pinned pages of a range of `npages` pages, in runs.
///
/// # Invariants
///
/// - `runs` start at index 0 and their `idx` increase; run `i` covers the
///   range's pages `runs[i].idx..end(i)`, `end(i)` being `runs[i + 1].idx`,
///   or `npages` for the last.
/// - Page `idx` of run `r` is `r.page + (idx - r.idx)` in the memory map,
///   at the physical address `page_to_phys(r.page) + (idx - r.idx) *
///   PAGE_SIZE`, and holds one `FOLL_PIN` pin that this owns.
/// - While being built, `npages` counts the pages pinned so far.
pub(crate) struct PinnedRuns {
    runs: KVVec<Run>,
    npages: usize,
    /// Whether devices may have written the pages: they are dirtied when
    /// unpinned.
    dirty: bool,
    /// The page that would extend the last run.
    next: *mut bindings::page,
    /// Without a virtually mapped memory map, consecutive struct pages need
    /// not be consecutive in memory: the physical address that would
    /// extend the last run.
    #[cfg(not(CONFIG_SPARSEMEM_VMEMMAP))]
    next_phys: u64,
}

// SAFETY: the pins are not tied to the task that took them: any task may
// unpin them, and the `struct page`s they name are global.
unsafe impl Send for PinnedRuns {}
// SAFETY: `&PinnedRuns` only reads the runs.
unsafe impl Sync for PinnedRuns {}

/// The physical address of `page`.
fn page_phys(page: *mut bindings::page) -> u64 {
    // SAFETY: `page_to_phys()` is arithmetic on the pointer; every page
    // passed here is a pinned page of the memory map.
    unsafe { iommufd_rs_page_to_phys(page) }
}

/// Physical addresses of pages by arithmetic from one the kernel was
/// asked about (`page_to_phys()` is a macro: a call into `helpers.c`, which
/// per run of a scattered map cost 9 guest instructions of 800).
///
/// With a virtually mapped memory map the struct pages of all memory are
/// one virtual array indexed by PFN, so any page's PFN is its distance
/// from a known page plus that page's PFN; without one, every page is
/// asked about.
#[derive(Clone, Copy)]
struct PhysOrigin {
    #[cfg(CONFIG_SPARSEMEM_VMEMMAP)]
    page: usize,
    #[cfg(CONFIG_SPARSEMEM_VMEMMAP)]
    phys: u64,
}

impl PhysOrigin {
    /// An origin at `page`, a page of the memory map.
    fn at(page: *mut bindings::page) -> Self {
        #[cfg(CONFIG_SPARSEMEM_VMEMMAP)]
        return Self {
            page: page as usize,
            phys: page_phys(page),
        };
        #[cfg(not(CONFIG_SPARSEMEM_VMEMMAP))]
        {
            let _ = page;
            Self {}
        }
    }

    /// The physical address of `page`, a page of the memory map.
    #[inline(always)]
    fn phys(&self, page: *mut bindings::page) -> u64 {
        #[cfg(CONFIG_SPARSEMEM_VMEMMAP)]
        {
            let pages = (page as usize).wrapping_sub(self.page) as isize
                / core::mem::size_of::<bindings::page>() as isize;
            self.phys.wrapping_add((pages as u64) << PAGE_SHIFT)
        }
        #[cfg(not(CONFIG_SPARSEMEM_VMEMMAP))]
        page_phys(page)
    }
}

/// Unpins the `n` pages from `page`, dirtying them if `dirty`.
///
/// # Safety
///
/// Pages `page..page + n` of the memory map each hold one pin the caller
/// owns and gives up.
unsafe fn unpin_range(page: *mut bindings::page, n: usize, dirty: bool) {
    // SAFETY: per the caller's contract.
    unsafe { bindings::unpin_user_page_range_dirty_lock(page, n, dirty) };
}

impl PinnedRuns {
    fn new() -> Self {
        Self {
            runs: KVVec::new(),
            npages: 0,
            dirty: false,
            next: ptr::null_mut(),
            #[cfg(not(CONFIG_SPARSEMEM_VMEMMAP))]
            next_phys: 0,
        }
    }

    /// Pins the `npages` pages of user memory from the page-aligned `addr`
    /// of `mm` (for device writes if `writable`): with
    /// `pin_user_pages_fast()` from `mm`'s own task, else with
    /// `pin_user_pages_remote()`. A hugetlb folio takes one GUP call and
    /// one run. `EFAULT` (or another GUP error) if a page cannot be pinned,
    /// `ENOMEM`; on error nothing stays pinned.
    pub(crate) fn pin_user(mm: &Mm, addr: usize, npages: usize, writable: bool) -> Result<Self> {
        // GUP needs the address space itself, not only the struct.
        let users = mm.mmget_not_zero().ok_or(EFAULT)?;
        // Probing calls (hugetlb folios, and the first page of the range)
        // write a few entries: those sit on the stack, left uninitialised
        // because `gup.c` writes each before it is read. Batches of small
        // pages go to a buffer made when the first one is pinned, so a
        // one-page or hugetlb mapping allocates none.
        let mut folio_pages = [const { MaybeUninit::<*mut bindings::page>::uninit() }; FOLIO_BATCH];
        let mut counts = [const { MaybeUninit::<c_ulong>::uninit() }; FOLIO_BATCH];
        let mut batch: Option<KVVec<*mut bindings::page>> = None;
        let mut runs = Self::new();
        let mut probe = true;
        while runs.npages < npages {
            let left = npages - runs.npages;
            let at = addr + runs.npages * PAGE_SIZE;
            let mut probe_next = false;
            let (pages, max, npages_out) = if probe {
                (
                    folio_pages.as_mut_ptr().cast::<*mut bindings::page>(),
                    left.min(FOLIO_BATCH),
                    counts.as_mut_ptr().cast::<c_ulong>(),
                )
            } else {
                let buf = match &mut batch {
                    Some(buf) => buf,
                    None => batch.insert(KVVec::from_elem(
                        ptr::null_mut(),
                        left.min(BATCH),
                        GFP_KERNEL,
                    )?),
                };
                (buf.as_mut_ptr(), left.min(buf.len()), ptr::null_mut())
            };
            // SAFETY: `users` holds `mm`'s users while GUP walks it; `pages`
            // has room for `max` entries, and `npages_out`, when probing,
            // for `max` counts; `probe_next` is a valid place.
            let got = unsafe {
                iommufd_rs_gup_pin_user(
                    users.as_raw(),
                    at,
                    left,
                    max,
                    writable,
                    pages,
                    npages_out,
                    &mut probe_next,
                )
            };
            let got = batch_len(got, max)?;
            // SAFETY: `gup.c` wrote the first `got` entries of `pages` (and
            // of `npages_out` when probing); `MaybeUninit<T>` is laid out
            // as `T`, and `c_ulong` as `usize` on every target Linux has
            // (`long` is pointer-sized).
            let pages = unsafe { slice::from_raw_parts(pages.cast_const(), got) };
            if probe {
                // SAFETY: as above.
                let counts = unsafe { slice::from_raw_parts(npages_out.cast::<usize>(), got) };
                // SAFETY: `gup.c` pinned `counts[i]` pages from each of the
                // `got` entries of `pages`, the next of the range, handing
                // over their pins.
                unsafe { runs.take_folios(pages, counts) }?;
            } else {
                // SAFETY: `gup.c` pinned the `got` pages of `pages`, the next
                // of the range, handing over their pins.
                unsafe { runs.take_pages(pages) }?;
            }
            probe = probe_next;
        }
        runs.dirty = writable;
        Ok(runs)
    }

    /// Pins the `npages` pages of `file` from the page-aligned offset
    /// `start`, `last` being the offset of the range's last byte, with
    /// `memfd_pin_folios()` (for device writes if `writable`). Each folio
    /// takes one run at most. Errors as for [`Self::pin_user`].
    pub(crate) fn pin_memfd(
        file: &Memfd,
        start: u64,
        last: u64,
        npages: usize,
        writable: bool,
    ) -> Result<Self> {
        let room = npages.min(BATCH);
        let mut pages = KVVec::from_elem(ptr::null_mut(), room, GFP_KERNEL)?;
        let mut counts = KVVec::from_elem(0, room, GFP_KERNEL)?;
        let start = i64::try_from(start).map_err(|_| EINVAL)?;
        let last = i64::try_from(last).map_err(|_| EINVAL)?;
        let mut runs = Self::new();
        while runs.npages < npages {
            let left = npages - runs.npages;
            let at = start + ((runs.npages as i64) << PAGE_SHIFT);
            // SAFETY: `file` is a valid memfd; `pages` and `counts` have room
            // for `room` entries, at least `left.min(room)`.
            let got = unsafe {
                iommufd_rs_gup_pin_memfd(
                    file.as_ptr(),
                    at,
                    last,
                    left,
                    left.min(room),
                    pages.as_mut_ptr(),
                    counts.as_mut_ptr(),
                )
            };
            let got = batch_len(got, room)?;
            // SAFETY: `gup.c` pinned `counts[i]` pages from each of the first
            // `got` entries of `pages`, the next of the range, handing over
            // their pins.
            unsafe { runs.take_folios(&pages[..got], &counts[..got]) }?;
        }
        runs.dirty = writable;
        Ok(runs)
    }

    /// Whether `page` extends the last run: it follows it in the memory
    /// map and in physical memory. With a virtually mapped memory map
    /// (arm64 always has one) the first implies the second.
    #[inline(always)]
    fn extends(&self, page: *mut bindings::page) -> bool {
        #[cfg(CONFIG_SPARSEMEM_VMEMMAP)]
        return page == self.next;
        #[cfg(not(CONFIG_SPARSEMEM_VMEMMAP))]
        return page == self.next && page_phys(page) == self.next_phys;
    }

    /// Starts a run at `page`, page `idx` of the range.
    #[inline(always)]
    fn start_run(&mut self, page: *mut bindings::page, idx: usize) -> Result {
        if let Err(PushError(run)) = self.runs.push_within_capacity(Run { page, idx }) {
            self.grow_and_push(run)?;
        }
        #[cfg(not(CONFIG_SPARSEMEM_VMEMMAP))]
        {
            self.next_phys = page_phys(page);
        }
        Ok(())
    }

    /// Makes room for more runs, doubling from 4, and pushes `run`: the
    /// rare, slow part of [`Self::start_run`].
    #[cold]
    #[inline(never)]
    fn grow_and_push(&mut self, run: Run) -> Result {
        let flags = GFP_KERNEL_ACCOUNT | __GFP_NOWARN;
        self.runs.reserve(self.runs.len().max(4), flags)?;
        self.runs.push(run, flags)?;
        Ok(())
    }

    /// Takes the `n` pages from `page` (one folio's, contiguous), the
    /// range's next: they extend the last run or start one. On error,
    /// unpins them.
    ///
    /// # Safety
    ///
    /// Pages `page..page + n` each hold one pin the caller hands over.
    #[inline(always)]
    unsafe fn take_folio(&mut self, page: *mut bindings::page, n: usize) -> Result {
        if !self.extends(page) {
            if let Err(e) = self.start_run(page, self.npages) {
                // SAFETY: the caller handed over the pins of these pages,
                // which no run took.
                unsafe { unpin_range(page, n, false) };
                return Err(e);
            }
        }
        // INVARIANT: the pages extend the last run (just started, or
        // followed in memory), so the run now holds their pins.
        self.next = page.wrapping_add(n);
        #[cfg(not(CONFIG_SPARSEMEM_VMEMMAP))]
        {
            self.next_phys += (n * PAGE_SIZE) as u64;
        }
        self.npages += n;
        Ok(())
    }

    /// Takes a batch of pages, the range's next, one page each. On error,
    /// unpins those not taken.
    ///
    /// The hot loop of small pages: one compare per page, the page that
    /// would extend the last run kept in a register, and the count
    /// updated once per batch.
    ///
    /// # Safety
    ///
    /// Each page of `pages` holds one pin the caller hands over.
    #[cfg(CONFIG_SPARSEMEM_VMEMMAP)]
    unsafe fn take_pages(&mut self, pages: &[*mut bindings::page]) -> Result {
        let mut next = self.next;
        for (i, &page) in pages.iter().enumerate() {
            if page != next {
                if let Err(e) = self.start_run(page, self.npages + i) {
                    for &rest in &pages[i..] {
                        // SAFETY: the caller handed over the pins of the
                        // batch; no run took those from `i` on.
                        unsafe { unpin_range(rest, 1, false) };
                    }
                    // INVARIANT: the runs hold the first `i` pages.
                    self.npages += i;
                    self.next = next;
                    return Err(e);
                }
            }
            next = page.wrapping_add(1);
        }
        // INVARIANT: the runs hold the batch's pages.
        self.npages += pages.len();
        self.next = next;
        Ok(())
    }

    /// Takes a batch of pages, the range's next, one page each. On error,
    /// unpins those not taken.
    ///
    /// # Safety
    ///
    /// Each page of `pages` holds one pin the caller hands over.
    #[cfg(not(CONFIG_SPARSEMEM_VMEMMAP))]
    unsafe fn take_pages(&mut self, pages: &[*mut bindings::page]) -> Result {
        for (i, &page) in pages.iter().enumerate() {
            // SAFETY: the caller hands over the page's pin.
            if let Err(e) = unsafe { self.take_folio(page, 1) } {
                for &rest in &pages[i + 1..] {
                    // SAFETY: the caller handed over the pins of the batch;
                    // no run took those after `i` (`take_folio` unpinned
                    // page `i`).
                    unsafe { unpin_range(rest, 1, false) };
                }
                return Err(e);
            }
        }
        Ok(())
    }

    /// Takes a batch of folios' pages, `counts[i]` from `pages[i]`, the
    /// range's next. On error, unpins those not taken.
    ///
    /// # Safety
    ///
    /// The `counts[i]` pages from each `pages[i]` each hold one pin the
    /// caller hands over.
    unsafe fn take_folios(&mut self, pages: &[*mut bindings::page], counts: &[usize]) -> Result {
        for (i, (&page, &n)) in pages.iter().zip(counts).enumerate() {
            // SAFETY: the caller hands over the folio's pins.
            if let Err(e) = unsafe { self.take_folio(page, n) } {
                for (&rest, &m) in pages[i + 1..].iter().zip(&counts[i + 1..]) {
                    // SAFETY: as in `take_pages`, for a folio's pages.
                    unsafe { unpin_range(rest, m, false) };
                }
                return Err(e);
            }
        }
        Ok(())
    }

    /// The range's pages.
    pub(crate) fn npages(&self) -> usize {
        self.npages
    }

    /// The index of the page after run `r`.
    fn end_of(&self, r: usize) -> usize {
        self.runs.get(r + 1).map_or(self.npages, |next| next.idx)
    }

    /// Calls `f(phys, n)` for each physically contiguous part of pages
    /// `first..=last` of the range, in order: one per run they touch, cut
    /// to the pages asked for. `EINVAL` if `last` is not a page of the
    /// range; stops at `f`'s first error and returns it.
    pub(crate) fn for_each_run(
        &self,
        first: usize,
        last: usize,
        mut f: impl FnMut(u64, usize) -> Result,
    ) -> Result {
        if last >= self.npages {
            return Err(EINVAL);
        }
        // The run holding `first`: the last that starts at or before it
        // (the first run starts at 0, so there is one).
        let r = self
            .runs
            .partition_point(|run| run.idx <= first)
            .checked_sub(1)
            .ok_or(EINVAL)?;
        let runs = self.runs.get(r..).unwrap_or(&[]);
        let Some(origin) = runs.first().map(|run| PhysOrigin::at(run.page)) else {
            return Err(EINVAL);
        };
        let end = last + 1;
        let mut i = first;
        for (k, run) in runs.iter().enumerate() {
            let run_end = runs.get(k + 1).map_or(self.npages, |next| next.idx);
            // By the invariants `run.idx <= i < run_end`, and `i < end`: no
            // wrap (the hot loop of a map, one pass per run).
            let n = run_end.min(end).wrapping_sub(i);
            let offset = (i.wrapping_sub(run.idx) as u64) << PAGE_SHIFT;
            f(origin.phys(run.page).wrapping_add(offset), n)?;
            i = i.wrapping_add(n);
            if i >= end {
                break;
            }
        }
        Ok(())
    }

    /// Where page `idx` of the range is: its physical address, and how many
    /// pages from it its run holds. `None` if there is no such page.
    ///
    /// For checkers: deliberately not the lookup [`Self::for_each_run`]
    /// uses, so a checker comparing the two can see that one go wrong.
    pub(crate) fn page_at(&self, idx: usize) -> Option<(u64, usize)> {
        if idx >= self.npages || self.runs.is_empty() {
            return None;
        }
        let (mut lo, mut hi) = (0, self.runs.len());
        while hi - lo > 1 {
            let mid = lo + (hi - lo) / 2;
            if self.runs[mid].idx <= idx {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        let run = &self.runs[lo];
        let phys = page_phys(run.page) + (((idx - run.idx) * PAGE_SIZE) as u64);
        Some((phys, self.end_of(lo) - idx))
    }
}

/// What a batch call returned: its count of entries, at most `max`, or its
/// error.
fn batch_len(got: c_long, max: usize) -> Result<usize> {
    match usize::try_from(got) {
        Ok(n) if n > 0 && n <= max => Ok(n),
        // `gup.c` returns at least one entry, at most `max`, or an errno.
        Ok(_) => Err(EFAULT),
        Err(_) => Err(Error::from_errno(got as i32)),
    }
}

impl Drop for PinnedRuns {
    fn drop(&mut self) {
        for r in 0..self.runs.len() {
            let run = &self.runs[r];
            // SAFETY: by the type invariants the run's pages each hold one
            // pin this owns; they are given up once, here.
            unsafe { unpin_range(run.page, self.end_of(r) - run.idx, self.dirty) };
            if r % UNPIN_BATCH == UNPIN_BATCH - 1 {
                cond_resched();
            }
        }
    }
}
