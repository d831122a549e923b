// SPDX-License-Identifier: GPL-2.0

//! Nesting: a vIOMMU over a nest-parent stage-2 domain, the virtual stream
//! ids of its devices (vDEVICEs), and nested domains made from a guest's
//! vSTE, as upstream's `arm-smmu-v3-iommufd.c` builds them.
//!
//! The guest owns stage 1 (its context descriptor and tables, at IPAs);
//! the nest parent's stage 2 translates those IPAs. A nested domain's STE
//! is the parent's stage 2 with the vSTE's stage-1 fields
//! ([`Ste::Nested`]); a bypass vSTE gets the parent's plain stage-2 STE,
//! an abort or invalid one an abort STE.

use crate::lpae::Prot;
use crate::master::Master;
use crate::provider_abi::{
    EventRecord,
    EventSink, //
};
use crate::s2_domain::S2Domain;
use crate::sequence::guest_invalidation::{
    issue_guest_commands,
    Stopped, //
};
use crate::smmu::Smmu;
use crate::spec::command::Command;
use crate::spec::guest_command::{
    convert_guest_command,
    GuestCommandLimits, //
};
use crate::spec::ste::{
    validate_vste,
    NestedConfig,
    Ste,
    VsteLimits,
    STE_1_S1STALLD, //
};
use core::sync::atomic::{
    AtomicU64,
    Ordering, //
};
use kernel::alloc::KVec;
use kernel::new_mutex;
use kernel::prelude::*;
use kernel::sync::{
    Arc,
    Mutex,
    SetOnce, //
};

/// Why an SMMU cannot carry vIOMMUs, or `None` if it can. `coherent`: the
/// administrator asserts that every device behind the SMMU is fully
/// coherent (the `assume_canwbs` module parameter).
///
/// Without S2FWB a guest's stage-1 attributes can make device accesses
/// non-cacheable, and a device may then read stale host data behind dirty
/// CPU cache lines: upstream refuses nesting unless the SMMU has S2FWB or
/// the firmware declares the root complex CANWBS, and so does this driver,
/// until the administrator asserts coherency. With S2FWB, nest parents'
/// tables force write-back (their leaves' MemAttr and STE.S2FWB); No-Snoop
/// is not affected by that, as upstream notes too.
///
/// A guest's faults are never stalled: nothing here resumes a stalled
/// transaction (upstream answers them through its fault queues), so on an
/// SMMU that can stall the physical STE sets S1STALLD, and one that stalls
/// every fault cannot nest.
pub(crate) fn nesting_refusal(smmu: &Smmu, coherent: bool) -> Option<&'static CStr> {
    if !smmu.features.nesting {
        Some(c"stage-1 translation (SMMU_IDR0.S1P)")
    } else if smmu.features.stall_forced {
        Some(c"faults that terminate: this SMMU stalls every one (SMMU_IDR0.STALL_MODEL) and nothing would resume a guest's")
    } else if !smmu.features.s2fwb && !coherent {
        Some(c"a way to keep a guest's stage 1 from bypassing the caches: the SMMU has no S2FWB (SMMU_IDR3.FWB) and the platform is not known to be coherent (smmu_rs.assume_canwbs=1 asserts that it is)")
    } else {
        None
    }
}

/// Numbers virtual ids: what [`Vsmmu::remove_vdevice`] takes, never
/// reused, so that taking back a virtual id the device's departure made
/// the SMMU forget ([`Smmu::forget_master`]) can never remove a later one
/// of the same master.
static NEXT_TOKEN: AtomicU64 = AtomicU64::new(1);

/// One virtual stream id of a vIOMMU: the guest's name for a device.
struct VirtualDevice {
    vsid: u32,
    /// The device's (only) physical stream id.
    sid: u32,
    /// The device's master, by [`Master::id`].
    master: u64,
    /// Unique for the module's life: the front end's name for this entry.
    token: u64,
}

/// A vIOMMU (upstream's `struct arm_vsmmu`): the guest's view of one SMMU,
/// over one nest parent whose VMID it uses (as upstream does).
#[pin_data]
pub(crate) struct Vsmmu {
    pub(crate) smmu: Arc<Smmu>,
    pub(crate) parent: Arc<S2Domain>,
    /// The vDEVICEs; taken alone.
    #[pin]
    vdevs: Mutex<KVec<VirtualDevice>>,
    /// Where guest events go; held while one is reported, so that clearing
    /// it leaves no report in flight. Taken after the SMMU's `viommus`.
    #[pin]
    events: Mutex<Option<EventSink>>,
}

