// SPDX-License-Identifier: GPL-2.0

//! The `iommufd_rs` PCI driver. Like vfio-pci it sets `driver_managed_dma`:
//! the kernel's DMA API is not used on these functions, whose DMA is owned
//! by the file they are bound to. Functions are bound to the driver with
//! `driver_override` (it has no ID table), then handed to one file at a
//! time with IOMMU_DEVICE_BIND.
//!
//! DMA ownership: the driver claims it at probe, so from probe to remove
//! the IOMMU core keeps the function's group in its blocking domain
//! whenever no file has attached it (on every IOMMU driver, whatever its
//! default domain: smmu_rs's is identity) and refuses a DMA-API driver on
//! any function of the group. IOMMU_DEVICE_BIND hands the function to a
//! file, and the driver keeps what the core's per-owner cookie would
//! otherwise say: the functions of one group belong to one file at a time
//! ([`GroupEntry`]). The group is attached as a whole: the first function
//! attached attaches it, later ones of the same file join that domain, the
//! last one detached detaches it.
//!
//! Function state: INTx is off from probe to remove (nothing here handles
//! it, and a function asserting INTx on a shared line gets the line shut
//! down for everyone); bus mastering is on only while a file holds the
//! function; like vfio-pci, bind resets the function where it can and
//! saves its config space, release restores that and resets it again, so
//! nothing one user programmed survives into the next.
//!
//! Locking: [`FUNCTIONS`] protects the functions' and groups' entries, and
//! is held across the IOMMU core's attach and detach calls, which take the
//! group mutex and the IOMMU driver's own locks. The device lock is only
//! tried under it (the function resets), never waited for: remove() runs
//! under the device lock and takes [`FUNCTIONS`]. A function's `live` SRCU
//! is entered before [`FUNCTIONS`] is taken, around every call into the
//! function's IOMMU state ([`Function::with_live_device`]); remove() sets
//! `removed` and waits for those calls to end, and a call that finds the
//! function removed leaves the section and waits for remove() to finish
//! (its `removing` mutex) before it answers `ENODEV`, so it never sees the
//! function half removed. 7.3 has no Rust rwsem; SRCU, the flag and that
//! mutex give the rwsem's guarantees with concurrent readers.
//! Lifetime: a function is an `Arc`, held by the driver from probe to
//! remove, by a file that bound it and by an open node; a file never sees
//! freed memory even if the function is unbound from the driver under it.
//!
//! Access: every function bound to the driver gets a device node,
//! `/dev/iommufd_rs/<PCI address>`, root's and mode 0600 until an
//! administrator (or udev) says otherwise, as VFIO cdev nodes are. Whoever
//! can open it can bind the function with IOMMU_DEVICE_BIND_FD and the
//! opened node's descriptor; binding by PCI address needs CAP_SYS_ADMIN.

use crate::{
    kernel_ext::{
        capability,
        chrdev::{
            Node,
            Nodes, //
        },
        eventfd::EventFd,
        fault_point,
        iommu::consumer::{
            self,
            Attachment,
            DmaOwner,
            Group, //
        },
        mmio_vma::FileMappings,
        msi::{
            self,
            MsiVectors, //
        },
        pci_bar::BarMapping,
        pci_function::{
            LockedFunction,
            PciFunctionExt,
            SavedState, //
        },
        pci_owned_driver::{
            OwnedDmaDriver,
            Registration, //
        },
        warn_on_once,
    },
    provider,
    vfio_device::FunctionNode, //
};
use core::sync::atomic::{
    AtomicBool,
    Ordering, //
};
use kernel::{
    alloc::KVVec,
    bindings,
    device::Device,
    ffi::c_void,
    new_mutex, new_srcu, pci,
    prelude::*,
    sync::{
        aref::ARef,
        global_lock,
        Arc,
        Mutex,
        Srcu, //
    },
};

/// One reserved region of a device.
pub(crate) use consumer::ResvRegion;

