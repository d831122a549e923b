// SPDX-License-Identifier: GPL-2.0

//! VFIO's device UAPI (`<uapi/linux/vfio.h>` of Linux 7.3), the part a
//! device node speaks in cdev mode: ioctl numbers, the structs with their C
//! offsets (checked here; 7.3's kernel crate does not generate bindings for
//! `vfio.h`), and the region and interrupt indexes of a PCI device.

use kernel::{
    ioctl::_IO,
    transmute::{
        AsBytes,
        FromBytes, //
    }, //
};

const VFIO_TYPE: u32 = b';' as u32;
const VFIO_BASE: u32 = 100;

/// `VFIO_DEVICE_GET_INFO`.
pub(crate) const DEVICE_GET_INFO: u32 = _IO(VFIO_TYPE, VFIO_BASE + 7);
/// `VFIO_DEVICE_GET_REGION_INFO`.
pub(crate) const DEVICE_GET_REGION_INFO: u32 = _IO(VFIO_TYPE, VFIO_BASE + 8);
/// `VFIO_DEVICE_GET_IRQ_INFO`.
pub(crate) const DEVICE_GET_IRQ_INFO: u32 = _IO(VFIO_TYPE, VFIO_BASE + 9);
/// `VFIO_DEVICE_SET_IRQS`.
pub(crate) const DEVICE_SET_IRQS: u32 = _IO(VFIO_TYPE, VFIO_BASE + 10);
/// `VFIO_DEVICE_RESET`.
pub(crate) const DEVICE_RESET: u32 = _IO(VFIO_TYPE, VFIO_BASE + 11);
/// `VFIO_DEVICE_BIND_IOMMUFD`.
pub(crate) const DEVICE_BIND_IOMMUFD: u32 = _IO(VFIO_TYPE, VFIO_BASE + 18);
/// `VFIO_DEVICE_ATTACH_IOMMUFD_PT`.
pub(crate) const DEVICE_ATTACH_IOMMUFD_PT: u32 = _IO(VFIO_TYPE, VFIO_BASE + 19);
/// `VFIO_DEVICE_DETACH_IOMMUFD_PT`.
pub(crate) const DEVICE_DETACH_IOMMUFD_PT: u32 = _IO(VFIO_TYPE, VFIO_BASE + 20);

/// `VFIO_DEVICE_BIND_FLAG_TOKEN`.
pub(crate) const BIND_FLAG_TOKEN: u32 = 1 << 0;
/// `VFIO_DEVICE_ATTACH_PASID` (and `VFIO_DEVICE_DETACH_PASID`).
pub(crate) const ATTACH_PASID: u32 = 1 << 0;

/// `VFIO_DEVICE_FLAGS_PCI`.
pub(crate) const DEVICE_FLAGS_PCI: u32 = 1 << 1;

/// `VFIO_REGION_INFO_FLAG_READ`.
pub(crate) const REGION_INFO_FLAG_READ: u32 = 1 << 0;
/// `VFIO_REGION_INFO_FLAG_WRITE`.
pub(crate) const REGION_INFO_FLAG_WRITE: u32 = 1 << 1;
/// `VFIO_REGION_INFO_FLAG_MMAP`.
pub(crate) const REGION_INFO_FLAG_MMAP: u32 = 1 << 2;

/// `VFIO_IRQ_INFO_EVENTFD`.
pub(crate) const IRQ_INFO_EVENTFD: u32 = 1 << 0;
/// `VFIO_IRQ_INFO_MASKABLE`.
pub(crate) const IRQ_INFO_MASKABLE: u32 = 1 << 1;
/// `VFIO_IRQ_INFO_AUTOMASKED`.
pub(crate) const IRQ_INFO_AUTOMASKED: u32 = 1 << 2;
/// `VFIO_IRQ_INFO_NORESIZE`.
pub(crate) const IRQ_INFO_NORESIZE: u32 = 1 << 3;

/// `VFIO_IRQ_SET_DATA_NONE`.
pub(crate) const IRQ_SET_DATA_NONE: u32 = 1 << 0;
/// `VFIO_IRQ_SET_DATA_BOOL`.
pub(crate) const IRQ_SET_DATA_BOOL: u32 = 1 << 1;
/// `VFIO_IRQ_SET_DATA_EVENTFD`.
pub(crate) const IRQ_SET_DATA_EVENTFD: u32 = 1 << 2;
/// `VFIO_IRQ_SET_ACTION_MASK`.
pub(crate) const IRQ_SET_ACTION_MASK: u32 = 1 << 3;
/// `VFIO_IRQ_SET_ACTION_UNMASK`.
pub(crate) const IRQ_SET_ACTION_UNMASK: u32 = 1 << 4;
/// `VFIO_IRQ_SET_ACTION_TRIGGER`.
pub(crate) const IRQ_SET_ACTION_TRIGGER: u32 = 1 << 5;
/// `VFIO_IRQ_SET_DATA_TYPE_MASK`.
pub(crate) const IRQ_SET_DATA_TYPE_MASK: u32 =
    IRQ_SET_DATA_NONE | IRQ_SET_DATA_BOOL | IRQ_SET_DATA_EVENTFD;
