// SPDX-License-Identifier: GPL-2.0

//! SMMUv3 register offsets and fields (IHI 0070, chapter 6), the ones this
//! driver uses, named as `arm-smmu-v3.h` names them.

use super::Field;

/// Identification register 0; IDR1-5 follow at 4-byte steps.
pub const IDR0: u32 = 0x0;
/// Implementation identification.
pub const IIDR: u32 = 0x18;
/// Architecture version.
pub const AIDR: u32 = 0x1c;

/// Control register 0 and its acknowledgement.
pub const CR0: u32 = 0x20;
/// See [`CR0`].
pub const CR0ACK: u32 = 0x24;
/// CR0.SMMUEN: translation enabled.
pub const CR0_SMMUEN: u32 = 1 << 0;
/// CR0.EVTQEN: event queue enabled.
pub const CR0_EVTQEN: u32 = 1 << 2;
/// CR0.CMDQEN: command queue enabled.
pub const CR0_CMDQEN: u32 = 1 << 3;

/// Control register 1: attributes of table and queue accesses.
pub const CR1: u32 = 0x28;
/// CR1.TABLE_SH: shareability of table walks.
pub const CR1_TABLE_SH: Field = Field::new(11, 10);
/// CR1.TABLE_OC: outer cacheability of table walks.
pub const CR1_TABLE_OC: Field = Field::new(9, 8);
/// CR1.TABLE_IC: inner cacheability of table walks.
pub const CR1_TABLE_IC: Field = Field::new(7, 6);
/// CR1.QUEUE_SH: shareability of queue accesses.
pub const CR1_QUEUE_SH: Field = Field::new(5, 4);
/// CR1.QUEUE_OC: outer cacheability of queue accesses.
pub const CR1_QUEUE_OC: Field = Field::new(3, 2);
/// CR1.QUEUE_IC: inner cacheability of queue accesses.
pub const CR1_QUEUE_IC: Field = Field::new(1, 0);
/// Write-back cacheable.
pub const CR1_CACHE_WB: u32 = 1;
/// Inner shareable.
pub const ARM_SMMU_SH_ISH: u32 = 3;

/// Control register 2.
pub const CR2: u32 = 0x2c;
/// CR2.PTM: private TLB maintenance (broadcast TLBIs are ignored).
pub const CR2_PTM: u32 = 1 << 2;
/// CR2.RECINVSID: record C_BAD_STREAMID for out-of-range stream ids.
pub const CR2_RECINVSID: u32 = 1 << 1;

/// Interrupt enables and their acknowledgement.
pub const IRQ_CTRL: u32 = 0x50;
/// See [`IRQ_CTRL`].
pub const IRQ_CTRLACK: u32 = 0x54;
/// IRQ_CTRL.GERROR_IRQEN.
pub const IRQ_CTRL_GERROR: u32 = 1 << 0;
/// IRQ_CTRL.EVTQ_IRQEN.
pub const IRQ_CTRL_EVTQ: u32 = 1 << 2;

/// Global errors and their acknowledgement.
pub const GERROR: u32 = 0x60;
/// See [`GERROR`].
pub const GERRORN: u32 = 0x64;
/// GERROR.CMDQ_ERR.
pub const GERROR_CMDQ_ERR: u32 = 1 << 0;
/// Every error bit of GERROR.
pub const GERROR_ERR_MASK: u32 = 0x1fd;

/// The stream table's base address and its configuration.
pub const STRTAB_BASE: u32 = 0x80;
/// See [`STRTAB_BASE`].
pub const STRTAB_BASE_CFG: u32 = 0x88;
/// STRTAB_BASE.RA: read-allocate hint.
pub const STRTAB_BASE_RA: u64 = 1 << 62;
/// STRTAB_BASE.ADDR, in place (`STRTAB_BASE_ADDR_MASK`).
pub const STRTAB_BASE_ADDR: Field = Field::new(51, 6);
/// STRTAB_BASE_CFG.FMT: linear or two-level.
pub const STRTAB_BASE_CFG_FMT: Field = Field::new(17, 16);
/// See [`STRTAB_BASE_CFG_FMT`].
pub const STRTAB_BASE_CFG_FMT_2LVL: u32 = 1;
/// STRTAB_BASE_CFG.SPLIT: stream id bits resolved by level 2.
pub const STRTAB_BASE_CFG_SPLIT: Field = Field::new(10, 6);
/// STRTAB_BASE_CFG.LOG2SIZE: stream id bits of the table.
pub const STRTAB_BASE_CFG_LOG2SIZE: Field = Field::new(5, 0);
/// A level-1 descriptor's L2Ptr, in place.
pub const STRTAB_L1_DESC_L2PTR: Field = Field::new(51, 6);
/// A level-1 descriptor's SPAN.
pub const STRTAB_L1_DESC_SPAN: Field = Field::new(4, 0);

