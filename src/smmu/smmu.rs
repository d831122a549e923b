// SPDX-License-Identifier: GPL-2.0

//! One SMMU: what it offers (IDR registers), its reset, and the operations
//! everything else is built from: writing an STE safely while the device
//! may be running, and invalidating a VMID's TLB entries.

use crate::cmdq::{
    self,
    CmdQueue,
    Command, //
};
use crate::evtq::EventQueue;
use crate::ffi::{
    now_us,
    udelay,
    Hw,
    HwOwner,
    Regs, //
};
use crate::regs::*;
use crate::strtab::{
    Ste,
    StreamTable,
    STE_WORDS, //
};
use crate::vmid::VmidAllocator;
use kernel::prelude::*;
use kernel::sync::{
    Arc,
    Mutex,
    SpinLock, //
};
use kernel::{
    new_mutex,
    new_spinlock, //
};

/// What the SMMU offers, as this driver uses it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Features {
    /// Stage-2 input size in bits (the IPA size, at most 48).
    pub(crate) ias: u32,
    /// Output address size in bits (at most 48).
    pub(crate) oas: u32,
    /// VMID bits: 8 or 16.
    pub(crate) vmid_bits: u32,
    /// Range invalidation (SMMU_IDR3.RIL).
    pub(crate) ril: bool,
    /// Block size may change without break-before-make (IDR3.BBML == 2).
    pub(crate) bbml2: bool,
    /// SMMU_IDR1.ATTR_TYPES_OVR.
    pub(crate) attr_override: bool,
    /// Stream id bits.
    pub(crate) sid_bits: u32,
    /// Two-level stream tables.
    pub(crate) two_level: bool,
    /// log2 of the command and event queue sizes used.
    pub(crate) cmdq_log2: u32,
    /// See `cmdq_log2`.
    pub(crate) evtq_log2: u32,
}

fn oas_bits(field: u32) -> u32 {
    match field {
        0 => 32,
        1 => 36,
        2 => 40,
        3 => 42,
        4 => 44,
        _ => 48,
    }
}

impl Features {
    /// Reads the IDR registers; `ENODEV` with a message naming what is
    /// missing if the SMMU cannot run this driver.
    fn probe(hw: &Regs) -> Result<Self> {
        let idr0 = hw.read32(IDR0);
        let idr1 = hw.read32(IDR1);
        let idr3 = hw.read32(IDR3);
        let idr5 = hw.read32(IDR5);
        let ttf = (idr0 >> IDR0_TTF_SHIFT) & 3;
        let missing = if idr0 & IDR0_S2P == 0 {
            Some("stage-2 translation (IDR0.S2P)")
        } else if ttf != IDR0_TTF_AARCH64 && ttf != IDR0_TTF_BOTH {
            Some("AArch64 translation tables (IDR0.TTF)")
        } else if (idr0 >> IDR0_TTENDIAN_SHIFT) & 3 == IDR0_TTENDIAN_BE {
            Some("little-endian table walks (IDR0.TTENDIAN)")
        } else if idr5 & IDR5_GRAN4K == 0 {
            Some("the 4 KiB granule (IDR5.GRAN4K)")
        } else if idr0 & IDR0_COHACC == 0 {
            Some("coherent table and queue access (IDR0.COHACC)")
        } else if idr1 & (IDR1_TABLES_PRESET | IDR1_QUEUES_PRESET) != 0 {
            Some("software-placed tables and queues (IDR1.*_PRESET)")
        } else {
            None
        };
        if let Some(what) = missing {
            pr_err!("not probing: the SMMU lacks {what}\n");
            return Err(ENODEV);
        }
        let oas = oas_bits(idr5 & IDR5_OAS_MASK);
        Ok(Self {
            ias: oas,
            oas,
            vmid_bits: if idr0 & IDR0_VMID16 != 0 { 16 } else { 8 },
            ril: idr3 & IDR3_RIL != 0,
            bbml2: (idr3 >> IDR3_BBML_SHIFT) & 3 == 2,
            attr_override: idr1 & IDR1_ATTR_TYPES_OVR != 0,
            sid_bits: idr1 & IDR1_SIDSIZE_MASK,
            two_level: (idr0 >> IDR0_ST_LVL_SHIFT) & 3 == IDR0_ST_LVL_2LVL,
            cmdq_log2: ((idr1 >> IDR1_CMDQS_SHIFT) & IDR1_QS_MASK).min(8),
            evtq_log2: ((idr1 >> IDR1_EVTQS_SHIFT) & IDR1_QS_MASK).min(7),
        })
    }
}

