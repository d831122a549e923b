// SPDX-License-Identifier: GPL-2.0
/*
 * The C side of IOMMU_TEST_IOAS_CHECK (src/check.rs), compiled into test
 * builds only (Kbuild, IOMMUFD_RS_TEST=y), what Rust cannot reach through
 * the bindings: where the pinned pages of an area are (a C struct Rust
 * keeps opaque) and cond_resched() (a macro).
 *
 * The page lookup deliberately does not share the map path's code
 * (domain.c): a checker that reused the arithmetic it checks could not
 * see that arithmetic go wrong.
 */
#include <linux/iommu.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>

#include "check.h"
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
 * iommufd_rs_check_resched() - let others run during a long check
 *
 * Return: 0, or -EINTR if the caller is being killed.
 */
int iommufd_rs_check_resched(void)
{
	cond_resched();
	return fatal_signal_pending(current) ? -EINTR : 0;
}
