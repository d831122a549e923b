// SPDX-License-Identifier: GPL-2.0

//! One open file of the device: its objects and the ioctl dispatch. Each
//! command follows upstream iommufd's checks in upstream's order (Linux 7.3
//! `drivers/iommu/iommufd/{main,ioas}.c`), so the same request gets the same
//! errno; where upstream would leave a half-done change behind (an answer
//! that cannot be written back), this module undoes it.

use crate::{
    attach::{DeviceObject, Target},
    device::BoundDevice,
    hwpt::{Domain, Hwpt},
    iova_space::{Placement, Prot},
    ioas_object::{kerr, AreaPages, IoasObject},
    object::{Object, ObjectTable},
    pages::{self, Account, PinnedPages},
    uapi::{self, Command},
    ucmd::UserCmd,
};
use core::sync::atomic::Ordering;
use kernel::{
    alloc::KVVec,
    fs::File,
    ioctl::_IOC_NR,
    miscdevice::{MiscDevice, MiscDeviceRegistration},
    new_mutex,
    prelude::*,
    sync::{Arc, Mutex},
    uaccess::{UserPtr, UserSlice},
};

/// What a file owns.
pub(crate) struct FileState {
    objects: ObjectTable,
    account: Account,
}

/// The context of one open file.
///
/// Locking: `state` (the object table and the accounting mode) is held only
/// to look up, insert or remove objects and is never held while an IOAS
/// lock is taken, except in IOAS_ALLOC, which inserts and answers under it.
#[pin_data]
pub(crate) struct IommufdFile {
    #[pin]
    state: Mutex<FileState>,
}

/// What MAP and MAP_FILE ask for, once their flags are checked.
struct MapRequest {
    ioas_id: u32,
    flags: u32,
    /// The IOVA for a fixed map.
    iova: u64,
    len: u64,
    /// The address whose alignment an allocated IOVA keeps.
    hint: u64,
}

/// `IOMMU_IOAS_MAP_*` flags to access rights.
fn prot(flags: u32) -> Prot {
    Prot {
        read: flags & uapi::MAP_READABLE != 0,
        write: flags & uapi::MAP_WRITEABLE != 0,
    }
}

/// The checks MAP, MAP_FILE and COPY share, in upstream's order.
fn check_map_flags(flags: u32, reserved: u32, iovas: &[u64]) -> Result {
    let known = uapi::MAP_FIXED_IOVA | uapi::MAP_WRITEABLE | uapi::MAP_READABLE;
    if flags & !known != 0 || reserved != 0 {
        return Err(EOPNOTSUPP);
    }
    if iovas.contains(&u64::MAX) {
        return Err(EOVERFLOW);
    }
    if flags & (uapi::MAP_WRITEABLE | uapi::MAP_READABLE) == 0 {
        return Err(EINVAL);
    }
    Ok(())
}

fn user_ptr(addr: u64, index: u64, size: u64) -> Result<UserPtr> {
    let a = index
        .checked_mul(size)
        .and_then(|o| addr.checked_add(o))
        .ok_or(EFAULT)?;
    Ok(UserPtr::from_addr(usize::try_from(a).map_err(|_| EFAULT)?))
}

#[vtable]
impl MiscDevice for IommufdFile {
    type Ptr = Pin<KBox<Self>>;

    fn open(_file: &File, _misc: &MiscDeviceRegistration<Self>) -> Result<Pin<KBox<Self>>> {
        KBox::try_pin_init(
            try_pin_init!(Self {
                state <- new_mutex!(FileState {
                    objects: ObjectTable::default(),
                    account: Account::User,
                }),
            }),
            GFP_KERNEL_ACCOUNT,
        )
    }

