// SPDX-License-Identifier: GPL-2.0

//! The IOMMU driver side of the IOMMU core (`include/linux/iommu.h`):
//! domains that embed the core's `struct iommu_domain`, as upstream's
//! drivers embed it in theirs, with the `iommu_domain_ops` of each domain
//! type a Rust static built by [`DomainOps`]' adapter, as
//! `kernel::miscdevice` builds `file_operations`.
//!
//! The driver's `iommu_ops` are a Rust static too, [`IommuOps`], built
//! from an [`IommuDriver`] with its identity and blocked domains
//! ([`StaticDomain`]).
//!
//! A [`Domain`] is handed to the core, which owns it from then on and frees
//! it through the table's `free` (`iommu_domain_free()`).

use core::{
    marker::PhantomData,
    ptr::NonNull, //
};
use kernel::{
    bindings,
    device::Device,
    error::VTABLE_DEFAULT_ERROR,
    ffi::{
        c_int,
        c_ulong,
        c_void, //
    },
    module::{
        this_module,
        ModuleMetadata, //
    },
    prelude::*,
    types::Opaque, //
};

/// A domain type's operations, called by the IOMMU core. Those with a
/// default are optional: the table has them only if the type implements
/// them.
#[vtable]
pub(crate) trait DomainOps: Send + Sync + Sized + 'static {
    /// `attach_dev`: `dev` now translates through `domain`.
    fn attach_dev(domain: &Domain<Self>, dev: &Device) -> Result;

    /// `map_pages`: maps `size` bytes at `iova` to `paddr` with `IOMMU_*`
    /// `prot`; `may_sleep` is whether the caller's gfp allows blocking.
    /// Returns how many bytes were mapped.
    fn map_pages(
        domain: &Domain<Self>,
        iova: u64,
        paddr: u64,
        size: u64,
        prot: u32,
        may_sleep: bool,
    ) -> Result<u64>;

    /// `unmap_pages`: unmaps `size` bytes at `iova`; returns how many
    /// bytes were unmapped.
    fn unmap_pages(domain: &Domain<Self>, iova: u64, size: u64) -> u64;

    /// `iova_to_phys`: what `iova` translates to, 0 if nothing.
    fn iova_to_phys(_domain: &Domain<Self>, _iova: u64) -> u64 {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// `flush_iotlb_all`: nothing the domain translated stays cached.
    fn flush_iotlb_all(_domain: &Domain<Self>) {
        build_error!(VTABLE_DEFAULT_ERROR)
    }
}

/// A domain of type `T`: the core's `struct iommu_domain` and the driver's
/// state.
///
/// Invariant: `raw.ops` is [`VTable::<T>::VTABLE`].
#[repr(C)]
pub(crate) struct Domain<T: DomainOps> {
    raw: Opaque<bindings::iommu_domain>,
    data: T,
}

impl<T: DomainOps> Domain<T> {
    /// A new domain of `kind` (`IOMMU_DOMAIN_*`) of the driver whose
    /// `iommu_ops` are `owner`, mapping `pgsize_bitmap` page sizes, only
    /// inside `aperture` (first and last IOVA) if given, for the core,
    /// which frees it through its table.
    pub(crate) fn new_for_core(
        data: T,
        kind: u32,
        owner: *const bindings::iommu_ops,
        pgsize_bitmap: u64,
        aperture: Option<(u64, u64)>,
    ) -> Result<NonNull<bindings::iommu_domain>> {
        let mut raw: bindings::iommu_domain = pin_init::zeroed();
        raw.type_ = kind;
        raw.ops = VTable::<T>::build();
        raw.owner = owner;
        raw.pgsize_bitmap = pgsize_bitmap as c_ulong;
        if let Some((start, end)) = aperture {
            raw.geometry.aperture_start = start;
            raw.geometry.aperture_end = end;
            raw.geometry.force_aperture = true;
        }
        // INVARIANT: `raw.ops` is this type's table.
        let b = KBox::new(
            Self {
                raw: Opaque::new(raw),
                data,
            },
            GFP_KERNEL_ACCOUNT,
        )?;
        // Never moved again: the core holds it until `free`.
        let d = KBox::into_raw(b);
        // SAFETY: `d` is the live allocation just made.
        NonNull::new(unsafe { (*d).raw.get() }).ok_or(ENOMEM)
    }

