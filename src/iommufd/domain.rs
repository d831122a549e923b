// SPDX-License-Identifier: GPL-2.0

//! IOMMU domains of a device's IOMMU driver: a thin owner of the C side in
//! `domain.c` (the IOMMU core's domain API).

use crate::{
    iova_space::Prot,
    pages::Pages,
    pci::{
        BoundDevice,
        RawPci, //
    },
    uapi,
};
use core::ptr::NonNull;
use kernel::{
    bindings,
    error::to_result,
    ffi::c_int,
    page::{
        PAGE_SHIFT,
        PAGE_SIZE, //
    },
    prelude::*,
    warn_on, //
};

/// The opaque `struct iommu_domain`.
#[repr(C)]
pub(crate) struct RawDomain {
    _opaque: [u8; 0],
}

pub(crate) use crate::provider_abi::Geometry;

// The layout of `struct iommufd_rs_geometry` of `domain.h`, which
// `iommufd_rs_domain_alloc()` fills; `domain.c` asserts the same.
const _: () = {
    assert!(core::mem::size_of::<Geometry>() == 24);
    assert!(core::mem::offset_of!(Geometry, aperture_start) == 0);
    assert!(core::mem::offset_of!(Geometry, aperture_end) == 8);
    assert!(core::mem::offset_of!(Geometry, pgsize_bitmap) == 16);
};

extern "C" {
    fn iommufd_rs_domain_alloc(
        d: *mut RawPci,
        flags: u32,
        geo: *mut Geometry,
        err: *mut c_int,
    ) -> *mut RawDomain;
    fn iommufd_rs_domain_free(dom: *mut RawDomain);
    fn iommufd_rs_domain_attach(dom: *mut RawDomain, d: *mut RawPci) -> c_int;
    fn iommufd_rs_domain_detach(dom: *mut RawDomain, d: *mut RawPci);
    fn iommufd_rs_domain_map_run(
        dom: *mut RawDomain,
        iova: u64,
        phys: u64,
        size: u64,
        readable: bool,
        writable: bool,
    ) -> c_int;
    fn iommufd_rs_domain_unmap(dom: *mut RawDomain, iova: u64, length: u64) -> bool;
    fn iommufd_rs_cond_resched();
    fn iommufd_rs_domain_msi_cookie(dom: *mut RawDomain, base: u64) -> c_int;
}

impl Geometry {
    /// The geometry a nest-parent domain for `dev` has. Asked of the
    /// device's driver when it is one of this project's (its provider,
    /// `iommufd_rs_driver.h`), which answers without a domain; any other
    /// driver can only tell by allocating one, which is then freed.
    pub(crate) fn nest_parent(dev: &BoundDevice) -> Result<Self> {
        match crate::provider::nest_parent_geometry(dev) {
            Err(e) if e == EOPNOTSUPP => {
                Domain::alloc(dev, uapi::HWPT_ALLOC_NEST_PARENT).map(|d| d.geometry())
            }
            r => r,
        }
    }
}

