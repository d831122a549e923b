// SPDX-License-Identifier: GPL-2.0

//! The front end's calls into the provider of a device's IOMMU driver
//! (`iommufd_rs_driver.h`) that are not vIOMMU objects: the nest-parent
//! geometry, nested domains and their MSI window, leaf-size translation
//! and IOMMU_GET_HW_INFO data. They go through `viommu.c` until the
//! provider interface is a Rust definition; each answers `EOPNOTSUPP` for
//! a driver without a provider where the caller has a generic answer.
//!
//! Calls taking a device are made with the device kept on the driver
//! ([`crate::pci::BoundDevice::with_live_device`]).

use crate::{
    domain::Geometry,
    kernel_ext::{
        device_as_raw,
        iommu::consumer, //
    },
    viommu::{
        RawViommu,
        Viommu, //
    },
};
use core::ptr::NonNull;
use kernel::{
    bindings,
    device::Device,
    error::{
        from_err_ptr,
        to_result, //
    },
    ffi::{
        c_int,
        c_void, //
    },
    prelude::*, //
};

// The bindings' structs hold a field-less struct (`sched_statistics`
// without CONFIG_SCHEDSTATS), which the lint flags even behind a pointer;
// only pointers to them cross here.
#[allow(improper_ctypes)]
extern "C" {
    fn iommufd_rs_domain_translate(
        dom: *mut bindings::iommu_domain,
        iova: u64,
        phys: *mut u64,
        leaf_size: *mut u64,
    ) -> c_int;
    fn iommufd_rs_nest_parent_geometry(dev: *mut bindings::device, geo: *mut Geometry) -> c_int;
    fn iommufd_rs_hw_info(
        dev: *mut bindings::device,
        kind: *mut u32,
        length: *mut u32,
    ) -> *mut c_void;
    fn iommufd_rs_hw_info_free(data: *mut c_void);
    fn iommufd_rs_domain_nested_msi(
        dom: *mut bindings::iommu_domain,
        giova: u64,
        ipa: u64,
        size: u64,
    ) -> c_int;
    fn iommufd_rs_viommu_device_leaves(dev: *mut bindings::device);
    fn iommufd_rs_domain_alloc_nested(
        v: *mut RawViommu,
        dev: *mut bindings::device,
        flags: u32,
        data_type: u32,
        uptr: u64,
        len: u32,
        err: *mut c_int,
    ) -> *mut bindings::iommu_domain;
}

/// The geometry a nest-parent domain for `dev` would have, without
/// allocating one; `EOPNOTSUPP` for a driver without a provider.
pub(crate) fn nest_parent_geometry(dev: &Device) -> Result<Geometry> {
    let mut geo = Geometry::default();
    // SAFETY: `dev` is kept on the driver by the caller; `geo` is a valid
    // place of the provider's layout.
    to_result(unsafe { iommufd_rs_nest_parent_geometry(device_as_raw(dev), &mut geo) })?;
    Ok(geo)
}

/// A nested domain for `dev` on `viommu` from the user's data
/// (`data_type`, `len` bytes at `uptr`).
pub(crate) fn alloc_nested(
    viommu: &Viommu,
    dev: &Device,
    flags: u32,
    data: (u32, u64, u32),
) -> Result<consumer::Domain> {
    let (data_type, uptr, len) = data;
    let mut err: c_int = 0;
    // SAFETY: the vIOMMU is live, `dev` kept on the driver by the caller;
    // the driver copies the user's data with the uaccess helpers; `err` is
    // a valid place.
    let raw = unsafe {
        iommufd_rs_domain_alloc_nested(
            viommu.raw(),
            device_as_raw(dev),
            flags,
            data_type,
            uptr,
            len,
            &mut err,
        )
    };
    match NonNull::new(raw) {
        // SAFETY: a new domain the caller owns, with its driver's module
        // pinned for it (`iommufd_rs_domain_alloc_nested()`).
        Some(raw) => unsafe { consumer::Domain::from_raw(raw) },
        None => Err(if err < 0 {
            Error::from_errno(err)
        } else {
            ENOMEM
        }),
    }
}

/// Places a nested domain's MSI doorbells (see
/// [`crate::domain::Domain::set_nested_msi_window`]).
pub(crate) fn nested_msi_window(dom: &consumer::Domain, giova: u64, ipa: u64, size: u64) -> Result {
    // SAFETY: the domain is live; the provider checks it is a nested one.
    to_result(unsafe { iommufd_rs_domain_nested_msi(dom.as_raw(), giova, ipa, size) })
}

/// What `iova` translates to and the size of its leaf, from the domain's
/// provider; `EOPNOTSUPP` for a driver without one, `ENOENT` if nothing is
/// mapped there.
pub(crate) fn translate(dom: &consumer::Domain, iova: u64) -> Result<(u64, u64)> {
    let (mut phys, mut leaf) = (0u64, 0u64);
    // SAFETY: the domain is live; `phys` and `leaf` are valid places.
    to_result(unsafe { iommufd_rs_domain_translate(dom.as_raw(), iova, &mut phys, &mut leaf) })?;
    Ok((phys, leaf))
}

/// IOMMU_GET_HW_INFO data a device's IOMMU driver gave; freed on drop.
///
/// # Invariants
///
/// `data` points at `len` bytes the driver allocated for this value alone.
pub(crate) struct HwInfo {
    data: NonNull<u8>,
    len: usize,
    /// `IOMMU_HW_INFO_TYPE_*` of the data.
    pub(crate) kind: u32,
}

impl HwInfo {
    /// The data.
    pub(crate) fn bytes(&self) -> &[u8] {
        // SAFETY: `data` holds `len` initialised bytes owned by `self`
        // (type invariant), not written while `self` lives.
        unsafe { core::slice::from_raw_parts(self.data.as_ptr(), self.len) }
    }
}

impl Drop for HwInfo {
    fn drop(&mut self) {
        // SAFETY: allocated by `iommufd_rs_hw_info()`, freed once.
        unsafe { iommufd_rs_hw_info_free(self.data.as_ptr().cast()) }
    }
}

/// IOMMU_GET_HW_INFO data of `kind` (`IOMMU_HW_INFO_TYPE_DEFAULT`: the
/// driver's own) for `dev`, kept on the driver by the caller; `None` for a
/// driver without a provider, which has no data to give here.
pub(crate) fn hw_info(dev: &Device, kind: u32) -> Result<Option<HwInfo>> {
    let (mut kind, mut len) = (kind, 0u32);
    // SAFETY: `dev` is kept on the driver by the caller; `kind` and `len`
    // are valid places.
    let data = unsafe { iommufd_rs_hw_info(device_as_raw(dev), &mut kind, &mut len) };
    if data.is_null() {
        return Ok(None);
    }
    let data = from_err_ptr(data)?;
    // INVARIANT: a non-error answer is `len` bytes the driver allocated.
    Ok(NonNull::new(data.cast::<u8>()).map(|data| HwInfo {
        data,
        len: len as usize,
        kind,
    }))
}

/// A function leaves the file holding it, being removed from the driver:
/// the virtual ids the file gave it go with it, in its IOMMU driver (see
/// `iommufd_rs_viommu_device_leaves()`). Nothing for a driver without a
/// provider.
pub(crate) fn device_leaves(dev: &Device) {
    // SAFETY: `dev` is being removed from the driver, which holds it for
    // the call.
    unsafe { iommufd_rs_viommu_device_leaves(device_as_raw(dev)) }
}
