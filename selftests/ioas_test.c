// SPDX-License-Identifier: GPL-2.0
/*
 * The IOAS commands against the real module: every success path and every
 * errno path, each followed by a check that nothing changed (the charge, a
 * map at the same place, IOVA_RANGES), and the size rules of every struct.
 *
 * An IOAS without a domain pins nothing (pinning_test covers pins): a map
 * is checked and charged to RLIMIT_MEMLOCK. So the fixture drops
 * CAP_IPC_LOCK and charges to the mm (IOMMU_OPTION_RLIMIT_MODE 1), where
 * VmLck shows the charge, and VmPin must not move at all.
 */
#include <sys/resource.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "ioas_util.h"

#define BUF_PAGES 64

FIXTURE(ioas) {
	int fd;
	__u32 ioas;
	char *buf;
	long lck0, pin0;
};

/* Pages the maps of this process are charged for: VmLck (mm->locked_vm). */
static long charged(void)
{
	return status_pages("VmLck");
}

FIXTURE_SETUP(ioas)
{
	struct rlimit rl = { RLIM_INFINITY, RLIM_INFINITY };
	__u64 mm_mode = 1;

	ASSERT_EQ(0, setrlimit(RLIMIT_MEMLOCK, &rl));
	ASSERT_EQ(0, drop_ipc_lock());
	self->fd = open(dev_path(), O_RDWR);
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, option(self->fd, IOMMU_OPTION_RLIMIT_MODE, IOMMU_OPTION_OP_SET, 0, &mm_mode));
	ASSERT_EQ(0, ioas_alloc(self->fd, &self->ioas));
	self->buf = buffer(BUF_PAGES * PAGE);
	ASSERT_NE(NULL, self->buf);
	self->lck0 = charged();
	self->pin0 = vm_pin_pages();
	ASSERT_LE(0, self->lck0);
	ASSERT_LE(0, self->pin0);
}

FIXTURE_TEARDOWN(ioas)
{
	/* No domain, no pins, whatever the test mapped. */
	EXPECT_EQ(self->pin0, vm_pin_pages());
	close(self->fd);
	/* Closing the file returned every charge it held. */
	EXPECT_EQ(self->lck0, charged());
	munmap(self->buf, BUF_PAGES * PAGE);
}

TEST_F(ioas, ids_start_at_1_and_are_reused)
{
	__u32 a, b;

	EXPECT_EQ(1, self->ioas);
	ASSERT_EQ(0, ioas_alloc(self->fd, &a));
	EXPECT_EQ(2, a);
	ASSERT_EQ(0, destroy(self->fd, 1));
	EXPECT_EQ(ENOENT, destroy(self->fd, 1));
	ASSERT_EQ(0, ioas_alloc(self->fd, &b));
	EXPECT_EQ(1, b);
	EXPECT_EQ(ENOENT, destroy(self->fd, 0));
	EXPECT_EQ(ENOENT, destroy(self->fd, 3));
}

/* Freed ids come back lowest first, however they were freed (as
 * upstream's xa_alloc()), and a fresh id follows the highest one in use. */
TEST_F(ioas, freed_ids_come_back_lowest_first)
{
	static const __u32 freed[] = { 50, 7, 33, 2, 64, 8, 49 };
	static const __u32 back[] = { 2, 7, 8, 33, 49, 50, 64, 65 };
	__u32 id;

	for (__u32 i = 2; i <= 64; i++) {
		ASSERT_EQ(0, ioas_alloc(self->fd, &id));
		ASSERT_EQ(i, id);
	}
	for (unsigned int i = 0; i < sizeof(freed) / sizeof(freed[0]); i++)
		ASSERT_EQ(0, destroy(self->fd, freed[i]));
	for (unsigned int i = 0; i < sizeof(back) / sizeof(back[0]); i++) {
		ASSERT_EQ(0, ioas_alloc(self->fd, &id));
		EXPECT_EQ(back[i], id);
	}
}

TEST_F(ioas, alloc_flags_must_be_zero)
{
	struct iommu_ioas_alloc c = { .size = sizeof(c), .flags = 1 };

	EXPECT_EQ(EOPNOTSUPP, xioctl(self->fd, IOMMU_IOAS_ALLOC, &c));
	/* Nothing was created: the next id is still 2. */
	c.flags = 0;
	ASSERT_EQ(0, xioctl(self->fd, IOMMU_IOAS_ALLOC, &c));
	EXPECT_EQ(2, c.out_ioas_id);
}

