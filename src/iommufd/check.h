/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The C side of the test-only IOMMU_TEST_IOAS_CHECK (check.c), which
 * src/iommufd/check.rs calls. Test builds only (Kbuild, IOMMUFD_RS_TEST=y).
 */
#ifndef IOMMUFD_RS_CHECK_H
#define IOMMUFD_RS_CHECK_H

#include <linux/types.h>

int iommufd_rs_check_resched(void);

#endif