    /// The domain behind `raw` if it is of this type.
    ///
    /// # Safety
    ///
    /// `raw` is a live domain for `'a`.
    pub(crate) unsafe fn from_raw<'a>(raw: *mut bindings::iommu_domain) -> Option<&'a Self> {
        // SAFETY: a live domain (caller); `ops` is set at allocation.
        if !core::ptr::eq(unsafe { (*raw).ops }, VTable::<T>::build()) {
            return None;
        }
        // SAFETY: a domain with this type's table is the `raw` of a
        // `Domain<T>` (type invariant), live for `'a` (caller).
        Some(unsafe { Self::from_raw_unchecked(raw) })
    }

    /// # Safety
    ///
    /// `raw` is the `raw` field of a `Domain<T>` live for `'a`.
    unsafe fn from_raw_unchecked<'a>(raw: *mut bindings::iommu_domain) -> &'a Self {
        let field = raw.cast::<Opaque<bindings::iommu_domain>>();
        // SAFETY: `field` is the `raw` field of a `Domain<T>` (caller).
        unsafe { &*kernel::container_of!(field, Self, raw) }
    }

    /// The driver's state.
    pub(crate) fn data(&self) -> &T {
        &self.data
    }
}

/// The `iommu_domain_ops` of domain type `T`.
struct VTable<T: DomainOps>(PhantomData<T>);

impl<T: DomainOps> VTable<T> {
    const VTABLE: bindings::iommu_domain_ops = bindings::iommu_domain_ops {
        attach_dev: Some(Self::attach_dev),
        map_pages: Some(Self::map_pages),
        unmap_pages: Some(Self::unmap_pages),
        iova_to_phys: if T::HAS_IOVA_TO_PHYS {
            Some(Self::iova_to_phys)
        } else {
            None
        },
        flush_iotlb_all: if T::HAS_FLUSH_IOTLB_ALL {
            Some(Self::flush_iotlb_all)
        } else {
            None
        },
        free: Some(Self::free),
        ..pin_init::zeroed()
    };

    const fn build() -> &'static bindings::iommu_domain_ops {
        &Self::VTABLE
    }

    /// # Safety
    ///
    /// Called by the core with a live domain of this table and a device
    /// whose IOMMU state is live.
    unsafe extern "C" fn attach_dev(
        domain: *mut bindings::iommu_domain,
        dev: *mut bindings::device,
        _old: *mut bindings::iommu_domain,
    ) -> c_int {
        // SAFETY: a live domain of this table (caller).
        let d = unsafe { Domain::<T>::from_raw_unchecked(domain) };
        // SAFETY: a live device (caller).
        let dev = unsafe { Device::from_raw(dev) };
        match T::attach_dev(d, dev) {
            Ok(()) => 0,
            Err(e) => e.to_errno(),
        }
    }

    /// # Safety
    ///
    /// Called by the core with a live domain of this table and a writable
    /// `mapped`.
    #[allow(clippy::too_many_arguments)]
    unsafe extern "C" fn map_pages(
        domain: *mut bindings::iommu_domain,
        iova: c_ulong,
        paddr: bindings::phys_addr_t,
        pgsize: usize,
        pgcount: usize,
        prot: c_int,
        gfp: bindings::gfp_t,
        mapped: *mut usize,
    ) -> c_int {
        // SAFETY: a live domain of this table (caller).
        let d = unsafe { Domain::<T>::from_raw_unchecked(domain) };
        let Some(size) = pgsize.checked_mul(pgcount) else {
            return EINVAL.to_errno();
        };
        // `gfpflags_allow_blocking()`, a static inline.
        let may_sleep = gfp & (1 << bindings::___GFP_DIRECT_RECLAIM_BIT) != 0;
        match T::map_pages(d, iova as u64, paddr, size as u64, prot as u32, may_sleep) {
            Ok(n) => {
                // SAFETY: writable (caller); `n <= size`, a usize.
                unsafe { *mapped = n as usize };
                0
            }
            Err(e) => e.to_errno(),
        }
    }

    /// # Safety
    ///
    /// Called by the core with a live domain of this table.
    unsafe extern "C" fn unmap_pages(
        domain: *mut bindings::iommu_domain,
        iova: c_ulong,
        pgsize: usize,
        pgcount: usize,
        _gather: *mut bindings::iommu_iotlb_gather,
    ) -> usize {
        // SAFETY: a live domain of this table (caller).
        let d = unsafe { Domain::<T>::from_raw_unchecked(domain) };
        let size = pgsize.saturating_mul(pgcount);
        T::unmap_pages(d, iova as u64, size as u64) as usize
    }

    /// # Safety
    ///
    /// Called by the core with a live domain of this table.
    unsafe extern "C" fn iova_to_phys(
        domain: *mut bindings::iommu_domain,
        iova: bindings::dma_addr_t,
    ) -> bindings::phys_addr_t {
        // SAFETY: a live domain of this table (caller).
        let d = unsafe { Domain::<T>::from_raw_unchecked(domain) };
        T::iova_to_phys(d, iova)
    }

    /// # Safety
    ///
    /// Called by the core with a live domain of this table.
    unsafe extern "C" fn flush_iotlb_all(domain: *mut bindings::iommu_domain) {
        // SAFETY: a live domain of this table (caller).
        let d = unsafe { Domain::<T>::from_raw_unchecked(domain) };
        T::flush_iotlb_all(d)
    }

    /// # Safety
    ///
    /// Called once by the core, for a domain of this table nothing is
    /// attached to any more.
    unsafe extern "C" fn free(domain: *mut bindings::iommu_domain) {
        let field = domain.cast::<Opaque<bindings::iommu_domain>>();
        // SAFETY: the `raw` of a `Domain<T>` that `new_for_core` boxed,
        // given back once (caller).
        drop(unsafe { KBox::from_raw(kernel::container_of!(field, Domain<T>, raw)) });
    }
}

