// SPDX-License-Identifier: GPL-2.0

//! The SMMUv3 encodings and sequences of the iommufd-rs SMMUv3 driver,
//! built from the very files the driver compiles (`src/smmu/spec`,
//! `src/smmu/sequence`), for host tests; and the fake SMMU those tests run
//! the sequences against ([`fake`]).

#[path = "../../../../src/smmu/spec/mod.rs"]
mod spec;

pub use spec::*;

/// The driver's update and invalidation sequences (`src/smmu/sequence`).
#[path = "../../../../src/smmu/sequence/mod.rs"]
pub mod sequence;

pub mod fake;
