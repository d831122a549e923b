// SPDX-License-Identifier: GPL-2.0

//! smmu_rs's domains as the IOMMU core sees them, built on
//! [`crate::iommu_driver`]: the stage-2 paging domain and the nested domain
//! (a guest's vSTE on a vIOMMU), whose `iommu_domain_ops` are Rust
//! statics, and smmu_rs's `iommu_ops` with its identity and blocked
//! domains, statics built by [`crate::iommu_driver::IommuOps`].

use crate::{
    debugfs::{
        count,
        NESTED_DOMAINS, //
    },
    hw::{
        instance_of,
        DOMAINS, //
    },
    iommu_driver::{
        master_of,
        Domain,
        DomainOps,
        Fwspec,
        IommuDriver,
        IommuOps,
        Probed,
        StaticDomain, //
    },
    lpae::PAGE_SIZES,
    master::Master,
    nested::NestedDomain,
    s2_domain::S2Domain,
    smmu::Smmu,
};
use core::ptr::NonNull;
use kernel::{
    bindings,
    device::Device,
    prelude::*,
    sync::Arc, //
};

/// The master of `dev`, which the core attaches to one of our domains:
/// `EINVAL` if it has none.
fn attached_master(dev: &Device) -> Result<&Master> {
    // SAFETY: the core attaches only a device it probed through our
    // `iommu_ops`, whose IOMMU state is live for the call (and for `dev`'s
    // borrow, which the call holds).
    unsafe { master_of::<SmmuRsIommu>(dev) }.ok_or(EINVAL)
}

/// Refuses an atomic caller of `map_pages` (`WARN`, `EINVAL`): the table
/// locks are mutexes, for sleeping callers only (iommufd, MSI).
fn sleeping(may_sleep: bool) -> Result {
    if !may_sleep {
        kernel::warn_on!(true);
        return Err(EINVAL);
    }
    Ok(())
}

/// A stage-2 paging domain, listed in debugfs (`domains`) while it lives.
pub(crate) struct S2Iommu {
    /// The page table and VMID; a vIOMMU over it holds it too.
    pub(crate) s2: Arc<S2Domain>,
}

impl Drop for S2Iommu {
    fn drop(&mut self) {
        crate::hw::remove_from(&mut DOMAINS.lock(), |d| !Arc::ptr_eq(d, &self.s2));
    }
}

/// The geometry of the SMMU's stage-2 domains: every IPA below its input
/// size, in the sizes the table format maps.
pub(crate) fn stage2_aperture_end(smmu: &Smmu) -> u64 {
    (1u64 << smmu.features.ias) - 1
}

/// A new stage-2 paging domain of `smmu` (a nest parent if `nest_parent`),
/// for the core, listed in debugfs.
pub(crate) fn new_s2(
    smmu: &Arc<Smmu>,
    nest_parent: bool,
) -> Result<NonNull<bindings::iommu_domain>> {
    let s2 = S2Domain::new(smmu, nest_parent)?;
    DOMAINS.lock().push(s2.clone(), GFP_KERNEL_ACCOUNT)?;
    // Unlisted by its drop, also when the allocation below fails.
    Domain::new_for_core(
        S2Iommu { s2 },
        bindings::IOMMU_DOMAIN_UNMANAGED,
        OPS.as_raw(),
        PAGE_SIZES,
        Some((0, stage2_aperture_end(smmu))),
    )
}

/// The stage-2 domain behind `dom`, if it is one of ours.
///
/// # Safety
///
/// `dom` is live for `'a`.
pub(crate) unsafe fn s2_of<'a>(dom: *mut bindings::iommu_domain) -> Option<&'a Arc<S2Domain>> {
    // SAFETY: live for `'a` (caller).
    unsafe { Domain::<S2Iommu>::from_raw(dom) }.map(|d| &d.data().s2)
}

#[vtable]
impl DomainOps for S2Iommu {
    fn attach_dev(domain: &Domain<Self>, dev: &Device) -> Result {
        attached_master(dev)?.attach_s2(&domain.data().s2)
    }

    /// The table lock is a mutex: only sleeping callers (iommufd, MSI).
    fn map_pages(
        domain: &Domain<Self>,
        iova: u64,
        paddr: u64,
        size: u64,
        prot: u32,
        may_sleep: bool,
    ) -> Result<u64> {
        sleeping(may_sleep)?;
        domain.data().s2.map(iova, paddr, size, prot)?;
        Ok(size)
    }

    /// Invalidated and synced before returning: no `iotlb_sync` is needed.
    fn unmap_pages(domain: &Domain<Self>, iova: u64, size: u64) -> u64 {
        domain.data().s2.unmap(iova, size)
    }

    fn iova_to_phys(domain: &Domain<Self>, iova: u64) -> u64 {
        domain.data().s2.translate(iova).map_or(0, |(pa, _)| pa)
    }

