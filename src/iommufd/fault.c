// SPDX-License-Identifier: GPL-2.0
/*
 * The module's own fault points, for failures that are not allocations
 * (which failslab and fail_page_alloc inject already): pinning user pages,
 * mapping into an IOMMU domain, unmapping from one (a short unmap, which a
 * driver reports when it cannot split a block), and setting up MSI vectors.
 * They are the kernel's fault attributes, so a task's fail-nth reaches them
 * like any other point, and
 * /sys/kernel/debug/iommufd_rs/fail_{pin,map,unmap,msi} tune them by
 * probability, interval and times as for failslab.
 */
#include <linux/debugfs.h>
#include <linux/fault-inject.h>

#include "fault.h"

DECLARE_FAULT_ATTR(iommufd_rs_fail_pin);
DECLARE_FAULT_ATTR(iommufd_rs_fail_map);
DECLARE_FAULT_ATTR(iommufd_rs_fail_unmap);
DECLARE_FAULT_ATTR(iommufd_rs_fail_msi);

static struct dentry *fault_dir;

/** iommufd_rs_fault_init() - the points' debugfs directory (best effort) */
void iommufd_rs_fault_init(void)
{
	fault_dir = debugfs_create_dir("iommufd_rs", NULL);
	fault_create_debugfs_attr("fail_pin", fault_dir, &iommufd_rs_fail_pin);
	fault_create_debugfs_attr("fail_map", fault_dir, &iommufd_rs_fail_map);
	fault_create_debugfs_attr("fail_unmap", fault_dir, &iommufd_rs_fail_unmap);
	fault_create_debugfs_attr("fail_msi", fault_dir, &iommufd_rs_fail_msi);
}

/** iommufd_rs_fault_exit() - remove it */
void iommufd_rs_fault_exit(void)
{
	debugfs_remove_recursive(fault_dir);
}