/// What a driver's `probe_device` found: its per-device state, kept in
/// `dev->iommu->priv` until `release_device`, and the instance the device
/// is behind.
pub(crate) struct Probed<M> {
    /// The device's state.
    pub(crate) master: KBox<M>,
    /// The `struct iommu_device` the driver registered with these ops.
    pub(crate) iommu: NonNull<bindings::iommu_device>,
}

/// A device's firmware description of its IOMMU (`struct iommu_fwspec`).
pub(crate) struct Fwspec<'a> {
    /// The IOMMU's firmware node, compared by address only.
    pub(crate) fwnode: *const bindings::fwnode_handle,
    /// The device's IDs on that IOMMU (stream IDs for an SMMU).
    pub(crate) ids: &'a [u32],
}

/// An IOMMU driver's `struct iommu_ops`, as a Rust static built by
/// [`IommuOps::new`]: the callbacks the core makes for the devices and
/// domains of the driver's instances.
///
/// # Safety
///
/// [`Self::probe_device`] returns a `struct iommu_device` the driver has
/// registered with these ops (`iommu_device_register()`) and keeps so
/// until every device it was returned for is released.
#[vtable]
pub(crate) unsafe trait IommuDriver: Sized + 'static {
    /// The module the ops belong to (`iommu_ops.owner`).
    type OwnerModule: ModuleMetadata;
    /// A probed device's state.
    type Master: Send + Sync;

    /// `probe_device`: `dev` is behind the instance its `fwspec` names.
    fn probe_device(dev: &Device, fwspec: &Fwspec<'_>) -> Result<Probed<Self::Master>>;

    /// `release_device`: the core forgets `dev`; its state goes.
    fn release_device(_dev: &Device, master: KBox<Self::Master>) {
        drop(master)
    }

    /// `identity_domain`'s `attach_dev`: the device bypasses translation.
    fn attach_identity(master: &Self::Master) -> Result;

    /// `blocked_domain`'s `attach_dev` (also the release domain): the
    /// device's DMA is refused.
    fn attach_blocked(master: &Self::Master) -> Result;

    /// `domain_alloc_paging_flags` without user data (`IOMMU_HWPT_ALLOC_*`
    /// `flags`); the domain is handed to the core.
    fn domain_alloc_paging(
        master: &Self::Master,
        flags: u32,
    ) -> Result<NonNull<bindings::iommu_domain>>;

    /// `capable`: whether the driver's translation has `IOMMU_CAP_*` `cap`.
    fn capable(_dev: &Device, _cap: u32) -> bool {
        false
    }

    /// `def_domain_type`: the `IOMMU_DOMAIN_*` default domain type, or 0
    /// for the core's choice.
    fn def_domain_type(_dev: &Device) -> u32 {
        0
    }

    /// The software MSI window (`IOMMU_RESV_SW_MSI`), base and size, which
    /// `get_resv_regions` reports before the firmware's regions.
    fn sw_msi_region(_dev: &Device) -> Option<(u64, u64)> {
        None
    }

    /// `hw_info` for `IOMMU_HW_INFO_TYPE_*` `kind` (`DEFAULT`: the
    /// driver's own): the type answered and its structure, as bytes.
    fn hw_info(_master: &Self::Master, _kind: u32) -> Result<(u32, KVec<u8>)> {
        build_error!(VTABLE_DEFAULT_ERROR)
    }
}

