// SPDX-License-Identifier: GPL-2.0

//! The device object and its commands (upstream's `device.c`): a PCI
//! function bound to the file, attached to a HWPT, with its SW_MSI window,
//! reserved regions and MSI vectors.
//!
//! A device attaches to a HWPT (`hwpt.rs`: a domain registered with an
//! IOAS), either one made by IOMMU_HWPT_ALLOC or, when attached to an IOAS,
//! an automatic one: a compatible existing one is reused, else one is made.
//! Attaching reserves the device's own regions in the IOAS (owner-tagged,
//! so detach removes exactly them, with the SW_MSI window replaced by the
//! user's), places the domain's MSI window, and only then attaches the
//! device's group. Any failure undoes every step.
//!
//! Locking: a device's `state` mutex is taken before the IOAS lock, never
//! after, and never while the file's object table lock is held.

use crate::{
    domain::Geometry,
    file::{
        user_ptr,
        IommufdFile, //
    },
    hwpt::HwptObject,
    ioas::{
        kerr,
        IoasObject, //
    },
    iova_space::sw_msi::{
        self,
        ResvType,
        Window, //
    },
    irqs::Irqs,
    kalloc::KernelAlloc,
    object::{
        file_object,
        Dep,
        FileObject,
        Object,
        ObjectHeader, //
    },
    pci::{
        BoundDevice,
        ResvRegion, //
    },
    uapi,
    ucmd::{
        clear_user,
        UserCmd, //
    },
    viommu::VdeviceObject, //
};
use kernel::{
    alloc::KVVec,
    bindings,
    new_mutex,
    prelude::*,
    sync::{
        Arc,
        Mutex, //
    },
    uaccess::UserSlice, //
};

/// The core's view of a driver region.
fn typed(r: &ResvRegion) -> sw_msi::ResvRegion {
    let kind = match r.kind {
        bindings::iommu_resv_type_IOMMU_RESV_DIRECT => ResvType::Direct,
        bindings::iommu_resv_type_IOMMU_RESV_DIRECT_RELAXABLE => ResvType::DirectRelaxable,
        bindings::iommu_resv_type_IOMMU_RESV_MSI => ResvType::Msi,
        bindings::iommu_resv_type_IOMMU_RESV_SW_MSI => ResvType::SwMsi,
        // RESERVED, and anything newer: never map there.
        _ => ResvType::Reserved,
    };
    sw_msi::ResvRegion {
        start: r.start,
        last: r.last,
        kind,
        user_window: false,
    }
}

/// The device's regions, typed.
fn typed_regions(dev: &BoundDevice) -> Result<KVVec<sw_msi::ResvRegion>> {
    let raw = dev.resv_regions()?;
    let mut v = KVVec::new();
    v.reserve(raw.len(), GFP_KERNEL)?;
    for r in raw.iter() {
        v.push(typed(r), GFP_KERNEL)?;
    }
    Ok(v)
}

/// A device's current attachment: a dependency on its HWPT, and one user
/// of the device itself (DESTROY of an attached device is `-EBUSY`).
struct Attachment {
    hwpt: Dep<HwptObject>,
    /// On a nested HWPT: the device's vDEVICE in its vIOMMU, if any (the
    /// guest's stage 1 names the device by it).
    _vdevice: Option<Dep<VdeviceObject>>,
    /// The SW_MSI window in force: MSI doorbells must land in it; without
    /// one (a platform whose MSIs need no mapping) none may be made.
    msi_window: Option<Window>,
}

/// What a device's mutex protects.
#[derive(Default)]
struct DeviceState {
    attachment: Option<Attachment>,
    /// IOMMU_OPTION_SW_MSI_START, once set.
    sw_msi_start: Option<u64>,
    /// The user's SW_MSI window, once SW_MSI_SIZE completed it.
    window: Option<Window>,
    /// IOMMU_OPTION_NESTED_MSI_IOVA: where the guest's stage 1 maps the
    /// window, when not 1:1.
    nested_msi_iova: Option<u64>,
    /// MSI vectors (IOMMU_DEVICE_SET_IRQS), only while attached.
    irqs: Option<Irqs>,
}

