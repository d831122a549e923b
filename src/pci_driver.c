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
 *
 * Access: every function bound to the driver gets a device node,
 * /dev/iommufd_rs/<PCI address>, root's and mode 0600 until an
 * administrator (or udev) says otherwise, as VFIO cdev nodes are. Whoever
 * can open it can bind the function with IOMMU_DEVICE_BIND_FD and the
 * opened node's descriptor; binding by PCI address needs CAP_SYS_ADMIN. An
 * open node holds a reference to its entry.
 */
#include <linux/capability.h>
#include <linux/cdev.h>
#include <linux/device.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/idr.h>
#include <linux/iommu.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/slab.h>
#include <uapi/linux/iommufd.h>

#include "fault.h"
#include "pci_driver.h"
#include "viommu.h"


static void iommufd_rs_pci_free(struct kref *ref)
{
	struct iommufd_rs_pci *d = container_of(ref, struct iommufd_rs_pci, ref);

	pci_dev_put(d->pdev);
	kfree(d);
}

static LIST_HEAD(functions);
static DEFINE_MUTEX(functions_lock);

/* The device nodes: one char device region, minors from an IDA. */
#define IOMMUFD_RS_NODES 256
static dev_t nodes_base;
static struct cdev nodes_cdev;
static DEFINE_IDA(nodes_ida);

static char *nodes_devnode(const struct device *dev, umode_t *mode)
{
	return kasprintf(GFP_KERNEL, "iommufd_rs/%s", dev_name(dev));
}

static const struct class nodes_class = {
	.name = "iommufd_rs",
	.devnode = nodes_devnode,
};

/* Opening a function's node: find it by minor among the listed ones. */
static int node_open(struct inode *inode, struct file *filep)
{
	struct iommufd_rs_pci *d;
	int rc = -ENODEV;

	mutex_lock(&functions_lock);
	list_for_each_entry(d, &functions, node) {
		if (d->devt == inode->i_rdev) {
			kref_get(&d->ref);
			filep->private_data = d;
			rc = 0;
			break;
		}
	}
	mutex_unlock(&functions_lock);
	return rc ? rc : nonseekable_open(inode, filep);
}

static int node_release(struct inode *inode, struct file *filep)
{
	struct iommufd_rs_pci *d = filep->private_data;

	kref_put(&d->ref, iommufd_rs_pci_free);
	return 0;
}

static const struct file_operations node_fops = {
	.owner = THIS_MODULE,
	.open = node_open,
	.release = node_release,
};

/* Gives @d its node; failure leaves the function usable by address. */
static void node_add(struct iommufd_rs_pci *d)
{
	struct device *dev;
	int minor = ida_alloc_max(&nodes_ida, IOMMUFD_RS_NODES - 1, GFP_KERNEL);

	if (minor < 0) {
		pci_warn(d->pdev, "iommufd_rs: no device node (%d)\n", minor);
		return;
	}
	d->devt = MKDEV(MAJOR(nodes_base), MINOR(nodes_base) + minor);
	dev = device_create(&nodes_class, &d->pdev->dev, d->devt, NULL, "%s",
			    pci_name(d->pdev));
	if (IS_ERR(dev)) {
		pci_warn(d->pdev, "iommufd_rs: no device node (%ld)\n", PTR_ERR(dev));
		ida_free(&nodes_ida, minor);
		d->devt = 0;
	}
}

