// SPDX-License-Identifier: GPL-2.0

//! Character device nodes, one per object of a driver, in a class of their
//! own: a chrdev region, a `cdev` over it, a class whose `devnode` puts the
//! nodes in `/dev/<class name>/<parent's name>`, one `device_create()` per
//! node, and file operations that hand an opened node's object to the
//! driver (`/dev/vfio/devices/vfioX` is the same idea).
//!
//! The files of these nodes are positional (`pread`/`pwrite`, as VFIO's
//! device files are) and have no `llseek`: the offset encodes what is read.
//!
//! C headers: [`include/linux/cdev.h`](srctree/include/linux/cdev.h),
//! [`include/linux/device/class.h`](srctree/include/linux/device/class.h)
//!
//! 7.3's kernel crate has only `miscdevice` (one node, one name).

use crate::kernel_ext::device_as_raw;
use core::marker::PhantomData;
use kernel::{
    bindings,
    device::Device,
    error::to_result,
    ffi::{
        c_char,
        c_int,
        c_long,
        c_uint,
        c_ulong, //
    },
    mm::virt::VmaNew,
    prelude::*,
    str::CStr,
    sync::Arc,
    types::{
        ForeignOwnable,
        Opaque, //
    },
    uaccess::{
        UserPtr,
        UserSlice,
        UserSliceReader,
        UserSliceWriter, //
    },
    ModuleMetadata, //
};

/// The objects behind the nodes of [`Nodes`].
pub(crate) trait NodeObject: Send + Sync + Sized + 'static {
    /// The module whose code the file operations are: an open node pins it.
    type OwnerModule: ModuleMetadata;

    /// The object of the node with index `index` (its minor, from the
    /// region's first), for an open; held until the file is released.
    fn open(index: u32) -> Result<Arc<Self>>;

    /// An ioctl on an open node (`ENOTTY` unless the object has some).
    fn ioctl(&self, _cmd: u32, _arg: usize) -> Result<isize> {
        Err(ENOTTY)
    }

    /// A `read()`/`pread()` at `pos` into `out` (its length is the count):
    /// the bytes read (`EINVAL` unless the object reads).
    fn read(&self, _out: UserSliceWriter, _pos: u64) -> Result<usize> {
        Err(EINVAL)
    }

    /// A `write()`/`pwrite()` at `pos` from `data`: the bytes written
    /// (`EINVAL` unless the object writes).
    fn write(&self, _data: UserSliceReader, _pos: u64) -> Result<usize> {
        Err(EINVAL)
    }

    /// An `mmap()` of the node (`ENODEV` unless the object maps).
    fn mmap(&self, _vma: &VmaNew) -> Result {
        Err(ENODEV)
    }
}

/// A node made by [`Nodes::add`]; [`Nodes::remove`] takes it back.
#[must_use]
pub(crate) struct Node {
    devt: bindings::dev_t,
}

/// The region, class and file operations of a driver's nodes.
///
/// # Invariants
///
/// `base..base + count` is a chrdev region allocated for this value;
/// `stage` says which of `cdev` and `class` are registered.
#[pin_data(PinnedDrop)]
pub(crate) struct Nodes<T: NodeObject> {
    base: bindings::dev_t,
    count: u32,
    stage: u8,
    #[pin]
    cdev: Opaque<bindings::cdev>,
    #[pin]
    class: Opaque<bindings::class>,
    _t: PhantomData<T>,
}

const STAGE_REGION: u8 = 0;
const STAGE_CDEV: u8 = 1;
const STAGE_CLASS: u8 = 2;

// SAFETY: the C objects are used by the VFS and the driver core, which
// serialise them; `&self` methods only pass them to those.
unsafe impl<T: NodeObject> Sync for Nodes<T> {}
// SAFETY: registering and unregistering may happen from any task.
unsafe impl<T: NodeObject> Send for Nodes<T> {}

impl<T: NodeObject> Nodes<T> {
    const FOPS: bindings::file_operations = bindings::file_operations {
        owner: kernel::module::this_module::<T::OwnerModule>().as_ptr(),
        open: Some(Self::open),
        release: Some(Self::release),
        unlocked_ioctl: Some(Self::ioctl),
        read: Some(Self::read),
        write: Some(Self::write),
        mmap: Some(Self::mmap),
        ..pin_init::zeroed()
    };