/// Yields the CPU if another task should run: called once per area by the
/// loops that work on every area with the IOAS lock held (a mutex), which
/// may be millions long (IOAS_COPY makes areas without new charge).
pub(crate) fn cond_resched() {
    // SAFETY: no arguments; callers are in process context and hold no
    // spinlock (the IOAS lock is a mutex).
    unsafe { iommufd_rs_cond_resched() }
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

/// A paging domain of a device's IOMMU driver; freed on drop, which the
/// owner does only once no group is attached to it.
pub(crate) struct Domain {
    raw: NonNull<RawDomain>,
    geo: Geometry,
}

// SAFETY: an IOMMU domain is not tied to a task; the core and the driver
// serialise their own state (map/unmap of disjoint ranges may run
// concurrently, as the IOMMU API allows; this module serialises them per
// IOAS anyway).
unsafe impl Send for Domain {}
// SAFETY: see `Send`.
unsafe impl Sync for Domain {}

impl Domain {
    /// A new paging domain for `dev` with `IOMMU_HWPT_ALLOC_*` `flags`.
    pub(crate) fn alloc(dev: &BoundDevice, flags: u32) -> Result<Self> {
        let mut geo = Geometry::default();
        let mut err: c_int = 0;
        // SAFETY: `dev.raw()` is live while `dev` is; `geo` and `err` are
        // valid places for the results.
        let raw = unsafe { iommufd_rs_domain_alloc(dev.raw(), flags, &mut geo, &mut err) };
        match NonNull::new(raw) {
            Some(raw) => Ok(Self { raw, geo }),
            None => Err(if err < 0 {
                Error::from_errno(err)
            } else {
                ENOMEM
            }),
        }
    }

    /// Takes ownership of `dom`, a nested domain of a vIOMMU
    /// ([`crate::provider::ProviderViommu::alloc_nested`]), whose geometry is
    /// its parent's `parent_geo`: the addresses a nested device's MSI
    /// doorbells must fit are the parent's.
    ///
    /// # Safety
    ///
    /// `dom` is a domain no one else owns, attached to nothing, with its
    /// driver's module (`dom->owner->owner`) held for this value, as
    /// [`Self::alloc`] holds it.
    pub(crate) unsafe fn adopt(dom: NonNull<bindings::iommu_domain>, parent_geo: Geometry) -> Self {
        Self {
            raw: dom.cast(),
            geo: parent_geo,
        }
    }

    /// The `struct iommu_domain`.
    pub(crate) fn as_raw(&self) -> *mut bindings::iommu_domain {
        self.raw.as_ptr().cast()
    }

    /// Aperture and page sizes.
    pub(crate) fn geometry(&self) -> Geometry {
        self.geo
    }

    /// Attaches `dev`'s group.
    pub(crate) fn attach(&self, dev: &BoundDevice) -> Result {
        // SAFETY: both pointers are live for the call.
        to_result(unsafe { iommufd_rs_domain_attach(self.raw.as_ptr(), dev.raw()) })
    }

    /// Detaches `dev`'s group (back to blocking).
    pub(crate) fn detach(&self, dev: &BoundDevice) {
        // SAFETY: both pointers are live for the call.
        unsafe { iommufd_rs_domain_detach(self.raw.as_ptr(), dev.raw()) }
    }

    /// Maps `length` bytes of `pages` (pinned) from `offset` at `iova`
    /// (which starts at the same place in its page as the byte), for device
    /// reads and writes as `prot` allows. On error nothing of it stays
    /// mapped, unless [`MapError::still_mapped`].
    ///
    /// The pages mapped are the IOVA span of the area (`iova_span()` of
    /// `domain.c`: from the page holding the first byte to the one holding
    /// the last), filled from the page holding the first byte. That is the
    /// same count of pages as the bytes span in memory only when `iova` and
    /// the byte start at the same place in a page; the IOAS core refuses
    /// any other area in an IOAS with a domain (the page-offset rule of
    /// upstream's `iopt_insert_area()`), so a mismatch here is a bug,
    /// refused before anything is mapped. One `iommu_map()` per run of
    /// physically contiguous pages; `EINVAL` if the pages are not pinned or
    /// the range is not theirs.
    pub(crate) fn map(
        &self,
        iova: u64,
        pages: &Pages,
        offset: u64,
        length: u64,
        prot: Prot,
    ) -> Result<(), MapError> {
        let fail = |err| MapError {
            err,
            still_mapped: false,
        };
        let page = PAGE_SIZE as u64;
        let byte = pages
            .first_byte_offset()
            .checked_add(offset)
            .ok_or(fail(EINVAL))?;
        if warn_on!((iova ^ byte) & (page - 1) != 0) {
            return Err(fail(EINVAL));
        }
        // Modulo 2^64, as `iova_span()`: an area ending at the top of the
        // space gives an end of 0.
        let base = iova & !(page - 1);
        let size = iova
            .wrapping_add(length)
            .wrapping_add(page - 1)
            .wrapping_sub(base)
            & !(page - 1);
        let first = byte >> PAGE_SHIFT;
        let last = (first + (size >> PAGE_SHIFT))
            .checked_sub(1)
            .ok_or(fail(EINVAL))?;
        let mut done = 0u64;
        pages
            .for_each_run(first, last, |phys, n| {
                let bytes = n << PAGE_SHIFT;
                // SAFETY: the domain is live for the call; the run's pages
                // are pinned while the caller holds a pin.
                let rc = unsafe {
                    iommufd_rs_domain_map_run(
                        self.raw.as_ptr(),
                        base.wrapping_add(done),
                        phys,
                        bytes,
                        prot.read,
                        prot.write,
                    )
                };
                if rc != 0 {
                    return Err(Error::from_errno(rc));
                }
                // At most the span's size: no wrap.
                done = done.wrapping_add(bytes);
                Ok(())
            })
            .map_err(|err| MapError {
                err,
                still_mapped: done != 0 && self.unmap(base, done).is_err(),
            })
    }

    /// Unmaps what `map` mapped for the same `iova` and `length`; the IOTLB
    /// is clean on return. [`StillMapped`] if the driver unmapped less.
    pub(crate) fn unmap(&self, iova: u64, length: u64) -> Result<(), StillMapped> {
        // SAFETY: the domain is live for the call.
        if unsafe { iommufd_rs_domain_unmap(self.raw.as_ptr(), iova, length) } {
            Ok(())
        } else {
            Err(StillMapped)
        }
    }

    /// Places MSI doorbells at `base` (before devices use MSI).
    pub(crate) fn set_msi_cookie(&self, base: u64) -> Result {
        // SAFETY: the domain is live; the core checks its type.
        to_result(unsafe { iommufd_rs_domain_msi_cookie(self.raw.as_ptr(), base) })
    }
}

impl Drop for Domain {
    fn drop(&mut self) {
        // SAFETY: allocated by `alloc`, freed once; owners detach every
        // group before dropping it.
        unsafe { iommufd_rs_domain_free(self.raw.as_ptr()) }
    }
}