/// A bound device as a file object.
#[pin_data(PinnedDrop)]
pub(crate) struct DeviceObject {
    header: ObjectHeader,
    /// The PCI function and its DMA ownership.
    pub(crate) pci: BoundDevice,
    /// Bound through the function's VFIO node, which owns this object:
    /// IOMMU_DESTROY refuses it (`-EBUSY`), the node's close removes it.
    pub(crate) vfio_node: bool,
    #[pin]
    state: Mutex<DeviceState>,
}

file_object!(DeviceObject, Device);

/// Where IOMMU_DEVICE_ATTACH attaches a device.
enum Target {
    /// An IOAS: a compatible automatic HWPT of it is reused, else one is made.
    Ioas(Dep<IoasObject>),
    /// A HWPT made by IOMMU_HWPT_ALLOC, and for a nested one the device's
    /// vDEVICE in its vIOMMU, if it has one.
    Hwpt(Dep<HwptObject>, Option<Dep<VdeviceObject>>),
}

/// What an attach did, for the caller to carry into the table.
struct Attached {
    /// The HWPT the device is attached to.
    hwpt: Arc<HwptObject>,
    /// Whether it is a new automatic HWPT, to be published (and, if that
    /// fails, the device detached again).
    new: bool,
}

impl DeviceObject {
    /// A device object for `pci`; `vfio_node` if a VFIO node bound it.
    pub(crate) fn new(pci: BoundDevice, vfio_node: bool) -> Result<Arc<Self>> {
        Arc::pin_init(
            pin_init!(Self {
                header: ObjectHeader::default(),
                pci,
                vfio_node,
                state <- new_mutex!(DeviceState::default()),
            }),
            GFP_KERNEL_ACCOUNT,
        )
    }

    /// The tag of this device's reserved ranges in an IOAS.
    fn tag(&self) -> u64 {
        self.pci.key() as u64
    }

    /// This device object, by identity.
    pub(crate) fn key(&self) -> usize {
        core::ptr::from_ref(self) as usize
    }

    /// Attaches to `target`, or moves an attached device there (replace).
    /// Returns what happened, and an automatic HWPT a replace left without
    /// devices, which the caller removes from the table whether the attach
    /// succeeded or not.
    ///
    /// Replace: MSI vectors are made against a domain's MSI cookie, and a
    /// module cannot put doorbells into another domain's cookie; so the
    /// vectors are freed, the device moves, and the vectors are made again
    /// with the same eventfds. Both domains' cookies sit at the same window
    /// start, so the doorbell lands at the same IOVA. If the move fails the
    /// device goes back where it was.
    fn attach(&self, target: Target) -> (Result<Attached>, Option<Arc<HwptObject>>) {
        let mut st = self.state.lock();
        // The regions this device reserves: its driver's, with the SW_MSI
        // window replaced by the user's.
        let regions = typed_regions(&self.pci).and_then(|driver| {
            sw_msi::attach_regions::<KernelAlloc>(&driver, st.window).map_err(|_| ENOMEM)
        });
        let (regions, in_force) = match regions {
            Ok(r) => r,
            Err(e) => return (Err(e), None),
        };
        let Some(old) = st.attachment.take() else {
            let r = self.attach_new(&mut st, target, &regions, in_force);
            return (r.map(|(hwpt, new)| Attached { hwpt, new }), None);
        };
        if let Some(irqs) = st.irqs.as_mut() {
            irqs.disable();
        }
        self.leave(&old.hwpt);
        let result = self.attach_new(&mut st, target, &regions, in_force);
        if result.is_err() {
            // Back to the old HWPT; it accepted this device a moment ago
            // (and stays listed while this device's lock is held: only
            // this device could have been its last).
            let vdevice = old._vdevice.clone();
            if self
                .attach_to(&mut st, &old.hwpt, vdevice, &regions, in_force, false)
                .is_err()
            {
                pr_warn!("iommufd_rs: replace failed and the device stays detached\n");
            }
        }
        let DeviceState {
            attachment, irqs, ..
        } = &mut *st;
        if let Some(v) = irqs.as_mut() {
            if attachment
                .as_ref()
                .is_none_or(|a| v.enable(a.msi_window).is_err())
            {
                *irqs = None;
            }
        }
        // Whether the device moved, went back or stays detached: an
        // automatic old HWPT without devices leaves its IOAS's list.
        let emptied = self.release(old.hwpt.arc());
        (result.map(|(hwpt, new)| Attached { hwpt, new }), emptied)
    }

