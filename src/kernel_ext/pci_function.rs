// SPDX-License-Identifier: GPL-2.0

//! What a driver that hands PCI functions to user space (as vfio-pci does)
//! needs of a function outside probe and remove, which 7.3's `pci::Device`
//! offers only on `Device<Core>` or not at all: bus mastering, INTx, the
//! command register, enable/disable, function reset, and the saved config
//! space.
//!
//! C header: [`include/linux/pci.h`](srctree/include/linux/pci.h)
//!
//! These calls are memory-safe on any `pci_dev` a reference is held on;
//! *when* they are right (the function bound to the caller's driver) is
//! the caller's rule, as it is in C.

use core::ptr::NonNull;
use kernel::{
    bindings,
    error::to_result,
    ffi::c_int,
    pci,
    prelude::*, //
};

/// The `struct pci_dev` behind `pdev` (`pci::Device` is a transparent
/// wrapper of it; its `as_raw()` is private to the kernel crate).
pub(crate) fn pci_as_raw(pdev: &pci::Device) -> *mut bindings::pci_dev {
    core::ptr::from_ref(pdev)
        .cast::<bindings::pci_dev>()
        .cast_mut()
}

/// A function's config space as saved by `pci_store_saved_state()`, which
/// [`PciFunctionExt::load_saved_state`] puts back; freed on drop.
///
/// # Invariants
///
/// `raw` is a `kmalloc()`ed saved state owned by this value alone.
pub(crate) struct SavedState {
    raw: NonNull<bindings::pci_saved_state>,
}

// SAFETY: a plain heap buffer, not tied to a task.
unsafe impl Send for SavedState {}
// SAFETY: no `&self` method.
unsafe impl Sync for SavedState {}

impl Drop for SavedState {
    fn drop(&mut self) {
        // SAFETY: owned (type invariant), freed once.
        unsafe { bindings::kfree(self.raw.as_ptr().cast()) }
    }
}

/// The function-state calls of `include/linux/pci.h` on a [`pci::Device`].
pub(crate) trait PciFunctionExt {
    /// The PCI segment (domain) number (`pci_domain_nr()`).
    fn segment(&self) -> u32;
    /// The command register.
    fn command(&self) -> u16;
    /// A byte of config space (all ones if it cannot be read).
    fn config_read_byte(&self, off: u16) -> u8;
    /// Writes a byte of config space.
    fn config_write_byte(&self, off: u16, val: u8);
    /// The size of its config space (256, or 4096 for PCIe).
    fn config_size(&self) -> u16;
    /// The offset of its MSI capability, or 0.
    fn msi_cap(&self) -> u8;
    /// Whether BAR `bar` (0-5) is a memory BAR.
    fn bar_is_memory(&self, bar: u8) -> bool;
    /// Writes the command register.
    fn write_command(&self, val: u16);
    /// Turns INTx on or off (`pci_intx()`).
    fn intx(&self, on: bool);
    /// Bus mastering on (`pci_set_master()`).
    fn bus_master_on(&self);
    /// Bus mastering off (`pci_clear_master()`).
    fn bus_master_off(&self);
    /// `pci_enable_device()`.
    fn enable(&self) -> Result;
    /// `pci_disable_device()`.
    fn disable(&self);
    /// `pci_try_reset_function()`: `EAGAIN` if the device lock is held,
    /// `ENOTTY` if the function has no reset method.
    fn try_reset(&self) -> Result;
    /// Resets the function, trying the device lock and its upstream
    /// bridge's and skipping the reset if either is held (a holder of the
    /// device lock uses [`LockedFunction::reset`]).
    fn reset_if_unlocked(&self);
    /// `pci_save_state()`.
    fn save_state(&self);
    /// `pci_store_saved_state()`: a copy of the state saved last.
    fn store_saved_state(&self) -> Option<SavedState>;
    /// `pci_load_and_free_saved_state()`: makes `state` the saved state.
    fn load_saved_state(&self, state: SavedState) -> Result;
    /// `pci_restore_state()`.
    fn restore_state(&self);
}

impl PciFunctionExt for pci::Device {
    fn segment(&self) -> u32 {
        // SAFETY: a live `pci_dev` has a live bus; `domain_nr` is fixed
        // when the bus is made (what the static inline reads).
        unsafe { (*(*pci_as_raw(self)).bus).domain_nr as u32 }
    }

    fn command(&self) -> u16 {
        let mut cmd = 0u16;
        // SAFETY: a live `pci_dev`; `cmd` is a valid place.
        let _ = unsafe {
            bindings::pci_read_config_word(
                pci_as_raw(self),
                bindings::PCI_COMMAND as c_int,
                &mut cmd,
            )
        };
        cmd
    }

    fn config_read_byte(&self, off: u16) -> u8 {
        let mut v = 0xffu8;
        // SAFETY: a live `pci_dev`; `v` is a valid place. The PCI core
        // refuses offsets beyond the config space.
        let _ =
            unsafe { bindings::pci_read_config_byte(pci_as_raw(self), c_int::from(off), &mut v) };
        v
    }

    fn config_write_byte(&self, off: u16, val: u8) {
        // SAFETY: a live `pci_dev`; the PCI core refuses offsets beyond
        // the config space.
        let _ = unsafe { bindings::pci_write_config_byte(pci_as_raw(self), c_int::from(off), val) };
    }

    fn config_size(&self) -> u16 {
        // SAFETY: a live `pci_dev`; `cfg_size` is set at enumeration.
        let size = unsafe { (*pci_as_raw(self)).cfg_size };
        u16::try_from(size).unwrap_or(256)
    }

    fn msi_cap(&self) -> u8 {
        // SAFETY: a live `pci_dev`; `msi_cap` is set at enumeration.
        unsafe { (*pci_as_raw(self)).msi_cap }
    }