/// What only the live SMMU has: its registers and the command queue that
/// drives them. `regs` is `None` once the SMMU is disabled: its registers
/// may be unmapped then, and every path that would touch them finds `None`
/// under this lock instead.
pub(crate) struct Hardware {
    regs: Option<Regs>,
    cmdq: CmdQueue,
}

/// One SMMU instance.
///
/// Lock order: `strtab` before `hardware`; a domain's table lock before
/// `hardware`; `evtq` before `hardware`; `vmids` takes nothing else.
#[pin_data]
pub(crate) struct Smmu {
    pub(crate) hw: Hw,
    pub(crate) features: Features,
    /// The registers and the command queue: commands are issued and
    /// waited for in one critical section; never taken from hard-IRQ
    /// context. Disabling the SMMU takes the registers away under it.
    #[pin]
    hardware: SpinLock<Hardware>,
    /// STE updates: serialised so each follows the whole update sequence.
    #[pin]
    strtab: Mutex<StreamTable>,
    /// Serviced by the IRQ thread or the poll work.
    #[pin]
    evtq: Mutex<EventQueue>,
    /// VMIDs of live stage-2 domains.
    #[pin]
    pub(crate) vmids: Mutex<VmidAllocator>,
    /// Frees the C state last, after the DMA memory above.
    _owner: HwOwner,
}

/// Polls `cond` for up to 100 ms.
fn poll(cond: impl Fn() -> bool) -> Result {
    let start = now_us();
    while !cond() {
        if now_us() - start > 100_000 {
            return Err(ETIMEDOUT);
        }
        udelay(1);
    }
    Ok(())
}

fn write_cr0(regs: &Regs, val: u32) -> Result {
    regs.write32(CR0, val);
    poll(|| regs.read32(CR0ACK) == val)
}

fn write_irq_ctrl(regs: &Regs, val: u32) -> Result {
    regs.write32(IRQ_CTRL, val);
    poll(|| regs.read32(IRQ_CTRLACK) == val)
}

impl Smmu {
    /// Probes, allocates and enables the SMMU behind `hw`.
    /// On failure the C state is freed too (the owner drops).
    ///
    /// # Safety
    ///
    /// The register mapping of `hw` must stay live until [`Self::disable`]
    /// has returned (the caller's remove path calls it before unmapping).
    pub(crate) unsafe fn new(hw: Hw) -> Result<Arc<Self>> {
        let owner = HwOwner(hw);
        // SAFETY: the mapping outlives `disable`, which drops this value
        // (caller), and this is the only `Regs` of the SMMU.
        let regs = unsafe { Regs::new(hw) };
        let features = Features::probe(&regs)?;
        let strtab = StreamTable::new(hw, features.sid_bits, features.two_level)?;
        let cmdq = CmdQueue::new(hw, features.cmdq_log2)?;
        let evtq = EventQueue::new(hw, features.evtq_log2)?;
        let vmids = VmidAllocator::new(features.vmid_bits)?;
        let hardware = Hardware {
            regs: Some(regs),
            cmdq,
        };
        let smmu = Arc::pin_init(
            pin_init!(Self {
                hw,
                features,
                hardware <- new_spinlock!(hardware, "smmu_rs::hardware"),
                strtab <- new_mutex!(strtab, "smmu_rs::strtab"),
                evtq <- new_mutex!(evtq, "smmu_rs::evtq"),
                vmids <- new_mutex!(vmids, "smmu_rs::vmids"),
                _owner: owner,
            }),
            GFP_KERNEL,
        )?;
        if let Err(e) = smmu.reset() {
            // Leave it disabled; dropping `smmu` frees everything.
            smmu.disable();
            return Err(e);
        }
        pr_info!(
            "SMMUv3: stage-2 {}-bit IPA, {}-bit PA, {}-bit VMID, {}-bit SID{}, RIL {}, BBML2 {}\n",
            features.ias,
            features.oas,
            features.vmid_bits,
            features.sid_bits,
            if features.two_level { " (2-level)" } else { "" },
            features.ril,
            features.bbml2
        );
        Ok(smmu)
    }