    /// The file operations, a static (a promoted constant).
    const fn fops() -> &'static bindings::file_operations {
        &Self::FOPS
    }

    /// A region of `count` minors, and a class, both named `name`.
    pub(crate) fn new(name: &'static CStr, count: u32) -> Result<Pin<KBox<Self>>> {
        let mut base: bindings::dev_t = 0;
        // SAFETY: `base` is a valid place; `name` is a static string.
        to_result(unsafe {
            bindings::alloc_chrdev_region(&mut base, 0, count, name.as_char_ptr())
        })?;
        let this = KBox::pin_init(
            pin_init!(Self {
                base,
                count,
                stage: STAGE_REGION,
                cdev <- Opaque::ffi_init(|cdev: *mut bindings::cdev| {
                    // SAFETY: `cdev` is this value's storage, pinned; the
                    // file operations are a static.
                    unsafe {
                        bindings::cdev_init(cdev, Self::fops());
                        (*cdev).owner = kernel::module::this_module::<T::OwnerModule>().as_ptr();
                    }
                }),
                class <- Opaque::ffi_init(|class: *mut bindings::class| {
                    // SAFETY: `class` is this value's storage, pinned.
                    unsafe {
                        class.write(bindings::class::default());
                        (*class).name = name.as_char_ptr();
                        (*class).devnode = Some(devnode);
                    }
                }),
                _t: PhantomData,
            }),
            GFP_KERNEL,
        );
        let mut this = match this {
            Ok(this) => this,
            Err(e) => {
                // SAFETY: allocated above, used by no one yet.
                unsafe { bindings::unregister_chrdev_region(base, count) };
                return Err(e);
            }
        };
        // SAFETY: the cdev is initialised and pinned; `drop` deletes it.
        to_result(unsafe { bindings::cdev_add(this.cdev.get(), base, count) })?;
        // SAFETY: `stage` is not structurally pinned.
        unsafe { this.as_mut().get_unchecked_mut().stage = STAGE_CDEV };
        // SAFETY: the class is filled and pinned; `drop` unregisters it.
        to_result(unsafe { bindings::class_register(this.class.get()) })?;
        // SAFETY: as above.
        unsafe { this.as_mut().get_unchecked_mut().stage = STAGE_CLASS };
        Ok(this)
    }

    /// A node of index `index` (below the region's count) for `parent`,
    /// named after it.
    pub(crate) fn add(&self, parent: &Device, index: u32) -> Result<Node> {
        if index >= self.count {
            return Err(EINVAL);
        }
        let devt = self.base + index;
        // SAFETY: the class is registered (type invariant); `parent` is a
        // live device, whose name the format copies.
        let dev = unsafe {
            bindings::device_create(
                self.class.get(),
                device_as_raw(parent),
                devt,
                core::ptr::null_mut(),
                c"%s".as_char_ptr(),
                bindings::dev_name(device_as_raw(parent)),
            )
        };
        kernel::error::from_err_ptr(dev)?;
        Ok(Node { devt })
    }

    /// Removes a node: no new opens; an open one keeps its object.
    pub(crate) fn remove(&self, node: Node) {
        // SAFETY: the node was made in this class by `add`.
        unsafe { bindings::device_destroy(self.class.get(), node.devt) }
    }

    /// The object of the node open as `fd` in the caller's files: `EBADF`
    /// if `fd` is not open, `EINVAL` if it is no node of this type.
    pub(crate) fn object_of_fd(&self, fd: i32) -> Result<Arc<T>> {
        // A negative descriptor is a huge one, which is not open.
        // SAFETY: looks the descriptor up in the caller's table; a non-NULL
        // answer is a reference dropped below.
        let file = unsafe { bindings::fget(fd as u32) };
        if file.is_null() {
            return Err(EBADF);
        }
        // A file of a node of this cdev has the cdev's operations (the VFS
        // copies them at open).
        // SAFETY: `file` is live (the reference above); the cdev is
        // initialised (type invariant).
        let obj = if unsafe { (*file).f_op == (*self.cdev.get()).ops } {
            // SAFETY: a file of these operations holds an `Arc<T>` as its
            // private data from open to release, and the reference held
            // keeps it from release.
            let obj = unsafe { Arc::<T>::borrow((*file).private_data) };
            Ok(obj.into())
        } else {
            Err(EINVAL)
        };
        // SAFETY: the reference taken above.
        unsafe { bindings::fput(file) };
        obj
    }

    extern "C" fn open(inode: *mut bindings::inode, file: *mut bindings::file) -> c_int {
        // SAFETY: the VFS opens a node of this cdev with a live inode whose
        // `i_cdev` is it, inside a pinned `Nodes<T>` that lives as long as
        // the cdev is registered.
        let (this, rdev) = unsafe {
            let cdev = (*inode).__bindgen_anon_5.i_cdev;
            (
                &*kernel::container_of!(Opaque::cast_from(cdev).cast_mut(), Self, cdev),
                (*inode).i_rdev,
            )
        };
        let obj = match T::open(rdev - this.base) {
            Ok(obj) => obj,
            Err(e) => return e.to_errno(),
        };
        // SAFETY: `file` is the live file being opened; its private data
        // holds the object until `release`. The VFS made it positional
        // (FMODE_PREAD, FMODE_PWRITE); without `llseek` it cannot seek.
        unsafe { (*file).private_data = obj.into_foreign() };
        0
    }

    /// The object of an open file of these operations.
    ///
    /// # Safety
    ///
    /// `file` is a live file of these operations, between open and release.
    unsafe fn object<'a>(file: *mut bindings::file) -> <Arc<T> as ForeignOwnable>::Borrowed<'a> {
        // SAFETY: `open` stored an `Arc<T>` there, which `release` takes
        // back only after every call on the file has returned.
        unsafe { Arc::<T>::borrow((*file).private_data) }
    }

    extern "C" fn ioctl(file: *mut bindings::file, cmd: c_uint, arg: c_ulong) -> c_long {
        // SAFETY: the VFS calls it on a live open file of these operations.
        let obj = unsafe { Self::object(file) };
        match obj.ioctl(cmd, arg) {
            Ok(v) => v as c_long,
            Err(e) => e.to_errno() as c_long,
        }
    }

    extern "C" fn mmap(file: *mut bindings::file, vma: *mut bindings::vm_area_struct) -> c_int {
        // SAFETY: the VFS calls it on a live open file of these operations,
        // with a VMA in its initial setup under the mmap lock.
        let (obj, vma) = unsafe { (Self::object(file), VmaNew::from_raw(vma)) };
        match obj.mmap(vma) {
            Ok(()) => 0,
            Err(e) => e.to_errno(),
        }
    }

    /// The position of a read or write: the file's own for `read()`, the
    /// caller's for `pread()`; a negative one is `EINVAL`.
    ///
    /// # Safety
    ///
    /// `ppos` is the VFS's position pointer for this call.
    unsafe fn pos(ppos: *mut bindings::loff_t) -> Result<u64> {
        // SAFETY: the VFS passes a valid position for the call.
        u64::try_from(unsafe { *ppos }).map_err(|_| EINVAL)
    }

    extern "C" fn read(
        file: *mut bindings::file,
        buf: *mut c_char,
        count: usize,
        ppos: *mut bindings::loff_t,
    ) -> isize {
        // SAFETY: the VFS calls it on a live open file of these operations
        // with a valid position.
        let (obj, pos) = unsafe { (Self::object(file), Self::pos(ppos)) };
        let out = UserSlice::new(UserPtr::from_ptr(buf.cast()), count).writer();
        match pos.and_then(|pos| obj.read(out, pos)) {
            Ok(n) => {
                // SAFETY: as above.
                unsafe { *ppos += n as bindings::loff_t };
                n as isize
            }
            Err(e) => e.to_errno() as isize,
        }
    }

    extern "C" fn write(
        file: *mut bindings::file,
        buf: *const c_char,
        count: usize,
        ppos: *mut bindings::loff_t,
    ) -> isize {
        // SAFETY: as in `read`.
        let (obj, pos) = unsafe { (Self::object(file), Self::pos(ppos)) };
        let data = UserSlice::new(UserPtr::from_ptr(buf.cast_mut().cast()), count).reader();
        match pos.and_then(|pos| obj.write(data, pos)) {
            Ok(n) => {
                // SAFETY: as above.
                unsafe { *ppos += n as bindings::loff_t };
                n as isize
            }
            Err(e) => e.to_errno() as isize,
        }
    }

    extern "C" fn release(_inode: *mut bindings::inode, file: *mut bindings::file) -> c_int {
        // SAFETY: set by `open` and taken back once, here.
        drop(unsafe { Arc::<T>::from_foreign((*file).private_data) });
        0
    }
}

