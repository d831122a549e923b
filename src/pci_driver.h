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

struct iommu_domain;
struct iommu_group;
struct iommufd_rs_irqs;
struct pci_dev;
struct pci_saved_state;

/**
 * struct iommufd_rs_group - an IOMMU group with functions bound to this
 * driver, under functions_lock
 * @node: entry in groups
 * @group: the IOMMU group (reference held)
 * @functions: functions of the group bound to this driver; the entry goes
 *             with the last
 * @owner: the file whose functions these are (IOMMU_DEVICE_BIND), or NULL:
 *         the group's DMA belongs to one file at a time, as the IOMMU core's
 *         DMA ownership would say if the driver did not hold it itself
 * @owned: functions of the group bound to @owner
 * @domain: the domain the group is attached to for @owner, or NULL: the
 *          core's blocking domain (the driver owns the group's DMA)
 * @attached: functions attached to @domain; the group is detached with
 *            the last
 */
struct iommufd_rs_group {
	struct list_head node;
	struct iommu_group *group;
	unsigned int functions;
	void *owner;
	unsigned int owned;
	struct iommu_domain *domain;
	unsigned int attached;
};

/**
 * struct iommufd_rs_pci - a PCI function bound to this driver
 * @node: entry in functions
 * @ref: references: the list's and the binding file's
 * @pdev: the function (reference held while the entry exists)
 * @owner: the file context it is bound to with IOMMU_DEVICE_BIND, or NULL
 * @removed: unbound from this driver; a file holding it gets -ENODEV
 * @grp: its IOMMU group's entry, until remove()
 * @attached: counted in @grp's attachment (under functions_lock)
 * @intx_was_enabled: INTx was on at probe; remove() turns it back on
 * @reset_works: the function reset at bind succeeded, so release resets too
 * @saved: its config space as of bind, which release restores
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
	struct iommufd_rs_group *grp;
	bool attached;
	bool intx_was_enabled;
	bool reset_works;
	struct pci_saved_state *saved;
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
int iommufd_rs_pci_attach(struct iommufd_rs_pci *d, struct iommu_domain *dom);
void iommufd_rs_pci_detach(struct iommufd_rs_pci *d, struct iommu_domain *dom);
bool iommufd_rs_pci_domain_in_use(struct iommu_domain *dom);
void iommufd_rs_pci_put_live(struct iommufd_rs_pci *d);
struct device *iommufd_rs_pci_dev(struct iommufd_rs_pci *d);

#endif
