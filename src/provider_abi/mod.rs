// SPDX-License-Identifier: GPL-2.0

//! The provider interface: what this project's IOMMU drivers (smmu_rs)
//! offer the iommufd_rs front end beyond the IOMMU core API. One Rust
//! definition, compiled into both crates (`#[path]`), so that no layout is
//! written twice.
//!
//! A driver registers a [`ProviderOps`] table for the `iommu_ops` its
//! devices and domains carry ([`Registration`]); the front end looks it up
//! by those ops ([`Provider::get`]), for a device (`dev->iommu->iommu_dev->ops`)
//! or a domain (`domain->owner`), and holds the driver's module while it
//! calls in. The registry between them (`iommufd_rs_driver.ko`, C because an
//! out-of-tree Rust module cannot export symbols) stores only the ops
//! pointer, the owning module and an opaque pointer to the table; it never
//! looks into the table.
//!
//! The table is `#[repr(C)]` with `extern "C"` function pointers, because
//! the two crates are compiled separately: a Rust-ABI vtable (or a
//! `dyn Trait`) has no layout both compilations are guaranteed to agree on.
//! The handles are typed: a domain is a `struct iommu_domain`, a device a
//! `struct device`, a vIOMMU and a virtual id are the driver's own
//! ([`ViommuHandle`], [`VdeviceHandle`]). Guest events reach the front end
//! through an [`EventSink`] the front end hands the driver, not through a
//! function either module exports.
//!
//! Nesting is this interface too: hardware info for IOMMU_GET_HW_INFO, a
//! vIOMMU on a nest-parent domain, virtual stream ids (vDEVICE) and nested
//! domains from a guest's vSTE. Upstream's iommufd core keeps vIOMMU and
//! vDEVICE objects of its own and lets drivers look into them; here the
//! front end keeps the objects and their lifetime rules, and the driver
//! keeps what its hardware needs behind the handles.

use core::ptr::NonNull;
use kernel::{
    bindings,
    error::to_result,
    ffi::{
        c_int,
        c_void, //
    },
    prelude::*,
    ThisModule, //
};

/// What the IOAS needs to know about a domain.
#[repr(C)]
#[derive(Clone, Copy, Default, Debug)]
pub(crate) struct Geometry {
    /// First mappable IOVA.
    pub(crate) aperture_start: u64,
    /// Last mappable IOVA.
    pub(crate) aperture_end: u64,
    /// Page sizes the domain can map.
    pub(crate) pgsize_bitmap: u64,
}

/// An IOMMU domain of the driver (or, for the front end's queries, any
/// domain whose `owner` is the driver's `iommu_ops`).
#[repr(transparent)]
#[derive(Clone, Copy)]
pub(crate) struct DomainHandle(pub(crate) NonNull<bindings::iommu_domain>);

/// A device behind one of the driver's IOMMUs, whose IOMMU state
/// (`dev->iommu`) the caller keeps alive for the call.
#[repr(transparent)]
#[derive(Clone, Copy)]
pub(crate) struct DeviceHandle(pub(crate) NonNull<bindings::device>);

/// The driver's vIOMMU, opaque to the front end.
#[repr(C)]
pub(crate) struct DriverViommu {
    _opaque: [u8; 0],
}

/// A vIOMMU of the driver: from [`ProviderOps::viommu_alloc`] until
/// [`ProviderOps::viommu_free`].
#[repr(transparent)]
#[derive(Clone, Copy)]
pub(crate) struct ViommuHandle(pub(crate) NonNull<DriverViommu>);

/// A virtual id of a device in a vIOMMU: from [`ProviderOps::vdevice_alloc`]
/// until [`ProviderOps::vdevice_free`]. Never reused while the driver is
/// loaded, so that taking back one the driver forgot already
/// ([`ProviderOps::device_leave_user`]) cannot remove a later one.
#[repr(transparent)]
#[derive(Clone, Copy, Default, PartialEq, Eq, Debug)]
pub(crate) struct VdeviceHandle(pub(crate) u64);

/// What an IOVA translates to in a paging domain.
#[repr(C)]
#[derive(Clone, Copy, Default, Debug)]
pub(crate) struct Translation {
    /// The output address.
    pub(crate) phys: u64,
    /// The size of the leaf entry that maps it.
    pub(crate) leaf_size: u64,
}

/// One leaf entry of a paging domain's table.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub(crate) struct Leaf {
    /// Its first IOVA.
    pub(crate) iova: u64,
    /// Its output address.
    pub(crate) phys: u64,
    /// Its size.
    pub(crate) size: u64,
    /// `IOMMU_READ`, `IOMMU_WRITE`, `IOMMU_CACHE`, `IOMMU_MMIO` bits.
    pub(crate) prot: u32,
}

