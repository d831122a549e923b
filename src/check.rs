// SPDX-License-Identifier: GPL-2.0

//! IOMMU_TEST_IOAS_CHECK, in test builds only (`Kbuild`,
//! `IOMMUFD_RS_TEST=y`): the isolation invariant, checked by machine, as
//! upstream's selftest checks its mock domains with
//! `IOMMU_TEST_OP_MD_CHECK_MAP`, but on the real domains of real drivers and
//! for a whole IOAS.
//!
//! The invariant: every domain registered with an IOAS translates exactly
//! the IOAS's areas, each byte to the byte of the pinned page behind it,
//! with the area's permissions, plus MSI doorbells (MMIO, not RAM, one page)
//! in the IOAS's reserved ranges, and nothing else. A page an area touches
//! belongs to it; every other page must translate to nothing but a doorbell.
//!
//! How each domain is checked, under the IOAS lock (so nothing changes
//! meanwhile):
//! - every area, from its first byte to its last: the domain must translate
//!   each byte to the byte the area's pinned pages hold at that offset
//!   (one translation per page, or per leaf where the driver says its size);
//! - where the domain's driver can enumerate its leaves (`smmu_rs`, through
//!   its provider): every leaf of the table, with its permissions, against
//!   the areas and the doorbell rule, which sees any stray mapping anywhere;
//! - elsewhere (`iommu_iova_to_phys()` alone): the page on each side of
//!   every area and every page of the caller's probe ranges outside the
//!   areas.
//!
//! The first mismatch is logged with the IOAS, the domain (its index among
//! the IOAS's domains), the IOVA, what was expected and what was found, and
//! answered with `-EIO`, so the test that asked says where.

use crate::{
    domain::Domain,
    file::{
        user_ptr,
        IommufdFile, //
    },
    ioas::{
        AreaPages,
        IoasObject,
        IoasState, //
    },
    iova_space::Area,
    pages::RawPages,
    uapi,
    ucmd::UserCmd, //
};
use core::ffi::c_void;
use kernel::{
    alloc::KVVec,
    bindings,
    ffi::{
        c_int,
        c_ulong, //
    },
    prelude::*,
    uaccess::UserSlice, //
};

/// The CPU page, the granule of every domain here.
const PAGE: u64 = kernel::page::PAGE_SIZE as u64;
/// The most probe ranges one call takes.
const MAX_PROBES: u32 = 4096;
/// The most pages the probe ranges may hold in all: each costs a
/// translation per domain without enumeration.
const MAX_PROBE_PAGES: u64 = 1 << 20;
/// Steps between two chances to reschedule.
const STEPS_PER_RESCHED: u32 = 1024;

/// `IOMMU_*` prot bits of `include/linux/iommu.h`, as the providers report
/// a leaf's permissions.
const IOMMU_READ: u32 = 1 << 0;
const IOMMU_WRITE: u32 = 1 << 1;
const IOMMU_CACHE: u32 = 1 << 2;
const IOMMU_MMIO: u32 = 1 << 4;
/// What an MSI doorbell is mapped with (`iommu_dma_get_msi_page()`, and
/// `smmu_rs`'s nested windows): device writes to MMIO.
const DOORBELL_PROT: u32 = IOMMU_WRITE | IOMMU_MMIO;

/// The leaf visitor of the provider interface (`iommufd_rs_driver.h`).
type LeafFn =
    unsafe extern "C" fn(arg: *mut c_void, iova: u64, pa: u64, size: u64, prot: u32) -> c_int;

// The bindings' structs hold a field-less struct (`sched_statistics`
// without CONFIG_SCHEDSTATS), which the lint flags even behind a pointer;
// only pointers to them cross here.
#[allow(improper_ctypes)]
extern "C" {
    fn iommufd_rs_check_pages_phys(
        p: *const RawPages,
        offset: u64,
        phys: *mut u64,
        contig: *mut u64,
    ) -> c_int;
    fn iommufd_rs_check_for_each_leaf(
        dom: *mut bindings::iommu_domain,
        f: LeafFn,
        arg: *mut c_void,
    ) -> c_int;
    fn iommufd_rs_check_resched() -> c_int;
}

/// One domain of one IOAS being checked.
struct Checker<'a> {
    st: &'a IoasState,
    dom: &'a Domain,
    ioas_id: u32,
    /// The domain's index among the IOAS's domains.
    index: usize,
    steps: u32,
}

