/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * iommufd-rs UAPI: upstream iommufd's commands (Linux 7.3
 * include/uapi/linux/iommufd.h) for what this module implements, with the
 * same numbers and structs, plus this project's extensions.
 *
 * This header stands alone: do not include <linux/iommufd.h> with it.
 * See Documentation/uapi.rst.
 */
#ifndef _UAPI_IOMMUFD_RS_H
#define _UAPI_IOMMUFD_RS_H

#include <linux/ioctl.h>
#include <linux/types.h>

#ifdef _UAPI_IOMMUFD_H
#error "include either <linux/iommufd.h> or <iommufd_rs.h>, not both"
#endif

#define IOMMUFD_TYPE (';')

/* Command numbers: upstream's (Linux 7.3), then this project's extensions. */
enum {
	IOMMUFD_CMD_BASE = 0x80,
	IOMMUFD_CMD_DESTROY = IOMMUFD_CMD_BASE,
	IOMMUFD_CMD_IOAS_ALLOC = 0x81,
	IOMMUFD_CMD_IOAS_ALLOW_IOVAS = 0x82,
	IOMMUFD_CMD_IOAS_COPY = 0x83,
	IOMMUFD_CMD_IOAS_IOVA_RANGES = 0x84,
	IOMMUFD_CMD_IOAS_MAP = 0x85,
	IOMMUFD_CMD_IOAS_UNMAP = 0x86,
	IOMMUFD_CMD_OPTION = 0x87,
	IOMMUFD_CMD_HWPT_ALLOC = 0x89,
	IOMMUFD_CMD_GET_HW_INFO = 0x8a,
	IOMMUFD_CMD_HWPT_INVALIDATE = 0x8d,
	IOMMUFD_CMD_IOAS_MAP_FILE = 0x8f,
	IOMMUFD_CMD_VIOMMU_ALLOC = 0x90,
	IOMMUFD_CMD_VDEVICE_ALLOC = 0x91,
	IOMMUFD_CMD_IOAS_CHANGE_PROCESS = 0x92,
	IOMMUFD_CMD_VEVENTQ_ALLOC = 0x93,
	/* iommufd-rs extensions */
	IOMMUFD_RS_CMD_BASE = 0xc0,
	IOMMUFD_RS_CMD_DEVICE_BIND = IOMMUFD_RS_CMD_BASE,
	IOMMUFD_RS_CMD_DEVICE_ATTACH = 0xc1,
	IOMMUFD_RS_CMD_DEVICE_DETACH = 0xc2,
	IOMMUFD_RS_CMD_DEVICE_GET_RESV_REGIONS = 0xc3,
	IOMMUFD_RS_CMD_DEVICE_SET_IRQS = 0xc4,
	IOMMUFD_RS_CMD_HWPT_TRANSLATE = 0xd0,
	/* Test builds only (see struct iommu_test_ioas_check) */
	IOMMUFD_RS_CMD_TEST_IOAS_CHECK = 0xe0,
};

/**
 * struct iommu_destroy - ioctl(IOMMU_DESTROY)
 * @size: sizeof(struct iommu_destroy)
 * @id: iommufd object ID to destroy. Can be any destroyable object type.
 *
 * Destroy any object held within iommufd.
 */
struct iommu_destroy {
	__u32 size;
	__u32 id;
};
#define IOMMU_DESTROY _IO(IOMMUFD_TYPE, IOMMUFD_CMD_DESTROY)

/**
 * struct iommu_ioas_alloc - ioctl(IOMMU_IOAS_ALLOC)
 * @size: sizeof(struct iommu_ioas_alloc)
 * @flags: Must be 0
 * @out_ioas_id: Output IOAS ID for the allocated object
 *
 * Allocate an IO Address Space (IOAS) which holds an IO Virtual Address (IOVA)
 * to memory mapping.
 */
struct iommu_ioas_alloc {
	__u32 size;
	__u32 flags;
	__u32 out_ioas_id;
};
#define IOMMU_IOAS_ALLOC _IO(IOMMUFD_TYPE, IOMMUFD_CMD_IOAS_ALLOC)

/**
 * struct iommu_iova_range - ioctl(IOMMU_IOVA_RANGE)
 * @start: First IOVA
 * @last: Inclusive last IOVA
 *
 * An interval in IOVA space.
 */
struct iommu_iova_range {
	__aligned_u64 start;
	__aligned_u64 last;
};

/**
 * struct iommu_ioas_iova_ranges - ioctl(IOMMU_IOAS_IOVA_RANGES)
 * @size: sizeof(struct iommu_ioas_iova_ranges)
 * @ioas_id: IOAS ID to read ranges from
 * @num_iovas: Input/Output total number of ranges in the IOAS
 * @__reserved: Must be 0
 * @allowed_iovas: Pointer to the output array of struct iommu_iova_range
 * @out_iova_alignment: Minimum alignment required for mapping IOVA
 *
 * Query an IOAS for ranges of allowed IOVAs: the holes of its reserved
 * ranges. -EMSGSIZE, with @num_iovas set to the total, when the array is too
 * small (the first @num_iovas entries are still written).
 */
struct iommu_ioas_iova_ranges {
	__u32 size;
	__u32 ioas_id;
	__u32 num_iovas;
	__u32 __reserved;
	__aligned_u64 allowed_iovas;
	__aligned_u64 out_iova_alignment;
};
#define IOMMU_IOAS_IOVA_RANGES _IO(IOMMUFD_TYPE, IOMMUFD_CMD_IOAS_IOVA_RANGES)