    fn ioctl(me: Pin<&Self>, _file: &File, cmd: u32, arg: usize) -> Result<isize> {
        // Upstream's order: an unknown number is -ENOTTY before anything is
        // read; a known number reads `size` first (-EFAULT), then requires the
        // exact ioctl encoding (-ENOTTY), then the minimum size.
        let op = Command::from_nr(_IOC_NR(cmd)).ok_or(ENOTTY)?;
        let ucmd = UserCmd::new(arg)?;
        if op.ioctl_num() != cmd {
            return Err(ENOTTY);
        }
        let min = op.min_size();
        match op {
            Command::Destroy => me.destroy(ucmd.read(min)?),
            Command::IoasAlloc => me.ioas_alloc(&ucmd, ucmd.read(min)?),
            Command::IoasAllowIovas => me.ioas_allow_iovas(ucmd.read(min)?),
            Command::IoasCopy => me.ioas_copy(&ucmd, ucmd.read(min)?),
            Command::IoasIovaRanges => me.ioas_iova_ranges(&ucmd, ucmd.read(min)?),
            Command::IoasMap => me.ioas_map(&ucmd, ucmd.read(min)?),
            Command::IoasUnmap => me.ioas_unmap(&ucmd, ucmd.read(min)?),
            Command::Option => me.option(&ucmd, ucmd.read(min)?),
            Command::IoasMapFile => me.ioas_map_file(&ucmd, ucmd.read(min)?),
            Command::HwptAlloc => me.hwpt_alloc(&ucmd, ucmd.read(min)?),
            Command::GetHwInfo => me.get_hw_info(&ucmd, ucmd.read(min)?),
            Command::DeviceBind => me.device_bind(&ucmd, ucmd.read(min)?),
            Command::DeviceAttach => me.device_attach(&ucmd, ucmd.read(min)?),
            Command::DeviceDetach => me.device_detach(ucmd.read(min)?),
            Command::DeviceGetResvRegions => me.device_resv_regions(&ucmd, ucmd.read(min)?),
            Command::DeviceSetIrqs => me.device_set_irqs(ucmd.read(min)?),
            Command::HwptTranslate => me.hwpt_translate(&ucmd, ucmd.read(min)?),
        }?;
        Ok(0)
    }
}

impl IommufdFile {
    fn ioas(&self, id: u32) -> Result<Arc<IoasObject>> {
        self.state.lock().objects.ioas(id)
    }

    fn account(&self) -> Account {
        self.state.lock().account
    }

    /// Inserts `obj` and lets `answer` write its id back, under the table
    /// lock so that a failed answer removes exactly this object (which is
    /// then dropped with the lock released). Returns the id.
    fn publish(&self, obj: Object, answer: impl FnOnce(u32) -> Result) -> Result<u32> {
        let mut st = self.state.lock();
        let id = st.objects.insert(obj)?;
        if let Err(e) = answer(id) {
            let obj = st.objects.remove(id);
            drop(st);
            drop(obj);
            return Err(e);
        }
        Ok(id)
    }

    /// IOMMU_DESTROY. The object is dropped after the table lock is released:
    /// an IOAS unpins its pages then (or when a command still using it ends).
    fn destroy(&self, cmd: uapi::IommuDestroy) -> Result {
        let obj = self.state.lock().objects.destroy(cmd.id)?;
        drop(obj);
        Ok(())
    }

    /// IOMMU_IOAS_ALLOC. The id is answered under the table lock so that a
    /// failed answer removes exactly the object it created.
    fn ioas_alloc(&self, ucmd: &UserCmd, mut cmd: uapi::IommuIoasAlloc) -> Result {
        if cmd.flags != 0 {
            return Err(EOPNOTSUPP);
        }
        self.publish(Object::Ioas(IoasObject::new()?), |id| {
            cmd.out_ioas_id = id;
            ucmd.respond(&cmd)
        })
        .map(|_| ())
    }

