// SPDX-License-Identifier: GPL-2.0

//! PCI functions handed to a file with IOMMU_DEVICE_BIND: a thin owner of
//! the C side in `pci_driver.c`, and the driver's registration.

use crate::{
    kernel_ext::iommu::consumer,
    provider, //
};
use core::ptr::NonNull;
use kernel::{
    alloc::KVVec,
    bindings,
    device::Device,
    error::to_result,
    ffi::{
        c_int,
        c_void, //
    },
    prelude::*, //
};

/// The opaque `struct iommufd_rs_pci` of `pci_driver.c`.
#[repr(C)]
pub(crate) struct RawPci {
    _opaque: [u8; 0],
}

// The bindings' structs hold a field-less struct (`sched_statistics`
// without CONFIG_SCHEDSTATS), which the lint flags even behind a pointer;
// only pointers to them cross here.
#[allow(improper_ctypes)]
extern "C" {
    fn iommufd_rs_pci_register() -> c_int;
    fn iommufd_rs_pci_unregister();
    fn iommufd_rs_pci_bind_fd(fd: c_int, owner: *mut c_void, out: *mut *mut RawPci) -> c_int;
    fn iommufd_rs_pci_bind(
        segment: u32,
        rid: u32,
        owner: *mut c_void,
        out: *mut *mut RawPci,
    ) -> c_int;
    fn iommufd_rs_pci_unbind(d: *mut RawPci);
    fn iommufd_rs_pci_hw_caps(d: *mut RawPci, caps: *mut u64) -> c_int;
    fn iommufd_rs_pci_get_live(d: *mut RawPci) -> c_int;
    fn iommufd_rs_pci_put_live(d: *mut RawPci);
    fn iommufd_rs_pci_dev(d: *mut RawPci) -> *mut bindings::device;
    fn iommufd_rs_pci_attach(d: *mut RawPci, dom: *mut bindings::iommu_domain) -> c_int;
    fn iommufd_rs_pci_detach(d: *mut RawPci, dom: *mut bindings::iommu_domain);
    fn iommufd_rs_pci_domain_in_use(dom: *mut bindings::iommu_domain) -> bool;
}

/// One reserved region of a device.
pub(crate) use consumer::ResvRegion;

/// Whether a group of a function of this driver is on `dom`, by the
/// driver's count or by the IOMMU core's word: freeing `dom` now would
/// leave that group on freed memory.
pub(crate) fn domain_in_use(dom: &consumer::Domain) -> bool {
    // SAFETY: the domain is live; the C side only compares its address.
    unsafe { iommufd_rs_pci_domain_in_use(dom.as_raw()) }
}

/// The `iommufd_rs` PCI driver, registered while this value lives.
pub(crate) struct PciDriver;

impl PciDriver {
    /// Registers the driver.
    pub(crate) fn register() -> Result<Self> {
        // SAFETY: registers a static driver object once; `Drop` unregisters.
        to_result(unsafe { iommufd_rs_pci_register() })?;
        Ok(Self)
    }
}

impl Drop for PciDriver {
    fn drop(&mut self) {
        // SAFETY: registered in `register()`; no file can hold a device any
        // more (an open file pins the module, so this runs after all closed).
        unsafe { iommufd_rs_pci_unregister() }
    }
}

/// A PCI function bound to a file, with DMA ownership of its group.
pub(crate) struct BoundDevice {
    raw: NonNull<RawPci>,
}

// SAFETY: the C entry is reference counted and its mutable state is under
// the driver's mutex; this handle only passes the pointer back to C.
unsafe impl Send for BoundDevice {}
// SAFETY: as for `Send`; `&self` methods only read immutable fields.
unsafe impl Sync for BoundDevice {}

impl BoundDevice {
    /// Binds function `rid` of `segment` to the file whose context is
    /// `owner` (the DMA owner cookie of the group).
    pub(crate) fn bind(segment: u32, rid: u32, owner: *mut c_void) -> Result<Self> {
        let mut out: *mut RawPci = core::ptr::null_mut();
        // SAFETY: `out` is a valid place; the C side validates the ids and
        // takes its own reference for the returned handle.
        to_result(unsafe { iommufd_rs_pci_bind(segment, rid, owner, &mut out) })?;
        Ok(Self {
            raw: NonNull::new(out).ok_or(EINVAL)?,
        })
    }