/// The command queue's base, producer and consumer.
pub const CMDQ_BASE: u32 = 0x90;
/// See [`CMDQ_BASE`].
pub const CMDQ_PROD: u32 = 0x98;
/// See [`CMDQ_BASE`].
pub const CMDQ_CONS: u32 = 0x9c;
/// CMDQ_CONS.ERR: why the SMMU stopped at a command.
pub const CMDQ_CONS_ERR: Field = Field::new(30, 24);
/// The event queue's base; its indices live in register page 1.
pub const EVTQ_BASE: u32 = 0xa0;
/// See [`EVTQ_BASE`].
pub const EVTQ_PROD: u32 = 0x1_00a8;
/// See [`EVTQ_BASE`].
pub const EVTQ_CONS: u32 = 0x1_00ac;
/// Q_BASE.RA/WA: read-allocate hint of a queue base.
pub const Q_BASE_RWA: u64 = 1 << 62;
/// Q_BASE.ADDR, in place (`Q_BASE_ADDR_MASK`).
pub const Q_BASE_ADDR: Field = Field::new(51, 5);
/// Q_BASE.LOG2SIZE.
pub const Q_BASE_LOG2SIZE: Field = Field::new(4, 0);
/// A queue index's overflow flag.
pub const Q_OVERFLOW: u32 = 1 << 31;

/// The CR1 value: tables and queues inner shareable, write-back cacheable.
pub const fn cr1_wb_ish() -> u32 {
    CR1_TABLE_SH.prep32(ARM_SMMU_SH_ISH)
        | CR1_TABLE_OC.prep32(CR1_CACHE_WB)
        | CR1_TABLE_IC.prep32(CR1_CACHE_WB)
        | CR1_QUEUE_SH.prep32(ARM_SMMU_SH_ISH)
        | CR1_QUEUE_OC.prep32(CR1_CACHE_WB)
        | CR1_QUEUE_IC.prep32(CR1_CACHE_WB)
}

/// A queue's Q_BASE value: address, size and read-allocate hint.
pub const fn queue_base(dma: u64, log2: u32) -> u64 {
    Q_BASE_RWA | (dma & Q_BASE_ADDR.mask()) | Q_BASE_LOG2SIZE.prep(log2 as u64)
}

/// STRTAB_BASE for a table at `dma`.
pub const fn strtab_base(dma: u64) -> u64 {
    STRTAB_BASE_RA | (dma & STRTAB_BASE_ADDR.mask())
}

/// STRTAB_BASE_CFG for a table of `log2size` stream id bits, two-level with
/// `split` bits per level-2 table, or linear (`split` `None`).
pub const fn strtab_base_cfg(log2size: u32, split: Option<u32>) -> u32 {
    let fmt = match split {
        Some(s) => {
            STRTAB_BASE_CFG_FMT.prep32(STRTAB_BASE_CFG_FMT_2LVL) | STRTAB_BASE_CFG_SPLIT.prep32(s)
        }
        None => 0,
    };
    fmt | STRTAB_BASE_CFG_LOG2SIZE.prep32(log2size)
}

/// A valid level-1 stream table descriptor for a level-2 table at `dma`
/// with `split` stream id bits (SPAN = split + 1).
pub const fn l1_desc(dma: u64, split: u32) -> u64 {
    (dma & STRTAB_L1_DESC_L2PTR.mask()) | STRTAB_L1_DESC_SPAN.prep(split as u64 + 1)
}
