// SPDX-License-Identifier: GPL-2.0

//! Safe signatures for the C shims of `src/iommufd/helpers.c`: macros and static
//! inlines of 7.3 the bindings do not have, and the module's fault points.

// The bindings' structs hold a field-less struct (`sched_statistics`
// without CONFIG_SCHEDSTATS), which the lint flags even behind a pointer.
#[allow(improper_ctypes)]
extern "C" {
    fn iommufd_rs_should_fail_map(npages: u64) -> bool;
    fn iommufd_rs_should_fail_unmap(npages: u64) -> bool;
    fn iommufd_rs_log_unmap_short(unmapped: usize, size: u64, iova: u64);
    fn iommufd_rs_should_fail_msi(nvec: u64) -> bool;
    fn iommufd_rs_msi_address(irq: u32, addr: *mut u64) -> kernel::ffi::c_int;
    fn iommufd_rs_fault_init();
    fn iommufd_rs_fault_exit();
    fn iommufd_rs_pci_upstream_bridge(
        pdev: *mut kernel::bindings::pci_dev,
    ) -> *mut kernel::bindings::pci_dev;
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

/// `pci_upstream_bridge()`: the bridge above `pdev`, or NULL on a root bus.
pub(crate) fn pci_upstream_bridge(
    pdev: *mut kernel::bindings::pci_dev,
) -> *mut kernel::bindings::pci_dev {
    // SAFETY: callers pass a live `pci_dev`; the C inline only reads its
    // bus links, which live as long as it.
    unsafe { iommufd_rs_pci_upstream_bridge(pdev) }
}

/// Whether the `fail_msi` fault point fires for an allocation of `nvec`
/// vectors.
pub(crate) fn should_fail_msi(nvec: u64) -> bool {
    // SAFETY: as for `should_fail_map`.
    unsafe { iommufd_rs_should_fail_msi(nvec) }
}

/// The doorbell address of the composed MSI message of interrupt `irq`
/// (`irq_get_msi_desc()` is a static inline); `None` if it has no MSI
/// descriptor.
pub(crate) fn msi_address(irq: u32) -> Option<u64> {
    let mut addr = 0u64;
    // SAFETY: `addr` is a valid place; the C side looks `irq` up and
    // checks it has a descriptor.
    (unsafe { iommufd_rs_msi_address(irq, &mut addr) } == 0).then_some(addr)
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
