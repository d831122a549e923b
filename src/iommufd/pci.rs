// SPDX-License-Identifier: GPL-2.0

//! PCI functions handed to a file with IOMMU_DEVICE_BIND: a thin owner of
//! the C side in `pci_driver.c`, and the driver's registration.

use core::ptr::NonNull;
use kernel::{
    alloc::KVVec,
    bindings,
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

// Only pointers to the kernel's own structs cross (which the lint cannot
// tell are FFI-safe because of zero-sized members).
#[allow(improper_ctypes)]
extern "C" {
    fn iommufd_rs_pci_register(leaves: unsafe extern "C" fn(dev: *mut bindings::device)) -> c_int;
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
    fn iommufd_rs_pci_device(d: *mut RawPci) -> *mut bindings::device;
    fn iommufd_rs_pci_resv_regions(
        d: *mut RawPci,
        out: *mut ResvRegion,
        max: u32,
        count: *mut u32,
    ) -> c_int;
}

/// `struct iommufd_rs_resv` of `domain.h`: one reserved region of a device.
#[repr(C)]
#[derive(Clone, Copy, Default)]
pub(crate) struct ResvRegion {
    /// First IOVA.
    pub(crate) start: u64,
    /// Last IOVA (inclusive).
    pub(crate) last: u64,
    /// `enum iommu_resv_type`.
    pub(crate) kind: u32,
    pad: u32,
}

// The layout of `struct iommufd_rs_resv`; `domain.c` asserts the same.
const _: () = {
    assert!(core::mem::size_of::<ResvRegion>() == 24);
    assert!(core::mem::offset_of!(ResvRegion, start) == 0);
    assert!(core::mem::offset_of!(ResvRegion, last) == 8);
    assert!(core::mem::offset_of!(ResvRegion, kind) == 16);
    assert!(core::mem::offset_of!(ResvRegion, pad) == 20);
};

/// The `iommufd_rs` PCI driver, registered while this value lives.
pub(crate) struct PciDriver;

impl PciDriver {
    /// Registers the driver.
    pub(crate) fn register() -> Result<Self> {
        // SAFETY: registers a static driver object once; `Drop` unregisters.
        to_result(unsafe { iommufd_rs_pci_register(crate::provider::device_leaves_hook) })?;
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

    /// Runs `f` with the function's device, its IOMMU state (`dev->iommu`,
    /// its group) kept alive for the call: the driver's remove waits for
    /// it. `ENODEV` once the function left the driver.
    pub(crate) fn with_live_device<T>(
        &self,
        f: impl FnOnce(&kernel::device::Device) -> Result<T>,
    ) -> Result<T> {
        // SAFETY: the handle is live while `self` is.
        to_result(unsafe { iommufd_rs_pci_get_live(self.raw()) })?;
        // SAFETY: the function's device lives as long as the handle, which
        // holds a reference to it.
        let dev = unsafe { kernel::device::Device::from_raw(iommufd_rs_pci_device(self.raw())) };
        let r = f(dev);
        // SAFETY: taken above.
        unsafe { iommufd_rs_pci_put_live(self.raw()) };
        r
    }

    /// The device's reserved regions, as its IOMMU driver reports them.
    pub(crate) fn resv_regions(&self) -> Result<KVVec<ResvRegion>> {
        let mut count = 0u32;
        // SAFETY: with `max` 0 nothing is written to `out`; `count` is valid.
        to_result(unsafe {
            iommufd_rs_pci_resv_regions(self.raw(), core::ptr::null_mut(), 0, &mut count)
        })?;
        let mut v = KVVec::new();
        // Regions can change between the two calls (hotplug of a firmware
        // region is not a thing, but be exact): retry with the new count.
        loop {
            let n = count;
            v.clear();
            v.reserve(n as usize, GFP_KERNEL)?;
            for _ in 0..n {
                v.push(ResvRegion::default(), GFP_KERNEL)?;
            }
            // SAFETY: `v` has room for `n` entries of the C layout.
            to_result(unsafe {
                iommufd_rs_pci_resv_regions(self.raw(), v.as_mut_ptr(), n, &mut count)
            })?;
            if count <= n {
                v.truncate(count as usize);
                return Ok(v);
            }
        }
    }
}

impl Drop for BoundDevice {
    fn drop(&mut self) {
        // SAFETY: `raw` came from a successful bind and is released once.
        unsafe { iommufd_rs_pci_unbind(self.raw.as_ptr()) }
    }
}