/**
 * struct iommu_ioas_allow_iovas - ioctl(IOMMU_IOAS_ALLOW_IOVAS)
 * @size: sizeof(struct iommu_ioas_allow_iovas)
 * @ioas_id: IOAS ID to allow IOVAs from
 * @num_iovas: Input/Output total number of ranges in the IOAS
 * @__reserved: Must be 0
 * @allowed_iovas: Pointer to array of struct iommu_iova_range
 *
 * Replace the set of ranges where automatic IOVA allocation may place maps.
 * An empty set lifts the restriction. -EADDRINUSE if a reserved range
 * intersects one of them.
 */
struct iommu_ioas_allow_iovas {
	__u32 size;
	__u32 ioas_id;
	__u32 num_iovas;
	__u32 __reserved;
	__aligned_u64 allowed_iovas;
};
#define IOMMU_IOAS_ALLOW_IOVAS _IO(IOMMUFD_TYPE, IOMMUFD_CMD_IOAS_ALLOW_IOVAS)

/**
 * enum iommufd_ioas_map_flags - Flags for map and copy
 * @IOMMU_IOAS_MAP_FIXED_IOVA: If clear the kernel will compute an appropriate
 *                             IOVA to place the mapping at
 * @IOMMU_IOAS_MAP_WRITEABLE: DMA is allowed to write to this mapping
 * @IOMMU_IOAS_MAP_READABLE: DMA is allowed to read from this mapping
 */
enum iommufd_ioas_map_flags {
	IOMMU_IOAS_MAP_FIXED_IOVA = 1 << 0,
	IOMMU_IOAS_MAP_WRITEABLE = 1 << 1,
	IOMMU_IOAS_MAP_READABLE = 1 << 2,
};

/**
 * struct iommu_ioas_map - ioctl(IOMMU_IOAS_MAP)
 * @size: sizeof(struct iommu_ioas_map)
 * @flags: Combination of enum iommufd_ioas_map_flags
 * @ioas_id: IOAS ID to change the mapping of
 * @__reserved: Must be 0
 * @user_va: Userspace pointer to start mapping from
 * @length: Number of bytes to map
 * @iova: IOVA the mapping was placed at. If IOMMU_IOAS_MAP_FIXED_IOVA is set
 *        then this must be provided as input.
 *
 * Set an IOVA mapping from a user pointer. The pages are pinned (and
 * accounted) for as long as the mapping exists.
 */
struct iommu_ioas_map {
	__u32 size;
	__u32 flags;
	__u32 ioas_id;
	__u32 __reserved;
	__aligned_u64 user_va;
	__aligned_u64 length;
	__aligned_u64 iova;
};
#define IOMMU_IOAS_MAP _IO(IOMMUFD_TYPE, IOMMUFD_CMD_IOAS_MAP)

/**
 * struct iommu_ioas_map_file - ioctl(IOMMU_IOAS_MAP_FILE)
 * @size: sizeof(struct iommu_ioas_map_file)
 * @flags: same as for iommu_ioas_map
 * @ioas_id: same as for iommu_ioas_map
 * @fd: the memfd to map
 * @start: byte offset from start of file to map from
 * @length: same as for iommu_ioas_map
 * @iova: same as for iommu_ioas_map
 *
 * Set an IOVA mapping from a memfd file.
 */
struct iommu_ioas_map_file {
	__u32 size;
	__u32 flags;
	__u32 ioas_id;
	__s32 fd;
	__aligned_u64 start;
	__aligned_u64 length;
	__aligned_u64 iova;
};
#define IOMMU_IOAS_MAP_FILE _IO(IOMMUFD_TYPE, IOMMUFD_CMD_IOAS_MAP_FILE)

/**
 * struct iommu_ioas_copy - ioctl(IOMMU_IOAS_COPY)
 * @size: sizeof(struct iommu_ioas_copy)
 * @flags: Combination of enum iommufd_ioas_map_flags
 * @dst_ioas_id: IOAS ID to change the mapping of
 * @src_ioas_id: IOAS ID to copy from
 * @length: Number of bytes to copy and map
 * @dst_iova: IOVA the mapping was placed at. If IOMMU_IOAS_MAP_FIXED_IOVA is
 *            set then this must be provided as input.
 * @src_iova: IOVA to start the copy
 *
 * Copy an already existing mapping from src_ioas_id and establish it in
 * dst_ioas_id, sharing the pinned pages (no second pin, no second charge).
 */
struct iommu_ioas_copy {
	__u32 size;
	__u32 flags;
	__u32 dst_ioas_id;
	__u32 src_ioas_id;
	__aligned_u64 length;
	__aligned_u64 dst_iova;
	__aligned_u64 src_iova;
};
#define IOMMU_IOAS_COPY _IO(IOMMUFD_TYPE, IOMMUFD_CMD_IOAS_COPY)

/**
 * struct iommu_ioas_unmap - ioctl(IOMMU_IOAS_UNMAP)
 * @size: sizeof(struct iommu_ioas_unmap)
 * @ioas_id: IOAS ID to change the mapping of
 * @iova: IOVA to start the unmapping at
 * @length: Number of bytes to unmap, and return back the bytes unmapped
 *
 * Unmap whole areas in the range. iova 0 with length UINT64_MAX unmaps
 * everything. -ENOENT if the range cuts an area or holds none; then nothing
 * is unmapped.
 */
struct iommu_ioas_unmap {
	__u32 size;
	__u32 ioas_id;
	__aligned_u64 iova;
	__aligned_u64 length;
};
#define IOMMU_IOAS_UNMAP _IO(IOMMUFD_TYPE, IOMMUFD_CMD_IOAS_UNMAP)

