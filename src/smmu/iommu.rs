// SPDX-License-Identifier: GPL-2.0

//! smmu_rs's domains as the IOMMU core sees them, built on
//! [`crate::iommu_driver`]: so far the nested domain (a guest's vSTE on a
//! vIOMMU), whose `iommu_domain_ops` are a Rust static. The stage-2,
//! identity and blocked domains and the `iommu_ops` are still `glue.c`'s.

use crate::{
    iommu_driver::{
        Domain,
        DomainOps, //
    },
    nested::NestedDomain,
    provider::master,
    provider_abi::DeviceHandle,
};
use core::ptr::NonNull;
use kernel::{
    bindings,
    device::Device,
    ffi::c_int,
    prelude::*, //
};

// `glue.c`, until smmu_rs's `iommu_ops` are Rust. Only pointers to the
// kernel's own structs cross (which the lint cannot tell are FFI-safe
// because of zero-sized members).
#[allow(improper_ctypes)]
extern "C" {
    fn smmu_rs_iommu_ops() -> *const bindings::iommu_ops;
    fn smmu_rs_nested_domains_count(delta: c_int);
}

/// A nested domain, counted in debugfs (`nested_domains`) while it lives.
pub(crate) struct NestedIommu {
    nested: KBox<NestedDomain>,
}

impl Drop for NestedIommu {
    fn drop(&mut self) {
        // SAFETY: a counter for debugfs.
        unsafe { smmu_rs_nested_domains_count(-1) };
    }
}

/// The core's side of nested domain `nested`: UNMANAGED, not NESTED, since
/// only an UNMANAGED domain can carry the MSI cookie through which a nested
/// device's doorbell is placed; it maps 4 KiB doorbells and nothing else.
pub(crate) fn new_nested(nested: KBox<NestedDomain>) -> Result<NonNull<bindings::iommu_domain>> {
    // SAFETY: a counter for debugfs; the value's drop takes it back, also
    // when the allocation below fails.
    unsafe { smmu_rs_nested_domains_count(1) };
    let data = NestedIommu { nested };
    // SAFETY: the address of a static.
    let owner = unsafe { smmu_rs_iommu_ops() };
    Domain::new_for_core(
        data,
        bindings::IOMMU_DOMAIN_UNMANAGED,
        owner,
        kernel::sizes::SZ_4K as u64,
    )
}

/// The nested domain behind `dom`, if it is one of ours.
///
/// # Safety
///
/// `dom` is live for `'a`.
pub(crate) unsafe fn nested_of<'a>(dom: *mut bindings::iommu_domain) -> Option<&'a NestedDomain> {
    // SAFETY: live for `'a` (caller).
    unsafe { Domain::<NestedIommu>::from_raw(dom) }.map(|d| &*d.data().nested)
}

impl DomainOps for NestedIommu {
    fn attach_dev(domain: &Domain<Self>, dev: &Device) -> Result {
        // SAFETY: the core attaches a device it probed through our
        // `iommu_ops`, whose IOMMU state is live for the call.
        let m = unsafe { master(DeviceHandle(NonNull::from(dev).cast())) }.ok_or(EINVAL)?;
        m.attach_nested(&domain.data().nested)
    }

    /// A nested domain translates through the guest's stage 1, and the
    /// IOAS never maps into it. What does map into it is its MSI cookie
    /// (dma-iommu, for a device's MSI vectors): each doorbell at a gIOVA
    /// slot, mapped into the parent's stage 2 at the same slot of the
    /// SW_MSI window. Nothing but device memory inside that window is
    /// accepted.
    fn map_pages(
        domain: &Domain<Self>,
        iova: u64,
        paddr: u64,
        size: u64,
        prot: u32,
        may_sleep: bool,
    ) -> Result<u64> {
        if !may_sleep {
            kernel::warn_on!(true);
            return Err(EINVAL);
        }
        domain.data().nested.map_doorbell(iova, paddr, size, prot)?;
        Ok(size)
    }

    fn unmap_pages(_domain: &Domain<Self>, _iova: u64, _size: u64) -> u64 {
        0
    }
}
