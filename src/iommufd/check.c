// SPDX-License-Identifier: GPL-2.0
/*
 * The C side of IOMMU_TEST_IOAS_CHECK (src/iommufd/check.rs), compiled into test
 * builds only (Kbuild, IOMMUFD_RS_TEST=y), what Rust cannot reach through
 * the bindings: the leaves of a domain whose driver can enumerate them (its
 * provider, iommufd_rs_driver.h, a C table), and cond_resched() (a macro).
 * Where an area's pinned pages are comes from Pages::phys_at()
 * (src/iommufd/pages.rs), which deliberately does not share the map path's lookup.
 */
#include <linux/iommu.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>

#include "check.h"
#include "../registry/registry.h"

/* Loading a module that carries test-only commands taints the kernel
 * (TAINT_TEST, "N"), so a test build never passes for a shipped one. */
MODULE_INFO(test, "Y");

/**
 * iommufd_rs_check_for_each_leaf() - every leaf of a domain, from its
 * driver's provider
 * @dom: a paging domain
 * @fn: the visitor (see &struct iommufd_rs_provider.domain_for_each_leaf)
 * @arg: passed to @fn
 *
 * Return: as the provider's hook; -EOPNOTSUPP when the domain's driver has
 * no provider or cannot enumerate.
 */
int iommufd_rs_check_for_each_leaf(struct iommu_domain *dom,
				   int (*fn)(void *arg, u64 iova, u64 pa, u64 size, u32 prot),
				   void *arg)
{
	const struct iommufd_rs_provider *p = iommufd_rs_provider_get(dom->owner);
	int ret = -EOPNOTSUPP;

	if (!p)
		return ret;
	if (p->domain_for_each_leaf)
		ret = p->domain_for_each_leaf(dom, fn, arg);
	iommufd_rs_provider_put(p);
	return ret;
}

/**
 * iommufd_rs_check_resched() - let others run during a long check
 *
 * Return: 0, or -EINTR if the caller is being killed.
 */
int iommufd_rs_check_resched(void)
{
	cond_resched();
	return fatal_signal_pending(current) ? -EINTR : 0;
}