/// Device nodes: minors of the region, one per function.
const NODES: u32 = 256;

/// A function's state under [`FUNCTIONS`].
struct FunctionEntry {
    func: Arc<Function>,
    /// Its IOMMU group (a reference held from probe to remove: the group
    /// goes with its devices even while a file still holds the function).
    group: Group,
    /// The file it is bound to (its owner cookie), or 0.
    owner: usize,
    /// Counted in its group's attachment.
    attached: bool,
    /// INTx was on at probe; remove() turns it back on.
    intx_was_enabled: bool,
    /// The function reset at bind succeeded, so release resets too.
    reset_works: bool,
    /// Its config space as of bind, which release restores.
    saved: Option<SavedState>,
    /// Its device node and the node's index, if it has one.
    node: Option<(Node, u32)>,
    /// The DMA ownership claimed at probe, released at remove.
    dma: Option<DmaOwner>,
}

/// An IOMMU group with functions bound to this driver, under
/// [`FUNCTIONS`]; the entry goes with the last function.
struct GroupEntry {
    group: Group,
    /// Functions of the group bound to this driver.
    functions: u32,
    /// The file whose functions these are (IOMMU_DEVICE_BIND), or 0: the
    /// group's DMA belongs to one file at a time, as the IOMMU core's DMA
    /// ownership would say if the driver did not hold it itself.
    owner: usize,
    /// Functions of the group bound to `owner`.
    owned: u32,
    /// The domain the group is attached to for `owner`, or none: the
    /// core's blocking domain (the driver owns the group's DMA).
    attachment: Option<Attachment>,
    /// Functions attached to that domain; the group is detached with the
    /// last.
    attached: u32,
}

/// What [`FUNCTIONS`] protects.
struct Registry {
    functions: KVec<FunctionEntry>,
    groups: KVec<GroupEntry>,
    nodes: Option<Pin<KBox<Nodes<FunctionNode>>>>,
}

impl Registry {
    const fn new() -> Self {
        Self {
            functions: KVec::new(),
            groups: KVec::new(),
            nodes: None,
        }
    }

    /// The entries of `func` and of its group.
    fn entries(&mut self, func: &Function) -> Option<(&mut FunctionEntry, &mut GroupEntry)> {
        let f = self
            .functions
            .iter_mut()
            .find(|e| core::ptr::eq(&*e.func, func))?;
        let g = self.groups.iter_mut().find(|g| g.group == f.group)?;
        Some((f, g))
    }
}

global_lock! {
    // SAFETY: initialised by `PciDriver::register()` before the driver and
    // its nodes exist, the only users.
    unsafe(uninit) static FUNCTIONS: Mutex<Registry> = Registry::new();
}

/// A PCI function bound to this driver.
#[pin_data]
pub(crate) struct Function {
    pdev: ARef<pci::Device>,
    /// Entered by every call that uses the function's IOMMU state; remove()
    /// waits for them after setting `removed`: the IOMMU core tears that
    /// state down after remove() returns, so no call can still be in it
    /// then.
    #[pin]
    live: Srcu,
    /// Unbound from this driver: a file holding it gets `ENODEV`.
    removed: AtomicBool,
    /// Held by remove() from before it sets `removed` to its end: a call
    /// that finds the function removed waits on it, so that it returns
    /// only once remove() has taken the function out of its group, as a
    /// reader of an rwsem remove() held for writing would.
    #[pin]
    removing: Mutex<()>,
    /// The MSI vectors a file made, which remove() frees before the
    /// driver's MSI domain goes; made, read and freed in `live`.
    #[pin]
    vectors: Mutex<Option<MsiVectors>>,
    /// Its BARs as a VFIO node user reaches them, mapped at first use and
    /// unmapped when the function goes back from its file or leaves the
    /// driver; used in `live`.
    #[pin]
    bars: Mutex<[Option<BarMapping>; 6]>,
    /// The mappings of the node files whose VMAs map its BARs; every
    /// page in them is zapped when the function goes back or leaves.
    #[pin]
    mappings: Mutex<FileMappings>,
}

