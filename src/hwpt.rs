// SPDX-License-Identifier: GPL-2.0

//! IOMMU domains (`domain.c`) and the paging HWPT objects built on them.

use crate::{
    device::{BoundDevice, RawPci},
    ioas_object::{kerr, IoasObject, IoasState},
    pages::{PinnedPages, RawPages},
};
use core::{
    ptr::NonNull,
    sync::atomic::{AtomicU32, AtomicU64, AtomicUsize, Ordering},
};
use kernel::{error::to_result, ffi::c_int, prelude::*, sync::Arc};

/// The opaque `struct iommu_domain`.
#[repr(C)]
pub(crate) struct RawDomain {
    _opaque: [u8; 0],
}

/// `struct iommufd_rs_geometry` of `domain.h`.
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
    fn iommufd_rs_domain_map(
        dom: *mut RawDomain,
        iova: u64,
        p: *const RawPages,
        offset: u64,
        length: u64,
        writable: bool,
    ) -> c_int;
    fn iommufd_rs_domain_unmap(dom: *mut RawDomain, iova: u64, length: u64);
    fn iommufd_rs_domain_translate(
        dom: *mut RawDomain,
        iova: u64,
        phys: *mut u64,
        leaf_size: *mut u64,
    ) -> c_int;
    fn iommufd_rs_domain_msi_cookie(dom: *mut RawDomain, base: u64) -> c_int;
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
            None => Err(Error::from_errno(if err < 0 { err } else { -12 })),
        }
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

    /// Maps `length` bytes of `pages` from `offset` at `iova`.
    pub(crate) fn map(
        &self,
        iova: u64,
        pages: &PinnedPages,
        offset: u64,
        length: u64,
        writable: bool,
    ) -> Result {
        // SAFETY: the domain and the pinned pages are live for the call; the
        // C side checks the range against the pinned page count.
        to_result(unsafe {
            iommufd_rs_domain_map(
                self.raw.as_ptr(),
                iova,
                pages.raw(),
                offset,
                length,
                writable,
            )
        })
    }

    /// Unmaps what `map` mapped at `iova`; the IOTLB is clean on return.
    pub(crate) fn unmap(&self, iova: u64, length: u64) {
        // SAFETY: the domain is live; unmapping an unmapped range is a no-op.
        unsafe { iommufd_rs_domain_unmap(self.raw.as_ptr(), iova, length) }
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

/// "No MSI cookie yet" in [`Hwpt::msi_base`].
const NO_MSI_BASE: u64 = u64::MAX;

/// A paging HWPT: a domain registered with an IOAS. While it lives, the
/// domain's aperture holes are reserved in the IOAS (tagged with the HWPT),
/// the IOAS's alignment covers its pages, and every area is mapped in it;
/// dropping it undoes that. Devices hold it while attached.
pub(crate) struct Hwpt {
    /// The domain.
    pub(crate) domain: Arc<Domain>,
    /// The IOAS it follows.
    pub(crate) ioas: Arc<IoasObject>,
    /// Made by attaching to an IOAS (and destroyed with its last device),
    /// rather than by HWPT_ALLOC.
    pub(crate) auto: bool,
    /// Its object id (0 until published).
    pub(crate) id: AtomicU32,
    /// Devices attached.
    pub(crate) users: AtomicUsize,
    /// Where the domain's MSI cookie puts doorbells; set by the first
    /// device attached, under the IOAS lock.
    pub(crate) msi_base: AtomicU64,
}

impl Hwpt {
    /// A new domain for `dev` with `IOMMU_HWPT_ALLOC_*` `flags`, registered
    /// with `ioas`.
    pub(crate) fn new(
        dev: &BoundDevice,
        ioas: &Arc<IoasObject>,
        flags: u32,
        auto: bool,
    ) -> Result<Arc<Self>> {
        let domain = Arc::new(Domain::alloc(dev, flags)?, GFP_KERNEL_ACCOUNT)?;
        let hwpt = Arc::new(
            Self {
                domain,
                ioas: ioas.clone(),
                auto,
                id: AtomicU32::new(0),
                users: AtomicUsize::new(0),
                msi_base: AtomicU64::new(NO_MSI_BASE),
            },
            GFP_KERNEL_ACCOUNT,
        )?;
        // On failure `hwpt` is dropped after the lock is released, and its
        // `Drop` removes whatever was registered.
        let registered = hwpt.register(&mut ioas.state.lock());
        registered.map(|()| hwpt)
    }

    /// The tag of this HWPT's reserved ranges.
    fn tag(&self) -> u64 {
        core::ptr::from_ref(self) as u64
    }

    fn register(&self, st: &mut IoasState) -> Result {
        let geo = self.domain.geometry();
        let min_page = 1u64 << geo.pgsize_bitmap.trailing_zeros().min(63);
        let align = st.space.iova_alignment().max(min_page);
        st.space.set_iova_alignment(align).map_err(kerr)?;
        if geo.aperture_start > 0 {
            st.space
                .reserve(0, geo.aperture_start - 1, self.tag())
                .map_err(kerr)?;
        }
        if geo.aperture_end < u64::MAX {
            st.space
                .reserve(geo.aperture_end + 1, u64::MAX, self.tag())
                .map_err(kerr)?;
        }
        st.fill(&self.domain)?;
        st.domains.push(self.domain.clone(), GFP_KERNEL_ACCOUNT)?;
        self.ioas.note_domains(st);
        Ok(())
    }

    /// Places the domain's MSI doorbells at `base`, once; a later device
    /// must use the same window (`-EINVAL`): one cookie per domain.
    pub(crate) fn use_msi_window(&self, base: u64) -> Result {
        match self.msi_base.load(Ordering::Acquire) {
            NO_MSI_BASE => {
                self.domain.set_msi_cookie(base)?;
                self.msi_base.store(base, Ordering::Release);
                Ok(())
            }
            b if b == base => Ok(()),
            _ => Err(EINVAL),
        }
    }
}

impl Drop for Hwpt {
    fn drop(&mut self) {
        // No device is attached any more (each holds a reference).
        let mut st = self.ioas.state.lock();
        if let Some(i) = st.domains.iter().position(|d| Arc::ptr_eq(d, &self.domain)) {
            st.domains.remove(i).ok();
        }
        st.space.unreserve(self.tag());
        st.recompute_alignment();
        self.ioas.note_domains(&st);
    }
}