    /// Attaches a detached device to `target`.
    fn attach_new(
        &self,
        st: &mut DeviceState,
        target: Target,
        regions: &[sw_msi::ResvRegion],
        in_force: Option<Window>,
    ) -> Result<(Arc<HwptObject>, bool)> {
        let ioas = match target {
            Target::Hwpt(h, vdevice) => {
                self.attach_to(st, &h, vdevice, regions, in_force, false)?;
                return Ok((h.arc().clone(), false));
            }
            Target::Ioas(ioas) => ioas,
        };
        // Reuse: upstream's rule, a domain that refuses the device with
        // -EINVAL (or carries another MSI window) is just not compatible.
        // One not published yet (its attach is still answering) is skipped:
        // its id could not be answered.
        let candidates = {
            let s = ioas.state.lock();
            let mut v = KVVec::new();
            v.reserve(s.auto_hwpts.len(), GFP_KERNEL)?;
            for h in s.auto_hwpts.iter().filter(|h| h.header().id() != 0) {
                v.push(h.clone(), GFP_KERNEL)?;
            }
            v
        };
        for h in candidates.iter() {
            match self.attach_to(st, h, None, regions, in_force, true) {
                Ok(()) => return Ok((h.arc().clone(), false)),
                Err(e) if e == EINVAL => continue,
                Err(e) => return Err(e),
            }
        }
        drop(candidates);
        let h = Dep::new_unpublished(HwptObject::new(self, ioas.clone(), 0)?);
        self.attach_to(st, &h, None, regions, in_force, false)?;
        let hwpt = h.arc().clone();
        let listed = ioas.state.lock().auto_hwpts.push(h, GFP_KERNEL);
        if let Err(e) = listed {
            // Not listed, so nothing else can have attached to it.
            if let Some(a) = st.attachment.take() {
                self.leave(&a.hwpt);
            }
            return Err(e.into());
        }
        Ok((hwpt, true))
    }

    /// Reserves the device's regions in the HWPT's IOAS, places the MSI
    /// window, attaches the group; undoes all of it on failure. A `listed`
    /// HWPT is an automatic one found on its IOAS's list; if its last
    /// device took it off the list meanwhile it is gone (`-EINVAL`, not
    /// compatible), checked in the same critical section that counts this
    /// device in.
    fn attach_to(
        &self,
        st: &mut DeviceState,
        hwpt: &Dep<HwptObject>,
        vdevice: Option<Dep<VdeviceObject>>,
        regions: &[sw_msi::ResvRegion],
        in_force: Option<Window>,
        listed: bool,
    ) -> Result {
        if let Some(w) = st.window {
            let geo = hwpt.domain.geometry();
            sw_msi::check_aperture(&w, geo.aperture_start, geo.aperture_end).map_err(kerr)?;
        }
        {
            let mut s = hwpt.ioas.state.lock();
            if listed
                && !s
                    .auto_hwpts
                    .iter()
                    .any(|h| Arc::ptr_eq(h.arc(), hwpt.arc()))
            {
                return Err(EINVAL);
            }
            let reserved = regions
                .iter()
                .try_for_each(|r| s.space.reserve(r.start, r.last, self.tag()).map_err(kerr));
            let placed = reserved.and_then(|()| match in_force {
                Some(w) => hwpt.use_msi_window(&mut s, w, st.nested_msi_iova),
                None => Ok(()),
            });
            if let Err(e) = placed {
                s.space.unreserve(self.tag());
                return Err(e);
            }
            hwpt.count_device(&mut s, true);
        }
        if let Err(e) = hwpt.domain.attach(&self.pci) {
            let mut s = hwpt.ioas.state.lock();
            s.space.unreserve(self.tag());
            hwpt.count_device(&mut s, false);
            return Err(e);
        }
        // Doorbells are programmed where the device emits them: for a
        // nested HWPT, the gIOVA slots its cookie hands out.
        let msi_window = in_force.map(|w| Window {
            start: hwpt.msi_iova(w, st.nested_msi_iova),
            size: w.size,
        });
        st.attachment = Some(Attachment {
            hwpt: hwpt.clone(),
            _vdevice: vdevice,
            msi_window,
        });
        self.header.get();
        Ok(())
    }

