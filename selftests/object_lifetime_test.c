// SPDX-License-Identifier: GPL-2.0
/*
 * The object dependency rule, against the real module and QEMU's edu
 * devices: IOMMU_DESTROY of an object something depends on answers -EBUSY
 * and changes nothing, and the same DESTROY succeeds once the dependant is
 * gone.
 *
 *  - An IOAS is busy while a HWPT follows it, allocated (IOMMU_HWPT_ALLOC,
 *    with or without devices) or automatic (IOMMU_DEVICE_ATTACH to the
 *    IOAS); after the refusal it still maps and the device still DMAs
 *    through it. It is free once the allocated HWPT is destroyed, or the
 *    automatic one went with its last device.
 *  - A HWPT is busy while a device is attached to it; an allocated one can
 *    be destroyed after the detach, an automatic one is gone by then.
 *  - An attached device is busy; after IOMMU_DEVICE_DETACH it can be
 *    destroyed, and the function bound again.
 *  - Replace (attach again elsewhere) moves the dependency: the old HWPT
 *    becomes destroyable (or, automatic, goes), the new one is busy.
 *  - Closing a file with everything alive frees everything: pinned pages
 *    (VmPin), and on smmu_rs its domains, table pages and DMA memory
 *    (debugfs); the function can be bound by another file, and its MSI
 *    vector made again.
 *
 * DMA is proven by bytes: edu (QEMU hw/misc/edu.c) copies a page from one
 * IOVA into its 4 KiB buffer at device address 0x40000 and from there to
 * another IOVA (BAR0 registers 0x80 source, 0x88 destination, 0x90 count,
 * 0x98 command: bit 0 start, bit 1 device-to-RAM; 0x60 raises its MSI,
 * 0x64 acknowledges it).
 */
#include <sys/eventfd.h>

#include "kselftest_harness.h"
#include "edu_util.h"

/* The fixture's buffer, mapped at IOVA; later maps go to LATE_IOVA. */
#define BUF_PAGES 4
#define IOVA 0x100000UL
#define LATE_IOVA 0x200000UL

/* What a file holds, seen from outside it. */
struct counters {
	long pin;		/* VmPin of this process, pages */
	int smmu_rs;		/* smmu_rs's debugfs exists: the fields below count */
	long domains;		/* lines of debugfs "domains": live stage-2 domains */
	long table_pages;
	long dma_bytes;
};

/*
 * The device copies a page from IOVA src (the memory at from) to IOVA dst
 * (the memory at to). The page gets a pattern no earlier call used, so a
 * stale device buffer cannot pass; 0 when the bytes arrived.
 */
static int dma_copies(volatile __u64 *bar, unsigned char *from, __u64 src,
		      unsigned char *to, __u64 dst)
{
	static unsigned int calls;
	unsigned int seed = (unsigned int)getpid() * 131 + ++calls;

	for (unsigned long i = 0; i < PAGE; i++)
		from[i] = (i * 7 + seed) ^ (seed >> 8);
	memset(to, 0, PAGE);
	if (edu_dma(bar, src, EDU_BUF, PAGE, 0) || edu_dma(bar, EDU_BUF, dst, PAGE, 1))
		return -1;
	return memcmp(from, to, PAGE) ? -1 : 0;
}

/* 0 if hwpt exists and maps iova, else the errno (ENOENT: no such HWPT). */
static int hwpt_maps(int fd, __u32 hwpt, __u64 iova)
{
	__u64 phys;

	return translate(fd, hwpt, iova, &phys);
}

static void snapshot(struct counters *c)
{
	c->pin = vm_pin_pages();
	c->smmu_rs = access(SMMU_RS_DEBUGFS, F_OK) == 0;
	c->domains = c->smmu_rs ? live_domains() : 0;
	c->table_pages = c->smmu_rs ? debugfs_number("table_pages") : 0;
	c->dma_bytes = c->smmu_rs ? debugfs_number("dma_bytes") : 0;
}

FIXTURE(life) {
	int fd, fd2;
	struct edu e, e2;
	int e2_bound;
	__u32 dev, ioas;
	unsigned char *buf;	/* BUF_PAGES pages, mapped at IOVA in ioas */
	volatile __u64 *bar, *bar2;
	struct counters before;	/* taken before the file was opened */
};

