// SPDX-License-Identifier: GPL-2.0

//! The vIOMMU and vDEVICE objects and their commands (upstream's
//! `viommu.c`): a guest's view of one SMMU over a nest-parent HWPT, and
//! the virtual stream ids of its devices.
//!
//! Both need the device's driver to be one of this project's (its
//! provider, [`crate::provider`]); for any other driver IOMMU_VIOMMU_ALLOC is
//! `-EOPNOTSUPP`, as upstream answers for a driver without vIOMMU ops.

use crate::{
    device::DeviceObject,
    file::{
        user_ptr,
        IommufdFile, //
    },
    hwpt::HwptObject,
    object::{
        file_object,
        Dep,
        Object,
        ObjectHeader, //
    },
    provider::{
        self,
        ProviderViommu, //
    },
    provider_abi::VdeviceHandle,
    uapi,
    ucmd::UserCmd, //
};
use kernel::{
    prelude::*,
    sync::Arc,
    uaccess::UserSlice, //
};

/// The most entries of one IOMMU_HWPT_INVALIDATE
/// (`IOMMU_HWPT_INVALIDATE_ENTRY_NUM_MAX`).
const ENTRY_NUM_MAX: u32 = 1 << 19;
/// The largest entry (upstream bounds the trailing-zero scan by a page).
const ENTRY_LEN_MAX: u32 = 4096;
/// `struct iommu_viommu_arm_smmuv3_invalidate`: one command.
const ENTRY_SIZE: usize = 16;
/// Entries read and handed to the driver at a time: one of its synced
/// batches (63 commands and a CMD_SYNC).
const CHUNK: usize = 63;

/// A vIOMMU: the driver's vIOMMU over the nest parent it depends on.
pub(crate) struct ViommuObject {
    header: ObjectHeader,
    /// The nest parent: its stage 2 is every nested HWPT's.
    pub(crate) parent: Dep<HwptObject>,
    /// The driver's vIOMMU, freed when this object goes: every vDEVICE and
    /// nested HWPT depends on this object, so none is left then.
    pub(crate) provider: ProviderViommu,
}

file_object!(ViommuObject, Viommu);

/// A vDEVICE: a device's virtual id in a vIOMMU. It depends on the
/// vIOMMU, not on the device: when the device object is destroyed its
/// vDEVICE goes with it (upstream's tombstone), see [`remove_of_device`].
pub(crate) struct VdeviceObject {
    header: ObjectHeader,
    viommu: Dep<ViommuObject>,
    /// The device, by identity ([`DeviceObject::key`]); it stays in the
    /// table as long as this object does.
    device: usize,
    /// The driver's name for this virtual id.
    handle: VdeviceHandle,
}

file_object!(VdeviceObject, Vdevice);

impl VdeviceObject {
    /// The device this names, by identity.
    pub(crate) fn device_key(&self) -> usize {
        self.device
    }

    /// Whether this is the virtual id of `dev` in `viommu`.
    pub(crate) fn names(&self, dev: &DeviceObject, viommu: &ViommuObject) -> bool {
        self.device == dev.key() && core::ptr::eq(&*self.viommu, viommu)
    }
}

impl Drop for VdeviceObject {
    fn drop(&mut self) {
        // The vIOMMU is live (this holds it); the handle came from its
        // `vdevice_alloc` and is taken back once.
        self.viommu.provider.vdevice_free(self.handle)
    }
}

