// SPDX-License-Identifier: GPL-2.0

//! Pinned, accounted user memory behind IOAS areas: a thin owner of the C
//! object in `pages.c`. One [`PinnedPages`] is made per MAP or MAP_FILE and
//! shared (through `Arc`) by every area that IOAS_COPY makes from it; the
//! pages are unpinned and uncharged when the last area goes.

use core::ptr::NonNull;
use kernel::{
    error::to_result,
    ffi::{
        c_int,
        c_ulong, //
    },
    prelude::*, //
};

/// The opaque `struct iommufd_rs_pages` of `pages.c`.
#[repr(C)]
pub(crate) struct RawPages {
    _opaque: [u8; 0],
}

extern "C" {
    fn iommufd_rs_pages_pin_user(
        uaddr: c_ulong,
        length: c_ulong,
        writable: bool,
        account: c_int,
        out: *mut *mut RawPages,
    ) -> c_int;
    fn iommufd_rs_pages_pin_memfd(
        fd: c_int,
        start: u64,
        length: u64,
        writable: bool,
        account: c_int,
        out: *mut *mut RawPages,
    ) -> c_int;
    fn iommufd_rs_pages_release(p: *mut RawPages);
    fn iommufd_rs_pages_writable(p: *const RawPages) -> bool;
    fn iommufd_rs_capable_sys_resource() -> bool;
}

/// Where pinned pages are charged (IOMMU_OPTION_RLIMIT_MODE).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Account {
    /// `user->locked_vm` (the default, upstream's `IOPT_PAGES_ACCOUNT_USER`).
    User = 0,
    /// `mm->locked_vm` (VFIO's way, upstream's `IOPT_PAGES_ACCOUNT_MM`).
    Mm = 1,
}

/// Pinned pages; unpinned and uncharged on drop.
pub(crate) struct PinnedPages {
    raw: NonNull<RawPages>,
}

// SAFETY: the C object is not tied to the task that made it: it records the
// user and mm it charged and releases against those, from any task. After
// creation it is only read (through `&self`), and released once by `Drop`.
unsafe impl Send for PinnedPages {}
// SAFETY: see `Send`; the only operations through `&self` are reads of
// fields that never change after creation.
unsafe impl Sync for PinnedPages {}

impl PinnedPages {
    /// Pins `length` bytes of the caller's memory at `uaddr`.
    pub(crate) fn pin_user(uaddr: u64, length: u64, writable: bool, acct: Account) -> Result<Self> {
        let uaddr = c_ulong::try_from(uaddr).map_err(|_| EOVERFLOW)?;
        let length = c_ulong::try_from(length).map_err(|_| EOVERFLOW)?;
        let mut out: *mut RawPages = core::ptr::null_mut();
        // SAFETY: `out` is a valid place for the result; the C function reads
        // nothing else of ours and checks the user range itself.
        to_result(unsafe {
            iommufd_rs_pages_pin_user(uaddr, length, writable, acct as c_int, &mut out)
        })?;
        Ok(Self {
            raw: NonNull::new(out).ok_or(EINVAL)?,
        })
    }

    /// Pins `length` bytes at `start` of the memfd `fd`.
    pub(crate) fn pin_memfd(
        fd: i32,
        start: u64,
        length: u64,
        writable: bool,
        acct: Account,
    ) -> Result<Self> {
        let mut out: *mut RawPages = core::ptr::null_mut();
        // SAFETY: as for `pin_user`; the fd is looked up by the C side.
        to_result(unsafe {
            iommufd_rs_pages_pin_memfd(fd, start, length, writable, acct as c_int, &mut out)
        })?;
        Ok(Self {
            raw: NonNull::new(out).ok_or(EINVAL)?,
        })
    }

    /// The C handle, for the domain functions.
    pub(crate) fn raw(&self) -> *const RawPages {
        self.raw.as_ptr()
    }

    /// Whether devices may write these pages.
    pub(crate) fn writable(&self) -> bool {
        // SAFETY: `raw` is a live object owned by `self`.
        unsafe { iommufd_rs_pages_writable(self.raw.as_ptr()) }
    }
}

impl Drop for PinnedPages {
    fn drop(&mut self) {
        // SAFETY: `raw` came from a successful pin, is owned by `self` alone
        // and is released exactly once, here.
        unsafe { iommufd_rs_pages_release(self.raw.as_ptr()) }
    }
}

/// Whether the caller has `CAP_SYS_RESOURCE`.
pub(crate) fn capable_sys_resource() -> bool {
    // SAFETY: no arguments; checks the current task's credentials.
    unsafe { iommufd_rs_capable_sys_resource() }
}
