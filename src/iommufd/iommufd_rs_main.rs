// SPDX-License-Identifier: GPL-2.0

//! iommufd-rs: an iommufd-style I/O address space for VMMs.
//!
//! The module registers a misc device (by default `/dev/iommu`) whose ioctl
//! interface is binary-compatible with upstream iommufd's UAPI for the commands
//! it implements, plus the extensions described in `Documentation/uapi.rst`.
//! This file holds the module entry point only; each concept has its own file.

use kernel::{
    ffi::c_char,
    miscdevice::{
        MiscDeviceOptions,
        MiscDeviceRegistration, //
    },
    prelude::*, //
};

#[cfg(iommufd_rs_test)]
mod check;
mod device;
mod domain;
mod file;
mod hwpt;
mod ioas;
#[path = "../iova_space/mod.rs"]
mod iova_space;
mod irqs;
mod kalloc;
#[path = "../kernel_ext/mod.rs"]
mod kernel_ext;
mod object;
mod pages;
mod pci;
mod provider;
// The provider interface smmu_rs compiles too; each crate uses its side.
#[allow(dead_code)]
#[path = "../provider_abi/mod.rs"]
mod provider_abi;
mod uapi;
mod ucmd;
mod vconfig;
mod veventq;
mod vfio_device;
mod vfio_uapi;
mod viommu;

module! {
    type: IommufdRsModule,
    name: "iommufd_rs",
    authors: ["iommufd-rs developers"],
    description: "iommufd-style I/O address spaces with nested SMMUv3 and a user-placed MSI window",
    license: "GPL",
    imports_ns: ["IOMMUFD_RS"],
}

extern "C" {
    /// Defined in `module_params.c`: the `devname` module parameter.
    fn iommufd_rs_devname() -> *const c_char;
}

/// The loaded module: the PCI driver devices are bound to, and the misc
/// device. Fields drop in order: the misc device goes first; it cannot have
/// open files then (they pin the module), so no device is bound when the
/// PCI driver goes.
#[pin_data]
struct IommufdRsModule {
    #[pin]
    _miscdev: MiscDeviceRegistration<file::IommufdFile>,
    _pci: pci::PciDriver,
}

impl kernel::InPlaceModule for IommufdRsModule {
    fn init(module: &'static ThisModule) -> impl PinInit<Self, Error> {
        // SAFETY: `iommufd_rs_devname()` returns the `devname` charp parameter,
        // a valid NUL-terminated string (the default literal or a copy made by
        // the parameter code at load). The parameter is 0444, so nothing can
        // change or free it before the module is unloaded, which outlives the
        // registration that borrows it.
        let name: &'static CStr = unsafe { CStr::from_char_ptr(iommufd_rs_devname()) };
        pr_info!("registering /dev/{}\n", name.to_str().unwrap_or("?"));
        try_pin_init!(Self {
            _pci: pci::PciDriver::register(module)?,
            _miscdev <- MiscDeviceRegistration::register(MiscDeviceOptions { name }),
        })
    }
}