/// A permission set, as the log shows it.
fn prot_str(prot: u32) -> &'static str {
    match prot & (IOMMU_READ | IOMMU_WRITE | IOMMU_MMIO) {
        0 => "none",
        IOMMU_READ => "r",
        IOMMU_WRITE => "w",
        p if p == IOMMU_READ | IOMMU_WRITE => "rw",
        IOMMU_MMIO => "mmio",
        p if p == IOMMU_READ | IOMMU_MMIO => "r mmio",
        p if p == IOMMU_WRITE | IOMMU_MMIO => "w mmio",
        _ => "rw mmio",
    }
}

impl Checker<'_> {
    /// Logs a mismatch at `iova` and gives the answer, `-EIO`.
    fn fail(&self, iova: u64, what: core::fmt::Arguments<'_>) -> Error {
        pr_err!(
            "check: IOAS {} domain {} of {}: IOVA {:#x}: {}\n",
            self.ioas_id,
            self.index,
            self.st.domains.len(),
            iova,
            what
        );
        EIO
    }

    /// Counts a step; now and then lets others run (`-EINTR` if killed).
    fn tick(&mut self) -> Result {
        self.steps = self.steps.wrapping_add(1);
        if self.steps % STEPS_PER_RESCHED == 0 {
            // SAFETY: no arguments; may sleep, which the ioctl may.
            let rc = unsafe { iommufd_rs_check_resched() };
            if rc != 0 {
                return Err(Error::from_errno(rc));
            }
        }
        Ok(())
    }

    /// The physical address of byte `iova` of area `a`, and how many bytes
    /// from it are physically contiguous.
    fn backing(&self, a: &Area<AreaPages>, iova: u64) -> Result<(u64, u64)> {
        let (mut phys, mut contig) = (0u64, 0u64);
        let rc = a
            .data
            .offset
            .checked_add(iova - a.start)
            .map_or(EINVAL.to_errno(), |off| {
                // SAFETY: the area holds its pages, and a pin while the IOAS
                // has domains; the IOAS lock, held, keeps both; the C side
                // checks that they are pinned and that the offset is theirs.
                unsafe {
                    iommufd_rs_check_pages_phys(a.data.pages.raw(), off, &mut phys, &mut contig)
                }
            });
        if rc != 0 {
            return Err(self.fail(
                iova,
                format_args!(
                    "area [{:#x}, {:#x}]: its pages are not pinned, or not its own",
                    a.start, a.last
                ),
            ));
        }
        Ok((phys, contig))
    }

    /// Whether `iova` lies in a reserved range of the IOAS.
    fn reserved(&self, iova: u64) -> bool {
        !self
            .st
            .space
            .iova_ranges()
            .any(|(start, last)| start <= iova && iova <= last)
    }

    /// Every byte of every area translates to its pinned byte.
    fn areas(&mut self) -> Result {
        let st = self.st;
        for a in st.space.areas_in(0, u64::MAX) {
            let mut x = a.start;
            loop {
                self.tick()?;
                let (want, contig) = self.backing(a, x)?;
                let (pa, leaf) = self.dom.translate(x).map_err(|e| {
                    self.fail(
                        x,
                        format_args!(
                            "area [{:#x}, {:#x}]: expected {:#x}, found nothing ({})",
                            a.start,
                            a.last,
                            want,
                            e.to_errno()
                        ),
                    )
                })?;
                if pa != want {
                    return Err(self.fail(
                        x,
                        format_args!(
                            "area [{:#x}, {:#x}]: expected {:#x}, found {:#x}",
                            a.start, a.last, want, pa
                        ),
                    ));
                }
                // The leaf (or, when the driver cannot tell, the page) and
                // the run are linear from `x`: one translation covers both.
                let granule = if leaf.is_power_of_two() { leaf } else { PAGE };
                let n = contig.min(granule - (x & (granule - 1)));
                if n > a.last - x {
                    break;
                }
                x += n;
            }
        }
        Ok(())
    }

    /// A page outside every area mapped to `pa` by a leaf of `size` bytes
    /// (0: unknown) with `prot` (`None`: unknown) must be an MSI doorbell.
    fn doorbell(&self, page: u64, pa: u64, size: u64, prot: Option<u32>) -> Result {
        let pfn = c_ulong::try_from(pa >> kernel::page::PAGE_SHIFT).unwrap_or(c_ulong::MAX);
        // SAFETY: a lookup of a page frame number in the resource tree
        // (System RAM ranges), under its own lock; any number is valid.
        let ram = unsafe { bindings::page_is_ram(pfn) } != 0;
        let reserved = self.reserved(page);
        let prot_ok = prot.is_none_or(|p| p == DOORBELL_PROT);
        if !ram && reserved && prot_ok && (size == 0 || size == PAGE) {
            return Ok(());
        }
        Err(self.fail(
            page,
            format_args!(
                "outside every area: expected nothing or an MSI doorbell (w mmio, one page, \
                 not RAM, reserved), found {:#x}{} (leaf {:#x}, {}{})",
                pa,
                if ram { " RAM" } else { "" },
                size,
                prot.map_or("prot unknown", prot_str),
                if reserved { "" } else { ", not reserved" }
            ),
        ))
    }

    /// The page at `page`, if no area touches it, maps nothing but a
    /// doorbell (through `iommu_iova_to_phys()`). Pages outside the
    /// domain's aperture are skipped: the IOMMU faults on them, and
    /// io-pgtable's `iova_to_phys()` ignores the bits above its input size,
    /// so it would answer for another IOVA.
    fn probe_page(&mut self, page: u64) -> Result {
        self.tick()?;
        let geo = self.dom.geometry();
        if page < geo.aperture_start || page > geo.aperture_end {
            return Ok(());
        }
        if self
            .st
            .space
            .area_intersecting(page, page + (PAGE - 1))
            .is_some()
        {
            return Ok(());
        }
        match self.dom.translate(page) {
            Err(_) => Ok(()),
            Ok((pa, leaf)) => self.doorbell(page, pa & !(PAGE - 1), leaf, None),
        }
    }

    /// The page on each side of every area.
    fn neighbours(&mut self) -> Result {
        let st = self.st;
        for a in st.space.areas_in(0, u64::MAX) {
            if let Some(p) = (a.start & !(PAGE - 1)).checked_sub(PAGE) {
                self.probe_page(p)?;
            }
            if let Some(p) = (a.last & !(PAGE - 1)).checked_add(PAGE) {
                self.probe_page(p)?;
            }
        }
        Ok(())
    }

    /// Every page of the probe ranges.
    fn probes(&mut self, probes: &[(u64, u64)]) -> Result {
        for &(start, last) in probes {
            let mut p = start & !(PAGE - 1);
            loop {
                self.probe_page(p)?;
                match p.checked_add(PAGE) {
                    Some(n) if n <= last => p = n,
                    _ => break,
                }
            }
        }
        Ok(())
    }

    /// One leaf, `[iova, iova + size)` to `pa` with `prot`: the parts in
    /// areas must be their pinned bytes with their permissions (and
    /// cacheable), every page no area touches a doorbell.
    fn leaf(&mut self, iova: u64, pa: u64, size: u64, prot: u32) -> Result {
        let st = self.st;
        let end = iova + (size - 1);
        let mut pos = iova;
        loop {
            self.tick()?;
            let next = if let Some(a) = st.space.area_at(pos) {
                let (want, contig) = self.backing(a, pos)?;
                let got = pa + (pos - iova);
                if got != want {
                    return Err(self.fail(
                        pos,
                        format_args!(
                            "area [{:#x}, {:#x}]: expected {:#x}, found {:#x} (leaf {:#x}, {:#x} bytes)",
                            a.start, a.last, want, got, iova, size
                        ),
                    ));
                }
                let mut want_prot = IOMMU_CACHE;
                if a.prot.read {
                    want_prot |= IOMMU_READ;
                }
                if a.prot.write {
                    want_prot |= IOMMU_WRITE;
                }
                if prot != want_prot {
                    return Err(self.fail(
                        pos,
                        format_args!(
                            "area [{:#x}, {:#x}]: expected {} cacheable, found {}{} (prot {:#x})",
                            a.start,
                            a.last,
                            prot_str(want_prot),
                            prot_str(prot),
                            if prot & IOMMU_CACHE != 0 {
                                " cacheable"
                            } else {
                                ""
                            },
                            prot
                        ),
                    ));
                }
                // To the end of the run, the area or the leaf.
                pos.saturating_add(contig - 1)
                    .min(a.last)
                    .min(end)
                    .checked_add(1)
            } else {
                let page = pos & !(PAGE - 1);
                let page_last = page + (PAGE - 1);
                if let Some(a) = st.space.area_intersecting(pos, page_last) {
                    // An area starts further into this page.
                    Some(a.start)
                } else if pos != page {
                    // The rest of a page an area ends in: the area's.
                    page_last.checked_add(1)
                } else {
                    self.doorbell(page, pa + (page - iova), size, Some(prot))?;
                    page_last.checked_add(1)
                }
            };
            match next {
                Some(n) if n <= end => pos = n,
                _ => return Ok(()),
            }
        }
    }

    /// Every leaf of the domain, if its driver can enumerate them: the
    /// number of leaves, or `-EOPNOTSUPP`.
    fn walk(&mut self) -> Result<u64> {
        let mut w = Walk {
            checker: self,
            leaves: 0,
        };
        // SAFETY: the domain is live (the IOAS holds it); `on_leaf` gets
        // back `w`, which outlives the call, and only reads the IOAS state
        // (locked by the caller) and the pinned pages: it neither maps nor
        // unmaps.
        let rc = unsafe {
            iommufd_rs_check_for_each_leaf(
                w.checker.dom.as_raw(),
                on_leaf,
                core::ptr::from_mut(&mut w).cast::<c_void>(),
            )
        };
        if rc != 0 {
            return Err(Error::from_errno(rc));
        }
        Ok(w.leaves)
    }
}

