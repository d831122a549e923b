// SPDX-License-Identifier: GPL-2.0
/*
 * What a domain maps is exactly what the IOAS holds, and what it holds
 * pinned: with an edu device bound to a file and attached to an IOAS.
 *
 * - An area whose backing does not start on a page boundary where its IOVA
 *   does (MAP of an unaligned user address, MAP_FILE of an unaligned file
 *   offset, COPY of a slice starting inside a page) is refused with EINVAL
 *   once a domain needs 4 KiB alignment, and an IOAS holding one refuses a
 *   domain with EADDRINUSE, as upstream's iopt_insert_area() and
 *   iopt_check_iova_alignment() do: such an area would span one page more
 *   in the domain than in the IOVA space, which the unmap would leave
 *   mapped to an unpinned page. Each refusal must leave nothing mapped (the
 *   neighbour page translates to ENOENT) and nothing pinned, also when a MAP
 *   fails half-way over two domains (fail-nth on every point it reaches).
 * - A short unmap (the module's fail_unmap fault point stands in for a
 *   driver that cannot unmap) must not unpin: the pages the device can still
 *   reach stay pinned, until the IOAS goes after its domains.
 * - A WRITEABLE-only map is not readable by the device where the SMMU can
 *   express that (smmu_rs's stage 2).
 */
#include <sys/mman.h>

#include "kselftest_harness.h"
#include "edu_util.h"
#include "fail_nth_util.h"

#define IOVA 0x100000UL
#define BUF_PAGES 4
#define FAULT_ATTRS "/sys/kernel/debug/"
#define FAIL_UNMAP FAULT_ATTRS "iommufd_rs/fail_unmap/"

FIXTURE(iso) {
	int fd;
	struct edu e;
	__u32 dev, ioas;
	unsigned char *buf;
	volatile __u64 *bar;
	long pin0, foll0;
};

/* Both pin counts say @n pages more are pinned than at the fixture's start. */
#define EXPECT_PINNED(n)						\
	do {								\
		EXPECT_EQ(self->pin0 + (n), vm_pin_pages());		\
		EXPECT_EQ(self->foll0 + (n), foll_pins());		\
	} while (0)

FIXTURE_SETUP(iso)
{
	if (find_edu(0, &self->e))
		SKIP(return, "no edu device");
	ASSERT_EQ(0, set_driver(&self->e, "iommufd_rs"));
	ASSERT_EQ(0, enable_device(&self->e));
	self->bar = map_bar0(&self->e);
	ASSERT_NE(NULL, self->bar);
	self->fd = open(dev_path(), O_RDWR);
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, bind_dev(self->fd, &self->e, &self->dev));
	ASSERT_EQ(0, ioas_alloc(self->fd, &self->ioas));
	self->buf = buffer(BUF_PAGES * PAGE);
	ASSERT_NE(NULL, self->buf);
	self->pin0 = vm_pin_pages();
	ASSERT_LE(0, self->pin0);
	self->foll0 = foll_pins();
	ASSERT_LE(0, self->foll0);
}

FIXTURE_TEARDOWN(iso)
{
	if (self->bar) {
		close(self->fd);
		munmap((void *)self->bar, 1 << 20);
		munmap(self->buf, BUF_PAGES * PAGE);
	}
	set_driver(&self->e, NULL);
}

/* Neither the page at @iova nor the one after it is mapped in @hwpt. */
#define EXPECT_UNMAPPED_PAIR(hwpt, iova)					\
	do {									\
		__u64 _phys;							\
		EXPECT_EQ(ENOENT, translate(self->fd, hwpt, iova, &_phys));	\
		EXPECT_EQ(ENOENT, translate(self->fd, hwpt, (iova) + PAGE, &_phys)); \
	} while (0)

/*
 * The opening finding: a FIXED MAP of a user address 0x800 into a page,
 * one page long, spans two pages of memory but one page of IOVA. Refused;
 * had it been taken, its unmap would leave IOVA + 4 KiB mapped.
 */