    /// IOMMU_IOAS_IOVA_RANGES: the holes of the reserved set, two-pass.
    fn ioas_iova_ranges(&self, ucmd: &UserCmd, mut cmd: uapi::IommuIoasIovaRanges) -> Result {
        if cmd.reserved != 0 {
            return Err(EOPNOTSUPP);
        }
        let ioas = self.ioas(cmd.ioas_id)?;
        let st = ioas.state.lock();
        let space = &st.space;
        let max = cmd.num_iovas;
        let mut count: u32 = 0;
        for (start, last) in space.iova_ranges() {
            if count < max {
                let elm = uapi::IommuIovaRange { start, last };
                let at = user_ptr(cmd.allowed_iovas, u64::from(count), 16)?;
                UserSlice::new(at, 16).writer().write(&elm)?;
            }
            count = count.saturating_add(1);
        }
        cmd.num_iovas = count;
        cmd.out_iova_alignment = space.iova_alignment();
        drop(st);
        ucmd.respond(&cmd)?;
        if count > max {
            return Err(EMSGSIZE);
        }
        Ok(())
    }

    /// IOMMU_IOAS_ALLOW_IOVAS: replace the allowed ranges.
    fn ioas_allow_iovas(&self, cmd: uapi::IommuIoasAllowIovas) -> Result {
        if cmd.reserved != 0 {
            return Err(EOPNOTSUPP);
        }
        let ioas = self.ioas(cmd.ioas_id)?;
        let n = cmd.num_iovas as usize;
        let mut ranges = KVVec::new();
        ranges.reserve(n, GFP_KERNEL_ACCOUNT)?;
        let len = n.checked_mul(16).ok_or(EOVERFLOW)?;
        let mut reader = UserSlice::new(user_ptr(cmd.allowed_iovas, 0, 0)?, len).reader();
        for _ in 0..n {
            let r = reader.read::<uapi::IommuIovaRange>()?;
            ranges.push((r.start, r.last), GFP_KERNEL_ACCOUNT)?;
        }
        let result = ioas.state.lock().space.set_allowed(&ranges).map_err(kerr);
        result
    }

    /// MAP and MAP_FILE after their flag checks: place, pin with `pin`,
    /// insert as one area, answer with `answer`; undo the map if the answer
    /// cannot be written.
    fn map_new(
        &self,
        req: MapRequest,
        pin: impl FnOnce(bool, Account) -> Result<PinnedPages>,
        answer: &mut dyn FnMut(u64) -> Result,
    ) -> Result {
        let MapRequest {
            ioas_id,
            flags,
            iova,
            len,
            hint,
        } = req;
        let ioas = self.ioas(ioas_id)?;
        let place = if flags & uapi::MAP_FIXED_IOVA != 0 {
            Placement::Fixed(iova)
        } else {
            Placement::Alloc { user_addr: hint }
        };
        // Refuse a bad placement before pinning anything; the insert below
        // checks again under the lock, since another thread may map first.
        ioas.state.lock().space.probe(place, len).map_err(kerr)?;
        let p = prot(flags);
        let area = AreaPages {
            pages: Arc::new(pin(p.write, self.account())?, GFP_KERNEL_ACCOUNT)?,
            offset: 0,
            uaddr: hint,
        };
        let mut st = ioas.state.lock();
        let iova = st.space.map(place, len, p, area).map_err(kerr)?;
        if let Err(e) = st.map_into_domains(iova, len) {
            let _ = st.space.unmap(iova, len, &mut drop);
            return Err(e);
        }
        drop(st);
        if let Err(e) = answer(iova) {
            let _ = ioas.state.lock().unmap(iova, len);
            return Err(e);
        }
        Ok(())
    }

    /// IOMMU_IOAS_MAP: pin user memory and map it.
    fn ioas_map(&self, ucmd: &UserCmd, mut cmd: uapi::IommuIoasMap) -> Result {
        check_map_flags(cmd.flags, cmd.reserved, &[cmd.iova, cmd.length])?;
        let (va, len) = (cmd.user_va, cmd.length);
        let req = MapRequest {
            ioas_id: cmd.ioas_id,
            flags: cmd.flags,
            iova: cmd.iova,
            len,
            hint: va,
        };
        self.map_new(
            req,
            |write, acct| PinnedPages::pin_user(va, len, write, acct),
            &mut |iova| {
                cmd.iova = iova;
                ucmd.respond(&cmd)
            },
        )
    }

