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

#include "iommufd_rs_driver.h"
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

/*
 * The iommu_ops of the IOMMU driver a device is behind (the core's own
 * dev_iommu_ops() is private to drivers/iommu/). A function bound to the
 * iommufd_rs PCI driver was probed by its IOMMU (driver_managed_dma needs a
 * group), and its dev->iommu lives until the function leaves the driver;
 * every caller here keeps it on the driver for the call.
 */
static const struct iommu_ops *device_iommu_ops(struct device *dev)
{
	return dev->iommu && dev->iommu->iommu_dev ? dev->iommu->iommu_dev->ops : NULL;
}

/**
 * iommufd_rs_viommu_supported() - whether a device's IOMMU can have vIOMMUs
 * @dev: the device, kept on the driver by the caller
 *
 * Return: 0; -EOPNOTSUPP if its driver has no provider or its IOMMU cannot
 * nest safely (the driver logs why).
 */
int iommufd_rs_viommu_supported(struct device *dev)
{
	const struct iommufd_rs_provider *p;
	int rc;

	p = iommufd_rs_provider_get(device_iommu_ops(dev));
	if (p) {
		rc = p->viommu_supported(dev);
		iommufd_rs_provider_put(p);
	} else {
		rc = -EOPNOTSUPP;
	}
	return rc;
}

/**
 * iommufd_rs_viommu_alloc() - a vIOMMU over a nest-parent domain
 * @parent: a nest-parent domain allocated for @dev
 * @dev: the device the vIOMMU is allocated for, kept on the driver by the
 *       caller
 * @err: the error when NULL is returned
 *
 * Return: the vIOMMU, or NULL with @err set: -EOPNOTSUPP if the device's
 * driver has no provider or cannot nest, -EINVAL if @parent is no nest
 * parent of the device's IOMMU, -ENOMEM.
 */
struct iommufd_rs_viommu *iommufd_rs_viommu_alloc(struct iommu_domain *parent,
						  struct device *dev, int *err)
{
	struct iommufd_rs_viommu *v;
	void *drv;

	v = kzalloc_obj(*v, GFP_KERNEL_ACCOUNT);
	if (!v) {
		*err = -ENOMEM;
		return NULL;
	}
	v->p = iommufd_rs_provider_get(device_iommu_ops(dev));
	if (!v->p) {
		*err = -EOPNOTSUPP;
		goto out_free;
	}
	drv = v->p->viommu_alloc(parent, dev);
	if (IS_ERR_OR_NULL(drv)) {
		*err = drv ? PTR_ERR(drv) : -ENOMEM;
		goto out_put;
	}
	v->drv = drv;
	return v;

out_put:
	iommufd_rs_provider_put(v->p);
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
 * @dev: the device, kept on the driver by the caller
 * @virt_id: its id in the guest (an SMMUv3 virtual stream id)
 * @token: what iommufd_rs_vdevice_free() takes back
 *
 * Return: 0, or the driver's error (-EEXIST, -EINVAL, -EOPNOTSUPP: see
 * &struct iommufd_rs_provider).
 */
