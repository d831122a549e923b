// SPDX-License-Identifier: GPL-2.0

//! User memory behind IOAS areas: a thin owner of the C object in
//! `pages.c`. One [`Pages`] is made per MAP or MAP_FILE, which checks and
//! charges the memory, and is shared (through `Arc`) by every area that
//! IOAS_COPY makes from it. It is pinned only while some area of it is in
//! an IOAS with domains: each such area holds one pin ([`Pages::pin`],
//! [`Pages::unpin`]). The charge goes with the last area.

use core::ptr::NonNull;
use kernel::{
    error::to_result,
    ffi::{
        c_int,
        c_ulong, //
    },
    new_mutex,
    prelude::*,
    sync::{
        Arc,
        Mutex, //
    },
};

/// The opaque `struct iommufd_rs_pages` of `pages.c`.
#[repr(C)]
pub(crate) struct RawPages {
    _opaque: [u8; 0],
}

extern "C" {
    fn iommufd_rs_pages_prepare_user(
        uaddr: c_ulong,
        length: c_ulong,
        writable: bool,
        account: c_int,
        out: *mut *mut RawPages,
    ) -> c_int;
    fn iommufd_rs_pages_prepare_memfd(
        fd: c_int,
        start: u64,
        length: u64,
        writable: bool,
        account: c_int,
        out: *mut *mut RawPages,
    ) -> c_int;
    fn iommufd_rs_pages_pin(p: *mut RawPages) -> c_int;
    fn iommufd_rs_pages_unpin(p: *mut RawPages);
    fn iommufd_rs_pages_release(p: *mut RawPages);
    fn iommufd_rs_pages_writable(p: *const RawPages) -> bool;
    fn iommufd_rs_capable_sys_resource() -> bool;
}

/// Where pages are charged (IOMMU_OPTION_RLIMIT_MODE).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Account {
    /// `user->locked_vm` (the default, upstream's `IOPT_PAGES_ACCOUNT_USER`).
    User = 0,
    /// `mm->locked_vm` (VFIO's way, upstream's `IOPT_PAGES_ACCOUNT_MM`).
    Mm = 1,
}

/// Sole owner of a C object; released (unpinned if pinned, uncharged,
/// freed) on drop.
struct Raw(NonNull<RawPages>);

// SAFETY: the C object is not tied to the task that made it: it records the
// user, mm and file it charged and pins from, and pins and releases against
// those, from any task. Its pin state changes only under `Pages::pins`.
unsafe impl Send for Raw {}
// SAFETY: see `Send`; through `&Raw` only fields fixed at creation are read,
// and the pin state is changed only with `Pages::pins` held.
unsafe impl Sync for Raw {}

impl Raw {
    /// Takes ownership of what a prepare function returned.
    fn new(rc: c_int, out: *mut RawPages) -> Result<Self> {
        to_result(rc)?;
        Ok(Self(NonNull::new(out).ok_or(EINVAL)?))
    }
}

impl Drop for Raw {
    fn drop(&mut self) {
        // SAFETY: the object came from a successful prepare, is owned by
        // `self` alone and is released exactly once, here.
        unsafe { iommufd_rs_pages_release(self.0.as_ptr()) }
    }
}

/// The memory of one MAP or MAP_FILE.
#[pin_data]
pub(crate) struct Pages {
    raw: Raw,
    /// How many areas in IOASes with domains need the pages; they are
    /// pinned while this is not 0. Locking: taken with that area's IOAS
    /// lock held, before the mm's mmap lock (which GUP takes).
    #[pin]
    pins: Mutex<usize>,
}

impl Pages {
    fn new(raw: Raw) -> Result<Arc<Self>> {
        Arc::pin_init(
            pin_init!(Self {
                raw,
                pins <- new_mutex!(0),
            }),
            GFP_KERNEL_ACCOUNT,
        )
    }

    /// Checks and charges `length` bytes of the caller's memory at `uaddr`.
    pub(crate) fn user(
        uaddr: u64,
        length: u64,
        writable: bool,
        acct: Account,
    ) -> Result<Arc<Self>> {
        let uaddr = c_ulong::try_from(uaddr).map_err(|_| EOVERFLOW)?;
        let length = c_ulong::try_from(length).map_err(|_| EOVERFLOW)?;
        let mut out: *mut RawPages = core::ptr::null_mut();
        // SAFETY: `out` is a valid place for the result; the C function reads
        // nothing else of ours and checks the user range itself.
        let rc = unsafe {
            iommufd_rs_pages_prepare_user(uaddr, length, writable, acct as c_int, &mut out)
        };
        Self::new(Raw::new(rc, out)?)
    }

    /// Checks and charges `length` bytes at `start` of the memfd `fd`.
    pub(crate) fn memfd(
        fd: i32,
        start: u64,
        length: u64,
        writable: bool,
        acct: Account,
    ) -> Result<Arc<Self>> {
        let mut out: *mut RawPages = core::ptr::null_mut();
        // SAFETY: as for `user`; the fd is looked up by the C side.
        let rc = unsafe {
            iommufd_rs_pages_prepare_memfd(fd, start, length, writable, acct as c_int, &mut out)
        };
        Self::new(Raw::new(rc, out)?)
    }

    /// Takes a pin for one area: the first pins the pages. On error the
    /// count and the pages are as they were.
    pub(crate) fn pin(&self) -> Result {
        let mut pins = self.pins.lock();
        if *pins == 0 {
            // SAFETY: `raw` is live; with `pins` at 0 and its lock held the
            // pages are not pinned and nothing else pins or unpins them.
            to_result(unsafe { iommufd_rs_pages_pin(self.raw.0.as_ptr()) })?;
        }
        *pins += 1;
        Ok(())
    }

    /// Drops one area's pin: the last unpins the pages. No domain may map
    /// them any more for that area.
    pub(crate) fn unpin(&self) {
        let mut pins = self.pins.lock();
        match *pins {
            0 => pr_warn!("iommufd_rs: unbalanced unpin\n"),
            1 => {
                // SAFETY: `raw` is live and pinned (the count was 1), and
                // the lock is held; the last area needing the pins is done.
                unsafe { iommufd_rs_pages_unpin(self.raw.0.as_ptr()) };
                *pins = 0;
            }
            _ => *pins -= 1,
        }
    }

    /// The C handle, for the domain functions; pinned while the caller
    /// holds a pin.
    pub(crate) fn raw(&self) -> *const RawPages {
        self.raw.0.as_ptr()
    }

    /// Whether devices may write these pages.
    pub(crate) fn writable(&self) -> bool {
        // SAFETY: `raw` is live while `self` is; the field never changes.
        unsafe { iommufd_rs_pages_writable(self.raw.0.as_ptr()) }
    }
}

/// Whether the caller has `CAP_SYS_RESOURCE`.
pub(crate) fn capable_sys_resource() -> bool {
    // SAFETY: no arguments; checks the current task's credentials.
    unsafe { iommufd_rs_capable_sys_resource() }
}
