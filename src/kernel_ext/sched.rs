// SPDX-License-Identifier: GPL-2.0

//! Voluntary preemption in long loops.
//!
//! C header: [`include/linux/sched.h`](srctree/include/linux/sched.h)

extern "C" {
    /// `src/iommufd/helpers.c`: `cond_resched()`, a macro.
    fn iommufd_rs_cond_resched();
}

/// Yields the CPU if another task should run (`cond_resched()`): for loops
/// that may run long in process context, such as unpinning a large
/// mapping. Callers may hold mutexes but no spinlock.
pub(crate) fn cond_resched() {
    // SAFETY: no arguments; `cond_resched()` may sleep, which is fine in
    // the process context this is documented for.
    unsafe { iommufd_rs_cond_resched() }
}
