// SPDX-License-Identifier: GPL-2.0
/*
 * The C side of IOMMU_TEST_IOAS_CHECK (src/check.rs), compiled into test
 * builds only (Kbuild, IOMMUFD_RS_TEST=y), what Rust cannot reach through
 * the bindings: where the pinned pages of an area are (a C struct Rust
 * keeps opaque), the leaves of a domain whose driver can enumerate them
 * (its provider, iommufd_rs_driver.h, a C table), and cond_resched() (a
 * macro).
 *
 * The page lookup deliberately does not share the map path's code
 * (domain.rs): a checker that reused the arithmetic it checks could not
 * see that arithmetic go wrong.
 */
#include <linux/iommu.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>

#include "check.h"
#include "iommufd_rs_driver.h"
#include "pages.h"

/* Loading a module that carries test-only commands taints the kernel
 * (TAINT_TEST, "N"), so a test build never passes for a shipped one. */
MODULE_INFO(test, "Y");

/**
 * iommufd_rs_check_pages_phys() - where a byte of a pinned mapping is
 * @p: the mapping's pages
 * @offset: offset of the byte from the mapping's first byte
 * @phys: its physical address
 * @contig: how many bytes from it are physically contiguous in its run
 *
 * Return: 0, or -EINVAL if the pages are not pinned or @offset is not
 * theirs.
 */
int iommufd_rs_check_pages_phys(const struct iommufd_rs_pages *p, u64 offset, u64 *phys,
				u64 *contig)
{
	u64 at, idx, in_page;
	unsigned long lo = 0, hi;

	if (!p->runs || check_add_overflow((u64)p->offset, offset, &at))
		return -EINVAL;
	idx = at >> PAGE_SHIFT;
	in_page = at & ~PAGE_MASK;
	if (idx >= p->npages)
		return -EINVAL;
	/* The last run that starts at or before the page. */
	hi = p->nruns;
	while (hi - lo > 1) {
		unsigned long mid = lo + (hi - lo) / 2;

		if (p->runs[mid].idx <= idx)
			lo = mid;
		else
			hi = mid;
	}
	*phys = page_to_phys(p->runs[lo].page) + ((idx - p->runs[lo].idx) << PAGE_SHIFT) + in_page;
	*contig = ((p->runs[lo + 1].idx - idx) << PAGE_SHIFT) - in_page;
	return 0;
}

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