/* Gives everything back: files closed, functions off iommufd_rs. */
static void release(FIXTURE_DATA(life) *self)
{
	if (self->fd >= 0)
		close(self->fd);
	if (self->fd2 >= 0)
		close(self->fd2);
	self->fd = self->fd2 = -1;
	if (self->bar)
		munmap((void *)self->bar, 1 << 20);
	if (self->bar2)
		munmap((void *)self->bar2, 1 << 20);
	self->bar = self->bar2 = NULL;
	if (self->buf)
		munmap(self->buf, BUF_PAGES * PAGE);
	self->buf = NULL;
	if (self->e2_bound)
		set_driver(&self->e2, NULL);
	self->e2_bound = 0;
	set_driver(&self->e, NULL);
}

/*
 * The harness runs the teardown only after a complete setup: a setup step
 * that fails gives the function back itself, so later suites find it free.
 */
#define SETUP_EQ(expected, expr) do {						\
		long __v = (long)(expr);					\
		if (__v != (long)(expected)) {					\
			TH_LOG("setup: %s gave %ld", #expr, __v);		\
			release(self);						\
		}								\
		ASSERT_EQ((long)(expected), __v);				\
	} while (0)

FIXTURE_SETUP(life)
{
	__u64 iova = IOVA;

	self->fd = self->fd2 = -1;
	if (find_edu(0, &self->e))
		SKIP(return, "no edu device");
	ASSERT_EQ(0, set_driver(&self->e, "iommufd_rs"));
	SETUP_EQ(0, enable_device(&self->e));
	self->bar = map_bar0(&self->e);
	SETUP_EQ(1, self->bar != NULL);
	self->buf = buffer(BUF_PAGES * PAGE);
	SETUP_EQ(1, self->buf != NULL);
	snapshot(&self->before);
	SETUP_EQ(1, self->before.pin >= 0);
	if (self->before.smmu_rs) {
		SETUP_EQ(1, self->before.domains >= 0);
		SETUP_EQ(1, self->before.table_pages >= 0);
		SETUP_EQ(1, self->before.dma_bytes >= 0);
	}
	self->fd = open(dev_path(), O_RDWR);
	SETUP_EQ(1, self->fd >= 0);
	SETUP_EQ(0, bind_dev(self->fd, &self->e, &self->dev));
	SETUP_EQ(0, ioas_alloc(self->fd, &self->ioas));
	SETUP_EQ(0, map(self->fd, self->ioas, self->buf, BUF_PAGES * PAGE, &iova, FIXED));
}

FIXTURE_TEARDOWN(life)
{
	release(self);
}

TEST_F(life, ioas_busy_while_allocated_hwpt_follows)
{
	unsigned char *late = buffer(PAGE);
	__u64 iova = LATE_IOVA;
	__u32 hwpt;

	ASSERT_NE(NULL, late);
	ASSERT_EQ(0, hwpt_alloc(self->fd, self->dev, self->ioas, 0, 0, &hwpt));
	/* No device attached yet: the HWPT alone holds the IOAS. */
	EXPECT_EQ(EBUSY, destroy(self->fd, self->ioas));
	/* The refusal left the IOAS working: a new map reaches the HWPT... */
	ASSERT_EQ(0, map(self->fd, self->ioas, late, PAGE, &iova, FIXED));
	EXPECT_EQ(0, hwpt_maps(self->fd, hwpt, LATE_IOVA));
	EXPECT_EQ(self->before.pin + BUF_PAGES + 1, vm_pin_pages());
	/* ...and the device DMAs through the old map and the new one. */
	ASSERT_EQ(0, attach(self->fd, self->dev, hwpt, NULL));
	EXPECT_EQ(EBUSY, destroy(self->fd, self->ioas));
	EXPECT_EQ(0, dma_copies(self->bar, self->buf, IOVA, late, LATE_IOVA));
	EXPECT_EQ(0, dma_copies(self->bar, late, LATE_IOVA, self->buf + PAGE, IOVA + PAGE));
	/* Detached, the HWPT still follows the IOAS. */
	ASSERT_EQ(0, detach(self->fd, self->dev));
	EXPECT_EQ(EBUSY, destroy(self->fd, self->ioas));
	EXPECT_EQ(0, hwpt_maps(self->fd, hwpt, IOVA));
	/* Once it is destroyed, the IOAS goes, with its pins. */
	ASSERT_EQ(0, destroy(self->fd, hwpt));
	EXPECT_EQ(0, destroy(self->fd, self->ioas));
	EXPECT_EQ(ENOENT, destroy(self->fd, self->ioas));
	iova = LATE_IOVA;
	EXPECT_EQ(ENOENT, map(self->fd, self->ioas, late, PAGE, &iova, FIXED));
	EXPECT_EQ(self->before.pin, vm_pin_pages());
	munmap(late, PAGE);
}

