/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The iommufd_rs PCI driver (pci_driver.c): functions bound to it can be
 * handed to a file with IOMMU_DEVICE_BIND.
 */
#ifndef IOMMUFD_RS_PCI_DRIVER_H
#define IOMMUFD_RS_PCI_DRIVER_H

#include <linux/types.h>

struct iommufd_rs_pci;

int iommufd_rs_pci_register(void);
void iommufd_rs_pci_unregister(void);
int iommufd_rs_pci_bind(u32 segment, u32 rid, void *owner,
			struct iommufd_rs_pci **out);
void iommufd_rs_pci_unbind(struct iommufd_rs_pci *d);
int iommufd_rs_pci_group_id(const struct iommufd_rs_pci *d);

#endif
