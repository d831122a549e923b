// SPDX-License-Identifier: GPL-2.0

//! IOMMU domains, as a user of the IOMMU core sees them (iommufd, VFIO):
//! paging domains of a device's IOMMU driver, mapping and unmapping them,
//! their MSI cookie, and a device's reserved regions.
//!
//! C header: [`include/linux/iommu.h`](srctree/include/linux/iommu.h)
//!
//! Everything here is an exported IOMMU-core function of the generated
//! bindings; 7.3's `kernel::iommu` has only the io-pgtable half.

use crate::kernel_ext::device_as_raw;
use core::ptr::NonNull;
use kernel::{
    alloc::KVVec,
    bindings,
    device::Device,
    error::{
        from_err_ptr,
        to_result, //
    },
    prelude::*, //
};

/// An IOMMU domain this value owns: freed with `iommu_domain_free()` on
/// drop, after which its driver's module is unpinned.
///
/// # Invariants
///
/// `raw` is a live domain of an IOMMU driver, owned by this value alone,
/// and a reference on the module of its driver (`raw->owner->owner`) is
/// held for it: the domain's ops live in that module, and the core pins
/// the module only per probed device, so a domain may otherwise outlive
/// its driver.
pub(crate) struct Domain {
    raw: NonNull<bindings::iommu_domain>,
    /// Free the domain on drop; cleared by [`Domain::leak_on_drop`].
    free_on_drop: bool,
}

// SAFETY: an IOMMU domain is not tied to a task; the core and its driver
// serialise their own state (map and unmap of disjoint ranges may run
// concurrently, as the IOMMU API allows).
unsafe impl Send for Domain {}
// SAFETY: see `Send`; every `&self` method is an IOMMU API call that may
// run concurrently with the others on disjoint ranges.
unsafe impl Sync for Domain {}

/// Page-table permissions of [`Domain::map`]: `IOMMU_*` bits.
pub(crate) mod prot {
    /// Device reads.
    pub(crate) const READ: u32 = kernel::bindings::IOMMU_READ;
    /// Device writes.
    pub(crate) const WRITE: u32 = kernel::bindings::IOMMU_WRITE;
    /// Cache-coherent with the CPU.
    pub(crate) const CACHE: u32 = kernel::bindings::IOMMU_CACHE;
}

impl Domain {
    /// A paging domain for `dev` from its IOMMU driver, with
    /// `IOMMU_HWPT_ALLOC_*` `flags` (`iommu_paging_domain_alloc_flags()`).
    ///
    /// `dev` must stay probed by its IOMMU for the call (the caller keeps
    /// it on its driver). `ENODEV` if the driver's module is going away.
    pub(crate) fn alloc_paging(dev: &Device, flags: u32) -> Result<Self> {
        // SAFETY: `dev` is a live device (a reference); the core checks
        // that it is behind an IOMMU and returns an ERR_PTR otherwise.
        let raw = from_err_ptr(unsafe {
            bindings::iommu_paging_domain_alloc_flags(device_as_raw(dev), flags)
        })?;
        let raw = NonNull::new(raw).ok_or(ENOMEM)?;
        // SAFETY: `raw` is a live domain, so `owner` points at its driver's
        // `iommu_ops`, which live in that driver's module.
        let module = unsafe { (*(*raw.as_ptr()).owner).owner };
        // SAFETY: `module` is the driver's module, or NULL for a built-in
        // driver (which `try_module_get()` accepts).
        if !unsafe { bindings::try_module_get(module) } {
            // SAFETY: the domain was just allocated and is used by no one.
            unsafe { bindings::iommu_domain_free(raw.as_ptr()) };
            return Err(ENODEV);
        }
        // INVARIANT: owned here, its module pinned above.
        Ok(Self {
            raw,
            free_on_drop: true,
        })
    }

    /// Takes ownership of a domain allocated outside this abstraction (a
    /// nested domain from an IOMMU driver's own interface).
    ///
    /// # Safety
    ///
    /// `raw` is a live domain the caller owns and hands over, and the
    /// caller took a reference on its driver's module
    /// (`raw->owner->owner`) that the returned value now holds.
    pub(crate) unsafe fn from_raw(raw: NonNull<bindings::iommu_domain>) -> Self {
        // INVARIANT: guaranteed by the caller.
        Self {
            raw,
            free_on_drop: true,
        }
    }

    /// The `struct iommu_domain`, for IOMMU-driver interfaces the core API
    /// does not cover. Valid while `self` lives.
    pub(crate) fn as_raw(&self) -> *mut bindings::iommu_domain {
        self.raw.as_ptr()
    }

    /// The first and last IOVA of the aperture.
    pub(crate) fn aperture(&self) -> (u64, u64) {
        // SAFETY: `raw` is live (type invariant); the geometry is set by the
        // driver at allocation and not changed afterwards.
        let g = unsafe { (*self.raw.as_ptr()).geometry };
        (g.aperture_start, g.aperture_end)
    }

    /// The page sizes the domain can map.
    pub(crate) fn pgsize_bitmap(&self) -> u64 {
        // SAFETY: as for `aperture`.
        (unsafe { (*self.raw.as_ptr()).pgsize_bitmap }) as u64
    }

