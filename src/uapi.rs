// SPDX-License-Identifier: GPL-2.0

//! The binary interface: command numbers and `#[repr(C)]` structs, identical
//! to `include/uapi/linux/iommufd.h` of Linux 7.3 and to this project's
//! `include/uapi/iommufd_rs.h` (whose layout `make check` proves equal to
//! upstream's). Every command struct starts with `size: u32`.

use kernel::{
    ioctl::_IO,
    transmute::{
        AsBytes,
        FromBytes, //
    },
};

/// The ioctl type of every command (`IOMMUFD_TYPE`, `';'`).
pub(crate) const IOMMUFD_TYPE: u32 = b';' as u32;

/// Declares command structs as plain old data for user copies.
macro_rules! uapi_structs {
    ($($(#[$m:meta])* struct $name:ident ($size:expr) { $($(#[$fm:meta])* $f:ident : $t:ty,)* })*) => {$(
        $(#[$m])*
        #[repr(C)]
        #[derive(Clone, Copy, Default)]
        pub(crate) struct $name { $($(#[$fm])* pub(crate) $f: $t,)* }

        // SAFETY: `repr(C)` with integer fields only, laid out without
        // padding (the size assertion below proves the fields fill it), so
        // every bit pattern is valid and there is no interior mutability.
        unsafe impl FromBytes for $name {}
        // SAFETY: as above: no padding, so every byte is initialised.
        unsafe impl AsBytes for $name {}

        const _: () = assert!(
            core::mem::size_of::<$name>() == $size
                && core::mem::size_of::<$name>() == 0 $(+ core::mem::size_of::<$t>())*
        );
    )*};
}

uapi_structs! {
    /// `struct iommu_destroy`.
    struct IommuDestroy (8) {
        /// Struct size known to userspace.
        size: u32,
        /// Object to destroy.
        id: u32,
    }

    /// `struct iommu_ioas_alloc`.
    struct IommuIoasAlloc (12) {
        /// Struct size known to userspace.
        size: u32,
        /// Must be 0.
        flags: u32,
        /// The new IOAS.
        out_ioas_id: u32,
    }

    /// `struct iommu_iova_range`.
    struct IommuIovaRange (16) {
        /// First IOVA.
        start: u64,
        /// Last IOVA (inclusive).
        last: u64,
    }

    /// `struct iommu_ioas_iova_ranges`.
    struct IommuIoasIovaRanges (32) {
        /// Struct size known to userspace.
        size: u32,
        /// The IOAS.
        ioas_id: u32,
        /// In: capacity of the array; out: number of ranges.
        num_iovas: u32,
        /// Must be 0.
        reserved: u32,
        /// User pointer to `struct iommu_iova_range[]`.
        allowed_iovas: u64,
        /// Out: required IOVA alignment.
        out_iova_alignment: u64,
    }

    /// `struct iommu_ioas_allow_iovas`.
    struct IommuIoasAllowIovas (24) {
        /// Struct size known to userspace.
        size: u32,
        /// The IOAS.
        ioas_id: u32,
        /// Number of ranges.
        num_iovas: u32,
        /// Must be 0.
        reserved: u32,
        /// User pointer to `struct iommu_iova_range[]`.
        allowed_iovas: u64,
    }

    /// `struct iommu_ioas_map`.
    struct IommuIoasMap (40) {
        /// Struct size known to userspace.
        size: u32,
        /// `IOMMU_IOAS_MAP_*`.
        flags: u32,
        /// The IOAS.
        ioas_id: u32,
        /// Must be 0.
        reserved: u32,
        /// User address to map.
        user_va: u64,
        /// Bytes to map.
        length: u64,
        /// In (FIXED_IOVA) or out: the IOVA.
        iova: u64,
    }

    /// `struct iommu_ioas_map_file`.
    struct IommuIoasMapFile (40) {
        /// Struct size known to userspace.
        size: u32,
        /// `IOMMU_IOAS_MAP_*`.
        flags: u32,
        /// The IOAS.
        ioas_id: u32,
        /// The memfd.
        fd: i32,
        /// Byte offset in the file.
        start: u64,
        /// Bytes to map.
        length: u64,
        /// In (FIXED_IOVA) or out: the IOVA.
        iova: u64,
    }

    /// `struct iommu_ioas_copy`.
    struct IommuIoasCopy (40) {
        /// Struct size known to userspace.
        size: u32,
        /// `IOMMU_IOAS_MAP_*`.
        flags: u32,
        /// Destination IOAS.
        dst_ioas_id: u32,
        /// Source IOAS.
        src_ioas_id: u32,
        /// Bytes to copy.
        length: u64,
        /// In (FIXED_IOVA) or out: destination IOVA.
        dst_iova: u64,
        /// Source IOVA.
        src_iova: u64,
    }

    /// `struct iommu_ioas_unmap`.
    struct IommuIoasUnmap (24) {
        /// Struct size known to userspace.
        size: u32,
        /// The IOAS.
        ioas_id: u32,
        /// First IOVA.
        iova: u64,
        /// In: bytes; out: bytes unmapped.
        length: u64,
    }

    /// `struct iommu_hwpt_alloc`.
    struct IommuHwptAlloc (48) {
        /// Struct size known to userspace.
        size: u32,
        /// `IOMMU_HWPT_ALLOC_*`.
        flags: u32,
        /// The device the domain is for.
        dev_id: u32,
        /// The IOAS it follows.
        pt_id: u32,
        /// Out: the HWPT.
        out_hwpt_id: u32,
        /// Must be 0.
        reserved: u32,
        /// `IOMMU_HWPT_DATA_*`.
        data_type: u32,
        /// Length of the data.
        data_len: u32,
        /// User pointer to the data.
        data_uptr: u64,
        /// Fault queue (with FAULT_ID_VALID).
        fault_id: u32,
        /// Must be 0.
        reserved2: u32,
    }

    /// `struct iommu_hw_info`.
    struct IommuHwInfo (40) {
        /// Struct size known to userspace.
        size: u32,
        /// `IOMMU_HW_INFO_FLAG_*`.
        flags: u32,
        /// The bound device.
        dev_id: u32,
        /// In: user buffer length; out: the data's length.
        data_len: u32,
        /// User pointer to the buffer.
        data_uptr: u64,
        /// In (INPUT_TYPE) / out: `IOMMU_HW_INFO_TYPE_*`.
        data_type: u32,
        /// Out: log2 of the PASIDs supported.
        out_max_pasid_log2: u8,
        /// Must be 0.
        reserved: [u8; 3],
        /// Out: `IOMMU_HW_CAP_*`.
        out_capabilities: u64,
    }

    /// `struct iommu_device_bind` (extension).
    struct IommuDeviceBind (24) {
        /// Struct size known to userspace.
        size: u32,
        /// Must be 0.
        flags: u32,
        /// PCI segment (domain).
        pci_segment: u32,
        /// `bus << 8 | devfn`.
        pci_rid: u32,
        /// Out: the device object.
        out_dev_id: u32,
        /// Must be 0.
        reserved: u32,
    }

    /// `struct iommu_device_resv_regions` (extension).
    struct IommuDeviceResvRegions (24) {
        /// Struct size known to userspace.
        size: u32,
        /// `IOMMU_RESV_QUERY_*`.
        flags: u32,
        /// The bound device.
        dev_id: u32,
        /// In: capacity of the array; out: number of regions.
        num_regions: u32,
        /// User pointer to `struct iommu_resv_region[]`.
        regions_uptr: u64,
    }

    /// `struct iommu_resv_region` (extension).
    struct IommuResvRegion (24) {
        /// First IOVA.
        start: u64,
        /// Last IOVA (inclusive).
        last: u64,
        /// `enum iommu_resv_type`.
        kind: u32,
        /// `IOMMU_RESV_FLAG_*`.
        flags: u32,
    }

    /// `struct iommu_device_set_irqs` (extension).
    struct IommuDeviceSetIrqs (24) {
        /// Struct size known to userspace.
        size: u32,
        /// Must be 0.
        flags: u32,
        /// The bound, attached device.
        dev_id: u32,
        /// Number of vectors (0: free them).
        nvec: u32,
        /// User pointer to `__s32[nvec]` eventfds.
        eventfds_uptr: u64,
    }

    /// `struct iommu_device_attach` (extension).
    struct IommuDeviceAttach (24) {
        /// Struct size known to userspace.
        size: u32,
        /// Must be 0.
        flags: u32,
        /// The bound device.
        dev_id: u32,
        /// The IOAS to attach to.
        pt_id: u32,
        /// Out: the paging HWPT made for the attachment.
        out_hwpt_id: u32,
        /// Must be 0.
        reserved: u32,
    }

    /// `struct iommu_device_detach` (extension).
    struct IommuDeviceDetach (16) {
        /// Struct size known to userspace.
        size: u32,
        /// Must be 0.
        flags: u32,
        /// The bound device.
        dev_id: u32,
        /// Must be 0.
        reserved: u32,
    }

    /// `struct iommu_hwpt_translate` (diagnostic extension).
    struct IommuHwptTranslate (32) {
        /// Struct size known to userspace.
        size: u32,
        /// The HWPT.
        hwpt_id: u32,
        /// The IOVA to look up.
        iova: u64,
        /// Out: what it translates to.
        out_phys: u64,
        /// Out: leaf size, 0 when the provider cannot tell.
        out_leaf_size: u64,
    }

    /// `struct iommu_option`.
    struct IommuOption (24) {
        /// Struct size known to userspace.
        size: u32,
        /// `IOMMU_OPTION_*`.
        option_id: u32,
        /// `IOMMU_OPTION_OP_SET` or `_GET`.
        op: u16,
        /// Must be 0.
        reserved: u16,
        /// Object the option applies to (0: global).
        object_id: u32,
        /// Value in or out.
        val64: u64,
    }
}

/// `IOMMU_IOAS_MAP_FIXED_IOVA`.
pub(crate) const MAP_FIXED_IOVA: u32 = 1 << 0;
/// `IOMMU_IOAS_MAP_WRITEABLE`.
pub(crate) const MAP_WRITEABLE: u32 = 1 << 1;
/// `IOMMU_IOAS_MAP_READABLE`.
pub(crate) const MAP_READABLE: u32 = 1 << 2;

/// `IOMMU_RESV_QUERY_NEST_PARENT`: the view of a stage-2 parent.
pub(crate) const RESV_QUERY_NEST_PARENT: u32 = 1 << 0;
/// `IOMMU_RESV_FLAG_USER_WINDOW`: the SW_MSI window set by IOMMU_OPTION.
pub(crate) const RESV_FLAG_USER_WINDOW: u32 = 1 << 0;
/// `IOMMU_HW_INFO_FLAG_INPUT_TYPE`.
pub(crate) const HW_INFO_FLAG_INPUT_TYPE: u32 = 1 << 0;
/// `IOMMU_HW_INFO_TYPE_NONE` / `_DEFAULT`.
pub(crate) const HW_INFO_TYPE_DEFAULT: u32 = 0;

/// `IOMMU_HWPT_DATA_NONE`: a paging HWPT.
pub(crate) const HWPT_DATA_NONE: u32 = 0;
/// `IOMMU_HWPT_ALLOC_NEST_PARENT`.
pub(crate) const HWPT_ALLOC_NEST_PARENT: u32 = 1 << 0;

/// The most vectors a PCI function can have (MSI-X).
pub(crate) const MAX_VECTORS: u32 = 2048;

/// `IOMMU_OPTION_RLIMIT_MODE`.
pub(crate) const OPTION_RLIMIT_MODE: u32 = 0;
/// `IOMMU_OPTION_HUGE_PAGES`.
pub(crate) const OPTION_HUGE_PAGES: u32 = 1;
/// `IOMMU_OPTION_SW_MSI_START` (extension).
pub(crate) const OPTION_SW_MSI_START: u32 = 2;
/// `IOMMU_OPTION_SW_MSI_SIZE` (extension).
pub(crate) const OPTION_SW_MSI_SIZE: u32 = 3;
/// `IOMMU_OPTION_OP_SET`.
pub(crate) const OPTION_OP_SET: u16 = 0;
/// `IOMMU_OPTION_OP_GET`.
pub(crate) const OPTION_OP_GET: u16 = 1;

/// The commands this module implements: number, ioctl, minimum size (the
/// end of the last mandatory field, as upstream's `IOCTL_OP` gives it).
#[derive(Clone, Copy)]
pub(crate) enum Command {
    /// IOMMU_DESTROY.
    Destroy,
    /// IOMMU_IOAS_ALLOC.
    IoasAlloc,
    /// IOMMU_IOAS_ALLOW_IOVAS.
    IoasAllowIovas,
    /// IOMMU_IOAS_COPY.
    IoasCopy,
    /// IOMMU_IOAS_IOVA_RANGES.
    IoasIovaRanges,
    /// IOMMU_IOAS_MAP.
    IoasMap,
    /// IOMMU_IOAS_UNMAP.
    IoasUnmap,
    /// IOMMU_OPTION.
    Option,
    /// IOMMU_IOAS_MAP_FILE.
    IoasMapFile,
    /// IOMMU_HWPT_ALLOC.
    HwptAlloc,
    /// IOMMU_GET_HW_INFO.
    GetHwInfo,
    /// IOMMU_DEVICE_BIND (extension).
    DeviceBind,
    /// IOMMU_DEVICE_ATTACH (extension).
    DeviceAttach,
    /// IOMMU_DEVICE_GET_RESV_REGIONS (extension).
    DeviceGetResvRegions,
    /// IOMMU_DEVICE_SET_IRQS (extension).
    DeviceSetIrqs,
    /// IOMMU_DEVICE_DETACH (extension).
    DeviceDetach,
    /// IOMMU_HWPT_TRANSLATE (diagnostic extension).
    HwptTranslate,
}

impl Command {
    /// The command with number `nr`, if this module implements it.
    pub(crate) fn from_nr(nr: u32) -> Option<Self> {
        Some(match nr {
            0x80 => Self::Destroy,
            0x81 => Self::IoasAlloc,
            0x82 => Self::IoasAllowIovas,
            0x83 => Self::IoasCopy,
            0x84 => Self::IoasIovaRanges,
            0x85 => Self::IoasMap,
            0x86 => Self::IoasUnmap,
            0x87 => Self::Option,
            0x89 => Self::HwptAlloc,
            0x8a => Self::GetHwInfo,
            0x8f => Self::IoasMapFile,
            0xc0 => Self::DeviceBind,
            0xc1 => Self::DeviceAttach,
            0xc2 => Self::DeviceDetach,
            0xc3 => Self::DeviceGetResvRegions,
            0xc4 => Self::DeviceSetIrqs,
            0xd0 => Self::HwptTranslate,
            _ => return None,
        })
    }

    /// The full ioctl number.
    pub(crate) fn ioctl_num(self) -> u32 {
        let nr = match self {
            Self::Destroy => 0x80,
            Self::IoasAlloc => 0x81,
            Self::IoasAllowIovas => 0x82,
            Self::IoasCopy => 0x83,
            Self::IoasIovaRanges => 0x84,
            Self::IoasMap => 0x85,
            Self::IoasUnmap => 0x86,
            Self::Option => 0x87,
            Self::IoasMapFile => 0x8f,
            Self::HwptAlloc => 0x89,
            Self::GetHwInfo => 0x8a,
            Self::DeviceBind => 0xc0,
            Self::DeviceAttach => 0xc1,
            Self::DeviceDetach => 0xc2,
            Self::DeviceGetResvRegions => 0xc3,
            Self::DeviceSetIrqs => 0xc4,
            Self::HwptTranslate => 0xd0,
        };
        _IO(IOMMUFD_TYPE, nr)
    }

    /// Upstream's minimum size: the end of the last mandatory field.
    pub(crate) fn min_size(self) -> usize {
        match self {
            Self::Destroy => 8,               // id
            Self::IoasAlloc => 12,            // out_ioas_id
            Self::IoasAllowIovas => 24,       // allowed_iovas
            Self::IoasCopy => 40,             // src_iova
            Self::IoasIovaRanges => 32,       // out_iova_alignment
            Self::IoasMap => 40,              // iova
            Self::IoasUnmap => 24,            // length
            Self::Option => 24,               // val64
            Self::IoasMapFile => 40,          // iova
            Self::HwptAlloc => 24,            // __reserved
            Self::GetHwInfo => 32,            // __reserved
            Self::DeviceBind => 24,           // __reserved
            Self::DeviceAttach => 24,         // __reserved
            Self::DeviceDetach => 16,         // __reserved
            Self::DeviceGetResvRegions => 24, // regions_uptr
            Self::DeviceSetIrqs => 24,        // eventfds_uptr
            Self::HwptTranslate => 32,        // out_leaf_size
        }
    }
}
