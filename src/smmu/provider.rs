// SPDX-License-Identifier: GPL-2.0

//! smmu_rs's provider ([`crate::provider_abi`]): what iommufd_rs gets from
//! it beyond the IOMMU core API (domain walks, the nest-parent geometry,
//! hardware info, vIOMMUs, virtual stream ids, nested domains from a
//! guest's vSTE), registered for smmu_rs's `iommu_ops` while the module is
//! loaded.
//!
//! The handles arrive as the IOMMU core's objects (`struct iommu_domain`,
//! `struct device`); the driver's state behind them is what the domain
//! embeds it in ([`crate::iommu`]) or what `probe_device` left in the
//! device's IOMMU state ([`crate::iommu_driver::master_of`]).
//! A vIOMMU handle is an `Arc<Vsmmu>` given to the front end.

use crate::{
    iommu::{
        nested_of,
        new_nested,
        s2_of,
        stage2_aperture_end, //
    },
    lpae::Prot,
    master::Master,
    nested::{
        MsiWindow,
        NestedDomain,
        Vsmmu, //
    },
    provider_abi::{
        DeviceHandle,
        DomainHandle,
        EventSink,
        Geometry,
        HwInfo,
        Leaf,
        LeafVisitor,
        NestedData,
        ProviderOps,
        Registration,
        Translation,
        VdeviceHandle,
        ViommuHandle,
        HW_INFO_MAX, //
    },
    s2_domain::S2Domain,
    smmu::Smmu,
};
use core::{
    mem::{
        offset_of,
        size_of, //
    },
    ptr::NonNull,
};
use kernel::{
    bindings,
    ffi::c_int,
    prelude::*,
    sync::{
        Arc,
        ArcBorrow, //
    },
    ThisModule, //
};

// `helpers.c`: the assume_canwbs module parameter, which Rust's module!
// cannot declare (see there).
extern "C" {
    fn smmu_rs_assume_canwbs() -> bool;
}

/// smmu_rs's table.
static OPS: ProviderOps = ProviderOps {
    domain_translate,
    domain_for_each_leaf,
    nest_parent_geometry,
    hw_info,
    viommu_supported,
    viommu_alloc,
    viommu_free,
    vdevice_alloc,
    vdevice_free,
    device_leave_user,
    domain_alloc_nested,
    cache_invalidate,
    nested_msi_window,
    viommu_set_event_sink,
};

/// Registers smmu_rs's provider for its `iommu_ops`, owned by `module`.
pub(crate) fn register(module: &'static ThisModule) -> Result<Registration> {
    Registration::new(crate::iommu::OPS.as_raw(), module, &OPS)
}

fn errno(r: Result) -> c_int {
    match r {
        Ok(()) => 0,
        Err(e) => e.to_errno(),
    }
}

/// The stage-2 domain behind `dom`, if it is one of ours.
///
/// # Safety
///
/// `dom` is live for `'a`.
unsafe fn s2_domain<'a>(dom: DomainHandle) -> Option<&'a Arc<S2Domain>> {
    // SAFETY: live for `'a` (caller).
    unsafe { s2_of(dom.0.as_ptr()) }
}

/// The master of `dev`, a device behind one of our SMMUs.
///
/// # Safety
///
/// `dev`'s IOMMU state is live for `'a` (the front end's promise for a
/// [`DeviceHandle`]); its `iommu_ops` are ours (the registry answered
/// for them).
pub(crate) unsafe fn master<'a>(dev: DeviceHandle) -> Option<&'a Master> {
    // SAFETY: a live device (caller).
    let dev = unsafe { kernel::device::Device::from_raw(dev.0.as_ptr()) };
    // SAFETY: probed through smmu_rs's ops, its IOMMU state live for `'a`
    // (caller).
    unsafe { crate::iommu_driver::master_of::<crate::iommu::SmmuRsIommu>(dev) }
}

/// The SMMU of `dev`, a device behind one of our SMMUs.
///
/// # Safety
///
/// As for [`master`].
unsafe fn smmu<'a>(dev: DeviceHandle) -> Result<&'a Arc<Smmu>> {
    // SAFETY: as the caller guarantees.
    unsafe { master(dev) }.map(|m| &m.smmu).ok_or(ENODEV)
}

/// The vIOMMU behind `v`.
///
/// # Safety
///
/// `v` came from [`viommu_alloc`] and is not freed for `'a`.
unsafe fn viommu<'a>(v: ViommuHandle) -> ArcBorrow<'a, Vsmmu> {
    // SAFETY: an `Arc<Vsmmu>` given to the front end (caller).
    unsafe { ArcBorrow::from_raw(v.0.as_ptr().cast::<Vsmmu>()) }
}

