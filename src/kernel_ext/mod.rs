// SPDX-License-Identifier: GPL-2.0

//! In-module abstractions over C APIs the kernel crate of Linux 7.3 does
//! not cover yet. Each file is one abstraction, shaped as it would be
//! proposed for `rust/kernel/`; all of the front end's `unsafe` lives here,
//! so the object files above it have none.

pub(crate) mod capability;
pub(crate) mod chrdev;
pub(crate) mod eventfd;
pub(crate) mod helpers;
pub(crate) mod iommu;
pub(crate) mod msi;
pub(crate) mod pci_function;
pub(crate) mod pci_owned_driver;

use kernel::{
    bindings,
    device::Device, //
};

/// The `struct device` behind `dev`.
///
/// `Device::as_raw()` is private to the kernel crate in 7.3; a `Device` is
/// `#[repr(transparent)]` over `Opaque<bindings::device>`, so the cast is
/// the same pointer.
pub(crate) fn device_as_raw<Ctx: kernel::device::DeviceContext>(
    dev: &Device<Ctx>,
) -> *mut bindings::device {
    core::ptr::from_ref(dev)
        .cast::<bindings::device>()
        .cast_mut()
}

/// `WARN_ON_ONCE()`: [`kernel::warn_on!`] that warns at the first true
/// `cond` of its call site only, and evaluates to `cond`.
macro_rules! warn_on_once {
    ($cond:expr) => {{
        static WARNED: core::sync::atomic::AtomicBool = core::sync::atomic::AtomicBool::new(false);
        let cond: bool = $cond;
        if cond && !WARNED.swap(true, core::sync::atomic::Ordering::Relaxed) {
            kernel::warn_on!(true);
        }
        cond
    }};
}
pub(crate) use warn_on_once;
