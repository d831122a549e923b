// SPDX-License-Identifier: GPL-2.0

//! The IOAS core: the bookkeeping of one I/O address space, in safe Rust
//! with no kernel dependency.
//!
//! The same files are compiled into the kernel module (allocating with
//! `KVVec` and `GFP_KERNEL`) and into the host crate `tools/testing/iova_space` (allocating
//! with `Vec`), whose tests and benchmarks run with `cargo`. The only thing
//! that differs between the two is the [`Alloc`] family.
//!
//! What it holds, with upstream iommufd's semantics (`io_pagetable.c`):
//! - areas: mapped IOVA ranges that never overlap ([`IovaSpace::map`]);
//! - allowed ranges: where automatic allocation may place areas;
//! - reserved ranges: owner-tagged, may overlap each other, never overlap an
//!   area or an allowed range;
//! - the SW_MSI window rules ([`sw_msi`]).

#![forbid(unsafe_code)]
// The core is a library: its items are `pub` because the host crate
// exports them to its tests, while the module reaches them from the
// crate-private `iova_space` module only. Items only the host tests use are
// compiled there alone (`feature = "host"`), so dead code still shows here.
#![allow(unreachable_pub)]

pub mod avl;
pub mod blocked;
pub mod errno;
pub mod intervals;
pub mod space;
pub mod sw_msi;

pub use errno::Errno;
pub use space::{
    AllowedRanges,
    Area,
    IovaSpace,
    Part,
    Placement,
    Prot, //
};

/// Allocation failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AllocError;

/// A growable vector whose growth can fail: `Vec` on the host, `KVVec` in
/// the kernel.
pub trait Storage<T>: Default {
    /// Appends `value`, or fails without changing anything.
    fn push(&mut self, value: T) -> Result<(), AllocError>;
    /// Makes room for `additional` more elements, so that as many pushes
    /// cannot fail.
    fn reserve(&mut self, additional: usize) -> Result<(), AllocError>;
    /// Removes and returns the last element.
    fn pop(&mut self) -> Option<T>;
    /// The elements.
    fn as_slice(&self) -> &[T];
    /// The elements, mutably.
    fn as_mut_slice(&mut self) -> &mut [T];
}

/// A family of [`Storage`] vectors: how the core allocates.
pub trait Alloc {
    /// The vector type for elements of type `T`.
    type Vec<T>: Storage<T>;
}

/// The smallest IOVA granule the core assumes (the CPU page of every
/// supported configuration: 4 KiB).
pub const PAGE_SIZE: u64 = 4096;

/// The largest block a stage-2 table can map with a 4 KiB granule (1 GiB):
/// the cap of automatic IOVA alignment.
pub const MAX_BLOCK_SIZE: u64 = 1 << 30;
