// SPDX-License-Identifier: GPL-2.0
/*
 * MSI for bound devices (IOMMU_DEVICE_SET_IRQS): MSI-X or MSI vectors, each
 * signalling the user's eventfd. Vectors need the device attached to a
 * domain whose MSI cookie places the doorbells (attach sets it), because
 * the interrupt controller maps the doorbell through the IOMMU when the
 * vectors are allocated.
 *
 * Locking: the caller (the device object's mutex) serialises set and free
 * for a device.
 */
#include <linux/eventfd.h>
#include <linux/interrupt.h>
#include <linux/pci.h>
#include <linux/slab.h>

#include "irqs.h"
#include "pci_driver.h"

/** struct iommufd_rs_irqs - the vectors of one device */
struct iommufd_rs_irqs {
	struct pci_dev *pdev;
	u32 nvec;
	struct eventfd_ctx *ctx[];
};

static irqreturn_t iommufd_rs_irq(int irq, void *ctx)
{
	eventfd_signal(ctx);
	return IRQ_HANDLED;
}

static void release(struct iommufd_rs_irqs *irqs, u32 requested, u32 ctxs)
{
	u32 i;

	for (i = 0; i < requested; i++)
		free_irq(pci_irq_vector(irqs->pdev, i), irqs->ctx[i]);
	if (irqs->nvec)
		pci_free_irq_vectors(irqs->pdev);
	for (i = 0; i < ctxs; i++)
		eventfd_ctx_put(irqs->ctx[i]);
	kfree(irqs);
}

/**
 * iommufd_rs_irqs_set() - allocate @nvec vectors signalling @fds
 * @d: a bound, attached device
 * @nvec: number of vectors (> 0)
 * @fds: eventfds, one per vector
 * @out: the vectors on success
 *
 * Return: 0; -EBADF/-EINVAL for a bad eventfd; -ENODEV if the device left;
 * -ENOSPC if it has fewer vectors; the PCI/IRQ core's error otherwise. On
 * error nothing is left allocated.
 */
int iommufd_rs_irqs_set(struct iommufd_rs_pci *d, u32 nvec, const s32 *fds,
			struct iommufd_rs_irqs **out)
{
	struct iommufd_rs_irqs *irqs;
	u32 ctxs = 0, requested = 0;
	int rc;

	if (d->removed)
		return -ENODEV;
	irqs = kzalloc(struct_size(irqs, ctx, nvec), GFP_KERNEL_ACCOUNT);
	if (!irqs)
		return -ENOMEM;
	irqs->pdev = d->pdev;
	for (; ctxs < nvec; ctxs++) {
		struct eventfd_ctx *ctx = eventfd_ctx_fdget(fds[ctxs]);

		if (IS_ERR(ctx)) {
			rc = PTR_ERR(ctx);
			goto err;
		}
		irqs->ctx[ctxs] = ctx;
	}
	rc = pci_alloc_irq_vectors(d->pdev, nvec, nvec, PCI_IRQ_MSIX | PCI_IRQ_MSI);
	if (rc < 0) {
		if (rc == -EINVAL)
			rc = -ENOSPC;
		goto err;
	}
	irqs->nvec = nvec;
	for (; requested < nvec; requested++) {
		rc = request_irq(pci_irq_vector(d->pdev, requested), iommufd_rs_irq, 0,
				 "iommufd_rs", irqs->ctx[requested]);
		if (rc)
			goto err;
	}
	*out = irqs;
	return 0;
err:
	release(irqs, requested, ctxs);
	return rc;
}

/** iommufd_rs_irqs_free() - free the vectors and drop the eventfds */
void iommufd_rs_irqs_free(struct iommufd_rs_irqs *irqs)
{
	release(irqs, irqs->nvec, irqs->nvec);
}
