// SPDX-License-Identifier: GPL-2.0

//! Rate-limited logs: `pr_err_ratelimited()` is a macro keeping its rate
//! limit per call site, which the kernel crate of 7.3 does not have, so
//! each such message is one shim in `src/iommufd/helpers.c`.

extern "C" {
    fn iommufd_rs_log_unmap_short(unmapped: usize, size: u64, iova: u64);
}

/// Logs, ratelimited, that a domain unmapped `unmapped` of `size` bytes at
/// `iova` (the pages behind it stay pinned).
pub(crate) fn log_unmap_short(unmapped: usize, size: u64, iova: u64) {
    // SAFETY: plain values; the C side only formats them.
    unsafe { iommufd_rs_log_unmap_short(unmapped, size, iova) }
}
