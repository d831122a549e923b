// SPDX-License-Identifier: GPL-2.0

//! Holding many mutexes of one lock class at once under an outer mutex
//! (`mutex_lock_nest_lock()`): lockdep would otherwise report the second
//! one as recursive locking. The outer mutex serialises every thread that
//! nests them, so the order they are taken in cannot deadlock between such
//! threads, and lockdep tracks them as one held lock.
//!
//! C header: [`include/linux/mutex.h`](srctree/include/linux/mutex.h)

use kernel::{
    bindings,
    sync::{
        lock::Guard,
        Mutex,
        MutexGuard, //
    },
};

/// The `struct mutex` of `lock`.
///
/// `Lock` is `#[repr(C)]` with its `Opaque<B::State>` (`repr(transparent)`)
/// as first field, the layout `Lock::from_raw()` relies on: a pointer to it
/// is a pointer to the kernel mutex.
fn raw<T>(lock: &Mutex<T>) -> *mut bindings::mutex {
    core::ptr::from_ref(lock)
        .cast::<bindings::mutex>()
        .cast_mut()
}

/// Locks `lock` while the caller holds `outer`, as one of several mutexes
/// of `lock`'s class it holds at once (`mutex_lock_nest_lock()`). Every
/// thread that holds more than one of that class at a time must take them
/// under the same outer mutex.
pub(crate) fn lock_nested<'a, T, U>(
    lock: &'a Mutex<T>,
    outer: &MutexGuard<'_, U>,
) -> MutexGuard<'a, T> {
    let outer = outer.lock_ref();
    #[cfg(CONFIG_DEBUG_LOCK_ALLOC)]
    {
        // SAFETY: both mutexes are initialised (a `Mutex` is only made
        // initialised, and lives as long as its reference); `outer` is held
        // by this thread (its guard is borrowed), as lockdep requires of a
        // nest lock.
        unsafe { bindings::_mutex_lock_nest_lock(raw(lock), &raw mut (*raw(outer)).dep_map) };
    }
    #[cfg(not(CONFIG_DEBUG_LOCK_ALLOC))]
    {
        let _ = outer;
        // SAFETY: `lock` is an initialised mutex, as above.
        unsafe { bindings::mutex_lock(raw(lock)) };
    }
    // SAFETY: this thread just acquired `lock`; a mutex's guard state is
    // `()`.
    unsafe { Guard::new(lock, ()) }
}
