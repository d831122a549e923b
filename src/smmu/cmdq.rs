// SPDX-License-Identifier: GPL-2.0

//! The command queue: a ring of 16-byte commands the SMMU consumes, and the
//! commands this driver issues (SMMUv3 §4).
//!
//! One producer at a time (the queue sits in a spinlock in [`crate::smmu::Smmu`]):
//! commands are written to memory, published by one `PROD` write (a
//! `writel`, which orders the preceding stores), and a `CMD_SYNC` is
//! complete once `CONS` has moved past it. Every batch ends with a
//! `CMD_SYNC`, so when [`CmdQueue::issue_batch`] returns, every earlier
//! command (STE invalidation, TLB invalidation) has taken effect.

use crate::hw::{
    DmaBuffer,
    Hw,
    Regs, //
};
use crate::spec::{
    command::{
        cmd_sync,
        opcode,
        Command,
        OP_CFGI_ALL,
        OP_CFGI_CD_ALL,
        OP_CFGI_STE,
        OP_CMD_SYNC,
        OP_TLBI_NH_ALL,
        OP_TLBI_NSNH_ALL,
        OP_TLBI_S12_VMALL,
        OP_TLBI_S2_IPA, //
    },
    regs::{
        queue_base,
        CMDQ_CONS,
        CMDQ_CONS_ERR,
        CMDQ_PROD,
        GERROR,
        GERRORN,
        GERROR_CMDQ_ERR, //
    },
};
use kernel::prelude::*;
use kernel::time::{
    delay::udelay,
    Delta,
    Instant,
    Monotonic, //
};

/// How long a CMD_SYNC may take before the SMMU is declared stuck.
const SYNC_TIMEOUT: Delta = Delta::from_millis(1000);

/// How many commands of each kind an SMMU has consumed, for debugfs: tests
/// and benchmarks see what a change cost and that nest parents get their
/// stage-1 invalidation.
#[derive(Clone, Copy, Default)]
pub(crate) struct CommandCounts {
    /// CMD_CFGI_STE, CMD_CFGI_CD_ALL and CMD_CFGI_ALL.
    pub(crate) cfgi: u64,
    /// CMD_TLBI_S2_IPA, ranged or not.
    pub(crate) tlbi_s2_ipa: u64,
    /// CMD_TLBI_S12_VMALL.
    pub(crate) tlbi_s12_vmall: u64,
    /// CMD_TLBI_NH_ALL.
    pub(crate) tlbi_nh_all: u64,
    /// CMD_TLBI_NSNH_ALL.
    pub(crate) tlbi_nsnh_all: u64,
    /// CMD_SYNC: one per batch.
    pub(crate) sync: u64,
}

impl CommandCounts {
    fn count(&mut self, cmd: &Command) {
        let n = match opcode(cmd) {
            OP_CFGI_STE | OP_CFGI_ALL | OP_CFGI_CD_ALL => &mut self.cfgi,
            OP_TLBI_S2_IPA => &mut self.tlbi_s2_ipa,
            OP_TLBI_S12_VMALL => &mut self.tlbi_s12_vmall,
            OP_TLBI_NH_ALL => &mut self.tlbi_nh_all,
            OP_TLBI_NSNH_ALL => &mut self.tlbi_nsnh_all,
            OP_CMD_SYNC => &mut self.sync,
            _ => return,
        };
        *n += 1;
    }
}

/// The command queue's memory and producer index.
pub(crate) struct CmdQueue {
    buf: DmaBuffer,
    log2: u32,
    /// Producer index with its wrap bit.
    prod: u32,
    /// The commands issued so far.
    pub(crate) counts: CommandCounts,
}

impl CmdQueue {
    /// Allocates a queue of `1 << log2` commands.
    pub(crate) fn new(hw: Hw, log2: u32) -> Result<Self> {
        Ok(Self {
            buf: DmaBuffer::new(hw, 16 << log2)?,
            log2,
            prod: 0,
            counts: CommandCounts::default(),
        })
    }

    /// The CMDQ_BASE value: address, size, read-allocate hint.
    pub(crate) fn base_reg(&self) -> u64 {
        queue_base(self.buf.dma(), self.log2)
    }

    fn wrap_mask(&self) -> u32 {
        (2 << self.log2) - 1
    }

    fn full(&self, cons: u32) -> bool {
        (self.prod ^ cons) & self.wrap_mask() == 1 << self.log2
    }

    fn read_cons(&self, hw: &Regs) -> u32 {
        hw.read32(CMDQ_CONS) & self.wrap_mask()
    }

    /// Writes `cmds` and a CMD_SYNC, publishes them and waits until the
    /// SMMU has consumed the sync. A command the SMMU rejects is logged and
    /// skipped (replaced by a sync), as the in-tree driver does.
    pub(crate) fn issue_batch(&mut self, hw: &Regs, cmds: impl Iterator<Item = Command>) -> Result {
        for cmd in cmds.chain(core::iter::once(cmd_sync())) {
            if self.full(self.read_cons(hw)) {
                hw.write32(CMDQ_PROD, self.prod);
                self.wait(hw, |q, cons| !q.full(cons))?;
            }
            let idx = (self.prod & ((1 << self.log2) - 1)) as usize;
            self.buf.write(2 * idx, cmd[0]);
            self.buf.write(2 * idx + 1, cmd[1]);
            self.prod = (self.prod + 1) & self.wrap_mask();
            self.counts.count(&cmd);
        }
        hw.write32(CMDQ_PROD, self.prod);
        self.wait(hw, |q, cons| cons == q.prod)
    }

    fn wait(&mut self, hw: &Regs, done: impl Fn(&Self, u32) -> bool) -> Result {
        let start = Instant::<Monotonic>::now();
        loop {
            if done(self, self.read_cons(hw)) {
                return Ok(());
            }
            let gerror = hw.read32(GERROR);
            let gerrorn = hw.read32(GERRORN);
            if (gerror ^ gerrorn) & GERROR_CMDQ_ERR != 0 {
                self.skip_error(hw);
                hw.write32(GERRORN, gerrorn ^ GERROR_CMDQ_ERR);
                continue;
            }
            if start.elapsed() > SYNC_TIMEOUT {
                hw.hw().log(
                    c"command queue stuck: prod, cons",
                    self.prod.into(),
                    hw.read32(CMDQ_CONS).into(),
                );
                return Err(ETIMEDOUT);
            }
            udelay(Delta::from_micros(1));
        }
    }

    /// The SMMU stopped at a bad command (CMDQ_CONS.ERR): log it and
    /// replace it by a CMD_SYNC so the queue moves on.
    pub(crate) fn skip_error(&mut self, hw: &Regs) {
        let cons = hw.read32(CMDQ_CONS);
        let err = CMDQ_CONS_ERR.get32(cons);
        let idx = (cons & ((1 << self.log2) - 1)) as usize;
        hw.hw().log(
            c"command rejected: error, opcode",
            err.into(),
            opcode(&[self.buf.read(2 * idx), 0]),
        );
        let sync = cmd_sync();
        self.buf.write(2 * idx, sync[0]);
        self.buf.write(2 * idx + 1, sync[1]);
    }
}
