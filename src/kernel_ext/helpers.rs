// SPDX-License-Identifier: GPL-2.0

//! Safe signatures for the C shims of `src/helpers.c`: macros and static
//! inlines of 7.3 the bindings do not have, and the module's fault points.

extern "C" {
    fn iommufd_rs_cond_resched();
    fn iommufd_rs_should_fail_map(npages: u64) -> bool;
    fn iommufd_rs_should_fail_unmap(npages: u64) -> bool;
    fn iommufd_rs_log_unmap_short(unmapped: usize, size: u64, iova: u64);
}

/// `cond_resched()`: yields the CPU if another task should run.
///
/// Callers must be in process context with no spinlock held (the kernel
/// checks with `might_sleep()` debugging).
pub(crate) fn cond_resched() {
    // SAFETY: no arguments; a sleeping call, which the callers' context
    // allows (documented above, and every caller holds only mutexes).
    unsafe { iommufd_rs_cond_resched() }
}

/// Whether the `fail_map` fault point fires for a map of `npages` pages.
pub(crate) fn should_fail_map(npages: u64) -> bool {
    // SAFETY: reads the static fault attribute of `fault.c`, which lives as
    // long as the module.
    unsafe { iommufd_rs_should_fail_map(npages) }
}

/// Whether the `fail_unmap` fault point fires for an unmap of `npages`
/// pages.
pub(crate) fn should_fail_unmap(npages: u64) -> bool {
    // SAFETY: as for `should_fail_map`.
    unsafe { iommufd_rs_should_fail_unmap(npages) }
}

/// Logs, ratelimited, that a domain unmapped `unmapped` of `size` bytes at
/// `iova` (the pages behind it stay pinned).
pub(crate) fn log_unmap_short(unmapped: usize, size: u64, iova: u64) {
    // SAFETY: plain values; the C side only formats them.
    unsafe { iommufd_rs_log_unmap_short(unmapped, size, iova) }
}