TEST_F(life, ioas_busy_while_automatic_hwpt_follows)
{
	unsigned char *late = buffer(PAGE);
	__u64 iova = LATE_IOVA;
	__u32 hwpt;

	ASSERT_NE(NULL, late);
	ASSERT_EQ(0, attach(self->fd, self->dev, self->ioas, &hwpt));
	EXPECT_EQ(EBUSY, destroy(self->fd, self->ioas));
	/* After the refusal: a new map works and reaches the domain. */
	ASSERT_EQ(0, map(self->fd, self->ioas, late, PAGE, &iova, FIXED));
	EXPECT_EQ(0, hwpt_maps(self->fd, hwpt, LATE_IOVA));
	EXPECT_EQ(0, dma_copies(self->bar, self->buf, IOVA, late, LATE_IOVA));
	EXPECT_EQ(0, dma_copies(self->bar, late, LATE_IOVA, self->buf + PAGE, IOVA + PAGE));
	EXPECT_EQ(EBUSY, destroy(self->fd, self->ioas));
	EXPECT_EQ(0, dma_copies(self->bar, self->buf, IOVA, late, LATE_IOVA));
	/* The automatic HWPT goes with the detach of its only device. */
	ASSERT_EQ(0, detach(self->fd, self->dev));
	EXPECT_EQ(ENOENT, hwpt_maps(self->fd, hwpt, IOVA));
	EXPECT_EQ(0, destroy(self->fd, self->ioas));
	EXPECT_EQ(ENOENT, destroy(self->fd, self->ioas));
	EXPECT_EQ(self->before.pin, vm_pin_pages());
	munmap(late, PAGE);
}

/*
 * Two devices share the automatic HWPT: it, and so the IOAS, stay busy
 * until the last one detaches.
 */
TEST_F(life, automatic_hwpt_goes_with_its_last_device)
{
	__u32 dev2, hwpt, hwpt2;

	if (find_edu(1, &self->e2))
		SKIP(return, "one edu device only");
	ASSERT_EQ(0, set_driver(&self->e2, "iommufd_rs"));
	self->e2_bound = 1;
	ASSERT_EQ(0, enable_device(&self->e2));
	self->bar2 = map_bar0(&self->e2);
	ASSERT_NE(NULL, self->bar2);
	ASSERT_EQ(0, bind_dev(self->fd, &self->e2, &dev2));
	ASSERT_EQ(0, attach(self->fd, self->dev, self->ioas, &hwpt));
	ASSERT_EQ(0, attach(self->fd, dev2, self->ioas, &hwpt2));
	ASSERT_EQ(hwpt, hwpt2);
	EXPECT_EQ(EBUSY, destroy(self->fd, hwpt));
	EXPECT_EQ(EBUSY, destroy(self->fd, self->ioas));
	/* The first device leaves: the HWPT stays for the second. */
	ASSERT_EQ(0, detach(self->fd, self->dev));
	EXPECT_EQ(0, destroy(self->fd, self->dev));
	EXPECT_EQ(0, hwpt_maps(self->fd, hwpt, IOVA));
	EXPECT_EQ(EBUSY, destroy(self->fd, hwpt));
	EXPECT_EQ(EBUSY, destroy(self->fd, self->ioas));
	EXPECT_EQ(0, dma_copies(self->bar2, self->buf, IOVA, self->buf + PAGE, IOVA + PAGE));
	/* The last one leaves: the HWPT is gone, the IOAS free. */
	ASSERT_EQ(0, detach(self->fd, dev2));
	EXPECT_EQ(ENOENT, hwpt_maps(self->fd, hwpt, IOVA));
	EXPECT_EQ(ENOENT, destroy(self->fd, hwpt));
	EXPECT_EQ(0, destroy(self->fd, self->ioas));
}