    /// The device left `hwpt`'s domain: its reservations go, it is counted
    /// out, and its attachment's dependency on the device ends.
    fn leave(&self, hwpt: &HwptObject) {
        hwpt.domain.detach(&self.pci);
        let mut s = hwpt.ioas.state.lock();
        s.space.unreserve(self.tag());
        hwpt.count_device(&mut s, false);
        drop(s);
        self.header.put();
    }

    /// Detaches. Returns an automatic HWPT that lost its last device,
    /// which the caller removes from the table.
    fn detach(&self) -> Result<Option<Arc<HwptObject>>> {
        let mut st = self.state.lock();
        let a = st.attachment.take().ok_or(EINVAL)?;
        // Vectors first: their doorbells live in the domain.
        st.irqs = None;
        self.leave(&a.hwpt);
        Ok(self.release(a.hwpt.arc()))
    }

    /// Takes an automatic HWPT that a device left without devices off its
    /// IOAS's list, and returns it for the caller to remove from the table.
    fn release(&self, hwpt: &Arc<HwptObject>) -> Option<Arc<HwptObject>> {
        let unlisted = {
            let mut s = hwpt.ioas.state.lock();
            if hwpt.has_devices(&mut s) {
                None
            } else {
                let pos = s.auto_hwpts.iter().position(|h| Arc::ptr_eq(h.arc(), hwpt));
                pos.and_then(|i| s.auto_hwpts.remove(i).ok())
            }
        };
        // Dropped with no IOAS lock held (the caller still holds `hwpt`).
        unlisted.map(|h| h.arc().clone())
    }
}

impl DeviceObject {
    /// IOMMU_OPTION_SW_MSI_START / _SIZE / NESTED_MSI_IOVA on this device:
    /// only while detached (`-EBUSY`); START is a 1 MiB-aligned address,
    /// SIZE in MiB completes the window from START (0: back to the driver's
    /// window); NESTED_MSI_IOVA is a 1 MiB-aligned gIOVA (0: the identity).
    pub(crate) fn sw_msi_option(&self, option: u32, set: bool, val: &mut u64) -> Result {
        let mut st = self.state.lock();
        if st.attachment.is_some() {
            return Err(EBUSY);
        }
        match (option, set) {
            (uapi::OPTION_SW_MSI_START, false) => *val = st.sw_msi_start.unwrap_or(0),
            (uapi::OPTION_SW_MSI_SIZE, false) => *val = st.window.map_or(0, |w| w.size >> 20),
            (uapi::OPTION_NESTED_MSI_IOVA, false) => *val = st.nested_msi_iova.unwrap_or(0),
            (uapi::OPTION_NESTED_MSI_IOVA, true) => {
                sw_msi::check_start(*val).map_err(kerr)?;
                st.nested_msi_iova = (*val != 0).then_some(*val);
            }
            (uapi::OPTION_SW_MSI_START, true) => {
                sw_msi::check_start(*val).map_err(kerr)?;
                st.sw_msi_start = Some(*val);
                st.window = None;
            }
            (uapi::OPTION_SW_MSI_SIZE, true) => {
                if *val == 0 {
                    st.window = None;
                    st.sw_msi_start = None;
                    return Ok(());
                }
                let start = st.sw_msi_start.ok_or(EINVAL)?;
                let w = sw_msi::make_window(start, *val).map_err(kerr)?;
                let regions = typed_regions(&self.pci)?;
                sw_msi::check_window(&regions, &w).map_err(kerr)?;
                st.window = Some(w);
            }
            _ => return Err(EOPNOTSUPP),
        }
        Ok(())
    }