impl Function {
    /// Calls `f` with the function's PCI device while it is on this
    /// driver: `ENODEV` once it left (remove() waits for `f`).
    pub(crate) fn with_live_pci<T>(&self, f: impl FnOnce(&pci::Device) -> Result<T>) -> Result<T> {
        self.with_live_device(|_| f(&self.pdev))
    }

    /// Calls `f` with BAR `bar` mapped (at its first use), while the
    /// function is on this driver.
    pub(crate) fn with_bar<T>(
        &self,
        bar: u8,
        f: impl FnOnce(&BarMapping) -> Result<T>,
    ) -> Result<T> {
        self.with_live_device(|_| {
            let mut bars = self.bars.lock();
            let slot = bars.get_mut(usize::from(bar)).ok_or(EINVAL)?;
            if slot.is_none() {
                *slot = Some(BarMapping::new(&self.pdev, bar, c"iommufd_rs")?);
            }
            slot.as_ref().map_or(Err(EINVAL), f)
        })
    }

    /// Records the mapping of a node file whose `vma` will map a BAR, in
    /// the mmap handler.
    pub(crate) fn add_mapping(&self, vma: &kernel::mm::virt::VmaNew) -> Result {
        self.mappings.lock().add(vma)
    }

    /// Zaps every page of the BARs mapped into users' address spaces (a
    /// later access faults, and gets SIGBUS once the function is no longer
    /// the user's) and unmaps the BARs a node user reached.
    fn unmap_bars(&self) {
        self.mappings.lock().zap();
        *self.bars.lock() = [const { None }; 6];
    }

    /// Calls `f` with the function's device while it is kept on this
    /// driver: `ENODEV` once it left. remove() waits for `f` to return.
    fn with_live_device<T>(&self, f: impl FnOnce(&Device) -> Result<T>) -> Result<T> {
        let live = self.live.read_lock();
        if self.removed.load(Ordering::Acquire) {
            // Out of the section first: remove() waits for it.
            drop(live);
            drop(self.removing.lock());
            return Err(ENODEV);
        }
        f(self.pdev.as_ref())
    }

    /// How many MSI vectors a set may ask for: `ENODEV` once the function
    /// left the driver, `ENOSPC` if it has neither MSI-X nor MSI.
    pub(crate) fn msi_capacity(&self) -> Result<u32> {
        if self.removed.load(Ordering::Acquire) {
            return Err(ENODEV);
        }
        u32::try_from(msi::max_vectors(&self.pdev)).map_err(|_| ENOSPC)
    }

    /// Allocates one vector per eventfd of `ctxs`, each signalling its
    /// eventfd; the function must have none (the `fail_msi` fault point
    /// stands in for the PCI core's `ENOSPC`).
    pub(crate) fn enable_vectors(&self, ctxs: &Arc<KVec<EventFd>>) -> Result {
        self.with_live_device(|_| {
            if fault_point::should_fail_msi(ctxs.len() as u64) {
                return Err(ENOSPC);
            }
            let v = MsiVectors::new(&self.pdev, ctxs.clone(), c"iommufd_rs").inspect_err(|_| {
                // The MSI core's unwinding turned INTx back on.
                self.pdev.intx(false);
            })?;
            *self.vectors.lock() = Some(v);
            Ok(())
        })
    }

    /// The doorbell address vector `i` of the set `ctxs` writes: `EINVAL`
    /// if that set's vectors are not in force or have no vector `i`.
    pub(crate) fn vector_address(&self, ctxs: &Arc<KVec<EventFd>>, i: u32) -> Result<u64> {
        self.with_live_device(|_| {
            match self.vectors.lock().as_ref() {
                Some(v) if v.signals(ctxs) => v.msi_address(i),
                _ => None,
            }
            .ok_or(EINVAL)
        })
    }

