// SPDX-License-Identifier: GPL-2.0

//! The ARMv8 VMSA stage-2 translation table format (LPAE, 4 KiB granule)
//! in safe Rust with no kernel dependency.
//!
//! The same files are compiled into the SMMUv3 driver, over real pages and
//! SMMU invalidation commands, and into the host crate `tools/testing/lpae`, over a
//! fake memory whose tests compare every walk with a model.

#![forbid(unsafe_code)]
// The format is a library: its items are `pub` because the host crate
// exports them to its tests, while the driver reaches them from its
// crate-private `lpae` module only. Items only the host tests use are
// compiled there alone (`feature = "host"`), so dead code still shows here.
#![allow(unreachable_pub)]

pub mod descriptor;
pub mod page_table;

#[cfg(feature = "host")]
pub use descriptor::{
    level_size,
    Entry, //
};
pub use descriptor::{
    Prot,
    PAGE_SIZES, //
};
#[cfg(feature = "host")]
pub use page_table::Translation;
pub use page_table::{
    Config,
    MapError,
    PageTable,
    TableMemory, //
};
