// SPDX-License-Identifier: GPL-2.0

//! The kernel's per-user accounting object, `struct user_struct`: what a
//! user (a UID) has locked or pinned across all its processes.
//!
//! C header: [`include/linux/sched/user.h`](srctree/include/linux/sched/user.h)

use core::ptr::NonNull;
use kernel::{
    bindings,
    sync::{
        aref::{
            ARef,
            AlwaysRefCounted, //
        },
        atomic::Atomic,
    },
    types::Opaque,
};

extern "C" {
    /// `src/iommufd/helpers.c`: `get_uid(current_user())`, an inline and a macro.
    fn iommufd_rs_current_user() -> *mut bindings::user_struct;
}

/// A `struct user_struct`.
///
/// # Invariants
///
/// Values of this type are always reference counted (`get_uid()`,
/// `free_uid()`).
#[repr(transparent)]
pub(crate) struct User(Opaque<bindings::user_struct>);

// SAFETY: a user is not tied to a task; its reference may be dropped
// anywhere (`free_uid()` may sleep only in process context, where `ARef`s of
// it are dropped).
unsafe impl Send for User {}
// SAFETY: through `&User` only the atomic `locked_vm` is accessed.
unsafe impl Sync for User {}

// SAFETY: by the type invariant, `User` is always reference counted;
// `__count` is the count `get_uid()` increments and `free_uid()` drops.
unsafe impl AlwaysRefCounted for User {
    fn inc_ref(&self) {
        // SAFETY: `&self` means the count is not zero; `__count` is a
        // valid `refcount_t` of a live user.
        unsafe { bindings::refcount_inc(&raw mut (*self.0.get()).__count) };
    }

    unsafe fn dec_ref(obj: NonNull<Self>) {
        // SAFETY: the caller gives up one reference, which `free_uid()`
        // drops; `User` has the layout of `struct user_struct`.
        unsafe { bindings::free_uid(obj.cast().as_ptr()) };
    }
}

impl User {
    /// The current task's user (`current_user()`), with a reference.
    pub(crate) fn current() -> ARef<Self> {
        // SAFETY: the current task always has credentials with a user;
        // the helper takes a reference for the caller.
        let user = unsafe { iommufd_rs_current_user() };
        // SAFETY: `user` is valid and not null (a task's credentials always
        // name a user), and the reference `get_uid()` took is handed over.
        unsafe { ARef::from_raw(NonNull::new_unchecked(user.cast())) }
    }

    /// Pages the user has locked through drivers that charge it
    /// (`user->locked_vm`, as upstream iommufd, io_uring and RDMA do),
    /// updated atomically by all of them.
    /// A count the C side reads as `unsigned long`.
    pub(crate) fn locked_vm(&self) -> &Atomic<i64> {
        // SAFETY: `locked_vm` is an `atomic_long_t` (its counter is an `i64`
        // on the 64-bit kernels this builds for; a 32-bit one would not
        // type-check) of a user that lives as long as `&self`; every access
        // to it is atomic.
        unsafe { Atomic::from_ptr(&raw mut (*self.0.get()).locked_vm.counter) }
    }
}
