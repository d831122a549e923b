// SPDX-License-Identifier: GPL-2.0
/*
 * iommufd_rs_driver: the registry of this project's IOMMU drivers
 * (registry.h). Both the front end and the drivers link against
 * it, never against each other. C because an out-of-tree Rust module
 * cannot export symbols.
 */
#include <linux/errno.h>
#include <linux/list.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/slab.h>

#include "registry.h"

/**
 * struct iommufd_rs_provider - a registered provider
 * @ops: the iommu_ops the driver registered with the IOMMU core: the
 *       provider answers for devices and domains that carry them
 * @owner: the driver's module, held while the front end calls in
 * @table: the driver's provider table, opaque here
 * @node: on iommufd_rs_providers
 */
struct iommufd_rs_provider {
	const struct iommu_ops *ops;
	struct module *owner;
	const void *table;
	struct list_head node;
};

/* Registered providers; iommufd_rs_providers_lock protects the list. */
static LIST_HEAD(iommufd_rs_providers);
static DEFINE_MUTEX(iommufd_rs_providers_lock);

static struct iommufd_rs_provider *find(const struct iommu_ops *ops)
{
	struct iommufd_rs_provider *p;

	lockdep_assert_held(&iommufd_rs_providers_lock);
	list_for_each_entry(p, &iommufd_rs_providers, node)
		if (p->ops == ops)
			return p;
	return NULL;
}

/**
 * iommufd_rs_provider_register() - offer a driver's provider to the front end
 * @ops: the driver's iommu_ops
 * @owner: the driver's module
 * @table: its provider table, valid until iommufd_rs_provider_unregister()
 *
 * Return: 0, -EINVAL for a missing argument, -EEXIST if one is already
 * registered for @ops, -ENOMEM.
 */
int iommufd_rs_provider_register(const struct iommu_ops *ops, struct module *owner,
				 const void *table)
{
	struct iommufd_rs_provider *p;
	int ret = 0;

	if (!ops || !owner || !table)
		return -EINVAL;
	p = kzalloc_obj(*p, GFP_KERNEL);
	if (!p)
		return -ENOMEM;
	p->ops = ops;
	p->owner = owner;
	p->table = table;
	mutex_lock(&iommufd_rs_providers_lock);
	if (find(ops))
		ret = -EEXIST;
	else
		list_add_tail(&p->node, &iommufd_rs_providers);
	mutex_unlock(&iommufd_rs_providers_lock);
	if (ret)
		kfree(p);
	return ret;
}
EXPORT_SYMBOL_NS_GPL(iommufd_rs_provider_register, "IOMMUFD_RS");

/**
 * iommufd_rs_provider_unregister() - withdraw a provider
 * @ops: the iommu_ops it was registered for
 *
 * Lookups made after this returns do not find it. Callers that found it
 * before hold its module, so the driver's module (which calls this on its
 * way out) cannot be gone while they use it.
 */
void iommufd_rs_provider_unregister(const struct iommu_ops *ops)
{
	struct iommufd_rs_provider *p;

	mutex_lock(&iommufd_rs_providers_lock);
	p = find(ops);
	if (p)
		list_del(&p->node);
	mutex_unlock(&iommufd_rs_providers_lock);
	kfree(p);
}
EXPORT_SYMBOL_NS_GPL(iommufd_rs_provider_unregister, "IOMMUFD_RS");

/**
 * iommufd_rs_provider_get() - the provider table of a driver, by its iommu_ops
 * @ops: the iommu_ops of a device, or the owner of a domain
 *
 * Return: the table with its module held (release it with
 * iommufd_rs_provider_put()), or NULL if the driver registered none or is
 * unloading.
 */
const void *iommufd_rs_provider_get(const struct iommu_ops *ops)
{
	struct iommufd_rs_provider *p;
	const void *table = NULL;

	if (!ops)
		return NULL;
	mutex_lock(&iommufd_rs_providers_lock);
	p = find(ops);
	if (p && try_module_get(p->owner))
		table = p->table;
	mutex_unlock(&iommufd_rs_providers_lock);
	return table;
}
EXPORT_SYMBOL_NS_GPL(iommufd_rs_provider_get, "IOMMUFD_RS");

/**
 * iommufd_rs_provider_put() - release what iommufd_rs_provider_get() gave
 * @ops: the iommu_ops it was found by
 *
 * The provider is still registered: its module, which unregisters it on
 * its way out, is held.
 */
void iommufd_rs_provider_put(const struct iommu_ops *ops)
{
	struct iommufd_rs_provider *p;

	mutex_lock(&iommufd_rs_providers_lock);
	p = find(ops);
	mutex_unlock(&iommufd_rs_providers_lock);
	if (!WARN_ON(!p))
		module_put(p->owner);
}
EXPORT_SYMBOL_NS_GPL(iommufd_rs_provider_put, "IOMMUFD_RS");

MODULE_DESCRIPTION("iommufd-rs: the registry between the front end and this project's IOMMU drivers");
MODULE_AUTHOR("iommufd-rs developers");
MODULE_LICENSE("GPL");
