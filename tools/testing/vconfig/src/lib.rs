// SPDX-License-Identifier: GPL-2.0

//! The virtual config space of the VFIO device node, built from the very
//! file the module compiles (`src/iommufd/vconfig.rs`), for host tests.

#[path = "../../../../src/iommufd/vconfig.rs"]
pub mod vconfig;