TEST_F(life, allocated_hwpt_busy_while_attached)
{
	__u32 hwpt, out = 0;

	/* Nothing depends on a HWPT without devices: it can go at once. */
	ASSERT_EQ(0, hwpt_alloc(self->fd, self->dev, self->ioas, 0, 0, &hwpt));
	EXPECT_EQ(0, destroy(self->fd, hwpt));
	EXPECT_EQ(ENOENT, hwpt_maps(self->fd, hwpt, IOVA));
	ASSERT_EQ(0, hwpt_alloc(self->fd, self->dev, self->ioas, 0, 0, &hwpt));
	ASSERT_EQ(0, attach(self->fd, self->dev, hwpt, &out));
	EXPECT_EQ(hwpt, out);
	EXPECT_EQ(EBUSY, destroy(self->fd, hwpt));
	/* Refused, and untouched: it translates and the device DMAs through it. */
	EXPECT_EQ(0, hwpt_maps(self->fd, hwpt, IOVA));
	EXPECT_EQ(0, dma_copies(self->bar, self->buf, IOVA, self->buf + PAGE, IOVA + PAGE));
	EXPECT_EQ(EBUSY, destroy(self->fd, hwpt));
	EXPECT_EQ(EBUSY, destroy(self->fd, self->ioas));
	/* After the detach it stays until destroyed, and then it is gone. */
	ASSERT_EQ(0, detach(self->fd, self->dev));
	EXPECT_EQ(0, hwpt_maps(self->fd, hwpt, IOVA));
	EXPECT_EQ(0, destroy(self->fd, hwpt));
	EXPECT_EQ(ENOENT, hwpt_maps(self->fd, hwpt, IOVA));
	EXPECT_EQ(ENOENT, destroy(self->fd, hwpt));
	EXPECT_EQ(0, destroy(self->fd, self->ioas));
}

TEST_F(life, automatic_hwpt_busy_while_attached)
{
	__u32 hwpt, again = 0;

	ASSERT_EQ(0, attach(self->fd, self->dev, self->ioas, &hwpt));
	EXPECT_EQ(EBUSY, destroy(self->fd, hwpt));
	/* Refused, and untouched: attaching to the IOAS again finds it. */
	EXPECT_EQ(0, hwpt_maps(self->fd, hwpt, IOVA));
	EXPECT_EQ(0, dma_copies(self->bar, self->buf, IOVA, self->buf + PAGE, IOVA + PAGE));
	ASSERT_EQ(0, attach(self->fd, self->dev, self->ioas, &again));
	EXPECT_EQ(hwpt, again);
	EXPECT_EQ(EBUSY, destroy(self->fd, hwpt));
	EXPECT_EQ(0, dma_copies(self->bar, self->buf, IOVA, self->buf + PAGE, IOVA + PAGE));
	/* After the detach its id is gone. */
	ASSERT_EQ(0, detach(self->fd, self->dev));
	EXPECT_EQ(ENOENT, destroy(self->fd, hwpt));
	EXPECT_EQ(ENOENT, hwpt_maps(self->fd, hwpt, IOVA));
}

TEST_F(life, attached_device_busy_until_detach)
{
	__u32 hwpt, dev2, ioas2;
	__u64 iova = IOVA;

	ASSERT_EQ(0, attach(self->fd, self->dev, self->ioas, &hwpt));
	EXPECT_EQ(EBUSY, destroy(self->fd, self->dev));
	/* Refused, and still attached: DMA works and the HWPT is held. */
	EXPECT_EQ(0, dma_copies(self->bar, self->buf, IOVA, self->buf + PAGE, IOVA + PAGE));
	EXPECT_EQ(EBUSY, destroy(self->fd, hwpt));
	EXPECT_EQ(EBUSY, destroy(self->fd, self->dev));
	/* Still this file's: another file cannot bind the function. */
	self->fd2 = open(dev_path(), O_RDWR);
	ASSERT_LE(0, self->fd2);
	EXPECT_EQ(EBUSY, bind_dev(self->fd2, &self->e, NULL));
	ASSERT_EQ(0, detach(self->fd, self->dev));
	EXPECT_EQ(0, destroy(self->fd, self->dev));
	EXPECT_EQ(ENOENT, destroy(self->fd, self->dev));
	EXPECT_EQ(ENOENT, attach(self->fd, self->dev, self->ioas, NULL));
	/* Given back: the other file binds it, attaches it and DMAs. */
	ASSERT_EQ(0, bind_dev(self->fd2, &self->e, &dev2));
	ASSERT_EQ(0, ioas_alloc(self->fd2, &ioas2));
	ASSERT_EQ(0, map(self->fd2, ioas2, self->buf, BUF_PAGES * PAGE, &iova, FIXED));
	ASSERT_EQ(0, attach(self->fd2, dev2, ioas2, NULL));
	EXPECT_EQ(0, dma_copies(self->bar, self->buf, IOVA, self->buf + PAGE, IOVA + PAGE));
	close(self->fd2);
	self->fd2 = -1;
	/* And this file can bind it again too. */
	EXPECT_EQ(0, bind_dev(self->fd, &self->e, NULL));
}

