/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The C shims the Rust side of iommufd_rs calls (helpers.c): macros and
 * static inlines absent from Linux 7.3's generated bindings.
 */
#ifndef IOMMUFD_RS_HELPERS_H
#define IOMMUFD_RS_HELPERS_H

#include <linux/types.h>

struct pci_dev;

void iommufd_rs_cond_resched(void);
bool iommufd_rs_should_fail_map(u64 npages);
bool iommufd_rs_should_fail_unmap(u64 npages);
bool iommufd_rs_should_fail_msi(u64 nvec);
void iommufd_rs_log_unmap_short(size_t unmapped, u64 size, u64 iova);

struct pci_dev *iommufd_rs_pci_upstream_bridge(struct pci_dev *pdev);
int iommufd_rs_msi_address(unsigned int irq, u64 *addr);

#endif
