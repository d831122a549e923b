// SPDX-License-Identifier: GPL-2.0

//! What a device's IOMMU driver offers beyond the IOMMU core API, when it is
//! one of this project's (its provider, [`crate::provider_abi`]): domain
//! walks, the geometry of a nest parent, hardware info, vIOMMUs, virtual
//! device ids and nested domains. For a device behind any other driver the
//! queries fall back to the core API where it has an answer and are
//! `-EOPNOTSUPP` otherwise.
//!
//! Every device call runs inside [`BoundDevice::with_live_device`], which
//! keeps the device's IOMMU state (`dev->iommu`) alive for it, and holds the
//! driver's module ([`Provider`]) while it calls in. A vIOMMU holds its
//! provider, and so the driver's module, for its whole life: the driver's
//! handle is only meaningful to that driver.

use crate::{
    domain::Domain,
    pci::BoundDevice,
    provider_abi::{
        DeviceHandle,
        DomainHandle,
        EventSink,
        Geometry,
        HwInfo,
        Leaf,
        LeafVisitor,
        NestedData,
        Provider,
        Translation,
        VdeviceHandle,
        ViommuHandle,
        HW_INFO_MAX, //
    },
    uapi,
};
use core::ptr::NonNull;
use kernel::{
    bindings,
    device::Device,
    error::to_result,
    ffi::c_int,
    prelude::*,
    uaccess::{
        UserPtr,
        UserSlice, //
    }, //
};

/// The `struct device` of `dev`.
fn device_handle(dev: &Device) -> DeviceHandle {
    // `Device` is a transparent wrapper of `struct device`.
    DeviceHandle(NonNull::from(dev).cast())
}

/// The `iommu_ops` of the IOMMU driver `dev` is behind, or NULL (the
/// core's own `dev_iommu_ops()` is private to drivers/iommu/).
fn device_iommu_ops(dev: &Device) -> *const bindings::iommu_ops {
    let raw = device_handle(dev).0.as_ptr();
    // SAFETY: `dev` is a live device; its `iommu` and that one's
    // `iommu_dev` are set by the IOMMU core while the device is probed by
    // an IOMMU, which `with_live_device` keeps, and read as plain fields.
    unsafe {
        let iommu = (*raw).iommu;
        if iommu.is_null() || (*iommu).iommu_dev.is_null() {
            return core::ptr::null();
        }
        (*(*iommu).iommu_dev).ops
    }
}

/// The provider of the driver of `dev`, if it has one.
fn device_provider(dev: &Device) -> Option<Provider> {
    Provider::get(device_iommu_ops(dev))
}

/// The provider of the driver that owns `dom`, if it has one.
fn domain_provider(dom: &Domain) -> Option<Provider> {
    // SAFETY: the domain is live while `dom` is; `owner` is set at
    // allocation and never changes.
    Provider::get(unsafe { (*dom.as_raw()).owner })
}

/// The handle of `dom` for its driver.
fn domain_handle(dom: &Domain) -> Result<DomainHandle> {
    NonNull::new(dom.as_raw()).map(DomainHandle).ok_or(EINVAL)
}

/// The output address `iova` translates to in `dom`, and the size of the
/// leaf entry mapping it (0 when the driver cannot tell: the core API has
/// no such query). `ENOENT` if nothing is mapped there.
pub(crate) fn translate(dom: &Domain, iova: u64) -> Result<(u64, u64)> {
    if let Some(p) = domain_provider(dom) {
        let mut t = Translation::default();
        // SAFETY: the domain is live and owned by the provider's driver.
        to_result(unsafe { (p.ops().domain_translate)(domain_handle(dom)?, iova, &mut t) })?;
        return Ok((t.phys, t.leaf_size));
    }
    dom.iova_to_phys(iova).map(|pa| (pa, 0)).ok_or(ENOENT)
}

