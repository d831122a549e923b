/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The registry between the iommufd_rs front end and the IOMMU drivers of
 * this project (smmu_rs). It lives in its own small module,
 * iommufd_rs_driver.ko, as upstream's driver-facing iommufd_driver.ko does,
 * so that the front end and the drivers load and unload independently of
 * each other. Its exports are in the IOMMUFD_RS namespace.
 *
 * A driver registers its provider table (src/provider_abi/mod.rs, a Rust
 * definition both Rust crates compile) for the iommu_ops its devices and
 * domains carry; the front end looks the table up by those ops and holds
 * the driver's module while it calls in. The registry never looks into the
 * table: it stores the ops pointer, the owning module and an opaque
 * pointer.
 */
#ifndef IOMMUFD_RS_DRIVER_H
#define IOMMUFD_RS_DRIVER_H

#include <linux/types.h>

struct iommu_ops;
struct module;

int iommufd_rs_provider_register(const struct iommu_ops *ops, struct module *owner,
				 const void *table);
void iommufd_rs_provider_unregister(const struct iommu_ops *ops);
const void *iommufd_rs_provider_get(const struct iommu_ops *ops);
void iommufd_rs_provider_put(const struct iommu_ops *ops);

#endif
