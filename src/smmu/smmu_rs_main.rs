// SPDX-License-Identifier: GPL-2.0

//! smmu_rs: an Arm SMMUv3 IOMMU driver in Rust, with its own LPAE stage-2
//! page table, for iommufd-rs.
//!
//! It binds `arm,smmu-v3` when the in-tree `arm_smmu_v3` driver has not,
//! registers with the IOMMU core, gives every device an identity (bypass)
//! default domain, and offers stage-2 paging domains (also as nest parents)
//! whose tables [`lpae`] writes. `glue.c` holds the C-side trampolines.

use kernel::prelude::*;

mod cmdq;
mod evtq;
mod exports;
mod ffi;
mod lpae;
mod master;
mod nested;
mod s2_domain;
mod sequence;
mod smmu;
mod spec;
mod strtab;
mod vmid;

module! {
    type: SmmuRsModule,
    name: "smmu_rs",
    authors: ["iommufd-rs developers"],
    description: "Arm SMMUv3 driver in Rust with an LPAE stage-2 page table",
    license: "GPL",
}

/// The loaded module: the platform driver is registered while it lives.
struct SmmuRsModule;

impl kernel::Module for SmmuRsModule {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        ffi::register_driver()?;
        Ok(Self)
    }
}

impl Drop for SmmuRsModule {
    fn drop(&mut self) {
        ffi::unregister_driver();
    }
}
