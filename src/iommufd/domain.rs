// SPDX-License-Identifier: GPL-2.0

//! IOMMU domains of a device's IOMMU driver (paging and nest-parent
//! domains from the device's own driver, nested ones through its provider),
//! attaching a bound device's group to them, and mapping the pinned pages
//! of IOAS areas into them, through the IOMMU core's domain API
//! ([`consumer`]), so this works over any IOMMU driver.
//!
//! Pages are mapped in runs of physically contiguous pages, one
//! `iommu_map()` per run, so the driver can use the largest blocks the
//! run's alignment allows (2 MiB, 1 GiB). `iommu_unmap()` returns only
//! after the IOTLB is invalidated, so callers may unpin right after it.

use crate::{
    iova_space::Prot,
    kernel_ext::{
        fault_point,
        iommu::consumer::{
            self,
            prot, //
        },
        ratelimited, warn_on_once,
    },
    pages::Pages,
    pci::BoundDevice,
    provider,
    uapi, //
};
use core::ptr::NonNull;
use kernel::{
    bindings,
    page::{
        PAGE_MASK,
        PAGE_SHIFT,
        PAGE_SIZE, //
    },
    prelude::*, //
};

pub(crate) use crate::provider_abi::Geometry;

impl Geometry {
    /// The geometry a nest-parent domain for `dev` has. Asked of the
    /// device's driver when it is one of this project's (its provider,
    /// [`crate::provider_abi`]), which answers without a domain; any other
    /// driver can only tell by allocating one, which is then freed.
    pub(crate) fn nest_parent(dev: &BoundDevice) -> Result<Self> {
        match provider::nest_parent_geometry(dev) {
            Err(e) if e == EOPNOTSUPP => {
                Domain::alloc(dev, uapi::HWPT_ALLOC_NEST_PARENT).map(|d| d.geometry())
            }
            r => r,
        }
    }

    fn of(dom: &consumer::Domain) -> Self {
        let (aperture_start, aperture_end) = dom.aperture();
        Self {
            aperture_start,
            aperture_end,
            pgsize_bitmap: dom.pgsize_bitmap(),
        }
    }
}

/// Yields the CPU if another task should run: called once per area by the
/// loops that work on every area with the IOAS lock held (a mutex), which
/// may be millions long (IOAS_COPY makes areas without new charge).
pub(crate) fn cond_resched() {
    crate::kernel_ext::sched::cond_resched()
}

/// A domain could not unmap all of an area (a driver bug, or the
/// `fail_unmap` fault point standing in for one): part of it may still be
/// mapped, so devices may still reach its pages, which must then stay
/// pinned for good.
#[derive(Debug)]
pub(crate) struct StillMapped;

/// A failed [`Domain::map`].
#[derive(Debug)]
pub(crate) struct MapError {
    /// Why it failed.
    pub(crate) err: Error,
    /// Undoing what it had mapped came short ([`StillMapped`]).
    pub(crate) still_mapped: bool,
}

/// The IOVA pages an area of `length` bytes at `iova` takes in a domain:
/// from the page holding its first byte to the one holding its last, as
/// `(first IOVA, bytes)`, both page-aligned. Map and unmap of an area both
/// work on this span, so an unmap removes exactly the pages the map of the
/// same area put there. Modulo 2^64: an area ending at the top of the
/// space ends at 0.
fn iova_span(iova: u64, length: u64) -> (u64, u64) {
    let mask = PAGE_MASK as u64;
    let base = iova & mask;
    let end = iova.wrapping_add(length).wrapping_add(PAGE_SIZE as u64 - 1) & mask;
    (base, end.wrapping_sub(base))
}

/// Unmaps a span (whole pages) from `dom`; the IOTLB is clean when this
/// returns. Returns whether the driver unmapped all of it. A driver that
/// unmaps less (upstream's `iommu_unmap_nofail()` WARNs there) leaves part
/// of it mapped: the caller must keep the pages behind it pinned as long
/// as the domain may map them, since a device may still reach them.
/// Logged ratelimited; a WARN only when a driver did it, not the
/// `fail_unmap` fault point standing in for one (a fault-injection run
/// must not WARN).
fn unmap_span(dom: &consumer::Domain, base: u64, size: u64) -> bool {
    let injected = fault_point::should_fail_unmap(size >> PAGE_SHIFT);
    let unmapped = if injected { 0 } else { dom.unmap(base, size) };
    if unmapped as u64 == size {
        return true;
    }
    ratelimited::log_unmap_short(unmapped, size, base);
    warn_on_once!(!injected);
    false
}

/// A domain of a device's IOMMU driver, paging or nested; freed on drop,
/// which the owner does only once no group is attached to it.
pub(crate) struct Domain {
    dom: consumer::Domain,
    geo: Geometry,
}

impl Domain {
    /// A new paging domain for `dev` with `IOMMU_HWPT_ALLOC_*` `flags`:
    /// `ENODEV` if the device left the driver, `EOPNOTSUPP` or another
    /// error of its IOMMU driver.
    pub(crate) fn alloc(dev: &BoundDevice, flags: u32) -> Result<Self> {
        let dom = dev.with_live_device(|d| consumer::Domain::alloc_paging(d, flags))?;
        Ok(Self {
            geo: Geometry::of(&dom),
            dom,
        })
    }

