// SPDX-License-Identifier: GPL-2.0
/*
 * The iommufd_rs PCI driver. Like vfio-pci it sets driver_managed_dma: the
 * kernel's DMA API is not used on these functions, whose DMA is owned by
 * the file they are bound to. Functions are bound to the driver with
 * driver_override (it has no ID table), then handed to one file at a time
 * with IOMMU_DEVICE_BIND.
 *
 * DMA ownership: the driver claims it at probe, so from probe to remove the
 * IOMMU core keeps the function's group in its blocking domain whenever no
 * file has attached it (on every IOMMU driver, whatever its default domain:
 * smmu_rs's is identity) and refuses a DMA-API driver on any function of
 * the group. IOMMU_DEVICE_BIND hands the function to a file, and the
 * driver keeps what the core's per-owner cookie would otherwise say: the
 * functions of one group belong to one file at a time (struct
 * iommufd_rs_group). The group is attached as a whole: the first function
 * attached attaches it, later ones of the same file join that domain, the
 * last one detached detaches it.
 *
 * Function state: INTx is off from probe to remove (nothing here handles
 * it, and a function asserting INTx on a shared line gets the line shut
 * down for everyone); bus mastering is on only while a file holds the
 * function; like vfio-pci, bind resets the function where it can and saves
 * its config space, release restores that and resets it again, so nothing
 * one user programmed survives into the next.
 *
 * Locking: functions_lock protects the lists, each entry's @owner,
 * @removed, @grp and @attached, and the groups' state; held across the
 * IOMMU core's ownership, attach and detach calls, which take the group
 * mutex and the IOMMU driver's own locks. The device lock is only tried
 * under it (the function resets), never waited for: remove() runs under
 * the device lock and takes functions_lock. An entry's @live rwsem is taken
 * before functions_lock: for reading around every call into the function's
 * IOMMU state, for writing by remove().
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
	kfree(d->saved);
	kfree(d);
}

static LIST_HEAD(functions);
static LIST_HEAD(groups);
static DEFINE_MUTEX(functions_lock);
static struct pci_driver iommufd_rs_pci_driver;

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

/* The entry of @group, with functions_lock held; NULL if it has none. */
static struct iommufd_rs_group *group_find(struct iommu_group *group)
{
	struct iommufd_rs_group *grp;

	list_for_each_entry(grp, &groups, node)
		if (grp->group == group)
			return grp;
	return NULL;
}

/*
 * @d's group leaves the domain of its owner with @d, if @d was the last
 * function attached: back to the core's blocking domain. With
 * functions_lock held.
 */
static void group_detach(struct iommufd_rs_pci *d)
{
	struct iommufd_rs_group *grp = d->grp;

	d->attached = false;
	if (--grp->attached)
		return;
	iommu_detach_group(grp->domain, grp->group);
	grp->domain = NULL;
}

/*
 * The config space saved at bind goes back and the function is reset where
 * it can be, as vfio_pci_core_disable() does; with functions_lock held.
 * @locked: the caller holds the device lock (remove()); otherwise it is
 * only tried, and the reset is skipped if someone else holds it.
 */
static void function_restore(struct iommufd_rs_pci *d, bool locked)
{
	struct pci_dev *pdev = d->pdev, *bridge;
	bool restored = false;

	if (d->saved)
		restored = !pci_load_and_free_saved_state(pdev, &d->saved);
	/* Without the bind's state, a reset with the current one. */
	if (!restored) {
		if (!d->reset_works)
			return;
		pci_save_state(pdev);
	}
	/* As pci_reset_function(): no INTx or bus mastering during the reset. */
	pci_write_config_word(pdev, PCI_COMMAND, PCI_COMMAND_INTX_DISABLE);
	if (d->reset_works) {
		bridge = pci_upstream_bridge(pdev);
		if (!bridge || pci_dev_trylock(bridge)) {
			if (locked) {
				__pci_reset_function_locked(pdev);
			} else if (pci_dev_trylock(pdev)) {
				__pci_reset_function_locked(pdev);
				pci_dev_unlock(pdev);
			}
			if (bridge)
				pci_dev_unlock(bridge);
		}
	}
	pci_restore_state(pdev);
}

/*
 * Takes @d back from its file (DESTROY, close, or remove() under a file),
 * with functions_lock held: out of its group's attachment if the file left
 * it attached (only remove() finds it so: a file detaches before it lets
 * go), no bus mastering, config space as at bind and a reset where there
 * is one. The group stays in the driver's DMA ownership: blocked.
 */
