// SPDX-License-Identifier: GPL-2.0

//! Accounting of memory pinned for devices: a charge against
//! `RLIMIT_MEMLOCK` to a user's or an mm's `locked_vm` ([`LockedVm`]), and
//! an mm's `pinned_vm` ([`PinnedVm`], `VmPin` in `/proc/<pid>/status`).
//! Both undo themselves when dropped, in whichever task drops them.
//!
//! C header: [`include/linux/mm.h`](srctree/include/linux/mm.h)

use super::user::User;
use kernel::{
    bindings,
    error::to_result,
    ffi::{
        c_int,
        c_uint,
        c_ulong, //
    },
    mm::Mm,
    page::PAGE_SHIFT,
    prelude::*,
    sync::{
        aref::ARef,
        atomic::{
            Atomic,
            Full,
            Relaxed, //
        },
    },
};

// Only a pointer to `mm_struct` crosses, but the lint looks into it and
// finds the empty structs bindgen makes of configured-out members.
#[allow(improper_ctypes)]
extern "C" {
    /// `src/iommufd/helpers.c`: `rlimit()`, an inline.
    fn iommufd_rs_rlimit(limit: c_uint) -> c_ulong;
    /// `src/iommufd/helpers.c`: `__account_locked_vm()` under
    /// `mmap_write_lock()`, an inline, with no `CAP_IPC_LOCK` bypass.
    fn iommufd_rs_charge_mm_locked_vm(mm: *mut bindings::mm_struct, pages: c_ulong) -> c_int;
}

/// Where a [`LockedVm`] charge went; holds a reference to it.
enum Target {
    /// `user->locked_vm`.
    User(ARef<User>),
    /// `mm->locked_vm`, through `account_locked_vm()`.
    Mm(ARef<Mm>),
}

/// Pages charged to a `locked_vm` against `RLIMIT_MEMLOCK`; uncharged when
/// dropped. Callers that exempt `CAP_IPC_LOCK` check it before charging.
pub(crate) struct LockedVm {
    target: Target,
    npages: usize,
}

impl LockedVm {
    /// Charges `npages` to `user->locked_vm` if that stays within the
    /// current task's `RLIMIT_MEMLOCK` (upstream iommufd's
    /// `IOPT_PAGES_ACCOUNT_USER`, as io_uring and RDMA charge): `ENOMEM`
    /// otherwise. Lock-free: concurrent charges of the same user each see
    /// the other's.
    pub(crate) fn charge_user(user: ARef<User>, npages: usize) -> Result<Self> {
        // SAFETY: `rlimit()` reads the current task's limits; any
        // `RLIMIT_*` is valid.
        let limit = unsafe { iommufd_rs_rlimit(bindings::RLIMIT_MEMLOCK) } >> PAGE_SHIFT;
        let locked = user.locked_vm();
        let mut cur = locked.load(Relaxed);
        loop {
            // The C side reads the count as `unsigned long`.
            let new = (cur as u64)
                .checked_add(npages as u64)
                .filter(|&new| new <= limit as u64)
                .ok_or(ENOMEM)?;
            match locked.cmpxchg(cur, new as i64, Full) {
                Ok(_) => break,
                Err(seen) => cur = seen,
            }
        }
        Ok(Self {
            target: Target::User(user),
            npages,
        })
    }

    /// Charges `npages` to `mm->locked_vm` if that stays within the current
    /// task's `RLIMIT_MEMLOCK` or the task has `CAP_IPC_LOCK`
    /// (`account_locked_vm()`, as VFIO charges): `ENOMEM` otherwise.
    pub(crate) fn charge_mm(mm: ARef<Mm>, npages: usize) -> Result<Self> {
        // SAFETY: `mm` is a valid mm (`ARef` holds an `mmgrab()`), whose
        // mmap lock `account_locked_vm()` takes; it checks the limit
        // against the current task.
        to_result(unsafe { bindings::account_locked_vm(mm.as_raw(), npages, true) })?;
        Ok(Self {
            target: Target::Mm(mm),
            npages,
        })
    }

