/* SPDX-License-Identifier: GPL-2.0 */
/* MSI vectors of bound devices, signalling eventfds (irqs.c). */
#ifndef IOMMUFD_RS_IRQS_H
#define IOMMUFD_RS_IRQS_H

#include <linux/types.h>

struct iommufd_rs_pci;
struct iommufd_rs_irqs;

int iommufd_rs_irqs_prepare(struct iommufd_rs_pci *d, u32 nvec, const s32 *fds,
			    struct iommufd_rs_irqs **out);
int iommufd_rs_irqs_enable(struct iommufd_rs_irqs *irqs);
int iommufd_rs_irqs_msi_address(struct iommufd_rs_irqs *irqs, u32 i, u64 *addr);
void iommufd_rs_irqs_disable(struct iommufd_rs_irqs *irqs);
void iommufd_rs_irqs_free(struct iommufd_rs_irqs *irqs);

#endif