/// For a nested domain: the MSI cookie at `giova` maps each doorbell into
/// the parent's stage 2 at the same slot of `[ipa, ipa + size)` (before
/// the cookie is made). `EINVAL` for a domain of a driver without a
/// provider, or one it cannot place so.
pub(crate) fn nested_msi_window(dom: &Domain, giova: u64, ipa: u64, size: u64) -> Result {
    let p = domain_provider(dom).ok_or(EINVAL)?;
    // SAFETY: the domain is live and owned by the provider's driver, which
    // checks that it is a nested one.
    to_result(unsafe { (p.ops().nested_msi_window)(domain_handle(dom)?, giova, ipa, size) })
}

/// Calls `f` with every leaf entry of `dom`, in IOVA order, with its table
/// locked against map and unmap: `f`'s first non-zero answer, or 0.
/// `-EOPNOTSUPP` when the domain's driver cannot enumerate.
#[cfg_attr(not(iommufd_rs_test), allow(dead_code))]
pub(crate) fn for_each_leaf(dom: &Domain, mut f: impl FnMut(&Leaf) -> c_int) -> c_int {
    let Some(p) = domain_provider(dom) else {
        return EOPNOTSUPP.to_errno();
    };
    let dom = match domain_handle(dom) {
        Ok(d) => d,
        Err(e) => return e.to_errno(),
    };
    LeafVisitor::with(&mut f, |v| {
        // SAFETY: the domain is live and owned by the provider's driver;
        // the visitor neither maps nor unmaps in it.
        unsafe { (p.ops().domain_for_each_leaf)(dom, v) }
    })
}

/// The geometry a nest-parent domain for `dev` would have, asked of its
/// driver's provider without allocating one. `EOPNOTSUPP` if the driver
/// has none (the core API can only tell by allocating a domain).
pub(crate) fn nest_parent_geometry(dev: &BoundDevice) -> Result<Geometry> {
    dev.with_live_device(|d| {
        let p = device_provider(d).ok_or(EOPNOTSUPP)?;
        let mut geo = Geometry::default();
        // SAFETY: the device's IOMMU state is live (`with_live_device`) and
        // it is behind the provider's driver.
        to_result(unsafe { (p.ops().nest_parent_geometry)(device_handle(d), &mut geo) })?;
        Ok(geo)
    })
}

/// IOMMU_GET_HW_INFO data of `kind` (`IOMMU_HW_INFO_TYPE_DEFAULT`: the
/// driver's own) from a driver with a provider; `None` for any other
/// driver, which has no data to give here.
pub(crate) fn hw_info(dev: &BoundDevice, kind: u32) -> Result<Option<HwInfo>> {
    dev.with_live_device(|d| {
        let Some(p) = device_provider(d) else {
            return Ok(None);
        };
        let mut info = HwInfo {
            kind,
            len: 0,
            data: [0; HW_INFO_MAX],
        };
        // SAFETY: as in `nest_parent_geometry`.
        to_result(unsafe { (p.ops().hw_info)(device_handle(d), &mut info) })?;
        // A driver with hw_info has a type of its own, as upstream demands.
        if info.kind == uapi::HW_INFO_TYPE_DEFAULT || info.len as usize > HW_INFO_MAX {
            pr_warn!("iommufd_rs: a provider answered hw_info without a type\n");
            return Err(EOPNOTSUPP);
        }
        Ok(Some(info))
    })
}

/// Whether `dev`'s IOMMU can have vIOMMUs: `EOPNOTSUPP` if its driver has
/// no provider or its IOMMU cannot nest safely (the driver logs why);
/// `ENODEV` if the device left the driver.
pub(crate) fn viommu_supported(dev: &BoundDevice) -> Result {
    dev.with_live_device(|d| {
        let p = device_provider(d).ok_or(EOPNOTSUPP)?;
        // SAFETY: as in `nest_parent_geometry`.
        to_result(unsafe { (p.ops().viommu_supported)(device_handle(d)) })
    })
}

