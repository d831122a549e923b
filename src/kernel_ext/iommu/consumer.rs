// SPDX-License-Identifier: GPL-2.0

//! IOMMU domains, as a user of the IOMMU core sees them (iommufd, VFIO):
//! paging domains of a device's IOMMU driver, mapping and unmapping them,
//! their MSI cookie, attaching IOMMU groups to them, a driver's DMA
//! ownership of its devices, and a device's reserved regions.
//!
//! C header: [`include/linux/iommu.h`](srctree/include/linux/iommu.h)
//!
//! Everything here is an exported IOMMU-core function of the generated
//! bindings; 7.3's `kernel::iommu` has only the io-pgtable half.

use crate::kernel_ext::device_as_raw;
use core::{
    ptr::NonNull,
    sync::atomic::{
        AtomicUsize,
        Ordering, //
    },
};
use kernel::{
    alloc::KVVec,
    bindings,
    device::Device,
    error::{
        from_err_ptr,
        to_result, //
    },
    ffi::c_void,
    prelude::*,
    sync::{
        aref::ARef,
        Arc, //
    },
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
    /// Groups attached through [`Group::attach`] and not detached yet;
    /// each [`Attachment`] holds a reference.
    groups: Arc<AtomicUsize>,
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
        // SAFETY: a new domain owned here, its module pinned above.
        unsafe { Self::from_raw(raw) }
    }

    /// Takes ownership of a domain allocated outside this abstraction (a
    /// nested domain from an IOMMU driver's own interface).
    ///
    /// # Safety
    ///
    /// `raw` is a live domain the caller owns and hands over, and the
    /// caller took a reference on its driver's module
    /// (`raw->owner->owner`) that the returned value now holds.
    ///
    /// On error (`ENOMEM`) the domain is freed and the module reference
    /// dropped.
    pub(crate) unsafe fn from_raw(raw: NonNull<bindings::iommu_domain>) -> Result<Self> {
        match Arc::new(AtomicUsize::new(0), GFP_KERNEL) {
            // INVARIANT: guaranteed by the caller.
            Ok(groups) => Ok(Self {
                raw,
                groups,
                free_on_drop: true,
            }),
            Err(e) => {
                // SAFETY: owned and pinned as the caller guarantees; no
                // group can be on a domain no one else has seen.
                unsafe {
                    let module = (*(*raw.as_ptr()).owner).owner;
                    bindings::iommu_domain_free(raw.as_ptr());
                    bindings::module_put(module);
                }
                Err(e.into())
            }
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
        let rc = unsafe {
            bindings::iommu_map(
                self.raw.as_ptr(),
                iova,
                paddr,
                size,
                prot,
                bindings::GFP_KERNEL_ACCOUNT,
            )
        };
        // Not `to_result()`: called once per run, and not inlined across
        // crates (3 instructions and a call per run of a scattered map).
        if rc < 0 {
            return Err(Error::from_errno(rc));
        }
        Ok(())
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
        // A group still on the domain: see `leak_on_drop`.
        if kernel::warn_on!(self.groups.load(Ordering::Acquire) != 0) {
            self.free_on_drop = false;
        }
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

/// Whether the IOMMU core has `dev` on `dom` (`iommu_get_domain_for_dev()`).
pub(crate) fn device_is_on(dev: &Device, dom: &Domain) -> bool {
    // SAFETY: `dev` is a live device; the core only reads its group's
    // current domain.
    unsafe { bindings::iommu_get_domain_for_dev(device_as_raw(dev)) == dom.as_raw() }
}

/// Whether `dev` is behind an IOMMU, with a group (`device_iommu_mapped()`,
/// a static inline: its `iommu_group` field).
pub(crate) fn device_iommu_mapped(dev: &Device) -> bool {
    // SAFETY: `dev` is a live device; the field is set when the IOMMU
    // probes it and cleared when it releases it, under the device's own
    // serialisation, as the C inline reads it.
    !unsafe { (*device_as_raw(dev)).iommu_group }.is_null()
}

/// Whether the IOMMU behind `dev` has capability `cap`
/// (`device_iommu_capable()`).
pub(crate) fn device_iommu_capable(dev: &Device, cap: bindings::iommu_cap) -> bool {
    // SAFETY: `dev` is a live device; the core checks it has an IOMMU.
    unsafe { bindings::device_iommu_capable(device_as_raw(dev), cap) }
}

/// A reference to an IOMMU group (`iommu_group_get()`/`iommu_group_put()`).
///
/// # Invariants
///
/// `raw` is a live group this value holds a reference on.
pub(crate) struct Group {
    raw: NonNull<bindings::iommu_group>,
}

// SAFETY: a group reference may be used and dropped from any task; the
// core serialises the group's state with its own mutex.
unsafe impl Send for Group {}
// SAFETY: see `Send`.
unsafe impl Sync for Group {}

impl Group {
    /// The group of `dev`, if it has one.
    pub(crate) fn of(dev: &Device) -> Option<Self> {
        // SAFETY: `dev` is a live device; a non-NULL answer is a reference.
        let raw = NonNull::new(unsafe { bindings::iommu_group_get(device_as_raw(dev)) })?;
        // INVARIANT: the reference just taken.
        Some(Self { raw })
    }

    /// Attaches the whole group to `dom` (`iommu_attach_group()`); the
    /// group's DMA must be owned by the caller (a driver with
    /// `driver_managed_dma` that claimed it, or [`DmaOwner`]). Detached when
    /// the returned value is [`Attachment::detach`]ed; `dom` is not freed
    /// before that (it leaks instead, with a warning).
    pub(crate) fn attach(&self, dom: &Domain) -> Result<Attachment> {
        // SAFETY: both are live (type invariants); the core checks that
        // the group's devices can use the domain.
        to_result(unsafe { bindings::iommu_attach_group(dom.as_raw(), self.raw.as_ptr()) })?;
        dom.groups.fetch_add(1, Ordering::AcqRel);
        // SAFETY: a live group; takes a reference and returns its argument.
        unsafe { bindings::iommu_group_ref_get(self.raw.as_ptr()) };
        Ok(Attachment {
            // INVARIANT: the reference just taken.
            group: Group { raw: self.raw },
            domain: dom.raw,
            domain_groups: dom.groups.clone(),
        })
    }
}

impl PartialEq for Group {
    fn eq(&self, other: &Self) -> bool {
        self.raw == other.raw
    }
}

impl Drop for Group {
    fn drop(&mut self) {
        // SAFETY: the reference this value holds (type invariant).
        unsafe { bindings::iommu_group_put(self.raw.as_ptr()) }
    }
}

/// A group attached to a domain by [`Group::attach`].
///
/// # Invariants
///
/// `domain` is live while this value lives: it counts in `domain_groups`,
/// and a [`Domain`] with groups attached is never freed.
pub(crate) struct Attachment {
    group: Group,
    domain: NonNull<bindings::iommu_domain>,
    domain_groups: Arc<AtomicUsize>,
}

// SAFETY: only pointers the IOMMU core serialises itself.
unsafe impl Send for Attachment {}
// SAFETY: see `Send`; `&self` methods only compare addresses.
unsafe impl Sync for Attachment {}

impl Attachment {
    /// Whether the group is attached to `dom`.
    pub(crate) fn is_on(&self, dom: &Domain) -> bool {
        self.domain == dom.raw
    }

    /// Detaches the group (`iommu_detach_group()`): back to the core's
    /// blocking domain when a driver owns its DMA.
    pub(crate) fn detach(self) {
        // SAFETY: the domain is live (type invariant) and the group is on
        // it (this value says so); the group reference is live.
        unsafe { bindings::iommu_detach_group(self.domain.as_ptr(), self.group.raw.as_ptr()) };
        self.domain_groups.fetch_sub(1, Ordering::AcqRel);
    }
}

/// The DMA ownership of a device, claimed for a driver with
/// `driver_managed_dma` (`iommu_device_claim_dma_owner()`): the core keeps
/// the device's group in its blocking domain whenever the owner has not
/// attached it, and refuses DMA-API drivers on the group's other devices.
/// Released on drop.
pub(crate) struct DmaOwner {
    dev: ARef<Device>,
}

impl DmaOwner {
    /// Claims `dev`'s group for `owner`: an address identifying the owner;
    /// devices claimed with the same `owner` can share a group. `EPERM` if
    /// another owner or a DMA-API driver has the group.
    pub(crate) fn claim(dev: &Device, owner: *const c_void) -> Result<Self> {
        // SAFETY: `dev` is a live device; `owner` is only compared by the
        // core, never dereferenced.
        to_result(unsafe {
            bindings::iommu_device_claim_dma_owner(device_as_raw(dev), owner.cast_mut())
        })?;
        Ok(Self { dev: dev.into() })
    }
}

impl Drop for DmaOwner {
    fn drop(&mut self) {
        // SAFETY: claimed in `claim`, released once.
        unsafe { bindings::iommu_device_release_dma_owner(device_as_raw(&self.dev)) }
    }
}
