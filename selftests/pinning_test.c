// SPDX-License-Identifier: GPL-2.0
/*
 * When pages are pinned, against the real module with an edu device: a map
 * is checked and charged at IOMMU_IOAS_MAP but pinned only while the IOAS
 * has a domain (as upstream pins on demand). Attaching the first device pins
 * every area, the last domain's going unpins them, a map or unmap with a
 * domain pins or unpins at once, COPY shares the pins, another process's
 * attach pins from the mapping process, a failed pin leaves nothing, and a
 * hugetlb page (anonymous or a memfd's, from the middle) is pinned as a
 * folio with every pin returned. Pins are counted twice: VmPin, which the
 * module keeps, and the mm's own FOLL_PIN counters in /proc/vmstat, which
 * show a pin leaked or dropped twice; and the device's DMA through the IOVA
 * proves they are the right pages.
 */
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "edu_util.h"

#define IOVA 0x100000UL
#define BUF_PAGES 16
#define HUGE_2M (2UL << 20)

FIXTURE(pin) {
	int fd;
	struct edu e;
	__u32 dev, ioas;
	unsigned char *buf;
	volatile __u64 *bar;
	long pin0, foll0;
};

/* Both counts say @n pages more are pinned than at the fixture's start. */
#define EXPECT_PINNED(n)						\
	do {								\
		EXPECT_EQ(self->pin0 + (n), vm_pin_pages());		\
		EXPECT_EQ(self->foll0 + (n), foll_pins());		\
	} while (0)

#define FAIL_PIN "/sys/kernel/debug/iommufd_rs/fail_pin/"

/* Every pin of the module fails (-EFAULT) while @on. */
static int fail_pins(int on)
{
	return write_file(FAIL_PIN "verbose", "0") || write_file(FAIL_PIN "interval", "1") ||
	       write_file(FAIL_PIN "times", on ? "1000000" : "1") ||
	       write_file(FAIL_PIN "probability", on ? "100" : "0");
}

FIXTURE_SETUP(pin)
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

FIXTURE_TEARDOWN(pin)
{
	if (self->bar) {
		fail_pins(0);
		close(self->fd);
		/* Closing the file returned every pin. */
		EXPECT_PINNED(0);
		munmap((void *)self->bar, 1 << 20);
		munmap(self->buf, BUF_PAGES * PAGE);
	}
	set_driver(&self->e, NULL);
}

/* The device reads a page at @from and writes it back at @to; 0 if the
 * bytes arrived. */
static int dma_copy(volatile __u64 *bar, unsigned char *src, __u64 from,
		    unsigned char *dst, __u64 to, unsigned char pattern)
{
	memset(src, pattern, PAGE);
	memset(dst, 0, PAGE);
	if (edu_dma(bar, from, EDU_BUF, PAGE, 0) || edu_dma(bar, EDU_BUF, to, PAGE, 1))
		return -1;
	for (int i = 0; i < PAGE; i++)
		if (dst[i] != pattern)
			return -1;
	return 0;
}

/* A line "Name: N" of /proc/meminfo; -1 if absent. */
static long meminfo(const char *name)
{
	char line[256], fmt[64];
	long v = -1;
	FILE *f = fopen("/proc/meminfo", "r");

	if (!f)
		return -1;
	snprintf(fmt, sizeof(fmt), "%s: %%ld", name);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, fmt, &v) == 1)
			break;
	fclose(f);
	return v;
}

TEST_F(pin, map_pins_nothing_until_a_domain_needs_it)
{
	__u64 iova = IOVA;
	__u32 hwpt;

	ASSERT_EQ(0, map(self->fd, self->ioas, self->buf, BUF_PAGES * PAGE, &iova, FIXED));
	EXPECT_PINNED(0);
	/* The first domain pins every area, and the device reaches them. */
	ASSERT_EQ(0, attach(self->fd, self->dev, self->ioas, &hwpt));
	EXPECT_PINNED(BUF_PAGES);
	EXPECT_EQ(0, dma_copy(self->bar, self->buf, IOVA, self->buf + PAGE, IOVA + PAGE, 0x3c));
	/* The automatic HWPT goes with the device: the last domain unpins. */
	ASSERT_EQ(0, detach(self->fd, self->dev));
	EXPECT_PINNED(0);
	/* And a new one pins again. */
	ASSERT_EQ(0, attach(self->fd, self->dev, self->ioas, &hwpt));
	EXPECT_PINNED(BUF_PAGES);
	EXPECT_EQ(0, dma_copy(self->bar, self->buf + 2 * PAGE, IOVA + 2 * PAGE,
			      self->buf + 3 * PAGE, IOVA + 3 * PAGE, 0xc3));
}