    /// The reset sequence of SMMUv3 §6.3.9, as the in-tree driver does it.
    fn reset(&self) -> Result {
        let (strtab_base, strtab_cfg) = self.strtab.lock().base_regs();
        let evtq_base = self.evtq.lock().base_reg();
        let mut guard = self.hardware.lock();
        let Hardware { regs, cmdq } = &mut *guard;
        let regs = regs.as_ref().ok_or(ENODEV)?;
        if regs.read32(CR0) & CR0_SMMUEN != 0 {
            pr_warn!("SMMU was enabled at probe; resetting it\n");
        }
        write_cr0(regs, 0)?;
        write_irq_ctrl(regs, 0)?;
        regs.write32(CR1, CR1_WB_ISH);
        regs.write32(CR2, CR2_RECINVSID_PTM);
        regs.write64(STRTAB_BASE, strtab_base);
        regs.write32(STRTAB_BASE_CFG, strtab_cfg);
        regs.write64(CMDQ_BASE, cmdq.base_reg());
        regs.write32(CMDQ_PROD, 0);
        regs.write32(CMDQ_CONS, 0);
        write_cr0(regs, CR0_CMDQEN)?;
        cmdq.issue_batch(regs, [cmdq::cfgi_all(), cmdq::tlbi_nsnh_all()].into_iter())?;
        regs.write64(EVTQ_BASE, evtq_base);
        regs.write32(EVTQ_PROD, 0);
        regs.write32(EVTQ_CONS, 0);
        write_cr0(regs, CR0_CMDQEN | CR0_EVTQEN)?;
        write_irq_ctrl(regs, IRQ_CTRL_GERROR | IRQ_CTRL_EVTQ)?;
        write_cr0(regs, CR0_CMDQEN | CR0_EVTQEN | CR0_SMMUEN)
    }

    /// Disables the SMMU (devices fall back to GBPA, bypass by default)
    /// and takes its registers away: every later command is dropped, and
    /// no path can reach the registers any more, so the caller may unmap
    /// them when this returns.
    pub(crate) fn disable(&self) {
        let regs = self.hardware.lock().regs.take();
        if let Some(regs) = regs {
            if write_cr0(&regs, 0).is_err() || write_irq_ctrl(&regs, 0).is_err() {
                pr_err!("SMMU did not acknowledge disable\n");
            }
        }
    }

    /// Issues `cmds` and a CMD_SYNC, and waits for them. Once the SMMU is
    /// disabled nothing is issued (no STE points anywhere then).
    pub(crate) fn issue(&self, cmds: impl Iterator<Item = Command>) -> Result {
        let mut guard = self.hardware.lock();
        let Hardware { regs, cmdq } = &mut *guard;
        match regs {
            Some(regs) => cmdq.issue_batch(regs, cmds),
            None => Ok(()),
        }
    }

    /// Makes the STE of `sid` exist (abort until written).
    pub(crate) fn prepare_sid(&self, sid: u32) -> Result {
        self.strtab.lock().prepare(sid)
    }

    /// Installs `ste` for every stream id in `sids`, safely while the
    /// devices issue DMA: a live STE first becomes abort (one 64-bit write
    /// of word 0, then CFGI_STE + CMD_SYNC, so the SMMU no longer uses the
    /// old words), the other words are written, and word 0 last makes the
    /// new configuration valid, followed by CFGI_STE + CMD_SYNC.
    pub(crate) fn install(&self, sids: &[u32], ste: Ste) -> Result {
        let new = ste.words(self.features.attr_override);
        let mut table = self.strtab.lock();
        for &sid in sids {
            let cur: [u64; STE_WORDS] = core::array::from_fn(|i| table.read(sid, i));
            if cur == new {
                continue;
            }
            if cur[0] & 1 != 0 && cur[0] != Ste::Abort.words(false)[0] {
                table.write(sid, 0, Ste::Abort.words(false)[0]);
                self.issue(core::iter::once(cmdq::cfgi_ste(sid)))?;
            }
            for (i, &w) in new.iter().enumerate().skip(1) {
                table.write(sid, i, w);
            }
            table.write(sid, 0, new[0]);
            self.issue(core::iter::once(cmdq::cfgi_ste(sid)))?;
        }
        Ok(())
    }