    fn flush_iotlb_all(domain: &Domain<Self>) {
        domain.data().s2.flush_all()
    }
}

/// A nested domain, counted in debugfs (`nested_domains`) while it lives.
pub(crate) struct NestedIommu {
    nested: KBox<NestedDomain>,
}

impl Drop for NestedIommu {
    fn drop(&mut self) {
        count(&NESTED_DOMAINS, -1);
    }
}

/// The core's side of nested domain `nested`: UNMANAGED, not NESTED, since
/// only an UNMANAGED domain can carry the MSI cookie through which a nested
/// device's doorbell is placed; it maps 4 KiB doorbells and nothing else.
pub(crate) fn new_nested(nested: KBox<NestedDomain>) -> Result<NonNull<bindings::iommu_domain>> {
    // The value's drop takes it back, also when the allocation below fails.
    count(&NESTED_DOMAINS, 1);
    let data = NestedIommu { nested };
    Domain::new_for_core(
        data,
        bindings::IOMMU_DOMAIN_UNMANAGED,
        OPS.as_raw(),
        kernel::sizes::SZ_4K as u64,
        None,
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

#[vtable]
impl DomainOps for NestedIommu {
    fn attach_dev(domain: &Domain<Self>, dev: &Device) -> Result {
        attached_master(dev)?.attach_nested(&domain.data().nested)
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
        sleeping(may_sleep)?;
        domain.data().nested.map_doorbell(iova, paddr, size, prot)?;
        Ok(size)
    }

    fn unmap_pages(_domain: &Domain<Self>, _iova: u64, _size: u64) -> u64 {
        0
    }
}

/// smmu_rs as the IOMMU core's driver: the callbacks of its `iommu_ops`.
pub(crate) struct SmmuRsIommu;

/// The identity domain every device gets by default: bypass.
static IDENTITY: StaticDomain = StaticDomain::identity::<SmmuRsIommu>();
/// The blocked domain, also the release domain: abort.
static BLOCKED: StaticDomain = StaticDomain::blocked::<SmmuRsIommu>();
/// smmu_rs's `iommu_ops`, which every SMMU registers with and the
/// provider is registered for.
pub(crate) static OPS: IommuOps = IommuOps::new::<SmmuRsIommu>(&IDENTITY, &BLOCKED);

// SAFETY: `probe_device` returns the `struct iommu_device` of a bound SMMU,
// registered with `OPS` (`platform.rs`), which unbinding unregisters
// (releasing every device behind it) before it goes.
#[vtable]
unsafe impl IommuDriver for SmmuRsIommu {
    type OwnerModule = crate::SmmuRsModule;
    type Master = Master;

    fn probe_device(dev: &Device, fwspec: &Fwspec<'_>) -> Result<Probed<Master>> {
        let instance = instance_of(fwspec.fwnode).ok_or(ENODEV)?;
        let master = Master::probe(&instance.smmu, fwspec.ids)?;
        if instance.link_consumer(dev).is_err() {
            dev_err!(dev, "smmu_rs: cannot link to its SMMU\n");
            return Err(ENOMEM);
        }
        Ok(Probed {
            master,
            iommu: instance.iommu,
        })
    }

    fn attach_identity(master: &Master) -> Result {
        master.attach_bypass()
    }

    fn attach_blocked(master: &Master) -> Result {
        master.attach_abort()
    }

    fn domain_alloc_paging(master: &Master, flags: u32) -> Result<NonNull<bindings::iommu_domain>> {
        const NEST_PARENT: u32 = bindings::iommufd_hwpt_alloc_flags_IOMMU_HWPT_ALLOC_NEST_PARENT;
        if flags & !NEST_PARENT != 0 {
            return Err(EOPNOTSUPP);
        }
        new_s2(&master.smmu, flags & NEST_PARENT != 0)
    }

    /// Probe refuses SMMUs that are not coherent.
    fn capable(_dev: &Device, cap: u32) -> bool {
        cap == bindings::iommu_cap_IOMMU_CAP_CACHE_COHERENCY
    }

    /// Host drivers keep working unchanged: every default domain is bypass.
    fn def_domain_type(_dev: &Device) -> u32 {
        bindings::IOMMU_DOMAIN_IDENTITY
    }

    /// Where the in-tree driver places it.
    fn sw_msi_region(_dev: &Device) -> Option<(u64, u64)> {
        Some(crate::smmu::SW_MSI_REGION)
    }

    fn hw_info(master: &Master, kind: u32) -> Result<(u32, KVec<u8>)> {
        let mut info = crate::provider_abi::HwInfo {
            kind,
            len: 0,
            data: [0; crate::provider_abi::HW_INFO_MAX],
        };
        crate::provider::fill_hw_info(&master.smmu, &mut info)?;
        let mut v = KVec::with_capacity(info.len as usize, GFP_KERNEL)?;
        v.extend_from_slice(info.bytes(), GFP_KERNEL)?;
        Ok((info.kind, v))
    }
}
