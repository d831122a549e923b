// SPDX-License-Identifier: GPL-2.0

//! One SMMU: what it offers (IDR registers), its reset, and the operations
//! everything else is built from: writing an STE safely while the device
//! may be running, and invalidating a VMID's TLB entries.

use crate::cmdq::{
    self,
    CmdQueue, //
};
use crate::evtq::EventQueue;
use crate::hw::{
    Hw,
    HwOwner,
    Regs, //
};
use crate::nested::Vsmmu;
use crate::sequence::{
    invalidation::{
        self,
        Failure, //
    },
    ste_update,
    CommandQueue,
    Invalidator,
    StreamTableAccess, //
};
use crate::spec::event::Event;
use crate::spec::{
    command::{
        self,
        Command, //
    },
    idr::Features,
    regs::*,
    ste::Ste,
};
use crate::strtab::StreamTable;
use crate::vmid::VmidAllocator;
use kernel::alloc::KVec;
use kernel::io::poll::read_poll_timeout_atomic;
use kernel::prelude::*;
use kernel::sync::{
    Arc,
    Mutex,
    SpinLock, //
};
use kernel::time::Delta;
use kernel::{
    new_mutex,
    new_spinlock, //
};

/// Reads IDR0-5 and parses them; `ENODEV` with a message naming what is
/// missing if the SMMU cannot run this driver.
fn probe_features(regs: &Regs) -> Result<([u32; 6], Features)> {
    let idr: [u32; 6] = core::array::from_fn(|i| regs.read32(IDR0 + 4 * i as u32));
    match Features::parse(&idr) {
        Ok(f) => Ok((idr, f)),
        Err(what) => {
            pr_err!("not probing: the SMMU lacks {what}\n");
            Err(ENODEV)
        }
    }
}

/// Where a device's MSI doorbells are mapped by default (its SW_MSI
/// reserved region): `[base, base + size)`, where the in-tree driver puts
/// it (`MSI_IOVA_BASE`, `MSI_IOVA_LENGTH`).
pub(crate) const SW_MSI_REGION: (u64, u64) = (0x800_0000, 0x10_0000);

