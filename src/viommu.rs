// SPDX-License-Identifier: GPL-2.0

//! The vIOMMU and vDEVICE objects and their commands (upstream's
//! `viommu.c`): a guest's view of one SMMU over a nest-parent HWPT, and
//! the virtual stream ids of its devices.
//!
//! Both need the device's driver to be one of this project's (its
//! provider, `viommu.c`); for any other driver IOMMU_VIOMMU_ALLOC is
//! `-EOPNOTSUPP`, as upstream answers for a driver without vIOMMU ops.

use crate::{
    device::DeviceObject,
    file::{
        user_ptr,
        IommufdFile, //
    },
    hwpt::Hwpt,
    kernel_ext::device_as_raw,
    object::{
        file_object,
        Dep,
        Object,
        ObjectHeader, //
    },
    uapi,
    ucmd::UserCmd, //
};
use core::ptr::NonNull;
use kernel::{
    bindings,
    error::to_result,
    ffi::c_int,
    prelude::*,
    sync::Arc,
    uaccess::UserSlice, //
};

/// The opaque `struct iommufd_rs_viommu` of `viommu.c`.
#[repr(C)]
pub(crate) struct RawViommu {
    _opaque: [u8; 0],
}

// The bindings' structs hold a field-less struct (`sched_statistics`
// without CONFIG_SCHEDSTATS), which the lint flags even behind a pointer;
// only pointers to them cross here.
#[allow(improper_ctypes)]
extern "C" {
    fn iommufd_rs_viommu_alloc(
        parent: *mut bindings::iommu_domain,
        dev: *mut bindings::device,
        err: *mut c_int,
    ) -> *mut RawViommu;
    fn iommufd_rs_viommu_free(v: *mut RawViommu);
    fn iommufd_rs_viommu_supported(dev: *mut bindings::device) -> c_int;
    fn iommufd_rs_vdevice_alloc(
        v: *mut RawViommu,
        dev: *mut bindings::device,
        virt_id: u64,
        token: *mut u64,
    ) -> c_int;
    fn iommufd_rs_vdevice_free(v: *mut RawViommu, token: u64);
    fn iommufd_rs_viommu_invalidate(
        v: *mut RawViommu,
        cmds: *const u64,
        n: u32,
        done: *mut u32,
    ) -> c_int;
}

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
pub(crate) struct Viommu {
    header: ObjectHeader,
    /// The nest parent: its stage 2 is every nested HWPT's.
    pub(crate) parent: Dep<Hwpt>,
    raw: NonNull<RawViommu>,
}

file_object!(Viommu, Viommu);

// SAFETY: the driver's vIOMMU is not tied to a task and serialises its own
// state (its virtual id table has its own lock).
unsafe impl Send for Viommu {}
// SAFETY: see `Send`.
unsafe impl Sync for Viommu {}

impl Viommu {
    /// The driver's vIOMMU, for the C side.
    pub(crate) fn raw(&self) -> *mut RawViommu {
        self.raw.as_ptr()
    }
}

impl Drop for Viommu {
    fn drop(&mut self) {
        // SAFETY: allocated by `iommufd_rs_viommu_alloc`, freed once; every
        // vDEVICE and nested HWPT depends on this object, so none is left.
        unsafe { iommufd_rs_viommu_free(self.raw.as_ptr()) }
    }
}

/// A vDEVICE: a device's virtual id in a vIOMMU. It depends on the
/// vIOMMU, not on the device: when the device object is destroyed its
/// vDEVICE goes with it (upstream's tombstone), see [`remove_of_device`].
pub(crate) struct Vdevice {
    header: ObjectHeader,
    viommu: Dep<Viommu>,
    /// The device, by identity ([`DeviceObject::key`]); it stays in the
    /// table as long as this object does.
    device: usize,
    /// The driver's name for this virtual id.
    token: u64,
}

file_object!(Vdevice, Vdevice);

impl Vdevice {
    /// The device this names, by identity.
    pub(crate) fn device_key(&self) -> usize {
        self.device
    }

    /// Whether this is the virtual id of `dev` in `viommu`.
    pub(crate) fn names(&self, dev: &DeviceObject, viommu: &Viommu) -> bool {
        self.device == dev.key() && core::ptr::eq(&*self.viommu, viommu)
    }
}

impl Drop for Vdevice {
    fn drop(&mut self) {
        // SAFETY: the vIOMMU is live (this holds it); the token came from
        // its `iommufd_rs_vdevice_alloc` and is taken back once.
        unsafe { iommufd_rs_vdevice_free(self.viommu.raw(), self.token) }
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
    dev.pci.with_live_device(|d| {
        // SAFETY: the device is kept on the driver for the call.
        to_result(unsafe { iommufd_rs_viommu_supported(device_as_raw(d)) })
    })?;
    let parent = f.lock().objects.depend::<Hwpt>(cmd.hwpt_id)?;
    if parent.is_nested() {
        return Err(ENOENT);
    }
    if !parent.nest_parent {
        return Err(EINVAL);
    }
    let raw = dev.pci.with_live_device(|d| {
        let mut err: c_int = 0;
        // SAFETY: the domain is live and the device kept on the driver for
        // the call; `err` is a valid place.
        let raw =
            unsafe { iommufd_rs_viommu_alloc(parent.domain.as_raw(), device_as_raw(d), &mut err) };
        NonNull::new(raw).ok_or_else(|| Error::from_errno(err))
    })?;
    let viommu = Arc::new(
        Viommu {
            header: ObjectHeader::default(),
            parent,
            raw,
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
        let viommu = st.objects.depend::<Viommu>(cmd.viommu_id)?;
        let dev = st.objects.get::<DeviceObject>(cmd.dev_id)?;
        (viommu, dev)
    };
    // The driver first: upstream's wrong-IOMMU -EINVAL comes before a
    // device's second vDEVICE (-EEXIST, checked below with the insert).
    let token = dev.pci.with_live_device(|d| {
        let mut token = 0u64;
        // SAFETY: the vIOMMU is live and the device kept on the driver for
        // the call; `token` is a valid place.
        to_result(unsafe {
            iommufd_rs_vdevice_alloc(viommu.raw(), device_as_raw(d), cmd.virt_id, &mut token)
        })?;
        Ok(token)
    })?;
    let vdev = Arc::new(
        Vdevice {
            header: ObjectHeader::default(),
            viommu,
            device: dev.key(),
            token,
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
        match st.objects.get::<Viommu>(cmd.hwpt_id) {
            Ok(v) => v,
            Err(_)
                if st
                    .objects
                    .get::<Hwpt>(cmd.hwpt_id)
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
        let mut carried = 0u32;
        // SAFETY: the vIOMMU is live; `chunk` holds `read` commands of two
        // words; `carried` is a valid place.
        let r = to_result(unsafe {
            iommufd_rs_viommu_invalidate(
                viommu.raw(),
                chunk.as_ptr().cast::<u64>(),
                read as u32,
                &mut carried,
            )
        });
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