    /// IOMMU_IOAS_MAP_FILE: pin a range of a memfd and map it.
    fn ioas_map_file(&self, ucmd: &UserCmd, mut cmd: uapi::IommuIoasMapFile) -> Result {
        check_map_flags(cmd.flags, 0, &[cmd.iova, cmd.length])?;
        let (fd, start, len) = (cmd.fd, cmd.start, cmd.length);
        let req = MapRequest {
            ioas_id: cmd.ioas_id,
            flags: cmd.flags,
            iova: cmd.iova,
            len,
            hint: start,
        };
        self.map_new(
            req,
            |write, acct| PinnedPages::pin_memfd(fd, start, len, write, acct),
            &mut |iova| {
                cmd.iova = iova;
                ucmd.respond(&cmd)
            },
        )
    }

    /// IOMMU_IOAS_COPY: map pages already pinned in one IOAS into another
    /// (or the same), sharing them.
    fn ioas_copy(&self, ucmd: &UserCmd, mut cmd: uapi::IommuIoasCopy) -> Result {
        check_map_flags(cmd.flags, 0, &[cmd.length, cmd.src_iova, cmd.dst_iova])?;
        let p = prot(cmd.flags);
        let src = self.ioas(cmd.src_ioas_id)?;
        let mut parts: KVVec<(u64, AreaPages)> = KVVec::new();
        let mut failed = None;
        src.state
            .lock()
            .space
            .slices(cmd.src_iova, cmd.length, &mut |sl| {
                let area = AreaPages {
                    pages: sl.area.data.pages.clone(),
                    offset: sl.area.data.offset + sl.offset,
                    uaddr: sl.area.data.uaddr.wrapping_add(sl.offset),
                };
                if failed.is_none() {
                    if let Err(e) = parts.push((sl.len, area), GFP_KERNEL_ACCOUNT) {
                        failed = Some(e);
                    }
                }
            })
            .map_err(kerr)?;
        if let Some(e) = failed {
            return Err(e.into());
        }
        drop(src);
        if p.write && parts.iter().any(|(_, a)| !a.pages.writable()) {
            return Err(EPERM);
        }
        let dst = self.ioas(cmd.dst_ioas_id)?;
        let place = if cmd.flags & uapi::MAP_FIXED_IOVA != 0 {
            Placement::Fixed(cmd.dst_iova)
        } else {
            Placement::Alloc {
                user_addr: parts.first().map_or(0, |(_, a)| a.uaddr),
            }
        };
        let mut it = parts.drain_all();
        let mut st = dst.state.lock();
        let iova = st
            .space
            .map_parts(place, cmd.length, p, &mut || it.next())
            .map_err(kerr)?;
        if let Err(e) = st.map_into_domains(iova, cmd.length) {
            let _ = st.space.unmap(iova, cmd.length, &mut drop);
            return Err(e);
        }
        drop(st);
        cmd.dst_iova = iova;
        if let Err(e) = ucmd.respond(&cmd) {
            let _ = dst.state.lock().unmap(iova, cmd.length);
            return Err(e);
        }
        Ok(())
    }

    /// IOMMU_IOAS_UNMAP: whole areas, or everything with iova 0 and length
    /// `u64::MAX`. The pages of the areas are unpinned as they go.
    fn ioas_unmap(&self, ucmd: &UserCmd, mut cmd: uapi::IommuIoasUnmap) -> Result {
        let ioas = self.ioas(cmd.ioas_id)?;
        let bytes = if cmd.iova == 0 && cmd.length == u64::MAX {
            ioas.state.lock().unmap_all()
        } else {
            if cmd.iova == u64::MAX || cmd.length == u64::MAX {
                return Err(EOVERFLOW);
            }
            ioas.state.lock().unmap(cmd.iova, cmd.length)?
        };
        cmd.length = bytes;
        ucmd.respond(&cmd)
    }

