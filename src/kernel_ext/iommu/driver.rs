// SPDX-License-Identifier: GPL-2.0

//! The IOMMU driver side of the IOMMU core (`include/linux/iommu.h`):
//! domains that embed the core's `struct iommu_domain`, as upstream's
//! drivers embed it in theirs, with the `iommu_domain_ops` of each domain
//! type a Rust static built by [`DomainOps`]' adapter, as
//! `kernel::miscdevice` builds `file_operations`.
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
        c_ulong, //
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