    /// One vector per eventfd, replacing any vectors the device had; none
    /// frees them. Needs an attachment (`-EINVAL`): doorbells are mapped
    /// through its domain. A request with bad eventfds or too many vectors
    /// leaves the old vectors in place.
    pub(crate) fn set_irqs(&self, fds: &[i32]) -> Result {
        let mut st = self.state.lock();
        if fds.is_empty() {
            st.irqs = None;
            return Ok(());
        }
        let window = st.attachment.as_ref().ok_or(EINVAL)?.msi_window;
        // Every input error surfaces here, before the old vectors go (the
        // PCI core cannot allocate new ones while they exist).
        let mut new = Irqs::prepare(&self.pci, fds)?;
        st.irqs = None;
        new.enable(window)?;
        st.irqs = Some(new);
        Ok(())
    }

    /// The device's regions as IOMMU_DEVICE_GET_RESV_REGIONS shows them.
    fn resv_view(&self) -> Result<KVVec<sw_msi::ResvRegion>> {
        let window = self.state.lock().window;
        let regions = typed_regions(&self.pci)?;
        sw_msi::user_view::<KernelAlloc>(&regions, window).map_err(|_| ENOMEM)
    }
}

#[pinned_drop]
impl PinnedDrop for DeviceObject {
    fn drop(self: Pin<&mut Self>) {
        // Only on close (DESTROY refuses an attached device): give the group
        // back detached. The HWPT object goes with the rest of the table.
        let _ = self.detach();
    }
}

/// IOMMU_DEVICE_BIND: take a PCI function bound to the iommufd_rs driver,
/// with DMA ownership of its group (this file is the owner): by the opened
/// descriptor of its node (`IOMMU_DEVICE_BIND_FD`; the node's permissions
/// decide who may), or by PCI address (CAP_SYS_ADMIN only).
pub(crate) fn bind(f: &IommufdFile, ucmd: &UserCmd, mut cmd: uapi::IommuDeviceBind) -> Result {
    if cmd.flags & !uapi::DEVICE_BIND_FD != 0 || cmd.reserved != 0 || cmd.reserved2 != 0 {
        return Err(EOPNOTSUPP);
    }
    let pci = if cmd.flags & uapi::DEVICE_BIND_FD != 0 {
        if cmd.pci_segment != 0 || cmd.pci_rid != 0 {
            return Err(EINVAL);
        }
        BoundDevice::bind_fd(cmd.dev_fd, f.owner_cookie())?
    } else {
        BoundDevice::bind(cmd.pci_segment, cmd.pci_rid, f.owner_cookie())?
    };
    f.publish(Object::Device(DeviceObject::new(pci, false)?), |id| {
        cmd.out_dev_id = id;
        ucmd.respond(&cmd)
    })
    .map(drop)
}

/// IOMMU_DEVICE_ATTACH: attach a bound device to an IOAS (a compatible
/// automatic HWPT is reused, else one is made and published) or to a HWPT
/// made by IOMMU_HWPT_ALLOC; an attached device is moved (replace).
pub(crate) fn attach(f: &IommufdFile, ucmd: &UserCmd, mut cmd: uapi::IommuDeviceAttach) -> Result {
    if cmd.flags != 0 || cmd.reserved != 0 {
        return Err(EOPNOTSUPP);
    }
    let dev = f.get::<DeviceObject>(cmd.dev_id)?;
    attach_pt(f, &dev, cmd.pt_id, |id| {
        cmd.out_hwpt_id = id;
        ucmd.respond(&cmd)
    })
}

