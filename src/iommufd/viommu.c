// SPDX-License-Identifier: GPL-2.0
/*
 * vIOMMUs, their virtual device ids and nested domains, asked of the IOMMU
 * driver of a bound device through its provider (iommufd_rs_driver.h).
 * Only this project's drivers have one; for a device behind any other
 * driver every request here is -EOPNOTSUPP.
 *
 * A vIOMMU holds its provider (and so the driver's module) for its whole
 * life: the driver's handle is only meaningful to that driver.
 */
#include <linux/device.h>
#include <linux/err.h>
#include <linux/iommu.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/slab.h>

#include "domain.h"
#include "pci_driver.h"
#include "viommu.h"

/**
 * struct iommufd_rs_viommu - a vIOMMU of a driver with a provider
 * @p: the provider, held until the vIOMMU is freed
 * @drv: the driver's handle
 */
struct iommufd_rs_viommu {
	const struct iommufd_rs_provider *p;
	void *drv;
};

/* See domain.c: the core's dev_iommu_ops() is private to drivers/iommu/. */
static const struct iommu_ops *device_iommu_ops(struct device *dev)
{
	return dev->iommu && dev->iommu->iommu_dev ? dev->iommu->iommu_dev->ops : NULL;
}

/**
 * iommufd_rs_viommu_supported() - whether a device's IOMMU can have vIOMMUs
 * @d: the device
 *
 * Return: 0; -EOPNOTSUPP if its driver has no provider or its IOMMU cannot
 * nest safely (the driver logs why); -ENODEV if the device left the driver.
 */
int iommufd_rs_viommu_supported(struct iommufd_rs_pci *d)
{
	const struct iommufd_rs_provider *p;
	int rc = iommufd_rs_pci_get_live(d);

	if (rc)
		return rc;
	p = iommufd_rs_provider_get(device_iommu_ops(&d->pdev->dev));
	if (p) {
		rc = p->viommu_supported(&d->pdev->dev);
		iommufd_rs_provider_put(p);
	} else {
		rc = -EOPNOTSUPP;
	}
	iommufd_rs_pci_put_live(d);
	return rc;
}

/**
 * iommufd_rs_viommu_alloc() - a vIOMMU over a nest-parent domain
 * @parent: a nest-parent domain allocated for @d
 * @d: the device the vIOMMU is allocated for
 * @err: the error when NULL is returned
 *
 * Return: the vIOMMU, or NULL with @err set: -EOPNOTSUPP if the device's
 * driver has no provider or cannot nest, -EINVAL if @parent is no nest
 * parent of the device's IOMMU, -ENODEV if the device left the driver,
 * -ENOMEM.
 */
struct iommufd_rs_viommu *iommufd_rs_viommu_alloc(struct iommu_domain *parent,
						  struct iommufd_rs_pci *d, int *err)
{
	struct iommufd_rs_viommu *v;
	void *drv;

	v = kzalloc_obj(*v, GFP_KERNEL_ACCOUNT);
	if (!v) {
		*err = -ENOMEM;
		return NULL;
	}
	*err = iommufd_rs_pci_get_live(d);
	if (*err)
		goto out_free;
	v->p = iommufd_rs_provider_get(device_iommu_ops(&d->pdev->dev));
	if (!v->p) {
		*err = -EOPNOTSUPP;
		goto out_live;
	}
	drv = v->p->viommu_alloc(parent, &d->pdev->dev);
	if (IS_ERR_OR_NULL(drv)) {
		*err = drv ? PTR_ERR(drv) : -ENOMEM;
		goto out_put;
	}
	iommufd_rs_pci_put_live(d);
	v->drv = drv;
	return v;

out_put:
	iommufd_rs_provider_put(v->p);
out_live:
	iommufd_rs_pci_put_live(d);
out_free:
	kfree(v);
	return NULL;
}

/**
 * iommufd_rs_viommu_free() - free a vIOMMU with no vDEVICE and no nested
 * domain left
 * @v: from iommufd_rs_viommu_alloc()
 */
void iommufd_rs_viommu_free(struct iommufd_rs_viommu *v)
{
	v->p->viommu_free(v->drv);
	iommufd_rs_provider_put(v->p);
	kfree(v);
}

/**
 * iommufd_rs_vdevice_alloc() - give a device a virtual id in a vIOMMU
 * @v: the vIOMMU
 * @d: the device
 * @virt_id: its id in the guest (an SMMUv3 virtual stream id)
 * @token: what iommufd_rs_vdevice_free() takes back
 *
 * Return: 0, -ENODEV if the device left the driver, or the driver's error
 * (-EEXIST, -EINVAL, -EOPNOTSUPP: see &struct iommufd_rs_provider).
 */
int iommufd_rs_vdevice_alloc(struct iommufd_rs_viommu *v, struct iommufd_rs_pci *d,
			     u64 virt_id, u64 *token)
{
	int rc = iommufd_rs_pci_get_live(d);

	if (rc)
		return rc;
	if (device_iommu_ops(&d->pdev->dev) != v->p->iommu_ops)
		rc = -EINVAL;
	else
		rc = v->p->vdevice_alloc(v->drv, &d->pdev->dev, virt_id, token);
	iommufd_rs_pci_put_live(d);
	return rc;
}