/* Replace between two allocated HWPTs: A becomes destroyable, B busy. */
TEST_F(life, replace_moves_the_dependency)
{
	__u32 a, b, out = 0;

	ASSERT_EQ(0, hwpt_alloc(self->fd, self->dev, self->ioas, 0, 0, &a));
	ASSERT_EQ(0, hwpt_alloc(self->fd, self->dev, self->ioas, 0, 0, &b));
	ASSERT_NE(a, b);
	ASSERT_EQ(0, attach(self->fd, self->dev, a, NULL));
	EXPECT_EQ(EBUSY, destroy(self->fd, a));
	ASSERT_EQ(0, attach(self->fd, self->dev, b, &out));
	EXPECT_EQ(b, out);
	EXPECT_EQ(EBUSY, destroy(self->fd, b));
	EXPECT_EQ(0, destroy(self->fd, a));
	EXPECT_EQ(ENOENT, hwpt_maps(self->fd, a, IOVA));
	/* A is gone: the device DMAs through B, which is still busy. */
	EXPECT_EQ(0, dma_copies(self->bar, self->buf, IOVA, self->buf + PAGE, IOVA + PAGE));
	EXPECT_EQ(EBUSY, destroy(self->fd, b));
	EXPECT_EQ(EBUSY, destroy(self->fd, self->ioas));
	ASSERT_EQ(0, detach(self->fd, self->dev));
	EXPECT_EQ(0, destroy(self->fd, b));
	EXPECT_EQ(0, destroy(self->fd, self->ioas));
}

/*
 * Replace from an automatic HWPT (it goes) and back to the IOAS (a new
 * automatic HWPT, busy; the allocated one it left is destroyable).
 */
TEST_F(life, replace_with_automatic_hwpts)
{
	__u32 auto1, auto2, b, out = 0;

	ASSERT_EQ(0, attach(self->fd, self->dev, self->ioas, &auto1));
	ASSERT_EQ(0, hwpt_alloc(self->fd, self->dev, self->ioas, 0, 0, &b));
	ASSERT_EQ(0, attach(self->fd, self->dev, b, &out));
	EXPECT_EQ(b, out);
	EXPECT_EQ(ENOENT, hwpt_maps(self->fd, auto1, IOVA));
	EXPECT_EQ(ENOENT, destroy(self->fd, auto1));
	EXPECT_EQ(EBUSY, destroy(self->fd, b));
	EXPECT_EQ(0, dma_copies(self->bar, self->buf, IOVA, self->buf + PAGE, IOVA + PAGE));
	ASSERT_EQ(0, attach(self->fd, self->dev, self->ioas, &auto2));
	EXPECT_NE(b, auto2);
	EXPECT_EQ(0, destroy(self->fd, b));
	EXPECT_EQ(EBUSY, destroy(self->fd, auto2));
	EXPECT_EQ(EBUSY, destroy(self->fd, self->ioas));
	/* B is gone: the device DMAs through the new automatic HWPT. */
	EXPECT_EQ(0, dma_copies(self->bar, self->buf, IOVA, self->buf + PAGE, IOVA + PAGE));
	ASSERT_EQ(0, detach(self->fd, self->dev));
	EXPECT_EQ(ENOENT, destroy(self->fd, auto2));
	EXPECT_EQ(0, destroy(self->fd, self->ioas));
}