/// IOMMU_VIOMMU_ALLOC: a vIOMMU of the device's SMMU over a nest-parent
/// HWPT, in upstream's order: flags and the DEFAULT type (`-EOPNOTSUPP`),
/// the device (`-ENOENT`), a type or a driver without vIOMMUs, or an SMMU
/// that cannot nest safely (`-EOPNOTSUPP`), the HWPT (`-ENOENT` unless a
/// paging HWPT), not a nest parent (`-EINVAL`), then the driver (`-EINVAL`
/// for a parent of another SMMU). The type's data is ignored, as upstream
/// ignores it for ARM_SMMUV3.
pub(crate) fn alloc(f: &IommufdFile, ucmd: &UserCmd, mut cmd: uapi::IommuViommuAlloc) -> Result {
    if cmd.flags != 0 || cmd.type_ == uapi::VIOMMU_TYPE_DEFAULT {
        return Err(EOPNOTSUPP);
    }
    let dev = f.get::<DeviceObject>(cmd.dev_id)?;
    // The driver's answer before the HWPT's, as upstream asks for the
    // vIOMMU size first: only ARM_SMMUV3, only where nesting is safe.
    if cmd.type_ != uapi::VIOMMU_TYPE_ARM_SMMUV3 {
        return Err(EOPNOTSUPP);
    }
    provider::viommu_supported(&dev.pci)?;
    let parent = f.lock().objects.depend::<HwptObject>(cmd.hwpt_id)?;
    if parent.is_nested() {
        return Err(ENOENT);
    }
    if !parent.nest_parent {
        return Err(EINVAL);
    }
    let provider = ProviderViommu::alloc(&parent.domain, &dev.pci)?;
    let viommu = Arc::new(
        ViommuObject {
            header: ObjectHeader::default(),
            parent,
            provider,
        },
        GFP_KERNEL_ACCOUNT,
    )?;
    f.publish(Object::Viommu(viommu), |id| {
        cmd.out_viommu_id = id;
        ucmd.respond(&cmd)
    })
    .map(drop)
}

/// IOMMU_VDEVICE_ALLOC: the device's virtual id in a vIOMMU, in upstream's
/// order: the vIOMMU and the device (`-ENOENT`), a device of another
/// IOMMU (`-EINVAL`), a device with a vDEVICE already (`-EEXIST`), then the
/// driver (`-EEXIST` for a virtual id in use, `-EINVAL` for one wider than
/// a stream id, `-EOPNOTSUPP` for a device with several stream ids). A
/// device destroyed meanwhile is `-ENOENT`.
pub(crate) fn vdevice_alloc(
    f: &IommufdFile,
    ucmd: &UserCmd,
    mut cmd: uapi::IommuVdeviceAlloc,
) -> Result {
    let (viommu, dev) = {
        let st = f.lock();
        let viommu = st.objects.depend::<ViommuObject>(cmd.viommu_id)?;
        let dev = st.objects.get::<DeviceObject>(cmd.dev_id)?;
        (viommu, dev)
    };
    // The driver first: upstream's wrong-IOMMU -EINVAL comes before a
    // device's second vDEVICE (-EEXIST, checked below with the insert).
    let handle = viommu.provider.vdevice_alloc(&dev.pci, cmd.virt_id)?;
    let vdev = Arc::new(
        VdeviceObject {
            header: ObjectHeader::default(),
            viommu,
            device: dev.key(),
            handle,
        },
        GFP_KERNEL_ACCOUNT,
    )?;
    // Inserted only while the device is still in the table and has no
    // other vDEVICE, in the same critical section: a DESTROY of the device
    // then finds this one.
    let mut st = f.lock();
    let err = if !st.objects.holds(&dev) {
        Some(ENOENT)
    } else if st.objects.vdevice_of(&dev).is_some() {
        Some(EEXIST)
    } else {
        None
    };
    if let Some(e) = err {
        drop(st);
        drop(vdev);
        return Err(e);
    }
    let id = st.objects.insert(Object::Vdevice(vdev))?;
    cmd.out_vdevice_id = id;
    if let Err(e) = ucmd.respond(&cmd) {
        let obj = st.objects.remove(id);
        drop(st);
        drop(obj);
        return Err(e);
    }
    Ok(())
}

/// Reads entry `i` of an invalidation array as upstream's
/// `copy_struct_from_user` does: a shorter entry is zero-extended, a
/// longer one must be zero beyond the command (`-E2BIG`).
fn read_entry(uptr: u64, len: u32, i: u64) -> Result<[u64; 2]> {
    let at = user_ptr(uptr, i, len.into())?;
    let mut reader = UserSlice::new(at, len as usize).reader();
    let mut bytes = [0u8; ENTRY_SIZE];
    let n = (len as usize).min(ENTRY_SIZE);
    reader.read_slice(&mut bytes[..n])?;
    let mut rest = [0u8; 64];
    while !reader.is_empty() {
        let m = reader.len().min(rest.len());
        reader.read_slice(&mut rest[..m])?;
        if rest[..m].iter().any(|&b| b != 0) {
            return Err(E2BIG);
        }
    }
    let word = |k: usize| {
        let mut w = [0u8; 8];
        w.copy_from_slice(&bytes[8 * k..8 * k + 8]);
        u64::from_le_bytes(w)
    };
    Ok([word(0), word(1)])
}

