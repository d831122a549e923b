// SPDX-License-Identifier: GPL-2.0

//! The platform driver for `arm,smmu-v3`: probe maps the registers for the
//! binding, builds the [`Smmu`], requests its interrupts (or polls its
//! queues when one is not wired) and registers it with the IOMMU core;
//! unbinding undoes that in the reverse order, while the device is still
//! bound, so the SMMU is disabled before its registers are revoked.

use crate::hw::{
    dma_coherent,
    BoundSmmu,
    HwOwner,
    Poller,
    Regs,
    REG_SIZE,
    SMMUS, //
};
use crate::iommu::OPS;
use crate::iommu_driver::IommuDevice;
use crate::smmu::Smmu;
use kernel::{
    device::{
        Bound,
        Core,
        Device, //
    },
    dma::{
        Device as DmaDevice,
        DmaMask, //
    },
    irq::{
        self,
        IrqReturn,
        ThreadedHandler,
        ThreadedRegistration, //
    },
    new_mutex, of, platform,
    prelude::*,
    str::CString,
    sync::{
        Arc,
        Mutex, //
    },
};

/// smmu_rs's platform driver.
pub(crate) struct SmmuRsDriver;

kernel::of_device_table!(
    OF_TABLE,
    <SmmuRsDriver as platform::Driver>::IdInfo,
    [(of::DeviceId::new(c"arm,smmu-v3"), ())]
);

/// Services the event queue from the interrupt's thread.
struct EventQueueIrq(Arc<Smmu>);

impl ThreadedHandler for EventQueueIrq {
    fn handle_threaded(&self) -> IrqReturn {
        self.0.service_events();
        IrqReturn::Handled
    }
}

/// Services global errors from the interrupt's thread.
struct GerrorIrq(Arc<Smmu>);

impl ThreadedHandler for GerrorIrq {
    fn handle_threaded(&self) -> IrqReturn {
        self.0.service_gerror();
        IrqReturn::Handled
    }
}

/// What a bound SMMU holds, torn down in this order when dropped: the
/// IOMMU core's registration first (releasing every device behind the
/// SMMU), then its place on the list of SMMUs, the interrupts and the poll,
/// and last the SMMU itself is disabled.
struct Binding<'bound> {
    smmu: Arc<Smmu>,
    iommu: Option<IommuDevice>,
    listed: bool,
    evtq: Option<Pin<KBox<ThreadedRegistration<'bound, EventQueueIrq>>>>,
    gerror: Option<Pin<KBox<ThreadedRegistration<'bound, GerrorIrq>>>>,
    poll: Option<Poller>,
}

impl Drop for Binding<'_> {
    fn drop(&mut self) {
        drop(self.iommu.take());
        if self.listed {
            crate::hw::remove_from(&mut SMMUS.lock(), |b| !Arc::ptr_eq(&b.smmu, &self.smmu));
        }
        drop(self.poll.take());
        drop(self.evtq.take());
        drop(self.gerror.take());
        self.smmu.disable();
    }
}

/// The driver's data of a bound SMMU; unbinding takes its [`Binding`].
#[pin_data]
pub(crate) struct SmmuRsDevice<'bound> {
    #[pin]
    binding: Mutex<Option<Binding<'bound>>>,
}

/// The interrupt named `name`, with `handler`, if it is wired and can be
/// had.
fn threaded_irq<'bound, T: ThreadedHandler + 'bound>(
    pdev: &'bound platform::Device<Bound>,
    name: &'static CStr,
    handler: T,
) -> Option<Pin<KBox<ThreadedRegistration<'bound, T>>>> {
    // SAFETY: the registration is kept in the `Binding` and dropped with
    // it, never forgotten.
    let init = unsafe {
        pdev.request_optional_threaded_irq_by_name(
            irq::Flags::ONESHOT,
            name,
            c"smmu_rs",
            Ok::<T, Error>(handler),
        )
    };
    KBox::pin_init(init, GFP_KERNEL).ok()
}

