// SPDX-License-Identifier: GPL-2.0

//! The IOMMU core, seen from a user of IOMMU domains (iommufd, VFIO): the
//! counterpart of `include/linux/iommu.h`'s consumer half.

pub(crate) mod consumer;
