// SPDX-License-Identifier: GPL-2.0

//! The IOAS core of iommufd-rs, built from the very files the kernel module
//! compiles (`src/iova_space`), with `Vec` as its allocator.

#[path = "../../../../src/iova_space/mod.rs"]
mod iova_space;

pub use iova_space::*;

pub mod model;

/// The host allocator family: `std`'s `Vec`.
pub struct HostAlloc;

impl<T> Storage<T> for Vec<T> {
    fn push(&mut self, value: T) -> Result<(), AllocError> {
        self.try_reserve(1).map_err(|_| AllocError)?;
        Vec::push(self, value);
        Ok(())
    }

    fn reserve(&mut self, additional: usize) -> Result<(), AllocError> {
        self.try_reserve(additional).map_err(|_| AllocError)
    }

    fn pop(&mut self) -> Option<T> {
        Vec::pop(self)
    }

    fn as_slice(&self) -> &[T] {
        self
    }

    fn as_mut_slice(&mut self) -> &mut [T] {
        self
    }
}

impl Alloc for HostAlloc {
    type Vec<T> = Vec<T>;
}