    /// Frees the vectors of the set `ctxs`, if in force. A function that
    /// left the driver had its vectors freed by remove().
    pub(crate) fn disable_vectors(&self, ctxs: &Arc<KVec<EventFd>>) {
        let _ = self.with_live_device(|_| {
            let mut v = self.vectors.lock();
            if v.as_ref().is_some_and(|v| v.signals(ctxs)) {
                *v = None;
                // Freeing MSI vectors turns INTx back on
                // (pci_msi_shutdown()); it stays off while bound.
                self.pdev.intx(false);
            }
            Ok(())
        });
    }
}

/// The function whose node has index `index`, for an open of the node.
pub(crate) fn function_of_node(index: u32) -> Result<Arc<Function>> {
    FUNCTIONS
        .lock()
        .functions
        .iter()
        .find(|e| e.node.as_ref().is_some_and(|(_, i)| *i == index))
        .map(|e| e.func.clone())
        .ok_or(ENODEV)
}

/// The driver's side of probe and remove.
struct IommufdRsPci;

/// Gives the function of `entry` a node; failure leaves it usable by
/// address. With [`FUNCTIONS`] held.
fn node_add(reg: &mut Registry, idx: usize) {
    let Some(nodes) = reg.nodes.as_ref() else {
        return;
    };
    let used = |i: u32| {
        reg.functions
            .iter()
            .any(|e| e.node.as_ref().is_some_and(|(_, n)| *n == i))
    };
    let Some(e) = reg.functions.get(idx) else {
        return;
    };
    let dev: &Device = e.func.pdev.as_ref();
    let Some(index) = (0..NODES).find(|i| !used(*i)) else {
        dev_warn!(dev, "iommufd_rs: no device node ({})\n", ENOSPC.to_errno());
        return;
    };
    match nodes.add(dev, index) {
        Ok(node) => {
            if let Some(e) = reg.functions.get_mut(idx) {
                e.node = Some((node, index));
            }
        }
        Err(err) => dev_warn!(dev, "iommufd_rs: no device node ({})\n", err.to_errno()),
    }
}

/// The group of `entry` leaves the domain of its owner with it, if it was
/// the last function attached: back to the core's blocking domain.
fn group_detach(entry: &mut FunctionEntry, grp: &mut GroupEntry) {
    entry.attached = false;
    grp.attached -= 1;
    if grp.attached == 0 {
        if let Some(a) = grp.attachment.take() {
            a.detach();
        }
    }
}

/// The config space saved at bind goes back and the function is reset
/// where it can be, as `vfio_pci_core_disable()` does. `locked`: the
/// caller holds the device lock (remove()); otherwise it is only tried, and
/// the reset is skipped if someone else holds it.
fn function_restore(entry: &mut FunctionEntry, locked: Option<&LockedFunction<'_>>) {
    let pdev = &entry.func.pdev;
    let restored = match entry.saved.take() {
        Some(saved) => pdev.load_saved_state(saved).is_ok(),
        None => false,
    };
    // Without the bind's state, a reset with the current one.
    if !restored {
        if !entry.reset_works {
            return;
        }
        pdev.save_state();
    }
    // As pci_reset_function(): no INTx or bus mastering during the reset.
    pdev.write_command(bindings::PCI_COMMAND_INTX_DISABLE as u16);
    if entry.reset_works {
        match locked {
            Some(l) => l.reset(),
            None => pdev.reset_if_unlocked(),
        }
    }
    pdev.restore_state();
}

/// Takes a function back from its file (DESTROY, close, or remove() under
/// a file), with [`FUNCTIONS`] held: out of its group's attachment if the
/// file left it attached (only remove() finds it so: a file detaches before
/// it lets go), no bus mastering, config space as at bind and a reset where
/// there is one. The group stays in the driver's DMA ownership: blocked.
fn release(entry: &mut FunctionEntry, grp: &mut GroupEntry, locked: Option<&LockedFunction<'_>>) {
    if entry.attached {
        group_detach(entry, grp);
    }
    entry.func.unmap_bars();
    entry.func.pdev.bus_master_off();
    function_restore(entry, locked);
    entry.func.pdev.intx(false);
    entry.func.pdev.disable();
    grp.owned -= 1;
    if grp.owned == 0 {
        grp.owner = 0;
    }
    entry.owner = 0;
}