    /// Takes ownership of `dom`, a nested domain of a vIOMMU
    /// ([`crate::provider::ProviderViommu::alloc_nested`]), whose geometry is
    /// its parent's `parent_geo`: the addresses a nested device's MSI
    /// doorbells must fit are the parent's. On error (`ENOMEM`) the domain
    /// is freed.
    ///
    /// # Safety
    ///
    /// `dom` is a domain no one else owns, attached to nothing, with its
    /// driver's module (`dom->owner->owner`) held for this value, as
    /// [`Self::alloc`] holds it.
    pub(crate) unsafe fn adopt(
        dom: NonNull<bindings::iommu_domain>,
        parent_geo: Geometry,
    ) -> Result<Self> {
        Ok(Self {
            // SAFETY: as the caller guarantees.
            dom: unsafe { consumer::Domain::from_raw(dom)? },
            geo: parent_geo,
        })
    }

    /// The `struct iommu_domain`, for the provider calls and the IOAS
    /// check.
    pub(crate) fn as_raw(&self) -> *mut bindings::iommu_domain {
        self.dom.as_raw()
    }

    /// Aperture and page sizes.
    pub(crate) fn geometry(&self) -> Geometry {
        self.geo
    }

    /// Attaches `dev`'s group, unless the group is already on this domain
    /// for another function of the same file: `ENODEV` if the device left
    /// the driver, `EINVAL` if its group is on another domain (for another
    /// function), or the core's error (`EINVAL` for a domain the device
    /// cannot use).
    pub(crate) fn attach(&self, dev: &BoundDevice) -> Result {
        dev.attach(&self.dom)
    }

    /// Detaches `dev`; its group goes back to the core's blocking domain
    /// with the last function of it attached.
    pub(crate) fn detach(&self, dev: &BoundDevice) {
        dev.detach(&self.dom)
    }

    /// Maps `length` (> 0) bytes of `pages` (pinned) from `offset` at
    /// `iova`, for device reads and writes as `prot` allows. On error
    /// nothing of it stays mapped, unless [`MapError::still_mapped`].
    ///
    /// The pages mapped are the IOVA span of the area ([`iova_span`]),
    /// filled from the page holding the first byte. That is the same count
    /// of pages as the bytes span in memory only when `iova` and the byte
    /// start at the same place in a page; the IOAS core refuses any other
    /// area in an IOAS with a domain (the page-offset rule of upstream's
    /// `iopt_insert_area()`), so a mismatch here is a bug, refused before
    /// anything is mapped (`EINVAL`, as for pages not pinned or a range
    /// not theirs).
    ///
    /// One `iommu_map()` per run of contiguous pages, so the driver can use
    /// the largest blocks the run's alignment allows. As upstream,
    /// `IOMMU_READ` only for a readable map: a WRITEABLE-only map is
    /// write-only where the page table can say so (stage 2; a stage-1
    /// table maps it read-write).
    pub(crate) fn map(
        &self,
        iova: u64,
        pages: &Pages,
        offset: u64,
        length: u64,
        prot: Prot,
    ) -> Result<(), MapError> {
        let bits = prot::CACHE
            | if prot.read { prot::READ } else { 0 }
            | if prot.write { prot::WRITE } else { 0 };
        let (base, size) = iova_span(iova, length);
        let byte = pages.first_byte_offset().wrapping_add(offset);
        let first = byte >> PAGE_SHIFT;
        let last = (first + (size >> PAGE_SHIFT)).wrapping_sub(1);
        let fail = |err| MapError {
            err,
            still_mapped: false,
        };
        if warn_on_once!((iova ^ byte) & !(PAGE_MASK as u64) != 0) {
            return Err(fail(EINVAL));
        }
        let mut done = 0u64;
        pages
            .for_each_run(first, last, |phys, n| {
                let bytes = n << PAGE_SHIFT;
                if fault_point::should_fail_map(n) {
                    return Err(ENOMEM);
                }
                self.dom.map(base.wrapping_add(done), phys, bytes, bits)?;
                done += bytes;
                Ok(())
            })
            .map_err(|err| MapError {
                err,
                still_mapped: done != 0 && !unmap_span(&self.dom, base, done),
            })
    }

    /// Unmaps what `map` mapped for the same `iova` and `length`; the IOTLB
    /// is clean on return. [`StillMapped`] if the driver unmapped less
    /// (logged): part of it may still be mapped, and the caller must keep
    /// its pages pinned.
    pub(crate) fn unmap(&self, iova: u64, length: u64) -> Result<(), StillMapped> {
        let (base, size) = iova_span(iova, length);
        if unmap_span(&self.dom, base, size) {
            Ok(())
        } else {
            Err(StillMapped)
        }
    }

    /// The output address `iova` translates to, from the IOMMU core
    /// (`iommu_iova_to_phys()`); `None` if nothing is mapped there.
    pub(crate) fn iova_to_phys(&self, iova: u64) -> Option<u64> {
        self.dom.iova_to_phys(iova)
    }

    /// Places MSI doorbells at `base` (before devices use MSI).
    pub(crate) fn set_msi_cookie(&self, base: u64) -> Result {
        self.dom.set_msi_cookie(base)
    }
}

impl Drop for Domain {
    fn drop(&mut self) {
        // A domain a group is still on (a bookkeeping bug) is left
        // allocated, with a warning (see `consumer::Domain::leak_on_drop`).
        if kernel::warn_on!(crate::pci::domain_in_use(&self.dom)) {
            self.dom.leak_on_drop();
        }
    }
}