/// What IOMMU_GET_HW_INFO reports of an SMMU: its identification
/// registers as probed.
#[derive(Clone, Copy)]
pub(crate) struct Identification {
    /// IDR0-5.
    pub(crate) idr: [u32; 6],
    /// SMMU_IIDR.
    pub(crate) iidr: u32,
    /// SMMU_AIDR.
    pub(crate) aidr: u32,
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
/// Lock order: `event_routes` before `strtab`; `strtab` before `hardware`;
/// a domain's table lock before `hardware`; `evtq` before `hardware`;
/// `vmids` takes nothing else.
#[pin_data]
pub(crate) struct Smmu {
    pub(crate) hw: Hw,
    pub(crate) features: Features,
    /// The identification registers, read once at probe.
    pub(crate) id: Identification,
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
    /// The streams whose STE is nested, with the VMID of their stage 2:
    /// a stage-2 change of that VMID also drops what the SMMU cached of
    /// their configuration ([`invalidation::invalidate_stage1`]). Updated by
    /// [`Self::install`] under `strtab`; taken after a domain's table lock
    /// and before `hardware`.
    #[pin]
    nested_streams: Mutex<KVec<(u32, u16)>>,
    /// The vIOMMUs over this SMMU, for events to find their guest: from
    /// [`Vsmmu::new`] to the front end's free. Taken before a vIOMMU's
    /// locks.
    #[pin]
    viommus: Mutex<KVec<Arc<Vsmmu>>>,
    /// Where the events a guest gets go, by stream: set when a master
    /// with a virtual id attaches to a nested domain, cleared by any other
    /// attach, by the master's release and when it leaves its user
    /// (upstream's `arm_smmu_master->vmaster`). Held across the STE change
    /// of an attach, so that an event is routed by the configuration it
    /// came from or the one replacing it, never by an older one; taken
    /// before `strtab` and before a vIOMMU's `events`.
    #[pin]
    event_routes: Mutex<KVec<EventRoute>>,
    /// Frees the C state last, after the DMA memory above.
    _owner: HwOwner,
}

/// Where the events of one stream go: the vIOMMU of the nested domain its
/// master is attached to, under the virtual id the master has there.
struct EventRoute {
    sid: u32,
    /// The master, by [`crate::master::Master::id`].
    master: u64,
    viommu: Arc<Vsmmu>,
    vsid: u32,
}

/// The vIOMMU and virtual stream id a master's events go to once an
/// attach has installed its STE; see [`Smmu::install_for_master`].
pub(crate) struct Route {
    pub(crate) viommu: Arc<Vsmmu>,
    pub(crate) vsid: u32,
}

/// Writes `val` to the register at `off` and waits up to about 100 ms for
/// its acknowledgement register `ack` to show it; busy (callers may hold
/// the hardware spinlock).
fn write_acked(regs: &Regs, off: u32, ack: u32, val: u32) -> Result {
    regs.write32(off, val);
    read_poll_timeout_atomic(
        || Ok(regs.read32(ack)),
        |v| *v == val,
        Delta::from_micros(1),
        100_000,
    )
    .map(drop)
}

fn write_cr0(regs: &Regs, val: u32) -> Result {
    write_acked(regs, CR0, CR0ACK, val)
}

fn write_irq_ctrl(regs: &Regs, val: u32) -> Result {
    write_acked(regs, IRQ_CTRL, IRQ_CTRLACK, val)
}

impl Smmu {
    /// Probes, allocates and enables the SMMU behind `hw`, whose registers
    /// are `regs` and whose device `owner` keeps. The caller disables it
    /// ([`Self::disable`]) before its binding ends.
    pub(crate) fn new(hw: Hw, owner: HwOwner, regs: Regs) -> Result<Arc<Self>> {
        let (idr, features) = probe_features(&regs)?;
        let id = Identification {
            idr,
            iidr: regs.read32(IIDR),
            aidr: regs.read32(AIDR),
        };
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
                id,
                hardware <- new_spinlock!(hardware, "smmu_rs::hardware"),
                strtab <- new_mutex!(strtab, "smmu_rs::strtab"),
                evtq <- new_mutex!(evtq, "smmu_rs::evtq"),
                vmids <- new_mutex!(vmids, "smmu_rs::vmids"),
                nested_streams <- new_mutex!(KVec::new(), "smmu_rs::nested_streams"),
                viommus <- new_mutex!(KVec::new(), "smmu_rs::viommus"),
                event_routes <- new_mutex!(KVec::new(), "smmu_rs::event_routes"),
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
        regs.write32(CR1, cr1_wb_ish());
        // Record invalid stream ids (C_BAD_STREAMID), private TLB
        // maintenance.
        regs.write32(CR2, CR2_RECINVSID | CR2_PTM);
        regs.write64(STRTAB_BASE, strtab_base);
        regs.write32(STRTAB_BASE_CFG, strtab_cfg);
        regs.write64(CMDQ_BASE, cmdq.base_reg());
        regs.write32(CMDQ_PROD, 0);
        regs.write32(CMDQ_CONS, 0);
        write_cr0(regs, CR0_CMDQEN)?;
        cmdq.issue_batch(
            regs,
            [command::cfgi_all(), command::tlbi_nsnh_all()].into_iter(),
        )?;
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
    /// devices issue DMA: [`ste_update::install`] over the stream table,
    /// whose lock serialises the updates.
    pub(crate) fn install(&self, sids: &[u32], ste: Ste) -> Result {
        let mut table = self.strtab.lock();
        ste_update::install(
            &mut LockedStreamTable {
                smmu: self,
                table: &mut table,
            },
            sids,
            ste,
            self.features.attr_override,
        )
    }

    /// Installs `ste` for the master `master` with stream ids `sids`, as
    /// [`Self::install`] does, and routes their guest events to `route`
    /// from then on (`None`: to no guest). Whatever happens, no event is
    /// routed by the configuration the master had before: a failure leaves
    /// it routed nowhere.
    pub(crate) fn install_for_master(
        &self,
        master: u64,
        sids: &[u32],
        ste: Ste,
        route: Option<Route>,
    ) -> Result {
        let mut routes = self.event_routes.lock();
        if route.is_some() {
            // So that recording the route cannot fail once the STE is in.
            routes.reserve(1, GFP_KERNEL_ACCOUNT)?;
        }
        let r = self.install(sids, ste);
        routes.retain(|e| e.master != master);
        if let (Ok(()), Some(Route { viommu, vsid }), [sid]) = (&r, route, sids) {
            routes.push(
                EventRoute {
                    sid: *sid,
                    master,
                    viommu,
                    vsid,
                },
                GFP_KERNEL_ACCOUNT,
            )?;
        }
        r
    }

    /// Records that `sids` get a nested STE over `vmid`, before their STEs
    /// change: from then on a stage-2 change of `vmid` drops what the SMMU
    /// cached of their configuration. A failure records nothing.
    fn note_nested(&self, sids: &[u32], vmid: u16) -> Result {
        let mut nested = self.nested_streams.lock();
        nested.reserve(sids.len(), GFP_KERNEL)?;
        for &sid in sids {
            if !nested.contains(&(sid, vmid)) {
                nested.push((sid, vmid), GFP_KERNEL)?;
            }
        }
        Ok(())
    }

    /// After `sids` got their new STE (nested over `vmid`, or not nested):
    /// forgets what they were nested over before. Only now, so that a
    /// stage-2 change while an old nested STE was still live was followed
    /// by its CFGI.
    fn forget_nested(&self, sids: &[u32], vmid: Option<u16>) {
        self.nested_streams
            .lock()
            .retain(|e| !sids.contains(&e.0) || Some(e.1) == vmid);
    }

    /// Invalidates every TLB and walk-cache entry of `vmid` for
    /// `[iova, iova + size)`, and waits; for a nest parent, then every
    /// stage-1 entry of the VMID and the configuration of the streams
    /// nested over it ([`invalidation::invalidate_range`]). An error
    /// (logged) if the SMMU did not confirm it: the old translations may
    /// still be cached.
    pub(crate) fn invalidate_range(
        &self,
        vmid: u16,
        iova: u64,
        size: u64,
        nest_parent: bool,
    ) -> Result {
        invalidation::invalidate_range(
            &mut Commands(self),
            self.features.ril,
            vmid,
            iova,
            size,
            nest_parent,
        )
    }

    /// Invalidates every entry of `vmid`, and waits; an error (logged) as
    /// for [`Self::invalidate_range`].
    pub(crate) fn invalidate_vmid(&self, vmid: u16) -> Result {
        invalidation::invalidate_vmid(&mut Commands(self), vmid)
    }

    /// Invalidates every entry of the VMID of a stage-2 domain being
    /// freed, then frees the VMID, or leaks it if the SMMU did not confirm
    /// the invalidation ([`invalidation::release_vmid`]).
    pub(crate) fn release_vmid(&self, vmid: u16) {
        invalidation::release_vmid(&mut Commands(self), vmid)
    }

    /// The command queue, for the [`crate::sequence`] batches.
    pub(crate) fn commands(&self) -> Commands<'_> {
        Commands(self)
    }