    /// IOMMU_DEVICE_BIND: take a PCI function bound to the iommufd_rs
    /// driver, with DMA ownership of its group (this file is the owner).
    fn device_bind(&self, ucmd: &UserCmd, mut cmd: uapi::IommuDeviceBind) -> Result {
        if cmd.flags != 0 || cmd.reserved != 0 {
            return Err(EOPNOTSUPP);
        }
        let owner = core::ptr::from_ref(self)
            .cast_mut()
            .cast::<core::ffi::c_void>();
        let dev = DeviceObject::new(BoundDevice::bind(cmd.pci_segment, cmd.pci_rid, owner)?)?;
        self.publish(Object::Device(dev), |id| {
            cmd.out_dev_id = id;
            ucmd.respond(&cmd)
        })
        .map(|_| ())
    }

    /// IOMMU_DEVICE_ATTACH: attach a bound device to an IOAS (a compatible
    /// automatic HWPT is reused, else one is made and published) or to a
    /// HWPT made by IOMMU_HWPT_ALLOC; an attached device is moved (replace).
    fn device_attach(&self, ucmd: &UserCmd, mut cmd: uapi::IommuDeviceAttach) -> Result {
        if cmd.flags != 0 || cmd.reserved != 0 {
            return Err(EOPNOTSUPP);
        }
        let (dev, target) = {
            let st = self.state.lock();
            let dev = st.objects.device(cmd.dev_id)?;
            let target = match st.objects.ioas(cmd.pt_id) {
                Ok(ioas) => Target::Ioas(ioas),
                Err(_) => Target::Hwpt(st.objects.hwpt(cmd.pt_id)?),
            };
            (dev, target)
        };
        let (hwpt, new, replaced) = dev.attach(target)?;
        if let Some(id) = replaced {
            let obj = self.state.lock().objects.remove(id);
            drop(obj);
        }
        let published = if new {
            self.state
                .lock()
                .objects
                .insert(Object::Hwpt(hwpt.clone()))
                .inspect(|&id| hwpt.id.store(id, Ordering::Release))
        } else {
            Ok(hwpt.id.load(Ordering::Acquire))
        };
        drop(hwpt);
        let answered = published.and_then(|id| {
            cmd.out_hwpt_id = id;
            ucmd.respond(&cmd)
        });
        if let Err(e) = answered {
            // Undo: the device was attached just above, so this cannot fail.
            let _ = self.detach_and_drop(&dev);
            return Err(e);
        }
        Ok(())
    }

    /// Detaches `dev` and removes the automatic HWPT that lost its last
    /// device, outside every lock.
    fn detach_and_drop(&self, dev: &DeviceObject) -> Result {
        if let Some(id) = dev.detach()? {
            let obj = self.state.lock().objects.remove(id);
            drop(obj);
        }
        Ok(())
    }

    /// IOMMU_DEVICE_DETACH: back to blocking DMA.
    fn device_detach(&self, cmd: uapi::IommuDeviceDetach) -> Result {
        if cmd.flags != 0 || cmd.reserved != 0 {
            return Err(EOPNOTSUPP);
        }
        let dev = self.state.lock().objects.device(cmd.dev_id)?;
        self.detach_and_drop(&dev)
    }