/**
 * enum iommufd_option - ioctl(IOMMU_OPTION_RLIMIT_MODE) and others
 * @IOMMU_OPTION_RLIMIT_MODE: global (object_id 0): 0 charges pinned pages to
 *    the user (user->locked_vm), 1 to the mm (mm->locked_vm). Setting
 *    needs CAP_SYS_RESOURCE and no IOAS in this file.
 * @IOMMU_OPTION_HUGE_PAGES: per IOAS: 1 (default) keeps large IOVA
 *    alignment, 0 limits it to PAGE_SIZE (for benchmarking).
 * @IOMMU_OPTION_SW_MSI_START: per bound device: start of the SW_MSI window,
 *    1 MiB aligned (extension: upstream RFC "Part-2" numbers).
 * @IOMMU_OPTION_SW_MSI_SIZE: per bound device: window size in MiB; 0 restores
 *    the driver's default.
 * @IOMMU_OPTION_NESTED_MSI_IOVA: per bound device (extension of this
 *    project): the gIOVA at which the guest's stage 1 maps the SW_MSI
 *    window, 1 MiB aligned, for a device attached to a nested HWPT. Its
 *    MSIs are programmed at that gIOVA's slots, and stage 2 holds the
 *    doorbells at the window's. 0 (the default) is the identity: the guest
 *    maps the window 1:1 (gIOVA = IPA, as with IORT RMRs). Only while the
 *    device is detached (-EBUSY).
 */
enum iommufd_option {
	IOMMU_OPTION_RLIMIT_MODE = 0,
	IOMMU_OPTION_HUGE_PAGES = 1,
	IOMMU_OPTION_SW_MSI_START = 2,
	IOMMU_OPTION_SW_MSI_SIZE = 3,
	IOMMU_OPTION_NESTED_MSI_IOVA = 0x80,
};

/**
 * enum iommufd_option_ops - ioctl(IOMMU_OPTION_OP_SET) and
 *                           ioctl(IOMMU_OPTION_OP_GET)
 * @IOMMU_OPTION_OP_SET: Set the option's value
 * @IOMMU_OPTION_OP_GET: Get the option's value
 */
enum iommufd_option_ops {
	IOMMU_OPTION_OP_SET = 0,
	IOMMU_OPTION_OP_GET = 1,
};

/**
 * struct iommu_option - iommu option multiplexer
 * @size: sizeof(struct iommu_option)
 * @option_id: One of enum iommufd_option
 * @op: One of enum iommufd_option_ops
 * @__reserved: Must be 0
 * @object_id: ID of the object if required
 * @val64: Option value to set or value returned on get
 */
struct iommu_option {
	__u32 size;
	__u32 option_id;
	__u16 op;
	__u16 __reserved;
	__u32 object_id;
	__aligned_u64 val64;
};
#define IOMMU_OPTION _IO(IOMMUFD_TYPE, IOMMUFD_CMD_OPTION)

/**
 * enum iommufd_hwpt_alloc_flags - Flags for HWPT allocation
 * @IOMMU_HWPT_ALLOC_NEST_PARENT: a domain that can be the stage-2 parent of
 *                                nested domains
 * @IOMMU_HWPT_ALLOC_DIRTY_TRACKING: not supported (-EOPNOTSUPP)
 * @IOMMU_HWPT_FAULT_ID_VALID: not supported (-EOPNOTSUPP)
 * @IOMMU_HWPT_ALLOC_PASID: not supported (-EOPNOTSUPP)
 */
enum iommufd_hwpt_alloc_flags {
	IOMMU_HWPT_ALLOC_NEST_PARENT = 1 << 0,
	IOMMU_HWPT_ALLOC_DIRTY_TRACKING = 1 << 1,
	IOMMU_HWPT_FAULT_ID_VALID = 1 << 2,
	IOMMU_HWPT_ALLOC_PASID = 1 << 3,
};

/**
 * enum iommu_hwpt_data_type - HWPT data types
 * @IOMMU_HWPT_DATA_NONE: a paging HWPT
 * @IOMMU_HWPT_DATA_VTD_S1: not supported
 * @IOMMU_HWPT_DATA_ARM_SMMUV3: nested SMMUv3 (needs this project's SMMUv3
 *                              driver; -EOPNOTSUPP over in-tree drivers)
 * @IOMMU_HWPT_DATA_AMD_GUEST: not supported
 */
enum iommu_hwpt_data_type {
	IOMMU_HWPT_DATA_NONE = 0,
	IOMMU_HWPT_DATA_VTD_S1 = 1,
	IOMMU_HWPT_DATA_ARM_SMMUV3 = 2,
	IOMMU_HWPT_DATA_AMD_GUEST = 3,
};

/**
 * struct iommu_hwpt_alloc - ioctl(IOMMU_HWPT_ALLOC)
 * @size: sizeof(struct iommu_hwpt_alloc)
 * @flags: Combination of enum iommufd_hwpt_alloc_flags
 * @dev_id: The device to allocate this HWPT for
 * @pt_id: The IOAS to connect a paging HWPT to, or the vIOMMU of a nested one
 * @out_hwpt_id: The ID of the new HWPT
 * @__reserved: Must be 0
 * @data_type: One of enum iommu_hwpt_data_type
 * @data_len: Length of the type specific data
 * @data_uptr: User pointer to the type specific data
 * @fault_id: The ID of IOMMUFD_FAULT object (with IOMMU_HWPT_FAULT_ID_VALID)
 * @__reserved2: Padding to 64-bit alignment. Must be 0.
 *
 * On an IOAS, a paging HWPT: a domain of the device's IOMMU driver that
 * maps every area of the IOAS from now on. On a vIOMMU, with
 * IOMMU_HWPT_DATA_ARM_SMMUV3 and a struct iommu_hwpt_arm_smmuv3 of exactly
 * 16 bytes, a nested HWPT: the guest's stage 1 over the vIOMMU's nest
 * parent. Devices attach to either with IOMMU_DEVICE_ATTACH. DESTROY is
 * -EBUSY while devices are attached; the IOAS (or vIOMMU) cannot be
 * destroyed while the HWPT exists.
 */