    /// Charges `npages` to `mm->locked_vm` if that stays within the current
    /// task's `RLIMIT_MEMLOCK`, whatever its capabilities: `ENOMEM`
    /// otherwise. What upstream iommufd's `update_mm_locked_vm()` does
    /// (`__account_locked_vm()` with no bypass), for charging a mapping's
    /// pages to a new process (IOMMU_IOAS_CHANGE_PROCESS).
    pub(crate) fn charge_mm_within_limit(mm: ARef<Mm>, npages: usize) -> Result<Self> {
        let n = c_ulong::try_from(npages).map_err(|_| ENOMEM)?;
        // SAFETY: `mm` is a valid mm (`ARef` holds an `mmgrab()`); the
        // helper takes its mmap lock for writing around the charge, which
        // checks the limit against the current task.
        to_result(unsafe { iommufd_rs_charge_mm_locked_vm(mm.as_raw(), n) })?;
        Ok(Self {
            target: Target::Mm(mm),
            npages,
        })
    }

    /// Pages charged.
    pub(crate) fn npages(&self) -> usize {
        self.npages
    }

    /// The user charged, for a charge to `user->locked_vm`; `None` for one
    /// to an mm's.
    pub(crate) fn user(&self) -> Option<&User> {
        match &self.target {
            Target::User(user) => Some(user),
            Target::Mm(_) => None,
        }
    }

    /// Splits `npages` of this charge off into a charge of their own, to
    /// the same target, without charging anything again: `None` (and this
    /// unchanged) if this holds fewer. Dropping either uncharges its own
    /// pages only.
    pub(crate) fn split(&mut self, npages: usize) -> Option<Self> {
        self.npages = self.npages.checked_sub(npages)?;
        let target = match &self.target {
            Target::User(user) => Target::User(user.clone()),
            Target::Mm(mm) => Target::Mm(mm.clone()),
        };
        Some(Self { target, npages })
    }
}

impl Drop for LockedVm {
    fn drop(&mut self) {
        if self.npages == 0 {
            return;
        }
        match &self.target {
            Target::User(user) => user
                .locked_vm()
                .add((self.npages as i64).wrapping_neg(), Relaxed),
            Target::Mm(mm) => {
                // SAFETY: as in `charge_mm`; uncharging never fails and
                // checks no limit, so any task may do it.
                unsafe { bindings::account_locked_vm(mm.as_raw(), self.npages, false) };
            }
        }
    }
}

/// Pages counted in an mm's `pinned_vm` (`VmPin`), as long-term pins are;
/// the count drops when this is dropped.
pub(crate) struct PinnedVm {
    mm: ARef<Mm>,
    npages: usize,
}

impl PinnedVm {
    /// Counts `npages` in `mm->pinned_vm`.
    pub(crate) fn add(mm: ARef<Mm>, npages: usize) -> Self {
        pinned_vm(&mm).add(npages as i64, Relaxed);
        Self { mm, npages }
    }

    /// The mm whose `pinned_vm` counts these pages.
    pub(crate) fn mm(&self) -> &Mm {
        &self.mm
    }

    /// Moves the count from its mm's `pinned_vm` to `mm`'s.
    pub(crate) fn move_to(&mut self, mm: ARef<Mm>) {
        pinned_vm(&mm).add(self.npages as i64, Relaxed);
        pinned_vm(&self.mm).add((self.npages as i64).wrapping_neg(), Relaxed);
        self.mm = mm;
    }
}

impl Drop for PinnedVm {
    fn drop(&mut self) {
        pinned_vm(&self.mm).add((self.npages as i64).wrapping_neg(), Relaxed);
    }
}

/// `mm->pinned_vm`.
fn pinned_vm(mm: &Mm) -> &Atomic<i64> {
    // SAFETY: `pinned_vm` is an `atomic64_t` of an mm that lives as long as
    // `&mm` (an `Mm` is always `mmgrab()`bed, which keeps the struct; the
    // field sits in the struct's unnamed first member); every access to it
    // is atomic.
    unsafe { Atomic::from_ptr(&raw mut (*mm.as_raw()).__bindgen_anon_1.pinned_vm.counter) }
}
