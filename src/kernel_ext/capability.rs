// SPDX-License-Identifier: GPL-2.0

//! Capability checks of the current task (`include/linux/capability.h`).

use kernel::bindings;

/// Whether the current task has `CAP_SYS_ADMIN` (`capable()`, which marks
/// the task as having used it).
pub(crate) fn capable_sys_admin() -> bool {
    // SAFETY: checks the current task's credentials; no pointer.
    unsafe { bindings::capable(bindings::CAP_SYS_ADMIN as i32) }
}