/// Claims a function for `owner`, with [`FUNCTIONS`] held: the driver's
/// DMA ownership passes to the file, which may hold the other functions of
/// the group but no other file may. Then, as `vfio_pci_core_enable()`: no
/// bus mastering in the state saved, enabled, reset where the function has
/// a reset method, config space saved for release; bus mastering for the
/// file's DMA and MSI.
fn claim(entry: &mut FunctionEntry, grp: &mut GroupEntry, owner: usize) -> Result {
    let pdev = &entry.func.pdev;
    if entry.func.removed.load(Ordering::Acquire) {
        return Err(ENODEV);
    }
    if entry.owner != 0 || (grp.owner != 0 && grp.owner != owner) {
        return Err(EBUSY);
    }
    pdev.bus_master_off();
    pdev.enable()?;
    let reset = pdev.try_reset();
    // The device lock is busy (remove() under way, a sysfs reset).
    if reset == Err(EAGAIN) {
        pdev.disable();
        return Err(EAGAIN);
    }
    entry.reset_works = reset.is_ok();
    pdev.save_state();
    entry.saved = pdev.store_saved_state();
    if entry.saved.is_none() {
        dev_dbg!(pdev.as_ref(), "iommufd_rs: config space not saved\n");
    }
    pdev.intx(false);
    pdev.bus_master_on();
    grp.owner = owner;
    grp.owned += 1;
    entry.owner = owner;
    Ok(())
}

impl OwnedDmaDriver for IommufdRsPci {
    type Data = Function;

    fn probe(func: LockedFunction<'_>, cookie: *const c_void) -> Result<Arc<Function>> {
        let pdev = func.pdev();
        let dev: &Device = pdev.as_ref();
        if !consumer::device_iommu_mapped(dev) {
            dev_warn!(dev, "iommufd_rs: not behind an IOMMU, refusing\n");
            return Err(ENODEV);
        }
        let group = Group::of(dev).ok_or(ENODEV)?;
        let f = Arc::pin_init(
            try_pin_init!(Function {
                pdev: pdev.into(),
                live <- new_srcu!(),
                removed: AtomicBool::new(false),
                removing <- new_mutex!(()),
                vectors <- new_mutex!(None),
                bars <- new_mutex!([const { None }; 6]),
                mappings <- new_mutex!(FileMappings::default()),
            }),
            GFP_KERNEL,
        )?;
        // The driver owns the function's DMA from here to remove(): the
        // core puts the group in its blocking domain. The cookie is the
        // driver's, the same for every function, so functions of one group
        // can all be ours; which file has them is the driver's to say
        // (`claim`).
        let dma = DmaOwner::claim(dev, cookie).map_err(|e| {
            dev_warn!(
                dev,
                "iommufd_rs: its IOMMU group is in use ({}), refusing\n",
                e.to_errno()
            );
            if e == EPERM {
                EBUSY
            } else {
                e
            }
        })?;
        // No DMA and no INTx until a file holds it (INTx: not even then).
        pdev.bus_master_off();
        let intx_was_enabled = pdev.command() & bindings::PCI_COMMAND_INTX_DISABLE as u16 == 0;
        pdev.intx(false);
        let mut reg = FUNCTIONS.lock();
        let reg = &mut *reg;
        let listed = (|| -> Result {
            reg.functions.reserve(1, GFP_KERNEL)?;
            match reg.groups.iter_mut().find(|g| g.group == group) {
                Some(g) => g.functions += 1,
                None => reg.groups.push(
                    GroupEntry {
                        group: Group::of(dev).ok_or(ENODEV)?,
                        functions: 1,
                        owner: 0,
                        owned: 0,
                        attachment: None,
                        attached: 0,
                    },
                    GFP_KERNEL,
                )?,
            }
            // Cannot fail: reserved above.
            reg.functions.push(
                FunctionEntry {
                    func: f.clone(),
                    group,
                    owner: 0,
                    attached: false,
                    intx_was_enabled,
                    reset_works: false,
                    saved: None,
                    node: None,
                    dma: Some(dma),
                },
                GFP_KERNEL,
            )?;
            Ok(())
        })();
        if let Err(e) = listed {
            // The DMA ownership goes with `dma`; INTx as it was.
            if intx_was_enabled {
                pdev.intx(true);
            }
            return Err(e);
        }
        node_add(reg, reg.functions.len() - 1);
        Ok(f)
    }