struct iommu_hwpt_alloc {
	__u32 size;
	__u32 flags;
	__u32 dev_id;
	__u32 pt_id;
	__u32 out_hwpt_id;
	__u32 __reserved;
	__u32 data_type;
	__u32 data_len;
	__aligned_u64 data_uptr;
	__u32 fault_id;
	__u32 __reserved2;
};
#define IOMMU_HWPT_ALLOC _IO(IOMMUFD_TYPE, IOMMUFD_CMD_HWPT_ALLOC)

/**
 * struct iommu_hwpt_arm_smmuv3 - IOMMU_HWPT_DATA_ARM_SMMUV3: a guest's vSTE
 * @ste: words 0 and 1 of the guest's stream table entry, little-endian
 *
 * As upstream: V=0 is abort; only V, Config, S1Fmt, S1ContextPtr, S1CDMax
 * (word 0) and S1DSS, S1CIR, S1COR, S1CSH, S1STALLD, EATS (word 1) may be
 * set; Config abort, bypass or stage-1 translate; EATS abort or full.
 * Anything else is -EIO, and so is what the SMMU cannot carry out (S1CDMax
 * beyond its substream ids, S1STALLD without stalls, a CD address beyond
 * the parent's IPA size). S1ContextPtr is an IPA of the parent's stage 2.
 */
struct iommu_hwpt_arm_smmuv3 {
	__aligned_le64 ste[2];
};

/**
 * enum iommu_hw_info_type - IOMMU Hardware Info Types
 * @IOMMU_HW_INFO_TYPE_NONE: no data (the answer over in-tree drivers)
 * @IOMMU_HW_INFO_TYPE_DEFAULT: input only: the driver's default type
 * @IOMMU_HW_INFO_TYPE_INTEL_VTD: not produced by this module
 * @IOMMU_HW_INFO_TYPE_ARM_SMMUV3: the SMMUv3's ID registers, struct
 *                                 iommu_hw_info_arm_smmuv3 (devices behind
 *                                 this project's SMMUv3 driver, smmu_rs)
 * @IOMMU_HW_INFO_TYPE_TEGRA241_CMDQV: not produced by this module
 * @IOMMU_HW_INFO_TYPE_AMD: not produced by this module
 */
enum iommu_hw_info_type {
	IOMMU_HW_INFO_TYPE_NONE = 0,
	IOMMU_HW_INFO_TYPE_DEFAULT = 0,
	IOMMU_HW_INFO_TYPE_INTEL_VTD = 1,
	IOMMU_HW_INFO_TYPE_ARM_SMMUV3 = 2,
	IOMMU_HW_INFO_TYPE_TEGRA241_CMDQV = 3,
	IOMMU_HW_INFO_TYPE_AMD = 4,
};

/**
 * struct iommu_hw_info_arm_smmuv3 - ARM SMMUv3 hardware information
 *                                   (IOMMU_HW_INFO_TYPE_ARM_SMMUV3)
 * @flags: 0 (no errata flags are reported)
 * @__reserved: 0
 * @idr: SMMU_IDR0-5 as the driver read them at probe
 * @iidr: SMMU_IIDR
 * @aidr: SMMU_AIDR
 *
 * Raw registers, as upstream reports them; see upstream's documentation of
 * this struct for the fields a VMM may rely on.
 */
struct iommu_hw_info_arm_smmuv3 {
	__u32 flags;
	__u32 __reserved;
	__u32 idr[6];
	__u32 iidr;
	__u32 aidr;
};

/**
 * enum iommufd_hw_capabilities - capability bits of IOMMU_GET_HW_INFO
 * @IOMMU_HW_CAP_DIRTY_TRACKING: never set: this module tracks no dirty pages
 * @IOMMU_HW_CAP_PCI_PASID_EXEC: never set (no PASID)
 * @IOMMU_HW_CAP_PCI_PASID_PRIV: never set (no PASID)
 * @IOMMU_HW_CAP_PCI_ATS_NOT_SUPPORTED: ATS cannot be used for the device
 */
enum iommufd_hw_capabilities {
	IOMMU_HW_CAP_DIRTY_TRACKING = 1 << 0,
	IOMMU_HW_CAP_PCI_PASID_EXEC = 1 << 1,
	IOMMU_HW_CAP_PCI_PASID_PRIV = 1 << 2,
	IOMMU_HW_CAP_PCI_ATS_NOT_SUPPORTED = 1 << 3,
};

/**
 * enum iommufd_hw_info_flags - Flags for iommu_hw_info
 * @IOMMU_HW_INFO_FLAG_INPUT_TYPE: @in_data_type is an input
 */
enum iommufd_hw_info_flags {
	IOMMU_HW_INFO_FLAG_INPUT_TYPE = 1 << 0,
};

/**
 * struct iommu_hw_info - ioctl(IOMMU_GET_HW_INFO)
 * @size: sizeof(struct iommu_hw_info)
 * @flags: Must be 0 or IOMMU_HW_INFO_FLAG_INPUT_TYPE
 * @dev_id: A bound device
 * @data_len: Input the length of a user buffer; output the length of the
 *            driver's data, which may exceed the buffer (0 over in-tree
 *            drivers); the data is copied up to the buffer's length and
 *            the rest of the buffer is zeroed
 * @data_uptr: User pointer to the buffer
 * @in_data_type: With IOMMU_HW_INFO_FLAG_INPUT_TYPE, the type asked for; a
 *                type the device's driver does not have is -EOPNOTSUPP
 *                (over in-tree drivers only IOMMU_HW_INFO_TYPE_DEFAULT)
 * @out_data_type: The type of the data (IOMMU_HW_INFO_TYPE_NONE over
 *                 in-tree drivers, IOMMU_HW_INFO_TYPE_ARM_SMMUV3 behind
 *                 smmu_rs)
 * @out_max_pasid_log2: 0: no PASID
 * @__reserved: Must be 0
 * @out_capabilities: enum iommufd_hw_capabilities
 */
