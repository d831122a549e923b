// SPDX-License-Identifier: GPL-2.0

//! A PCI driver that owns its functions' DMA itself, as vfio-pci does: it
//! sets `driver_managed_dma`, so the driver core does not claim the
//! function's group for the kernel's DMA API, and the driver claims it
//! through the IOMMU core's DMA ownership instead.
//!
//! 7.3's `pci::Adapter` (`rust/kernel/pci.rs`) fills only the name, probe,
//! remove and the id table of `struct pci_driver`, so this is that
//! adapter with `driver_managed_dma` set (upstream, one more field in
//! `Adapter::register`). The driver has no id table: functions are bound to
//! it with `driver_override`. Per-function data is an `Arc` in the
//! device's driver data, from probe to remove.

use crate::kernel_ext::pci_function::LockedFunction;
use kernel::{
    bindings,
    error::{
        from_result,
        to_result, //
    },
    ffi::{
        c_int,
        c_void, //
    },
    pci,
    prelude::*,
    str::CStr,
    sync::Arc,
    types::{
        ForeignOwnable,
        Opaque, //
    },
    ThisModule, //
};

/// A driver registered with [`Registration`].
pub(crate) trait OwnedDmaDriver: 'static {
    /// What the driver keeps per function, from probe to remove.
    type Data: Send + Sync;

    /// Binds a function; `owner` identifies the driver to the IOMMU core's
    /// DMA ownership (the same for every function of the driver).
    fn probe(pdev: LockedFunction<'_>, owner: *const c_void) -> Result<Arc<Self::Data>>;

    /// Unbinds a function, with what its probe returned.
    fn remove(pdev: LockedFunction<'_>, data: Arc<Self::Data>);
}

/// The registration of a [`OwnedDmaDriver`]; unregistered on drop (which
/// removes every function from it first).
#[pin_data(PinnedDrop)]
pub(crate) struct Registration<T: OwnedDmaDriver> {
    #[pin]
    drv: Opaque<bindings::pci_driver>,
    _t: core::marker::PhantomData<T>,
}

// SAFETY: no `&self` method; the C driver object is only used by the PCI
// core, which serialises registration, probe and remove.
unsafe impl<T: OwnedDmaDriver> Sync for Registration<T> {}
// SAFETY: registering and unregistering may happen from any task.
unsafe impl<T: OwnedDmaDriver> Send for Registration<T> {}

impl<T: OwnedDmaDriver> Registration<T> {
    /// Registers the driver as `name` for `module`.
    pub(crate) fn new(
        name: &'static CStr,
        module: &'static ThisModule,
    ) -> impl PinInit<Self, Error> {
        try_pin_init!(Self {
            drv <- Opaque::try_ffi_init(|drv: *mut bindings::pci_driver| {
                // SAFETY: `drv` is this registration's storage, pinned and
                // not yet initialised; an all-zero `pci_driver` is its C
                // initial state.
                unsafe {
                    drv.write(bindings::pci_driver::default());
                    (*drv).name = name.as_char_ptr();
                    (*drv).probe = Some(Self::probe_callback);
                    (*drv).remove = Some(Self::remove_callback);
                    (*drv).driver_managed_dma = true;
                }
                // SAFETY: a filled `pci_driver` that stays pinned until
                // `drop` unregisters it.
                to_result(unsafe {
                    bindings::__pci_register_driver(drv, module.as_ptr(), name.as_char_ptr())
                })
            }),
            _t: core::marker::PhantomData,
        })
    }

    extern "C" fn probe_callback(
        pdev: *mut bindings::pci_dev,
        _id: *const bindings::pci_device_id,
    ) -> c_int {
        // SAFETY: the PCI core calls probe with a live `pci_dev`, of which
        // `pci::Device` is a transparent wrapper, and with its device lock
        // held for the call.
        let func = unsafe { LockedFunction::new(&*pdev.cast::<pci::Device>()) };
        // SAFETY: `pdev` is live; `driver` is this driver during probe.
        let owner = unsafe { (*pdev).driver }.cast::<c_void>().cast_const();
        from_result(|| {
            let data = T::probe(func, owner)?;
            // SAFETY: `pdev` is live; the driver data is this driver's
            // from probe to remove, which takes it back.
            unsafe { bindings::dev_set_drvdata(&raw mut (*pdev).dev, data.into_foreign()) };
            Ok(0)
        })
    }

    extern "C" fn remove_callback(pdev: *mut bindings::pci_dev) {
        // SAFETY: as in `probe_callback`: a live `pci_dev` with its device
        // lock held.
        let func = unsafe { LockedFunction::new(&*pdev.cast::<pci::Device>()) };
        // SAFETY: remove follows a successful probe, which stored an
        // `Arc<T::Data>` as the driver data; taken back once, here.
        let data = unsafe {
            let ptr = bindings::dev_get_drvdata(&raw mut (*pdev).dev);
            bindings::dev_set_drvdata(&raw mut (*pdev).dev, core::ptr::null_mut());
            Arc::<T::Data>::from_foreign(ptr)
        };
        T::remove(func, data);
    }
}

#[pinned_drop]
impl<T: OwnedDmaDriver> PinnedDrop for Registration<T> {
    fn drop(self: Pin<&mut Self>) {
        // SAFETY: registered by `new` (a `Registration` exists only if that
        // succeeded), unregistered once.
        unsafe { bindings::pci_unregister_driver(self.drv.get()) }
    }
}