/**
 * iommufd_rs_vdevice_free() - take a virtual id back
 * @v: the vIOMMU
 * @token: from iommufd_rs_vdevice_alloc(); the device may be gone
 */
void iommufd_rs_vdevice_free(struct iommufd_rs_viommu *v, u64 token)
{
	v->p->vdevice_free(v->drv, token);
}

/**
 * iommufd_rs_viommu_device_leaves() - a function leaves the file holding it
 * @d: the function, being removed from the driver with its owner still set
 *
 * The virtual ids the file gave it go with it, in the driver, while the
 * file's vDEVICE objects stay (they name a function that left): the next
 * user of the function finds none of them, and no event of the function
 * goes to this file's vIOMMUs any more. As upstream's vDEVICE, which goes
 * when its device is unbound. Nothing for a driver without a provider.
 */
void iommufd_rs_viommu_device_leaves(struct iommufd_rs_pci *d)
{
	const struct iommufd_rs_provider *p =
		iommufd_rs_provider_get(device_iommu_ops(&d->pdev->dev));

	if (!p)
		return;
	p->device_leave_user(&d->pdev->dev);
	iommufd_rs_provider_put(p);
}

/**
 * iommufd_rs_domain_alloc_nested() - a nested domain on a vIOMMU
 * @v: the vIOMMU
 * @d: the device the HWPT is allocated for
 * @flags: IOMMU_HWPT_ALLOC_*
 * @data_type: enum iommu_hwpt_data_type
 * @uptr: the user's data
 * @len: its length
 * @err: the error when NULL is returned
 *
 * The domain is freed with iommufd_rs_domain_free(), like a paging one: it
 * pins its driver's module the same way.
 *
 * Return: the domain, or NULL with @err set: -EINVAL for a device behind
 * another IOMMU, -ENODEV if the device left the driver, or the driver's
 * error (see &struct iommufd_rs_provider).
 */
struct iommu_domain *iommufd_rs_domain_alloc_nested(struct iommufd_rs_viommu *v,
						    struct iommufd_rs_pci *d, u32 flags,
						    u32 data_type, u64 uptr, u32 len, int *err)
{
	const struct iommu_user_data data = {
		.type = data_type,
		.uptr = u64_to_user_ptr(uptr),
		.len = len,
	};
	struct iommu_domain *dom;

	*err = iommufd_rs_pci_get_live(d);
	if (*err)
		return NULL;
	if (device_iommu_ops(&d->pdev->dev) != v->p->iommu_ops)
		dom = ERR_PTR(-EINVAL);
	else
		dom = v->p->domain_alloc_nested(v->drv, &d->pdev->dev, flags, &data);
	iommufd_rs_pci_put_live(d);
	if (IS_ERR(dom)) {
		*err = PTR_ERR(dom);
		return NULL;
	}
	if (!try_module_get(dom->owner->owner)) {
		iommu_domain_free(dom);
		*err = -ENODEV;
		return NULL;
	}
	return dom;
}

/**
 * iommufd_rs_viommu_invalidate() - carry out guest invalidation commands
 * @v: the vIOMMU
 * @cmds: @n commands of two words each, in host byte order
 * @n: how many
 * @done: how many were carried out
 *
 * Return: 0, or -EIO for the command at @done (refused), or the driver's
 * error.
 */
int iommufd_rs_viommu_invalidate(struct iommufd_rs_viommu *v, const u64 *cmds, u32 n,
				 u32 *done)
{
	return v->p->cache_invalidate(v->drv, cmds, n, done);
}

/**
 * iommufd_rs_domain_nested_msi() - place a nested domain's MSI doorbells
 * @dom: a nested domain from iommufd_rs_domain_alloc_nested()
 * @giova: where its MSI cookie will be: the gIOVA of the first doorbell slot
 * @ipa: the SW_MSI window's start in the parent's stage 2
 * @size: the window's size
 *
 * Return: 0, or the driver's error (-EINVAL for a placement the domain
 * cannot take).
 */
int iommufd_rs_domain_nested_msi(struct iommu_domain *dom, u64 giova, u64 ipa, u64 size)
{
	const struct iommufd_rs_provider *p = iommufd_rs_provider_get(dom->owner);
	int rc;

	if (!p)
		return -EINVAL;
	rc = p->nested_msi_window(dom, giova, ipa, size);
	iommufd_rs_provider_put(p);
	return rc;
}

/**
 * iommufd_rs_viommu_set_event_queue() - where a vIOMMU's guest events go
 * @v: the vIOMMU
 * @q: a vEVENTQ, or NULL for nowhere; once cleared, no report is in flight
 *
 * Return: 0, or -EEXIST if @v has a queue already.
 */
int iommufd_rs_viommu_set_event_queue(struct iommufd_rs_viommu *v, struct iommufd_rs_veventq *q)
{
	return v->p->viommu_set_event_queue(v->drv, q);
}