struct iommu_hw_info {
	__u32 size;
	__u32 flags;
	__u32 dev_id;
	__u32 data_len;
	__aligned_u64 data_uptr;
	union {
		__u32 in_data_type;
		__u32 out_data_type;
	};
	__u8 out_max_pasid_log2;
	__u8 __reserved[3];
	__aligned_u64 out_capabilities;
};
#define IOMMU_GET_HW_INFO _IO(IOMMUFD_TYPE, IOMMUFD_CMD_GET_HW_INFO)

/**
 * enum iommu_hwpt_invalidate_data_type - invalidation data types
 * @IOMMU_HWPT_INVALIDATE_DATA_VTD_S1: not supported
 * @IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3: SMMUv3 commands on a vIOMMU
 */
enum iommu_hwpt_invalidate_data_type {
	IOMMU_HWPT_INVALIDATE_DATA_VTD_S1 = 0,
	IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3 = 1,
};

/**
 * struct iommu_viommu_arm_smmuv3_invalidate - one guest SMMUv3 command
 * @cmd: its two words, little-endian
 *
 * As upstream: TLBI_NSNH_ALL (made TLBI_NH_ALL of the vIOMMU's VMID),
 * TLBI_NH_ALL, TLBI_NH_ASID, TLBI_NH_VA, TLBI_NH_VAA (VMID forced to the
 * vIOMMU's; range fields only where the SMMU has range invalidation, and
 * never the encodings the architecture reserves), CFGI_CD, CFGI_CD_ALL
 * (the virtual stream id replaced by the physical one), ATC_INV only on an
 * SMMU with ATS. Any other opcode, any field the opcode does not take, and
 * an unknown virtual stream id are -EIO. smmu_rs never enables ATS for a
 * nested device (a vSTE's EATS is accepted as upstream accepts it, and
 * dropped), so ATC_INV is always -EIO there.
 */
struct iommu_viommu_arm_smmuv3_invalidate {
	__aligned_le64 cmd[2];
};

/**
 * struct iommu_hwpt_invalidate - ioctl(IOMMU_HWPT_INVALIDATE)
 * @size: sizeof(struct iommu_hwpt_invalidate)
 * @hwpt_id: a vIOMMU (a nested HWPT is -EOPNOTSUPP, any other object
 *           -EINVAL)
 * @data_uptr: the array of entries
 * @data_type: IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3 (else -EINVAL)
 * @entry_len: the size of one entry (1 to 4096: a shorter one is
 *             zero-extended, a longer one must be zero beyond the command,
 *             else -E2BIG)
 * @entry_num: in, the number of entries (at most 1 << 19); out, how many
 *             were carried out
 * @__reserved: must be 0
 *
 * Entries are carried out in order, in synced batches. The first one that
 * is refused (-EIO) or cannot be read (-EFAULT, -E2BIG) ends the call: the
 * ones before it were issued and completed, and @entry_num says how many.
 * @entry_num 0 only checks the data type. (Upstream's arm-smmu-v3 answers
 * -EINVAL to @entry_num 0, and counts without issuing the commands it
 * batched before a refused one; this module does what the UAPI
 * documentation says.)
 */
struct iommu_hwpt_invalidate {
	__u32 size;
	__u32 hwpt_id;
	__aligned_u64 data_uptr;
	__u32 data_type;
	__u32 entry_len;
	__u32 entry_num;
	__u32 __reserved;
};
#define IOMMU_HWPT_INVALIDATE _IO(IOMMUFD_TYPE, IOMMUFD_CMD_HWPT_INVALIDATE)

/**
 * enum iommu_viommu_type - vIOMMU types
 * @IOMMU_VIOMMU_TYPE_DEFAULT: reserved (-EOPNOTSUPP)
 * @IOMMU_VIOMMU_TYPE_ARM_SMMUV3: an SMMUv3 of this project's driver
 * @IOMMU_VIOMMU_TYPE_TEGRA241_CMDQV: not supported (-EOPNOTSUPP)
 */
enum iommu_viommu_type {
	IOMMU_VIOMMU_TYPE_DEFAULT = 0,
	IOMMU_VIOMMU_TYPE_ARM_SMMUV3 = 1,
	IOMMU_VIOMMU_TYPE_TEGRA241_CMDQV = 2,
};

/**
 * struct iommu_viommu_alloc - ioctl(IOMMU_VIOMMU_ALLOC)
 * @size: sizeof(struct iommu_viommu_alloc)
 * @flags: must be 0
 * @type: IOMMU_VIOMMU_TYPE_ARM_SMMUV3
 * @dev_id: a device behind the SMMU
 * @hwpt_id: a NEST_PARENT paging HWPT of that SMMU
 * @out_viommu_id: the new vIOMMU
 * @data_len: ignored for ARM_SMMUV3, as upstream
 * @__reserved: must be 0
 * @data_uptr: ignored for ARM_SMMUV3
 *
 * The vIOMMU uses the parent's VMID and holds it (DESTROY of the parent is
 * -EBUSY). -EOPNOTSUPP behind an in-tree IOMMU driver, and behind an SMMU
 * without S2FWB unless smmu_rs is loaded with assume_canwbs=1.
 */
