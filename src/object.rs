// SPDX-License-Identifier: GPL-2.0

//! The per-file object table: ids from 1 (the lowest free one, as
//! upstream's `xa_alloc` gives), typed lookups.
//!
//! Objects are reference counted (`Arc`): an ioctl takes its own reference
//! under the table lock and works without it, so DESTROY never waits for a
//! command in flight; whatever the command still holds is freed when it
//! finishes.

use crate::{attach::DeviceObject, hwpt::Hwpt, ioas_object::IoasObject};
use core::sync::atomic::Ordering;
use kernel::{alloc::KVVec, prelude::*, sync::Arc};

/// An object of a file.
pub(crate) enum Object {
    /// An I/O address space.
    Ioas(Arc<IoasObject>),
    /// A PCI function bound with IOMMU_DEVICE_BIND.
    Device(Arc<DeviceObject>),
    /// A paging HWPT (IOMMU_HWPT_ALLOC, or automatic from
    /// IOMMU_DEVICE_ATTACH).
    Hwpt(Arc<Hwpt>),
}

/// The table. Protected by the file's state mutex.
#[derive(Default)]
pub(crate) struct ObjectTable {
    slots: KVVec<Option<Object>>,
    live: usize,
}

impl ObjectTable {
    /// Stores `obj` under the lowest free id.
    pub(crate) fn insert(&mut self, obj: Object) -> Result<u32> {
        let idx = match self.slots.iter().position(|s| s.is_none()) {
            Some(i) => {
                self.slots[i] = Some(obj);
                i
            }
            None => {
                self.slots.push(Some(obj), GFP_KERNEL_ACCOUNT)?;
                self.slots.len() - 1
            }
        };
        self.live += 1;
        u32::try_from(idx + 1).map_err(|_| ENOSPC)
    }

    fn slot(&self, id: u32) -> Option<&Object> {
        let idx = (id as usize).checked_sub(1)?;
        self.slots.get(idx)?.as_ref()
    }

    /// The IOAS `id` (`-ENOENT` if there is none, or it is not an IOAS).
    pub(crate) fn ioas(&self, id: u32) -> Result<Arc<IoasObject>> {
        match self.slot(id) {
            Some(Object::Ioas(i)) => Ok(i.clone()),
            _ => Err(ENOENT),
        }
    }

    /// The bound device `id` (`-ENOENT` if there is none, or it is not a
    /// device).
    pub(crate) fn device(&self, id: u32) -> Result<Arc<DeviceObject>> {
        match self.slot(id) {
            Some(Object::Device(d)) => Ok(d.clone()),
            _ => Err(ENOENT),
        }
    }

    /// The HWPT `id` (`-ENOENT` if there is none, or it is not a HWPT).
    pub(crate) fn hwpt(&self, id: u32) -> Result<Arc<Hwpt>> {
        match self.slot(id) {
            Some(Object::Hwpt(h)) => Ok(h.clone()),
            _ => Err(ENOENT),
        }
    }

    /// Removes object `id` for IOMMU_DESTROY: `-ENOENT` if there is none,
    /// `-EBUSY` if something depends on it: an attached device, a HWPT with
    /// devices (an automatic one goes with its last device), an IOAS a HWPT
    /// follows.
    pub(crate) fn destroy(&mut self, id: u32) -> Result<Object> {
        match self.slot(id) {
            None => return Err(ENOENT),
            Some(Object::Device(d)) if d.is_attached() => return Err(EBUSY),
            Some(Object::Ioas(i)) if i.in_use() => return Err(EBUSY),
            Some(Object::Hwpt(h)) if h.auto || h.users.load(Ordering::Acquire) != 0 => {
                return Err(EBUSY)
            }
            Some(_) => {}
        }
        self.remove(id)
    }

    /// Removes object `id` (`-ENOENT` if there is none).
    pub(crate) fn remove(&mut self, id: u32) -> Result<Object> {
        let idx = (id as usize).checked_sub(1).ok_or(ENOENT)?;
        let obj = self
            .slots
            .get_mut(idx)
            .and_then(Option::take)
            .ok_or(ENOENT)?;
        self.live -= 1;
        Ok(obj)
    }

    /// Whether the file holds no object.
    pub(crate) fn is_empty(&self) -> bool {
        self.live == 0
    }
}