TEST_F(iso, map_of_an_unaligned_user_address_is_refused)
{
	__u64 iova = IOVA, unmapped = 0;
	__u32 hwpt;

	ASSERT_EQ(0, attach(self->fd, self->dev, self->ioas, &hwpt));
	EXPECT_EQ(EINVAL, map(self->fd, self->ioas, self->buf + 0x800, PAGE, &iova, FIXED));
	EXPECT_PINNED(0);
	/* Had it been taken: unmap it, and nothing may stay behind. */
	if (!unmap(self->fd, self->ioas, IOVA, PAGE, &unmapped))
		EXPECT_EQ(PAGE, unmapped);
	EXPECT_UNMAPPED_PAIR(hwpt, IOVA);
	EXPECT_PINNED(0);
	/* At an automatic IOVA too (which was refused already: an IOVA
	 * aligned as the address cannot be aligned to a page). */
	iova = 0;
	EXPECT_EQ(EINVAL, map(self->fd, self->ioas, self->buf + 0x800, PAGE, &iova, RW));
	EXPECT_PINNED(0);
	/* The same memory from its page boundary maps and unmaps whole. */
	iova = IOVA;
	ASSERT_EQ(0, map(self->fd, self->ioas, self->buf, 2 * PAGE, &iova, FIXED));
	EXPECT_PINNED(2);
	ASSERT_EQ(0, unmap(self->fd, self->ioas, IOVA, 2 * PAGE, NULL));
	EXPECT_UNMAPPED_PAIR(hwpt, IOVA);
	EXPECT_PINNED(0);
}

/* COPY to a FIXED IOVA of a slice that starts 0x800 into a page of a
 * normal, page-aligned area (no unaligned user address needed). */
TEST_F(iso, copy_of_a_slice_starting_inside_a_page_is_refused)
{
	__u64 iova = IOVA, dst = 0x200000, unmapped = 0;
	__u32 src, hwpt;

	ASSERT_EQ(0, attach(self->fd, self->dev, self->ioas, &hwpt));
	ASSERT_EQ(0, ioas_alloc(self->fd, &src));
	ASSERT_EQ(0, map(self->fd, src, self->buf, BUF_PAGES * PAGE, &iova, FIXED));
	EXPECT_EQ(EINVAL, copy(self->fd, self->ioas, src, IOVA + 0x800, PAGE, &dst,
			       FIXED));
	EXPECT_PINNED(0);
	if (!unmap(self->fd, self->ioas, 0x200000, PAGE, &unmapped))
		EXPECT_EQ(PAGE, unmapped);
	EXPECT_UNMAPPED_PAIR(hwpt, 0x200000);
	EXPECT_PINNED(0);
	/* The same at an automatic IOVA. */
	dst = 0;
	EXPECT_EQ(EINVAL, copy(self->fd, self->ioas, src, IOVA + 0x800, PAGE, &dst, RW));
	EXPECT_PINNED(0);
	/* A slice starting on a page boundary copies and unmaps whole. */
	dst = 0x200000;
	ASSERT_EQ(0, copy(self->fd, self->ioas, src, IOVA + PAGE, PAGE, &dst, FIXED));
	EXPECT_PINNED(BUF_PAGES);
	ASSERT_EQ(0, unmap(self->fd, self->ioas, 0x200000, PAGE, NULL));
	EXPECT_UNMAPPED_PAIR(hwpt, 0x200000);
	EXPECT_PINNED(0);
	EXPECT_EQ(0, destroy(self->fd, src));
}