struct iommu_viommu_alloc {
	__u32 size;
	__u32 flags;
	__u32 type;
	__u32 dev_id;
	__u32 hwpt_id;
	__u32 out_viommu_id;
	__u32 data_len;
	__u32 __reserved;
	__aligned_u64 data_uptr;
};
#define IOMMU_VIOMMU_ALLOC _IO(IOMMUFD_TYPE, IOMMUFD_CMD_VIOMMU_ALLOC)

/**
 * struct iommu_vdevice_alloc - ioctl(IOMMU_VDEVICE_ALLOC)
 * @size: sizeof(struct iommu_vdevice_alloc)
 * @viommu_id: the vIOMMU
 * @dev_id: a device behind its SMMU
 * @out_vdevice_id: the new vDEVICE
 * @virt_id: the device's virtual stream id (at most 32 bits, else -EINVAL)
 *
 * One per device (-EEXIST), and a virtual id names one device of a vIOMMU
 * (-EEXIST). Destroying the device object destroys its vDEVICE. While the
 * device is attached to a nested HWPT of the same vIOMMU, DESTROY of the
 * vDEVICE is -EBUSY (upstream lets it go and leaves the STE in place).
 */
struct iommu_vdevice_alloc {
	__u32 size;
	__u32 viommu_id;
	__u32 dev_id;
	__u32 out_vdevice_id;
	__aligned_u64 virt_id;
};
#define IOMMU_VDEVICE_ALLOC _IO(IOMMUFD_TYPE, IOMMUFD_CMD_VDEVICE_ALLOC)

/**
 * struct iommu_ioas_change_process - ioctl(VFIO_IOAS_CHANGE_PROCESS)
 * @size: sizeof(struct iommu_ioas_change_process)
 * @__reserved: Must be 0
 *
 * This transfers pinned memory counts for every memory map in every IOAS
 * in the context to the current process.  This only supports maps created
 * with IOMMU_IOAS_MAP_FILE, and returns EINVAL if other maps are present.
 * If the ioctl returns a failure status, then nothing is changed.
 *
 * This API is useful for transferring operation of a device from one process
 * to another, such as during userland live update.
 */
struct iommu_ioas_change_process {
	__u32 size;
	__u32 __reserved;
};
#define IOMMU_IOAS_CHANGE_PROCESS _IO(IOMMUFD_TYPE, IOMMUFD_CMD_IOAS_CHANGE_PROCESS)

/**
 * enum iommu_veventq_flag - flags of struct iommufd_vevent_header
 * @IOMMU_VEVENTQ_FLAG_LOST_EVENTS: events were lost before this header
 *                                 (which carries no data)
 */
enum iommu_veventq_flag {
	IOMMU_VEVENTQ_FLAG_LOST_EVENTS = (1U << 0),
};

/**
 * struct iommufd_vevent_header - what each event read from a vEVENTQ
 * starts with
 * @flags: enum iommu_veventq_flag
 * @sequence: the event's number, modulo INT_MAX + 1; a gap says events
 *            were lost
 */
struct iommufd_vevent_header {
	__u32 flags;
	__u32 sequence;
};

/**
 * enum iommu_veventq_type - vEVENTQ types
 * @IOMMU_VEVENTQ_TYPE_DEFAULT: reserved (-EOPNOTSUPP)
 * @IOMMU_VEVENTQ_TYPE_ARM_SMMUV3: SMMUv3 event records
 * @IOMMU_VEVENTQ_TYPE_TEGRA241_CMDQV: not supported (-EOPNOTSUPP)
 */
enum iommu_veventq_type {
	IOMMU_VEVENTQ_TYPE_DEFAULT = 0,
	IOMMU_VEVENTQ_TYPE_ARM_SMMUV3 = 1,
	IOMMU_VEVENTQ_TYPE_TEGRA241_CMDQV = 2,
};

/**
 * struct iommu_vevent_arm_smmuv3 - one SMMUv3 event record for the guest
 * @evt: its four words, little-endian, with the virtual stream id in place
 *       of the physical one (bits 63:32 of word 0)
 *
 * The records a guest gets, as upstream: C_BAD_STE, F_STREAM_DISABLED,
 * C_BAD_SUBSTREAMID, C_BAD_CD, F_TRANSLATION, F_ADDR_SIZE, F_ACCESS and
 * F_PERMISSION of a device with a vDEVICE, neither stalled nor stage 2.
 * Stage-2 faults stay in the host's log.
 */
struct iommu_vevent_arm_smmuv3 {
	__aligned_le64 evt[4];
};

/**
 * struct iommu_veventq_alloc - ioctl(IOMMU_VEVENTQ_ALLOC)
 * @size: sizeof(struct iommu_veventq_alloc)
 * @flags: must be 0
 * @viommu_id: the vIOMMU
 * @type: IOMMU_VEVENTQ_TYPE_ARM_SMMUV3
 * @veventq_depth: the most events queued at once, 1 to 1 << 19
 * @out_veventq_id: the new vEVENTQ
 * @out_veventq_fd: its file: read() gives whole events (a header, then
 *                  the record), -EINVAL if @count fits no header or not the
 *                  first whole event; poll() says when one is queued
 * @__reserved: must be 0
 *
 * One per vIOMMU (-EEXIST). When the queue is full, new events are lost
 * and a LOST_EVENTS header stands at its tail. (Upstream keeps the vEVENTQ
 * object busy while its file is open; here DESTROY succeeds, and the file
 * stays readable without new events.)
 */
struct iommu_veventq_alloc {
	__u32 size;
	__u32 flags;
	__u32 viommu_id;
	__u32 type;
	__u32 veventq_depth;
	__u32 out_veventq_id;
	__u32 out_veventq_fd;
	__u32 __reserved;
};
#define IOMMU_VEVENTQ_ALLOC _IO(IOMMUFD_TYPE, IOMMUFD_CMD_VEVENTQ_ALLOC)

