// SPDX-License-Identifier: GPL-2.0

//! The ARMv8 VMSA stage-2 translation table format (LPAE, 4 KiB granule)
//! in safe Rust with no kernel dependency.
//!
//! The same files are compiled into the SMMUv3 driver, over real pages and
//! SMMU invalidation commands, and into the host crate `tools/testing/lpae`, over a
//! fake memory whose tests compare every walk with a model.

pub mod descriptor;
pub mod page_table;

pub use descriptor::{level_size, Entry, Prot};
pub use page_table::{Config, MapError, PageTable, TableMemory, Translation};