/// A function leaves the file holding it (its driver is being unbound with
/// the file still holding it): the virtual ids the file gave it go with it,
/// in the driver, while the file's vDEVICE objects stay (they name a
/// function that left). Nothing for a driver without a provider.
pub(crate) fn device_leaves(dev: &Device) {
    if let Some(p) = device_provider(dev) {
        // SAFETY: the caller (the PCI driver's remove) runs before the
        // IOMMU core tears the device's IOMMU state down.
        unsafe { (p.ops().device_leave_user)(device_handle(dev)) }
    }
}

/// A vIOMMU of a device's driver, freed on drop.
pub(crate) struct ProviderViommu {
    provider: Provider,
    handle: ViommuHandle,
}

// SAFETY: the driver's vIOMMU is not tied to a task and serialises its own
// state; the handle is only passed back to the driver.
unsafe impl Send for ProviderViommu {}
// SAFETY: see `Send`.
unsafe impl Sync for ProviderViommu {}

impl ProviderViommu {
    /// A vIOMMU over `parent`, a nest-parent domain allocated for `dev`:
    /// `EOPNOTSUPP` if the device's driver has no provider or cannot nest,
    /// `EINVAL` if `parent` is no nest parent of the device's IOMMU,
    /// `ENODEV` if the device left the driver.
    pub(crate) fn alloc(parent: &Domain, dev: &BoundDevice) -> Result<Self> {
        dev.with_live_device(|d| {
            let provider = device_provider(d).ok_or(EOPNOTSUPP)?;
            let parent = domain_handle(parent)?;
            let mut out = None;
            // SAFETY: the device's IOMMU state and the domain are live.
            to_result(unsafe {
                (provider.ops().viommu_alloc)(parent, device_handle(d), &mut out)
            })?;
            let handle = out.ok_or(ENOMEM)?;
            Ok(Self { provider, handle })
        })
    }

    /// Whether `d` is behind this vIOMMU's driver.
    fn same_driver(&self, d: &Device) -> bool {
        core::ptr::eq(device_iommu_ops(d), self.provider.iommu_ops())
    }

    /// Names `dev` `virt_id` in this vIOMMU: `ENODEV` if it left the driver,
    /// `EINVAL` for a device of another driver, or the driver's error
    /// (`EEXIST`, `EINVAL`, `EOPNOTSUPP`).
    pub(crate) fn vdevice_alloc(&self, dev: &BoundDevice, virt_id: u64) -> Result<VdeviceHandle> {
        dev.with_live_device(|d| {
            if !self.same_driver(d) {
                return Err(EINVAL);
            }
            let mut out = VdeviceHandle::default();
            // SAFETY: the vIOMMU is live, the device's IOMMU state too.
            to_result(unsafe {
                (self.provider.ops().vdevice_alloc)(
                    self.handle,
                    device_handle(d),
                    virt_id,
                    &mut out,
                )
            })?;
            Ok(out)
        })
    }

    /// Takes back a virtual id (its device may be gone).
    pub(crate) fn vdevice_free(&self, vdev: VdeviceHandle) {
        // SAFETY: the vIOMMU is live; `vdev` came from its `vdevice_alloc`.
        unsafe { (self.provider.ops().vdevice_free)(self.handle, vdev) }
    }

