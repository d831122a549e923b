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
    domain::RawDomain,
    file::IommufdFile,
    hwpt::Hwpt,
    object::{
        file_object,
        Dep,
        Object,
        ObjectHeader, //
    },
    pci::RawPci,
    uapi,
    ucmd::UserCmd, //
};
use core::ptr::NonNull;
use kernel::{
    error::to_result,
    ffi::c_int,
    prelude::*,
    sync::Arc, //
};

/// The opaque `struct iommufd_rs_viommu` of `viommu.c`.
#[repr(C)]
pub(crate) struct RawViommu {
    _opaque: [u8; 0],
}

extern "C" {
    fn iommufd_rs_viommu_alloc(
        parent: *mut RawDomain,
        d: *mut RawPci,
        err: *mut c_int,
    ) -> *mut RawViommu;
    fn iommufd_rs_viommu_free(v: *mut RawViommu);
    fn iommufd_rs_vdevice_alloc(
        v: *mut RawViommu,
        d: *mut RawPci,
        virt_id: u64,
        token: *mut u64,
    ) -> c_int;
    fn iommufd_rs_vdevice_free(v: *mut RawViommu, token: u64);
}

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
/// HWPT, in upstream's order: flags and type (`-EOPNOTSUPP`), the device
/// (`-ENOENT`), a driver without vIOMMUs (`-EOPNOTSUPP`), the HWPT
/// (`-ENOENT` unless a paging HWPT), not a nest parent (`-EINVAL`), then
/// the driver (`-EOPNOTSUPP` if it cannot nest safely, `-EINVAL` for a
/// parent of another SMMU). The type's data is ignored, as upstream
/// ignores it for ARM_SMMUV3.
pub(crate) fn alloc(f: &IommufdFile, ucmd: &UserCmd, mut cmd: uapi::IommuViommuAlloc) -> Result {
    if cmd.flags != 0 || cmd.type_ != uapi::VIOMMU_TYPE_ARM_SMMUV3 {
        return Err(EOPNOTSUPP);
    }
    let dev = f.get::<DeviceObject>(cmd.dev_id)?;
    let parent = f.lock().objects.depend::<Hwpt>(cmd.hwpt_id)?;
    if parent.is_nested() {
        return Err(ENOENT);
    }
    if !parent.nest_parent {
        return Err(EINVAL);
    }
    let mut err: c_int = 0;
    // SAFETY: the domain and the device are live for the call; `err` is a
    // valid place.
    let raw = unsafe { iommufd_rs_viommu_alloc(parent.domain.raw(), dev.pci.raw(), &mut err) };
    let raw = NonNull::new(raw).ok_or_else(|| Error::from_errno(err))?;
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
        if st.objects.vdevice_of(&dev).is_some() {
            return Err(EEXIST);
        }
        (viommu, dev)
    };
    let mut token = 0u64;
    // SAFETY: the vIOMMU and the device are live for the call; `token` is
    // a valid place.
    to_result(unsafe {
        iommufd_rs_vdevice_alloc(viommu.raw(), dev.pci.raw(), cmd.virt_id, &mut token)
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

/// The vDEVICEs of `dev`, taken out of `objects` when the device object
/// is destroyed: its virtual ids die with it.
pub(crate) fn remove_of_device(
    objects: &mut crate::object::ObjectTable,
    dev: &DeviceObject,
) -> Option<Object> {
    let v = objects.vdevice_of(dev)?;
    objects.remove_same(&v)
}

impl Vdevice {
    /// The device this names, by identity.
    pub(crate) fn device_key(&self) -> usize {
        self.device
    }
}