    /// The commands this SMMU has consumed so far.
    pub(crate) fn command_counts(&self) -> cmdq::CommandCounts {
        self.hardware.lock().cmdq.counts
    }

    /// Lists a new vIOMMU.
    pub(crate) fn add_viommu(&self, v: &Arc<Vsmmu>) -> Result {
        self.viommus.lock().push(v.clone(), GFP_KERNEL_ACCOUNT)?;
        Ok(())
    }

    /// Forgets every virtual id of the master `id`, and where its events
    /// went: it left its user (its next user must find nothing of this
    /// one's), or was released (its stream ids may go to another device).
    pub(crate) fn forget_master(&self, id: u64) {
        self.event_routes.lock().retain(|e| e.master != id);
        for v in self.viommus.lock().iter() {
            v.forget_master(id);
        }
    }

    /// Takes a vIOMMU the front end frees off the list (no master is
    /// attached to a nested domain of it any more, so no route names it).
    pub(crate) fn remove_viommu(&self, v: &Vsmmu) {
        self.event_routes
            .lock()
            .retain(|e| !core::ptr::eq(&*e.viommu, v));
        self.viommus.lock().retain(|x| !core::ptr::eq(&**x, v));
    }

    /// Consumes every new event record: a record a guest gets (a stage-1
    /// fault or a configuration error of a stream with a virtual id) goes
    /// to its vIOMMU's vEVENTQ; every other one, and one with no queue to
    /// take it, is logged. Records are taken in batches under the locks
    /// and handled with them released.
    pub(crate) fn service_events(&self) {
        let mut batch = [[0u64; 4]; 16];
        loop {
            let (n, overflowed) = {
                let mut evtq = self.evtq.lock();
                match self.hardware.lock().regs.as_ref() {
                    Some(regs) => evtq.take(regs, &mut batch),
                    None => (0, false),
                }
            };
            for record in &batch[..n] {
                if !self.forward(record) {
                    self.hw.log_event(&Event::decode(record), record);
                }
            }
            if overflowed {
                self.hw
                    .log(c"event queue overflowed; records were lost", 0, 0);
            }
            if n < batch.len() {
                break;
            }
            // A device that faults on and on must not hold the CPU.
            self.hw.cond_resched();
        }
    }