/* MAP_FILE of a memfd from an offset 0x800 into a page. */
TEST_F(iso, map_file_from_an_unaligned_offset_is_refused)
{
	int mfd = memfd_create("map_isolation_test", 0);
	__u64 iova = IOVA, unmapped = 0;
	__u32 hwpt;

	ASSERT_LE(0, mfd);
	ASSERT_EQ(0, ftruncate(mfd, BUF_PAGES * PAGE));
	ASSERT_EQ(0, attach(self->fd, self->dev, self->ioas, &hwpt));
	EXPECT_EQ(EINVAL, map_file(self->fd, self->ioas, mfd, 0x800, PAGE, &iova, FIXED));
	if (!unmap(self->fd, self->ioas, IOVA, PAGE, &unmapped))
		EXPECT_EQ(PAGE, unmapped);
	EXPECT_UNMAPPED_PAIR(hwpt, IOVA);
	EXPECT_PINNED(0);
	iova = 0;
	EXPECT_EQ(EINVAL, map_file(self->fd, self->ioas, mfd, 0x800, PAGE, &iova, RW));
	/* From a page boundary it maps. */
	iova = IOVA;
	ASSERT_EQ(0, map_file(self->fd, self->ioas, mfd, PAGE, PAGE, &iova, FIXED));
	ASSERT_EQ(0, unmap(self->fd, self->ioas, IOVA, PAGE, NULL));
	EXPECT_UNMAPPED_PAIR(hwpt, IOVA);
	close(mfd);
}

/*
 * Without a domain the IOAS takes any byte alignment (as upstream), so the
 * unaligned area can be made; a domain then cannot join (EADDRINUSE, as
 * upstream's iopt_check_iova_alignment()) until it is gone.
 */
TEST_F(iso, attach_to_an_ioas_holding_an_unaligned_area_is_refused)
{
	__u64 iova = IOVA, align = 0, unmapped = 0;
	struct iommu_iova_range r[8];
	__u32 num = 8, hwpt = 0;

	ASSERT_EQ(0, map(self->fd, self->ioas, self->buf + 0x800, PAGE, &iova, FIXED));
	EXPECT_EQ(EADDRINUSE, attach(self->fd, self->dev, self->ioas, &hwpt));
	EXPECT_PINNED(0);
	ASSERT_EQ(0, iova_ranges(self->fd, self->ioas, r, &num, &align));
	EXPECT_EQ(1, align);
	if (hwpt) {
		/* Had it been taken: the unmap must leave nothing behind. */
		ASSERT_EQ(0, unmap(self->fd, self->ioas, IOVA, PAGE, &unmapped));
		EXPECT_UNMAPPED_PAIR(hwpt, IOVA);
		EXPECT_PINNED(0);
		ASSERT_EQ(0, detach(self->fd, self->dev));
	} else {
		ASSERT_EQ(0, unmap(self->fd, self->ioas, IOVA, PAGE, &unmapped));
	}
	EXPECT_EQ(PAGE, unmapped);
	/* With the area gone the domain joins. */
	ASSERT_EQ(0, attach(self->fd, self->dev, self->ioas, &hwpt));
	num = 8;
	ASSERT_EQ(0, iova_ranges(self->fd, self->ioas, r, &num, &align));
	EXPECT_EQ(PAGE, align);
}

/* Whether @hwpt maps the page at @iova or the one after it. */
static int mapped(int fd, __u32 hwpt, __u64 iova)
{
	__u64 phys;

	return !translate(fd, hwpt, iova, &phys) || !translate(fd, hwpt, iova + PAGE, &phys);
}

/*
 * Two domains on the IOAS (the device's and a second HWPT_ALLOC'd one): a
 * MAP of the unaligned area failing at each fault point it reaches in turn
 * (fail-nth: allocations, the module's fail_map point in the second
 * domain) must leave neither domain mapping anything nor a page pinned; and
 * when nothing is injected it is refused (EINVAL).
 */
