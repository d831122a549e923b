// SPDX-License-Identifier: GPL-2.0

//! The stage-2 page-table format of the iommufd-rs SMMUv3 driver, built
//! from the very files the driver compiles (`src/smmu/lpae`), with a fake
//! table memory that checks how the format code uses it, and a model.

#[path = "../../../../src/smmu/lpae/mod.rs"]
mod lpae;

pub use lpae::*;

pub mod fake_memory;
pub mod model;
