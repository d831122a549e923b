// SPDX-License-Identifier: GPL-2.0

//! The kernel's allocator family for the IOAS core: `KVVec` (kmalloc, or
//! vmalloc for large arenas) with `GFP_KERNEL_ACCOUNT`, so the memory an
//! IOAS uses is charged to the process that made it, as upstream does.
//!
//! The arenas grow with what a user asks for (areas, allowed and reserved
//! ranges), so growth is `__GFP_NOWARN`: a request too large for kvmalloc
//! (over `INT_MAX` bytes, which it refuses with a WARN otherwise) or for the
//! user's memcg fails with `-ENOMEM` and no splat.

use crate::iova_space::{
    Alloc,
    AllocError,
    Storage, //
};
use kernel::{
    alloc::{
        Flags,
        KVVec, //
    },
    prelude::*, //
};

/// [`Alloc`] for the kernel.
pub(crate) struct KernelAlloc;

/// How the arenas allocate: charged to the caller's memcg, quiet on failure.
fn arena_gfp() -> Flags {
    GFP_KERNEL_ACCOUNT | __GFP_NOWARN
}

impl<T> Storage<T> for KVVec<T> {
    fn push(&mut self, value: T) -> Result<(), AllocError> {
        KVVec::push(self, value, arena_gfp()).map_err(|_| AllocError)
    }

    fn reserve(&mut self, additional: usize) -> Result<(), AllocError> {
        KVVec::reserve(self, additional, arena_gfp()).map_err(|_| AllocError)
    }

    fn pop(&mut self) -> Option<T> {
        KVVec::pop(self)
    }

    fn as_slice(&self) -> &[T] {
        self
    }

    fn as_mut_slice(&mut self) -> &mut [T] {
        self
    }
}

impl Alloc for KernelAlloc {
    type Vec<T> = KVVec<T>;
}