    /// Maps `size` bytes at physical `paddr` to `iova` with [`prot`] bits
    /// (`iommu_map()`): the driver may use any block size the alignment of
    /// both allows. Page tables are allocated with `GFP_KERNEL_ACCOUNT`:
    /// charged to the caller, who asked for the mapping. On error nothing
    /// of it is left mapped.
    pub(crate) fn map(&self, iova: u64, paddr: u64, size: u64, prot: u32) -> Result {
        let iova = usize::try_from(iova).map_err(|_| EINVAL)?;
        let size = usize::try_from(size).map_err(|_| EINVAL)?;
        let prot = i32::try_from(prot).map_err(|_| EINVAL)?;
        // SAFETY: `raw` is live (type invariant); the core checks the
        // range's alignment against the domain's page sizes.
        to_result(unsafe {
            bindings::iommu_map(
                self.raw.as_ptr(),
                iova,
                paddr,
                size,
                prot,
                bindings::GFP_KERNEL_ACCOUNT,
            )
        })
    }

    /// Unmaps `size` bytes at `iova` (`iommu_unmap()`); the IOTLB is clean
    /// when it returns. Returns the bytes the driver unmapped, which is
    /// less than `size` only on a driver's failure.
    pub(crate) fn unmap(&self, iova: u64, size: u64) -> usize {
        let (Ok(iova), Ok(size)) = (usize::try_from(iova), usize::try_from(size)) else {
            return 0;
        };
        // SAFETY: `raw` is live (type invariant).
        unsafe { bindings::iommu_unmap(self.raw.as_ptr(), iova, size) }
    }

    /// The physical address `iova` translates to, or `None` if nothing is
    /// mapped there (`iommu_iova_to_phys()`).
    pub(crate) fn iova_to_phys(&self, iova: u64) -> Option<u64> {
        // SAFETY: `raw` is live (type invariant).
        match unsafe { bindings::iommu_iova_to_phys(self.raw.as_ptr(), iova) } {
            0 => None,
            pa => Some(pa),
        }
    }

    /// Places the MSI doorbells of the domain's devices from `base`
    /// (`iommu_get_msi_cookie()`), before any device using MSI is attached.
    /// Without it, MSI vector allocation for a device in the domain fails
    /// (`iommu_dma_prepare_msi()`).
    pub(crate) fn set_msi_cookie(&self, base: u64) -> Result {
        // SAFETY: `raw` is live (type invariant); the core checks the
        // domain's type and that it has no cookie yet.
        to_result(unsafe { bindings::iommu_get_msi_cookie(self.raw.as_ptr(), base) })
    }

    /// Makes drop leave the domain allocated: for a domain some group may
    /// still be attached to (a bookkeeping bug its owner found). Freeing it
    /// would leave the group's devices translating through freed tables,
    /// and the core's next domain change would read freed memory; a leak is
    /// the lesser harm.
    pub(crate) fn leak_on_drop(&mut self) {
        self.free_on_drop = false;
    }
}

impl Drop for Domain {
    fn drop(&mut self) {
        if !self.free_on_drop {
            return;
        }
        // SAFETY: `raw` is live (type invariant), so is its `owner`.
        let module = unsafe { (*(*self.raw.as_ptr()).owner).owner };
        // SAFETY: owned by `self` alone (type invariant) and freed once,
        // here; its owner made sure no group is on it (`leak_on_drop`).
        unsafe { bindings::iommu_domain_free(self.raw.as_ptr()) };
        // SAFETY: the reference taken for this domain (type invariant),
        // dropped after the last use of the driver's code.
        unsafe { bindings::module_put(module) };
    }
}

/// A reserved region of a device (`struct iommu_resv_region`).
#[derive(Clone, Copy)]
pub(crate) struct ResvRegion {
    /// First address.
    pub(crate) start: u64,
    /// Last address (inclusive).
    pub(crate) last: u64,
    /// `enum iommu_resv_type`.
    pub(crate) kind: u32,
}

/// The reserved regions of `dev`, as its IOMMU driver and the core report
/// them (`iommu_get_resv_regions()`). `dev` must stay probed by its IOMMU
/// for the call.
pub(crate) fn resv_regions(dev: &Device) -> Result<KVVec<ResvRegion>> {
    let dev = device_as_raw(dev);
    let mut list = bindings::list_head {
        next: core::ptr::null_mut(),
        prev: core::ptr::null_mut(),
    };
    let head = core::ptr::from_mut(&mut list);
    // An empty list (INIT_LIST_HEAD); `list` is not moved while it is used.
    list.next = head;
    list.prev = head;
    // SAFETY: `dev` is live; `head` is an empty list the core appends to.
    unsafe { bindings::iommu_get_resv_regions(dev, head) };
    let mut out = KVVec::new();
    let mut res = Ok(());
    let mut pos = list.next;
    while pos != head {
        // SAFETY: every entry of the list is the `list` member of a
        // `struct iommu_resv_region` the core allocated, live until
        // `iommu_put_resv_regions()` below.
        let r = unsafe { &*kernel::container_of!(pos, bindings::iommu_resv_region, list) };
        if res.is_ok() {
            res = out.push(
                ResvRegion {
                    start: r.start,
                    last: r.start.wrapping_add(r.length as u64).wrapping_sub(1),
                    kind: r.type_,
                },
                GFP_KERNEL,
            );
        }
        pos = r.list.next;
    }
    // SAFETY: the list `iommu_get_resv_regions()` filled, freed once.
    unsafe { bindings::iommu_put_resv_regions(dev, head) };
    res?;
    Ok(out)
}
