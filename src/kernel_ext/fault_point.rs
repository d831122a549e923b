// SPDX-License-Identifier: GPL-2.0

//! The module's fault points (`src/iommufd/fault.c`): failures injected
//! where one is not an allocation (`fail_map`, `fail_unmap`, `fail_msi`,
//! and `fail_pin` in `gup.c`), driven through debugfs as the kernel's
//! `fault_attr`s. `DECLARE_FAULT_ATTR` and `should_fail()` are a macro and
//! a function of `linux/fault-inject.h`, a header bindgen does not see:
//! each point is one shim in `src/iommufd/helpers.c`. Without
//! `CONFIG_FAULT_INJECTION` (the bench kernel) `should_fail()` is always
//! false, and the points make no call.

#[cfg(CONFIG_FAULT_INJECTION)]
extern "C" {
    fn iommufd_rs_should_fail_map(npages: u64) -> bool;
    fn iommufd_rs_should_fail_unmap(npages: u64) -> bool;
    fn iommufd_rs_should_fail_msi(nvec: u64) -> bool;
}

extern "C" {
    fn iommufd_rs_fault_init();
    fn iommufd_rs_fault_exit();
}

/// Whether the `fail_map` fault point fires for a map of `npages` pages.
pub(crate) fn should_fail_map(npages: u64) -> bool {
    #[cfg(CONFIG_FAULT_INJECTION)]
    // SAFETY: reads the static fault attribute of `fault.c`, which lives as
    // long as the module.
    return unsafe { iommufd_rs_should_fail_map(npages) };
    #[cfg(not(CONFIG_FAULT_INJECTION))]
    {
        let _ = npages;
        false
    }
}

/// Whether the `fail_unmap` fault point fires for an unmap of `npages`
/// pages.
pub(crate) fn should_fail_unmap(npages: u64) -> bool {
    #[cfg(CONFIG_FAULT_INJECTION)]
    // SAFETY: as for `should_fail_map`.
    return unsafe { iommufd_rs_should_fail_unmap(npages) };
    #[cfg(not(CONFIG_FAULT_INJECTION))]
    {
        let _ = npages;
        false
    }
}

/// Whether the `fail_msi` fault point fires for an allocation of `nvec`
/// vectors.
pub(crate) fn should_fail_msi(nvec: u64) -> bool {
    #[cfg(CONFIG_FAULT_INJECTION)]
    // SAFETY: as for `should_fail_map`.
    return unsafe { iommufd_rs_should_fail_msi(nvec) };
    #[cfg(not(CONFIG_FAULT_INJECTION))]
    {
        let _ = nvec;
        false
    }
}

/// The fault points' debugfs files (`fault.c`, project C whose header
/// bindgen does not see), at load.
pub(crate) fn fault_points_init() {
    // SAFETY: called once at load, before any fault point is asked.
    unsafe { iommufd_rs_fault_init() }
}

/// Removes what [`fault_points_init`] made, at unload.
pub(crate) fn fault_points_exit() {
    // SAFETY: called once at unload, after the last fault point was asked
    // (no file and no function is left).
    unsafe { iommufd_rs_fault_exit() }
}
