// SPDX-License-Identifier: GPL-2.0

//! Anonymous-inode files (`anon_inode_getfile()`, `fs/anon_inodes.c`): a
//! file with no node, handed to userspace as a new descriptor (with
//! [`kernel::fs::file::FileDescriptorReservation`]), whose
//! `file_operations` are a Rust static built per type, as
//! `kernel::miscdevice` builds its own.
//!
//! The file owns an `Arc<T>` from [`create`] until its release; its
//! `file_operations.owner` is the module of `T`, which the file therefore
//! holds.

use core::{
    marker::PhantomData,
    ptr::NonNull, //
};
use kernel::{
    bindings,
    error::from_err_ptr,
    ffi::{
        c_char,
        c_int,
        c_void, //
    },
    fs::File,
    module::{
        this_module,
        ModuleMetadata, //
    },
    prelude::*,
    sync::{
        aref::ARef,
        poll::PollTable,
        Arc, //
    },
    types::ForeignOwnable,
    uaccess::{
        UserPtr,
        UserSlice,
        UserSliceWriter, //
    }, //
};

// Exported by `fs/anon_inodes.c`; `<linux/anon_inodes.h>` is not in the
// bindings. Only pointers cross, to the kernel's own structs (which the
// lint cannot tell are FFI-safe because of zero-sized members).
#[allow(improper_ctypes)]
extern "C" {
    fn anon_inode_getfile(
        name: *const c_char,
        fops: *const bindings::file_operations,
        private: *mut c_void,
        flags: c_int,
    ) -> *mut bindings::file;
}

/// `poll(2)`'s "readable" bits (`EPOLLIN | EPOLLRDNORM`).
pub(crate) const POLL_READABLE: u32 = bindings::POLLIN | bindings::POLLRDNORM;

/// What an anonymous file does.
pub(crate) trait AnonFile: Send + Sync + Sized + 'static {
    /// The module the file holds while it is open.
    type OwnerModule: ModuleMetadata;

    /// `read(2)` at `offset`: writes into `writer`, returns how many bytes.
    fn read(this: &Self, writer: &mut UserSliceWriter, offset: i64) -> Result<usize>;

    /// `poll(2)`: registers the caller in `table` and returns the ready
    /// `EPOLL*` bits.
    fn poll(this: &Self, file: &File, table: PollTable<'_>) -> u32;
}

/// A new anonymous file `name` (`[...]` by convention) over `data`, opened
/// with `flags` (`O_RDWR`, ...): its only reference, not yet installed.
pub(crate) fn create<T: AnonFile>(
    name: &'static CStr,
    data: Arc<T>,
    flags: u32,
) -> Result<ARef<File>> {
    let private = data.into_foreign();
    // SAFETY: `name` is NUL-terminated and static; the fops are a static
    // built for `T`, whose callbacks find `private` in the file; the file
    // owns `private` from here (its release takes it back).
    let file = unsafe {
        anon_inode_getfile(
            name.as_char_ptr(),
            VTable::<T>::build(),
            private,
            flags as c_int,
        )
    };
    let file = match from_err_ptr(file) {
        Ok(f) => f,
        Err(e) => {
            // SAFETY: no file took `private`: give it back, once.
            drop(unsafe { Arc::<T>::from_foreign(private) });
            return Err(e);
        }
    };
    // `File` is a transparent wrapper of `struct file`.
    let file = NonNull::new(file.cast::<File>()).ok_or(ENOMEM)?;
    // SAFETY: a new file, whose one reference is ours.
    Ok(unsafe { ARef::from_raw(file) })
}

/// The `file_operations` of `T`'s files.
struct VTable<T: AnonFile>(PhantomData<T>);

impl<T: AnonFile> VTable<T> {
    const VTABLE: bindings::file_operations = bindings::file_operations {
        read: Some(Self::read),
        poll: Some(Self::poll),
        release: Some(Self::release),
        owner: this_module::<T::OwnerModule>().as_ptr(),
        ..pin_init::zeroed()
    };

    const fn build() -> &'static bindings::file_operations {
        &Self::VTABLE
    }

    /// # Safety
    ///
    /// `file` is one [`create`] made for `T` and not released.
    unsafe fn data<'a>(file: *mut bindings::file) -> <Arc<T> as ForeignOwnable>::Borrowed<'a> {
        // SAFETY: `private_data` is the `Arc<T>` the file owns until its
        // release (caller).
        unsafe { <Arc<T> as ForeignOwnable>::borrow((*file).private_data) }
    }

    /// # Safety
    ///
    /// Called by the VFS for a file of this table, with `count` bytes of
    /// user memory at `buf` and a valid `ppos`.
    unsafe extern "C" fn read(
        file: *mut bindings::file,
        buf: *mut c_char,
        count: usize,
        ppos: *mut bindings::loff_t,
    ) -> isize {
        // SAFETY: a file of this table (caller).
        let data = unsafe { Self::data(file) };
        let mut writer = UserSlice::new(UserPtr::from_ptr(buf.cast()), count).writer();
        // SAFETY: valid for the call (caller).
        let offset = unsafe { *ppos };
        match T::read(&data, &mut writer, offset) {
            Ok(n) => n as isize,
            Err(e) => e.to_errno() as isize,
        }
    }

    /// # Safety
    ///
    /// Called by the VFS for a file of this table, with a valid (or NULL)
    /// poll table.
    unsafe extern "C" fn poll(
        file: *mut bindings::file,
        table: *mut bindings::poll_table_struct,
    ) -> bindings::__poll_t {
        // SAFETY: a file of this table (caller).
        let data = unsafe { Self::data(file) };
        // SAFETY: the VFS's file, live for the call.
        let f = unsafe { File::from_raw_file(file) };
        // SAFETY: the VFS's poll table, valid for the call.
        let table = unsafe { PollTable::from_raw(table) };
        T::poll(&data, f, table)
    }

    /// # Safety
    ///
    /// Called once by the VFS, when the last reference to a file of this
    /// table goes.
    unsafe extern "C" fn release(_inode: *mut bindings::inode, file: *mut bindings::file) -> c_int {
        // SAFETY: the file's `Arc<T>` (`create`), taken back once: nothing
        // calls into the file any more.
        drop(unsafe { Arc::<T>::from_foreign((*file).private_data) });
        0
    }
}