    /// Unbinding the driver from a function a file still holds (an
    /// administrator's unbind, or hot removal): the file loses the function
    /// and later commands on it answer `ENODEV`, and the function leaves
    /// its group's attachment here. If it was the last function attached,
    /// the group goes back to blocking; if another function of the group
    /// is still attached, the group stays on that domain for it, and the
    /// file's HWPT stays alive as long as that function is attached (the
    /// HWPT counts it). So the domain is never freed while the group is on
    /// it.
    ///
    /// `vfio_unregister_group_dev()` instead waits until the user closes
    /// the device, asking it to through the device's request interrupt.
    /// This driver has no such channel, so waiting would hang the unbind
    /// (or a surprise removal) on a user who never learns it should let
    /// go; and the function's part in the group is the driver's
    /// bookkeeping, so it can be taken out safely without the user.
    fn remove(func: LockedFunction<'_>, f: Arc<Function>) {
        let pdev = func.pdev();
        // No new opens; an open node keeps its function (and gets ENODEV).
        {
            let mut reg = FUNCTIONS.lock();
            let reg = &mut *reg;
            let node = reg
                .functions
                .iter_mut()
                .find(|e| Arc::ptr_eq(&e.func, &f))
                .and_then(|e| e.node.take());
            if let (Some((node, _)), Some(nodes)) = (node, reg.nodes.as_ref()) {
                nodes.remove(node);
            }
        }
        // Waits for calls in the function's IOMMU state; later ones fail,
        // once this is done.
        let _removing = f.removing.lock();
        f.removed.store(true, Ordering::Release);
        f.live.synchronize();
        // The file's MSI vectors go before the driver's MSI domain does,
        // and its BAR mappings before the function may disappear.
        *f.vectors.lock() = None;
        f.unmap_bars();
        let mut reg = FUNCTIONS.lock();
        let reg = &mut *reg;
        let Some(i) = reg.functions.iter().position(|e| Arc::ptr_eq(&e.func, &f)) else {
            return;
        };
        let Ok(mut entry) = reg.functions.remove(i) else {
            return;
        };
        let Some(gi) = reg.groups.iter().position(|g| g.group == entry.group) else {
            return;
        };
        if let Some(grp) = reg.groups.get_mut(gi) {
            if entry.owner != 0 {
                dev_warn!(pdev.as_ref(), "iommufd_rs: removed while bound to a file\n");
                provider::device_leaves(pdev.as_ref());
                release(&mut entry, grp, Some(&func));
            }
            grp.functions -= 1;
            if grp.functions == 0 {
                let _ = reg.groups.remove(gi);
            }
        }
        drop(entry.dma.take());
        if entry.intx_was_enabled {
            pdev.intx(true);
        }
    }
}

/// Whether a group of a function of this driver is on `dom`, by the
/// driver's count or by the IOMMU core's word: freeing `dom` now would
/// leave that group on freed memory.
pub(crate) fn domain_in_use(dom: &consumer::Domain) -> bool {
    let reg = FUNCTIONS.lock();
    reg.groups
        .iter()
        .any(|g| g.attachment.as_ref().is_some_and(|a| a.is_on(dom)))
        || reg
            .functions
            .iter()
            .any(|e| consumer::device_is_on(e.func.pdev.as_ref(), dom))
}