/// What `on_leaf` works with.
struct Walk<'a, 'b> {
    checker: &'b mut Checker<'a>,
    leaves: u64,
}

/// The provider's visitor: checks one leaf.
///
/// # Safety
///
/// `arg` is the `Walk` that `Checker::walk` passed, live and not otherwise
/// used for the call.
unsafe extern "C" fn on_leaf(arg: *mut c_void, iova: u64, pa: u64, size: u64, prot: u32) -> c_int {
    // SAFETY: guaranteed by the caller.
    let w = unsafe { &mut *arg.cast::<Walk<'_, '_>>() };
    w.leaves += 1;
    if size == 0 {
        return EINVAL.to_errno();
    }
    match w.checker.leaf(iova, pa, size, prot) {
        Ok(()) => 0,
        Err(e) => e.to_errno(),
    }
}

/// The probe ranges of `cmd`: at most [`MAX_PROBES`], each `start <= last`,
/// [`MAX_PROBE_PAGES`] pages in all (`-EINVAL`).
fn read_probes(cmd: &uapi::IommuTestIoasCheck) -> Result<KVVec<(u64, u64)>> {
    if cmd.num_probes > MAX_PROBES {
        return Err(EINVAL);
    }
    let n = cmd.num_probes as usize;
    let mut probes = KVVec::with_capacity(n, GFP_KERNEL_ACCOUNT)?;
    let mut reader = UserSlice::new(user_ptr(cmd.probes_uptr, 0, 0)?, n * 16).reader();
    let mut pages: u64 = 0;
    for _ in 0..n {
        let r = reader.read::<uapi::IommuIovaRange>()?;
        if r.start > r.last {
            return Err(EINVAL);
        }
        pages = pages.saturating_add((r.last / PAGE) - (r.start / PAGE) + 1);
        if pages > MAX_PROBE_PAGES {
            return Err(EINVAL);
        }
        probes.push((r.start, r.last), GFP_KERNEL_ACCOUNT)?;
    }
    Ok(probes)
}