/**
 * enum iommu_device_bind_flags - flags of struct iommu_device_bind
 * @IOMMU_DEVICE_BIND_FD: bind the function whose node @dev_fd is open
 */
enum iommu_device_bind_flags {
	IOMMU_DEVICE_BIND_FD = 1 << 0,
};

/**
 * struct iommu_device_bind - ioctl(IOMMU_DEVICE_BIND), an iommufd-rs extension
 * @size: sizeof(struct iommu_device_bind); 24 (without @dev_fd) is enough
 *        to bind by address
 * @flags: 0 or IOMMU_DEVICE_BIND_FD
 * @pci_segment: PCI segment (domain) of the function; 0 with the flag
 * @pci_rid: bus << 8 | devfn; 0 with the flag
 * @out_dev_id: Output device object ID
 * @__reserved: Must be 0
 * @dev_fd: with IOMMU_DEVICE_BIND_FD, an open descriptor of the function's
 *          node /dev/iommufd_rs/<PCI address>
 * @__reserved2: Must be 0
 *
 * Hand a PCI function bound to the iommufd_rs PCI driver (driver_override) to
 * this file and claim DMA ownership of its IOMMU group. Every such function
 * has a node, /dev/iommufd_rs/<PCI address> (root's, mode 0600 until an
 * administrator changes it): whoever can open it may bind the function by
 * its descriptor. Binding by PCI address needs CAP_SYS_ADMIN (-EPERM).
 * -EBADF for a descriptor that is not open, -EINVAL for one that is no
 * function node or for an address given with the flag; -ENODEV if no such
 * function is bound to the driver; -EBUSY if it is bound to a file already,
 * or another member of its group has a DMA-API driver or another owner.
 * IOMMU_DESTROY of the device, or closing the file, gives it back.
 */
struct iommu_device_bind {
	__u32 size;
	__u32 flags;
	__u32 pci_segment;
	__u32 pci_rid;
	__u32 out_dev_id;
	__u32 __reserved;
	__s32 dev_fd;
	__u32 __reserved2;
};
#define IOMMU_DEVICE_BIND _IO(IOMMUFD_TYPE, IOMMUFD_RS_CMD_DEVICE_BIND)

/**
 * struct iommu_device_attach - ioctl(IOMMU_DEVICE_ATTACH), an iommufd-rs extension
 * @size: sizeof(struct iommu_device_attach)
 * @flags: Must be 0
 * @dev_id: A bound device
 * @pt_id: The IOAS to attach it to
 * @out_hwpt_id: The paging HWPT made for the attachment
 * @__reserved: Must be 0
 *
 * Attach a bound device to an IOAS through a paging domain of the device's
 * own IOMMU driver. The device's reserved regions (except DIRECT_RELAXABLE)
 * and the domain's aperture holes become reserved ranges of the IOAS, whose
 * IOVA alignment rises to the domain's smallest page; every existing area is
 * mapped. -ENOENT for an unknown device or IOAS; -EBUSY if the device is
 * attached already; -EADDRINUSE if an area, allowed range or misaligned area
 * is in the way; the driver's error if the domain cannot be made or
 * attached. On error nothing changes.
 */
struct iommu_device_attach {
	__u32 size;
	__u32 flags;
	__u32 dev_id;
	__u32 pt_id;
	__u32 out_hwpt_id;
	__u32 __reserved;
};
#define IOMMU_DEVICE_ATTACH _IO(IOMMUFD_TYPE, IOMMUFD_RS_CMD_DEVICE_ATTACH)

/**
 * struct iommu_device_detach - ioctl(IOMMU_DEVICE_DETACH), an iommufd-rs extension
 * @size: sizeof(struct iommu_device_detach)
 * @flags: Must be 0
 * @dev_id: An attached device
 * @__reserved: Must be 0
 *
 * Detach: the device's DMA is blocked again, its reserved regions leave the
 * IOAS and the attachment's HWPT is destroyed. -EINVAL if not attached.
 */
struct iommu_device_detach {
	__u32 size;
	__u32 flags;
	__u32 dev_id;
	__u32 __reserved;
};
#define IOMMU_DEVICE_DETACH _IO(IOMMUFD_TYPE, IOMMUFD_RS_CMD_DEVICE_DETACH)

/**
 * enum iommu_resv_type - kinds of reserved region (enum iommu_resv_type of
 * <linux/iommu.h>)
 * @IOMMU_RESV_TYPE_DIRECT: identity mapped, must stay so
 * @IOMMU_RESV_TYPE_DIRECT_RELAXABLE: identity mapped, may be given up
 * @IOMMU_RESV_TYPE_RESERVED: never mapped
 * @IOMMU_RESV_TYPE_MSI: hardware MSI window
 * @IOMMU_RESV_TYPE_SW_MSI: software MSI window, where doorbells get mapped
 */
enum iommu_resv_type {
	IOMMU_RESV_TYPE_DIRECT = 0,
	IOMMU_RESV_TYPE_DIRECT_RELAXABLE = 1,
	IOMMU_RESV_TYPE_RESERVED = 2,
	IOMMU_RESV_TYPE_MSI = 3,
	IOMMU_RESV_TYPE_SW_MSI = 4,
};

#define IOMMU_RESV_FLAG_USER_WINDOW (1 << 0)
#define IOMMU_RESV_QUERY_NEST_PARENT (1 << 0)

/**
 * struct iommu_resv_region - one reserved region
 * @start: First IOVA
 * @last: Last IOVA (inclusive)
 * @type: enum iommu_resv_type
 * @flags: IOMMU_RESV_FLAG_USER_WINDOW for the SW_MSI window set by
 *         IOMMU_OPTION_SW_MSI_START/SIZE
 */