TEST_F(ioas, alloc_answer_unwritable_creates_nothing)
{
	/* A read-only page for the answer: EFAULT, and no object left. */
	struct iommu_ioas_alloc *c = mmap(NULL, PAGE, PROT_READ | PROT_WRITE,
					  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	ASSERT_NE(MAP_FAILED, c);
	c->size = sizeof(*c);
	ASSERT_EQ(0, mprotect(c, PAGE, PROT_READ));
	EXPECT_EQ(EFAULT, xioctl(self->fd, IOMMU_IOAS_ALLOC, c));
	EXPECT_EQ(ENOENT, destroy(self->fd, 2));
	munmap(c, PAGE);
}

/* Every struct: one byte below its minimum is EINVAL; a larger struct with
 * non-zero trailing bytes is E2BIG; with zero trailing bytes it works. */
/* A huge length is only charged (nothing is pinned without a domain, so
 * nothing is sized by it), and one beyond the address space is EFAULT:
 * quietly, with no kernel warning, which would fail the boot. Found by
 * ioctl_fuzz_test, when a map still sized a page array by its length. */
TEST_F(ioas, huge_lengths_are_quiet)
{
	__u64 iova = 0;

	ASSERT_EQ(0, map(self->fd, self->ioas, self->buf, 1ULL << 40, &iova, RW));
	EXPECT_EQ(self->lck0 + (long)((1ULL << 40) / PAGE), charged());
	ASSERT_EQ(0, unmap(self->fd, self->ioas, iova, 1ULL << 40, NULL));
	EXPECT_EQ(self->lck0, charged());
	EXPECT_EQ(EFAULT, map(self->fd, self->ioas, (void *)(1ULL << 62), PAGE, &iova, RW));
	EXPECT_EQ(self->lck0, charged());
}

TEST_F(ioas, cmd_length)
{
	static const struct { unsigned long cmd; __u32 min; } cmds[] = {
		{ IOMMU_DESTROY, 8 }, { IOMMU_IOAS_ALLOC, 12 },
		{ IOMMU_IOAS_ALLOW_IOVAS, 24 }, { IOMMU_IOAS_COPY, 40 },
		{ IOMMU_IOAS_IOVA_RANGES, 32 }, { IOMMU_IOAS_MAP, 40 },
		{ IOMMU_IOAS_UNMAP, 24 }, { IOMMU_OPTION, 24 },
		{ IOMMU_IOAS_MAP_FILE, 40 },
	};
	unsigned char buf[128];

	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		memset(buf, 0, sizeof(buf));
		*(__u32 *)buf = cmds[i].min - 1;
		EXPECT_EQ(EINVAL, xioctl(self->fd, cmds[i].cmd, buf));
		memset(buf, 0, sizeof(buf));
		*(__u32 *)buf = cmds[i].min + 8;
		buf[cmds[i].min + 4] = 1;
		EXPECT_EQ(E2BIG, xioctl(self->fd, cmds[i].cmd, buf));
	}
	/* A zero-extended larger IOAS_ALLOC works and answers in place. */
	memset(buf, 0, sizeof(buf));
	*(__u32 *)buf = 64;
	ASSERT_EQ(0, xioctl(self->fd, IOMMU_IOAS_ALLOC, buf));
	EXPECT_EQ(2, ((struct iommu_ioas_alloc *)buf)->out_ioas_id);
	/* Only the known 12 bytes were written back. */
	for (int i = 12; i < 64; i++)
		EXPECT_EQ(0, buf[i]);
}

TEST_F(ioas, map_fixed_unmap)
{
	__u64 iova = 0x100000, unmapped = 0;

	ASSERT_EQ(0, map(self->fd, self->ioas, self->buf, 16 * PAGE, &iova, FIXED));
	EXPECT_EQ(0x100000, iova);
	EXPECT_EQ(self->lck0 + 16, charged());
	/* Same place, overlapping, inside: EEXIST, nothing charged. */
	EXPECT_EQ(EEXIST, map(self->fd, self->ioas, self->buf, 16 * PAGE, &iova, FIXED));
	iova = 0x100000 + 15 * PAGE;
	EXPECT_EQ(EEXIST, map(self->fd, self->ioas, self->buf, 4 * PAGE, &iova, FIXED));
	iova = 0x100000 - PAGE;
	EXPECT_EQ(EEXIST, map(self->fd, self->ioas, self->buf, 2 * PAGE, &iova, FIXED));
	EXPECT_EQ(self->lck0 + 16, charged());
	ASSERT_EQ(0, unmap(self->fd, self->ioas, 0x100000, 16 * PAGE, &unmapped));
	EXPECT_EQ(16 * PAGE, unmapped);
	EXPECT_EQ(self->lck0, charged());
	EXPECT_EQ(ENOENT, unmap(self->fd, self->ioas, 0x100000, 16 * PAGE, NULL));
}