/// The device state `probe_device` gave `dev`.
///
/// # Safety
///
/// `dev` was probed through the `iommu_ops` of `T` and its IOMMU state is
/// live for `'a`.
pub(crate) unsafe fn master_of<'a, T: IommuDriver>(dev: &Device) -> Option<&'a T::Master> {
    // SAFETY: `Device` wraps a `struct device`; a probed device has
    // `dev->iommu` (caller); `priv` is what
    // `probe_device` stored, a `KBox<T::Master>` kept until release.
    unsafe {
        let iommu = (*core::ptr::from_ref(dev).cast::<bindings::device>()).iommu;
        if iommu.is_null() {
            return None;
        }
        (*iommu).priv_.cast::<T::Master>().as_ref()
    }
}

/// An identity or blocked domain of driver `T`, one static each, as the
/// core wants them (`iommu_ops.identity_domain`, `blocked_domain`).
#[repr(transparent)]
pub(crate) struct StaticDomain(Opaque<bindings::iommu_domain>);

// SAFETY: the core only reads a static domain (its type and ops), from any
// thread.
unsafe impl Sync for StaticDomain {}

impl StaticDomain {
    /// The identity domain of `T`, whose attach is
    /// [`IommuDriver::attach_identity`].
    pub(crate) const fn identity<T: IommuDriver>() -> Self {
        let mut raw: bindings::iommu_domain = pin_init::zeroed();
        raw.type_ = bindings::IOMMU_DOMAIN_IDENTITY;
        raw.ops = &StaticDomainOps::<T>::IDENTITY;
        Self(Opaque::new(raw))
    }

    /// The blocked domain of `T`, whose attach is
    /// [`IommuDriver::attach_blocked`].
    pub(crate) const fn blocked<T: IommuDriver>() -> Self {
        let mut raw: bindings::iommu_domain = pin_init::zeroed();
        raw.type_ = bindings::IOMMU_DOMAIN_BLOCKED;
        raw.ops = &StaticDomainOps::<T>::BLOCKED;
        Self(Opaque::new(raw))
    }
}

/// The `iommu_domain_ops` of `T`'s static domains.
struct StaticDomainOps<T: IommuDriver>(PhantomData<T>);

impl<T: IommuDriver> StaticDomainOps<T> {
    const IDENTITY: bindings::iommu_domain_ops = bindings::iommu_domain_ops {
        attach_dev: Some(Self::attach_identity),
        ..pin_init::zeroed()
    };
    const BLOCKED: bindings::iommu_domain_ops = bindings::iommu_domain_ops {
        attach_dev: Some(Self::attach_blocked),
        ..pin_init::zeroed()
    };

    /// # Safety
    ///
    /// Called by the core with a device probed through `T`'s ops.
    unsafe extern "C" fn attach_identity(
        _domain: *mut bindings::iommu_domain,
        dev: *mut bindings::device,
        _old: *mut bindings::iommu_domain,
    ) -> c_int {
        // SAFETY: as the caller's.
        unsafe { Self::attach_static(dev, T::attach_identity) }
    }

    /// # Safety
    ///
    /// As for `attach_identity`.
    unsafe extern "C" fn attach_blocked(
        _domain: *mut bindings::iommu_domain,
        dev: *mut bindings::device,
        _old: *mut bindings::iommu_domain,
    ) -> c_int {
        // SAFETY: as the caller's.
        unsafe { Self::attach_static(dev, T::attach_blocked) }
    }