TEST_F(iso, map_failing_on_the_second_domain_leaves_nothing_in_the_first)
{
	static const char *const attrs[] = { "failslab", "fail_page_alloc", "fail_usercopy",
					     "iommufd_rs/fail_map", "iommufd_rs/fail_pin" };
	__u32 hwpt1, hwpt2;
	char path[128];
	int injected = 1;

	for (size_t i = 0; i < ARRAY_SIZE(attrs); i++) {
		snprintf(path, sizeof(path), FAULT_ATTRS "%s/verbose", attrs[i]);
		if (write_file(path, "0"))
			SKIP(return, "no fault injection in debugfs (%s)", path);
	}
	ASSERT_EQ(0, attach(self->fd, self->dev, self->ioas, &hwpt1));
	ASSERT_EQ(0, hwpt_alloc(self->fd, self->dev, self->ioas, 0, 0, &hwpt2));
	nth_fd = open("/proc/thread-self/fail-nth", O_RDWR);
	ASSERT_LE(0, nth_fd);
	for (unsigned int n = 1; injected && n < 1000; n++) {
		/* A fresh IOVA each run, so a run sees only what it left. */
		__u64 at = IOVA + n * 0x10000UL, iova = at, unmapped = 0;
		int rc, left, pinned;

		ASSERT_EQ(0, set_fail_nth(n));
		rc = map(self->fd, self->ioas, self->buf + 0x800, PAGE, &iova, FIXED);
		injected = end_fail_nth();
		if (!rc) {
			/* Taken: unmap it as a user would, then check. */
			EXPECT_EQ(0, unmap(self->fd, self->ioas, at, PAGE, &unmapped));
		}
		if (!injected)
			EXPECT_EQ(EINVAL, rc) TH_LOG("fail-nth %u: the map was not refused", n);
		left = mapped(self->fd, hwpt1, at) || mapped(self->fd, hwpt2, at);
		pinned = vm_pin_pages() != self->pin0 || foll_pins() != self->foll0;
		if (left || pinned)
			TH_LOG("fail-nth %u: map %s (rc %d), left %s%s", n,
			       rc ? "failed" : "taken", rc, left ? "a page mapped " : "",
			       pinned ? "pages pinned" : "");
		EXPECT_EQ(0, left);
		EXPECT_EQ(0, pinned);
		/* A failed map that left something: the rollback's own leak. */
		if (rc)
			ASSERT_EQ(0, left || pinned);
	}
	close(nth_fd);
	nth_fd = -1;
	EXPECT_EQ(0, injected);
	EXPECT_EQ(0, destroy(self->fd, hwpt2));
}

/* Every unmap of the module is short (nothing unmapped) while @on. */
static int fail_unmaps(int on)
{
	return write_file(FAIL_UNMAP "verbose", "0") || write_file(FAIL_UNMAP "interval", "1") ||
	       write_file(FAIL_UNMAP "times", on ? "1000000" : "1") ||
	       write_file(FAIL_UNMAP "probability", on ? "100" : "0");
}

/*
 * A domain that unmaps less than asked (the fail_unmap point: nothing
 * unmapped) keeps the area's pages pinned: the device can still reach
 * them, so they may not go back to the allocator. The command itself
 * succeeds (the area has left the IOAS); the pages stay pinned until the
 * IOAS goes, after the domains that could still map them.
 */
