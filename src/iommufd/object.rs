// SPDX-License-Identifier: GPL-2.0

//! The objects of a file, their ids and the one rule of their lifetimes.
//!
//! Every object carries an [`ObjectHeader`]: its id in the file's table
//! and its dependency count, upstream iommufd's `struct iommufd_object`
//! (`id`, `users`). An object that another one depends on is held through
//! a [`Dep`], which keeps it alive and counts as one user; IOMMU_DESTROY of
//! an object with users is `-EBUSY`, whatever its kind
//! ([`ObjectTable::destroy`]), as upstream's `refcount_dec_if_one(&users)`.
//!
//! The dependency graph (an arrow is a [`Dep`] held by its tail):
//!
//! ```text
//!   device ──attachment──> HWPT ──> IOAS
//!     └─attachment─┐        ^
//!                  v        │ (while it has devices)
//!               device    IOAS's list of automatic HWPTs
//! ```
//!
//! - A HWPT depends on the IOAS whose areas it maps.
//! - An attached device's attachment depends on its HWPT, and counts as a
//!   user of the device itself: an attached device must be detached before
//!   DESTROY (upstream detaches in the VFIO unbind that destroys it).
//! - An automatic HWPT is also held by its IOAS's list while it has
//!   devices; it leaves the list and the table with its last device.
//!
//! Nesting, with the same rule:
//!
//! ```text
//!   vIOMMU ──> nest-parent HWPT        nested HWPT ──> vIOMMU
//!   vDEVICE ──> vIOMMU                 device ──attachment──> nested HWPT
//!   vEVENTQ ──> vIOMMU
//!                                          └──attachment──> its vDEVICE
//! ```
//!
//! - A vDEVICE does not depend on its device: destroying the device
//!   object destroys its vDEVICE with it (upstream's tombstone; a later
//!   DESTROY of the vDEVICE's id is `-ENOENT`).
//! - A device attached to a nested HWPT of a vIOMMU in which it has a
//!   vDEVICE holds that vDEVICE too: the guest's stage 1 names the device
//!   by it (upstream lets the vDEVICE go and keeps the STE).
//!
//! Objects are reference counted (`Arc`): an ioctl takes its own reference
//! under the table lock and works without it, so DESTROY never waits for a
//! command in flight; whatever the command still holds is freed when it
//! finishes. A new [`Dep`] on a published object is only made under the
//! table lock ([`ObjectTable::depend`]), so once DESTROY has taken an object
//! out of the table nothing can come to depend on it; [`Dep::clone`] and
//! [`Dep::new_unpublished`] cannot race with DESTROY (the object is busy
//! already, or has no id yet).

use crate::{
    device::DeviceObject,
    hwpt::HwptObject,
    ioas::IoasObject,
    veventq::VeventqObject,
    viommu::{
        VdeviceObject,
        ViommuObject, //
    }, //
};
use core::{
    ops::Deref,
    sync::atomic::{
        AtomicUsize,
        Ordering, //
    }, //
};
use kernel::{
    alloc::KVVec,
    prelude::*,
    sync::{
        Arc,
        SetOnce, //
    }, //
};

/// What every object carries: its id and its dependency count.
///
/// Locking: `id` is set once, by [`ObjectTable::insert`] under the table
/// lock, before any other thread can find the object. `users` grows
/// only by [`ObjectTable::depend`] (under the table lock) or by cloning a
/// [`Dep`], and shrinks when a [`Dep`] drops.
#[derive(Default)]
pub(crate) struct ObjectHeader {
    id: SetOnce<u32>,
    users: AtomicUsize,
}

impl ObjectHeader {
    /// The object's id in its file (0 until published).
    pub(crate) fn id(&self) -> u32 {
        self.id.copy().unwrap_or(0)
    }

    /// How many dependants the object has.
    fn users(&self) -> usize {
        self.users.load(Ordering::Acquire)
    }

    /// Counts one more dependant. Only [`Dep`] and [`DeviceObject`]'s
    /// attachment call this.
    pub(crate) fn get(&self) {
        self.users.fetch_add(1, Ordering::AcqRel);
    }

    /// Counts one dependant fewer.
    pub(crate) fn put(&self) {
        self.users.fetch_sub(1, Ordering::AcqRel);
    }
}

/// An object kind of the table.
pub(crate) trait FileObject: Send + Sync {
    /// Its header.
    fn header(&self) -> &ObjectHeader;
    /// Its entry in [`Object`], for typed lookups.
    fn from_object(obj: &Object) -> Option<&Arc<Self>>;
}

