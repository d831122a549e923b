// SPDX-License-Identifier: GPL-2.0

//! MSI for bound devices (IOMMU_DEVICE_SET_IRQS): MSI-X or MSI vectors,
//! each signalling the user's eventfd. Vectors need the device attached to
//! a domain whose MSI cookie places the doorbells (attach sets it), because
//! the interrupt controller maps the doorbell through the IOMMU when the
//! vectors are allocated.
//!
//! Locking: the caller (the device object's mutex) serialises set and free
//! for a device. Vectors live only while the function is on the driver:
//! every step that makes, reads or frees them is in the function's `live`
//! section ([`crate::pci::Function`]), and remove() frees the vectors in
//! force after that section is closed to new callers and before the
//! driver's MSI domain goes with the driver; what the file frees later is
//! then only the eventfds.

use crate::{
    iova_space::sw_msi::Window,
    kernel_ext::eventfd::EventFd,
    pci::{
        BoundDevice,
        Function, //
    }, //
};
use kernel::{
    prelude::*,
    sync::Arc, //
};

/// A device's vectors, one per eventfd: prepared (the eventfds taken) or
/// enabled (vectors allocated and signalling); freed on drop.
pub(crate) struct Irqs {
    func: Arc<Function>,
    ctxs: Arc<KVec<EventFd>>,
}

impl Irqs {
    /// Checks a request for one vector per eventfd in `fds` (at least one)
    /// and takes the eventfds; allocates no vector yet. Everything a caller
    /// can get wrong is found here, so that a device's old vectors are only
    /// freed for a request that can be carried out: `EBADF`/`EINVAL` for a
    /// bad eventfd, `ENOSPC` if the device has fewer vectors, `ENODEV` if
    /// it left the driver.
    pub(crate) fn prepare(dev: &BoundDevice, fds: &[i32]) -> Result<Self> {
        let func = dev.function();
        let max = func.msi_capacity()?;
        if fds.len() > max as usize {
            return Err(ENOSPC);
        }
        let mut ctxs = KVec::with_capacity(fds.len(), GFP_KERNEL_ACCOUNT)?;
        for &fd in fds {
            ctxs.push(EventFd::from_fd(fd)?, GFP_KERNEL_ACCOUNT)?;
        }
        Ok(Self {
            func: func.clone(),
            ctxs: Arc::new(ctxs, GFP_KERNEL_ACCOUNT)?,
        })
    }

    /// Frees the vectors but keeps the eventfds, so that [`Self::enable`]
    /// can make them again (around a domain replace: doorbells are mapped
    /// through the domain when vectors are made).
    pub(crate) fn disable(&mut self) {
        self.func.disable_vectors(&self.ctxs);
    }

    /// Allocates the vectors; the device must have none. The kernel's MSI
    /// cookie places doorbells one page after another from the window
    /// start with no upper bound, so every doorbell is checked to land in
    /// `window`, the SW_MSI window in force (`ENOSPC` otherwise, and always
    /// without a window, with nothing left allocated). The PCI/IRQ core's
    /// error with no vector left allocated.
    pub(crate) fn enable(&mut self, window: Option<Window>) -> Result {
        self.func.enable_vectors(&self.ctxs)?;
        for i in 0..self.ctxs.len() as u32 {
            let addr = match self.func.vector_address(&self.ctxs, i) {
                Ok(addr) => addr,
                Err(e) => {
                    self.disable();
                    return Err(e);
                }
            };
            if !window.is_some_and(|w| w.contains(addr)) {
                self.disable();
                return Err(ENOSPC);
            }
        }
        Ok(())
    }
}

impl Drop for Irqs {
    /// Frees the vectors (if enabled); the eventfds go with the last
    /// reference.
    fn drop(&mut self) {
        self.disable();
    }
}