/// `class.devnode`: the node of `dev` goes to `/dev/<class name>/<name>`.
///
/// # Safety
///
/// `dev` is a live device of a registered class (the driver core's call).
unsafe extern "C" fn devnode(dev: *const bindings::device, _mode: *mut u16) -> *mut c_char {
    // SAFETY: the driver core calls it with a live device of a registered
    // class; the result is a new allocation the caller frees.
    unsafe {
        bindings::kasprintf(
            bindings::GFP_KERNEL,
            c"%s/%s".as_char_ptr(),
            (*(*dev).class).name,
            bindings::dev_name(dev),
        )
    }
}

#[pinned_drop]
impl<T: NodeObject> PinnedDrop for Nodes<T> {
    fn drop(self: Pin<&mut Self>) {
        if self.stage >= STAGE_CLASS {
            // SAFETY: registered (`stage`), no node left (the owner removed
            // them all first).
            unsafe { bindings::class_unregister(self.class.get()) };
        }
        if self.stage >= STAGE_CDEV {
            // SAFETY: added (`stage`); open files keep what they need.
            unsafe { bindings::cdev_del(self.cdev.get()) };
        }
        // SAFETY: allocated for this value (type invariant).
        unsafe { bindings::unregister_chrdev_region(self.base, self.count) };
    }
}
