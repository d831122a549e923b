// SPDX-License-Identifier: GPL-2.0
/*
 * The iommufd_rs PCI driver. Like vfio-pci it sets driver_managed_dma: the
 * kernel's DMA API is not used on these functions, whose DMA is owned by
 * the file they are bound to. Functions are bound to the driver with
 * driver_override (it has no ID table), then handed to one file at a time
 * with IOMMU_DEVICE_BIND, which claims DMA ownership of the IOMMU group.
 *
 * Locking: functions_lock protects the list and each entry's @owner and
 * @removed; it is never held while calling into the IOMMU core except for
 * the ownership claim and release, which take only the group mutex. An
 * entry's @live rwsem is taken before either: for reading around every
 * call into the function's IOMMU state, for writing by remove().
 * Lifetime: the list holds one reference to an entry, a file that bound it
 * another; the last put frees it, so a file never sees freed memory even if
 * the function is unbound from the driver under it.
 */
#include <linux/iommu.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/slab.h>
#include <uapi/linux/iommufd.h>

#include "pci_driver.h"


static void iommufd_rs_pci_free(struct kref *ref)
{
	struct iommufd_rs_pci *d = container_of(ref, struct iommufd_rs_pci, ref);

	pci_dev_put(d->pdev);
	kfree(d);
}

static LIST_HEAD(functions);
static DEFINE_MUTEX(functions_lock);

static int iommufd_rs_pci_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct iommufd_rs_pci *d;

	if (!device_iommu_mapped(&pdev->dev)) {
		pci_warn(pdev, "iommufd_rs: not behind an IOMMU, refusing\n");
		return -ENODEV;
	}
	d = kzalloc(sizeof(*d), GFP_KERNEL);
	if (!d)
		return -ENOMEM;
	kref_init(&d->ref);
	init_rwsem(&d->live);
	d->pdev = pci_dev_get(pdev);
	pci_set_drvdata(pdev, d);
	mutex_lock(&functions_lock);
	list_add_tail(&d->node, &functions);
	mutex_unlock(&functions_lock);
	return 0;
}

/*
 * Unbinding the driver from a function a file still holds: the file loses
 * the device (its DMA ownership is released, DMA is blocked by the core's
 * default domain) and later commands on it answer -ENODEV.
 */
static void iommufd_rs_pci_remove(struct pci_dev *pdev)
{
	struct iommufd_rs_pci *d = pci_get_drvdata(pdev);

	/* Waits for calls in the function's IOMMU state; later ones fail. */
	down_write(&d->live);
	mutex_lock(&functions_lock);
	list_del(&d->node);
	d->removed = true;
	if (d->owner) {
		pci_warn(pdev, "iommufd_rs: removed while bound to a file\n");
		pci_clear_master(pdev);
		pci_disable_device(pdev);
		iommu_device_release_dma_owner(&pdev->dev);
		d->owner = NULL;
	}
	mutex_unlock(&functions_lock);
	up_write(&d->live);
	kref_put(&d->ref, iommufd_rs_pci_free);
}

static struct pci_driver iommufd_rs_pci_driver = {
	.name = "iommufd_rs",
	.probe = iommufd_rs_pci_probe,
	.remove = iommufd_rs_pci_remove,
	.driver_managed_dma = true,
};

/** iommufd_rs_pci_register() - register the driver at module load */
int iommufd_rs_pci_register(void)
{
	return pci_register_driver(&iommufd_rs_pci_driver);
}

/** iommufd_rs_pci_unregister() - unregister it at unload (removes all) */
void iommufd_rs_pci_unregister(void)
{
	pci_unregister_driver(&iommufd_rs_pci_driver);
}

/**
 * iommufd_rs_pci_bind() - hand a function to a file
 * @segment: PCI segment (domain)
 * @rid: bus << 8 | devfn
 * @owner: the file's context, the DMA owner cookie of the group
 * @out: the function on success
 *
 * Return: 0; -ENODEV if no such function is bound to this driver; -EBUSY
 * if it is already bound to a file, or another member of its IOMMU group
 * has a driver that uses the DMA API, or the group is owned by another
 * file.
 */
int iommufd_rs_pci_bind(u32 segment, u32 rid, void *owner, struct iommufd_rs_pci **out)
{
	struct iommufd_rs_pci *d;
	int rc = -ENODEV;

	mutex_lock(&functions_lock);
	list_for_each_entry(d, &functions, node) {
		if (pci_domain_nr(d->pdev->bus) != segment ||
		    pci_dev_id(d->pdev) != rid)
			continue;
		if (d->owner) {
			rc = -EBUSY;
			break;
		}
		rc = iommu_device_claim_dma_owner(&d->pdev->dev, owner);
		if (rc == -EPERM)
			rc = -EBUSY;
		if (rc)
			break;
		/* Memory decoding and bus mastering for the file's DMA and MSI. */
		rc = pci_enable_device(d->pdev);
		if (rc) {
			iommu_device_release_dma_owner(&d->pdev->dev);
			break;
		}
		pci_set_master(d->pdev);
		d->owner = owner;
		kref_get(&d->ref);
		*out = d;
		break;
	}
	mutex_unlock(&functions_lock);
	return rc;
}

/**
 * iommufd_rs_pci_unbind() - give a function back (DESTROY, close) and drop
 * the file's reference
 * @d: from iommufd_rs_pci_bind(); not used afterwards
 */
void iommufd_rs_pci_unbind(struct iommufd_rs_pci *d)
{
	mutex_lock(&functions_lock);
	if (d->owner) {
		pci_clear_master(d->pdev);
		pci_disable_device(d->pdev);
		iommu_device_release_dma_owner(&d->pdev->dev);
		d->owner = NULL;
	}
	mutex_unlock(&functions_lock);
	kref_put(&d->ref, iommufd_rs_pci_free);
}

/**
 * iommufd_rs_pci_hw_caps() - IOMMU_HW_CAP_* bits of a device, the generic
 * answer of IOMMU_GET_HW_INFO: only "ATS not supported" can apply, since
 * this module tracks no dirty pages and exposes no PASID
 * @d: a bound device
 * @caps: the capability bits
 *
 * Return: 0, or -ENODEV if the device left the driver.
 */
int iommufd_rs_pci_hw_caps(struct iommufd_rs_pci *d, u64 *caps)
{
	int rc = iommufd_rs_pci_get_live(d);

	if (rc)
		return rc;
	*caps = 0;
	if (!device_iommu_capable(&d->pdev->dev, IOMMU_CAP_PCI_ATS_SUPPORTED))
		*caps |= IOMMU_HW_CAP_PCI_ATS_NOT_SUPPORTED;
	iommufd_rs_pci_put_live(d);
	return 0;
}

/**
 * iommufd_rs_pci_get_live() - keep a function's IOMMU state for a call
 * @d: the function
 *
 * Until iommufd_rs_pci_put_live(), remove() waits, and with it the IOMMU
 * core's teardown of the function's group and dev->iommu.
 *
 * Return: 0, or -ENODEV (and nothing held) if it left the driver.
 */
int iommufd_rs_pci_get_live(struct iommufd_rs_pci *d)
{
	down_read(&d->live);
	if (d->removed) {
		up_read(&d->live);
		return -ENODEV;
	}
	return 0;
}

/** iommufd_rs_pci_put_live() - end what iommufd_rs_pci_get_live() began */
void iommufd_rs_pci_put_live(struct iommufd_rs_pci *d)
{
	up_read(&d->live);
}