TEST_F(pin, map_and_unmap_with_a_domain_pin_and_unpin_at_once)
{
	__u64 iova = IOVA;
	__u32 hwpt;

	ASSERT_EQ(0, attach(self->fd, self->dev, self->ioas, &hwpt));
	EXPECT_PINNED(0);
	ASSERT_EQ(0, map(self->fd, self->ioas, self->buf, 4 * PAGE, &iova, FIXED));
	EXPECT_PINNED(4);
	EXPECT_EQ(0, dma_copy(self->bar, self->buf, IOVA, self->buf + PAGE, IOVA + PAGE, 0x5a));
	ASSERT_EQ(0, unmap(self->fd, self->ioas, IOVA, 4 * PAGE, NULL));
	EXPECT_PINNED(0);
}

/* Memory unmapped by the user between MAP and the attach that pins it:
 * the attach fails with EFAULT and leaves nothing behind: no pin, no HWPT,
 * the device unattached; without the bad area the same attach works. */
TEST_F(pin, attach_over_memory_gone_since_map_is_efault_and_changes_nothing)
{
	unsigned char *gone = buffer(4 * PAGE);
	__u64 iova = IOVA, bad = 0x400000;
	__u32 hwpt;

	ASSERT_NE(NULL, gone);
	ASSERT_EQ(0, map(self->fd, self->ioas, self->buf, 4 * PAGE, &iova, FIXED));
	ASSERT_EQ(0, map(self->fd, self->ioas, gone, 4 * PAGE, &bad, FIXED));
	ASSERT_EQ(0, munmap(gone + 2 * PAGE, 2 * PAGE));
	EXPECT_EQ(EFAULT, attach(self->fd, self->dev, self->ioas, &hwpt));
	EXPECT_PINNED(0);
	EXPECT_EQ(EINVAL, detach(self->fd, self->dev));
	ASSERT_EQ(0, unmap(self->fd, self->ioas, bad, 4 * PAGE, NULL));
	ASSERT_EQ(0, attach(self->fd, self->dev, self->ioas, &hwpt));
	EXPECT_PINNED(4);
	EXPECT_EQ(0, dma_copy(self->bar, self->buf, IOVA, self->buf + PAGE, IOVA + PAGE, 0x77));
	munmap(gone, 2 * PAGE);
}

/* With a domain, MAP itself answers for the memory: a hole or read-only
 * memory for a device-writable map is EFAULT, with nothing pinned. */
