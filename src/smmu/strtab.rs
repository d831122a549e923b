// SPDX-License-Identifier: GPL-2.0

//! The stream table: one 64-byte STE per stream id, linear or two-level
//! (SMMUv3 §3.3.2), and the STE formats this driver writes (§5.2).
//!
//! Two-level tables split stream ids at bit 8 (the in-tree driver's
//! STRTAB_SPLIT): level 1 is a small array of descriptors, and a 16 KiB
//! level-2 table of 256 STEs is allocated when a device with a stream id in
//! its span is probed. Every STE starts as abort, so traffic from an
//! unknown stream id is stopped (and recorded as C_BAD_STREAMID when its
//! level-1 descriptor is invalid).

use crate::hw::{
    DmaBuffer,
    Hw, //
};
use crate::spec::{
    regs::{
        l1_desc,
        strtab_base,
        strtab_base_cfg, //
    },
    ste::{
        Ste,
        STE_WORDS, //
    },
};
use kernel::alloc::KVec;
use kernel::prelude::*;
use kernel::sync::barrier::{
    dma_mb,
    Write, //
};

const SPLIT: u32 = 8;
/// Level-1 entries are capped as the in-tree driver caps them.
const MAX_L1_BITS: u32 = 17;
/// A linear table larger than this (in stream id bits) is refused.
const MAX_LINEAR_BITS: u32 = 16;

enum Layout {
    Linear(DmaBuffer),
    TwoLevel {
        l1: DmaBuffer,
        l2: KVec<Option<DmaBuffer>>,
    },
}

/// The stream table's memory.
pub(crate) struct StreamTable {
    hw: Hw,
    layout: Layout,
    sid_bits: u32,
}

fn fill_abort(buf: &mut DmaBuffer, stes: usize) {
    let abort = Ste::Abort.words(false);
    for i in 0..stes {
        for (j, &w) in abort.iter().enumerate() {
            buf.write(i * STE_WORDS + j, w);
        }
    }
}

impl StreamTable {
    /// A table for `sid_bits` stream id bits; two-level if `two_level`.
    pub(crate) fn new(hw: Hw, sid_bits: u32, two_level: bool) -> Result<Self> {
        if two_level && sid_bits > SPLIT {
            let l1_bits = (sid_bits - SPLIT).min(MAX_L1_BITS);
            let n = 1usize << l1_bits;
            let l1 = DmaBuffer::new(hw, n * 8)?;
            let mut l2 = KVec::with_capacity(n, GFP_KERNEL)?;
            for _ in 0..n {
                l2.push(None, GFP_KERNEL)?;
            }
            return Ok(Self {
                hw,
                layout: Layout::TwoLevel { l1, l2 },
                sid_bits: l1_bits + SPLIT,
            });
        }
        if sid_bits > MAX_LINEAR_BITS {
            pr_err!("not probing: {sid_bits}-bit stream ids need a two-level stream table\n");
            return Err(ENODEV);
        }
        let n = 1usize << sid_bits;
        let mut buf = DmaBuffer::new(hw, n * STE_WORDS * 8)?;
        fill_abort(&mut buf, n);
        Ok(Self {
            hw,
            layout: Layout::Linear(buf),
            sid_bits,
        })
    }

    /// STRTAB_BASE and STRTAB_BASE_CFG.
    pub(crate) fn base_regs(&self) -> (u64, u32) {
        match &self.layout {
            Layout::Linear(buf) => (strtab_base(buf.dma()), strtab_base_cfg(self.sid_bits, None)),
            Layout::TwoLevel { l1, .. } => (
                strtab_base(l1.dma()),
                strtab_base_cfg(self.sid_bits, Some(SPLIT)),
            ),
        }
    }

    /// Makes the STE of `sid` exist (allocating its level-2 table). It is
    /// abort until written. `EINVAL` for a stream id the table cannot hold.
    pub(crate) fn prepare(&mut self, sid: u32) -> Result {
        if sid_bits_needed(sid) > self.sid_bits {
            return Err(EINVAL);
        }
        let Layout::TwoLevel { l1, l2 } = &mut self.layout else {
            return Ok(());
        };
        let i = (sid >> SPLIT) as usize;
        if l2[i].is_some() {
            return Ok(());
        }
        let stes = 1usize << SPLIT;
        let mut buf = DmaBuffer::new(self.hw, stes * STE_WORDS * 8)?;
        fill_abort(&mut buf, stes);
        // An invalid level-1 descriptor is never cached, so making it
        // valid needs no invalidation; the abort STEs must be visible to
        // the SMMU before it.
        dma_mb(Write);
        l1.write(i, l1_desc(buf.dma(), SPLIT));
        l2[i] = Some(buf);
        Ok(())
    }

    fn slot(&mut self, sid: u32) -> Option<(&mut DmaBuffer, usize)> {
        match &mut self.layout {
            Layout::Linear(buf) => Some((buf, sid as usize * STE_WORDS)),
            Layout::TwoLevel { l2, .. } => {
                let buf = l2.get_mut((sid >> SPLIT) as usize)?.as_mut()?;
                Some((buf, (sid as usize & ((1 << SPLIT) - 1)) * STE_WORDS))
            }
        }
    }

    /// Word `i` of the STE of `sid` (0 if it was never prepared).
    pub(crate) fn read(&mut self, sid: u32, i: usize) -> u64 {
        self.slot(sid).map_or(0, |(buf, base)| buf.read(base + i))
    }

    /// Sets word `i` of the STE of `sid`, which must be prepared.
    pub(crate) fn write(&mut self, sid: u32, i: usize, value: u64) {
        if let Some((buf, base)) = self.slot(sid) {
            buf.write(base + i, value);
        }
    }
}

fn sid_bits_needed(sid: u32) -> u32 {
    32 - sid.leading_zeros()
}
