// SPDX-License-Identifier: GPL-2.0

//! The kernel's allocator family for the IOAS core: `KVVec` (kmalloc, or
//! vmalloc for large arenas) with `GFP_KERNEL_ACCOUNT`, so the memory an
//! IOAS uses is charged to the process that made it, as upstream does.

use crate::iova_space::{
    Alloc,
    AllocError,
    Storage, //
};
use kernel::{
    alloc::KVVec,
    prelude::*, //
};

/// [`Alloc`] for the kernel.
pub(crate) struct KernelAlloc;

impl<T> Storage<T> for KVVec<T> {
    fn push(&mut self, value: T) -> Result<(), AllocError> {
        KVVec::push(self, value, GFP_KERNEL_ACCOUNT).map_err(|_| AllocError)
    }

    fn reserve(&mut self, additional: usize) -> Result<(), AllocError> {
        KVVec::reserve(self, additional, GFP_KERNEL_ACCOUNT).map_err(|_| AllocError)
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