/// The `iommufd_rs` PCI driver and its nodes, registered while this value
/// lives.
pub(crate) struct PciDriver {
    reg: Option<Pin<KBox<Registration<IommufdRsPci>>>>,
}

impl PciDriver {
    /// The module's PCI side at load: its fault points, the nodes' class
    /// and region, then the driver.
    pub(crate) fn register(module: &'static ThisModule) -> Result<Self> {
        // SAFETY: called once, at load, before anything uses the lock.
        unsafe { FUNCTIONS.init() };
        fault_point::fault_points_init();
        let reg = Nodes::new(c"iommufd_rs", NODES).and_then(|nodes| {
            FUNCTIONS.lock().nodes = Some(nodes);
            KBox::pin_init(Registration::new(c"iommufd_rs", module), GFP_KERNEL)
        });
        match reg {
            Ok(reg) => Ok(Self { reg: Some(reg) }),
            Err(e) => {
                FUNCTIONS.lock().nodes = None;
                fault_point::fault_points_exit();
                Err(e)
            }
        }
    }
}

impl Drop for PciDriver {
    fn drop(&mut self) {
        // Unregistering removes every function; no file can hold one any
        // more (an open file pins the module, so this runs after all
        // closed). Then the nodes' class and region, and what the lists
        // had allocated.
        drop(self.reg.take());
        let lists = core::mem::replace(&mut *FUNCTIONS.lock(), Registry::new());
        drop(lists);
        fault_point::fault_points_exit();
    }
}

/// A PCI function bound to a file, with DMA ownership of its group.
pub(crate) struct BoundDevice {
    func: Arc<Function>,
}

impl BoundDevice {
    /// Binds function `rid` (bus << 8 | devfn) of `segment` to the file
    /// whose context is `owner` (the functions of a group belong to one
    /// owner at a time). Any function of the driver, so only for
    /// CAP_SYS_ADMIN (`EPERM`): everyone else binds by the function's node
    /// ([`Self::bind_fd`]). `ENODEV` if no such function is bound to this
    /// driver; `EBUSY` if it is bound to a file, or another function of its
    /// group is bound to another file; `EAGAIN` if the function's device
    /// lock is held (it is being reset or unbound).
    pub(crate) fn bind(segment: u32, rid: u32, owner: *mut c_void) -> Result<Self> {
        if !capability::capable(capability::Capability::SysAdmin) {
            return Err(EPERM);
        }
        let mut reg = FUNCTIONS.lock();
        let func = reg
            .functions
            .iter()
            .find(|e| e.func.pdev.segment() == segment && u32::from(e.func.pdev.dev_id()) == rid)
            .map(|e| e.func.clone())
            .ok_or(ENODEV)?;
        let (entry, grp) = reg.entries(&func).ok_or(ENODEV)?;
        claim(entry, grp, owner as usize)?;
        Ok(Self { func })
    }

    /// Binds the function whose node `fd` has open (the node's permissions
    /// are the access control), with DMA ownership of its group for
    /// `owner`: `EBADF` for a descriptor that is not open, `EINVAL` for one
    /// that is no function node, `ENODEV` if the function left the driver
    /// since it was opened; `EBUSY` and `EAGAIN` as for [`Self::bind`].
    pub(crate) fn bind_fd(fd: i32, owner: *mut c_void) -> Result<Self> {
        // The node's file is dropped with FUNCTIONS released: if it was
        // closed meanwhile, this is its last reference, and its release
        // takes FUNCTIONS.
        let node = FUNCTIONS
            .lock()
            .nodes
            .as_ref()
            .ok_or(ENODEV)?
            .object_of_fd(fd)?;
        let bound = Self::bind_node(node.function(), owner);
        drop(node);
        bound
    }

