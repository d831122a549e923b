// SPDX-License-Identifier: GPL-2.0

//! The binary interface: command numbers and `#[repr(C)]` structs, identical
//! to `include/uapi/linux/iommufd.h` of Linux 7.3 and to this project's
//! `include/uapi/iommufd_rs.h`. Every struct starts with `size: u32`.

use kernel::{
    ioctl::_IO,
    transmute::{
        AsBytes,
        FromBytes, //
    },
};

/// The ioctl type of every command (`IOMMUFD_TYPE`, `';'`).
pub(crate) const IOMMUFD_TYPE: u32 = b';' as u32;

/// `IOMMUFD_CMD_DESTROY`.
pub(crate) const IOMMUFD_CMD_DESTROY: u32 = 0x80;

/// `IOMMU_DESTROY`.
pub(crate) const IOMMU_DESTROY: u32 = _IO(IOMMUFD_TYPE, IOMMUFD_CMD_DESTROY);

/// `struct iommu_destroy`: destroy any object by id.
#[repr(C)]
#[derive(Clone, Copy, Default)]
pub(crate) struct IommuDestroy {
    /// `sizeof(struct iommu_destroy)` as known to userspace.
    pub(crate) size: u32,
    /// The object to destroy.
    pub(crate) id: u32,
}

// SAFETY: `IommuDestroy` is `repr(C)` with two `u32` fields: no padding, and
// every bit pattern is a valid value; it has no interior mutability.
unsafe impl FromBytes for IommuDestroy {}
// SAFETY: as above, no padding bytes, so every byte is initialised.
unsafe impl AsBytes for IommuDestroy {}

const _: () = assert!(core::mem::size_of::<IommuDestroy>() == 8);
