// SPDX-License-Identifier: GPL-2.0
/*
 * An unmap that runs out of memory must not leave the device a way to pages
 * that were given back. One 2 MiB physically contiguous page (hugetlb, or a
 * THP) is mapped as two 1 MiB areas at a 2 MiB-aligned IOVA, two map calls
 * for the IOMMU driver. A driver that merged them into one 2 MiB block (as
 * smmu_rs did on an SMMU with BBML2, which QEMU's has) must split the block
 * to unmap the first area, and the split needs a table page. With this
 * thread's fail-nth set to 1, 2, 3, ... each IOAS_UNMAP of the first area
 * fails one allocation on its way (failslab, fail_page_alloc down to order 0,
 * usercopy), until one runs clean. After every try, an IOVA of the area
 * that still translates must still have its pages pinned: never one
 * translating to pages the IOAS let go. Runs on both SMMU drivers.
 */
#include <sys/mman.h>

#include "kselftest_harness.h"
#include "edu_util.h"
#include "fail_nth_util.h"

#define FAULT_ATTRS "/sys/kernel/debug/"
#define M1 (1UL << 20)
#define M2 (2UL << 20)
#define IOVA 0x40000000UL

/* 2 MiB of physically contiguous memory at a 2 MiB-aligned address. */
static unsigned char *huge_2m(const char **kind)
{
	unsigned char *p = mmap(NULL, M2, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);

	if (p != MAP_FAILED) {
		*kind = "hugetlb";
		memset(p, 0, M2);
		return p;
	}
	p = mmap(NULL, 2 * M2, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	p = (unsigned char *)(((unsigned long)p + M2 - 1) & ~(M2 - 1));
	if (madvise(p, M2, MADV_HUGEPAGE))
		return NULL;
	*kind = "THP";
	memset(p, 0, M2);
	return p;
}

TEST(unmap_of_one_area_under_allocation_failures)
{
	static const char *const attrs[] = { "failslab", "fail_page_alloc", "fail_usercopy" };
	const char *kind = NULL;
	struct edu e;
	unsigned char *huge;
	__u64 iova, phys, leaf, unmapped;
	__u32 dev, ioas, hwpt;
	long pins_before, pins_mapped, pins_one;
	unsigned int n;
	int fd, rc, mapped, injected = 1, stuck = 0;

	if (find_edu(0, &e))
		SKIP(return, "no edu device");
	huge = huge_2m(&kind);
	if (!huge)
		SKIP(return, "no 2 MiB page (hugetlb or THP)");
	for (size_t i = 0; i < ARRAY_SIZE(attrs); i++) {
		char path[128];

		snprintf(path, sizeof(path), FAULT_ATTRS "%s/verbose", attrs[i]);
		ASSERT_EQ(0, write_file(path, "0"));
	}
	ASSERT_EQ(0, write_file(FAULT_ATTRS "failslab/ignore-gfp-wait", "N"));
	ASSERT_EQ(0, write_file(FAULT_ATTRS "fail_page_alloc/ignore-gfp-wait", "N"));
	ASSERT_EQ(0, write_file(FAULT_ATTRS "fail_page_alloc/ignore-gfp-highmem", "N"));
	ASSERT_EQ(0, write_file(FAULT_ATTRS "fail_page_alloc/min-order", "0"));
	ASSERT_EQ(0, set_driver(&e, "iommufd_rs"));
	fd = open(dev_path(), O_RDWR);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, bind_dev(fd, &e, &dev));
	ASSERT_EQ(0, ioas_alloc(fd, &ioas));
	ASSERT_EQ(0, attach(fd, dev, ioas, &hwpt));
	pins_before = vm_pin_pages();
	iova = IOVA;
	ASSERT_EQ(0, map(fd, ioas, huge, M1, &iova, FIXED));
	pins_one = vm_pin_pages();
	iova = IOVA + M1;
	ASSERT_EQ(0, map(fd, ioas, huge + M1, M1, &iova, FIXED));
	pins_mapped = vm_pin_pages();
	ASSERT_EQ(0, translate_leaf(fd, hwpt, IOVA, &phys, &leaf));
	TH_LOG("%s page at IOVA %#lx: two 1 MiB areas, the first held by a %#llx-byte leaf",
	       kind, IOVA, (unsigned long long)leaf);
	nth_fd = open("/proc/thread-self/fail-nth", O_RDWR);
	ASSERT_LE(0, nth_fd);
	for (n = 1; injected && n < 200; n++) {
		ASSERT_EQ(0, set_fail_nth(n));
		rc = unmap(fd, ioas, IOVA, M1, &unmapped);
		injected = end_fail_nth();
		mapped = !translate(fd, hwpt, IOVA, &phys) ||
			 !translate(fd, hwpt, IOVA + M1 - PAGE, &phys);
		/* Whatever the answer: a page of the area the device can still
		 * reach is still pinned. */
		if (mapped) {
			ASSERT_EQ(pins_mapped, vm_pin_pages()) {
				TH_LOG("fail-nth %u: UNMAP answered %d, the first area still translates (to %#llx), and its pages were unpinned",
				       n, rc, (unsigned long long)phys);
			}
		}
		if (rc) {
			/* Refused, or done with the answer not written back
			 * (EFAULT): the next try finds the area or ENOENT. */
			TH_LOG("fail-nth %u: UNMAP answered %d, first area %s, %ld pages pinned", n,
			       rc, mapped ? "mapped" : "gone", vm_pin_pages());
			continue;
		}
		if (mapped) {
			/* iommufd_rs's fail_unmap point stands in for a driver
			 * that unmapped nothing: the area left the IOAS, its
			 * pages stay pinned (checked above) until the IOAS goes. */
			stuck = 1;
			TH_LOG("fail-nth %u: UNMAP answered 0, the domain kept the area (short unmap), %ld pages stay pinned",
			       n, vm_pin_pages());
			break;
		}
		TH_LOG("fail-nth %u: UNMAP ran clean", n);
		break;
	}
	EXPECT_LT(n, 200);
	if (!stuck) {
		/* In the end the first area is gone, and its pages with it. */
		EXPECT_NE(0, translate(fd, hwpt, IOVA, &phys));
		EXPECT_EQ(pins_before + (pins_mapped - pins_one), vm_pin_pages());
	}
	/* The second area is untouched. */
	EXPECT_EQ(0, translate(fd, hwpt, IOVA + M1, &phys));
	close(nth_fd);
	nth_fd = -1;
	close(fd);
	/* Closing the file lets every pin go, the stuck ones too. */
	EXPECT_EQ(pins_before, vm_pin_pages());
	set_driver(&e, NULL);
	munmap(huge, M2);
}

TEST_HARNESS_MAIN