impl Vsmmu {
    /// A vIOMMU over `parent`, which must be a nest parent (`EINVAL`) of
    /// `master`'s SMMU (`EINVAL`), on an SMMU that can nest
    /// (`EOPNOTSUPP`).
    pub(crate) fn new(
        parent: &Arc<S2Domain>,
        master: &Master,
        coherent: bool,
    ) -> Result<Arc<Self>> {
        if !core::ptr::eq(&*parent.smmu, &*master.smmu) || !parent.nest_parent {
            return Err(EINVAL);
        }
        if let Some(missing) = nesting_refusal(&parent.smmu, coherent) {
            parent
                .smmu
                .hw
                .log_refusal(c"no vIOMMU: nesting needs", missing);
            return Err(EOPNOTSUPP);
        }
        Arc::pin_init(
            pin_init!(Self {
                smmu: parent.smmu.clone(),
                parent: parent.clone(),
                vdevs <- new_mutex!(KVec::new(), "smmu_rs::Vsmmu::vdevs"),
                events <- new_mutex!(None, "smmu_rs::Vsmmu::events"),
            }),
            GFP_KERNEL,
        )
        .and_then(|v| {
            v.smmu.add_viommu(&v)?;
            Ok(v)
        })
    }

    /// Sets where guest events go (`None`: nowhere). `EEXIST` if a sink
    /// is set already.
    pub(crate) fn set_event_sink(&self, sink: Option<EventSink>) -> Result {
        let mut events = self.events.lock();
        match (sink, events.is_some()) {
            (Some(_), true) => Err(EEXIST),
            (sink, _) => {
                *events = sink;
                Ok(())
            }
        }
    }

    /// The virtual stream id of `master` here, if it has one.
    pub(crate) fn virtual_sid(&self, master: &Master) -> Option<u32> {
        self.vdevs
            .lock()
            .iter()
            .find(|v| v.master == master.id)
            .map(|v| v.vsid)
    }

    /// Reports a guest event record (already naming the virtual stream
    /// id); `false` if there is no queue to take it.
    pub(crate) fn report(&self, record: &[u64; 4]) -> bool {
        let events = self.events.lock();
        let Some(sink) = events.as_ref() else {
            return false;
        };
        // The sink's queue is live while it is set: the front end clears it
        // (under this lock) before dropping the queue.
        sink.report(&EventRecord(record.map(u64::to_le)));
        true
    }

    /// Whether `master` is behind this vIOMMU's SMMU.
    pub(crate) fn same_smmu(&self, master: &Master) -> bool {
        core::ptr::eq(&*master.smmu, &*self.smmu)
    }

    /// Names `master` `vsid` in this vIOMMU; returns the token that
    /// [`Self::remove_vdevice`] takes. `EINVAL` for a master of another
    /// SMMU or a virtual id beyond 32 bits (a stream id's width);
    /// `EOPNOTSUPP` for a master with more than one stream (a virtual id
    /// names one); `EEXIST` if the id or the master is named already.
    pub(crate) fn add_vdevice(&self, master: &Master, vsid: u64) -> Result<u64> {
        // In upstream's order: the id's width, the IOMMU, the id in use,
        // then what the driver refuses.
        let vsid = u32::try_from(vsid).map_err(|_| EINVAL)?;
        if !self.same_smmu(master) {
            return Err(EINVAL);
        }
        let mut vdevs = self.vdevs.lock();
        if vdevs
            .iter()
            .any(|v| v.vsid == vsid || v.master == master.id)
        {
            return Err(EEXIST);
        }
        let [sid] = master.sids() else {
            return Err(EOPNOTSUPP);
        };
        let token = NEXT_TOKEN.fetch_add(1, Ordering::Relaxed);
        vdevs.push(
            VirtualDevice {
                vsid,
                sid: *sid,
                master: master.id,
                token,
            },
            GFP_KERNEL_ACCOUNT,
        )?;
        Ok(token)
    }

    /// Forgets the virtual id [`Self::add_vdevice`] gave `token`, if the
    /// SMMU has not forgotten it already; the master may be gone.
    pub(crate) fn remove_vdevice(&self, token: u64) {
        self.vdevs.lock().retain(|v| v.token != token);
    }

    /// Forgets every virtual id of the master `id` (it left its user, or
    /// was released).
    pub(crate) fn forget_master(&self, id: u64) {
        self.vdevs.lock().retain(|v| v.master != id);
    }

    /// Carries out the guest's invalidation commands `cmds` (host-endian
    /// words), in order, in synced batches: each is validated and rewritten
    /// ([`convert_guest_command`]: this vIOMMU's VMID, physical stream ids).
    /// Returns how many were carried out, and `EIO` if the next one was
    /// refused (logged with the reason); the ones before it are issued.
    pub(crate) fn invalidate(&self, cmds: &[Command]) -> (usize, Result) {
        let f = self.smmu.features;
        let limits = GuestCommandLimits {
            asid_bits: f.asid_bits,
            ril: f.ril,
            ds: f.ds,
            // This driver never enables ATS (EATS is 0 in every STE it
            // writes): an ATC_INV would go to an endpoint whose ATC is off,
            // which may never complete it, and the shared queue would stall
            // on the sync. Refused, whatever IDR0.ATS says.
            ats: false,
            ssid_bits: f.ssid_bits,
        };
        let vmid = self.parent.vmid();
        let (done, r) = issue_guest_commands(&mut self.smmu.commands(), cmds, |chunk, batch| {
            let vdevs = self.vdevs.lock();
            let sid_of = |vsid| vdevs.iter().find(|v| v.vsid == vsid).map(|v| v.sid);
            for (n, cmd) in chunk.iter().enumerate() {
                match convert_guest_command(*cmd, limits, vmid, sid_of) {
                    Ok(c) => batch[n] = c,
                    Err(why) => return (n, Some(why)),
                }
            }
            (chunk.len(), None)
        });
        match r {
            Ok(()) => (done, Ok(())),
            Err(Stopped::Queue(e)) => (done, Err(e)),
            Err(Stopped::Refused(why)) => {
                self.smmu
                    .hw
                    .log_refusal(c"guest invalidation refused: it has", why);
                (done, Err(EIO))
            }
        }
    }