    /// IOMMU_GET_HW_INFO: the generic answer of this provider (upstream's
    /// for a driver without `hw_info`): type NONE, no data (the user
    /// buffer is zeroed), capability bits.
    fn get_hw_info(&self, ucmd: &UserCmd, mut cmd: uapi::IommuHwInfo) -> Result {
        if cmd.flags & !uapi::HW_INFO_FLAG_INPUT_TYPE != 0 || cmd.reserved != [0; 3] {
            return Err(EOPNOTSUPP);
        }
        if cmd.flags & uapi::HW_INFO_FLAG_INPUT_TYPE != 0
            && cmd.data_type != uapi::HW_INFO_TYPE_DEFAULT
        {
            return Err(EOPNOTSUPP);
        }
        let dev = self.state.lock().objects.device(cmd.dev_id)?;
        let caps = dev.dev.hw_caps()?;
        // No data: zero whatever buffer userspace gave.
        let zeros = [0u8; 64];
        let mut left = cmd.data_len as usize;
        let mut at = 0u64;
        while left > 0 {
            let n = left.min(zeros.len());
            UserSlice::new(user_ptr(cmd.data_uptr, at, 1)?, n)
                .writer()
                .write_slice(&zeros[..n])?;
            left -= n;
            at += n as u64;
        }
        cmd.data_len = 0;
        cmd.data_type = uapi::HW_INFO_TYPE_DEFAULT;
        cmd.out_max_pasid_log2 = 0;
        cmd.out_capabilities = caps;
        ucmd.respond(&cmd)
    }

    /// IOMMU_HWPT_ALLOC: a paging (optionally nest-parent) HWPT from the
    /// device's own IOMMU driver, following an IOAS. Nested data types need
    /// this project's SMMUv3 driver: -EOPNOTSUPP on this provider.
    fn hwpt_alloc(&self, ucmd: &UserCmd, mut cmd: uapi::IommuHwptAlloc) -> Result {
        if cmd.flags & !uapi::HWPT_ALLOC_NEST_PARENT != 0
            || cmd.reserved != 0
            || cmd.data_type != uapi::HWPT_DATA_NONE
            || cmd.fault_id != 0
            || cmd.reserved2 != 0
        {
            return Err(EOPNOTSUPP);
        }
        let (dev, ioas) = {
            let st = self.state.lock();
            (st.objects.device(cmd.dev_id)?, st.objects.ioas(cmd.pt_id)?)
        };
        let hwpt = Hwpt::new(&dev.dev, &ioas, cmd.flags, false)?;
        self.publish(Object::Hwpt(hwpt.clone()), |id| {
            hwpt.id.store(id, Ordering::Release);
            cmd.out_hwpt_id = id;
            ucmd.respond(&cmd)
        })
        .map(|_| ())
    }