TEST_F(iso, short_unmap_keeps_the_pages_pinned)
{
	__u64 iova = IOVA, phys, unmapped = 0;
	__u32 hwpt;

	if (access(FAIL_UNMAP "probability", W_OK))
		SKIP(return, "no fail_unmap fault point (debugfs, CONFIG_FAULT_INJECTION_DEBUG_FS)");
	ASSERT_EQ(0, attach(self->fd, self->dev, self->ioas, &hwpt));
	ASSERT_EQ(0, map(self->fd, self->ioas, self->buf, BUF_PAGES * PAGE, &iova, FIXED));
	EXPECT_PINNED(BUF_PAGES);
	ASSERT_EQ(0, fail_unmaps(1));
	EXPECT_EQ(0, unmap(self->fd, self->ioas, IOVA, BUF_PAGES * PAGE, &unmapped));
	ASSERT_EQ(0, fail_unmaps(0));
	EXPECT_EQ(BUF_PAGES * PAGE, unmapped);
	/* Still mapped in the domain, so still pinned. */
	EXPECT_EQ(0, translate(self->fd, hwpt, IOVA + PAGE, &phys));
	EXPECT_PINNED(BUF_PAGES);
	/* The same when the last domain leaves and unmaps every area: a new
	 * map's page (pinned once more) stays pinned with the area. */
	iova = 0x200000;
	ASSERT_EQ(0, map(self->fd, self->ioas, self->buf, PAGE, &iova, FIXED));
	EXPECT_PINNED(BUF_PAGES + 1);
	ASSERT_EQ(0, fail_unmaps(1));
	EXPECT_EQ(0, detach(self->fd, self->dev));
	ASSERT_EQ(0, fail_unmaps(0));
	EXPECT_PINNED(BUF_PAGES + 1);
	/* A domain again: the area is mapped and its pin shared; a normal
	 * unmap still unpins what it unmapped. */
	ASSERT_EQ(0, attach(self->fd, self->dev, self->ioas, &hwpt));
	EXPECT_PINNED(BUF_PAGES + 1);
	iova = 0x300000;
	ASSERT_EQ(0, map(self->fd, self->ioas, self->buf + PAGE, PAGE, &iova, FIXED));
	EXPECT_PINNED(BUF_PAGES + 2);
	ASSERT_EQ(0, unmap(self->fd, self->ioas, 0x300000, PAGE, NULL));
	EXPECT_PINNED(BUF_PAGES + 1);
	/* Closing the file frees the domains, then the IOAS unpins all. */
	close(self->fd);
	self->fd = -1;
	EXPECT_PINNED(0);
}

/*
 * A WRITEABLE-only map: the device's write lands, its read faults where the
 * SMMU can express write-only (a stage-2 table: smmu_rs). The in-tree
 * driver's stage-1 tables have no write-only permission (io-pgtable-arm
 * maps it read-write), so there only the write is checked.
 */
TEST_F(iso, writeable_only_map_is_not_device_readable)
{
	unsigned char *ro = self->buf, *wo = self->buf + PAGE, *out = self->buf + 2 * PAGE;
	__u64 iova = IOVA;

	ASSERT_EQ(0, attach(self->fd, self->dev, self->ioas, NULL));
	ASSERT_EQ(0, map(self->fd, self->ioas, ro, PAGE, &iova, FIXED));
	iova = IOVA + PAGE;
	ASSERT_EQ(0, map(self->fd, self->ioas, wo, PAGE, &iova,
			 IOMMU_IOAS_MAP_WRITEABLE | IOMMU_IOAS_MAP_FIXED_IOVA));
	iova = IOVA + 2 * PAGE;
	ASSERT_EQ(0, map(self->fd, self->ioas, out, PAGE, &iova, FIXED));
	/* The device's buffer holds 0x33 (read from a readable page). */
	memset(ro, 0x33, PAGE);
	memset(wo, 0x44, PAGE);
	ASSERT_EQ(0, edu_dma(self->bar, IOVA, EDU_BUF, PAGE, 0));
	/* It may write the write-only page. */
	ASSERT_EQ(0, edu_dma(self->bar, EDU_BUF, IOVA + PAGE, PAGE, 1));
	for (int i = 0; i < PAGE; i++)
		ASSERT_EQ(0x33, wo[i]);
	/* Its read of the write-only page must fault: it may not see the
	 * page's 0x44 (QEMU gives a DMA read that faults zeros). */
	memset(wo, 0x44, PAGE);
	memset(out, 0, PAGE);
	ASSERT_EQ(0, edu_dma(self->bar, IOVA + PAGE, EDU_BUF, PAGE, 0));
	ASSERT_EQ(0, edu_dma(self->bar, EDU_BUF, IOVA + 2 * PAGE, PAGE, 1));
	if (!behind_smmu_rs(&self->e)) {
		TH_LOG("in-tree arm_smmu_v3: stage 1 cannot express write-only; read %#x",
		       out[0]);
		return;
	}
	for (int i = 0; i < PAGE; i++) {
		ASSERT_NE(0x44, out[i]) TH_LOG("byte %d: the device read the write-only page", i);
	}
}

TEST_HARNESS_MAIN