/// Attaches `dev` to `pt_id` (an IOAS or a HWPT), or moves it there, and
/// lets `answer` write back the id of the HWPT it is on; if the answer
/// fails, the device is detached again. IOMMU_DEVICE_ATTACH and VFIO's
/// ATTACH_IOMMUFD_PT.
pub(crate) fn attach_pt(
    f: &IommufdFile,
    dev: &Arc<DeviceObject>,
    pt_id: u32,
    answer: impl FnOnce(u32) -> Result,
) -> Result {
    let target = {
        let st = f.lock();
        if !st.objects.holds(dev) {
            return Err(ENOENT);
        }
        // Upstream's answers: no object is -ENOENT, one of another kind
        // (neither IOAS nor HWPT) -EINVAL.
        match st.objects.depend::<IoasObject>(pt_id) {
            Ok(ioas) => Target::Ioas(ioas),
            Err(_) => match st.objects.depend::<HwptObject>(pt_id) {
                Ok(h) => {
                    let vdevice = h.viommu().and_then(|v| st.objects.depend_vdevice(dev, v));
                    Target::Hwpt(h, vdevice)
                }
                Err(_) if st.objects.exists(pt_id) => return Err(EINVAL),
                Err(e) => return Err(e),
            },
        }
    };
    let (result, emptied) = dev.attach(target);
    if let Some(h) = emptied {
        f.remove_hwpt(&h);
    }
    let done = result?;
    let published = if done.new {
        f.lock().objects.insert(Object::Hwpt(done.hwpt.clone()))
    } else {
        Ok(done.hwpt.header().id())
    };
    drop(done);
    let answered = published.and_then(answer);
    if let Err(e) = answered {
        // Undo: the device was attached just above, so this cannot fail.
        let _ = detach_and_drop(f, dev);
        return Err(e);
    }
    Ok(())
}

/// Detaches `dev` and removes the automatic HWPT that lost its last
/// device, outside every lock.
pub(crate) fn detach_and_drop(f: &IommufdFile, dev: &DeviceObject) -> Result {
    if let Some(h) = dev.detach()? {
        f.remove_hwpt(&h);
    }
    Ok(())
}

/// IOMMU_DEVICE_DETACH: back to blocking DMA.
pub(crate) fn detach(f: &IommufdFile, cmd: uapi::IommuDeviceDetach) -> Result {
    if cmd.flags != 0 || cmd.reserved != 0 {
        return Err(EOPNOTSUPP);
    }
    let dev = f.get::<DeviceObject>(cmd.dev_id)?;
    detach_and_drop(f, &dev)
}

/// IOMMU_GET_HW_INFO, in upstream's order: flags, reserved bits, the
/// device, then its driver. A driver of this project answers with its own
/// data (smmu_rs: `IOMMU_HW_INFO_TYPE_ARM_SMMUV3` with its IDRs), copied up
/// to the user's length with the rest of the buffer zeroed and `data_len`
/// the data's full length; any other driver gets the generic answer (type
/// NONE, no data, and a requested type other than the default refused).
pub(crate) fn get_hw_info(f: &IommufdFile, ucmd: &UserCmd, mut cmd: uapi::IommuHwInfo) -> Result {
    if cmd.flags & !uapi::HW_INFO_FLAG_INPUT_TYPE != 0 || cmd.__reserved != [0; 3] {
        return Err(EOPNOTSUPP);
    }
    let kind = if cmd.flags & uapi::HW_INFO_FLAG_INPUT_TYPE != 0 {
        cmd.data_type()
    } else {
        uapi::HW_INFO_TYPE_DEFAULT
    };
    let dev = f.get::<DeviceObject>(cmd.dev_id)?;
    let info = crate::provider::hw_info(&dev.pci, kind)?;
    if info.is_none() && kind != uapi::HW_INFO_TYPE_DEFAULT {
        return Err(EOPNOTSUPP);
    }
    let caps = dev.pci.hw_caps()?;
    let data = info.as_ref().map_or(&[][..], |i| i.bytes());
    let room = cmd.data_len as usize;
    let copied = room.min(data.len());
    UserSlice::new(user_ptr(cmd.data_uptr, 0, 1)?, copied)
        .writer()
        .write_slice(&data[..copied])?;
    // Zero whatever of the user's buffer the data does not fill, in one
    // clear_user() as upstream.
    clear_user(user_ptr(cmd.data_uptr, copied as u64, 1)?, room - copied)?;
    cmd.data_len = u32::try_from(data.len()).map_err(|_| EOVERFLOW)?;
    cmd.set_data_type(info.as_ref().map_or(uapi::HW_INFO_TYPE_DEFAULT, |i| i.kind));
    cmd.out_max_pasid_log2 = 0;
    cmd.out_capabilities = caps;
    ucmd.respond(&cmd)
}

