// SPDX-License-Identifier: GPL-2.0

//! Memory files (`memfd_create()`: shmem or hugetlbfs), as a driver maps
//! them for devices: looked up by fd, their size and seals read, and a
//! writable shared mapping counted as `mmap()` counts one.
//!
//! C header: [`include/linux/memfd.h`](srctree/include/linux/memfd.h)

use kernel::{
    bindings,
    error::to_result,
    ffi::{
        c_int,
        c_uint, //
    },
    fs::LocalFile,
    prelude::*,
    sync::aref::ARef,
};

// Only pointers to these structs cross, but the lint looks into them and
// finds the empty structs bindgen makes of configured-out members.
#[allow(improper_ctypes)]
extern "C" {
    /// `src/iommufd/helpers.c`: `shmem_file() || is_file_hugepages()`, inlines.
    fn iommufd_rs_file_is_memfd(file: *mut bindings::file) -> bool;
    /// `src/iommufd/helpers.c`: the seals, as mm/memfd.c's (unexported)
    /// `memfd_get_seals()` reads them with inlines.
    fn iommufd_rs_memfd_seals(file: *mut bindings::file) -> c_uint;
    /// `src/iommufd/helpers.c`: `f_mode & FMODE_WRITE` (bindgen cannot read the
    /// constant, a `__force` cast).
    fn iommufd_rs_file_writable(file: *mut bindings::file) -> bool;
    /// `src/iommufd/helpers.c`: `i_size_read(file_inode())`, inlines.
    fn iommufd_rs_file_size(file: *mut bindings::file) -> bindings::loff_t;
    /// `src/iommufd/helpers.c`: `mapping_map_writable()`, an inline.
    fn iommufd_rs_mapping_map_writable(file: *mut bindings::file) -> c_int;
    /// `src/iommufd/helpers.c`: `mapping_unmap_writable()`, an inline.
    fn iommufd_rs_mapping_unmap_writable(file: *mut bindings::file);
}

/// A memfd: a shmem or hugetlbfs file, with a reference.
///
/// # Invariants
///
/// `file` is a shmem or hugetlbfs file. If `writable_mapping`, it holds one
/// count of its mapping's `i_mmap_writable`, dropped with this.
pub(crate) struct Memfd {
    file: ARef<LocalFile>,
    writable_mapping: bool,
}

// SAFETY: `LocalFile` is kept to one thread only because of the file
// position, which an `fdget_pos()` on the looking-up thread may use without
// its lock. `Memfd` never reads or writes the position: only the inode's
// size and seals and the mapping's writable count, which have their own
// synchronisation, so it may move to and be used from any thread; dropping
// the reference (`fput()`) is fine from any task.
unsafe impl Send for Memfd {}
// SAFETY: as for `Send`; `&Memfd` gives no access to the position either.
unsafe impl Sync for Memfd {}

impl Memfd {
    /// Looks up `fd` in the current task's file table: `EBADF` if there is
    /// no such file, `EINVAL` if it is not a memfd.
    pub(crate) fn fget(fd: i32) -> Result<Self> {
        // As `fget()`, a negative fd is a large unsigned one: no file.
        let file = LocalFile::fget(fd as u32)?;
        // SAFETY: `file` is a valid file (a reference is held).
        if !unsafe { iommufd_rs_file_is_memfd(file.as_ptr()) } {
            return Err(EINVAL);
        }
        // INVARIANT: just checked; no writable mapping counted yet.
        Ok(Self {
            file,
            writable_mapping: false,
        })
    }

    /// The raw `struct file`, valid while `self` lives.
    pub(crate) fn as_ptr(&self) -> *mut bindings::file {
        self.file.as_ptr()
    }

    /// Whether the file was opened for writing (`FMODE_WRITE`).
    pub(crate) fn open_for_write(&self) -> bool {
        // SAFETY: the file is valid; `f_mode` is fixed at open.
        unsafe { iommufd_rs_file_writable(self.as_ptr()) }
    }

    /// The file's `F_SEAL_*` seals. Seals are only ever added, so this is
    /// at worst one seal behind a concurrent `F_ADD_SEALS`.
    pub(crate) fn seals(&self) -> u32 {
        // SAFETY: the file is valid and, by the type invariant, a shmem or
        // hugetlbfs file, whose inode the helper reads the seals of.
        unsafe { iommufd_rs_memfd_seals(self.as_ptr()) }
    }

    /// The file's size in bytes (`i_size_read()`), which may change at
    /// any time after this returns.
    pub(crate) fn size(&self) -> u64 {
        // SAFETY: the file is valid; `i_size_read()` reads its inode's size
        // safely against concurrent truncation.
        let size = unsafe { iommufd_rs_file_size(self.as_ptr()) };
        // An inode's size is never negative.
        u64::try_from(size).unwrap_or(0)
    }

    /// Counts a writable shared mapping of the file, as `mmap()` does for
    /// `PROT_WRITE` `MAP_SHARED` (`mapping_map_writable()`), until this is
    /// dropped: `F_SEAL_WRITE` then fails with `EBUSY`. `EPERM` if the file
    /// is already sealed against writes.
    pub(crate) fn map_writable(&mut self) -> Result {
        if self.writable_mapping {
            return Ok(());
        }
        // SAFETY: the file is valid.
        to_result(unsafe { iommufd_rs_mapping_map_writable(self.as_ptr()) })?;
        // INVARIANT: the count was just taken.
        self.writable_mapping = true;
        Ok(())
    }
}

impl Drop for Memfd {
    fn drop(&mut self) {
        if self.writable_mapping {
            // SAFETY: the file is valid, and by the type invariant holds the
            // count this drops.
            unsafe { iommufd_rs_mapping_unmap_writable(self.as_ptr()) };
        }
    }
}