/// Makes `$t`, whose header is its `header` field, the object kind of
/// variant `Object::$variant`.
macro_rules! file_object {
    ($t:ty, $variant:ident) => {
        impl $crate::object::FileObject for $t {
            fn header(&self) -> &$crate::object::ObjectHeader {
                &self.header
            }

            fn from_object(obj: &$crate::object::Object) -> Option<&Arc<Self>> {
                match obj {
                    $crate::object::Object::$variant(o) => Some(o),
                    _ => None,
                }
            }
        }
    };
}
pub(crate) use file_object;

/// A dependency on an object: keeps it alive and makes its DESTROY
/// `-EBUSY` while this lives.
pub(crate) struct Dep<T: FileObject>(Arc<T>);

impl<T: FileObject> Dep<T> {
    /// A dependency on an object no file has published yet (it has no id,
    /// so no DESTROY can race with this).
    pub(crate) fn new_unpublished(obj: Arc<T>) -> Self {
        obj.header().get();
        Self(obj)
    }

    /// The object.
    pub(crate) fn arc(&self) -> &Arc<T> {
        &self.0
    }
}

impl<T: FileObject> Clone for Dep<T> {
    /// Another dependency on an object that is already busy.
    fn clone(&self) -> Self {
        self.0.header().get();
        Self(self.0.clone())
    }
}

impl<T: FileObject> Deref for Dep<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: FileObject> Drop for Dep<T> {
    fn drop(&mut self) {
        self.0.header().put();
    }
}

/// An object of a file.
pub(crate) enum Object {
    /// An I/O address space.
    Ioas(Arc<IoasObject>),
    /// A PCI function bound with IOMMU_DEVICE_BIND.
    Device(Arc<DeviceObject>),
    /// A paging HWPT (IOMMU_HWPT_ALLOC, or automatic from
    /// IOMMU_DEVICE_ATTACH), or a nested one (IOMMU_HWPT_ALLOC on a vIOMMU).
    Hwpt(Arc<HwptObject>),
    /// A vIOMMU (IOMMU_VIOMMU_ALLOC).
    Viommu(Arc<ViommuObject>),
    /// A device's virtual id in a vIOMMU (IOMMU_VDEVICE_ALLOC).
    Vdevice(Arc<VdeviceObject>),
    /// A vIOMMU's event queue (IOMMU_VEVENTQ_ALLOC).
    Veventq(Arc<VeventqObject>),
}

impl Object {
    fn header(&self) -> &ObjectHeader {
        match self {
            Object::Ioas(o) => o.header(),
            Object::Device(o) => o.header(),
            Object::Hwpt(o) => o.header(),
            Object::Viommu(o) => o.header(),
            Object::Vdevice(o) => o.header(),
            Object::Veventq(o) => o.header(),
        }
    }
}

/// The table. Protected by the file's state mutex.
///
/// Ids are slot indices plus one. The empty slots are kept in `free`, a
/// binary min-heap of their indices, so that an insert takes the lowest
/// free id (as upstream's `xa_alloc()` over `xa_limit_31b` does) in
/// O(log n) instead of scanning the slots.
#[derive(Default)]
pub(crate) struct ObjectTable {
    slots: KVVec<Option<Object>>,
    /// The indices of the empty slots, a min-heap. Its capacity never falls
    /// below `slots.len()`, so [`Self::remove`] never allocates.
    free: KVVec<u32>,
    live: usize,
}

impl ObjectTable {
    /// Stores `obj` under the lowest free id (as upstream's `xa_alloc`
    /// gives) and writes the id into its header.
    pub(crate) fn insert(&mut self, obj: Object) -> Result<u32> {
        let reuse = self.free.first().copied();
        if reuse.is_none() {
            // A new slot, and room in `free` for its index (see there).
            self.slots.reserve(1, GFP_KERNEL_ACCOUNT)?;
            let want = (self.slots.len() + 1).saturating_sub(self.free.len());
            self.free.reserve(want, GFP_KERNEL_ACCOUNT)?;
        }
        let idx = reuse.map_or(self.slots.len(), |i| i as usize);
        let id = u32::try_from(idx + 1).map_err(|_| ENOSPC)?;
        // An object is published once: a second insert is a bug.
        if !obj.header().id.populate(id) {
            return Err(EINVAL);
        }
        if reuse.is_some() {
            self.pop_free();
            let slot = self.slots.get_mut(idx).ok_or(EINVAL)?;
            *slot = Some(obj);
        } else {
            // Cannot allocate: reserved above.
            self.slots.push(Some(obj), GFP_KERNEL_ACCOUNT)?;
        }
        self.live += 1;
        Ok(id)
    }

    /// Adds slot `idx` to the free heap. Never allocates: the heap's
    /// capacity covers every slot.
    fn push_free(&mut self, idx: u32) {
        if self.free.push_within_capacity(idx).is_err() {
            // Unreachable by the capacity invariant; were it reached, the
            // id would only never be handed out again.
            return;
        }
        let heap = self.free.as_mut_slice();
        let mut at = heap.len() - 1;
        while at > 0 {
            let parent = (at - 1) / 2;
            if heap[parent] <= heap[at] {
                break;
            }
            heap.swap(parent, at);
            at = parent;
        }
    }