    /// Attaches `dev` to a static domain with `attach`.
    ///
    /// # Safety
    ///
    /// `dev` is a live device probed through `T`'s ops, live for the call.
    unsafe fn attach_static(dev: *mut bindings::device, attach: fn(&T::Master) -> Result) -> c_int {
        // SAFETY: a live device (caller).
        let dev = unsafe { Device::from_raw(dev) };
        // SAFETY: probed through `T`'s ops, live for the call (caller).
        match unsafe { master_of::<T>(dev) } {
            Some(m) => to_errno(attach(m)),
            None => EINVAL.to_errno(),
        }
    }
}

fn to_errno(r: Result) -> c_int {
    match r {
        Ok(()) => 0,
        Err(e) => e.to_errno(),
    }
}

/// A driver's `struct iommu_ops`, for a `static`.
#[repr(transparent)]
pub(crate) struct IommuOps(bindings::iommu_ops);

// SAFETY: read-only after construction; the core reads it from any thread.
unsafe impl Sync for IommuOps {}

// Exported by drivers/iommu/dma-iommu.c; its header (dma-iommu.h) is
// private to drivers/iommu, so bindgen does not see it. Only pointers to
// the kernel's own structs cross (which the lint cannot tell are FFI-safe
// because of zero-sized members).
#[allow(improper_ctypes)]
extern "C" {
    fn iommu_dma_get_resv_regions(dev: *mut bindings::device, list: *mut bindings::list_head);
}

impl IommuOps {
    /// `T`'s ops, with `identity` and `blocked` (also the release domain)
    /// as its static domains, owned by `T::OwnerModule`.
    pub(crate) const fn new<T: IommuDriver>(
        identity: &'static StaticDomain,
        blocked: &'static StaticDomain,
    ) -> Self {
        Self(bindings::iommu_ops {
            capable: Some(OpsAdapter::<T>::capable),
            hw_info: if T::HAS_HW_INFO {
                Some(OpsAdapter::<T>::hw_info)
            } else {
                None
            },
            domain_alloc_paging_flags: Some(OpsAdapter::<T>::domain_alloc_paging_flags),
            probe_device: Some(OpsAdapter::<T>::probe_device),
            release_device: Some(OpsAdapter::<T>::release_device),
            device_group: Some(OpsAdapter::<T>::device_group),
            get_resv_regions: Some(OpsAdapter::<T>::get_resv_regions),
            of_xlate: Some(OpsAdapter::<T>::of_xlate),
            def_domain_type: Some(OpsAdapter::<T>::def_domain_type),
            owner: this_module::<T::OwnerModule>().as_ptr(),
            identity_domain: identity.0.get(),
            blocked_domain: blocked.0.get(),
            release_domain: blocked.0.get(),
            ..pin_init::zeroed()
        })
    }

    /// The table, for `iommu_device_register()` and a domain's `owner`.
    pub(crate) const fn as_raw(&self) -> *const bindings::iommu_ops {
        &self.0
    }
}

/// The callbacks of [`IommuOps`] for driver `T`.
struct OpsAdapter<T: IommuDriver>(PhantomData<T>);

impl<T: IommuDriver> OpsAdapter<T> {
    /// # Safety
    ///
    /// Called by the core with a live device being probed; `dev->iommu`
    /// and its fwspec exist (the core found `T`'s ops through them).
    unsafe extern "C" fn probe_device(dev: *mut bindings::device) -> *mut bindings::iommu_device {
        // SAFETY: the core calls this for a device whose `dev->iommu`
        // holds the fwspec naming `T`'s instance (caller), all live for
        // the call; `ids` has `num_ids` entries.
        let (fwspec, rdev) = unsafe {
            let iommu = (*dev).iommu;
            let fw = if iommu.is_null() {
                core::ptr::null_mut()
            } else {
                (*iommu).fwspec
            };
            if fw.is_null() {
                return ENODEV.to_ptr();
            }
            let ids = core::slice::from_raw_parts((*fw).ids.as_ptr(), (*fw).num_ids as usize);
            (
                Fwspec {
                    fwnode: (*fw).iommu_fwnode,
                    ids,
                },
                Device::from_raw(dev),
            )
        };
        match T::probe_device(rdev, &fwspec) {
            Ok(p) => {
                // SAFETY: `dev->iommu` exists (above); `priv` is ours
                // until `release_device` takes it back.
                unsafe { bindings::dev_iommu_priv_set(dev, KBox::into_raw(p.master).cast()) };
                p.iommu.as_ptr()
            }
            Err(e) => e.to_ptr(),
        }
    }