/// A visitor of leaf entries: `visit(ctx, leaf)`, 0 to go on, anything
/// else stops the walk and is its answer.
#[repr(C)]
pub(crate) struct LeafVisitor {
    visit: extern "C" fn(ctx: NonNull<c_void>, leaf: &Leaf) -> c_int,
    ctx: NonNull<c_void>,
}

impl LeafVisitor {
    /// Calls the visitor with `leaf`.
    pub(crate) fn visit(&mut self, leaf: &Leaf) -> c_int {
        (self.visit)(self.ctx, leaf)
    }

    /// Runs `body` with a visitor calling `f`.
    pub(crate) fn with<F, R>(f: &mut F, body: impl FnOnce(&mut LeafVisitor) -> R) -> R
    where
        F: FnMut(&Leaf) -> c_int,
    {
        extern "C" fn trampoline<F: FnMut(&Leaf) -> c_int>(
            ctx: NonNull<c_void>,
            leaf: &Leaf,
        ) -> c_int {
            // SAFETY: `ctx` is the `&mut F` of `with`, which outlives the
            // visitor built there and is used by no one else meanwhile.
            let f = unsafe { ctx.cast::<F>().as_mut() };
            f(leaf)
        }
        let mut v = LeafVisitor {
            visit: trampoline::<F>,
            ctx: NonNull::from(f).cast(),
        };
        body(&mut v)
    }
}

/// The driver's IOMMU_GET_HW_INFO data.
#[repr(C)]
pub(crate) struct HwInfo {
    /// In: the requested `IOMMU_HW_INFO_TYPE_*` (DEFAULT for the driver's
    /// own); out: the type of the data.
    pub(crate) kind: u32,
    /// How many bytes of `data` are the answer.
    pub(crate) len: u32,
    /// The data (`struct iommu_hw_info_arm_smmuv3` for smmu_rs).
    pub(crate) data: [u8; HW_INFO_MAX],
}

impl HwInfo {
    /// The data.
    pub(crate) fn bytes(&self) -> &[u8] {
        &self.data[..(self.len as usize).min(HW_INFO_MAX)]
    }
}

/// The largest hardware info a driver gives.
pub(crate) const HW_INFO_MAX: usize = 64;

/// A guest event record (`struct iommu_vevent_arm_smmuv3`: four
/// little-endian words).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub(crate) struct EventRecord(pub(crate) [u64; 4]);

/// Where a vIOMMU reports the events its guest gets: the front end's
/// vEVENTQ. `report(ctx, record)` may be called in any context (the queue
/// takes only a spinlock) and cannot fail: a full queue counts the loss
/// itself.
#[repr(C)]
#[derive(Clone, Copy)]
pub(crate) struct EventSink {
    /// Queues one record.
    pub(crate) report: extern "C" fn(ctx: NonNull<c_void>, record: &EventRecord),
    /// The queue, live until the sink is cleared
    /// ([`ProviderOps::viommu_set_event_sink`] with `None`).
    pub(crate) ctx: NonNull<c_void>,
}

// SAFETY: the front end's queue behind `ctx` takes reports from any thread
// under its own lock.
unsafe impl Send for EventSink {}
// SAFETY: see `Send`: `report` only needs a shared `ctx`.
unsafe impl Sync for EventSink {}

/// What an [`EventSink`] reports into.
pub(crate) trait EventReceiver: Sync {
    /// Queues one record; called in any context (it must not sleep).
    fn report(&self, record: &EventRecord);
}

impl EventSink {
    /// A sink reporting into `target`. Whoever hands it to a driver
    /// ([`ProviderOps::viommu_set_event_sink`]) keeps `target` alive until
    /// the sink is cleared.
    pub(crate) fn new<T: EventReceiver>(target: &T) -> Self {
        extern "C" fn report<T: EventReceiver>(ctx: NonNull<c_void>, record: &EventRecord) {
            // SAFETY: `ctx` is the `&T` of `new`, live while the sink is
            // set (the promise of whoever set it).
            unsafe { ctx.cast::<T>().as_ref() }.report(record)
        }
        EventSink {
            report: report::<T>,
            ctx: NonNull::from(target).cast(),
        }
    }

    /// Reports `record`.
    pub(crate) fn report(&self, record: &EventRecord) {
        (self.report)(self.ctx, record)
    }
}

