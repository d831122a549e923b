// SPDX-License-Identifier: GPL-2.0
/*
 * MSI for bound devices (IOMMU_DEVICE_SET_IRQS): MSI-X or MSI vectors, each
 * signalling the user's eventfd. Vectors need the device attached to a
 * domain whose MSI cookie places the doorbells (attach sets it), because
 * the interrupt controller maps the doorbell through the IOMMU when the
 * vectors are allocated.
 *
 * Locking: the caller (the device object's mutex) serialises set and free
 * for a device. Vectors live only while the function is on the driver:
 * every step that makes, reads or frees them holds the function's live
 * rwsem for reading, and remove() frees the vectors of the set in force
 * (&struct iommufd_rs_pci.irqs) under it for writing, before the driver's
 * MSI domain goes with the driver; what the file frees later is then only
 * the eventfds.
 */
#include <linux/eventfd.h>
#include <linux/interrupt.h>
#include <linux/irq.h>
#include <linux/msi.h>
#include <linux/pci.h>
#include <linux/slab.h>

#include "fault.h"
#include "irqs.h"
#include "pci_driver.h"

/**
 * struct iommufd_rs_irqs - the vectors of one device
 * @d: the function (a reference held)
 * @pdev: the device
 * @want: vectors asked for (one eventfd each)
 * @nvec: vectors allocated and requested (0 while only prepared)
 * @ctx: the eventfds
 */
struct iommufd_rs_irqs {
	struct iommufd_rs_pci *d;
	struct pci_dev *pdev;
	u32 want;
	u32 nvec;
	struct eventfd_ctx *ctx[];
};

static irqreturn_t iommufd_rs_irq(int irq, void *ctx)
{
	eventfd_signal(ctx);
	return IRQ_HANDLED;
}

/* Frees the vectors of an enabled set; with d->live held. */
static void free_vectors(struct iommufd_rs_irqs *irqs)
{
	u32 i;

	for (i = 0; i < irqs->nvec; i++)
		free_irq(pci_irq_vector(irqs->pdev, i), irqs->ctx[i]);
	if (irqs->nvec)
		pci_free_irq_vectors(irqs->pdev);
	irqs->nvec = 0;
	if (irqs->d->irqs == irqs)
		irqs->d->irqs = NULL;
}

/* Frees a set whose vectors are gone, with @ctxs eventfds taken. */
static void release(struct iommufd_rs_irqs *irqs, u32 ctxs)
{
	u32 i;

	for (i = 0; i < ctxs; i++)
		eventfd_ctx_put(irqs->ctx[i]);
	iommufd_rs_pci_put(irqs->d);
	kfree(irqs);
}

/**
 * iommufd_rs_irqs_revoke() - free the vectors of the set in force, for
 * remove(): the driver's MSI domain goes with the driver
 * @d: the function, with its live rwsem held for writing
 */
void iommufd_rs_irqs_revoke(struct iommufd_rs_pci *d)
{
	if (d->irqs)
		free_vectors(d->irqs);
}

/**
 * iommufd_rs_irqs_prepare() - check a request and take the eventfds,
 * allocating no vector yet
 * @d: a bound device
 * @nvec: number of vectors (> 0)
 * @fds: eventfds, one per vector
 * @out: the prepared set on success
 *
 * Everything a caller can get wrong is found here, so that a device's old
 * vectors are only freed for a request that can be carried out.
 *
 * Return: 0; -EBADF/-EINVAL for a bad eventfd; -ENOSPC if the device has
 * fewer vectors; -ENODEV if it left the driver.
 */
int iommufd_rs_irqs_prepare(struct iommufd_rs_pci *d, u32 nvec, const s32 *fds,
			    struct iommufd_rs_irqs **out)
{
	struct iommufd_rs_irqs *irqs;
	u32 ctxs = 0;
	int max, rc;