    fn bar_is_memory(&self, bar: u8) -> bool {
        if bar > 5 {
            return false;
        }
        // SAFETY: a live `pci_dev`; its resources are set at enumeration.
        let flags = unsafe { (*pci_as_raw(self)).resource[usize::from(bar)].flags };
        flags & bindings::IORESOURCE_MEM as kernel::ffi::c_ulong != 0
    }

    fn write_command(&self, val: u16) {
        // SAFETY: a live `pci_dev`.
        let _ = unsafe {
            bindings::pci_write_config_word(pci_as_raw(self), bindings::PCI_COMMAND as c_int, val)
        };
    }

    fn intx(&self, on: bool) {
        // SAFETY: a live `pci_dev`.
        unsafe { bindings::pci_intx(pci_as_raw(self), c_int::from(on)) }
    }

    fn bus_master_on(&self) {
        // SAFETY: a live `pci_dev`.
        unsafe { bindings::pci_set_master(pci_as_raw(self)) }
    }

    fn bus_master_off(&self) {
        // SAFETY: a live `pci_dev`.
        unsafe { bindings::pci_clear_master(pci_as_raw(self)) }
    }

    fn enable(&self) -> Result {
        // SAFETY: a live `pci_dev`; balanced by `disable` by the caller.
        to_result(unsafe { bindings::pci_enable_device(pci_as_raw(self)) })
    }

    fn disable(&self) {
        // SAFETY: a live `pci_dev`, enabled by `enable`.
        unsafe { bindings::pci_disable_device(pci_as_raw(self)) }
    }

    fn try_reset(&self) -> Result {
        // SAFETY: a live `pci_dev`; takes the device lock only if free.
        to_result(unsafe { bindings::pci_try_reset_function(pci_as_raw(self)) })
    }

    fn reset_if_unlocked(&self) {
        reset(self, false)
    }

    fn save_state(&self) {
        // SAFETY: a live `pci_dev`.
        unsafe { bindings::pci_save_state(pci_as_raw(self)) };
    }

    fn store_saved_state(&self) -> Option<SavedState> {
        // SAFETY: a live `pci_dev`; a non-NULL answer is a new allocation.
        let raw = NonNull::new(unsafe { bindings::pci_store_saved_state(pci_as_raw(self)) })?;
        // INVARIANT: the allocation just made, owned by no one else.
        Some(SavedState { raw })
    }

    fn load_saved_state(&self, state: SavedState) -> Result {
        let mut raw = state.raw.as_ptr();
        core::mem::forget(state);
        // SAFETY: a live `pci_dev`; `raw` is owned (taken out of `state`)
        // and freed by the call whatever it returns.
        to_result(unsafe { bindings::pci_load_and_free_saved_state(pci_as_raw(self), &mut raw) })
    }

    fn restore_state(&self) {
        // SAFETY: a live `pci_dev`.
        unsafe { bindings::pci_restore_state(pci_as_raw(self)) }
    }
}

/// As `pci_reset_function()` without waiting: the upstream bridge's lock
/// and, unless `dev_locked`, the device's are only tried.
fn reset(pdev: &pci::Device, dev_locked: bool) {
    let raw = pci_as_raw(pdev);
    let bridge = pci_upstream_bridge(raw);
    // SAFETY: `bridge` is NULL or the live bridge above a live `pci_dev`.
    if !bridge.is_null() && unsafe { bindings::pci_dev_trylock(bridge) } == 0 {
        return;
    }
    if dev_locked {
        // SAFETY: the device lock is the caller's (`LockedFunction`).
        let _ = unsafe { bindings::__pci_reset_function_locked(raw) };
    // SAFETY: a live `pci_dev`.
    } else if unsafe { bindings::pci_dev_trylock(raw) } != 0 {
        // SAFETY: the device lock was just taken, and is dropped after.
        unsafe {
            let _ = bindings::__pci_reset_function_locked(raw);
            bindings::pci_dev_unlock(raw);
        }
    }
    if !bridge.is_null() {
        // SAFETY: taken above.
        unsafe { bindings::pci_dev_unlock(bridge) };
    }
}

/// A function whose device lock the holder has: made only by the driver
/// adapter ([`super::pci_owned_driver`]) for its probe and remove calls,
/// which the driver core makes with the device lock held.
pub(crate) struct LockedFunction<'a> {
    pdev: &'a pci::Device,
}

impl<'a> LockedFunction<'a> {
    /// # Safety
    ///
    /// The device lock of `pdev` is held for `'a`.
    pub(super) unsafe fn new(pdev: &'a pci::Device) -> Self {
        Self { pdev }
    }

    /// The function.
    pub(crate) fn pdev(&self) -> &'a pci::Device {
        self.pdev
    }

    /// As [`PciFunctionExt::reset_if_unlocked`], with the device lock held.
    pub(crate) fn reset(&self) {
        reset(self.pdev, true)
    }
}

// The bindings' structs hold a field-less struct (`sched_statistics`
// without CONFIG_SCHEDSTATS), which the lint flags even behind a pointer.
#[allow(improper_ctypes)]
extern "C" {
    fn iommufd_rs_pci_upstream_bridge(
        pdev: *mut kernel::bindings::pci_dev,
    ) -> *mut kernel::bindings::pci_dev;
}

/// `pci_upstream_bridge()`: the bridge above `pdev`, or NULL on a root bus.
fn pci_upstream_bridge(pdev: *mut kernel::bindings::pci_dev) -> *mut kernel::bindings::pci_dev {
    // SAFETY: callers pass a live `pci_dev`; the C inline only reads its
    // bus links, which live as long as it.
    unsafe { iommufd_rs_pci_upstream_bridge(pdev) }
}