struct iommu_resv_region {
	__aligned_u64 start;
	__aligned_u64 last;
	__u32 type;
	__u32 flags;
};

/**
 * struct iommu_device_resv_regions - ioctl(IOMMU_DEVICE_GET_RESV_REGIONS),
 *                                    an iommufd-rs extension
 * @size: sizeof(struct iommu_device_resv_regions)
 * @flags: 0: the regions a paging (stage-1) domain of the device must
 *         respect, i.e. what a VMM describes to its guest;
 *         IOMMU_RESV_QUERY_NEST_PARENT: what a stage-2 parent carries: the
 *         SW_MSI window and the aperture limits (as RESERVED)
 * @dev_id: A bound device
 * @num_regions: In: capacity of the array; out: number of regions
 * @regions_uptr: Pointer to struct iommu_resv_region[]
 *
 * -EMSGSIZE (with @num_regions set and the array filled to capacity) when the
 * array is too small; -EOPNOTSUPP for unknown @flags; -ENOENT for an unknown
 * device.
 */
struct iommu_device_resv_regions {
	__u32 size;
	__u32 flags;
	__u32 dev_id;
	__u32 num_regions;
	__aligned_u64 regions_uptr;
};
#define IOMMU_DEVICE_GET_RESV_REGIONS \
	_IO(IOMMUFD_TYPE, IOMMUFD_RS_CMD_DEVICE_GET_RESV_REGIONS)

/**
 * struct iommu_device_set_irqs - ioctl(IOMMU_DEVICE_SET_IRQS), an iommufd-rs
 *                                extension
 * @size: sizeof(struct iommu_device_set_irqs)
 * @flags: Must be 0
 * @dev_id: A bound device, attached (-EINVAL otherwise): MSI doorbells are
 *          mapped through its domain, in the SW_MSI window in force
 * @nvec: Number of vectors (MSI-X if the device has it, else MSI); 0 frees
 *        them. At most 2048 (-EINVAL); more than the device has: -ENOSPC
 * @eventfds_uptr: Pointer to __s32[nvec]: eventfds[i] is signalled on vector i
 *
 * Replaces any vectors the device had. Detach and close free them too.
 */
struct iommu_device_set_irqs {
	__u32 size;
	__u32 flags;
	__u32 dev_id;
	__u32 nvec;
	__aligned_u64 eventfds_uptr;
};
#define IOMMU_DEVICE_SET_IRQS _IO(IOMMUFD_TYPE, IOMMUFD_RS_CMD_DEVICE_SET_IRQS)

/**
 * struct iommu_hwpt_translate - ioctl(IOMMU_HWPT_TRANSLATE), diagnostic
 * @size: sizeof(struct iommu_hwpt_translate)
 * @hwpt_id: A paging HWPT
 * @iova: The IOVA to look up
 * @out_phys: What it translates to
 * @out_leaf_size: Size of the leaf entry; 0 when the provider cannot tell
 *                 (the in-tree drivers, through the IOMMU core API)
 *
 * -ENOENT if nothing is mapped at @iova. @out_phys is a host physical
 * address, so, as /proc/pid/pagemap's PFNs, only for a file opened with
 * CAP_SYS_ADMIN: -EPERM otherwise (the opener's credentials decide, not the
 * caller's).
 */
struct iommu_hwpt_translate {
	__u32 size;
	__u32 hwpt_id;
	__aligned_u64 iova;
	__aligned_u64 out_phys;
	__aligned_u64 out_leaf_size;
};
#define IOMMU_HWPT_TRANSLATE _IO(IOMMUFD_TYPE, IOMMUFD_RS_CMD_HWPT_TRANSLATE)

/**
 * struct iommu_test_ioas_check - ioctl(IOMMU_TEST_IOAS_CHECK), test builds only
 * @size: sizeof(struct iommu_test_ioas_check)
 * @flags: Must be 0
 * @ioas_id: The IOAS whose domains are checked
 * @num_probes: Number of entries at @probes_uptr (at most 4096)
 * @probes_uptr: User pointer to struct iommu_iova_range[@num_probes]: IOVA
 *               ranges whose pages outside every area must translate to
 *               nothing but MSI doorbells (at most 2^20 pages in all)
 * @out_domains: Number of domains checked
 * @out_walked: How many of them had every leaf of their page table
 *              enumerated (domains of smmu_rs)
 * @out_leaves: Leaf entries enumerated in those
 *
 * Checks the isolation invariant: every domain registered with the IOAS
 * translates exactly its areas (each byte to the byte of the pinned page
 * behind it, with the area's permissions), plus MSI doorbells (MMIO, not
 * RAM) in the IOAS's reserved ranges, and nothing else. Where the domain's
 * driver can enumerate its leaves (smmu_rs) every leaf and its
 * permissions are checked; elsewhere every page of every area, the page on
 * each side of every area and the pages of @probes_uptr are translated
 * with iommu_iova_to_phys(). The first mismatch is logged (domain, IOVA,
 * expected, found) and answered with -EIO.
 *
 * Only in modules built for testing (IOMMUFD_RS_TEST=y, which taints the
 * kernel with TAINT_TEST when loaded); elsewhere -ENOTTY. Needs
 * CAP_SYS_ADMIN (-EPERM): the log shows physical addresses.
 */
struct iommu_test_ioas_check {
	__u32 size;
	__u32 flags;
	__u32 ioas_id;
	__u32 num_probes;
	__aligned_u64 probes_uptr;
	__u32 out_domains;
	__u32 out_walked;
	__aligned_u64 out_leaves;
};
#define IOMMU_TEST_IOAS_CHECK _IO(IOMMUFD_TYPE, IOMMUFD_RS_CMD_TEST_IOAS_CHECK)

#endif /* _UAPI_IOMMUFD_RS_H */
