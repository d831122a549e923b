// SPDX-License-Identifier: GPL-2.0

//! A PCI BAR mapped for single, naturally aligned accesses of 1, 2, 4 or 8
//! bytes, as a driver that forwards a user's BAR reads and writes needs
//! (vfio-pci's `vfio_pci_core_do_io_rw()`): the region requested for the
//! driver, `pci_iomap()`ed, unmapped and released on drop.
//!
//! 7.3's kernel crate maps BARs only as a `Devres<Bar>` of a bound
//! `pci::Device<Bound>` with a size fixed at compile time; a function held
//! across probe and remove by a file needs a mapping the driver drops
//! itself, at the latest in remove().
//!
//! C header: [`include/linux/pci.h`](srctree/include/linux/pci.h),
//! [`include/asm-generic/io.h`](srctree/include/asm-generic/io.h)

use crate::kernel_ext::pci_function::pci_as_raw;
use core::ptr::NonNull;
use kernel::{
    bindings,
    error::to_result,
    ffi::{
        c_int,
        c_void, //
    },
    pci,
    prelude::*,
    sync::aref::ARef, //
};

/// A mapped BAR of a function.
///
/// # Invariants
///
/// `addr` is `pci_iomap()`'s mapping of the whole of BAR `bar` of `pdev`,
/// `len` bytes, whose region this value requested; both are undone on drop.
pub(crate) struct BarMapping {
    pdev: ARef<pci::Device>,
    bar: u8,
    addr: NonNull<c_void>,
    len: u64,
}

// SAFETY: MMIO accessors may run from any task.
unsafe impl Send for BarMapping {}
// SAFETY: `&self` only reads and writes device registers, which the
// device serialises.
unsafe impl Sync for BarMapping {}

impl BarMapping {
    /// Requests and maps BAR `bar` of `pdev` under the name `name`: `EINVAL`
    /// for a BAR it does not implement, `EBUSY` if another driver holds the
    /// region, `ENOMEM` if it cannot be mapped.
    pub(crate) fn new(pdev: &pci::Device, bar: u8, name: &'static CStr) -> Result<Self> {
        if bar > 5 {
            return Err(EINVAL);
        }
        let len = pdev.resource_len(u32::from(bar))?;
        if len == 0 {
            return Err(EINVAL);
        }
        let raw = pci_as_raw(pdev);
        // SAFETY: a live `pci_dev` and an implemented BAR; `name` is static.
        to_result(unsafe {
            bindings::pci_request_region(raw, c_int::from(bar), name.as_char_ptr())
        })
        .map_err(|_| EBUSY)?;
        // SAFETY: as above; 0 maps the whole BAR.
        let addr = unsafe { bindings::pci_iomap(raw, c_int::from(bar), 0) };
        let Some(addr) = NonNull::new(addr) else {
            // SAFETY: requested just above.
            unsafe { bindings::pci_release_region(raw, c_int::from(bar)) };
            return Err(ENOMEM);
        };
        // INVARIANT: mapped and requested above.
        Ok(Self {
            pdev: pdev.into(),
            bar,
            addr,
            len,
        })
    }

    /// The BAR's length in bytes.
    pub(crate) fn len(&self) -> u64 {
        self.len
    }

    /// The address of an access of `width` bytes at `off`: `EINVAL` unless
    /// it is 1, 2, 4 or 8 bytes, naturally aligned and inside the BAR.
    fn at(&self, off: u64, width: usize) -> Result<*mut c_void> {
        let w = width as u64;
        if !matches!(width, 1 | 2 | 4 | 8)
            || off % w != 0
            || off.checked_add(w).is_none_or(|e| e > self.len)
        {
            return Err(EINVAL);
        }
        let off = usize::try_from(off).map_err(|_| EINVAL)?;
        Ok(self.addr.as_ptr().wrapping_byte_add(off))
    }

    /// One read of `width` bytes at `off`, zero-extended.
    pub(crate) fn read(&self, off: u64, width: usize) -> Result<u64> {
        let a = self.at(off, width)?;
        // SAFETY: `a` is inside the mapping (type invariant, checked by
        // `at`) and aligned for the access.
        Ok(unsafe {
            match width {
                1 => u64::from(bindings::readb(a)),
                2 => u64::from(bindings::readw(a)),
                4 => u64::from(bindings::readl(a)),
                _ => bindings::readq(a),
            }
        })
    }

    /// One write of the low `width` bytes of `val` at `off`.
    pub(crate) fn write(&self, off: u64, width: usize, val: u64) -> Result {
        let a = self.at(off, width)?;
        // SAFETY: as in `read`; the truncations keep the bytes written.
        unsafe {
            match width {
                1 => bindings::writeb(val as u8, a),
                2 => bindings::writew(val as u16, a),
                4 => bindings::writel(val as u32, a),
                _ => bindings::writeq(val, a),
            }
        }
        Ok(())
    }
}

impl Drop for BarMapping {
    fn drop(&mut self) {
        let raw = pci_as_raw(&self.pdev);
        // SAFETY: mapped and requested by `new` (type invariant), undone once.
        unsafe {
            bindings::pci_iounmap(raw, self.addr.as_ptr());
            bindings::pci_release_region(raw, c_int::from(self.bar));
        }
    }
}