	if (d->removed)
		return -ENODEV;
	max = max(pci_msix_vec_count(d->pdev), pci_msi_vec_count(d->pdev));
	if (max < 0 || nvec > max)
		return -ENOSPC;
	irqs = kzalloc(struct_size(irqs, ctx, nvec), GFP_KERNEL_ACCOUNT);
	if (!irqs)
		return -ENOMEM;
	kref_get(&d->ref);
	irqs->d = d;
	irqs->pdev = d->pdev;
	irqs->want = nvec;
	for (; ctxs < nvec; ctxs++) {
		struct eventfd_ctx *ctx = eventfd_ctx_fdget(fds[ctxs]);

		if (IS_ERR(ctx)) {
			rc = PTR_ERR(ctx);
			release(irqs, ctxs);
			return rc;
		}
		irqs->ctx[ctxs] = ctx;
	}
	*out = irqs;
	return 0;
}

/**
 * iommufd_rs_irqs_msi_address() - the doorbell address vector @i writes
 * @irqs: an enabled set
 * @i: vector index, below the number of eventfds
 * @addr: the composed MSI message's address on success
 *
 * The message is composed when the vector is activated, that is by
 * request_irq(); the caller checks it against the SW_MSI window in force.
 *
 * Return: 0, or -EINVAL if the vector has no MSI descriptor.
 */
int iommufd_rs_irqs_msi_address(struct iommufd_rs_irqs *irqs, u32 i, u64 *addr)
{
	struct msi_desc *desc;
	int rc = iommufd_rs_pci_get_live(irqs->d);

	if (rc)
		return rc;
	rc = -EINVAL;
	if (i < irqs->nvec) {
		desc = irq_get_msi_desc(pci_irq_vector(irqs->pdev, i));
		if (desc) {
			*addr = (u64)desc->msg.address_hi << 32 | desc->msg.address_lo;
			rc = 0;
		}
	}
	iommufd_rs_pci_put_live(irqs->d);
	return rc;
}

/**
 * iommufd_rs_irqs_enable() - allocate the vectors of a prepared set and
 * signal its eventfds from them
 * @irqs: from iommufd_rs_irqs_prepare(); the device has no vectors
 *
 * The kernel's MSI cookie places doorbells one page after another from the
 * window start with no upper bound; the caller keeps the window's bound
 * (iommufd_rs_irqs_msi_address(), then iommufd_rs_irqs_disable() for a
 * doorbell past it).
 *
 * Return: 0, or the PCI/IRQ core's error. On error no vector is left
 * allocated (the set stays prepared and is freed with
 * iommufd_rs_irqs_free()).
 */
int iommufd_rs_irqs_enable(struct iommufd_rs_irqs *irqs)
{
	u32 requested = 0;
	int rc = iommufd_rs_pci_get_live(irqs->d);

	if (rc)
		return rc;
	rc = should_fail(&iommufd_rs_fail_msi, irqs->want) ? -ENOSPC :
	     pci_alloc_irq_vectors(irqs->pdev, irqs->want, irqs->want,
				   PCI_IRQ_MSIX | PCI_IRQ_MSI);
	if (rc < 0)
		goto out;
	for (; requested < irqs->want; requested++) {
		rc = request_irq(pci_irq_vector(irqs->pdev, requested), iommufd_rs_irq, 0,
				 "iommufd_rs", irqs->ctx[requested]);
		if (rc)
			goto err;
	}
	irqs->nvec = irqs->want;
	irqs->d->irqs = irqs;
	iommufd_rs_pci_put_live(irqs->d);
	return 0;
err:
	while (requested--)
		free_irq(pci_irq_vector(irqs->pdev, requested), irqs->ctx[requested]);
	pci_free_irq_vectors(irqs->pdev);
out:
	iommufd_rs_pci_put_live(irqs->d);
	return rc;
}

/**
 * iommufd_rs_irqs_disable() - free the vectors, keep the eventfds, so that
 * iommufd_rs_irqs_enable() can make them again (around a domain replace:
 * doorbells are mapped through the domain when vectors are made)
 * @irqs: an enabled set
 */
void iommufd_rs_irqs_disable(struct iommufd_rs_irqs *irqs)
{
	/* A function that left the driver had its vectors freed by remove(). */
	if (iommufd_rs_pci_get_live(irqs->d))
		return;
	free_vectors(irqs);
	iommufd_rs_pci_put_live(irqs->d);
}

/** iommufd_rs_irqs_free() - free the vectors (if enabled) and the eventfds */
void iommufd_rs_irqs_free(struct iommufd_rs_irqs *irqs)
{
	iommufd_rs_irqs_disable(irqs);
	release(irqs, irqs->want);
}