/// The UAPI form of a region.
fn uapi_region(r: &sw_msi::ResvRegion) -> uapi::IommuResvRegion {
    uapi::IommuResvRegion {
        start: r.start,
        last: r.last,
        kind: r.kind as u32,
        flags: if r.user_window {
            uapi::RESV_FLAG_USER_WINDOW
        } else {
            0
        },
    }
}

/// IOMMU_DEVICE_GET_RESV_REGIONS: the device's typed reserved regions for a
/// paging domain, or (NEST_PARENT) what a stage-2 parent carries: the
/// aperture limits and the SW_MSI window. Two-pass like IOVA_RANGES.
pub(crate) fn resv_regions(
    f: &IommufdFile,
    ucmd: &UserCmd,
    mut cmd: uapi::IommuDeviceResvRegions,
) -> Result {
    if cmd.flags & !uapi::RESV_QUERY_NEST_PARENT != 0 {
        return Err(EOPNOTSUPP);
    }
    let dev = f.get::<DeviceObject>(cmd.dev_id)?;
    let nest = cmd.flags & uapi::RESV_QUERY_NEST_PARENT != 0;
    let mut regions: KVVec<uapi::IommuResvRegion> = KVVec::new();
    // A stage-2 parent carries only the SW_MSI window of the device.
    for r in dev.resv_view()?.iter() {
        if !nest || r.kind == ResvType::SwMsi {
            regions.push(uapi_region(r), GFP_KERNEL)?;
        }
    }
    if nest {
        // The aperture of a nest-parent domain of this device, as RESERVED
        // regions at both ends.
        let geo = Geometry::nest_parent(&dev.pci)?;
        let reserved = |start, last| sw_msi::ResvRegion {
            start,
            last,
            kind: ResvType::Reserved,
            user_window: false,
        };
        if geo.aperture_start > 0 {
            regions.push(
                uapi_region(&reserved(0, geo.aperture_start - 1)),
                GFP_KERNEL,
            )?;
        }
        if geo.aperture_end < u64::MAX {
            regions.push(
                uapi_region(&reserved(geo.aperture_end + 1, u64::MAX)),
                GFP_KERNEL,
            )?;
        }
    }
    let max = cmd.num_regions as usize;
    for (i, r) in regions.iter().enumerate().take(max) {
        let at = user_ptr(cmd.regions_uptr, i as u64, 24)?;
        UserSlice::new(at, 24).writer().write(r)?;
    }
    cmd.num_regions = u32::try_from(regions.len()).map_err(|_| EOVERFLOW)?;
    ucmd.respond(&cmd)?;
    if regions.len() > max {
        return Err(EMSGSIZE);
    }
    Ok(())
}

/// IOMMU_DEVICE_SET_IRQS: MSI vectors signalling eventfds.
pub(crate) fn set_irqs(f: &IommufdFile, cmd: uapi::IommuDeviceSetIrqs) -> Result {
    if cmd.flags != 0 {
        return Err(EOPNOTSUPP);
    }
    if cmd.nvec > uapi::MAX_VECTORS {
        return Err(EINVAL);
    }
    let dev = f.get::<DeviceObject>(cmd.dev_id)?;
    let n = cmd.nvec as usize;
    let mut fds = KVVec::new();
    fds.reserve(n, GFP_KERNEL)?;
    let mut reader = UserSlice::new(user_ptr(cmd.eventfds_uptr, 0, 0)?, n * 4).reader();
    for _ in 0..n {
        fds.push(reader.read::<i32>()?, GFP_KERNEL)?;
    }
    dev.set_irqs(&fds)
}