    /// Binds `func` (the function of a node the caller has open) for
    /// `owner`: `ENODEV`, `EBUSY` and `EAGAIN` as for [`Self::bind`].
    pub(crate) fn bind_node(func: &Arc<Function>, owner: *mut c_void) -> Result<Self> {
        let mut reg = FUNCTIONS.lock();
        let (entry, grp) = reg.entries(func).ok_or(ENODEV)?;
        claim(entry, grp, owner as usize)?;
        Ok(Self { func: func.clone() })
    }

    /// The function, by identity (its reserved ranges' tag in an IOAS).
    pub(crate) fn key(&self) -> usize {
        core::ptr::from_ref::<Function>(&self.func) as usize
    }

    /// The function, for its MSI vectors.
    pub(crate) fn function(&self) -> &Arc<Function> {
        &self.func
    }

    /// `IOMMU_HW_CAP_*` bits of the generic IOMMU_GET_HW_INFO answer: only
    /// "ATS not supported" can apply, since this module tracks no dirty
    /// pages and exposes no PASID. `ENODEV` if it left the driver.
    pub(crate) fn hw_caps(&self) -> Result<u64> {
        self.with_live_device(|d| {
            let ats =
                consumer::device_iommu_capable(d, bindings::iommu_cap_IOMMU_CAP_PCI_ATS_SUPPORTED);
            Ok(if ats {
                0
            } else {
                u64::from(bindings::iommufd_hw_capabilities_IOMMU_HW_CAP_PCI_ATS_NOT_SUPPORTED)
            })
        })
    }

    /// The device's reserved regions, as its IOMMU driver reports them.
    pub(crate) fn resv_regions(&self) -> Result<KVVec<ResvRegion>> {
        self.with_live_device(consumer::resv_regions)
    }

    /// Calls `f` with the function's device while it is kept on this
    /// driver (its IOMMU state with it): `ENODEV` once it left the driver.
    /// remove() waits for `f` to return.
    pub(crate) fn with_live_device<T>(&self, f: impl FnOnce(&Device) -> Result<T>) -> Result<T> {
        self.func.with_live_device(f)
    }

    /// Attaches the function, and so its IOMMU group, to `dom`: the first
    /// function of a group attaches the group; a later one (of the same
    /// file, which owns the whole group) joins the domain the group is on.
    /// `EINVAL` if the group is on another domain (all of a group's
    /// functions share one; upstream iommufd answers the same), or the
    /// core's error (`EINVAL` for a domain the device cannot use).
    pub(crate) fn attach(&self, dom: &consumer::Domain) -> Result {
        self.with_live_device(|_| {
            let mut reg = FUNCTIONS.lock();
            let (entry, grp) = reg.entries(&self.func).ok_or(ENODEV)?;
            if warn_on_once!(entry.attached || entry.owner != grp.owner) {
                return Err(EBUSY);
            }
            match grp.attachment.as_ref() {
                Some(a) if !a.is_on(dom) => return Err(EINVAL),
                Some(_) => {}
                None => grp.attachment = Some(grp.group.attach(dom)?),
            }
            grp.attached += 1;
            entry.attached = true;
            Ok(())
        })
    }

    /// Detaches the function from `dom`; its group goes back to blocking
    /// with the last function attached. Nothing for a function that left
    /// the driver: remove() took it out of its group's attachment.
    pub(crate) fn detach(&self, dom: &consumer::Domain) {
        let _ = self.with_live_device(|_| {
            let mut reg = FUNCTIONS.lock();
            if let Some((entry, grp)) = reg.entries(&self.func) {
                let on = grp.attachment.as_ref().is_some_and(|a| a.is_on(dom));
                if entry.attached && !warn_on_once!(!on) {
                    group_detach(entry, grp);
                }
            }
            Ok(())
        });
    }
}

impl Drop for BoundDevice {
    /// Gives the function back (DESTROY, close).
    fn drop(&mut self) {
        let mut reg = FUNCTIONS.lock();
        if let Some((entry, grp)) = reg.entries(&self.func) {
            if entry.owner != 0 {
                release(entry, grp, None);
            }
        }
    }
}
