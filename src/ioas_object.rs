// SPDX-License-Identifier: GPL-2.0

//! The IOAS object: the core's [`IovaSpace`] and the IOMMU domains attached
//! to it, behind one mutex, so that every domain always maps exactly the
//! IOAS's areas.

use crate::{
    hwpt::{Domain, Hwpt},
    iova_space::{Errno, IovaSpace},
    kalloc::KernelAlloc,
    pages::PinnedPages, //
};
use core::sync::atomic::{AtomicUsize, Ordering};
use kernel::{alloc::KVVec, new_mutex, prelude::*, sync::Arc, sync::Mutex};

/// What backs one area: a byte range of a pinned mapping.
#[derive(Clone)]
pub(crate) struct AreaPages {
    /// The pinned mapping, shared by every area IOAS_COPY made from it.
    pub(crate) pages: Arc<PinnedPages>,
    /// Offset of the area's first byte from the mapping's first byte.
    pub(crate) offset: u64,
    /// The user address (file offset for MAP_FILE) of the area's first
    /// byte: IOAS_COPY keeps its alignment when it allocates an IOVA.
    pub(crate) uaddr: u64,
}

/// Owners of reserved ranges: a device or a domain, by a tag unique to it.
pub(crate) type Owner = u64;

/// The address space of one IOAS.
pub(crate) type Space = IovaSpace<Owner, AreaPages, KernelAlloc>;

/// What the IOAS mutex protects.
pub(crate) struct IoasState {
    /// Areas, allowed and reserved ranges.
    pub(crate) space: Space,
    /// Every domain registered with this IOAS (one per HWPT); each maps
    /// every area.
    pub(crate) domains: KVVec<Arc<Domain>>,
    /// The automatic HWPTs that have devices, for reuse by the next attach.
    /// An entry leaves with its last device (breaking the reference cycle
    /// HWPT -> IOAS -> HWPT); it is dropped only with this lock released.
    pub(crate) auto_hwpts: KVVec<Arc<Hwpt>>,
}

/// An I/O address space object.
///
/// Locking: `state` is taken after the file's object table lock is
/// released, never while it is held; when two IOAS are locked (COPY) the
/// source is released before the destination is taken.
#[pin_data]
pub(crate) struct IoasObject {
    #[pin]
    pub(crate) state: Mutex<IoasState>,
    /// `state.domains.len()`, for DESTROY (-EBUSY while a HWPT follows this
    /// IOAS) without taking `state` under the table lock.
    domains_attached: AtomicUsize,
}

impl IoasObject {
    /// A new empty IOAS.
    pub(crate) fn new() -> Result<Arc<Self>> {
        Arc::pin_init(
            pin_init!(Self {
                state <- new_mutex!(IoasState {
                    space: IovaSpace::new(),
                    domains: KVVec::new(),
                    auto_hwpts: KVVec::new(),
                }),
                domains_attached: AtomicUsize::new(0),
            }),
            GFP_KERNEL_ACCOUNT,
        )
    }
}

impl IoasObject {
    /// Whether a HWPT is registered with this IOAS.
    pub(crate) fn in_use(&self) -> bool {
        self.domains_attached.load(Ordering::Acquire) != 0
    }

    /// Records the number of attached domains; called with `state` held
    /// after every change of `domains`.
    pub(crate) fn note_domains(&self, st: &IoasState) {
        self.domains_attached
            .store(st.domains.len(), Ordering::Release);
    }
}

/// The errno of an IOAS core error.
pub(crate) fn kerr(e: Errno) -> Error {
    Error::from_errno(-e.to_errno())
}

impl IoasState {
    /// Maps the areas intersecting `[start, last]` into `dom`; on failure
    /// unmaps what this call mapped.
    fn map_areas(&self, dom: &Domain, start: u64, last: u64) -> Result {
        for a in self.space.areas_in(start, last) {
            let p = &a.data;
            if let Err(e) = dom.map(a.start, &p.pages, p.offset, a.len(), a.prot.write) {
                for b in self
                    .space
                    .areas_in(start, last)
                    .take_while(|b| b.start < a.start)
                {
                    dom.unmap(b.start, b.len());
                }
                return Err(e);
            }
        }
        Ok(())
    }

    /// Maps the new areas in `[iova, iova + len)` into every domain; on
    /// failure nothing of them stays mapped in any domain.
    pub(crate) fn map_into_domains(&self, iova: u64, len: u64) -> Result {
        let last = iova + (len - 1);
        for (k, dom) in self.domains.iter().enumerate() {
            if let Err(e) = self.map_areas(dom, iova, last) {
                for d in &self.domains[..k] {
                    d.unmap(iova, len);
                }
                return Err(e);
            }
        }
        Ok(())
    }

    /// Maps every area into `dom` (a domain being attached).
    pub(crate) fn fill(&self, dom: &Domain) -> Result {
        self.map_areas(dom, 0, u64::MAX)
    }

    /// Sets the IOVA alignment to what the attached domains need (their
    /// smallest page), or byte alignment when none is attached.
    pub(crate) fn recompute_alignment(&mut self) {
        let align = self
            .domains
            .iter()
            .map(|d| 1u64 << d.geometry().pgsize_bitmap.trailing_zeros().min(63))
            .max()
            .unwrap_or(1);
        // Lowering the alignment cannot fail.
        let _ = self.space.set_iova_alignment(align);
    }

    /// Unmaps whole areas in `[iova, iova + len)`: first from every domain
    /// (the IOTLB is clean when that returns), then unpins. Returns bytes.
    pub(crate) fn unmap(&mut self, iova: u64, len: u64) -> Result<u64> {
        let IoasState { space, domains, .. } = self;
        space
            .unmap(iova, len, &mut |a| {
                for d in domains.iter() {
                    d.unmap(a.start, a.len());
                }
            })
            .map_err(kerr)
    }

    /// Unmaps every area, as [`Self::unmap`] does.
    pub(crate) fn unmap_all(&mut self) -> u64 {
        let IoasState { space, domains, .. } = self;
        space.unmap_all(&mut |a| {
            for d in domains.iter() {
                d.unmap(a.start, a.len());
            }
        })
    }
}