/// IOMMU_TEST_IOAS_CHECK: checks every domain of the IOAS (see the module
/// documentation). `-EPERM` without CAP_SYS_ADMIN, `-EOPNOTSUPP` for
/// flags, `-EINVAL` for bad probe ranges, `-ENOENT` for no such IOAS,
/// `-EIO` for a mismatch (logged), `-EINTR` if killed meanwhile.
pub(crate) fn ioas_check(
    f: &IommufdFile,
    ucmd: &UserCmd,
    mut cmd: uapi::IommuTestIoasCheck,
) -> Result {
    // SAFETY: checks the current task's credentials, which are live in
    // the task's own ioctl.
    if !unsafe { bindings::capable(bindings::CAP_SYS_ADMIN as i32) } {
        return Err(EPERM);
    }
    if cmd.flags != 0 {
        return Err(EOPNOTSUPP);
    }
    let probes = read_probes(&cmd)?;
    let ioas = f.get::<IoasObject>(cmd.ioas_id)?;
    let st = ioas.state.lock();
    let state: &IoasState = &st;
    let (mut walked, mut leaves) = (0u32, 0u64);
    for (index, dom) in state.domains.iter().enumerate() {
        let mut c = Checker {
            st: state,
            dom,
            ioas_id: cmd.ioas_id,
            index,
            steps: 0,
        };
        c.areas()?;
        match c.walk() {
            Ok(n) => {
                walked += 1;
                leaves += n;
            }
            Err(e) if e == EOPNOTSUPP => {
                c.neighbours()?;
                c.probes(&probes)?;
            }
            Err(e) => return Err(e),
        }
    }
    cmd.out_domains = u32::try_from(state.domains.len()).unwrap_or(u32::MAX);
    drop(st);
    cmd.out_walked = walked;
    cmd.out_leaves = leaves;
    ucmd.respond(&cmd)
}