    /// Gives `record` to the vIOMMU of the nested domain its stream is
    /// attached to, under the stream's virtual id there, if it is one a
    /// guest gets; whether it was taken. As upstream's
    /// `arm_smmu_handle_evt`: by the attachment, not by which vIOMMUs name
    /// the stream (a vIOMMU of a user the device has left may still).
    fn forward(&self, record: &[u64; 4]) -> bool {
        let sid = Event::decode(record).sid;
        let routes = self.event_routes.lock();
        routes
            .iter()
            .find(|e| e.sid == sid)
            .is_some_and(|e| Event::for_guest(record, e.vsid).is_some_and(|r| e.viommu.report(&r)))
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

/// The stream table under its lock, for [`ste_update::install`].
struct LockedStreamTable<'a> {
    smmu: &'a Smmu,
    table: &'a mut StreamTable,
}

impl CommandQueue for LockedStreamTable<'_> {
    type Error = Error;

    fn issue(&mut self, cmds: impl Iterator<Item = Command>) -> Result {
        self.smmu.issue(cmds)
    }
}

impl StreamTableAccess for LockedStreamTable<'_> {
    fn read(&mut self, sid: u32, word: usize) -> u64 {
        self.table.read(sid, word)
    }

    fn write(&mut self, sid: u32, word: usize, value: u64) {
        self.table.write(sid, word, value)
    }

    fn note_nested(&mut self, sids: &[u32], vmid: u16) -> Result {
        self.smmu.note_nested(sids, vmid)
    }

    fn forget_nested(&mut self, sids: &[u32], vmid: Option<u16>) {
        self.smmu.forget_nested(sids, vmid)
    }
}

/// The SMMU's command queue, for the [`crate::sequence`] batches.
pub(crate) struct Commands<'a>(&'a Smmu);

impl CommandQueue for Commands<'_> {
    type Error = Error;

    fn issue(&mut self, cmds: impl Iterator<Item = Command>) -> Result {
        self.0.issue(cmds)
    }
}

impl Invalidator for Commands<'_> {
    fn issue_stage1(&mut self, vmid: u16) -> Result {
        // Held across the batch, so that the streams it names are the
        // ones nested over the VMID until it completes.
        let nested = self.0.nested_streams.lock();
        self.0
            .issue(invalidation::stage1_commands(vmid, nested.iter().copied()))
    }

    fn free_vmid(&mut self, vmid: u16) {
        self.0.vmids.lock().free(vmid);
    }

    fn report(&mut self, failure: Failure) {
        let hw = &self.0.hw;
        match failure {
            Failure::Range { vmid, iova } => {
                hw.log(c"TLB invalidation failed: vmid, iova", vmid.into(), iova)
            }
            Failure::Vmid { vmid } => hw.log(c"TLB invalidation failed: vmid", vmid.into(), 0),
            Failure::Stage1 { vmid } => {
                hw.log(c"stage-1 invalidation failed: vmid", vmid.into(), 0)
            }
        }
    }
}