static void node_del(struct iommufd_rs_pci *d)
{
	if (!d->devt)
		return;
	device_destroy(&nodes_class, d->devt);
	ida_free(&nodes_ida, MINOR(d->devt) - MINOR(nodes_base));
}

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
	node_add(d);
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

	/* No new opens; an open node keeps its reference (and gets -ENODEV). */
	node_del(d);
	/* Waits for calls in the function's IOMMU state; later ones fail. */
	down_write(&d->live);
	/* The file's MSI vectors go before the driver's MSI domain does. */
	iommufd_rs_irqs_revoke(d);
	mutex_lock(&functions_lock);
	list_del(&d->node);
	d->removed = true;
	if (d->owner) {
		pci_warn(pdev, "iommufd_rs: removed while bound to a file\n");
		iommufd_rs_viommu_device_leaves(d);
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

/**
 * iommufd_rs_pci_register() - the module's C side at load: its fault points,
 * the nodes' class and region, then the driver
 */
int iommufd_rs_pci_register(void)
{
	int rc;

	iommufd_rs_fault_init();
	rc = alloc_chrdev_region(&nodes_base, 0, IOMMUFD_RS_NODES, "iommufd_rs");
	if (rc)
		goto out_fault;
	cdev_init(&nodes_cdev, &node_fops);
	nodes_cdev.owner = THIS_MODULE;
	rc = cdev_add(&nodes_cdev, nodes_base, IOMMUFD_RS_NODES);
	if (rc)
		goto out_region;
	rc = class_register(&nodes_class);
	if (rc)
		goto out_cdev;
	rc = pci_register_driver(&iommufd_rs_pci_driver);
	if (rc)
		goto out_class;
	return 0;

out_class:
	class_unregister(&nodes_class);
out_cdev:
	cdev_del(&nodes_cdev);
out_region:
	unregister_chrdev_region(nodes_base, IOMMUFD_RS_NODES);
out_fault:
	iommufd_rs_fault_exit();
	return rc;
}

/** iommufd_rs_pci_unregister() - unregister it at unload (removes all) */
void iommufd_rs_pci_unregister(void)
{
	pci_unregister_driver(&iommufd_rs_pci_driver);
	class_unregister(&nodes_class);
	cdev_del(&nodes_cdev);
	unregister_chrdev_region(nodes_base, IOMMUFD_RS_NODES);
	iommufd_rs_fault_exit();
}

/* Claims @d for @owner; with functions_lock held. */
static int claim(struct iommufd_rs_pci *d, void *owner)
{
	int rc;

	if (d->removed)
		return -ENODEV;
	if (d->owner)
		return -EBUSY;
	rc = iommu_device_claim_dma_owner(&d->pdev->dev, owner);
	if (rc == -EPERM)
		rc = -EBUSY;
	if (rc)
		return rc;
	/* Memory decoding and bus mastering for the file's DMA and MSI. */
	rc = pci_enable_device(d->pdev);
	if (rc) {
		iommu_device_release_dma_owner(&d->pdev->dev);
		return rc;
	}
	pci_set_master(d->pdev);
	d->owner = owner;
	kref_get(&d->ref);
	return 0;
}

/**
 * iommufd_rs_pci_bind() - hand a function to a file, by PCI address
 * @segment: PCI segment (domain)
 * @rid: bus << 8 | devfn
 * @owner: the file's context, the DMA owner cookie of the group
 * @out: the function on success
 *
 * Any function of the driver, so only for CAP_SYS_ADMIN: everyone else
 * binds by the function's node (iommufd_rs_pci_bind_fd()).
 *
 * Return: 0; -EPERM without CAP_SYS_ADMIN; -ENODEV if no such function is
 * bound to this driver; -EBUSY if it is already bound to a file, or another
 * member of its IOMMU group has a driver that uses the DMA API, or the
 * group is owned by another file.
 */
int iommufd_rs_pci_bind(u32 segment, u32 rid, void *owner, struct iommufd_rs_pci **out)
{
	struct iommufd_rs_pci *d;
	int rc = -ENODEV;

	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	mutex_lock(&functions_lock);
	list_for_each_entry(d, &functions, node) {
		if (pci_domain_nr(d->pdev->bus) != segment ||
		    pci_dev_id(d->pdev) != rid)
			continue;
		rc = claim(d, owner);
		if (!rc)
			*out = d;
		break;
	}
	mutex_unlock(&functions_lock);
	return rc;
}

/**
 * iommufd_rs_pci_bind_fd() - hand a function to a file, by its opened node
 * @fd: a descriptor of /dev/iommufd_rs/<address>, which the caller could
 *      open: the node's permissions are the access control
 * @owner: as for iommufd_rs_pci_bind()
 * @out: the function on success
 *
 * Return: 0; -EBADF for a descriptor that is not open; -EINVAL for one
 * that is no function node; -ENODEV if the function left the driver since
 * it was opened; -EBUSY as for iommufd_rs_pci_bind().
 */
int iommufd_rs_pci_bind_fd(int fd, void *owner, struct iommufd_rs_pci **out)
{
	struct file *filep = fget(fd);
	struct iommufd_rs_pci *d;
	int rc;

	if (!filep)
		return -EBADF;
	if (filep->f_op != &node_fops) {
		fput(filep);
		return -EINVAL;
	}
	d = filep->private_data;
	mutex_lock(&functions_lock);
	rc = claim(d, owner);
	mutex_unlock(&functions_lock);
	fput(filep);
	if (!rc)
		*out = d;
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

/** iommufd_rs_pci_put() - drop a reference taken on a function */
void iommufd_rs_pci_put(struct iommufd_rs_pci *d)
{
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