int iommufd_rs_vdevice_alloc(struct iommufd_rs_viommu *v, struct device *dev,
			     u64 virt_id, u64 *token)
{
	if (device_iommu_ops(dev) != v->p->iommu_ops)
		return -EINVAL;
	return v->p->vdevice_alloc(v->drv, dev, virt_id, token);
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
 * @dev: the function, being removed from the driver with its owner still set
 *
 * The virtual ids the file gave it go with it, in the driver, while the
 * file's vDEVICE objects stay (they name a function that left): the next
 * user of the function finds none of them, and no event of the function
 * goes to this file's vIOMMUs any more. As upstream's vDEVICE, which goes
 * when its device is unbound. Nothing for a driver without a provider.
 */
void iommufd_rs_viommu_device_leaves(struct device *dev)
{
	const struct iommufd_rs_provider *p = iommufd_rs_provider_get(device_iommu_ops(dev));

	if (!p)
		return;
	p->device_leave_user(dev);
	iommufd_rs_provider_put(p);
}

/**
 * iommufd_rs_domain_alloc_nested() - a nested domain on a vIOMMU
 * @v: the vIOMMU
 * @dev: the device the HWPT is allocated for, kept on the driver by the
 *       caller
 * @flags: IOMMU_HWPT_ALLOC_*
 * @data_type: enum iommu_hwpt_data_type
 * @uptr: the user's data
 * @len: its length
 * @err: the error when NULL is returned
 *
 * The domain is freed like a paging one (src/kernel_ext/iommu/consumer.rs
 * Domain): it pins its driver's module the same way.
 *
 * Return: the domain, or NULL with @err set: -EINVAL for a device behind
 * another IOMMU, -ENODEV if its driver's module is going away, or the
 * driver's error (see &struct iommufd_rs_provider).
 */
struct iommu_domain *iommufd_rs_domain_alloc_nested(struct iommufd_rs_viommu *v,
						    struct device *dev, u32 flags,
						    u32 data_type, u64 uptr, u32 len, int *err)
{
	const struct iommu_user_data data = {
		.type = data_type,
		.uptr = u64_to_user_ptr(uptr),
		.len = len,
	};
	struct iommu_domain *dom;

	if (device_iommu_ops(dev) != v->p->iommu_ops)
		dom = ERR_PTR(-EINVAL);
	else
		dom = v->p->domain_alloc_nested(v->drv, dev, flags, &data);
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

/**
 * iommufd_rs_domain_translate() - what an IOVA translates to, asked of the
 * domain's driver's provider
 * @dom: the domain
 * @iova: the address
 * @phys: the output address
 * @leaf_size: the size of the leaf entry that maps it (the IOMMU core API
 *             has no such query)
 *
 * Return: 0; -ENOENT if nothing is mapped there; -EOPNOTSUPP if the
 * domain's driver has no provider (the caller asks the core, which gives
 * the address but no leaf size).
 */
int iommufd_rs_domain_translate(struct iommu_domain *dom, u64 iova, u64 *phys,
				u64 *leaf_size)
{
	const struct iommufd_rs_provider *p = iommufd_rs_provider_get(dom->owner);
	int ret;

	if (!p)
		return -EOPNOTSUPP;
	ret = p->domain_translate(dom, iova, phys, leaf_size);
	iommufd_rs_provider_put(p);
	return ret;
}

/**
 * iommufd_rs_nest_parent_geometry() - the geometry a nest-parent domain for
 * a device would have, asked of its driver's provider without allocating one
 * @dev: the device, kept on the driver by the caller
 * @geo: the answer
 *
 * Return: 0; -EOPNOTSUPP if the device's driver has no provider (the IOMMU
 * core API can only tell by allocating a domain).
 */
int iommufd_rs_nest_parent_geometry(struct device *dev, struct iommufd_rs_geometry *geo)
{
	const struct iommufd_rs_provider *p;
	int ret;

	p = iommufd_rs_provider_get(device_iommu_ops(dev));
	if (p) {
		ret = p->nest_parent_geometry(dev, geo);
		iommufd_rs_provider_put(p);
	} else {
		ret = -EOPNOTSUPP;
	}
	return ret;
}

/**
 * iommufd_rs_hw_info() - a device's IOMMU_GET_HW_INFO data, asked of its
 * driver's provider
 * @dev: the device, kept on the driver by the caller
 * @type: in, the requested type (IOMMU_HW_INFO_TYPE_DEFAULT for the
 *        driver's own); out, the type of the data
 * @length: the data's length
 *
 * Return: the data, to be freed with iommufd_rs_hw_info_free(); NULL if
 * the device's driver has no provider (the caller gives the generic
 * answer); an ERR_PTR from the driver (-EOPNOTSUPP for a type it does not
 * have).
 */
void *iommufd_rs_hw_info(struct device *dev, u32 *type, u32 *length)
{
	const struct iommufd_rs_provider *p;
	enum iommu_hw_info_type t = *type;
	void *data = NULL;

	p = iommufd_rs_provider_get(device_iommu_ops(dev));
	if (p) {
		data = p->hw_info(dev, length, &t);
		iommufd_rs_provider_put(p);
	}
	if (!p)
		return NULL;
	*type = t;
	/* A driver with hw_info has a type of its own, as upstream demands. */
	if (!IS_ERR(data) && WARN_ON_ONCE(t == IOMMU_HW_INFO_TYPE_NONE)) {
		kfree(data);
		return ERR_PTR(-EOPNOTSUPP);
	}
	return data;
}

/** iommufd_rs_hw_info_free() - free what iommufd_rs_hw_info() returned */
void iommufd_rs_hw_info_free(void *data)
{
	kfree(data);
}
