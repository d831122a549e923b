// SPDX-License-Identifier: GPL-2.0

//! One open file of the device: its object table, the ioctl dispatch,
//! IOMMU_DESTROY and IOMMU_OPTION (upstream's `main.c`). The handlers live
//! with their objects: `ioas.rs`, `device.rs`, `hwpt.rs`. Each command
//! follows upstream iommufd's checks in upstream's order (Linux 7.3
//! `drivers/iommu/iommufd/`), so the same request gets the same errno;
//! where upstream would leave a half-done change behind (an answer that
//! cannot be written back), this module undoes it.

use crate::{
    device::{
        self,
        DeviceObject, //
    },
    hwpt::{
        self,
        HwptObject, //
    },
    ioas::{
        self,
        IoasObject, //
    },
    kernel_ext::misc_file::MiscFops,
    object::{
        FileObject,
        Object,
        ObjectTable, //
    },
    pages::{
        self,
        Account, //
    },
    uapi::{
        self,
        Command, //
    },
    ucmd::UserCmd,
    veventq,
    viommu, //
};
use core::sync::atomic::{
    AtomicBool,
    Ordering, //
};
use kernel::{
    fs::File,
    ioctl::_IOC_NR,
    miscdevice::{
        MiscDevice,
        MiscDeviceRegistration, //
    },
    new_mutex,
    prelude::*,
    sync::{
        Arc,
        Mutex, //
    },
    uaccess::UserPtr, //
};

/// What a file owns.
pub(crate) struct FileState {
    /// Every object of the file, by id.
    pub(crate) objects: ObjectTable,
}

/// The context of one open file.
///
/// Locking: `state` (the object table) is held only to look up, insert or
/// remove objects and is never held while an IOAS or device lock is taken;
/// objects leave the table under it and are dropped after it is released.
/// `ioas_creation` is the outermost lock: taken before `state`, and before
/// the IOAS locks when one thread holds all of them.
#[pin_data]
pub(crate) struct IommufdFile {
    #[pin]
    state: Mutex<FileState>,
    /// Upstream's `ioas_creation_lock`: held by IOMMU_IOAS_ALLOC around
    /// publishing a new IOAS, and by IOMMU_IOAS_CHANGE_PROCESS while it
    /// holds every IOAS lock of the file, so that no IOAS appears meanwhile
    /// and no other thread nests IOAS locks (it is their lockdep nest lock).
    #[pin]
    ioas_creation: Mutex<()>,
    /// How pages are charged (IOMMU_OPTION_RLIMIT_MODE): `true` for
    /// `mm->locked_vm`. Written with `state` held and only while the file
    /// has no objects, so it cannot change under a command that holds one
    /// (every MAP holds its IOAS): reads need no lock.
    mm_accounting: AtomicBool,
}

/// The file operations of this device's files, for recognising one by its
/// descriptor (VFIO_DEVICE_BIND_IOMMUFD on a function's node).
pub(crate) static IOMMU_FOPS: MiscFops = MiscFops::new();

/// The user address of element `index` of `size` bytes in an array at
/// `addr` (`-EFAULT` if it wraps).
pub(crate) fn user_ptr(addr: u64, index: u64, size: u64) -> Result<UserPtr> {
    let a = index
        .checked_mul(size)
        .and_then(|o| addr.checked_add(o))
        .ok_or(EFAULT)?;
    Ok(UserPtr::from_addr(usize::try_from(a).map_err(|_| EFAULT)?))
}

#[vtable]
impl MiscDevice for IommufdFile {
    type Ptr = Pin<KBox<Self>>;

    fn open(file: &File, _misc: &MiscDeviceRegistration<Self>) -> Result<Pin<KBox<Self>>> {
        IOMMU_FOPS.record_fops(file);
        KBox::try_pin_init(
            try_pin_init!(Self {
                state <- new_mutex!(FileState {
                    objects: ObjectTable::default(),
                }),
                ioas_creation <- new_mutex!(()),
                mm_accounting: AtomicBool::new(false),
            }),
            GFP_KERNEL_ACCOUNT,
        )
    }