/// A nested domain's user data, copied and size-checked by the front end
/// (`IOMMU_HWPT_DATA_ARM_SMMUV3`).
pub(crate) type NestedData = bindings::iommu_hwpt_arm_smmuv3;

/// The provider table. Every function returns 0 or a negative errno.
///
/// Handle arguments are valid for the call: a [`DeviceHandle`]'s IOMMU
/// state and a [`DomainHandle`] are kept alive by the front end, a
/// [`ViommuHandle`] is one the driver gave and has not freed.
#[repr(C)]
pub(crate) struct ProviderOps {
    /// What `iova` translates to in one of the driver's paging domains;
    /// `-ENOENT` if nothing is mapped there, `-EOPNOTSUPP` for a domain
    /// that is not one of its paging domains.
    pub(crate) domain_translate:
        unsafe extern "C" fn(dom: DomainHandle, iova: u64, out: &mut Translation) -> c_int,
    /// Visits every leaf entry of one of the driver's paging domains, in
    /// IOVA order, with the table locked against map and unmap; the first
    /// non-zero answer of the visitor, 0 once every leaf was visited;
    /// `-EOPNOTSUPP` for a domain that is not a paging domain of the
    /// driver. (For iommufd_rs's test-only IOMMU_TEST_IOAS_CHECK.)
    pub(crate) domain_for_each_leaf:
        unsafe extern "C" fn(dom: DomainHandle, visitor: &mut LeafVisitor) -> c_int,
    /// The geometry a nest-parent domain for `dev` would have, without
    /// allocating one.
    pub(crate) nest_parent_geometry:
        unsafe extern "C" fn(dev: DeviceHandle, out: &mut Geometry) -> c_int,
    /// IOMMU_GET_HW_INFO's data for `dev`; `-EOPNOTSUPP` for a type the
    /// driver does not have.
    pub(crate) hw_info: unsafe extern "C" fn(dev: DeviceHandle, out: &mut HwInfo) -> c_int,
    /// Whether `dev`'s IOMMU can have vIOMMUs: 0, or `-EOPNOTSUPP` (logged
    /// with the reason).
    pub(crate) viommu_supported: unsafe extern "C" fn(dev: DeviceHandle) -> c_int,
    /// A vIOMMU over `parent` (a nest-parent domain the front end allocated
    /// for `dev`): `-EINVAL` for a parent that is no nest parent of `dev`'s
    /// IOMMU, `-EOPNOTSUPP` for an IOMMU that cannot nest safely.
    pub(crate) viommu_alloc: unsafe extern "C" fn(
        parent: DomainHandle,
        dev: DeviceHandle,
        out: &mut Option<ViommuHandle>,
    ) -> c_int,
    /// Frees a vIOMMU with no virtual id and no nested domain left.
    pub(crate) viommu_free: unsafe extern "C" fn(viommu: ViommuHandle),
    /// Names `dev` `virt_id` in a vIOMMU: `-EEXIST` for a virtual id or a
    /// device named already, `-EINVAL` for a device of another IOMMU or an
    /// id the IOMMU cannot carry, `-EOPNOTSUPP` for a device the driver
    /// cannot name (several stream ids).
    pub(crate) vdevice_alloc: unsafe extern "C" fn(
        viommu: ViommuHandle,
        dev: DeviceHandle,
        virt_id: u64,
        out: &mut VdeviceHandle,
    ) -> c_int,
    /// Forgets a virtual id, even after its device left its IOMMU or
    /// `device_leave_user` forgot it.
    pub(crate) vdevice_free: unsafe extern "C" fn(viommu: ViommuHandle, vdev: VdeviceHandle),
    /// `dev` left the file that held it: forget every virtual id it has in
    /// any vIOMMU and report none of its events to a guest, so that its
    /// next user finds nothing of this one's.
    pub(crate) device_leave_user: unsafe extern "C" fn(dev: DeviceHandle),
    /// A nested domain on a vIOMMU for `dev` from the user's data, freed
    /// with `iommu_domain_free()`: `-EOPNOTSUPP` for flags, `-EINVAL` for a
    /// device of another IOMMU, `-EIO` for data the driver refuses.
    pub(crate) domain_alloc_nested: unsafe extern "C" fn(
        viommu: ViommuHandle,
        dev: DeviceHandle,
        flags: u32,
        data: &NestedData,
        out: &mut Option<DomainHandle>,
    ) -> c_int,
    /// Carries out `n` guest invalidation commands at `cmds` (two
    /// host-endian words each) in order; `done` is how many were. `-EIO`
    /// for the command at `done`, which was refused.
    pub(crate) cache_invalidate: unsafe extern "C" fn(
        viommu: ViommuHandle,
        cmds: NonNull<[u64; 2]>,
        n: u32,
        done: &mut u32,
    ) -> c_int,
    /// Places a nested domain's MSI doorbells before its MSI cookie is made
    /// at `giova`: the cookie's slot k is mapped at `ipa + k * PAGE_SIZE` of
    /// the parent's stage 2, inside `[ipa, ipa + size)`. `-EINVAL` for a
    /// domain that is not a nested one of the driver, or a bad window.
    pub(crate) nested_msi_window:
        unsafe extern "C" fn(dom: DomainHandle, giova: u64, ipa: u64, size: u64) -> c_int,
    /// Where a vIOMMU reports its guest events, or `None` for nowhere:
    /// `-EEXIST` if it has a sink already. Once cleared, no report is in
    /// flight.
    pub(crate) viommu_set_event_sink:
        unsafe extern "C" fn(viommu: ViommuHandle, sink: Option<&EventSink>) -> c_int,
}

