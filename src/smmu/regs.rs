// SPDX-License-Identifier: GPL-2.0

//! SMMUv3 register offsets and fields (Arm IHI 0070, chapter 6), the ones
//! this driver uses.

/// Identification registers 0-5.
pub(crate) const IDR0: u32 = 0x0;
pub(crate) const IDR1: u32 = 0x4;
pub(crate) const IDR3: u32 = 0xc;
pub(crate) const IDR5: u32 = 0x14;

pub(crate) const IDR0_S2P: u32 = 1 << 0;
pub(crate) const IDR0_TTF_SHIFT: u32 = 2;
pub(crate) const IDR0_TTF_AARCH64: u32 = 2;
pub(crate) const IDR0_TTF_BOTH: u32 = 3;
pub(crate) const IDR0_COHACC: u32 = 1 << 4;
pub(crate) const IDR0_VMID16: u32 = 1 << 18;
pub(crate) const IDR0_ST_LVL_SHIFT: u32 = 27;
pub(crate) const IDR0_ST_LVL_2LVL: u32 = 1;
pub(crate) const IDR0_TTENDIAN_SHIFT: u32 = 21;
pub(crate) const IDR0_TTENDIAN_BE: u32 = 3;

pub(crate) const IDR1_SIDSIZE_MASK: u32 = 0x3f;
pub(crate) const IDR1_EVTQS_SHIFT: u32 = 16;
pub(crate) const IDR1_CMDQS_SHIFT: u32 = 21;
pub(crate) const IDR1_QS_MASK: u32 = 0x1f;
pub(crate) const IDR1_ATTR_TYPES_OVR: u32 = 1 << 27;
pub(crate) const IDR1_TABLES_PRESET: u32 = 1 << 30;
pub(crate) const IDR1_QUEUES_PRESET: u32 = 1 << 29;

pub(crate) const IDR3_RIL: u32 = 1 << 10;
pub(crate) const IDR3_BBML_SHIFT: u32 = 11;

pub(crate) const IDR5_OAS_MASK: u32 = 0x7;
pub(crate) const IDR5_GRAN4K: u32 = 1 << 4;

pub(crate) const CR0: u32 = 0x20;
pub(crate) const CR0ACK: u32 = 0x24;
pub(crate) const CR0_SMMUEN: u32 = 1 << 0;
pub(crate) const CR0_EVTQEN: u32 = 1 << 2;
pub(crate) const CR0_CMDQEN: u32 = 1 << 3;

/// Table and queue accesses: inner shareable, write-back cacheable.
pub(crate) const CR1: u32 = 0x28;
pub(crate) const CR1_WB_ISH: u32 = (3 << 10) | (1 << 8) | (1 << 6) | (3 << 4) | (1 << 2) | 1;
pub(crate) const CR2: u32 = 0x2c;
/// Record invalid stream ids (C_BAD_STREAMID), private TLB maintenance.
pub(crate) const CR2_RECINVSID_PTM: u32 = (1 << 1) | (1 << 2);

pub(crate) const IRQ_CTRL: u32 = 0x50;
pub(crate) const IRQ_CTRLACK: u32 = 0x54;
pub(crate) const IRQ_CTRL_GERROR: u32 = 1 << 0;
pub(crate) const IRQ_CTRL_EVTQ: u32 = 1 << 2;

pub(crate) const GERROR: u32 = 0x60;
pub(crate) const GERRORN: u32 = 0x64;
pub(crate) const GERROR_CMDQ_ERR: u32 = 1 << 0;
pub(crate) const GERROR_ERR_MASK: u32 = 0x1fd;

pub(crate) const STRTAB_BASE: u32 = 0x80;
pub(crate) const STRTAB_BASE_CFG: u32 = 0x88;
pub(crate) const STRTAB_BASE_RA: u64 = 1 << 62;
pub(crate) const STRTAB_CFG_FMT_2LVL: u32 = 1 << 16;
pub(crate) const STRTAB_CFG_SPLIT_SHIFT: u32 = 6;

pub(crate) const CMDQ_BASE: u32 = 0x90;
pub(crate) const CMDQ_PROD: u32 = 0x98;
pub(crate) const CMDQ_CONS: u32 = 0x9c;
pub(crate) const EVTQ_BASE: u32 = 0xa0;
/// The event queue's indices live in register page 1.
pub(crate) const EVTQ_PROD: u32 = 0x1_00a8;
pub(crate) const EVTQ_CONS: u32 = 0x1_00ac;
pub(crate) const Q_BASE_RWA: u64 = 1 << 62;
pub(crate) const Q_OVERFLOW: u32 = 1 << 31;
pub(crate) const CMDQ_CONS_ERR_SHIFT: u32 = 24;
pub(crate) const CMDQ_CONS_ERR_MASK: u32 = 0x7f;

/// Physical-address fields of base registers and descriptors (bits 51:6
/// or 51:5; 48-bit addresses are used).
pub(crate) const ADDR_MASK_51_6: u64 = 0x000f_ffff_ffff_ffc0;
pub(crate) const ADDR_MASK_51_5: u64 = 0x000f_ffff_ffff_ffe0;