    /// Removes the lowest index from the free heap.
    fn pop_free(&mut self) {
        let Some(last) = self.free.pop() else {
            return;
        };
        let heap = self.free.as_mut_slice();
        let Some(root) = heap.first_mut() else {
            return;
        };
        *root = last;
        let mut at = 0;
        loop {
            let (l, r) = (2 * at + 1, 2 * at + 2);
            let mut min = at;
            if l < heap.len() && heap[l] < heap[min] {
                min = l;
            }
            if r < heap.len() && heap[r] < heap[min] {
                min = r;
            }
            if min == at {
                break;
            }
            heap.swap(at, min);
            at = min;
        }
    }

    fn slot(&self, id: u32) -> Option<&Object> {
        let idx = (id as usize).checked_sub(1)?;
        self.slots.get(idx)?.as_ref()
    }

    /// Object `id` of kind `T` (`-ENOENT` if there is none, or it is of
    /// another kind).
    pub(crate) fn get<T: FileObject>(&self, id: u32) -> Result<Arc<T>> {
        self.slot(id)
            .and_then(T::from_object)
            .cloned()
            .ok_or(ENOENT)
    }

    /// Whether an object of any kind has id `id`.
    pub(crate) fn exists(&self, id: u32) -> bool {
        self.slot(id).is_some()
    }

    /// A dependency on object `id` of kind `T` (`-ENOENT` as [`Self::get`]).
    pub(crate) fn depend<T: FileObject>(&self, id: u32) -> Result<Dep<T>> {
        let obj = self.get::<T>(id)?;
        obj.header().get();
        Ok(Dep(obj))
    }

    /// Removes object `id` for IOMMU_DESTROY: `-ENOENT` if there is none,
    /// `-EBUSY` if anything depends on it.
    pub(crate) fn destroy(&mut self, id: u32) -> Result<Object> {
        if self.slot(id).ok_or(ENOENT)?.header().users() != 0 {
            return Err(EBUSY);
        }
        self.remove(id)
    }

    /// Removes object `id` (`-ENOENT` if there is none), whatever depends
    /// on it: for undoing a publication.
    pub(crate) fn remove(&mut self, id: u32) -> Result<Object> {
        let idx = id.checked_sub(1).ok_or(ENOENT)?;
        let obj = self
            .slots
            .get_mut(idx as usize)
            .and_then(Option::take)
            .ok_or(ENOENT)?;
        self.push_free(idx);
        self.live -= 1;
        Ok(obj)
    }

    /// Removes `obj` if it is the object under its id, else nothing.
    pub(crate) fn remove_same<T: FileObject>(&mut self, obj: &Arc<T>) -> Option<Object> {
        let id = obj.header().id();
        let same = self
            .slot(id)
            .and_then(T::from_object)
            .is_some_and(|o| Arc::ptr_eq(o, obj));
        if same {
            self.remove(id).ok()
        } else {
            None
        }
    }

    /// Whether `obj` is in the table (by identity).
    pub(crate) fn holds<T: FileObject>(&self, obj: &Arc<T>) -> bool {
        self.slot(obj.header().id())
            .and_then(T::from_object)
            .is_some_and(|o| Arc::ptr_eq(o, obj))
    }

    /// The vDEVICE of `dev`, if it has one (a device has at most one).
    pub(crate) fn vdevice_of(&self, dev: &DeviceObject) -> Option<Arc<VdeviceObject>> {
        self.slots.iter().find_map(|s| match s {
            Some(Object::Vdevice(v)) if v.device_key() == dev.key() => Some(v.clone()),
            _ => None,
        })
    }

    /// A dependency on the vDEVICE of `dev` in `viommu`, if it has one;
    /// under the table lock, as [`Self::depend`].
    pub(crate) fn depend_vdevice(
        &self,
        dev: &DeviceObject,
        viommu: &ViommuObject,
    ) -> Option<Dep<VdeviceObject>> {
        let v = self.vdevice_of(dev).filter(|v| v.names(dev, viommu))?;
        v.header().get();
        Some(Dep(v))
    }

    /// Every IOAS of the table, in id order.
    pub(crate) fn ioases(&self) -> impl Iterator<Item = &Arc<IoasObject>> {
        self.slots.iter().filter_map(|s| match s {
            Some(Object::Ioas(ioas)) => Some(ioas),
            _ => None,
        })
    }

    /// Whether the file holds no object.
    pub(crate) fn is_empty(&self) -> bool {
        self.live == 0
    }
}
