// SPDX-License-Identifier: GPL-2.0

//! The event queue: records of faults and configuration errors the SMMU
//! writes (SMMUv3 §7.3), taken in batches for `Smmu::service_events` to
//! forward to a guest or log.

use crate::hw::{
    DmaBuffer,
    Hw,
    Regs, //
};
use crate::spec::regs::{
    queue_base,
    EVTQ_CONS,
    EVTQ_PROD,
    Q_OVERFLOW, //
};
use kernel::prelude::*;

/// The event queue's memory and consumer index.
pub(crate) struct EventQueue {
    buf: DmaBuffer,
    log2: u32,
}

impl EventQueue {
    /// A queue of `1 << log2` 32-byte records.
    pub(crate) fn new(hw: Hw, log2: u32) -> Result<Self> {
        Ok(Self {
            buf: DmaBuffer::new(hw, 32 << log2)?,
            log2,
        })
    }

    /// The EVTQ_BASE value.
    pub(crate) fn base_reg(&self) -> u64 {
        queue_base(self.buf.dma(), self.log2)
    }

    /// Consumes up to `out.len()` records the SMMU has produced, into
    /// `out`; returns how many, and whether the queue had overflowed
    /// (records were lost), which this acknowledges.
    pub(crate) fn take(&mut self, regs: &Regs, out: &mut [[u64; 4]]) -> (usize, bool) {
        let wrap_mask = (2u32 << self.log2) - 1;
        let idx_mask = (1u32 << self.log2) - 1;
        let prod_reg = regs.read32(EVTQ_PROD);
        let prod = prod_reg & wrap_mask;
        let mut cons = regs.read32(EVTQ_CONS) & wrap_mask;
        let mut n = 0;
        while cons != prod && n < out.len() {
            let base = (cons & idx_mask) as usize * 4;
            out[n] = core::array::from_fn(|i| self.buf.read(base + i));
            n += 1;
            cons = (cons + 1) & wrap_mask;
        }
        let overflowed = prod_reg & Q_OVERFLOW != 0;
        // Acknowledge an overflow by copying its flag.
        regs.write32(EVTQ_CONS, cons | (prod_reg & Q_OVERFLOW));
        (n, overflowed)
    }
}
