// SPDX-License-Identifier: GPL-2.0

//! The IOAS object: the core's [`IovaSpace`] behind a mutex, with pinned
//! pages as the payload of each area.

use crate::{
    ioas::IovaSpace,
    kalloc::KernelAlloc,
    pages::PinnedPages, //
};
use kernel::{new_mutex, prelude::*, sync::Arc, sync::Mutex};

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

/// Owners of reserved ranges (device or domain object ids, later).
pub(crate) type Owner = u64;

/// The address space of one IOAS.
pub(crate) type Space = IovaSpace<Owner, AreaPages, KernelAlloc>;

/// An I/O address space object.
///
/// Locking: `space` is taken after the file's object table lock is
/// released, never while it is held; when two IOAS are locked (COPY) the
/// source is released before the destination is taken.
#[pin_data]
pub(crate) struct IoasObject {
    #[pin]
    pub(crate) space: Mutex<Space>,
}

impl IoasObject {
    /// A new empty IOAS.
    pub(crate) fn new() -> Result<Arc<Self>> {
        Arc::pin_init(
            pin_init!(Self {
                space <- new_mutex!(IovaSpace::new()),
            }),
            GFP_KERNEL_ACCOUNT,
        )
    }
}