    /// Binds the function whose node `fd` has open, with DMA ownership of
    /// its group for `owner`.
    pub(crate) fn bind_fd(fd: i32, owner: *mut c_void) -> Result<Self> {
        let mut out: *mut RawPci = core::ptr::null_mut();
        // SAFETY: `out` is a valid place; the C side looks the descriptor
        // up and checks it is a function node, and takes its own reference
        // for the returned handle.
        to_result(unsafe { iommufd_rs_pci_bind_fd(fd, owner, &mut out) })?;
        Ok(Self {
            raw: NonNull::new(out).ok_or(EINVAL)?,
        })
    }

    /// The C handle, for the domain functions.
    pub(crate) fn raw(&self) -> *mut RawPci {
        self.raw.as_ptr()
    }

    /// `IOMMU_HW_CAP_*` bits for IOMMU_GET_HW_INFO.
    pub(crate) fn hw_caps(&self) -> Result<u64> {
        let mut caps = 0u64;
        // SAFETY: the handle is live while `self` is; `caps` is valid.
        to_result(unsafe { iommufd_rs_pci_hw_caps(self.raw(), &mut caps) })?;
        Ok(caps)
    }

    /// IOMMU_GET_HW_INFO data of `kind` (`IOMMU_HW_INFO_TYPE_DEFAULT`: the
    /// driver's own) from a driver of this project; `None` for any other
    /// driver, which has no data to give here.
    pub(crate) fn hw_info(&self, kind: u32) -> Result<Option<provider::HwInfo>> {
        self.with_live_device(|d| provider::hw_info(d, kind))
    }

    /// The device's reserved regions, as its IOMMU driver reports them.
    pub(crate) fn resv_regions(&self) -> Result<KVVec<ResvRegion>> {
        self.with_live_device(consumer::resv_regions)
    }

    /// Calls `f` with the function's device while it is kept on this
    /// driver (its IOMMU state with it): `ENODEV` once it left the driver.
    /// `remove()` waits for `f` to return.
    pub(crate) fn with_live_device<T>(&self, f: impl FnOnce(&Device) -> Result<T>) -> Result<T> {
        // SAFETY: the handle is live while `self` is.
        to_result(unsafe { iommufd_rs_pci_get_live(self.raw()) })?;
        // SAFETY: the function is on the driver until the put below, so its
        // device (whose reference the C entry holds) is live.
        let dev = unsafe { Device::from_raw(iommufd_rs_pci_dev(self.raw())) };
        let r = f(dev);
        // SAFETY: taken above.
        unsafe { iommufd_rs_pci_put_live(self.raw()) };
        r
    }

    /// Attaches the function, and so its IOMMU group, to `dom`: the first
    /// function of a group attaches the group; a later one (of the same
    /// file, which owns the whole group) joins the domain the group is on.
    /// `EINVAL` if the group is on another domain (all of a group's
    /// functions share one; upstream iommufd answers the same).
    pub(crate) fn attach(&self, dom: &consumer::Domain) -> Result {
        self.with_live_device(|_| {
            // SAFETY: the handle and the domain are live for the call.
            to_result(unsafe { iommufd_rs_pci_attach(self.raw(), dom.as_raw()) })
        })
    }

    /// Detaches the function from `dom`; its group goes back to blocking
    /// with the last function attached. Nothing for a function that left
    /// the driver: `remove()` took it out of its group's attachment.
    pub(crate) fn detach(&self, dom: &consumer::Domain) {
        let _ = self.with_live_device(|_| {
            // SAFETY: the handle and the domain are live for the call.
            unsafe { iommufd_rs_pci_detach(self.raw(), dom.as_raw()) };
            Ok(())
        });
    }
}

impl Drop for BoundDevice {
    fn drop(&mut self) {
        // SAFETY: `raw` came from a successful bind and is released once.
        unsafe { iommufd_rs_pci_unbind(self.raw.as_ptr()) }
    }
}