/*
 * Close with everything alive: two IOASes (one with its own pins, one
 * sharing them by COPY), each followed by a HWPT, the device attached with
 * a live MSI vector. Everything is freed, and the function serves a new
 * file: bind, attach, MSI and DMA.
 */
TEST_F(life, close_frees_everything)
{
	const unsigned long more_pages = 8;
	unsigned char *more = buffer(more_pages * PAGE);
	__u64 iova = LATE_IOVA, iova2 = 0;
	__u32 ioas2, hwpt2, hwpt;
	struct counters alive, after;
	int efd = eventfd(0, EFD_NONBLOCK);

	ASSERT_NE(NULL, more);
	ASSERT_LE(0, efd);
	ASSERT_EQ(0, map(self->fd, self->ioas, more, more_pages * PAGE, &iova, FIXED));
	ASSERT_EQ(0, ioas_alloc(self->fd, &ioas2));
	ASSERT_EQ(0, copy(self->fd, ioas2, self->ioas, IOVA, BUF_PAGES * PAGE, &iova2, RW));
	ASSERT_EQ(0, hwpt_alloc(self->fd, self->dev, ioas2, 0, 0, &hwpt2));
	EXPECT_EQ(0, hwpt_maps(self->fd, hwpt2, iova2));
	ASSERT_EQ(0, attach(self->fd, self->dev, self->ioas, &hwpt));
	ASSERT_EQ(0, set_irqs(self->fd, self->dev, 1, &efd));
	raise_irq(self->bar);
	EXPECT_EQ(1, events(efd, 1000));
	EXPECT_EQ(0, dma_copies(self->bar, self->buf, IOVA, more, LATE_IOVA));
	EXPECT_EQ(EBUSY, destroy(self->fd, self->ioas));
	EXPECT_EQ(EBUSY, destroy(self->fd, ioas2));

	snapshot(&alive);
	TH_LOG("alive: VmPin %ld pages (%ld before), smmu_rs %s: domains %ld (%ld), table pages %ld (%ld), DMA bytes %ld (%ld)",
	       alive.pin, self->before.pin, alive.smmu_rs ? "yes" : "no",
	       alive.domains, self->before.domains, alive.table_pages,
	       self->before.table_pages, alive.dma_bytes, self->before.dma_bytes);
	/* COPY shares the pins: only the two MAPs count. */
	EXPECT_EQ(self->before.pin + BUF_PAGES + more_pages, alive.pin);
	EXPECT_EQ(self->before.smmu_rs, alive.smmu_rs);
	if (alive.smmu_rs) {
		EXPECT_EQ(self->before.domains + 2, alive.domains);
		EXPECT_LT(self->before.table_pages, alive.table_pages);
	}

	ASSERT_EQ(0, close(self->fd));
	self->fd = -1;
	snapshot(&after);
	TH_LOG("closed: VmPin %ld pages, domains %ld, table pages %ld, DMA bytes %ld",
	       after.pin, after.domains, after.table_pages, after.dma_bytes);
	EXPECT_EQ(self->before.pin, after.pin);
	EXPECT_EQ(self->before.domains, after.domains);
	EXPECT_EQ(self->before.table_pages, after.table_pages);
	EXPECT_EQ(self->before.dma_bytes, after.dma_bytes);
	/* The vector went with the file. */
	raise_irq(self->bar);
	EXPECT_EQ(0, events(efd, 300));

	/* A new file gets the function, a vector and DMA again. */
	self->fd = open(dev_path(), O_RDWR);
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, bind_dev(self->fd, &self->e, &self->dev));
	ASSERT_EQ(0, ioas_alloc(self->fd, &self->ioas));
	iova = IOVA;
	ASSERT_EQ(0, map(self->fd, self->ioas, self->buf, BUF_PAGES * PAGE, &iova, FIXED));
	ASSERT_EQ(0, attach(self->fd, self->dev, self->ioas, NULL));
	ASSERT_EQ(0, set_irqs(self->fd, self->dev, 1, &efd));
	raise_irq(self->bar);
	EXPECT_EQ(1, events(efd, 1000));
	EXPECT_EQ(0, dma_copies(self->bar, self->buf, IOVA, self->buf + PAGE, IOVA + PAGE));
	close(efd);
	munmap(more, more_pages * PAGE);
}

TEST_HARNESS_MAIN