    fn ioctl(me: Pin<&Self>, file: &File, cmd: u32, arg: usize) -> Result<isize> {
        // Upstream's order: an unknown number is -ENOTTY before anything is
        // read; a known number reads `size` first (-EFAULT), then requires the
        // exact ioctl encoding (-ENOTTY), then the minimum size.
        let op = Command::from_nr(_IOC_NR(cmd)).ok_or(ENOTTY)?;
        let ucmd = UserCmd::new(arg)?;
        if op.ioctl_num() != cmd {
            return Err(ENOTTY);
        }
        let min = op.min_size();
        let f = &*me;
        let u = &ucmd;
        match op {
            Command::Destroy => f.destroy(u.read(min)?),
            Command::Option => f.option(u, u.read(min)?),
            Command::IoasAlloc => ioas::alloc(f, u, u.read(min)?),
            Command::IoasAllowIovas => ioas::allow_iovas(f, u.read(min)?),
            Command::IoasChangeProcess => ioas::change_process(f, u.read(min)?),
            Command::IoasCopy => ioas::copy(f, u, u.read(min)?),
            Command::IoasIovaRanges => ioas::iova_ranges(f, u, u.read(min)?),
            Command::IoasMap => ioas::map(f, u, u.read(min)?),
            Command::IoasMapFile => ioas::map_file(f, u, u.read(min)?),
            Command::IoasUnmap => ioas::unmap(f, u, u.read(min)?),
            Command::GetHwInfo => device::get_hw_info(f, u, u.read(min)?),
            Command::DeviceBind => device::bind(f, u, u.read(min)?),
            Command::DeviceAttach => device::attach(f, u, u.read(min)?),
            Command::DeviceDetach => device::detach(f, u.read(min)?),
            Command::DeviceGetResvRegions => device::resv_regions(f, u, u.read(min)?),
            Command::DeviceSetIrqs => device::set_irqs(f, u.read(min)?),
            Command::HwptAlloc => hwpt::alloc(f, u, u.read(min)?),
            Command::HwptTranslate => hwpt::translate(f, file, u, u.read(min)?),
            Command::ViommuAlloc => viommu::alloc(f, u, u.read(min)?),
            Command::VdeviceAlloc => viommu::vdevice_alloc(f, u, u.read(min)?),
            Command::HwptInvalidate => viommu::invalidate(f, u, u.read(min)?),
            Command::VeventqAlloc => veventq::alloc(f, u, u.read(min)?),
            #[cfg(iommufd_rs_test)]
            Command::TestIoasCheck => crate::check::ioas_check(f, u, u.read(min)?),
            // Not in this build: `Command::from_nr` never gives it.
            #[cfg(not(iommufd_rs_test))]
            Command::TestIoasCheck => Err(ENOTTY),
        }?;
        Ok(0)
    }
}

