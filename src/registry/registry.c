// SPDX-License-Identifier: GPL-2.0
/*
 * iommufd_rs_driver: the registry of this project's IOMMU drivers
 * (iommufd_rs_driver.h). Both the front end and the drivers link against
 * it, never against each other.
 */
#include <linux/errno.h>
#include <linux/module.h>
#include <linux/mutex.h>

#include "registry.h"

/* Registered providers; iommufd_rs_providers_lock protects the list. */
static LIST_HEAD(iommufd_rs_providers);
static DEFINE_MUTEX(iommufd_rs_providers_lock);

/**
 * iommufd_rs_provider_register() - offer a driver's extensions to the front end
 * @p: the provider, with @owner, @iommu_ops and every callback set; it stays
 *     registered, and must stay valid, until iommufd_rs_provider_unregister()
 *
 * Return: 0, -EINVAL for an incomplete provider, -EEXIST if one is already
 * registered for the same iommu_ops.
 */
int iommufd_rs_provider_register(struct iommufd_rs_provider *p)
{
	const struct iommufd_rs_provider *q;
	int ret = 0;

	if (!p->iommu_ops || !p->domain_translate || !p->nest_parent_geometry || !p->hw_info ||
	    !p->viommu_supported || !p->viommu_alloc || !p->viommu_free || !p->vdevice_alloc || !p->vdevice_free ||
	    !p->device_leave_user ||
	    !p->domain_alloc_nested || !p->cache_invalidate ||
	    !p->nested_msi_window || !p->viommu_set_event_queue)
		return -EINVAL;
	mutex_lock(&iommufd_rs_providers_lock);
	list_for_each_entry(q, &iommufd_rs_providers, node) {
		if (q->iommu_ops == p->iommu_ops) {
			ret = -EEXIST;
			goto out;
		}
	}
	list_add_tail(&p->node, &iommufd_rs_providers);
out:
	mutex_unlock(&iommufd_rs_providers_lock);
	return ret;
}
EXPORT_SYMBOL_GPL(iommufd_rs_provider_register);

/**
 * iommufd_rs_provider_unregister() - withdraw a provider
 * @p: a registered provider
 *
 * Lookups made after this returns do not find it. Callers that found it
 * before hold @p->owner, so the driver's module (which calls this on its way
 * out) cannot be gone while they use it.
 */
void iommufd_rs_provider_unregister(struct iommufd_rs_provider *p)
{
	mutex_lock(&iommufd_rs_providers_lock);
	list_del(&p->node);
	mutex_unlock(&iommufd_rs_providers_lock);
}
EXPORT_SYMBOL_GPL(iommufd_rs_provider_unregister);

/**
 * iommufd_rs_provider_get() - the provider of a driver, by its iommu_ops
 * @ops: dev_iommu_ops() of a device, or the owner of a domain
 *
 * Return: the provider with its module held (release it with
 * iommufd_rs_provider_put()), or NULL if the driver registered none or is
 * unloading.
 */
const struct iommufd_rs_provider *iommufd_rs_provider_get(const struct iommu_ops *ops)
{
	const struct iommufd_rs_provider *p, *found = NULL;

	if (!ops)
		return NULL;
	mutex_lock(&iommufd_rs_providers_lock);
	list_for_each_entry(p, &iommufd_rs_providers, node) {
		if (p->iommu_ops == ops) {
			if (try_module_get(p->owner))
				found = p;
			break;
		}
	}
	mutex_unlock(&iommufd_rs_providers_lock);
	return found;
}
EXPORT_SYMBOL_GPL(iommufd_rs_provider_get);

/**
 * iommufd_rs_provider_put() - release a provider iommufd_rs_provider_get() gave
 * @p: the provider
 */
void iommufd_rs_provider_put(const struct iommufd_rs_provider *p)
{
	module_put(p->owner);
}
EXPORT_SYMBOL_GPL(iommufd_rs_provider_put);

MODULE_DESCRIPTION("iommufd-rs: the registry between the front end and this project's IOMMU drivers");
MODULE_AUTHOR("iommufd-rs developers");
MODULE_LICENSE("GPL");
