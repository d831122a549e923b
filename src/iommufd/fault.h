/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The module's fault points (fault.c): a failure injected where one is not
 * an allocation.
 */
#ifndef IOMMUFD_RS_FAULT_H
#define IOMMUFD_RS_FAULT_H

#include <linux/fault-inject.h>

extern struct fault_attr iommufd_rs_fail_pin;
extern struct fault_attr iommufd_rs_fail_map;
extern struct fault_attr iommufd_rs_fail_unmap;
extern struct fault_attr iommufd_rs_fail_msi;

void iommufd_rs_fault_init(void);
void iommufd_rs_fault_exit(void);

#endif
