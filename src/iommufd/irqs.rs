// SPDX-License-Identifier: GPL-2.0

//! MSI vectors of a bound device signalling eventfds: a thin owner of the
//! C side in `irqs.c`.

use crate::{
    iova_space::sw_msi::Window,
    pci::{
        BoundDevice,
        RawPci, //
    }, //
};
use core::ptr::NonNull;
use kernel::{
    error::to_result,
    ffi::c_int,
    prelude::*, //
};

/// The opaque `struct iommufd_rs_irqs`.
#[repr(C)]
struct RawIrqs {
    _opaque: [u8; 0],
}

extern "C" {
    fn iommufd_rs_irqs_prepare(
        d: *mut RawPci,
        nvec: u32,
        fds: *const i32,
        out: *mut *mut RawIrqs,
    ) -> c_int;
    fn iommufd_rs_irqs_enable(irqs: *mut RawIrqs) -> c_int;
    fn iommufd_rs_irqs_msi_address(irqs: *mut RawIrqs, i: u32, addr: *mut u64) -> c_int;
    fn iommufd_rs_irqs_disable(irqs: *mut RawIrqs);
    fn iommufd_rs_irqs_free(irqs: *mut RawIrqs);
}

/// Allocated vectors with their handlers; freed on drop.
pub(crate) struct Irqs {
    raw: NonNull<RawIrqs>,
    /// How many vectors (one per eventfd).
    nvec: u32,
}

// SAFETY: the vectors belong to the device, not to a task; the handlers only
// signal eventfds. Freeing happens once, in `Drop`.
unsafe impl Send for Irqs {}
// SAFETY: no method takes `&self`; `enable` takes `&mut self`.
unsafe impl Sync for Irqs {}

impl Irqs {
    /// Checks a request for one vector per eventfd in `fds` (at least one)
    /// and takes the eventfds; allocates no vector yet.
    pub(crate) fn prepare(dev: &BoundDevice, fds: &[i32]) -> Result<Self> {
        let n = u32::try_from(fds.len()).map_err(|_| EINVAL)?;
        let mut out: *mut RawIrqs = core::ptr::null_mut();
        // SAFETY: `fds` has `n` entries and outlives the call; `out` is a
        // valid place; the device handle is live while `dev` is.
        to_result(unsafe { iommufd_rs_irqs_prepare(dev.raw(), n, fds.as_ptr(), &mut out) })?;
        Ok(Self {
            raw: NonNull::new(out).ok_or(EINVAL)?,
            nvec: n,
        })
    }

    /// Frees the vectors but keeps the eventfds, for `enable` again.
    pub(crate) fn disable(&mut self) {
        // SAFETY: `raw` is a live set owned by `self`; freeing vectors of a
        // disabled set does nothing.
        unsafe { iommufd_rs_irqs_disable(self.raw.as_ptr()) }
    }

    /// Allocates the vectors; the device must have none. Every doorbell
    /// must land in `window`, the SW_MSI window in force (`-ENOSPC`
    /// otherwise, and always without a window, with nothing left
    /// allocated).
    pub(crate) fn enable(&mut self, window: Option<Window>) -> Result {
        // SAFETY: `raw` is a live, prepared set owned by `self`.
        to_result(unsafe { iommufd_rs_irqs_enable(self.raw.as_ptr()) })?;
        for i in 0..self.nvec {
            let mut addr = 0u64;
            // SAFETY: `raw` is enabled with `nvec` vectors; `addr` is valid.
            let found =
                to_result(unsafe { iommufd_rs_irqs_msi_address(self.raw.as_ptr(), i, &mut addr) });
            if let Err(e) = found {
                self.disable();
                return Err(e);
            }
            if !window.is_some_and(|w| w.contains(addr)) {
                self.disable();
                return Err(ENOSPC);
            }
        }
        Ok(())
    }
}

impl Drop for Irqs {
    fn drop(&mut self) {
        // SAFETY: from a successful `set`, freed once.
        unsafe { iommufd_rs_irqs_free(self.raw.as_ptr()) }
    }
}