    /// # Safety
    ///
    /// Called by the core once per device `probe_device` succeeded for.
    unsafe extern "C" fn release_device(dev: *mut bindings::device) {
        // SAFETY: a live device with its IOMMU state (caller).
        let rdev = unsafe { Device::from_raw(dev) };
        // SAFETY: as above; the core drops `dev->iommu` after this.
        let p = unsafe { (*(*dev).iommu).priv_ }.cast::<T::Master>();
        if !p.is_null() {
            // SAFETY: the box `probe_device` stored, taken back once.
            T::release_device(rdev, unsafe { KBox::from_raw(p) });
        }
    }

    /// # Safety
    ///
    /// Called by the core with a probed device.
    unsafe extern "C" fn device_group(dev: *mut bindings::device) -> *mut bindings::iommu_group {
        // SAFETY: a live device (caller); both return a referenced group
        // or an `ERR_PTR`, for the core.
        unsafe {
            if bindings::dev_is_pci(dev) {
                bindings::pci_device_group(dev)
            } else {
                bindings::generic_device_group(dev)
            }
        }
    }

    /// One ID cell per `iommus` / `iommu-map` entry.
    ///
    /// # Safety
    ///
    /// Called by the core with a live device and its phandle arguments.
    unsafe extern "C" fn of_xlate(
        dev: *mut bindings::device,
        args: *const bindings::of_phandle_args,
    ) -> c_int {
        // SAFETY: both live for the call (caller); `args->args` holds at
        // least one cell (the binding's `#iommu-cells` is 1).
        unsafe { bindings::iommu_fwspec_add_ids(dev, (*args).args.as_ptr(), 1) }
    }

    /// # Safety
    ///
    /// Called by the core with a probed device and a list it owns.
    unsafe extern "C" fn get_resv_regions(
        dev: *mut bindings::device,
        head: *mut bindings::list_head,
    ) {
        // SAFETY: a live device (caller).
        let rdev = unsafe { Device::from_raw(dev) };
        if let Some((base, size)) = T::sw_msi_region(rdev) {
            let prot =
                (bindings::IOMMU_WRITE | bindings::IOMMU_NOEXEC | bindings::IOMMU_MMIO) as c_int;
            // SAFETY: no preconditions; the region is the caller's to free.
            let region = unsafe {
                bindings::iommu_alloc_resv_region(
                    base,
                    size as usize,
                    prot,
                    bindings::iommu_resv_type_IOMMU_RESV_SW_MSI,
                    bindings::GFP_KERNEL,
                )
            };
            if region.is_null() {
                return;
            }
            // SAFETY: `region` is new and unlisted; `head` is the caller's
            // list, which it frees with its regions.
            unsafe { bindings::list_add_tail(&raw mut (*region).list, head) };
        }
        // SAFETY: as above.
        unsafe { iommu_dma_get_resv_regions(dev, head) };
    }

    /// # Safety
    ///
    /// Called by the core with a live device.
    unsafe extern "C" fn def_domain_type(dev: *mut bindings::device) -> c_int {
        // SAFETY: a live device (caller).
        T::def_domain_type(unsafe { Device::from_raw(dev) }) as c_int
    }

    /// # Safety
    ///
    /// Called by the core with a live device.
    unsafe extern "C" fn capable(dev: *mut bindings::device, cap: bindings::iommu_cap) -> bool {
        // SAFETY: a live device (caller).
        T::capable(unsafe { Device::from_raw(dev) }, cap)
    }

    /// # Safety
    ///
    /// Called by the core with a probed device and writable `length` and
    /// `kind`.
    unsafe extern "C" fn hw_info(
        dev: *mut bindings::device,
        length: *mut u32,
        kind: *mut bindings::iommu_hw_info_type,
    ) -> *mut c_void {
        // SAFETY: probed through these ops, live for the call (caller).
        let Some(m) = (unsafe { master_of::<T>(Device::from_raw(dev)) }) else {
            return ENODEV.to_ptr();
        };
        // SAFETY: readable (caller).
        match T::hw_info(m, unsafe { *kind }) {
            Ok((answered, bytes)) => {
                let Ok(len) = u32::try_from(bytes.len()) else {
                    return EINVAL.to_ptr();
                };
                let (ptr, _, _) = bytes.into_raw_parts();
                // SAFETY: writable (caller). The buffer is kmalloc'ed
                // (`KVec`), which the core `kfree()`s.
                unsafe {
                    *length = len;
                    *kind = answered;
                }
                ptr.cast()
            }
            Err(e) => e.to_ptr(),
        }
    }