impl SmmuRsDriver {
    fn bind<'bound>(pdev: &'bound platform::Device<Core<'_>>) -> Result<Binding<'bound>> {
        let dev: &Device<Bound> = pdev.as_ref();
        if !dma_coherent(dev) {
            dev_err!(
                dev,
                "not probing: smmu_rs needs a cache-coherent SMMU (dma-coherent)\n"
            );
            return Err(ENODEV);
        }
        let Some(start) = pdev
            .resource_by_index(0)
            .filter(|r| r.size() >= REG_SIZE as u64)
            .map(|r| r.start())
        else {
            dev_err!(dev, "not probing: register space smaller than 128 KiB\n");
            return Err(EINVAL);
        };
        // Not `iomap_exclusive_sized`: Linux 7.3's `ExclusiveIoMem` requests
        // the region under the device's resource, which is not in the
        // iomem tree here, and releases it from the tree's root, which
        // fails ("Trying to free nonexistent resource"): a rebind then
        // finds it busy. Only one driver binds the device in any case.
        let io = pdev
            .io_request_by_index(0)
            .ok_or(EINVAL)?
            .iomap_sized::<REG_SIZE>()?
            .into_devres()?;
        // SAFETY: nothing allocates DMA memory for the device yet: its
        // `Smmu` does not exist.
        unsafe { pdev.dma_set_mask_and_coherent(DmaMask::new::<44>())? };
        let (owner, hw) = HwOwner::new(dev);
        // Resets the SMMU with interrupts masked; enables them at the end.
        let smmu = Smmu::new(hw, owner, Regs::new(hw, io))?;
        let pdev: &'bound platform::Device<Bound> = pdev;
        let mut b = Binding {
            smmu: smmu.clone(),
            iommu: None,
            listed: false,
            evtq: threaded_irq(pdev, c"eventq", EventQueueIrq(smmu.clone())),
            gerror: threaded_irq(pdev, c"gerror", GerrorIrq(smmu.clone())),
            poll: None,
        };
        if b.evtq.is_none() || b.gerror.is_none() {
            b.poll = Some(Poller::start(smmu.clone())?);
        }
        // Anything recorded before the handlers existed.
        smmu.service_events();
        smmu.service_gerror();

        let iommu = IommuDevice::new()?;
        SMMUS.lock().push(
            BoundSmmu {
                smmu: smmu.clone(),
                iommu: iommu.as_ptr(),
            },
            GFP_KERNEL,
        )?;
        b.listed = true;
        let iommu = b.iommu.insert(iommu);
        let name = CString::try_from_fmt(fmt!("smmu_rs.{:#018x}", start))?;
        iommu.register(dev, &OPS, &name)?;
        dev_info!(
            dev,
            "smmu_rs: registered (event queue {})\n",
            if b.evtq.is_some() {
                "interrupt"
            } else {
                "polled"
            }
        );
        Ok(b)
    }
}

impl platform::Driver for SmmuRsDriver {
    type IdInfo = ();
    type Data<'bound> = SmmuRsDevice<'bound>;
    const OF_ID_TABLE: Option<of::IdTable<Self::IdInfo>> = Some(&OF_TABLE);

    fn probe<'bound>(
        pdev: &'bound platform::Device<Core<'_>>,
        _info: Option<&'bound Self::IdInfo>,
    ) -> impl PinInit<Self::Data<'bound>, Error> + 'bound {
        let binding = Self::bind(pdev);
        try_pin_init!(SmmuRsDevice {
            binding <- new_mutex!(Some(binding?), "smmu_rs::binding"),
        })
    }

    fn unbind<'bound>(_dev: &'bound platform::Device<Core<'_>>, this: Pin<&Self::Data<'bound>>) {
        let binding = this.binding.lock().take();
        drop(binding);
    }
}