TEST_F(pin, map_of_bad_memory_with_a_domain_pins_nothing)
{
	unsigned char *ro = mmap(NULL, 4 * PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	unsigned char *hole = buffer(4 * PAGE);
	__u64 iova = IOVA;
	__u32 hwpt;

	ASSERT_NE(MAP_FAILED, ro);
	ASSERT_NE(NULL, hole);
	ASSERT_EQ(0, munmap(hole + 3 * PAGE, PAGE));
	ASSERT_EQ(0, attach(self->fd, self->dev, self->ioas, &hwpt));
	EXPECT_EQ(EFAULT, map(self->fd, self->ioas, hole, 4 * PAGE, &iova, FIXED));
	EXPECT_EQ(EFAULT, map(self->fd, self->ioas, ro, 4 * PAGE, &iova, FIXED));
	EXPECT_PINNED(0);
	/* The IOVA stayed free. */
	ASSERT_EQ(0, map(self->fd, self->ioas, ro, 4 * PAGE, &iova,
			 IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_FIXED_IOVA));
	EXPECT_PINNED(4);
	munmap(ro, 4 * PAGE);
	munmap(hole, 3 * PAGE);
}

/* COPY shares the pages, and their pins: an area in an IOAS without a
 * domain holds none, and the pages stay pinned while any area of an IOAS
 * with a domain needs them. */
TEST_F(pin, copy_shares_the_pins)
{
	__u64 iova = IOVA, d = 0x800000;
	__u32 dst, hwpt;

	ASSERT_EQ(0, ioas_alloc(self->fd, &dst));
	ASSERT_EQ(0, map(self->fd, self->ioas, self->buf, BUF_PAGES * PAGE, &iova, FIXED));
	ASSERT_EQ(0, attach(self->fd, self->dev, self->ioas, &hwpt));
	ASSERT_EQ(0, copy(self->fd, dst, self->ioas, IOVA, BUF_PAGES * PAGE, &d, FIXED));
	EXPECT_PINNED(BUF_PAGES);
	/* The device moves to the copy: pinned once, through it now. */
	ASSERT_EQ(0, detach(self->fd, self->dev));
	EXPECT_PINNED(0);
	ASSERT_EQ(0, attach(self->fd, self->dev, dst, &hwpt));
	EXPECT_PINNED(BUF_PAGES);
	/* Unmapping the source keeps the copy's pins. */
	ASSERT_EQ(0, unmap(self->fd, self->ioas, 0, UINT64_MAX, NULL));
	EXPECT_PINNED(BUF_PAGES);
	EXPECT_EQ(0, dma_copy(self->bar, self->buf, 0x800000, self->buf + PAGE,
			      0x800000 + PAGE, 0x99));
	ASSERT_EQ(0, unmap(self->fd, dst, 0, UINT64_MAX, NULL));
	EXPECT_PINNED(0);
}

TEST_F(pin, map_file_pins_with_the_domain)
{
	int mfd = memfd_create("pinning_test", 0);
	unsigned char *m;
	__u64 iova = IOVA;
	__u32 hwpt;

	ASSERT_LE(0, mfd);
	ASSERT_EQ(0, ftruncate(mfd, 8 * PAGE));
	m = mmap(NULL, 8 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
	ASSERT_NE(MAP_FAILED, m);
	ASSERT_EQ(0, map_file(self->fd, self->ioas, mfd, 0, 8 * PAGE, &iova, FIXED));
	EXPECT_PINNED(0);
	ASSERT_EQ(0, attach(self->fd, self->dev, self->ioas, &hwpt));
	EXPECT_PINNED(8);
	EXPECT_EQ(0, dma_copy(self->bar, m, IOVA, m + 7 * PAGE, IOVA + 7 * PAGE, 0x42));
	ASSERT_EQ(0, detach(self->fd, self->dev));
	EXPECT_PINNED(0);
	munmap(m, 8 * PAGE);
	close(mfd);
}

#ifndef F_SEAL_FUTURE_WRITE
#define F_SEAL_FUTURE_WRITE 0x0010
#endif

/* A memfd of @pages pages that allows sealing, with @seals added (0: none). */
static int sealed_memfd(int pages, int seals)
{
	int mfd = memfd_create("pinning_test_sealed", MFD_ALLOW_SEALING);

	if (mfd < 0 || ftruncate(mfd, pages * PAGE) ||
	    (seals && fcntl(mfd, F_ADD_SEALS, seals))) {
		close(mfd);
		return -1;
	}
	return mfd;
}

/* A memfd sealed against writes is the sealer's promise that its contents
 * no longer change: a WRITEABLE map of it is EPERM (as a writable shared
 * mmap of it is) and pins nothing, a read-only map works; and while a
 * WRITEABLE map exists, F_SEAL_WRITE cannot be added (EBUSY, as while the
 * file is mapped writable). */
TEST_F(pin, map_file_write_sealed)
{
	static const int seals[] = { F_SEAL_WRITE, F_SEAL_FUTURE_WRITE };
	__u64 iova, unmapped;
	__u32 hwpt;
	int mfd;

	ASSERT_EQ(0, attach(self->fd, self->dev, self->ioas, &hwpt));
	for (unsigned int i = 0; i < 2; i++) {
		mfd = sealed_memfd(4, seals[i]);
		ASSERT_LE(0, mfd);
		iova = IOVA;
		EXPECT_EQ(EPERM, map_file(self->fd, self->ioas, mfd, 0, 4 * PAGE, &iova, FIXED));
		EXPECT_EQ(EPERM, map_file(self->fd, self->ioas, mfd, 0, 4 * PAGE, &iova,
					  IOMMU_IOAS_MAP_WRITEABLE | IOMMU_IOAS_MAP_FIXED_IOVA));
		EXPECT_PINNED(0);
		/* Nothing was mapped there: a read-only map of it works. */
		ASSERT_EQ(0, map_file(self->fd, self->ioas, mfd, 0, 4 * PAGE, &iova,
				      IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_FIXED_IOVA));
		EXPECT_PINNED(4);
		ASSERT_EQ(0, unmap(self->fd, self->ioas, IOVA, 4 * PAGE, &unmapped));
		EXPECT_EQ(4 * PAGE, unmapped);
		EXPECT_PINNED(0);
		close(mfd);
	}
	/* A writable map holds the seal off until it is unmapped. */
	mfd = sealed_memfd(4, 0);
	ASSERT_LE(0, mfd);
	iova = IOVA;
	ASSERT_EQ(0, map_file(self->fd, self->ioas, mfd, 0, 4 * PAGE, &iova, FIXED));
	EXPECT_EQ(-1, fcntl(mfd, F_ADD_SEALS, F_SEAL_WRITE));
	EXPECT_EQ(EBUSY, errno);
	ASSERT_EQ(0, unmap(self->fd, self->ioas, IOVA, 4 * PAGE, &unmapped));
	EXPECT_EQ(0, fcntl(mfd, F_ADD_SEALS, F_SEAL_WRITE));
	EXPECT_EQ(EPERM, map_file(self->fd, self->ioas, mfd, 0, 4 * PAGE, &iova, FIXED));
	close(mfd);
	/* The same without a domain: the map is refused at once, not at the
	 * first attach, and the writable count goes with an unpinned map too. */
	ASSERT_EQ(0, detach(self->fd, self->dev));
	mfd = sealed_memfd(4, 0);
	ASSERT_LE(0, mfd);
	ASSERT_EQ(0, map_file(self->fd, self->ioas, mfd, 0, 4 * PAGE, &iova, FIXED));
	EXPECT_EQ(-1, fcntl(mfd, F_ADD_SEALS, F_SEAL_WRITE));
	EXPECT_EQ(EBUSY, errno);
	ASSERT_EQ(0, unmap(self->fd, self->ioas, IOVA, 4 * PAGE, &unmapped));
	EXPECT_EQ(0, fcntl(mfd, F_ADD_SEALS, F_SEAL_WRITE));
	EXPECT_EQ(EPERM, map_file(self->fd, self->ioas, mfd, 0, 4 * PAGE, &iova, FIXED));
	EXPECT_PINNED(0);
	close(mfd);
}

/* Another process attaches through the same file: the pages are pinned
 * from the process that mapped them (pin_user_pages_remote()). The DMA is
 * the proof: a pin from the child's mm (FOLL_WRITE breaks COW there) would
 * give the device the child's copies, which never see the parent's new
 * pattern. */
TEST_F(pin, another_process_attach_pins_from_the_mapping_process)
{
	__u64 iova = IOVA;
	int status;
	pid_t pid;

	ASSERT_EQ(0, map(self->fd, self->ioas, self->buf, BUF_PAGES * PAGE, &iova, FIXED));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		__u32 hwpt;

		_exit(attach(self->fd, self->dev, self->ioas, &hwpt) ? 1 : 0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(0, WEXITSTATUS(status));
	EXPECT_PINNED(BUF_PAGES);
	EXPECT_EQ(0, dma_copy(self->bar, self->buf, IOVA, self->buf + PAGE, IOVA + PAGE, 0x1e));
}

/* Huge pages of the pool in use: the system's count, so the tests that
 * read it skip when the pool is overcommitted (surplus pages go back to the
 * buddy allocator, not the pool). */
static long huge_in_use(void)
{
	long total = meminfo("HugePages_Total"), free = meminfo("HugePages_Free");

	return total < 0 || free < 0 || meminfo("HugePages_Surp") != 0 ? -1 : total - free;
}

/* A 2 MiB hugetlb page mapped from its second subpage to its last but one:
 * pinned as one folio, mapped through, and every pin returned, by unmap and
 * by close: only then does the page go back to the pool. */
TEST_F(pin, hugetlb_from_the_middle_pins_the_folio_and_returns_every_pin)
{
	unsigned char *h = mmap(NULL, HUGE_2M, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB | MAP_POPULATE, -1, 0);
	long used = huge_in_use();
	__u64 iova = IOVA, last = IOVA + HUGE_2M - 3 * PAGE;
	__u32 hwpt;

	if (h == MAP_FAILED)
		SKIP(return, "no 2 MiB huge pages reserved");
	if (used < 1)
		SKIP(return, "huge page pool overcommitted");
	ASSERT_EQ(0, map(self->fd, self->ioas, h + PAGE, HUGE_2M - 2 * PAGE, &iova, FIXED));
	ASSERT_EQ(0, attach(self->fd, self->dev, self->ioas, &hwpt));
	EXPECT_PINNED(510);
	/* The first and the last subpage of the range, through the device. */
	EXPECT_EQ(0, dma_copy(self->bar, h + PAGE, IOVA, h + HUGE_2M - 2 * PAGE, last, 0x6d));
	ASSERT_EQ(0, unmap(self->fd, self->ioas, 0, UINT64_MAX, NULL));
	EXPECT_PINNED(0);
	/* Pinned again and released by close instead of unmap. */
	iova = IOVA;
	ASSERT_EQ(0, map(self->fd, self->ioas, h, HUGE_2M, &iova, FIXED));
	EXPECT_PINNED(512);
	ASSERT_EQ(0, munmap(h, HUGE_2M));
	/* Still pinned by the domain: not back in the pool. */
	EXPECT_EQ(used, huge_in_use());
	close(self->fd);
	self->fd = open(dev_path(), O_RDWR);
	ASSERT_LE(0, self->fd);
	EXPECT_EQ(used - 1, huge_in_use());
	EXPECT_PINNED(0);
}

/* A hugetlbfs memfd mapped with MAP_FILE from its second page to its last
 * but one: memfd_pin_folios() pins the folio once, the module adds a pin for
 * each further page of the range, and the device reaches both ends. */
TEST_F(pin, hugetlb_memfd_from_the_middle_pins_each_page_once)
{
	int mfd = memfd_create("pinning_test_huge", MFD_HUGETLB);
	unsigned char *m;
	__u64 iova = IOVA;
	__u32 hwpt;

	if (mfd < 0 || ftruncate(mfd, HUGE_2M))
		SKIP(return, "no hugetlb memfd");
	m = mmap(NULL, HUGE_2M, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, mfd, 0);
	ASSERT_NE(MAP_FAILED, m);
	ASSERT_EQ(0, map_file(self->fd, self->ioas, mfd, PAGE, HUGE_2M - 2 * PAGE, &iova, FIXED));
	EXPECT_PINNED(0);
	ASSERT_EQ(0, attach(self->fd, self->dev, self->ioas, &hwpt));
	EXPECT_PINNED(510);
	EXPECT_EQ(0, dma_copy(self->bar, m + PAGE, IOVA, m + HUGE_2M - 2 * PAGE,
			      IOVA + HUGE_2M - 3 * PAGE, 0x4b));
	ASSERT_EQ(0, detach(self->fd, self->dev));
	EXPECT_PINNED(0);
	munmap(m, HUGE_2M);
	close(mfd);
}

/* A pin that fails (the module's fail_pin point: every pin is -EFAULT)
 * after the area is inserted, with a domain, at MAP and at the attach that
 * pins: EFAULT, and nothing pinned, mapped or made; once pins work again the
 * same commands succeed. */
TEST_F(pin, failed_pins_leave_nothing)
{
	__u64 iova = IOVA, phys;
	__u32 hwpt;

	if (access(FAIL_PIN "probability", W_OK))
		SKIP(return, "no fail_pin fault point (debugfs, CONFIG_FAULT_INJECTION_DEBUG_FS)");
	ASSERT_EQ(0, attach(self->fd, self->dev, self->ioas, &hwpt));
	ASSERT_EQ(0, fail_pins(1));
	EXPECT_EQ(EFAULT, map(self->fd, self->ioas, self->buf, BUF_PAGES * PAGE, &iova, FIXED));
	EXPECT_PINNED(0);
	EXPECT_EQ(ENOENT, translate(self->fd, hwpt, IOVA, &phys));
	ASSERT_EQ(0, fail_pins(0));
	ASSERT_EQ(0, map(self->fd, self->ioas, self->buf, BUF_PAGES * PAGE, &iova, FIXED));
	EXPECT_PINNED(BUF_PAGES);
	/* Now the attach: the automatic HWPT goes, the first domain pins. */
	ASSERT_EQ(0, detach(self->fd, self->dev));
	EXPECT_PINNED(0);
	ASSERT_EQ(0, fail_pins(1));
	EXPECT_EQ(EFAULT, attach(self->fd, self->dev, self->ioas, &hwpt));
	EXPECT_PINNED(0);
	EXPECT_EQ(EINVAL, detach(self->fd, self->dev));
	ASSERT_EQ(0, fail_pins(0));
	ASSERT_EQ(0, attach(self->fd, self->dev, self->ioas, &hwpt));
	EXPECT_PINNED(BUF_PAGES);
	EXPECT_EQ(0, dma_copy(self->bar, self->buf, IOVA, self->buf + PAGE, IOVA + PAGE, 0x2d));
}

TEST_HARNESS_MAIN