    /// A nested domain on this vIOMMU for `dev`, from the user's data
    /// (`data_type`, `len` bytes at `uptr`), copied here with upstream's
    /// `iommu_copy_struct_from_user()` rules. Its geometry is `parent_geo`:
    /// the addresses a nested device's MSI doorbells must fit are the
    /// parent's. In upstream's order: a device of another driver
    /// (`EINVAL`), flags (`EOPNOTSUPP`: no driver here takes any for a
    /// nested domain), the data's type and length (`EINVAL`), its copy
    /// (`EFAULT`), then the driver (`EINVAL` for a device behind another
    /// of its IOMMUs, `EIO` for data it refuses).
    pub(crate) fn alloc_nested(
        &self,
        dev: &BoundDevice,
        flags: u32,
        data: (u32, u64, u32),
        parent_geo: Geometry,
    ) -> Result<Domain> {
        dev.with_live_device(|d| {
            if !self.same_driver(d) {
                return Err(EINVAL);
            }
            if flags != 0 {
                return Err(EOPNOTSUPP);
            }
            let data = read_nested_data(data)?;
            let mut out = None;
            // SAFETY: the vIOMMU is live, the device's IOMMU state too.
            to_result(unsafe {
                (self.provider.ops().domain_alloc_nested)(
                    self.handle,
                    device_handle(d),
                    flags,
                    &data,
                    &mut out,
                )
            })?;
            let dom = out.ok_or(ENOMEM)?.0;
            // SAFETY: a nested domain the driver just allocated, owned
            // here; its `owner` is the driver's `iommu_ops`.
            let module = unsafe { (*(*dom.as_ptr()).owner).owner };
            // SAFETY: `module` is the driver's, held by `self.provider`.
            if !unsafe { bindings::try_module_get(module) } {
                // SAFETY: allocated above, attached to nothing.
                unsafe { bindings::iommu_domain_free(dom.as_ptr()) };
                return Err(ENODEV);
            }
            // SAFETY: an owned domain with its driver's module held.
            unsafe { Domain::adopt(dom, parent_geo) }
        })
    }

    /// Carries out guest invalidation commands in order: how many were,
    /// and the error of the one that was refused (`EIO`), if any.
    pub(crate) fn invalidate(&self, cmds: &[[u64; 2]]) -> (u32, Result) {
        let mut done = 0u32;
        let n = u32::try_from(cmds.len()).unwrap_or(u32::MAX);
        // SAFETY: the vIOMMU is live; `cmds` holds `n` commands.
        let r = to_result(unsafe {
            (self.provider.ops().cache_invalidate)(
                self.handle,
                NonNull::from(cmds).cast(),
                n,
                &mut done,
            )
        });
        (done, r)
    }

    /// Sends this vIOMMU's guest events to `sink`: `EEXIST` if it has a
    /// sink already.
    ///
    /// # Safety
    ///
    /// The sink's target stays live until [`Self::clear_event_sink`].
    pub(crate) unsafe fn set_event_sink(&self, sink: &EventSink) -> Result {
        // SAFETY: the vIOMMU is live; the sink as the caller guarantees.
        to_result(unsafe { (self.provider.ops().viommu_set_event_sink)(self.handle, Some(sink)) })
    }

    /// Sends this vIOMMU's guest events nowhere; on return no report is in
    /// flight, so the former sink's target may go.
    pub(crate) fn clear_event_sink(&self) {
        // SAFETY: the vIOMMU is live; clearing takes no sink.
        let _ = unsafe { (self.provider.ops().viommu_set_event_sink)(self.handle, None) };
    }
}

impl Drop for ProviderViommu {
    fn drop(&mut self) {
        // SAFETY: allocated by `alloc`, freed once; every virtual id and
        // nested domain of it is gone (the front end's objects depend on
        // the vIOMMU object).
        unsafe { (self.provider.ops().viommu_free)(self.handle) }
    }
}

/// Reads `IOMMU_HWPT_DATA_ARM_SMMUV3` user data as upstream's
/// `iommu_copy_struct_from_user()`: another type, or a length other than
/// the struct's, is `EINVAL`; an unreadable buffer `EFAULT`.
fn read_nested_data((data_type, uptr, len): (u32, u64, u32)) -> Result<NestedData> {
    if data_type != bindings::iommu_hwpt_data_type_IOMMU_HWPT_DATA_ARM_SMMUV3
        || len as usize != size_of::<NestedData>()
    {
        return Err(EINVAL);
    }
    let addr = usize::try_from(uptr).map_err(|_| EFAULT)?;
    let mut reader = UserSlice::new(UserPtr::from_addr(addr), len as usize).reader();
    let ste = [reader.read::<u64>()?, reader.read::<u64>()?];
    Ok(NestedData { ste })
}
