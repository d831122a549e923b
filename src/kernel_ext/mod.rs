// SPDX-License-Identifier: GPL-2.0

//! What the module needs from the kernel and Linux 7.3's kernel crate does
//! not have yet, one abstraction per file, each shaped as it could be
//! proposed for `rust/kernel/`: safe types over the generated bindings, and
//! over the module's C shims (`src/iommufd/helpers.c`, for static inlines and
//! macros) and GUP loops (`src/iommufd/gup.c`) where bindgen cannot reach. The
//! `unsafe` these need lives here, not in the files that use them.

pub(crate) mod anon_file;
pub(crate) mod capability;
pub(crate) mod chrdev;
pub(crate) mod eventfd;
pub(crate) mod fault_point;
pub(crate) mod gup;
pub(crate) mod iommu;
pub(crate) mod locked_vm;
pub(crate) mod memfd;
pub(crate) mod misc_file;
pub(crate) mod mmio_vma;
pub(crate) mod msi;
pub(crate) mod nest_lock;
pub(crate) mod pci_bar;
pub(crate) mod pci_function;
pub(crate) mod pci_owned_driver;
pub(crate) mod ratelimited;
pub(crate) mod sched;
pub(crate) mod uaccess;
pub(crate) mod user;

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
