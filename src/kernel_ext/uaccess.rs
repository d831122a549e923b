// SPDX-License-Identifier: GPL-2.0

//! Checking user addresses without accessing them.
//!
//! C header: [`include/linux/uaccess.h`](srctree/include/linux/uaccess.h)

use kernel::ffi::c_ulong;

extern "C" {
    /// `src/iommufd/helpers.c`: `access_ok()`, a macro.
    fn iommufd_rs_access_ok(addr: c_ulong, size: c_ulong) -> bool;
}

/// Whether the `size` bytes at `addr` lie in the user part of the address
/// space (`access_ok()`): a range check only, nothing is read, and the
/// memory need not be mapped.
pub(crate) fn access_ok(addr: usize, size: usize) -> bool {
    // SAFETY: `access_ok()` compares the range with the user address
    // space's limit; it does not touch memory.
    unsafe { iommufd_rs_access_ok(addr, size) }
}