    /// Invalidates every TLB and walk-cache entry of `vmid` for
    /// `[iova, iova + size)`, and waits. Uses range commands where the
    /// SMMU has them, one command per page for small ranges otherwise, and
    /// the whole VMID beyond 64 pages; one CMD_SYNC for all of them. For a
    /// nest parent, then every stage-1 entry of the VMID too (see
    /// [`Self::invalidate_nested`]).
    pub(crate) fn invalidate_range(&self, vmid: u16, iova: u64, size: u64, nest_parent: bool) {
        let pages = size.div_ceil(4096);
        let r = if self.features.ril {
            self.issue(RangeInvalidation { vmid, iova, pages })
        } else if pages <= 64 {
            self.issue((0..pages).map(|i| cmdq::tlbi_s2_ipa(vmid, iova + i * 4096, None)))
        } else {
            self.issue(core::iter::once(cmdq::tlbi_vmall(vmid)))
        };
        if r.is_err() {
            self.hw
                .log(c"TLB invalidation failed: vmid, iova", vmid.into(), iova);
        }
        if nest_parent {
            self.invalidate_nested(vmid);
        }
    }

    /// Invalidates every entry of `vmid`, and waits.
    pub(crate) fn invalidate_vmid(&self, vmid: u16) {
        if self
            .issue(core::iter::once(cmdq::tlbi_vmall(vmid)))
            .is_err()
        {
            self.hw
                .log(c"TLB invalidation failed: vmid", vmid.into(), 0);
        }
    }

    /// After a stage-2 change of a nest parent: TLBI_S2_IPA leaves combined
    /// stage-1+2 entries of the guest's ASIDs in place (SMMUv3 §3.17.4;
    /// QEMU's model keeps them too), so a nested device could go on using a
    /// page the IOAS has unpinned. TLBI_NH_ALL for the VMID drops them.
    /// It goes in its own batch after the stage-2 invalidation's CMD_SYNC,
    /// as upstream's arm-smmu-v3 does, so no walk between the two can
    /// refill a combined entry from a stale stage-2 entry.
    pub(crate) fn invalidate_nested(&self, vmid: u16) {
        if self
            .issue(core::iter::once(cmdq::tlbi_nh_all(vmid)))
            .is_err()
        {
            self.hw
                .log(c"stage-1 invalidation failed: vmid", vmid.into(), 0);
        }
    }

    /// The commands this SMMU has consumed so far.
    pub(crate) fn command_counts(&self) -> cmdq::CommandCounts {
        self.hardware.lock().cmdq.counts
    }

    /// Logs every new event record.
    pub(crate) fn service_events(&self) {
        let mut evtq = self.evtq.lock();
        if let Some(regs) = self.hardware.lock().regs.as_ref() {
            evtq.service(regs);
        }
    }

    /// Logs and acknowledges global errors; a command error skips the bad
    /// command so the queue goes on.
    pub(crate) fn service_gerror(&self) {
        let mut guard = self.hardware.lock();
        let Hardware { regs, cmdq } = &mut *guard;
        let Some(regs) = regs else {
            return;
        };
        let gerror = regs.read32(GERROR);
        let gerrorn = regs.read32(GERRORN);
        let active = (gerror ^ gerrorn) & GERROR_ERR_MASK;
        if active == 0 {
            return;
        }
        self.hw.log(
            c"global error: GERROR, active",
            gerror.into(),
            active.into(),
        );
        if active & GERROR_CMDQ_ERR != 0 {
            cmdq.skip_error(regs);
        }
        regs.write32(GERRORN, gerror);
    }
}

/// The TLBI_S2_IPA range commands covering `pages` pages from `iova`: each
/// covers `num << scale` pages, `scale` being the lowest set bit of what
/// is left, as the in-tree driver splits them.
struct RangeInvalidation {
    vmid: u16,
    iova: u64,
    pages: u64,
}

impl Iterator for RangeInvalidation {
    type Item = Command;

    fn next(&mut self) -> Option<Command> {
        if self.pages == 0 {
            return None;
        }
        let scale = u64::from(self.pages.trailing_zeros());
        let num = (self.pages >> scale) & 31;
        let cmd = cmdq::tlbi_s2_ipa(self.vmid, self.iova, Some((num - 1, scale)));
        self.pages -= num << scale;
        self.iova += (num << scale) * 4096;
        Some(cmd)
    }
}