// The registry, `src/registry/registry.c`: exported in the IOMMUFD_RS
// namespace; bindgen does not see its header. Only pointers cross, to the
// kernel's own structs as bindgen generated them (which the lint cannot
// tell are FFI-safe because of zero-sized members).
#[allow(improper_ctypes)]
extern "C" {
    fn iommufd_rs_provider_register(
        ops: *const bindings::iommu_ops,
        owner: *mut bindings::module,
        table: *const c_void,
    ) -> c_int;
    fn iommufd_rs_provider_unregister(ops: *const bindings::iommu_ops);
    fn iommufd_rs_provider_get(ops: *const bindings::iommu_ops) -> *const c_void;
    fn iommufd_rs_provider_put(ops: *const bindings::iommu_ops);
}

/// A driver's provider table, registered while this value lives.
pub(crate) struct Registration {
    ops: *const bindings::iommu_ops,
}

// SAFETY: the value only names the registry entry by its key.
unsafe impl Send for Registration {}
// SAFETY: see `Send`.
unsafe impl Sync for Registration {}

impl Registration {
    /// Registers `table` for the devices and domains carrying `ops`, which
    /// `owner` registered with the IOMMU core; `EEXIST` if `ops` has one.
    pub(crate) fn new(
        ops: *const bindings::iommu_ops,
        owner: &'static ThisModule,
        table: &'static ProviderOps,
    ) -> Result<Self> {
        // SAFETY: the registry only compares `ops`, holds `owner` while the
        // front end uses `table`, and `table` is `'static`; `Drop`
        // unregisters before the module (and `table`) can go.
        to_result(unsafe {
            iommufd_rs_provider_register(ops, owner.as_ptr(), core::ptr::from_ref(table).cast())
        })?;
        Ok(Self { ops })
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        // SAFETY: registered in `new`.
        unsafe { iommufd_rs_provider_unregister(self.ops) }
    }
}

/// A driver's provider, found by its `iommu_ops`, with the driver's module
/// held until this value is dropped.
pub(crate) struct Provider {
    ops: *const bindings::iommu_ops,
    table: &'static ProviderOps,
}

// SAFETY: the table is immutable and its functions may be called from any
// thread; the module reference is dropped from any thread.
unsafe impl Send for Provider {}
// SAFETY: see `Send`.
unsafe impl Sync for Provider {}

impl Provider {
    /// The provider registered for `ops`; `None` if there is none (a driver
    /// not of this project) or its module is going away.
    pub(crate) fn get(ops: *const bindings::iommu_ops) -> Option<Self> {
        if ops.is_null() {
            return None;
        }
        // SAFETY: the registry only compares `ops`.
        let table = unsafe { iommufd_rs_provider_get(ops) };
        // SAFETY: a non-NULL answer is the `&'static ProviderOps` the driver
        // registered ([`Registration::new`]); its module, and so the table,
        // stays until `Drop` puts it.
        let table = unsafe { table.cast::<ProviderOps>().as_ref() }?;
        Some(Self { ops, table })
    }

    /// The `iommu_ops` this provider answers for.
    pub(crate) fn iommu_ops(&self) -> *const bindings::iommu_ops {
        self.ops
    }

    /// The driver's table.
    pub(crate) fn ops(&self) -> &ProviderOps {
        self.table
    }
}

impl Drop for Provider {
    fn drop(&mut self) {
        // SAFETY: `get` took the module reference this gives back.
        unsafe { iommufd_rs_provider_put(self.ops) }
    }
}
