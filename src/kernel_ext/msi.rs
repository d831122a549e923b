// SPDX-License-Identifier: GPL-2.0

//! MSI-X or MSI vectors of a PCI function, each signalling an eventfd from
//! its hard interrupt handler, for a driver that forwards a function's
//! interrupts to user space (vfio-pci's `vfio_msi_set_vector_signal()`).
//!
//! C headers: [`include/linux/pci.h`](srctree/include/linux/pci.h),
//! [`include/linux/interrupt.h`](srctree/include/linux/interrupt.h)
//!
//! 7.3's `pci::Device<Bound>::alloc_irq_vectors()` and `irq::Registration`
//! tie vectors to the `Device<Bound>` of a probe, through devres; these
//! vectors are made from a user's ioctl, long after probe, and freed by the
//! driver's remove at the latest (its caller's rule), so this holds them
//! directly.

use crate::kernel_ext::{
    eventfd::EventFd,
    pci_function::pci_as_raw, //
};
use kernel::{
    bindings,
    error::to_result,
    ffi::{
        c_int,
        c_void, //
    },
    pci,
    prelude::*,
    sync::{
        aref::ARef,
        Arc, //
    },
};

/// The most MSI-X or MSI vectors `pdev` can have; negative if neither.
pub(crate) fn max_vectors(pdev: &pci::Device) -> i32 {
    // SAFETY: a live `pci_dev`; both only read its capabilities.
    let (msix, msi) = unsafe {
        (
            bindings::pci_msix_vec_count(pci_as_raw(pdev)),
            bindings::pci_msi_vec_count(pci_as_raw(pdev)),
        )
    };
    msix.max(msi)
}

/// Allocated vectors, vector `i` signalling `ctxs[i]`; freed on drop.
///
/// # Invariants
///
/// `pdev` has `ctxs.len()` vectors allocated, each requested with
/// [`handler`] and the address of its `EventFd` in `ctxs` as cookie; `ctxs`
/// is not changed while this value lives (an `Arc` of a vector nobody
/// mutates), so those addresses stay valid.
pub(crate) struct MsiVectors {
    pdev: ARef<pci::Device>,
    ctxs: Arc<KVec<EventFd>>,
}

/// The hard interrupt handler: signals the vector's eventfd.
///
/// # Safety
///
/// `ctx` is the cookie the vector was requested with: the address of an
/// `EventFd` of a live [`MsiVectors`].
unsafe extern "C" fn handler(_irq: c_int, ctx: *mut c_void) -> bindings::irqreturn_t {
    // SAFETY: `ctx` is the address of an `EventFd` of a live `MsiVectors`
    // (type invariant), whose drop frees the vector before the eventfd.
    unsafe { &*ctx.cast::<EventFd>() }.signal();
    bindings::irqreturn::IRQ_HANDLED
}

impl MsiVectors {
    /// Allocates one MSI-X (or else MSI) vector per eventfd of `ctxs` and
    /// requests each, named `name`, to signal its eventfd. The vectors'
    /// MSI messages are composed here, so doorbells reached through an
    /// IOMMU must be mapped (the function's domain has an MSI cookie). On
    /// error no vector is left allocated.
    pub(crate) fn new(
        pdev: &pci::Device,
        ctxs: Arc<KVec<EventFd>>,
        name: &'static CStr,
    ) -> Result<Self> {
        let raw = pci_as_raw(pdev);
        let want = u32::try_from(ctxs.len()).map_err(|_| EINVAL)?;
        let flags = bindings::PCI_IRQ_MSIX | bindings::PCI_IRQ_MSI;
        // SAFETY: a live `pci_dev` with no vectors (the caller's rule: one
        // `MsiVectors` per function at a time).
        let n = unsafe { bindings::pci_alloc_irq_vectors(raw, want, want, flags) };
        to_result(n.min(0))?;
        for (i, ctx) in ctxs.iter().enumerate() {
            // SAFETY: `i` is below the vectors just allocated.
            let irq = unsafe { bindings::pci_irq_vector(raw, i as u32) };
            let cookie = core::ptr::from_ref(ctx).cast_mut().cast::<c_void>();
            let rc = to_result(irq.min(0)).and_then(|()| {
                // SAFETY: `handler` only signals the `EventFd` at `cookie`,
                // which outlives the request (freed in `free` or `drop`
                // first).
                to_result(unsafe {
                    bindings::request_threaded_irq(
                        irq as u32,
                        Some(handler),
                        None,
                        0,
                        name.as_char_ptr(),
                        cookie,
                    )
                })
            });
            if let Err(e) = rc {
                free(raw, &ctxs[..i]);
                return Err(e);
            }
        }
        // INVARIANT: every vector allocated and requested above.
        Ok(Self {
            pdev: pdev.into(),
            ctxs,
        })
    }

    /// Whether these vectors signal the eventfds of `ctxs`.
    pub(crate) fn signals(&self, ctxs: &Arc<KVec<EventFd>>) -> bool {
        Arc::ptr_eq(&self.ctxs, ctxs)
    }

    /// The doorbell address vector `i` writes (its composed MSI message,
    /// read through `irq_get_msi_desc()`, a static inline); `None` for no
    /// such vector.
    pub(crate) fn msi_address(&self, i: u32) -> Option<u64> {
        if i as usize >= self.ctxs.len() {
            return None;
        }
        // SAFETY: `i` is one of the allocated vectors (type invariant).
        let irq = unsafe { bindings::pci_irq_vector(pci_as_raw(&self.pdev), i) };
        msi_address(u32::try_from(irq).ok()?)
    }
}

/// Frees the requested vectors of `ctxs` (its first entries), then all
/// vectors of `raw`.
fn free(raw: *mut bindings::pci_dev, requested: &[EventFd]) {
    for (i, ctx) in requested.iter().enumerate() {
        let cookie = core::ptr::from_ref(ctx).cast_mut().cast::<c_void>();
        // SAFETY: vector `i` is allocated and was requested with `cookie`.
        unsafe { bindings::free_irq(bindings::pci_irq_vector(raw, i as u32) as u32, cookie) };
    }
    // SAFETY: the vectors were allocated on `raw` and none is requested.
    unsafe { bindings::pci_free_irq_vectors(raw) };
}

impl Drop for MsiVectors {
    fn drop(&mut self) {
        free(pci_as_raw(&self.pdev), &self.ctxs);
    }
}

extern "C" {
    fn iommufd_rs_msi_address(irq: u32, addr: *mut u64) -> kernel::ffi::c_int;
}

/// The doorbell address of the composed MSI message of interrupt `irq`
/// (`irq_get_msi_desc()` is a static inline); `None` if it has no MSI
/// descriptor.
fn msi_address(irq: u32) -> Option<u64> {
    let mut addr = 0u64;
    // SAFETY: `addr` is a valid place; the C side looks `irq` up and
    // checks it has a descriptor.
    (unsafe { iommufd_rs_msi_address(irq, &mut addr) } == 0).then_some(addr)
}
