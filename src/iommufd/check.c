// SPDX-License-Identifier: GPL-2.0
/*
 * The C side of IOMMU_TEST_IOAS_CHECK (src/iommufd/check.rs), compiled into test
 * builds only (Kbuild, IOMMUFD_RS_TEST=y), what Rust cannot reach through
 * the bindings: cond_resched() (a macro) and fatal_signal_pending() (an
 * inline). The leaves of a domain come from its driver's provider
 * (src/provider_abi), in Rust.
 * Where an area's pinned pages are comes from Pages::phys_at()
 * (src/iommufd/pages.rs), which deliberately does not share the map path's lookup.
 */
#include <linux/iommu.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>

#include "check.h"

/* Loading a module that carries test-only commands taints the kernel
 * (TAINT_TEST, "N"), so a test build never passes for a shipped one. */
MODULE_INFO(test, "Y");

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