impl IommufdFile {
    /// The file's state, locked.
    pub(crate) fn lock(&self) -> kernel::sync::MutexGuard<'_, FileState> {
        self.state.lock()
    }

    /// The file's IOAS creation lock (see [`IommufdFile`]'s locking).
    pub(crate) fn lock_ioas_creation(&self) -> kernel::sync::MutexGuard<'_, ()> {
        self.ioas_creation.lock()
    }

    /// Object `id` of kind `T` (`-ENOENT` if there is none of that kind).
    pub(crate) fn get<T: FileObject>(&self, id: u32) -> Result<Arc<T>> {
        self.lock().objects.get(id)
    }

    /// How this file charges pages.
    pub(crate) fn account(&self) -> Account {
        if self.mm_accounting.load(Ordering::Relaxed) {
            Account::Mm
        } else {
            Account::User
        }
    }

    /// The DMA owner cookie of this file's devices' groups.
    pub(crate) fn owner_cookie(&self) -> *mut core::ffi::c_void {
        core::ptr::from_ref(self)
            .cast_mut()
            .cast::<core::ffi::c_void>()
    }

    /// Inserts `obj` and lets `answer` write its id back, under the table
    /// lock so that a failed answer removes exactly this object (which is
    /// then dropped with the lock released). Returns the id.
    pub(crate) fn publish(&self, obj: Object, answer: impl FnOnce(u32) -> Result) -> Result<u32> {
        let mut st = self.lock();
        let id = st.objects.insert(obj)?;
        if let Err(e) = answer(id) {
            let obj = st.objects.remove(id);
            drop(st);
            drop(obj);
            return Err(e);
        }
        Ok(id)
    }

    /// Removes `hwpt` (an automatic HWPT that lost its last device) from
    /// the table if it is still there, and drops it with the table lock
    /// released. By identity, not id: a concurrent DESTROY may have removed
    /// it already and the id been given to another object.
    pub(crate) fn remove_hwpt(&self, hwpt: &Arc<HwptObject>) {
        let obj = self.lock().objects.remove_same(hwpt);
        drop(obj);
    }

    /// IOMMU_DESTROY: `-EBUSY` for an object anything depends on (see
    /// `object.rs`). The object is dropped after the table lock is released:
    /// an IOAS unpins its pages then (or when a command still using it ends).
    ///
    /// Destroying a device object destroys its vDEVICE too.
    fn destroy(&self, cmd: uapi::IommuDestroy) -> Result {
        let mut st = self.lock();
        // A device a VFIO node bound belongs to the node until it closes.
        if st
            .objects
            .get::<DeviceObject>(cmd.id)
            .is_ok_and(|d| d.vfio_node)
        {
            return Err(EBUSY);
        }
        let obj = st.objects.destroy(cmd.id)?;
        let vdevice = match &obj {
            Object::Device(dev) => viommu::remove_of_device(&mut st.objects, dev),
            _ => None,
        };
        drop(st);
        drop(vdevice);
        drop(obj);
        Ok(())
    }

    /// Removes `dev`, the device object a VFIO node bound, when the node
    /// closes: detached first (with an automatic HWPT it leaves without
    /// devices), then out of the table with its vDEVICE, and dropped with
    /// the table lock released, which gives the function back.
    pub(crate) fn remove_node_device(&self, dev: &Arc<DeviceObject>) {
        let _ = device::detach_and_drop(self, dev);
        let mut st = self.lock();
        let obj = st.objects.remove_same(dev);
        let vdevice = viommu::remove_of_device(&mut st.objects, dev);
        drop(st);
        drop(vdevice);
        drop(obj);
    }

    /// IOMMU_OPTION: the file's RLIMIT_MODE here, the IOAS's and the
    /// device's options with their objects. As upstream, the object is
    /// looked up before `op` is checked.
    fn option(&self, ucmd: &UserCmd, mut cmd: uapi::IommuOption) -> Result {
        if cmd.__reserved != 0 {
            return Err(EOPNOTSUPP);
        }
        let set = || match cmd.op {
            uapi::OPTION_OP_GET => Ok(false),
            uapi::OPTION_OP_SET => Ok(true),
            _ => Err(EOPNOTSUPP),
        };
        match cmd.option_id {
            uapi::OPTION_RLIMIT_MODE => {
                if cmd.object_id != 0 {
                    return Err(EOPNOTSUPP);
                }
                self.rlimit_mode(set()?, &mut cmd.val64)?;
            }
            uapi::OPTION_HUGE_PAGES => {
                let ioas = self.get::<IoasObject>(cmd.object_id)?;
                ioas.huge_pages_option(set()?, &mut cmd.val64)?;
            }
            uapi::OPTION_SW_MSI_START | uapi::OPTION_SW_MSI_SIZE | uapi::OPTION_NESTED_MSI_IOVA => {
                let dev = self.get::<DeviceObject>(cmd.object_id)?;
                dev.sw_msi_option(cmd.option_id, set()?, &mut cmd.val64)?;
            }
            _ => return Err(EOPNOTSUPP),
        }
        // Only val64 is written back, as upstream does.
        ucmd.respond_field(&cmd, 16, 8)
    }

    /// IOMMU_OPTION_RLIMIT_MODE: per-user or per-mm accounting, chosen
    /// before the file has objects, by a task with CAP_SYS_RESOURCE.
    fn rlimit_mode(&self, set: bool, val: &mut u64) -> Result {
        if !set {
            *val = u64::from(self.account() == Account::Mm);
            return Ok(());
        }
        if !pages::capable_sys_resource() {
            return Err(EPERM);
        }
        let st = self.lock();
        if !st.objects.is_empty() {
            return Err(EBUSY);
        }
        let mm = match *val {
            0 => false,
            1 => true,
            _ => return Err(EINVAL),
        };
        self.mm_accounting.store(mm, Ordering::Relaxed);
        Ok(())
    }
}
