// SPDX-License-Identifier: GPL-2.0
/*
 * What the Rust side of iommufd_rs cannot call in Linux 7.3: static
 * inlines and macros the generated bindings do not have, and the module's
 * fault points (fault.c), whose should_fail() and struct fault_attr sit in
 * a header bindgen does not see. Each is one call; everything around it is
 * Rust (src/kernel_ext/helpers.rs gives them safe signatures).
 */
#include <linux/fault-inject.h>
#include <linux/irq.h>
#include <linux/msi.h>
#include <linux/pci.h>
#include <linux/printk.h>
#include <linux/sched.h>

#include "fault.h"
#include "helpers.h"

/**
 * iommufd_rs_cond_resched() - cond_resched(), a macro (and with
 * CONFIG_PREEMPTION, which the rig's kernels have, __cond_resched() is not
 * even declared, so the bindings have no function to call)
 */
void iommufd_rs_cond_resched(void)
{
	cond_resched();
}

/**
 * iommufd_rs_should_fail_map() - whether the fail_map fault point fires
 * for an iommu_map() of @npages pages (should_fail() and the attribute
 * are not in the bindings)
 * @npages: the size, in pages, should_fail() filters on
 */
bool iommufd_rs_should_fail_map(u64 npages)
{
	return should_fail(&iommufd_rs_fail_map, npages);
}

/**
 * iommufd_rs_should_fail_unmap() - whether the fail_unmap fault point
 * fires for an iommu_unmap() of @npages pages (see above)
 * @npages: the size, in pages
 */
bool iommufd_rs_should_fail_unmap(u64 npages)
{
	return should_fail(&iommufd_rs_fail_unmap, npages);
}

/**
 * iommufd_rs_should_fail_msi() - whether the fail_msi fault point fires
 * for an allocation of @nvec MSI vectors (see above)
 * @nvec: the number of vectors
 */
bool iommufd_rs_should_fail_msi(u64 nvec)
{
	return should_fail(&iommufd_rs_fail_msi, nvec);
}

/**
 * iommufd_rs_log_unmap_short() - log a domain that unmapped less than asked,
 * ratelimited (pr_err_ratelimited() is a macro with a ratelimit state per
 * call site, which the kernel crate has no counterpart for)
 * @unmapped: bytes the driver unmapped
 * @size: bytes asked
 * @iova: the first IOVA
 */
void iommufd_rs_log_unmap_short(size_t unmapped, u64 size, u64 iova)
{
	pr_err_ratelimited("iommufd_rs: IOMMU domain unmapped %zu of %llu bytes at IOVA %#llx; their pages stay pinned\n",
			   unmapped, size, iova);
}

/**
 * iommufd_rs_pci_upstream_bridge() - pci_upstream_bridge(), a static inline
 * @pdev: the function
 *
 * Return: the bridge above @pdev (of its physical function), or NULL on a
 * root bus.
 */
struct pci_dev *iommufd_rs_pci_upstream_bridge(struct pci_dev *pdev)
{
	return pci_upstream_bridge(pdev);
}

/**
 * iommufd_rs_msi_address() - the doorbell address of an MSI interrupt's
 * composed message (irq_get_msi_desc() is a static inline)
 * @irq: the Linux interrupt number of an allocated vector
 * @addr: the address on success
 *
 * Return: 0, or -EINVAL if @irq has no MSI descriptor.
 */
int iommufd_rs_msi_address(unsigned int irq, u64 *addr)
{
	struct msi_desc *desc = irq_get_msi_desc(irq);

	if (!desc)
		return -EINVAL;
	*addr = (u64)desc->msg.address_hi << 32 | desc->msg.address_lo;
	return 0;
}
