// SPDX-License-Identifier: GPL-2.0

//! smmu_rs: an Arm SMMUv3 IOMMU driver in Rust, with its own LPAE stage-2
//! page table, for iommufd-rs.
//!
//! It binds `arm,smmu-v3` when the in-tree `arm_smmu_v3` driver has not,
//! registers with the IOMMU core, gives every device an identity (bypass)
//! default domain, and offers stage-2 paging domains (also as nest parents)
//! whose tables [`lpae`] writes. `helpers.c` holds what stays C.

use kernel::prelude::*;

mod cmdq;
mod debugfs;
mod evtq;
mod hw;
mod iommu;
#[path = "../kernel_ext/iommu/driver.rs"]
mod iommu_driver;
mod lpae;
mod master;
mod nested;
mod platform;
mod provider;
// The provider interface iommufd_rs compiles too; each crate uses its side.
#[allow(dead_code)]
#[path = "../provider_abi/mod.rs"]
mod provider_abi;
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
    imports_ns: ["IOMMUFD_RS"],
}

/// The loaded module: the platform driver, the provider and debugfs are
/// registered while it lives. The driver goes first (the first field,
/// unbinding every SMMU), then the provider: no front end can be calling
/// in by then, as it holds this module while it does.
struct SmmuRsModule {
    _driver:
        Pin<KBox<kernel::driver::Registration<kernel::platform::Adapter<platform::SmmuRsDriver>>>>,
    _provider: provider_abi::Registration,
    _debugfs: debugfs::Debugfs,
}

impl kernel::Module for SmmuRsModule {
    fn init(module: &'static ThisModule) -> Result<Self> {
        hw::init_lists();
        let debugfs = debugfs::Debugfs::new()?;
        let provider = provider::register(module)?;
        let driver = KBox::pin_init(
            kernel::driver::Registration::new(c"smmu_rs", module),
            GFP_KERNEL,
        )?;
        Ok(Self {
            _driver: driver,
            _provider: provider,
            _debugfs: debugfs,
        })
    }
}