    /// What a vSTE may ask of this SMMU beyond upstream's validation.
    fn limits(&self) -> VsteLimits {
        let f = self.smmu.features;
        VsteLimits {
            ssid_bits: f.ssid_bits,
            stall: f.stall,
            ias: self.parent.ias(),
        }
    }
}

/// Where a nested domain's MSI doorbells go: the MSI cookie hands out
/// doorbell slots at `giova` (the stage-1 input address at which the
/// guest maps its doorbells), and slot `k` is mapped in the parent's stage
/// 2 at `ipa + k * 4 KiB`, inside the SW_MSI window `[ipa, ipa + size)`.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct MsiWindow {
    /// The gIOVA of the first slot.
    pub(crate) giova: u64,
    /// The IPA of the first slot: the SW_MSI window's start.
    pub(crate) ipa: u64,
    /// The window's size.
    pub(crate) size: u64,
}

/// A nested domain: a validated vSTE on a vIOMMU.
pub(crate) struct NestedDomain {
    pub(crate) viommu: Arc<Vsmmu>,
    config: NestedConfig,
    /// Set once, before the MSI cookie is placed.
    msi: SetOnce<MsiWindow>,
}

impl NestedDomain {
    /// A nested domain from the guest's vSTE words; `EIO` for a vSTE
    /// upstream refuses or the SMMU cannot carry out (logged, rate
    /// limited, with what is wrong).
    pub(crate) fn new(viommu: &Arc<Vsmmu>, vste: [u64; 2]) -> Result<KBox<Self>> {
        let config = validate_vste(vste, viommu.limits()).map_err(|why| {
            viommu.smmu.hw.log_refusal(c"vSTE refused: it has", why);
            EIO
        })?;
        Ok(KBox::new(
            Self {
                viommu: viommu.clone(),
                config,
                msi: SetOnce::default(),
            },
            GFP_KERNEL,
        )?)
    }

    /// Places the domain's MSI doorbells: see [`MsiWindow`]. Once; a
    /// different placement later is `EINVAL` (one cookie per domain), and
    /// so is a window that is not 4 KiB aligned or wraps.
    pub(crate) fn set_msi_window(&self, w: MsiWindow) -> Result {
        let aligned = (w.giova | w.ipa | w.size) & 0xfff == 0 && w.size != 0;
        if !aligned || w.giova.checked_add(w.size).is_none() || w.ipa.checked_add(w.size).is_none()
        {
            return Err(EINVAL);
        }
        if self.msi.populate(w) || self.msi.as_ref() == Some(&w) {
            Ok(())
        } else {
            Err(EINVAL)
        }
    }

    /// Maps a doorbell the MSI cookie placed at `iova` (a gIOVA): into the
    /// parent's stage 2 at the same slot of the SW_MSI window. Only device
    /// memory (`IOMMU_MMIO`) inside the window is accepted: the IOAS never
    /// maps into a nested domain, and nothing else may reach its parent
    /// this way (`EINVAL`).
    pub(crate) fn map_doorbell(&self, iova: u64, pa: u64, size: u64, prot: u32) -> Result {
        let Some(&w) = self.msi.as_ref() else {
            return Err(EINVAL);
        };
        let off = iova.checked_sub(w.giova).ok_or(EINVAL)?;
        if prot & Prot::IOMMU_MMIO == 0 || off.checked_add(size).is_none_or(|end| end > w.size) {
            return Err(EINVAL);
        }
        self.viommu.parent.map(w.ipa + off, pa, size, prot)
    }

    /// The physical STE.
    pub(crate) fn ste(&self) -> Ste {
        let parent = &self.viommu.parent;
        match self.config {
            NestedConfig::Abort => Ste::Abort,
            NestedConfig::Bypass => parent.ste(),
            NestedConfig::Translate { s1, .. } => {
                // Faults terminate (and are recorded), never stall.
                let stalld = if self.viommu.smmu.features.stall {
                    STE_1_S1STALLD.prep(1)
                } else {
                    0
                };
                Ste::Nested {
                    s2: parent.stage2(),
                    s1: [s1[0], s1[1] | stalld],
                }
            }
        }
    }

    /// Whether the guest's stage 1 translates: the device then needs a
    /// virtual id (its events and CFGI commands name it).
    pub(crate) fn translates(&self) -> bool {
        matches!(self.config, NestedConfig::Translate { .. })
    }
}
