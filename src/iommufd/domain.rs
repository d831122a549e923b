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
    viommu::{
        RawViommu,
        Viommu, //
    }, //
};
use core::ptr::NonNull;
use kernel::{
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

/// `struct iommufd_rs_geometry` of `iommufd_rs_driver.h`.
#[repr(C)]
#[derive(Clone, Copy, Default)]
pub(crate) struct Geometry {
    /// First mappable IOVA.
    pub(crate) aperture_start: u64,
    /// Last mappable IOVA.
    pub(crate) aperture_end: u64,
    /// Page sizes the domain can map.
    pub(crate) pgsize_bitmap: u64,
}

// The layout of `struct iommufd_rs_geometry`; `domain.c` asserts the same.
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
    fn iommufd_rs_domain_translate(
        dom: *mut RawDomain,
        iova: u64,
        phys: *mut u64,
        leaf_size: *mut u64,
    ) -> c_int;
    fn iommufd_rs_domain_msi_cookie(dom: *mut RawDomain, base: u64) -> c_int;
    fn iommufd_rs_nest_parent_geometry(d: *mut RawPci, geo: *mut Geometry) -> c_int;
    fn iommufd_rs_domain_nested_msi(dom: *mut RawDomain, giova: u64, ipa: u64, size: u64) -> c_int;
    fn iommufd_rs_domain_alloc_nested(
        v: *mut RawViommu,
        d: *mut RawPci,
        flags: u32,
        data_type: u32,
        uptr: u64,
        len: u32,
        err: *mut c_int,
    ) -> *mut RawDomain;
}

impl Geometry {
    /// The geometry a nest-parent domain for `dev` has. Asked of the
    /// device's driver when it is one of this project's (its provider,
    /// `iommufd_rs_driver.h`), which answers without a domain; any other
    /// driver can only tell by allocating one, which is then freed.
    pub(crate) fn nest_parent(dev: &BoundDevice) -> Result<Self> {
        let mut geo = Geometry::default();
        // SAFETY: `dev.raw()` is live while `dev` is; `geo` is a valid place.
        match to_result(unsafe { iommufd_rs_nest_parent_geometry(dev.raw(), &mut geo) }) {
            Err(e) if e == EOPNOTSUPP => {
                Domain::alloc(dev, uapi::HWPT_ALLOC_NEST_PARENT).map(|d| d.geometry())
            }
            r => r.map(|()| geo),
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

    /// A nested domain for `dev` on the vIOMMU `viommu`, from the user's
    /// data (`data_type`, `len` bytes at `uptr`), which the driver copies
    /// and validates. Its geometry is its parent's `parent_geo`: the
    /// addresses a nested device's MSI doorbells must fit are the parent's.
    pub(crate) fn alloc_nested(
        viommu: &Viommu,
        dev: &BoundDevice,
        flags: u32,
        data: (u32, u64, u32),
        parent_geo: Geometry,
    ) -> Result<Self> {
        let (data_type, uptr, len) = data;
        let mut err: c_int = 0;
        // SAFETY: the vIOMMU and the device are live for the call; the
        // driver copies the user's data with the uaccess helpers; `err` is
        // a valid place.
        let raw = unsafe {
            iommufd_rs_domain_alloc_nested(
                viommu.raw(),
                dev.raw(),
                flags,
                data_type,
                uptr,
                len,
                &mut err,
            )
        };
        match NonNull::new(raw) {
            Some(raw) => Ok(Self {
                raw,
                geo: parent_geo,
            }),
            None => Err(if err < 0 {
                Error::from_errno(err)
            } else {
                ENOMEM
            }),
        }
    }

    /// The `struct iommu_domain`, for the C side.
    pub(crate) fn raw(&self) -> *mut RawDomain {
        self.raw.as_ptr()
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

    /// For a nested domain: the MSI cookie at `giova` maps each doorbell
    /// into the parent's stage 2 at the same slot of `[ipa, ipa + size)`
    /// (the driver's provider; before [`Self::set_msi_cookie`]).
    pub(crate) fn set_nested_msi_window(&self, giova: u64, ipa: u64, size: u64) -> Result {
        // SAFETY: the domain is live; the driver checks it is a nested one.
        to_result(unsafe { iommufd_rs_domain_nested_msi(self.raw.as_ptr(), giova, ipa, size) })
    }

    /// Places MSI doorbells at `base` (before devices use MSI).
    pub(crate) fn set_msi_cookie(&self, base: u64) -> Result {
        // SAFETY: the domain is live; the core checks its type.
        to_result(unsafe { iommufd_rs_domain_msi_cookie(self.raw.as_ptr(), base) })
    }

    /// The output address `iova` translates to, and the size of the leaf
    /// entry mapping it (0 when the driver cannot tell).
    pub(crate) fn translate(&self, iova: u64) -> Result<(u64, u64)> {
        let (mut phys, mut leaf) = (0u64, 0u64);
        // SAFETY: the domain is live; `phys` and `leaf` are valid places.
        to_result(unsafe {
            iommufd_rs_domain_translate(self.raw.as_ptr(), iova, &mut phys, &mut leaf)
        })?;
        Ok((phys, leaf))
    }
}

impl Drop for Domain {
    fn drop(&mut self) {
        // SAFETY: allocated by `alloc`, freed once; owners detach every
        // group before dropping it.
        unsafe { iommufd_rs_domain_free(self.raw.as_ptr()) }
    }
}