/// # Safety
///
/// As [`ProviderOps::domain_translate`].
unsafe extern "C" fn domain_translate(
    dom: DomainHandle,
    iova: u64,
    out: &mut Translation,
) -> c_int {
    // SAFETY: a live domain (caller).
    let Some(d) = (unsafe { s2_domain(dom) }) else {
        return EOPNOTSUPP.to_errno();
    };
    match d.translate(iova) {
        Some((phys, leaf_size)) if leaf_size != 0 => {
            *out = Translation { phys, leaf_size };
            0
        }
        _ => ENOENT.to_errno(),
    }
}

/// # Safety
///
/// As [`ProviderOps::domain_for_each_leaf`].
unsafe extern "C" fn domain_for_each_leaf(dom: DomainHandle, visitor: &mut LeafVisitor) -> c_int {
    // SAFETY: a live domain (caller).
    let Some(d) = (unsafe { s2_domain(dom) }) else {
        return EOPNOTSUPP.to_errno();
    };
    let visit = &mut |iova: u64, phys: u64, size: u64, prot: Prot| {
        let prot = [
            (prot.read, Prot::IOMMU_READ),
            (prot.write, Prot::IOMMU_WRITE),
            (prot.cache, Prot::IOMMU_CACHE),
            (prot.mmio, Prot::IOMMU_MMIO),
        ]
        .iter()
        .filter(|(on, _)| *on)
        .fold(0, |acc, (_, bit)| acc | bit);
        match visitor.visit(&Leaf {
            iova,
            phys,
            size,
            prot,
        }) {
            0 => Ok(()),
            e => Err(e),
        }
    };
    match d.for_each_leaf(visit) {
        Ok(()) => 0,
        Err(e) => e,
    }
}

/// The geometry of the SMMU's stage-2 domains: every IPA below its input
/// size, in the sizes the table format maps.
pub(crate) fn stage2_geometry(smmu: &Smmu) -> Geometry {
    Geometry {
        aperture_start: 0,
        aperture_end: stage2_aperture_end(smmu),
        pgsize_bitmap: crate::lpae::PAGE_SIZES,
    }
}

/// # Safety
///
/// As [`ProviderOps::nest_parent_geometry`].
unsafe extern "C" fn nest_parent_geometry(dev: DeviceHandle, out: &mut Geometry) -> c_int {
    // SAFETY: a live device of ours (caller).
    match unsafe { smmu(dev) } {
        Ok(smmu) => {
            *out = stage2_geometry(smmu);
            0
        }
        Err(e) => e.to_errno(),
    }
}

/// # Safety
///
/// As [`ProviderOps::hw_info`].
unsafe extern "C" fn hw_info(dev: DeviceHandle, out: &mut HwInfo) -> c_int {
    // SAFETY: a live device of ours (caller).
    errno(unsafe { smmu(dev) }.and_then(|smmu| fill_hw_info(smmu, out)))
}

/// Fills `out` with `smmu`'s `struct iommu_hw_info_arm_smmuv3` (its
/// identification registers as probed), for a request of type `out.kind`.
pub(crate) fn fill_hw_info(smmu: &Smmu, out: &mut HwInfo) -> Result {
    type Info = bindings::iommu_hw_info_arm_smmuv3;
    const ARM_SMMUV3: u32 = bindings::iommu_hw_info_type_IOMMU_HW_INFO_TYPE_ARM_SMMUV3;
    const { assert!(size_of::<Info>() <= HW_INFO_MAX) };
    if out.kind != bindings::iommu_hw_info_type_IOMMU_HW_INFO_TYPE_DEFAULT && out.kind != ARM_SMMUV3
    {
        return Err(EOPNOTSUPP);
    }
    let id = smmu.id;
    let mut put = |at: usize, v: u32| out.data[at..at + 4].copy_from_slice(&v.to_ne_bytes());
    for (i, v) in id.idr.iter().enumerate() {
        put(offset_of!(Info, idr) + 4 * i, *v);
    }
    put(offset_of!(Info, iidr), id.iidr);
    put(offset_of!(Info, aidr), id.aidr);
    out.len = size_of::<Info>() as u32;
    out.kind = ARM_SMMUV3;
    Ok(())
}

/// # Safety
///
/// As [`ProviderOps::viommu_supported`].
unsafe extern "C" fn viommu_supported(dev: DeviceHandle) -> c_int {
    // SAFETY: a live device of ours (caller).
    let smmu = match unsafe { smmu(dev) } {
        Ok(smmu) => smmu,
        Err(e) => return e.to_errno(),
    };
    // SAFETY: reads a module parameter.
    let coherent = unsafe { smmu_rs_assume_canwbs() };
    match crate::nested::nesting_refusal(smmu, coherent) {
        None => 0,
        Some(missing) => {
            smmu.hw.log_refusal(c"no vIOMMU: nesting needs", missing);
            EOPNOTSUPP.to_errno()
        }
    }
}

