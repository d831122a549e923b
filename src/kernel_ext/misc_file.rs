// SPDX-License-Identifier: GPL-2.0

//! Another driver's handle on an open file of a misc device: the file
//! referenced, and the misc device's per-file object borrowed from it, as
//! VFIO takes an iommufd context from a descriptor (`iommufd_ctx_from_fd()`
//! checks the file's operations, then takes a reference).
//!
//! 7.3's `MiscDevice` keeps its file operations private; they are recorded
//! from the first file opened ([`record_fops`]), so no file of the device
//! can be named before one exists, which is all a lookup needs.
//!
//! C header: [`include/linux/file.h`](srctree/include/linux/file.h)

use core::{
    ptr::NonNull,
    sync::atomic::{
        AtomicPtr,
        Ordering, //
    },
};
use kernel::{
    bindings,
    fs::{
        File,
        LocalFile, //
    },
    prelude::*,
    sync::aref::ARef, //
};

/// The file operations of a misc device's files, once one was opened.
pub(crate) struct MiscFops(AtomicPtr<bindings::file_operations>);

impl MiscFops {
    /// None recorded yet.
    pub(crate) const fn new() -> Self {
        Self(AtomicPtr::new(core::ptr::null_mut()))
    }

    /// Records the operations of `file`, a file of the misc device being
    /// opened (every file of one misc device has the same).
    pub(crate) fn record_fops(&self, file: &File) {
        // SAFETY: `file` is a live file; `f_op` is set before open.
        let fops = unsafe { (*file.as_ptr()).f_op };
        self.0.store(fops.cast_mut(), Ordering::Relaxed);
    }
}

/// A reference on an open file of a misc device whose files hold a
/// `Pin<KBox<T>>`, and that `T`.
///
/// # Invariants
///
/// `obj` is the private data of `file`, a file of the misc device of `T`,
/// which lives until the file is released, after this reference is gone.
pub(crate) struct MiscFileRef<T> {
    /// Held: the file is not released, so `obj` lives.
    _file: ARef<File>,
    obj: NonNull<T>,
}

// SAFETY: the file reference may be dropped from any task, and `T` is
// shared only as `&T`.
unsafe impl<T: Sync> Send for MiscFileRef<T> {}
// SAFETY: only `&T` is handed out.
unsafe impl<T: Sync> Sync for MiscFileRef<T> {}

impl<T> MiscFileRef<T> {
    /// The file open as `fd` in the caller's files, if its operations are
    /// `fops`' (a file of that misc device): `EBADF` if `fd` is not open,
    /// `EBADFD` if it is another kind of file (`iommufd_ctx_from_fd()`'s
    /// answers).
    pub(crate) fn from_fd(fd: i32, fops: &MiscFops) -> Result<Self> {
        let fd = u32::try_from(fd).map_err(|_| EBADF)?;
        let file = LocalFile::fget(fd).map_err(|_| EBADF)?;
        // SAFETY: the file is only referenced here, never used for
        // `f_pos` (no `fdget_pos()` contract to keep).
        let file = unsafe { LocalFile::assume_no_fdget_pos(file) };
        let want = fops.0.load(Ordering::Relaxed);
        // SAFETY: `file` is live (the reference above).
        let (f_op, private) = unsafe { ((*file.as_ptr()).f_op, (*file.as_ptr()).private_data) };
        if want.is_null() || f_op != want.cast_const() {
            return Err(EBADFD);
        }
        // INVARIANT: a file of the misc device holds its `Pin<KBox<T>>`'s
        // pointer as private data from open to release, and the reference
        // held keeps it from release.
        Ok(Self {
            _file: file,
            obj: NonNull::new(private.cast::<T>()).ok_or(EBADFD)?,
        })
    }

    /// The misc device's object of the file.
    pub(crate) fn get(&self) -> &T {
        // SAFETY: live while the file is referenced (type invariant).
        unsafe { self.obj.as_ref() }
    }
}