/// `VFIO_IRQ_SET_ACTION_TYPE_MASK`.
pub(crate) const IRQ_SET_ACTION_TYPE_MASK: u32 =
    IRQ_SET_ACTION_MASK | IRQ_SET_ACTION_UNMASK | IRQ_SET_ACTION_TRIGGER;

/// `VFIO_PCI_ROM_REGION_INDEX`.
pub(crate) const PCI_ROM_REGION_INDEX: u32 = 6;
/// `VFIO_PCI_CONFIG_REGION_INDEX`.
pub(crate) const PCI_CONFIG_REGION_INDEX: u32 = 7;
/// `VFIO_PCI_NUM_REGIONS`.
pub(crate) const PCI_NUM_REGIONS: u32 = 9;

/// `VFIO_PCI_INTX_IRQ_INDEX`.
pub(crate) const PCI_INTX_IRQ_INDEX: u32 = 0;
/// `VFIO_PCI_MSI_IRQ_INDEX`.
pub(crate) const PCI_MSI_IRQ_INDEX: u32 = 1;
/// `VFIO_PCI_ERR_IRQ_INDEX`.
pub(crate) const PCI_ERR_IRQ_INDEX: u32 = 3;
/// `VFIO_PCI_REQ_IRQ_INDEX`.
pub(crate) const PCI_REQ_IRQ_INDEX: u32 = 4;
/// `VFIO_PCI_NUM_IRQS`.
pub(crate) const PCI_NUM_IRQS: u32 = 5;

/// A region's offset in the device file: `VFIO_PCI_INDEX_TO_OFFSET()`.
pub(crate) const PCI_OFFSET_SHIFT: u32 = 40;

/// Declares `repr(C)` UAPI structs of integers without padding, each field
/// with its C offset, checked at compile time, and the struct's size.
macro_rules! vfio_structs {
    ($($(#[$m:meta])* $name:ident (size $size:literal) { $($f:ident : $t:ty = $off:literal),* $(,)? })*) => {$(
        $(#[$m])*
        #[repr(C)]
        #[derive(Clone, Copy, Default)]
        pub(crate) struct $name {
            $(pub(crate) $f: $t),*
        }

        // SAFETY: `repr(C)` integers filling the struct (checked below),
        // so every bit pattern is valid.
        unsafe impl FromBytes for $name {}
        // SAFETY: as above: no padding, so every byte is initialised.
        unsafe impl AsBytes for $name {}

        const _: () = {
            $(assert!(core::mem::offset_of!($name, $f) == $off);)*
            assert!(core::mem::size_of::<$name>() == $size);
            assert!(0 $(+ core::mem::size_of::<$t>())* == $size);
        };
    )*};
}

vfio_structs! {
    /// `struct vfio_device_bind_iommufd`.
    BindIommufd (size 24) {
        argsz: u32 = 0,
        flags: u32 = 4,
        iommufd: i32 = 8,
        out_devid: u32 = 12,
        token_uuid_ptr: u64 = 16,
    }
    /// `struct vfio_device_attach_iommufd_pt`.
    AttachIommufdPt (size 16) {
        argsz: u32 = 0,
        flags: u32 = 4,
        pt_id: u32 = 8,
        pasid: u32 = 12,
    }
    /// `struct vfio_device_detach_iommufd_pt`.
    DetachIommufdPt (size 12) {
        argsz: u32 = 0,
        flags: u32 = 4,
        pasid: u32 = 8,
    }
    /// `struct vfio_device_info`.
    DeviceInfo (size 24) {
        argsz: u32 = 0,
        flags: u32 = 4,
        num_regions: u32 = 8,
        num_irqs: u32 = 12,
        cap_offset: u32 = 16,
        pad: u32 = 20,
    }
    /// `struct vfio_region_info`.
    RegionInfo (size 32) {
        argsz: u32 = 0,
        flags: u32 = 4,
        index: u32 = 8,
        cap_offset: u32 = 12,
        size: u64 = 16,
        offset: u64 = 24,
    }
    /// `struct vfio_irq_info`.
    IrqInfo (size 16) {
        argsz: u32 = 0,
        flags: u32 = 4,
        index: u32 = 8,
        count: u32 = 12,
    }
    /// `struct vfio_irq_set` without its `data[]`.
    IrqSet (size 20) {
        argsz: u32 = 0,
        flags: u32 = 4,
        index: u32 = 8,
        start: u32 = 12,
        count: u32 = 16,
    }
}
