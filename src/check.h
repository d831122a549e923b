/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The C side of the test-only IOMMU_TEST_IOAS_CHECK (check.c), which
 * src/check.rs calls. Test builds only (Kbuild, IOMMUFD_RS_TEST=y).
 */
#ifndef IOMMUFD_RS_CHECK_H
#define IOMMUFD_RS_CHECK_H

#include <linux/types.h>

struct iommu_domain;
struct iommufd_rs_pages;

int iommufd_rs_check_pages_phys(const struct iommufd_rs_pages *p, u64 offset, u64 *phys,
				u64 *contig);
int iommufd_rs_check_resched(void);

#endif
