// SPDX-License-Identifier: GPL-2.0

//! User memory behind IOAS areas: a thin owner of the C object in
//! `pages.c`. One [`Pages`] is made per MAP or MAP_FILE, which checks and
//! charges the memory, and is shared (through `Arc`) by every area that
//! IOAS_COPY makes from it. It is pinned only while some area of it is in
//! an IOAS with domains: each such area holds one pin ([`Pages::pin`],
//! [`Pages::unpin`]). The charge goes with the last area.

use core::mem::size_of;
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
    types::Opaque,
};

/// Words of `struct iommufd_rs_pages` (`IOMMUFD_RS_PAGES_WORDS` of
/// `pages.h`, which `pages.c` checks at build time; its init functions
/// check at run time that the storage passed is large enough).
const PAGES_WORDS: usize = 14;

/// Storage for the `struct iommufd_rs_pages` of `pages.c`, which only C
/// reads and writes.
#[repr(C, align(8))]
pub(crate) struct RawPages {
    _words: [u64; PAGES_WORDS],
}

extern "C" {
    fn iommufd_rs_pages_init_user(
        p: *mut RawPages,
        size: usize,
        uaddr: c_ulong,
        length: c_ulong,
        writable: bool,
        account: c_int,
    ) -> c_int;
    fn iommufd_rs_pages_init_memfd(
        p: *mut RawPages,
        size: usize,
        fd: c_int,
        start: u64,
        length: u64,
        writable: bool,
        account: c_int,
    ) -> c_int;
    fn iommufd_rs_pages_pin(p: *mut RawPages) -> c_int;
    fn iommufd_rs_pages_unpin(p: *mut RawPages);
    fn iommufd_rs_pages_destroy(p: *mut RawPages);
    fn iommufd_rs_pages_writable(p: *const RawPages) -> bool;
    fn iommufd_rs_pages_run(
        p: *const RawPages,
        idx: u64,
        offset: *mut u64,
        phys: *mut u64,
        end: *mut u64,
    ) -> c_int;
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

/// The memory of one MAP or MAP_FILE: the C state in `raw`, set up by one
/// of its init functions when this is made and torn down (unpinned if
/// pinned, uncharged, its references dropped) when this is dropped.
#[pin_data(PinnedDrop)]
pub(crate) struct Pages {
    #[pin]
    raw: Opaque<RawPages>,
    /// How many areas in IOASes with domains need the pages; they are
    /// pinned while this is not 0. Locking: taken with that area's IOAS
    /// lock held, before the mm's mmap lock (which GUP takes).
    #[pin]
    pins: Mutex<usize>,
}

// SAFETY: the C state is not tied to the task that made it: it records the
// user, mm and file it charged and pins from, and pins and tears down
// against those, from any task.
unsafe impl Send for Pages {}
// SAFETY: through `&Pages` the C state is only read in fields fixed at
// creation, except for the pins, which change only with `pins` held.
unsafe impl Sync for Pages {}

impl Pages {
    /// One allocation holding the C state `init` sets up.
    fn new(init: impl FnOnce(*mut RawPages) -> c_int) -> Result<Arc<Self>> {
        Arc::pin_init(
            try_pin_init!(Self {
                raw <- Opaque::try_ffi_init(|slot: *mut RawPages| to_result(init(slot))),
                // Cannot fail, so the C state never needs undoing here.
                pins <- new_mutex!(0),
            }),
            GFP_KERNEL_ACCOUNT,
        )
    }

    /// Charges `length` bytes of the caller's memory at `uaddr`.
    pub(crate) fn user(
        uaddr: u64,
        length: u64,
        writable: bool,
        acct: Account,
    ) -> Result<Arc<Self>> {
        let uaddr = c_ulong::try_from(uaddr).map_err(|_| EOVERFLOW)?;
        let length = c_ulong::try_from(length).map_err(|_| EOVERFLOW)?;
        Self::new(|slot| {
            // SAFETY: `slot` is this object's storage, `size_of::<RawPages>()`
            // bytes, not yet initialised; the C function checks the user
            // range itself.
            unsafe {
                iommufd_rs_pages_init_user(
                    slot,
                    size_of::<RawPages>(),
                    uaddr,
                    length,
                    writable,
                    acct as c_int,
                )
            }
        })
    }

    /// Checks and charges `length` bytes at `start` of the memfd `fd`.
    pub(crate) fn memfd(
        fd: i32,
        start: u64,
        length: u64,
        writable: bool,
        acct: Account,
    ) -> Result<Arc<Self>> {
        Self::new(|slot| {
            // SAFETY: as for `user`; the fd is looked up by the C side.
            unsafe {
                iommufd_rs_pages_init_memfd(
                    slot,
                    size_of::<RawPages>(),
                    fd,
                    start,
                    length,
                    writable,
                    acct as c_int,
                )
            }
        })
    }

    /// Takes a pin for one area: the first pins the pages. On error the
    /// count and the pages are as they were.
    pub(crate) fn pin(&self) -> Result {
        let mut pins = self.pins.lock();
        if *pins == 0 {
            // SAFETY: `raw` is set up; with `pins` at 0 and its lock held the
            // pages are not pinned and nothing else pins or unpins them.
            to_result(unsafe { iommufd_rs_pages_pin(self.raw.get()) })?;
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
                // SAFETY: `raw` is set up and pinned (the count was 1), and
                // the lock is held; the last area needing the pins is done.
                unsafe { iommufd_rs_pages_unpin(self.raw.get()) };
                *pins = 0;
            }
            _ => *pins -= 1,
        }
    }

    /// Keeps the pages pinned for an area a domain could not fully unmap
    /// ([`crate::domain::StillMapped`]): a device may still reach them, and
    /// a page a device can reach must never go back to the allocator, while
    /// a pinned one is merely held too long. Takes one more pin (the
    /// caller's area holds one, so this only counts) and returns the
    /// reference that holds it: while that lives, neither the last area's
    /// unpin nor the drop unpins them. `None` if they are not pinned (no
    /// domain can map them: nothing to keep).
    pub(crate) fn keep_pinned(self: &Arc<Self>) -> Option<Arc<Self>> {
        let mut pins = self.pins.lock();
        if *pins == 0 {
            pr_warn!("iommufd_rs: keeping pages that are not pinned\n");
            return None;
        }
        *pins += 1;
        Some(self.clone())
    }

    /// The C state, for the domain functions; pinned while the caller
    /// holds a pin.
    pub(crate) fn raw(&self) -> *const RawPages {
        self.raw.get()
    }

    /// The byte offset of the mapping's first byte in its first page.
    pub(crate) fn first_byte_offset(&self) -> u64 {
        let (mut offset, mut phys, mut end) = (0u64, 0u64, 0u64);
        // SAFETY: `raw` is set up while `self` lives; the C side sets
        // `offset` (a field fixed at creation) whatever else it finds, and
        // writes only the three valid places.
        let _ =
            unsafe { iommufd_rs_pages_run(self.raw.get(), 0, &mut offset, &mut phys, &mut end) };
        offset
    }

    /// Calls `f(phys, npages)` for each physically contiguous run of the
    /// pinned pages `first..=last` of the mapping, in order, split where
    /// the pinned runs split. `EINVAL` if the pages are not pinned or
    /// `last` is not theirs; stops at `f`'s first error and returns it.
    /// The caller holds a pin ([`Self::pin`]) across the call.
    pub(crate) fn for_each_run(
        &self,
        first: u64,
        last: u64,
        mut f: impl FnMut(u64, u64) -> Result,
    ) -> Result {
        let mut i = first;
        let (mut offset, mut phys, mut end) = (0u64, 0u64, 0u64);
        // Checks `last` (and that the pages are pinned) before any run.
        // SAFETY: as in `first_byte_offset`; the runs are stable while the
        // caller's pin holds them.
        to_result(unsafe {
            iommufd_rs_pages_run(self.raw.get(), last, &mut offset, &mut phys, &mut end)
        })?;
        while i <= last {
            // SAFETY: as above.
            to_result(unsafe {
                iommufd_rs_pages_run(self.raw.get(), i, &mut offset, &mut phys, &mut end)
            })?;
            let n = end.min(last + 1) - i;
            f(phys, n)?;
            i += n;
        }
        Ok(())
    }

    /// Whether devices may write these pages.
    pub(crate) fn writable(&self) -> bool {
        // SAFETY: `raw` is set up while `self` lives; the field never changes.
        unsafe { iommufd_rs_pages_writable(self.raw.get()) }
    }
}

#[pinned_drop]
impl PinnedDrop for Pages {
    fn drop(self: Pin<&mut Self>) {
        // SAFETY: `raw` was set up by an init function (a `Pages` exists
        // only if one succeeded) and is torn down once, here; the storage is
        // freed by the `Arc` afterwards.
        unsafe { iommufd_rs_pages_destroy(self.raw.get()) }
    }
}

/// Whether the caller has `CAP_SYS_RESOURCE`.
pub(crate) fn capable_sys_resource() -> bool {
    // SAFETY: no arguments; checks the current task's credentials.
    unsafe { iommufd_rs_capable_sys_resource() }
}