/// # Safety
///
/// As [`ProviderOps::viommu_alloc`].
unsafe extern "C" fn viommu_alloc(
    parent: DomainHandle,
    dev: DeviceHandle,
    out: &mut Option<ViommuHandle>,
) -> c_int {
    // SAFETY: a live domain (caller).
    let Some(parent) = (unsafe { s2_domain(parent) }) else {
        return EINVAL.to_errno();
    };
    // SAFETY: a live device of ours (caller).
    let Some(m) = (unsafe { master(dev) }) else {
        return EINVAL.to_errno();
    };
    // SAFETY: reads a module parameter.
    let coherent = unsafe { smmu_rs_assume_canwbs() };
    match Vsmmu::new(parent, m, coherent) {
        Ok(v) => {
            let v = Arc::into_raw(v)
                .cast_mut()
                .cast::<crate::provider_abi::DriverViommu>();
            *out = NonNull::new(v).map(ViommuHandle);
            crate::debugfs::count(&crate::debugfs::VIOMMUS, 1);
            0
        }
        Err(e) => e.to_errno(),
    }
}

/// # Safety
///
/// As [`ProviderOps::viommu_free`].
unsafe extern "C" fn viommu_free(v: ViommuHandle) {
    // SAFETY: the front end's reference, given back once (caller); nested
    // domains hold their own.
    let v = unsafe { Arc::from_raw(v.0.as_ptr().cast::<Vsmmu>()) };
    v.smmu.remove_viommu(&v);
    crate::debugfs::count(&crate::debugfs::VIOMMUS, -1);
}

/// # Safety
///
/// As [`ProviderOps::vdevice_alloc`].
unsafe extern "C" fn vdevice_alloc(
    v: ViommuHandle,
    dev: DeviceHandle,
    virt_id: u64,
    out: &mut VdeviceHandle,
) -> c_int {
    // SAFETY: a live vIOMMU and device (caller).
    let (v, m) = unsafe { (viommu(v), master(dev)) };
    let Some(m) = m else {
        return EINVAL.to_errno();
    };
    match v.add_vdevice(m, virt_id) {
        Ok(token) => {
            *out = VdeviceHandle(token);
            0
        }
        Err(e) => e.to_errno(),
    }
}

/// # Safety
///
/// As [`ProviderOps::vdevice_free`].
unsafe extern "C" fn vdevice_free(v: ViommuHandle, vdev: VdeviceHandle) {
    // SAFETY: a live vIOMMU (caller).
    unsafe { viommu(v) }.remove_vdevice(vdev.0);
}

/// # Safety
///
/// As [`ProviderOps::device_leave_user`].
unsafe extern "C" fn device_leave_user(dev: DeviceHandle) {
    // SAFETY: a live device of ours (caller).
    if let Some(m) = unsafe { master(dev) } {
        m.leave_user();
    }
}

/// # Safety
///
/// As [`ProviderOps::domain_alloc_nested`].
unsafe extern "C" fn domain_alloc_nested(
    v: ViommuHandle,
    dev: DeviceHandle,
    flags: u32,
    data: &NestedData,
    out: &mut Option<DomainHandle>,
) -> c_int {
    if flags != 0 {
        return EOPNOTSUPP.to_errno();
    }
    // SAFETY: a live vIOMMU and device (caller).
    let (v, m) = unsafe { (viommu(v), master(dev)) };
    if !m.is_some_and(|m| v.same_smmu(m)) {
        return EINVAL.to_errno();
    }
    match NestedDomain::new(&v.into(), data.ste.map(u64::from_le)).and_then(new_nested) {
        Ok(dom) => {
            *out = Some(DomainHandle(dom));
            0
        }
        Err(e) => e.to_errno(),
    }
}

/// # Safety
///
/// As [`ProviderOps::cache_invalidate`].
unsafe extern "C" fn cache_invalidate(
    v: ViommuHandle,
    cmds: NonNull<[u64; 2]>,
    n: u32,
    done: &mut u32,
) -> c_int {
    // SAFETY: `n` readable commands (caller).
    let cmds = unsafe { core::slice::from_raw_parts(cmds.as_ptr(), n as usize) };
    // SAFETY: a live vIOMMU (caller).
    let (count, r) = unsafe { viommu(v) }.invalidate(cmds);
    // `count <= n`, a u32.
    *done = count as u32;
    errno(r)
}

/// # Safety
///
/// As [`ProviderOps::nested_msi_window`].
unsafe extern "C" fn nested_msi_window(
    dom: DomainHandle,
    giova: u64,
    ipa: u64,
    size: u64,
) -> c_int {
    // SAFETY: a live domain (caller).
    match unsafe { nested_of(dom.0.as_ptr()) } {
        Some(n) => errno(n.set_msi_window(MsiWindow { giova, ipa, size })),
        None => EINVAL.to_errno(),
    }
}

/// # Safety
///
/// As [`ProviderOps::viommu_set_event_sink`].
unsafe extern "C" fn viommu_set_event_sink(v: ViommuHandle, sink: Option<&EventSink>) -> c_int {
    // SAFETY: a live vIOMMU (caller).
    errno(unsafe { viommu(v) }.set_event_sink(sink.copied()))
}
