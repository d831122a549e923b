/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The iommufd_rs PCI driver (pci_driver.c): functions bound to it can be
 * handed to a file with IOMMU_DEVICE_BIND.
 */
#ifndef IOMMUFD_RS_PCI_DRIVER_H
#define IOMMUFD_RS_PCI_DRIVER_H

#include <linux/kref.h>
#include <linux/list.h>
#include <linux/rwsem.h>
#include <linux/types.h>

struct iommufd_rs_irqs;
struct pci_dev;

/**
 * struct iommufd_rs_pci - a PCI function bound to this driver
 * @node: entry in functions
 * @ref: references: the list's and the binding file's
 * @pdev: the function (reference held while the entry exists)
 * @owner: the file context it is bound to with IOMMU_DEVICE_BIND, or NULL
 * @removed: unbound from this driver; a file holding it gets -ENODEV
 * @devt: its device node's number, 0 if it has none
 * @irqs: the MSI vectors a file made in force, which remove() frees (under
 *        @live held for writing; irqs.c sets and clears it under @live)
 * @live: held for reading by every call that uses the function's IOMMU
 *        state (iommufd_rs_pci_get_live()), for writing by remove() while
 *        it sets @removed: the IOMMU core tears that state down after
 *        remove() returns, so no call can still be in it then
 */
struct iommufd_rs_pci {
	struct list_head node;
	struct kref ref;
	struct pci_dev *pdev;
	void *owner;
	bool removed;
	dev_t devt;
	struct iommufd_rs_irqs *irqs;
	struct rw_semaphore live;
};

int iommufd_rs_pci_register(void);
void iommufd_rs_pci_unregister(void);
int iommufd_rs_pci_bind(u32 segment, u32 rid, void *owner,
			struct iommufd_rs_pci **out);
int iommufd_rs_pci_bind_fd(int fd, void *owner, struct iommufd_rs_pci **out);
void iommufd_rs_pci_unbind(struct iommufd_rs_pci *d);
void iommufd_rs_pci_put(struct iommufd_rs_pci *d);
void iommufd_rs_irqs_revoke(struct iommufd_rs_pci *d);
int iommufd_rs_pci_hw_caps(struct iommufd_rs_pci *d, u64 *caps);
int iommufd_rs_pci_get_live(struct iommufd_rs_pci *d);
void iommufd_rs_pci_put_live(struct iommufd_rs_pci *d);

#endif