static void release(struct iommufd_rs_pci *d, bool locked)
{
	struct iommufd_rs_group *grp = d->grp;

	if (d->attached)
		group_detach(d);
	pci_clear_master(d->pdev);
	function_restore(d, locked);
	pci_intx(d->pdev, 0);
	pci_disable_device(d->pdev);
	if (!--grp->owned)
		grp->owner = NULL;
	d->owner = NULL;
}

static int iommufd_rs_pci_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct iommufd_rs_group *grp, *new_grp;
	struct iommu_group *group;
	struct iommufd_rs_pci *d;
	u16 cmd;
	int rc;

	if (!device_iommu_mapped(&pdev->dev)) {
		pci_warn(pdev, "iommufd_rs: not behind an IOMMU, refusing\n");
		return -ENODEV;
	}
	d = kzalloc(sizeof(*d), GFP_KERNEL);
	new_grp = kzalloc(sizeof(*new_grp), GFP_KERNEL);
	if (!d || !new_grp) {
		rc = -ENOMEM;
		goto out_free;
	}
	/*
	 * The driver owns the function's DMA from here to remove(): the core
	 * puts the group in its blocking domain. The cookie is the driver's,
	 * the same for every function, so functions of one group can all be
	 * ours; which file has them is the driver's to say (claim()).
	 */
	rc = iommu_device_claim_dma_owner(&pdev->dev, &iommufd_rs_pci_driver);
	if (rc) {
		pci_warn(pdev, "iommufd_rs: its IOMMU group is in use (%d), refusing\n", rc);
		if (rc == -EPERM)
			rc = -EBUSY;
		goto out_free;
	}
	group = iommu_group_get(&pdev->dev);
	/* No DMA and no INTx until a file holds it (INTx: not even then). */
	pci_clear_master(pdev);
	pci_read_config_word(pdev, PCI_COMMAND, &cmd);
	d->intx_was_enabled = !(cmd & PCI_COMMAND_INTX_DISABLE);
	pci_intx(pdev, 0);
	kref_init(&d->ref);
	init_rwsem(&d->live);
	d->pdev = pci_dev_get(pdev);
	pci_set_drvdata(pdev, d);
	mutex_lock(&functions_lock);
	grp = group_find(group);
	if (grp) {
		iommu_group_put(group);
	} else {
		grp = new_grp;
		new_grp = NULL;
		grp->group = group;
		list_add_tail(&grp->node, &groups);
	}
	grp->functions++;
	d->grp = grp;
	list_add_tail(&d->node, &functions);
	mutex_unlock(&functions_lock);
	kfree(new_grp);
	node_add(d);
	return 0;

out_free:
	kfree(new_grp);
	kfree(d);
	return rc;
}

/*
 * Unbinding the driver from a function a file still holds (an
 * administrator's unbind, or hot removal): the file loses the function and
 * later commands on it answer -ENODEV, and the function leaves its group's
 * attachment here. If it was the last function attached, the group goes
 * back to blocking; if another function of the group is still attached,
 * the group stays on that domain for it, and the file's HWPT stays alive
 * as long as that function is attached (the HWPT counts it). So the
 * domain is never freed while the group is on it.
 *
 * vfio_unregister_group_dev() instead waits until the user closes the
 * device, asking it to through the device's request interrupt. This
 * driver has no such channel, so waiting would hang the unbind (or a
 * surprise removal) on a user who never learns it should let go; and the
 * function's part in the group is the driver's bookkeeping, so it can be
 * taken out safely without the user.
 */
static void iommufd_rs_pci_remove(struct pci_dev *pdev)
{
	struct iommufd_rs_pci *d = pci_get_drvdata(pdev);
	struct iommufd_rs_group *grp;

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
		iommufd_rs_viommu_device_leaves(&pdev->dev);
		release(d, true);
	}
	grp = d->grp;
	d->grp = NULL;
	if (!--grp->functions) {
		list_del(&grp->node);
		iommu_group_put(grp->group);
		kfree(grp);
	}
	iommu_device_release_dma_owner(&pdev->dev);
	if (d->intx_was_enabled)
		pci_intx(pdev, 1);
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

/*
 * Claims @d for @owner, with functions_lock held: the driver's DMA
 * ownership passes to the file, which may hold the other functions of the
 * group but no other file may. Then, as vfio_pci_core_enable(): no bus
 * mastering in the state saved, enabled, reset where the function has a
 * reset method, config space saved for release; bus mastering for the
 * file's DMA and MSI.
 */
