// SPDX-License-Identifier: GPL-2.0

//! The event queue: records of faults and configuration errors the SMMU
//! writes (SMMUv3 §7.3). Each is decoded ([`Event`]) and logged with its
//! stream id, address and reason (rate-limited).

use crate::ffi::{
    DmaBuffer,
    Hw,
    Regs, //
};
use crate::spec::{
    event::Event,
    regs::{
        queue_base,
        EVTQ_CONS,
        EVTQ_PROD,
        Q_OVERFLOW, //
    },
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

    /// Logs and consumes every record the SMMU has produced.
    pub(crate) fn service(&mut self, regs: &Regs) {
        let hw = regs.hw();
        let wrap_mask = (2u32 << self.log2) - 1;
        let idx_mask = (1u32 << self.log2) - 1;
        let prod_reg = regs.read32(EVTQ_PROD);
        let prod = prod_reg & wrap_mask;
        let mut cons = regs.read32(EVTQ_CONS) & wrap_mask;
        while cons != prod {
            let base = (cons & idx_mask) as usize * 4;
            let event = [
                self.buf.read(base),
                self.buf.read(base + 1),
                self.buf.read(base + 2),
                self.buf.read(base + 3),
            ];
            hw.log_event(&Event::decode(&event), &event);
            cons = (cons + 1) & wrap_mask;
        }
        if prod_reg & Q_OVERFLOW != 0 {
            hw.log(c"event queue overflowed; records were lost", 0, 0);
        }
        // Acknowledge an overflow by copying its flag.
        regs.write32(EVTQ_CONS, cons | (prod_reg & Q_OVERFLOW));
    }
}