    /// IOMMU_DEVICE_GET_RESV_REGIONS: the device's typed reserved regions
    /// for a paging domain, or (NEST_PARENT) what a stage-2 parent carries:
    /// the aperture limits and the SW_MSI window. Two-pass like
    /// IOVA_RANGES.
    fn device_resv_regions(&self, ucmd: &UserCmd, mut cmd: uapi::IommuDeviceResvRegions) -> Result {
        if cmd.flags & !uapi::RESV_QUERY_NEST_PARENT != 0 {
            return Err(EOPNOTSUPP);
        }
        let dev = self.state.lock().objects.device(cmd.dev_id)?;
        let mut regions: KVVec<uapi::IommuResvRegion> = KVVec::new();
        let mut failed = None;
        let nest = cmd.flags & uapi::RESV_QUERY_NEST_PARENT != 0;
        dev.resv_view(&mut |r| {
            // A stage-2 parent carries only the SW_MSI window of the device.
            if nest && r.kind != crate::iova_space::sw_msi::ResvType::SwMsi {
                return;
            }
            let elm = uapi::IommuResvRegion {
                start: r.start,
                last: r.last,
                kind: r.kind as u32,
                flags: if r.user_window {
                    uapi::RESV_FLAG_USER_WINDOW
                } else {
                    0
                },
            };
            if failed.is_none() {
                if let Err(e) = regions.push(elm, GFP_KERNEL) {
                    failed = Some(e);
                }
            }
        })?;
        if let Some(e) = failed {
            return Err(e.into());
        }
        if nest {
            // The aperture of a nest-parent domain of this device, as
            // RESERVED regions at both ends.
            let geo = Domain::alloc(&dev.dev, uapi::HWPT_ALLOC_NEST_PARENT)?.geometry();
            let reserved = crate::iova_space::sw_msi::ResvType::Reserved as u32;
            if geo.aperture_start > 0 {
                let r = uapi::IommuResvRegion {
                    start: 0,
                    last: geo.aperture_start - 1,
                    kind: reserved,
                    flags: 0,
                };
                regions.push(r, GFP_KERNEL)?;
            }
            if geo.aperture_end < u64::MAX {
                let r = uapi::IommuResvRegion {
                    start: geo.aperture_end + 1,
                    last: u64::MAX,
                    kind: reserved,
                    flags: 0,
                };
                regions.push(r, GFP_KERNEL)?;
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
    fn device_set_irqs(&self, cmd: uapi::IommuDeviceSetIrqs) -> Result {
        if cmd.flags != 0 {
            return Err(EOPNOTSUPP);
        }
        if cmd.nvec > uapi::MAX_VECTORS {
            return Err(EINVAL);
        }
        let dev = self.state.lock().objects.device(cmd.dev_id)?;
        let n = cmd.nvec as usize;
        let mut fds = KVVec::new();
        fds.reserve(n, GFP_KERNEL)?;
        let mut reader = UserSlice::new(user_ptr(cmd.eventfds_uptr, 0, 0)?, n * 4).reader();
        for _ in 0..n {
            fds.push(reader.read::<i32>()?, GFP_KERNEL)?;
        }
        dev.set_irqs(&fds)
    }

    /// IOMMU_HWPT_TRANSLATE: what an IOVA translates to in a HWPT's domain.
    /// The leaf size comes from our SMMUv3 driver's own table walk; other
    /// drivers give 0 (the IOMMU core API cannot tell it).
    fn hwpt_translate(&self, ucmd: &UserCmd, mut cmd: uapi::IommuHwptTranslate) -> Result {
        let hwpt = self.state.lock().objects.hwpt(cmd.hwpt_id)?;
        (cmd.out_phys, cmd.out_leaf_size) = hwpt.domain.translate(cmd.iova)?;
        ucmd.respond(&cmd)
    }

    /// IOMMU_OPTION.
    fn option(&self, ucmd: &UserCmd, mut cmd: uapi::IommuOption) -> Result {
        if cmd.reserved != 0 {
            return Err(EOPNOTSUPP);
        }
        let (get, set) = (cmd.op == uapi::OPTION_OP_GET, cmd.op == uapi::OPTION_OP_SET);
        match cmd.option_id {
            uapi::OPTION_RLIMIT_MODE => {
                if cmd.object_id != 0 {
                    return Err(EOPNOTSUPP);
                }
                if get {
                    cmd.val64 = u64::from(self.account() == Account::Mm);
                } else if set {
                    if !pages::capable_sys_resource() {
                        return Err(EPERM);
                    }
                    let mut st = self.state.lock();
                    if !st.objects.is_empty() {
                        return Err(EBUSY);
                    }
                    st.account = match cmd.val64 {
                        0 => Account::User,
                        1 => Account::Mm,
                        _ => return Err(EINVAL),
                    };
                } else {
                    return Err(EOPNOTSUPP);
                }
            }
            uapi::OPTION_HUGE_PAGES => {
                let ioas = self.ioas(cmd.object_id)?;
                let mut st = ioas.state.lock();
                let space = &mut st.space;
                if get {
                    cmd.val64 = u64::from(space.large_alignment());
                } else if set {
                    match cmd.val64 {
                        0 => space.set_large_alignment(false),
                        1 => space.set_large_alignment(true),
                        _ => return Err(EINVAL),
                    }
                } else {
                    return Err(EOPNOTSUPP);
                }
            }
            uapi::OPTION_SW_MSI_START | uapi::OPTION_SW_MSI_SIZE => {
                let dev = self.state.lock().objects.device(cmd.object_id)?;
                if !get && !set {
                    return Err(EOPNOTSUPP);
                }
                dev.sw_msi_option(cmd.option_id, set, &mut cmd.val64)?;
            }
            _ => return Err(EOPNOTSUPP),
        }
        // Only val64 is written back, as upstream does.
        ucmd.respond_field(&cmd, 16, 8)
    }
}