static int claim(struct iommufd_rs_pci *d, void *owner)
{
	struct iommufd_rs_group *grp;
	struct pci_dev *pdev = d->pdev;
	int rc;

	if (d->removed)
		return -ENODEV;
	grp = d->grp;
	if (d->owner || (grp->owner && grp->owner != owner))
		return -EBUSY;
	pci_clear_master(pdev);
	rc = pci_enable_device(pdev);
	if (rc)
		return rc;
	rc = pci_try_reset_function(pdev);
	/* The device lock is busy (remove() under way, a sysfs reset). */
	if (rc == -EAGAIN) {
		pci_disable_device(pdev);
		return rc;
	}
	d->reset_works = !rc;
	pci_save_state(pdev);
	d->saved = pci_store_saved_state(pdev);
	if (!d->saved)
		pci_dbg(pdev, "iommufd_rs: config space not saved\n");
	pci_intx(pdev, 0);
	pci_set_master(pdev);
	grp->owner = owner;
	grp->owned++;
	d->owner = owner;
	kref_get(&d->ref);
	return 0;
}

/**
 * iommufd_rs_pci_bind() - hand a function to a file, by PCI address
 * @segment: PCI segment (domain)
 * @rid: bus << 8 | devfn
 * @owner: the file's context: the functions of a group belong to one
 *         owner at a time
 * @out: the function on success
 *
 * Any function of the driver, so only for CAP_SYS_ADMIN: everyone else
 * binds by the function's node (iommufd_rs_pci_bind_fd()).
 *
 * Return: 0; -EPERM without CAP_SYS_ADMIN; -ENODEV if no such function is
 * bound to this driver; -EBUSY if it is already bound to a file, or
 * another function of its IOMMU group is bound to another file; -EAGAIN if
 * the function's device lock is held (it is being reset or unbound).
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
 * it was opened; -EBUSY and -EAGAIN as for iommufd_rs_pci_bind().
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
	if (d->owner)
		release(d, false);
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

/**
 * iommufd_rs_pci_dev() - a function's struct device, for calls made
 * between iommufd_rs_pci_get_live() and iommufd_rs_pci_put_live()
 * @d: the function
 */
struct device *iommufd_rs_pci_dev(struct iommufd_rs_pci *d)
{
	return &d->pdev->dev;
}

/** iommufd_rs_pci_put_live() - end what iommufd_rs_pci_get_live() began */
void iommufd_rs_pci_put_live(struct iommufd_rs_pci *d)
{
	up_read(&d->live);
}

/**
 * iommufd_rs_pci_attach() - attach a bound function, and so its IOMMU
 * group, to a domain
 * @d: the function, bound to a file; the caller holds iommufd_rs_pci_get_live()
 * @dom: the domain
 *
 * The first function of a group attaches the group; a later one (of the
 * same file, which owns the whole group) joins the domain the group is on.
 *
 * Return: 0; -EINVAL if the group is attached to another domain (all of a
 * group's functions share one; upstream iommufd answers the same) or the
 * core's error (-EINVAL for a domain the device cannot use).
 */
int iommufd_rs_pci_attach(struct iommufd_rs_pci *d, struct iommu_domain *dom)
{
	struct iommufd_rs_group *grp;
	int rc = 0;

	mutex_lock(&functions_lock);
	grp = d->grp;
	if (WARN_ON_ONCE(d->attached || d->owner != grp->owner))
		rc = -EBUSY;
	else if (grp->domain && grp->domain != dom)
		rc = -EINVAL;
	else if (!grp->domain)
		rc = iommu_attach_group(dom, grp->group);
	if (!rc) {
		grp->domain = dom;
		grp->attached++;
		d->attached = true;
	}
	mutex_unlock(&functions_lock);
	return rc;
}

/**
 * iommufd_rs_pci_detach() - detach a function from the domain its group is
 * on; the group goes back to blocking with the last function attached
 * @d: the function; the caller holds iommufd_rs_pci_get_live()
 * @dom: the domain it was attached to
 */
void iommufd_rs_pci_detach(struct iommufd_rs_pci *d, struct iommu_domain *dom)
{
	mutex_lock(&functions_lock);
	if (d->attached && !WARN_ON_ONCE(d->grp->domain != dom))
		group_detach(d);
	mutex_unlock(&functions_lock);
}

/**
 * iommufd_rs_pci_domain_in_use() - whether a group of a function of this
 * driver is on @dom, by the driver's count or by the IOMMU core's word
 * @dom: a domain about to be freed
 *
 * Return: true if freeing @dom now would leave a group on freed memory.
 */
bool iommufd_rs_pci_domain_in_use(struct iommu_domain *dom)
{
	struct iommufd_rs_group *grp;
	struct iommufd_rs_pci *d;
	bool used = false;

	mutex_lock(&functions_lock);
	list_for_each_entry(grp, &groups, node)
		used |= grp->domain == dom;
	list_for_each_entry(d, &functions, node)
		used |= iommu_get_domain_for_dev(&d->pdev->dev) == dom;
	mutex_unlock(&functions_lock);
	return used;
}
