// SPDX-License-Identifier: GPL-2.0

//! The binary interface: command numbers and the command structs.
//!
//! Upstream's structs are bindgen's (`kernel::bindings`, generated from
//! Linux 7.3's `<uapi/linux/iommufd.h>`), wrapped to be read from and
//! written to user memory, as Rust binder wraps its UAPI types. Only this
//! project's extensions (commands 0xc0 and up, `include/uapi/iommufd_rs.h`)
//! are written here; each of their fields carries its C name and offset,
//! which Rust checks here and `tools/uapi-layout-check.py` checks against
//! the C header for the target ABI. Every command struct starts with
//! `size: u32`.

use core::ops::{
    Deref,
    DerefMut, //
};
use kernel::{
    bindings,
    ioctl::_IO,
    transmute::{
        AsBytes,
        FromBytes, //
    }, //
};

/// Wraps upstream's generated structs for user copies. Each invocation
/// lists the struct's fields: the exhaustive pattern below fails to compile
/// if bindgen's struct has a field more, a field less or one of another
/// type, and the size assertion proves that the fields fill the struct, so
/// it has no padding.
macro_rules! upstream_structs {
    ($($(#[$m:meta])* $name:ident = $raw:ident { $($f:ident : $t:ty),* $(,)? })*) => {$(
        $(#[$m])*
        #[repr(transparent)]
        #[derive(Clone, Copy, Default)]
        pub(crate) struct $name(bindings::$raw);

        // SAFETY: `repr(transparent)` over a `repr(C)` struct of integers
        // (and arrays and unions of integers) without padding (proven
        // below), so every bit pattern is valid.
        unsafe impl FromBytes for $name {}
        // SAFETY: as above: no padding, so every byte is initialised.
        unsafe impl AsBytes for $name {}

        impl Deref for $name {
            type Target = bindings::$raw;

            fn deref(&self) -> &Self::Target {
                &self.0
            }
        }

        impl DerefMut for $name {
            fn deref_mut(&mut self) -> &mut Self::Target {
                &mut self.0
            }
        }

        impl From<bindings::$raw> for $name {
            fn from(v: bindings::$raw) -> Self {
                Self(v)
            }
        }

        const _: () = {
            #[allow(dead_code)]
            fn fields_are(v: bindings::$raw) {
                let bindings::$raw { $($f),* } = v;
                $(let _: $t = $f;)*
            }
            assert!(
                core::mem::size_of::<$name>() == 0 $(+ core::mem::size_of::<$t>())*
            );
        };
    )*};
}

upstream_structs! {
    /// `struct iommu_destroy`.
    IommuDestroy = iommu_destroy { size: u32, id: u32 }
    /// `struct iommu_ioas_alloc`.
    IommuIoasAlloc = iommu_ioas_alloc { size: u32, flags: u32, out_ioas_id: u32 }
    /// `struct iommu_iova_range`.
    IommuIovaRange = iommu_iova_range { start: u64, last: u64 }
    /// `struct iommu_ioas_iova_ranges`.
    IommuIoasIovaRanges = iommu_ioas_iova_ranges {
        size: u32, ioas_id: u32, num_iovas: u32, __reserved: u32,
        allowed_iovas: u64, out_iova_alignment: u64,
    }
    /// `struct iommu_ioas_allow_iovas`.
    IommuIoasAllowIovas = iommu_ioas_allow_iovas {
        size: u32, ioas_id: u32, num_iovas: u32, __reserved: u32, allowed_iovas: u64,
    }
    /// `struct iommu_ioas_map`.
    IommuIoasMap = iommu_ioas_map {
        size: u32, flags: u32, ioas_id: u32, __reserved: u32,
        user_va: u64, length: u64, iova: u64,
    }
    /// `struct iommu_ioas_map_file`.
    IommuIoasMapFile = iommu_ioas_map_file {
        size: u32, flags: u32, ioas_id: u32, fd: i32, start: u64, length: u64, iova: u64,
    }
    /// `struct iommu_ioas_change_process`.
    IommuIoasChangeProcess = iommu_ioas_change_process { size: u32, __reserved: u32 }
    /// `struct iommu_ioas_copy`.
    IommuIoasCopy = iommu_ioas_copy {
        size: u32, flags: u32, dst_ioas_id: u32, src_ioas_id: u32,
        length: u64, dst_iova: u64, src_iova: u64,
    }
    /// `struct iommu_ioas_unmap`.
    IommuIoasUnmap = iommu_ioas_unmap { size: u32, ioas_id: u32, iova: u64, length: u64 }
    /// `struct iommu_option`.
    IommuOption = iommu_option {
        size: u32, option_id: u32, op: u16, __reserved: u16, object_id: u32, val64: u64,
    }
    /// `struct iommu_hwpt_alloc`.
    IommuHwptAlloc = iommu_hwpt_alloc {
        size: u32, flags: u32, dev_id: u32, pt_id: u32, out_hwpt_id: u32, __reserved: u32,
        data_type: u32, data_len: u32, data_uptr: u64, fault_id: u32, __reserved2: u32,
    }
    /// `struct iommu_viommu_alloc`.
    IommuViommuAlloc = iommu_viommu_alloc {
        size: u32, flags: u32, type_: u32, dev_id: u32, hwpt_id: u32, out_viommu_id: u32,
        data_len: u32, __reserved: u32, data_uptr: u64,
    }
    /// `struct iommu_vdevice_alloc`.
    IommuVdeviceAlloc = iommu_vdevice_alloc {
        size: u32, viommu_id: u32, dev_id: u32, out_vdevice_id: u32, virt_id: u64,
    }
    /// `struct iommu_veventq_alloc`.
    IommuVeventqAlloc = iommu_veventq_alloc {
        size: u32, flags: u32, viommu_id: u32, type_: u32, veventq_depth: u32,
        out_veventq_id: u32, out_veventq_fd: u32, __reserved: u32,
    }
    /// `struct iommu_hwpt_invalidate`.
    IommuHwptInvalidate = iommu_hwpt_invalidate {
        size: u32, hwpt_id: u32, data_uptr: u64, data_type: u32, entry_len: u32,
        entry_num: u32, __reserved: u32,
    }
    /// `struct iommu_hw_info`.
    IommuHwInfo = iommu_hw_info {
        size: u32, flags: u32, dev_id: u32, data_len: u32, data_uptr: u64,
        __bindgen_anon_1: bindings::iommu_hw_info__bindgen_ty_1,
        out_max_pasid_log2: u8, __reserved: [u8; 3], out_capabilities: u64,
    }
}

impl IommuHwInfo {
    /// `in_data_type` / `out_data_type`: one `__u32` under two names.
    pub(crate) fn data_type(&self) -> u32 {
        // SAFETY: both members of the union are `__u32` at offset 0, so
        // reading either reads the same initialised integer.
        unsafe { self.0.__bindgen_anon_1.in_data_type }
    }

    /// Sets `out_data_type`.
    pub(crate) fn set_data_type(&mut self, t: u32) {
        self.0.__bindgen_anon_1.out_data_type = t;
    }
}

/// Declares this project's extension structs (`include/uapi/iommufd_rs.h`).
/// Each field names its C field and offset; the assertions prove the Rust
/// layout, and `tools/uapi-layout-check.py` reads the same lines to prove
/// the C header's.
macro_rules! extension_structs {
    ($($(#[$m:meta])* struct $name:ident = $c:ident ($size:literal) {
        $($(#[$fm:meta])* $f:ident : $t:ty => $cf:tt @ $off:literal,)*
    })*) => {$(
        $(#[$m])*
        #[repr(C)]
        #[derive(Clone, Copy, Default)]
        pub(crate) struct $name { $($(#[$fm])* pub(crate) $f: $t,)* }

        // SAFETY: `repr(C)` with integer fields only, laid out without
        // padding (the assertions below prove the fields fill it), so every
        // bit pattern is valid and there is no interior mutability.
        unsafe impl FromBytes for $name {}
        // SAFETY: as above: no padding, so every byte is initialised.
        unsafe impl AsBytes for $name {}

        const _: () = {
            assert!(core::mem::size_of::<$name>() == $size);
            assert!(core::mem::size_of::<$name>() == 0 $(+ core::mem::size_of::<$t>())*);
            $(assert!(core::mem::offset_of!($name, $f) == $off);)*
        };
    )*};
}

extension_structs! {
    /// `struct iommu_device_bind`.
    struct IommuDeviceBind = iommu_device_bind (32) {
        /// Struct size known to userspace.
        size: u32 => size @ 0,
        /// `IOMMU_DEVICE_BIND_FD` or 0.
        flags: u32 => flags @ 4,
        /// PCI segment of the function (0 with `IOMMU_DEVICE_BIND_FD`).
        pci_segment: u32 => pci_segment @ 8,
        /// Bus, device and function (`PCI_DEVID`; 0 with the flag).
        pci_rid: u32 => pci_rid @ 12,
        /// Out: the device object.
        out_dev_id: u32 => out_dev_id @ 16,
        /// Must be 0.
        reserved: u32 => __reserved @ 20,
        /// With `IOMMU_DEVICE_BIND_FD`: an open descriptor of the
        /// function's node, `/dev/iommufd_rs/<PCI address>`.
        dev_fd: i32 => dev_fd @ 24,
        /// Must be 0.
        reserved2: u32 => __reserved2 @ 28,
    }

    /// `struct iommu_device_attach`.
    struct IommuDeviceAttach = iommu_device_attach (24) {
        /// Struct size known to userspace.
        size: u32 => size @ 0,
        /// Must be 0.
        flags: u32 => flags @ 4,
        /// The bound device.
        dev_id: u32 => dev_id @ 8,
        /// An IOAS or a HWPT.
        pt_id: u32 => pt_id @ 12,
        /// Out: the HWPT the device is attached to.
        out_hwpt_id: u32 => out_hwpt_id @ 16,
        /// Must be 0.
        reserved: u32 => __reserved @ 20,
    }

    /// `struct iommu_device_detach`.
    struct IommuDeviceDetach = iommu_device_detach (16) {
        /// Struct size known to userspace.
        size: u32 => size @ 0,
        /// Must be 0.
        flags: u32 => flags @ 4,
        /// The bound device.
        dev_id: u32 => dev_id @ 8,
        /// Must be 0.
        reserved: u32 => __reserved @ 12,
    }

    /// `struct iommu_resv_region`.
    struct IommuResvRegion = iommu_resv_region (24) {
        /// First IOVA.
        start: u64 => start @ 0,
        /// Last IOVA (inclusive).
        last: u64 => last @ 8,
        /// `IOMMU_RESV_TYPE_*`.
        kind: u32 => type @ 16,
        /// `IOMMU_RESV_FLAG_*`.
        flags: u32 => flags @ 20,
    }

    /// `struct iommu_device_resv_regions`.
    struct IommuDeviceResvRegions = iommu_device_resv_regions (24) {
        /// Struct size known to userspace.
        size: u32 => size @ 0,
        /// `IOMMU_RESV_QUERY_*`.
        flags: u32 => flags @ 4,
        /// The bound device.
        dev_id: u32 => dev_id @ 8,
        /// In: capacity of the array; out: number of regions.
        num_regions: u32 => num_regions @ 12,
        /// User pointer to `struct iommu_resv_region[]`.
        regions_uptr: u64 => regions_uptr @ 16,
    }

    /// `struct iommu_device_set_irqs`.
    struct IommuDeviceSetIrqs = iommu_device_set_irqs (24) {
        /// Struct size known to userspace.
        size: u32 => size @ 0,
        /// Must be 0.
        flags: u32 => flags @ 4,
        /// The bound device.
        dev_id: u32 => dev_id @ 8,
        /// Number of vectors (0: free them).
        nvec: u32 => nvec @ 12,
        /// User pointer to `__s32[nvec]` eventfds.
        eventfds_uptr: u64 => eventfds_uptr @ 16,
    }

    /// `struct iommu_hwpt_translate`.
    struct IommuHwptTranslate = iommu_hwpt_translate (32) {
        /// Struct size known to userspace.
        size: u32 => size @ 0,
        /// The HWPT.
        hwpt_id: u32 => hwpt_id @ 4,
        /// The IOVA to look up.
        iova: u64 => iova @ 8,
        /// Out: what it translates to.
        out_phys: u64 => out_phys @ 16,
        /// Out: leaf size, 0 when the provider cannot tell.
        out_leaf_size: u64 => out_leaf_size @ 24,
    }

    /// `struct iommu_test_ioas_check` (test builds only).
    #[cfg_attr(not(iommufd_rs_test), allow(dead_code))]
    struct IommuTestIoasCheck = iommu_test_ioas_check (40) {
        /// Struct size known to userspace.
        size: u32 => size @ 0,
        /// Must be 0.
        flags: u32 => flags @ 4,
        /// The IOAS.
        ioas_id: u32 => ioas_id @ 8,
        /// Entries at `probes_uptr`.
        num_probes: u32 => num_probes @ 12,
        /// User pointer to `struct iommu_iova_range[num_probes]`.
        probes_uptr: u64 => probes_uptr @ 16,
        /// Out: domains checked.
        out_domains: u32 => out_domains @ 24,
        /// Out: domains whose every leaf was enumerated.
        out_walked: u32 => out_walked @ 28,
        /// Out: leaves enumerated.
        out_leaves: u64 => out_leaves @ 32,
    }
}

/// `IOMMU_IOAS_MAP_FIXED_IOVA`.
pub(crate) const MAP_FIXED_IOVA: u32 = bindings::iommufd_ioas_map_flags_IOMMU_IOAS_MAP_FIXED_IOVA;
/// `IOMMU_IOAS_MAP_WRITEABLE`.
pub(crate) const MAP_WRITEABLE: u32 = bindings::iommufd_ioas_map_flags_IOMMU_IOAS_MAP_WRITEABLE;
/// `IOMMU_IOAS_MAP_READABLE`.
pub(crate) const MAP_READABLE: u32 = bindings::iommufd_ioas_map_flags_IOMMU_IOAS_MAP_READABLE;

/// `IOMMU_HW_INFO_FLAG_INPUT_TYPE`.
pub(crate) const HW_INFO_FLAG_INPUT_TYPE: u32 =
    bindings::iommufd_hw_info_flags_IOMMU_HW_INFO_FLAG_INPUT_TYPE;
/// `IOMMU_HW_INFO_TYPE_DEFAULT` (= `_NONE`).
pub(crate) const HW_INFO_TYPE_DEFAULT: u32 =
    bindings::iommu_hw_info_type_IOMMU_HW_INFO_TYPE_DEFAULT;

/// `IOMMU_HWPT_DATA_NONE`: a paging HWPT.
pub(crate) const HWPT_DATA_NONE: u32 = bindings::iommu_hwpt_data_type_IOMMU_HWPT_DATA_NONE;
/// `IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3`: SMMUv3 commands.
pub(crate) const VIOMMU_INVALIDATE_DATA_ARM_SMMUV3: u32 =
    bindings::iommu_hwpt_invalidate_data_type_IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3;
/// `IOMMU_VEVENTQ_TYPE_ARM_SMMUV3`.
pub(crate) const VEVENTQ_TYPE_ARM_SMMUV3: u32 =
    bindings::iommu_veventq_type_IOMMU_VEVENTQ_TYPE_ARM_SMMUV3;
/// `IOMMU_VIOMMU_TYPE_DEFAULT`.
pub(crate) const VIOMMU_TYPE_DEFAULT: u32 = bindings::iommu_viommu_type_IOMMU_VIOMMU_TYPE_DEFAULT;
/// `IOMMU_VIOMMU_TYPE_ARM_SMMUV3`.
pub(crate) const VIOMMU_TYPE_ARM_SMMUV3: u32 =
    bindings::iommu_viommu_type_IOMMU_VIOMMU_TYPE_ARM_SMMUV3;
/// `IOMMU_HWPT_ALLOC_NEST_PARENT`.
pub(crate) const HWPT_ALLOC_NEST_PARENT: u32 =
    bindings::iommufd_hwpt_alloc_flags_IOMMU_HWPT_ALLOC_NEST_PARENT;

/// `IOMMU_OPTION_RLIMIT_MODE`.
pub(crate) const OPTION_RLIMIT_MODE: u32 = bindings::iommufd_option_IOMMU_OPTION_RLIMIT_MODE;
/// `IOMMU_OPTION_HUGE_PAGES`.
pub(crate) const OPTION_HUGE_PAGES: u32 = bindings::iommufd_option_IOMMU_OPTION_HUGE_PAGES;
/// `IOMMU_OPTION_SW_MSI_START` (extension).
pub(crate) const OPTION_SW_MSI_START: u32 = 2;
/// `IOMMU_OPTION_SW_MSI_SIZE` (extension).
pub(crate) const OPTION_SW_MSI_SIZE: u32 = 3;
/// `IOMMU_OPTION_NESTED_MSI_IOVA` (extension): where a nested device's
/// guest stage 1 maps the SW_MSI window.
pub(crate) const OPTION_NESTED_MSI_IOVA: u32 = 0x80;
/// `IOMMU_OPTION_OP_SET`.
pub(crate) const OPTION_OP_SET: u16 = bindings::iommufd_option_ops_IOMMU_OPTION_OP_SET as u16;
/// `IOMMU_OPTION_OP_GET`.
pub(crate) const OPTION_OP_GET: u16 = bindings::iommufd_option_ops_IOMMU_OPTION_OP_GET as u16;

/// `IOMMU_DEVICE_BIND_FD` (extension): bind the function whose node
/// `dev_fd` is open, not one by PCI address.
pub(crate) const DEVICE_BIND_FD: u32 = 1 << 0;
/// `IOMMU_RESV_QUERY_NEST_PARENT` (extension): the view of a stage-2 parent.
pub(crate) const RESV_QUERY_NEST_PARENT: u32 = 1 << 0;
/// `IOMMU_RESV_FLAG_USER_WINDOW` (extension): the SW_MSI window set by
/// IOMMU_OPTION.
pub(crate) const RESV_FLAG_USER_WINDOW: u32 = 1 << 0;

/// The most vectors a PCI function can have (MSI-X).
pub(crate) const MAX_VECTORS: u32 = 2048;

/// The ioctl type of every command (`IOMMUFD_TYPE`, `';'`).
const IOMMUFD_TYPE: u32 = bindings::IOMMUFD_TYPE as u32;

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
    /// IOMMU_IOAS_CHANGE_PROCESS.
    IoasChangeProcess,
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
    /// IOMMU_VIOMMU_ALLOC.
    ViommuAlloc,
    /// IOMMU_VDEVICE_ALLOC.
    VdeviceAlloc,
    /// IOMMU_HWPT_INVALIDATE.
    HwptInvalidate,
    /// IOMMU_VEVENTQ_ALLOC.
    VeventqAlloc,
    /// IOMMU_TEST_IOAS_CHECK (test builds only).
    TestIoasCheck,
}

/// This project's command numbers (`IOMMUFD_RS_CMD_*` of
/// `include/uapi/iommufd_rs.h`), above upstream's.
const CMD_DEVICE_BIND: u32 = 0xc0;
const CMD_DEVICE_ATTACH: u32 = 0xc1;
const CMD_DEVICE_DETACH: u32 = 0xc2;
const CMD_DEVICE_GET_RESV_REGIONS: u32 = 0xc3;
const CMD_DEVICE_SET_IRQS: u32 = 0xc4;
const CMD_HWPT_TRANSLATE: u32 = 0xd0;
const CMD_TEST_IOAS_CHECK: u32 = 0xe0;

impl Command {
    /// Every command.
    const ALL: [Self; 23] = [
        Self::Destroy,
        Self::IoasAlloc,
        Self::IoasAllowIovas,
        Self::IoasChangeProcess,
        Self::IoasCopy,
        Self::IoasIovaRanges,
        Self::IoasMap,
        Self::IoasUnmap,
        Self::Option,
        Self::IoasMapFile,
        Self::HwptAlloc,
        Self::GetHwInfo,
        Self::DeviceBind,
        Self::DeviceAttach,
        Self::DeviceGetResvRegions,
        Self::DeviceSetIrqs,
        Self::DeviceDetach,
        Self::HwptTranslate,
        Self::ViommuAlloc,
        Self::VdeviceAlloc,
        Self::HwptInvalidate,
        Self::VeventqAlloc,
        Self::TestIoasCheck,
    ];

    /// The command number (`_IOC_NR`).
    fn nr(self) -> u32 {
        match self {
            Self::Destroy => bindings::IOMMUFD_CMD_DESTROY,
            Self::IoasAlloc => bindings::IOMMUFD_CMD_IOAS_ALLOC,
            Self::IoasAllowIovas => bindings::IOMMUFD_CMD_IOAS_ALLOW_IOVAS,
            Self::IoasChangeProcess => bindings::IOMMUFD_CMD_IOAS_CHANGE_PROCESS,
            Self::IoasCopy => bindings::IOMMUFD_CMD_IOAS_COPY,
            Self::IoasIovaRanges => bindings::IOMMUFD_CMD_IOAS_IOVA_RANGES,
            Self::IoasMap => bindings::IOMMUFD_CMD_IOAS_MAP,
            Self::IoasUnmap => bindings::IOMMUFD_CMD_IOAS_UNMAP,
            Self::Option => bindings::IOMMUFD_CMD_OPTION,
            Self::IoasMapFile => bindings::IOMMUFD_CMD_IOAS_MAP_FILE,
            Self::HwptAlloc => bindings::IOMMUFD_CMD_HWPT_ALLOC,
            Self::GetHwInfo => bindings::IOMMUFD_CMD_GET_HW_INFO,
            Self::DeviceBind => CMD_DEVICE_BIND,
            Self::DeviceAttach => CMD_DEVICE_ATTACH,
            Self::DeviceDetach => CMD_DEVICE_DETACH,
            Self::DeviceGetResvRegions => CMD_DEVICE_GET_RESV_REGIONS,
            Self::DeviceSetIrqs => CMD_DEVICE_SET_IRQS,
            Self::HwptTranslate => CMD_HWPT_TRANSLATE,
            Self::ViommuAlloc => bindings::IOMMUFD_CMD_VIOMMU_ALLOC,
            Self::VdeviceAlloc => bindings::IOMMUFD_CMD_VDEVICE_ALLOC,
            Self::HwptInvalidate => bindings::IOMMUFD_CMD_HWPT_INVALIDATE,
            Self::VeventqAlloc => bindings::IOMMUFD_CMD_VEVENTQ_ALLOC,
            Self::TestIoasCheck => CMD_TEST_IOAS_CHECK,
        }
    }

    /// Whether this build has the command: the test commands only exist
    /// in modules built for testing (`--cfg iommufd_rs_test`, see `Kbuild`).
    fn built(self) -> bool {
        !matches!(self, Self::TestIoasCheck) || cfg!(iommufd_rs_test)
    }

    /// The command with number `nr`, if this module implements it.
    pub(crate) fn from_nr(nr: u32) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.built() && c.nr() == nr)
    }

    /// The full ioctl number.
    pub(crate) fn ioctl_num(self) -> u32 {
        _IO(IOMMUFD_TYPE, self.nr())
    }

    /// Upstream's minimum size: the end of the last mandatory field.
    pub(crate) fn min_size(self) -> usize {
        match self {
            Self::Destroy => 8,               // id
            Self::IoasAlloc => 12,            // out_ioas_id
            Self::IoasAllowIovas => 24,       // allowed_iovas
            Self::IoasChangeProcess => 8,     // __reserved
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
            Self::ViommuAlloc => 24,          // out_viommu_id
            Self::VdeviceAlloc => 24,         // virt_id
            Self::HwptInvalidate => 32,       // __reserved
            Self::VeventqAlloc => 28,         // out_veventq_fd
            Self::TestIoasCheck => 40,        // out_leaves
        }
    }
}