TEST_F(ioas, map_alloc_keeps_alignment)
{
	size_t len = 2UL << 20;
	char *raw = mmap(NULL, 2 * len, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *aligned;
	__u64 iova = 0x1000, v = 0;

	ASSERT_NE(MAP_FAILED, raw);
	aligned = (char *)(((uintptr_t)raw + len - 1) & ~(len - 1));
	memset(aligned, 1, len);
	/* Page 1 is taken, so only aligned requests skip to a later hole. */
	ASSERT_EQ(0, map(self->fd, self->ioas, self->buf, PAGE, &iova, FIXED));
	iova = 0;
	ASSERT_EQ(0, map(self->fd, self->ioas, aligned, len, &iova, RW));
	EXPECT_EQ(0x200000, iova);
	iova = 0;
	ASSERT_EQ(0, map(self->fd, self->ioas, aligned, 16 * PAGE, &iova, RW));
	EXPECT_EQ(0x10000, iova);
	/* HUGE_PAGES off: page alignment only, so 32 KiB goes into the 56 KiB
	 * hole at 0x2000 (with it on, 32 KiB alignment would give 0x8000). */
	ASSERT_EQ(0, option(self->fd, IOMMU_OPTION_HUGE_PAGES, IOMMU_OPTION_OP_SET,
			    self->ioas, &v));
	iova = 0;
	ASSERT_EQ(0, map(self->fd, self->ioas, aligned, 8 * PAGE, &iova, RW));
	EXPECT_EQ(0x2000, iova);
	munmap(raw, 2 * len);
}

TEST_F(ioas, map_bad_requests)
{
	struct iommu_ioas_map c = {
		.size = sizeof(c), .flags = FIXED, .ioas_id = self->ioas,
		.user_va = (uintptr_t)self->buf, .length = PAGE, .iova = 0x10000,
	};

	c.flags = FIXED | (1 << 3);
	EXPECT_EQ(EOPNOTSUPP, xioctl(self->fd, IOMMU_IOAS_MAP, &c));
	c.flags = FIXED;
	c.__reserved = 1;
	EXPECT_EQ(EOPNOTSUPP, xioctl(self->fd, IOMMU_IOAS_MAP, &c));
	c.__reserved = 0;
	c.iova = UINT64_MAX;
	EXPECT_EQ(EOVERFLOW, xioctl(self->fd, IOMMU_IOAS_MAP, &c));
	c.iova = 0x10000;
	c.length = UINT64_MAX;
	EXPECT_EQ(EOVERFLOW, xioctl(self->fd, IOMMU_IOAS_MAP, &c));
	c.length = PAGE;
	c.flags = IOMMU_IOAS_MAP_FIXED_IOVA;
	EXPECT_EQ(EINVAL, xioctl(self->fd, IOMMU_IOAS_MAP, &c));
	c.flags = FIXED;
	c.ioas_id = 99;
	EXPECT_EQ(ENOENT, xioctl(self->fd, IOMMU_IOAS_MAP, &c));
	c.ioas_id = self->ioas;
	c.length = 0;
	EXPECT_EQ(EINVAL, xioctl(self->fd, IOMMU_IOAS_MAP, &c));
	c.iova = UINT64_MAX - PAGE;
	c.length = 4 * PAGE;
	EXPECT_EQ(EOVERFLOW, xioctl(self->fd, IOMMU_IOAS_MAP, &c));
	EXPECT_EQ(self->lck0, charged());
	/* Nothing was mapped by any of them. */
	EXPECT_EQ(ENOENT, unmap(self->fd, self->ioas, 0, UINT64_MAX - 1, NULL));
}

/* Without a domain nothing is pinned, so, as upstream, the memory itself is
 * not looked at: a range with a hole, or read-only memory for a writeable
 * map, is accepted and charged (pinning_test shows the EFAULT when a domain
 * pins it). Only addresses outside the user's address space are EFAULT. */
TEST_F(ioas, map_without_a_domain_checks_only_the_address_space)
{
	char *ro = mmap(NULL, 4 * PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *hole = mmap(NULL, 4 * PAGE, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	__u64 iova = 0x200000;

	ASSERT_NE(MAP_FAILED, ro);
	ASSERT_NE(MAP_FAILED, hole);
	ASSERT_EQ(0, munmap(hole + 3 * PAGE, PAGE));
	EXPECT_EQ(0, map(self->fd, self->ioas, hole, 4 * PAGE, &iova, FIXED));
	EXPECT_EQ(self->lck0 + 4, charged());
	iova = 0x300000;
	EXPECT_EQ(0, map(self->fd, self->ioas, ro, 4 * PAGE, &iova, FIXED));
	EXPECT_EQ(self->lck0 + 8, charged());
	/* Kernel addresses: EFAULT, nothing charged, the IOVA stays free. */
	iova = 0x400000;
	EXPECT_EQ(EFAULT, map(self->fd, self->ioas, (void *)0xffff000000000000UL, PAGE,
			      &iova, FIXED));
	EXPECT_EQ(self->lck0 + 8, charged());
	EXPECT_EQ(0, map(self->fd, self->ioas, ro, PAGE, &iova, FIXED));
	ASSERT_EQ(0, unmap(self->fd, self->ioas, 0, UINT64_MAX, NULL));
	EXPECT_EQ(self->lck0, charged());
	munmap(ro, 4 * PAGE);
	munmap(hole, 3 * PAGE);
}

TEST_F(ioas, map_file)
{
	int mfd = memfd_create("ioas_test", 0);
	int rofd, pfd[2];
	struct iommu_ioas_map_file c = {
		.size = sizeof(c), .flags = FIXED, .ioas_id = self->ioas,
		.start = 0, .length = 8 * PAGE, .iova = 0x300000,
	};
	char path[64];

	ASSERT_LE(0, mfd);
	ASSERT_EQ(0, ftruncate(mfd, 16 * PAGE));
	c.fd = mfd;
	ASSERT_EQ(0, xioctl(self->fd, IOMMU_IOAS_MAP_FILE, &c));
	EXPECT_EQ(self->lck0 + 8, charged());
	/* Not a memfd: EINVAL. A bad fd: EBADF. */
	ASSERT_EQ(0, pipe(pfd));
	c.fd = pfd[0];
	c.iova = 0x400000;
	EXPECT_EQ(EINVAL, xioctl(self->fd, IOMMU_IOAS_MAP_FILE, &c));
	c.fd = self->fd;
	EXPECT_EQ(EINVAL, xioctl(self->fd, IOMMU_IOAS_MAP_FILE, &c));
	c.fd = 999;
	EXPECT_EQ(EBADF, xioctl(self->fd, IOMMU_IOAS_MAP_FILE, &c));
	/* Past the end of the file: EINVAL. */
	c.fd = mfd;
	c.start = 12 * PAGE;
	EXPECT_EQ(EINVAL, xioctl(self->fd, IOMMU_IOAS_MAP_FILE, &c));
	/* Read-only file, device-writeable map: EPERM; readable only: fine. */
	snprintf(path, sizeof(path), "/proc/self/fd/%d", mfd);
	rofd = open(path, O_RDONLY);
	ASSERT_LE(0, rofd);
	c.fd = rofd;
	c.start = 0;
	EXPECT_EQ(EPERM, xioctl(self->fd, IOMMU_IOAS_MAP_FILE, &c));
	EXPECT_EQ(self->lck0 + 8, charged());
	c.flags = IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_FIXED_IOVA;
	EXPECT_EQ(0, xioctl(self->fd, IOMMU_IOAS_MAP_FILE, &c));
	EXPECT_EQ(self->lck0 + 16, charged());
	close(rofd);
	close(mfd);
	close(pfd[0]);
	close(pfd[1]);
	/* The charges outlive the fds: they belong to the maps. */
	EXPECT_EQ(self->lck0 + 16, charged());
	ASSERT_EQ(0, unmap(self->fd, self->ioas, 0, UINT64_MAX, NULL));
	EXPECT_EQ(self->lck0, charged());
}

TEST_F(ioas, map_file_hugetlb)
{
	int mfd = memfd_create("ioas_huge", MFD_HUGETLB);
	struct iommu_ioas_map_file c = {
		.size = sizeof(c), .flags = RW, .ioas_id = self->ioas,
		.start = 0, .length = 4UL << 20,
	};

	if (mfd < 0)
		SKIP(return, "no hugetlb memfd");
	ASSERT_EQ(0, ftruncate(mfd, 4UL << 20));
	c.fd = mfd;
	ASSERT_EQ(0, xioctl(self->fd, IOMMU_IOAS_MAP_FILE, &c));
	EXPECT_EQ(0, c.iova % (2UL << 20));
	EXPECT_EQ(self->lck0 + 1024, charged());
	close(mfd);
}

TEST_F(ioas, unmap_rules)
{
	__u64 iova = 0x100000, got = 0;

	ASSERT_EQ(0, map(self->fd, self->ioas, self->buf, 8 * PAGE, &iova, FIXED));
	iova = 0x100000 + 8 * PAGE;
	ASSERT_EQ(0, map(self->fd, self->ioas, self->buf, 8 * PAGE, &iova, FIXED));
	/* A range cutting the second area: ENOENT, and BOTH areas stay (unlike
	 * upstream, which unmaps the first before failing). */
	EXPECT_EQ(ENOENT, unmap(self->fd, self->ioas, 0x100000, 12 * PAGE, NULL));
	iova = 0x100000;
	EXPECT_EQ(EEXIST, map(self->fd, self->ioas, self->buf, PAGE, &iova, FIXED));
	EXPECT_EQ(self->lck0 + 16, charged());
	EXPECT_EQ(EINVAL, unmap(self->fd, self->ioas, 0x100000, 0, NULL));
	EXPECT_EQ(EOVERFLOW, unmap(self->fd, self->ioas, UINT64_MAX, 1, NULL));
	EXPECT_EQ(EOVERFLOW, unmap(self->fd, self->ioas, UINT64_MAX - PAGE, 2 * PAGE, NULL));
	EXPECT_EQ(ENOENT, unmap(self->fd, 42, 0, UINT64_MAX, NULL));
	/* Unmap all: both, bytes reported; again: success with 0. */
	ASSERT_EQ(0, unmap(self->fd, self->ioas, 0, UINT64_MAX, &got));
	EXPECT_EQ(16 * PAGE, got);
	ASSERT_EQ(0, unmap(self->fd, self->ioas, 0, UINT64_MAX, &got));
	EXPECT_EQ(0, got);
	EXPECT_EQ(self->lck0, charged());
}

TEST_F(ioas, copy_shares_the_charge)
{
	__u32 dst;
	__u64 iova = 0x100000, d = 0x800000;

	ASSERT_EQ(0, ioas_alloc(self->fd, &dst));
	ASSERT_EQ(0, map(self->fd, self->ioas, self->buf, 16 * PAGE, &iova, FIXED));
	ASSERT_EQ(0, copy(self->fd, dst, self->ioas, 0x100000 + 4 * PAGE, 8 * PAGE, &d, FIXED));
	EXPECT_EQ(0x800000, d);
	/* Shared: no more charge than the one map. */
	EXPECT_EQ(self->lck0 + 16, charged());
	/* Unmapping the source keeps the pages charged for the copy. */
	ASSERT_EQ(0, unmap(self->fd, self->ioas, 0, UINT64_MAX, NULL));
	EXPECT_EQ(self->lck0 + 16, charged());
	ASSERT_EQ(0, destroy(self->fd, dst));
	EXPECT_EQ(self->lck0, charged());
}

TEST_F(ioas, copy_errors)
{
	__u32 dst;
	__u64 iova = 0x100000, d = 0x800000;
	char *ro = mmap(NULL, 4 * PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	ASSERT_NE(MAP_FAILED, ro);
	ASSERT_EQ(0, ioas_alloc(self->fd, &dst));
	ASSERT_EQ(0, map(self->fd, self->ioas, self->buf, 4 * PAGE, &iova, FIXED));
	/* A hole in the source range: ENOENT. */
	EXPECT_EQ(ENOENT, copy(self->fd, dst, self->ioas, 0x100000, 8 * PAGE, &d, FIXED));
	EXPECT_EQ(ENOENT, copy(self->fd, dst, 77, 0x100000, PAGE, &d, FIXED));
	EXPECT_EQ(ENOENT, copy(self->fd, 77, self->ioas, 0x100000, PAGE, &d, FIXED));
	EXPECT_EQ(EINVAL, copy(self->fd, dst, self->ioas, 0x100000, PAGE, &d,
			       IOMMU_IOAS_MAP_FIXED_IOVA));
	EXPECT_EQ(EOPNOTSUPP, copy(self->fd, dst, self->ioas, 0x100000, PAGE, &d, FIXED | 8));
	EXPECT_EQ(EOVERFLOW, copy(self->fd, dst, self->ioas, UINT64_MAX, PAGE, &d, FIXED));
	/* Read-only pages copied as device-writeable: EPERM. */
	iova = 0x200000;
	ASSERT_EQ(0, map(self->fd, self->ioas, ro, 4 * PAGE, &iova,
			 IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_FIXED_IOVA));
	EXPECT_EQ(EPERM, copy(self->fd, dst, self->ioas, 0x200000, 4 * PAGE, &d, FIXED));
	/* Destination taken: EEXIST. */
	ASSERT_EQ(0, copy(self->fd, dst, self->ioas, 0x100000, 4 * PAGE, &d, FIXED));
	EXPECT_EQ(EEXIST, copy(self->fd, dst, self->ioas, 0x100000, 4 * PAGE, &d, FIXED));
	/* Only the one successful copy exists in dst. */
	__u64 got = 0;
	ASSERT_EQ(0, unmap(self->fd, dst, 0, UINT64_MAX, &got));
	EXPECT_EQ(4 * PAGE, got);
	/* Copy within the same IOAS, allocated IOVA. */
	d = 0;
	ASSERT_EQ(0, copy(self->fd, self->ioas, self->ioas, 0x100000, 4 * PAGE, &d, RW));
	EXPECT_NE(0x100000, d);
	munmap(ro, 4 * PAGE);
}

TEST_F(ioas, iova_ranges_two_pass)
{
	struct iommu_iova_range r[2] = {};
	__u32 num = 0;
	__u64 align = 0;

	EXPECT_EQ(EMSGSIZE, iova_ranges(self->fd, self->ioas, r, &num, &align));
	EXPECT_EQ(1, num);
	num = 2;
	ASSERT_EQ(0, iova_ranges(self->fd, self->ioas, r, &num, &align));
	EXPECT_EQ(1, num);
	EXPECT_EQ(0, r[0].start);
	EXPECT_EQ(UINT64_MAX, r[0].last);
	EXPECT_EQ(1, align);
	struct iommu_ioas_iova_ranges c = { .size = sizeof(c), .ioas_id = self->ioas,
					    .__reserved = 1 };
	EXPECT_EQ(EOPNOTSUPP, xioctl(self->fd, IOMMU_IOAS_IOVA_RANGES, &c));
	c.__reserved = 0;
	c.ioas_id = 9;
	EXPECT_EQ(ENOENT, xioctl(self->fd, IOMMU_IOAS_IOVA_RANGES, &c));
	/* An unwritable array: EFAULT. */
	c.ioas_id = self->ioas;
	c.num_iovas = 1;
	c.allowed_iovas = 8;
	EXPECT_EQ(EFAULT, xioctl(self->fd, IOMMU_IOAS_IOVA_RANGES, &c));
}

static int allow(int fd, __u32 ioas, struct iommu_iova_range *r, __u32 n)
{
	struct iommu_ioas_allow_iovas c = { .size = sizeof(c), .ioas_id = ioas,
					    .num_iovas = n, .allowed_iovas = (uintptr_t)r };

	return xioctl(fd, IOMMU_IOAS_ALLOW_IOVAS, &c);
}

TEST_F(ioas, allow_iovas)
{
	struct iommu_iova_range r[2] = { { 0x10000, 0x1ffff }, { 0x40000, 0x4ffff } };
	__u64 iova = 0;

	ASSERT_EQ(0, allow(self->fd, self->ioas, r, 2));
	ASSERT_EQ(0, map(self->fd, self->ioas, self->buf, 16 * PAGE, &iova, RW));
	EXPECT_EQ(0x10000, iova);
	iova = 0;
	ASSERT_EQ(0, map(self->fd, self->ioas, self->buf, 8 * PAGE, &iova, RW));
	EXPECT_EQ(0x40000, iova);
	iova = 0;
	EXPECT_EQ(ENOSPC, map(self->fd, self->ioas, self->buf, 16 * PAGE, &iova, RW));
	EXPECT_EQ(self->lck0 + 24, charged());
	/* Fixed maps ignore the allowed ranges. */
	iova = 0x900000;
	EXPECT_EQ(0, map(self->fd, self->ioas, self->buf, PAGE, &iova, FIXED));
	/* Bad sets: start >= last, overlap: EINVAL; unreadable: EFAULT. */
	struct iommu_iova_range bad[2] = { { 0x5000, 0x5000 }, { 0, 0 } };
	EXPECT_EQ(EINVAL, allow(self->fd, self->ioas, bad, 1));
	bad[0].last = 0x8fff;
	bad[1].start = 0x8000;
	bad[1].last = 0x9fff;
	EXPECT_EQ(EINVAL, allow(self->fd, self->ioas, bad, 2));
	EXPECT_EQ(EFAULT, allow(self->fd, self->ioas, (void *)8, 1));
	/* The old set is still in force after each failure. */
	iova = 0;
	ASSERT_EQ(0, map(self->fd, self->ioas, self->buf, 4 * PAGE, &iova, RW));
	EXPECT_EQ(0x48000, iova);
	/* An empty set lifts the restriction. */
	ASSERT_EQ(0, allow(self->fd, self->ioas, NULL, 0));
	iova = 0;
	ASSERT_EQ(0, map(self->fd, self->ioas, self->buf, 16 * PAGE, &iova, RW));
	EXPECT_EQ(0x20000, iova);
}

/* num_iovas is only a bound: the ranges are read one at a time, so a count
 * up to 2^32 - 1 over a short array fails with EFAULT where the array ends,
 * quietly (a count of 2^27 once sized a 2 GiB array before reading anything,
 * and kvmalloc WARNed, which fails the boot), and in upstream's order: each
 * range's EINVAL before a later range's EFAULT. The old set stays. */
TEST_F(ioas, allow_iovas_huge_count)
{
	static const __u32 counts[] = { 1u << 27, UINT32_MAX, 3 };
	struct iommu_iova_range old = { 0x10000, 0x1ffff };
	char *two = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct iommu_iova_range *r;
	__u64 iova = 0;

	ASSERT_NE(MAP_FAILED, two);
	ASSERT_EQ(0, mprotect(two + PAGE, PAGE, PROT_NONE));
	/* Two good ranges right before the unreadable page. */
	r = (struct iommu_iova_range *)(two + PAGE) - 2;
	r[0] = (struct iommu_iova_range){ 0x100000, 0x1fffff };
	r[1] = (struct iommu_iova_range){ 0x400000, 0x4fffff };
	ASSERT_EQ(0, allow(self->fd, self->ioas, &old, 1));
	for (unsigned int i = 0; i < sizeof(counts) / sizeof(counts[0]); i++)
		EXPECT_EQ(EFAULT, allow(self->fd, self->ioas, r, counts[i]));
	/* An overlap in what is read is EINVAL, before the EFAULT after it. */
	r[1].start = 0x180000;
	EXPECT_EQ(EINVAL, allow(self->fd, self->ioas, r, UINT32_MAX));
	/* The array starts past the end of the address space. */
	EXPECT_EQ(EFAULT, allow(self->fd, self->ioas, (void *)-16UL, UINT32_MAX));
	/* Nothing changed: automatic IOVAs still come from the old range. */
	ASSERT_EQ(0, map(self->fd, self->ioas, self->buf, 16 * PAGE, &iova, RW));
	EXPECT_EQ(0x10000, iova);
	iova = 0;
	EXPECT_EQ(ENOSPC, map(self->fd, self->ioas, self->buf, PAGE, &iova, RW));
	munmap(two, 2 * PAGE);
}

TEST_F(ioas, options)
{
	__u64 v = 0;

	/* The fixture charges to the mm. */
	ASSERT_EQ(0, option(self->fd, IOMMU_OPTION_RLIMIT_MODE, IOMMU_OPTION_OP_GET, 0, &v));
	EXPECT_EQ(1, v);
	/* Objects exist: the accounting mode cannot change. */
	v = 0;
	EXPECT_EQ(EBUSY, option(self->fd, IOMMU_OPTION_RLIMIT_MODE, IOMMU_OPTION_OP_SET, 0, &v));
	v = 0;
	EXPECT_EQ(EOPNOTSUPP, option(self->fd, IOMMU_OPTION_RLIMIT_MODE, IOMMU_OPTION_OP_GET, 1, &v));
	EXPECT_EQ(EOPNOTSUPP, option(self->fd, IOMMU_OPTION_RLIMIT_MODE, 2, 0, &v));
	EXPECT_EQ(EOPNOTSUPP, option(self->fd, 99, IOMMU_OPTION_OP_GET, 0, &v));
	ASSERT_EQ(0, option(self->fd, IOMMU_OPTION_HUGE_PAGES, IOMMU_OPTION_OP_GET,
			    self->ioas, &v));
	EXPECT_EQ(1, v);
	v = 2;
	EXPECT_EQ(EINVAL, option(self->fd, IOMMU_OPTION_HUGE_PAGES, IOMMU_OPTION_OP_SET,
				 self->ioas, &v));
	EXPECT_EQ(ENOENT, option(self->fd, IOMMU_OPTION_HUGE_PAGES, IOMMU_OPTION_OP_GET, 5, &v));
	/* SW_MSI options name a bound device; none can exist yet. */
	v = 0x8000000;
	EXPECT_EQ(ENOENT, option(self->fd, IOMMU_OPTION_SW_MSI_START, IOMMU_OPTION_OP_SET,
				 self->ioas, &v));
	EXPECT_EQ(ENOENT, option(self->fd, IOMMU_OPTION_SW_MSI_SIZE, IOMMU_OPTION_OP_GET, 1, &v));
	struct iommu_option c = { .size = sizeof(c), .option_id = IOMMU_OPTION_HUGE_PAGES,
				  .op = IOMMU_OPTION_OP_GET, .__reserved = 1,
				  .object_id = self->ioas };
	EXPECT_EQ(EOPNOTSUPP, xioctl(self->fd, IOMMU_OPTION, &c));
}

TEST(rlimit_mode_set_on_empty_file)
{
	int fd = open(dev_path(), O_RDWR);
	__u64 v = 1;

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, option(fd, IOMMU_OPTION_RLIMIT_MODE, IOMMU_OPTION_OP_SET, 0, &v));
	v = 0;
	ASSERT_EQ(0, option(fd, IOMMU_OPTION_RLIMIT_MODE, IOMMU_OPTION_OP_GET, 0, &v));
	EXPECT_EQ(1, v);
	v = 2;
	EXPECT_EQ(EINVAL, option(fd, IOMMU_OPTION_RLIMIT_MODE, IOMMU_OPTION_OP_SET, 0, &v));
	close(fd);
}

/* Runs fn in a child without CAP_IPC_LOCK and with a 16-page memlock
 * limit; returns its exit status (0 = all its checks passed). */
static int in_limited_child(int (*fn)(void))
{
	int status;
	pid_t pid = fork();

	if (pid == 0) {
		struct rlimit rl = { 16 * PAGE, 16 * PAGE };

		if (drop_ipc_lock() || setrlimit(RLIMIT_MEMLOCK, &rl))
			_exit(100);
		_exit(fn());
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

static int rlimit_body(int mode)
{
	int fd = open(dev_path(), O_RDWR);
	char *b = buffer(32 * PAGE);
	__u32 id;
	__u64 iova = 0x100000, v = mode;

	if (fd < 0 || !b)
		return 1;
	/* Setting the mode needs CAP_SYS_RESOURCE, which root kept. */
	if (mode && option(fd, IOMMU_OPTION_RLIMIT_MODE, IOMMU_OPTION_OP_SET, 0, &v))
		return 2;
	if (ioas_alloc(fd, &id))
		return 3;
	if (map(fd, id, b, 12 * PAGE, &iova, FIXED))
		return 4;
	iova = 0x200000;
	/* 12 + 8 > 16: ENOMEM, nothing charged, the IOVA stays free. */
	if (map(fd, id, b, 8 * PAGE, &iova, FIXED) != ENOMEM)
		return 5;
	/* Without a domain nothing is pinned, only charged. */
	if (vm_pin_pages() != 0)
		return 6;
	if (map(fd, id, b, 4 * PAGE, &iova, FIXED))
		return 7;
	/* Unmapping returns the charge. */
	if (unmap(fd, id, 0, UINT64_MAX, NULL))
		return 8;
	iova = 0x300000;
	if (map(fd, id, b, 16 * PAGE, &iova, FIXED))
		return 9;
	close(fd);
	/* Closing returns it too. */
	fd = open(dev_path(), O_RDWR);
	iova = 0x100000;
	if (ioas_alloc(fd, &id) || map(fd, id, b, 16 * PAGE, &iova, FIXED))
		return 10;
	return 0;
}

static int rlimit_user(void) { return rlimit_body(0); }
static int rlimit_mm(void) { return rlimit_body(1); }

TEST(rlimit_memlock_user_mode)
{
	EXPECT_EQ(0, in_limited_child(rlimit_user));
}

TEST(rlimit_memlock_mm_mode)
{
	EXPECT_EQ(0, in_limited_child(rlimit_mm));
}

/* A process exiting with live maps releases them: its sibling under the
 * same user can then use the whole limit again. */
static int exit_with_maps(void)
{
	int status;
	pid_t pid = fork();

	if (pid == 0) {
		int fd = open(dev_path(), O_RDWR);
		char *b = buffer(16 * PAGE);
		__u32 id;
		__u64 iova = 0x100000;

		if (fd < 0 || !b || ioas_alloc(fd, &id) ||
		    map(fd, id, b, 16 * PAGE, &iova, FIXED))
			_exit(1);
		_exit(0);	/* no unmap, no close */
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status))
		return 20;
	return rlimit_body(0);
}

TEST(exit_with_live_maps_releases_them)
{
	EXPECT_EQ(0, in_limited_child(exit_with_maps));
}

TEST_F(ioas, pin_balance_over_many_cycles)
{
	__u32 dst;

	for (int i = 0; i < 2000; i++) {
		__u64 iova = 0, d = 0;
		size_t n = 1 + i % 8;

		ASSERT_EQ(0, map(self->fd, self->ioas, self->buf + (i % 16) * PAGE,
				 n * PAGE, &iova, RW));
		ASSERT_EQ(0, ioas_alloc(self->fd, &dst));
		ASSERT_EQ(0, copy(self->fd, dst, self->ioas, iova, n * PAGE, &d, RW));
		if (i % 2)
			ASSERT_EQ(0, unmap(self->fd, self->ioas, iova, n * PAGE, NULL));
		ASSERT_EQ(0, destroy(self->fd, dst));
		if (i % 3 == 0)
			ASSERT_EQ(0, unmap(self->fd, self->ioas, 0, UINT64_MAX, NULL));
	}
	ASSERT_EQ(0, unmap(self->fd, self->ioas, 0, UINT64_MAX, NULL));
	EXPECT_EQ(self->lck0, charged());
}

TEST_HARNESS_MAIN