/// IOMMU_HWPT_INVALIDATE on a vIOMMU: the guest's SMMUv3 commands
/// (`IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3`), carried out in order, in
/// upstream's order of checks: reserved field (`-EOPNOTSUPP`), the array's
/// bounds (`-EINVAL`), the object (`-ENOENT`; a nested HWPT `-EOPNOTSUPP`,
/// as upstream's arm driver has no per-domain invalidation; any other kind
/// `-EINVAL`), the data type (`-EINVAL`). `entry_num` is always written
/// back with how many entries were carried out: the first refused command
/// (`-EIO`, or a copy error) stops the array there, and every one before it
/// has been issued and synced. `entry_num = 0` probes the data type and
/// returns 0. Both are what the UAPI documentation says; upstream's arm
/// driver answers `-EINVAL` to a zero `entry_num` and counts, without
/// issuing, the commands batched before a refused one.
pub(crate) fn invalidate(
    f: &IommufdFile,
    ucmd: &UserCmd,
    mut cmd: uapi::IommuHwptInvalidate,
) -> Result {
    let mut done = 0u32;
    let r = invalidate_entries(f, &cmd, &mut done);
    cmd.entry_num = done;
    ucmd.respond(&cmd).map_err(|_| EFAULT)?;
    r
}

fn invalidate_entries(f: &IommufdFile, cmd: &uapi::IommuHwptInvalidate, done: &mut u32) -> Result {
    if cmd.__reserved != 0 {
        return Err(EOPNOTSUPP);
    }
    let n = cmd.entry_num;
    if n != 0
        && (cmd.data_uptr == 0
            || cmd.entry_len == 0
            || cmd.entry_len > ENTRY_LEN_MAX
            || n > ENTRY_NUM_MAX)
    {
        return Err(EINVAL);
    }
    let viommu = {
        let st = f.lock();
        match st.objects.get::<ViommuObject>(cmd.hwpt_id) {
            Ok(v) => v,
            Err(_)
                if st
                    .objects
                    .get::<HwptObject>(cmd.hwpt_id)
                    .is_ok_and(|h| h.is_nested()) =>
            {
                return Err(EOPNOTSUPP)
            }
            Err(_) if st.objects.exists(cmd.hwpt_id) => return Err(EINVAL),
            Err(e) => return Err(e),
        }
    };
    if cmd.data_type != uapi::VIOMMU_INVALIDATE_DATA_ARM_SMMUV3 {
        return Err(EINVAL);
    }
    let mut chunk = [[0u64; 2]; CHUNK];
    let mut next = 0u32;
    while next < n {
        let count = ((n - next) as usize).min(CHUNK);
        let mut read = 0;
        let mut copy_err = None;
        for (k, slot) in chunk[..count].iter_mut().enumerate() {
            match read_entry(cmd.data_uptr, cmd.entry_len, u64::from(next) + k as u64) {
                Ok(e) => {
                    *slot = e;
                    read += 1;
                }
                Err(e) => {
                    copy_err = Some(e);
                    break;
                }
            }
        }
        let (carried, r) = viommu.provider.invalidate(&chunk[..read]);
        *done += carried;
        r?;
        if let Some(e) = copy_err {
            return Err(e);
        }
        next += count as u32;
    }
    Ok(())
}

/// The vDEVICEs of `dev`, taken out of `objects` when the device object
/// is destroyed: its virtual ids die with it.
pub(crate) fn remove_of_device(
    objects: &mut crate::object::ObjectTable,
    dev: &DeviceObject,
) -> Option<Object> {
    let v = objects.vdevice_of(dev)?;
    objects.remove_same(&v)
}