    /// # Safety
    ///
    /// Called by the core with a probed device.
    unsafe extern "C" fn domain_alloc_paging_flags(
        dev: *mut bindings::device,
        flags: u32,
        user_data: *const bindings::iommu_user_data,
    ) -> *mut bindings::iommu_domain {
        if !user_data.is_null() {
            return EOPNOTSUPP.to_ptr();
        }
        // SAFETY: probed through these ops, live for the call (caller).
        let Some(m) = (unsafe { master_of::<T>(Device::from_raw(dev)) }) else {
            return ENODEV.to_ptr();
        };
        match T::domain_alloc_paging(m, flags) {
            Ok(d) => d.as_ptr(),
            Err(e) => e.to_ptr(),
        }
    }
}

/// A `struct iommu_device` registered with the IOMMU core (and its sysfs
/// class device) while this value lives: `iommu_device_sysfs_add()` and
/// `iommu_device_register()` when made, `iommu_device_unregister()` (which
/// releases every device behind it) and `iommu_device_sysfs_remove()` when
/// dropped.
///
/// The structure is boxed so that its address, which `probe_device` must
/// return, is known before it is registered: the core probes devices from
/// inside `iommu_device_register()`.
pub(crate) struct IommuDevice {
    raw: KBox<Opaque<bindings::iommu_device>>,
    registered: bool,
}

// SAFETY: the structure is the core's to use from any thread once
// registered; this value only registers and unregisters it.
unsafe impl Send for IommuDevice {}
// SAFETY: `&self` only gives out its address.
unsafe impl Sync for IommuDevice {}

impl IommuDevice {
    /// A zeroed, unregistered `struct iommu_device`.
    pub(crate) fn new() -> Result<Self> {
        let raw = KBox::new(Opaque::new(pin_init::zeroed()), GFP_KERNEL)?;
        Ok(Self {
            raw,
            registered: false,
        })
    }

    /// Its address, which `probe_device` returns.
    pub(crate) fn as_ptr(&self) -> NonNull<bindings::iommu_device> {
        // An `Opaque` is never at NULL.
        NonNull::new(self.raw.get()).unwrap_or(NonNull::dangling())
    }

    /// Registers it for hardware device `hw` with `ops`, named `name` in
    /// `/sys/class/iommu`.
    pub(crate) fn register(
        &mut self,
        hw: &Device<kernel::device::Bound>,
        ops: &'static IommuOps,
        name: &CStr,
    ) -> Result {
        if self.registered {
            return Err(EBUSY);
        }
        let dev = core::ptr::from_ref(hw)
            .cast::<bindings::device>()
            .cast_mut();
        // SAFETY: `raw` is a zeroed, unregistered `struct iommu_device` that
        // lives as long as `self`; `dev` is bound for the call; "%s" with a
        // NUL-terminated string.
        kernel::error::to_result(unsafe {
            bindings::iommu_device_sysfs_add(
                self.raw.get(),
                dev,
                core::ptr::null_mut(),
                c"%s".as_char_ptr(),
                name.as_char_ptr(),
            )
        })?;
        // SAFETY: as above; `ops` is a static.
        let r = kernel::error::to_result(unsafe {
            bindings::iommu_device_register(self.raw.get(), ops.as_raw(), dev)
        });
        if let Err(e) = r {
            // SAFETY: added just above.
            unsafe { bindings::iommu_device_sysfs_remove(self.raw.get()) };
            return Err(e);
        }
        self.registered = true;
        Ok(())
    }
}

impl Drop for IommuDevice {
    fn drop(&mut self) {
        if self.registered {
            // SAFETY: registered and added by `register`, once.
            unsafe {
                bindings::iommu_device_unregister(self.raw.get());
                bindings::iommu_device_sysfs_remove(self.raw.get());
            }
        }
    }
}
