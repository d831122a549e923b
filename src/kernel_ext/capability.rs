// SPDX-License-Identifier: GPL-2.0

//! POSIX capabilities of the current task.
//!
//! C header: [`include/linux/capability.h`](srctree/include/linux/capability.h)

use kernel::{
    bindings,
    ffi::c_int, //
};

/// A capability [`capable`] can check; only valid ones can be named
/// (`capable()` stops the kernel on an invalid number).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Capability {
    /// `CAP_SYS_ADMIN`: system administration.
    SysAdmin,
    /// `CAP_IPC_LOCK`: lock memory beyond `RLIMIT_MEMLOCK`.
    IpcLock,
    /// `CAP_SYS_RESOURCE`: override resource limits.
    SysResource,
}

impl Capability {
    fn number(self) -> c_int {
        let cap = match self {
            Capability::SysAdmin => bindings::CAP_SYS_ADMIN,
            Capability::IpcLock => bindings::CAP_IPC_LOCK,
            Capability::SysResource => bindings::CAP_SYS_RESOURCE,
        };
        cap as c_int
    }
}

/// Whether the current task has `cap` in the initial user namespace
/// (`capable()`); if it does, the task is marked as having used a
/// privilege (`PF_SUPERPRIV`), as for any `capable()` check.
pub(crate) fn capable(cap: Capability) -> bool {
    // SAFETY: `capable()` reads the current task's credentials, which are
    // valid in process context, and accepts every valid capability number,
    // which is all `Capability` can name.
    unsafe { bindings::capable(cap.number()) }
}

/// Whether `file` was opened with `cap` in the initial user namespace
/// (`file_ns_capable()`): the credentials the file was opened with, not the
/// caller's.
pub(crate) fn file_capable(file: &kernel::fs::File, cap: Capability) -> bool {
    // SAFETY: `file.as_ptr()` is a valid file while `file` is borrowed;
    // `init_user_ns` is a static the kernel never frees and
    // `file_ns_capable()` only reads it; `cap` is a valid number.
    unsafe {
        bindings::file_ns_capable(file.as_ptr(), &raw mut bindings::init_user_ns, cap.number())
    }
}
