// SPDX-License-Identifier: GPL-2.0
/*
 * What a function looks like while the iommufd_rs driver has it: INTx off
 * from probe to remove, bus mastering only while a file holds it, DMA
 * blocked by the IOMMU whenever no file has attached it (also while it is
 * bound to the driver and owned by no file, where smmu_rs's default domain
 * would otherwise be identity), and a function reset where the function
 * has a reset method (QEMU's edu has none: its reset_method is empty, and
 * the test says so).
 */
#include "kselftest_harness.h"
#include "edu_util.h"

#define CMD_MEMORY 0x2
#define CMD_MASTER 0x4
/* The physical address of the page at @va (pagemap; root sees PFNs). */
static __u64 phys_of(void *va)
{
	int fd = open("/proc/self/pagemap", O_RDONLY);
	__u64 entry = 0;

	if (fd < 0)
		return 0;
	if (pread(fd, &entry, 8, (uintptr_t)va / PAGE * 8) != 8)
		entry = 0;
	close(fd);
	if (!(entry >> 63 & 1))
		return 0;
	return (entry & ((1ULL << 55) - 1)) * PAGE;
}

FIXTURE(reset) {
	int fd;
	struct edu e;
};

FIXTURE_SETUP(reset)
{
	char path[320], methods[128] = "";

	if (find_edu(0, &self->e))
		SKIP(return, "no edu device in this machine");
	ASSERT_EQ(0, set_driver(&self->e, NULL));
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/reset_method", self->e.bdf);
	read_text(path, methods, sizeof(methods));
	TH_LOG("%s: reset methods \"%s\"", self->e.bdf, strtok(methods, "\n") ?: "");
	self->fd = open(dev_path(), O_RDWR);
	ASSERT_LE(0, self->fd);
}

FIXTURE_TEARDOWN(reset)
{
	close(self->fd);
	set_driver(&self->e, NULL);
}

TEST_F(reset, intx_and_bus_master)
{
	int before, cmd;
	__u32 id;

	before = pci_command(&self->e);
	ASSERT_LE(0, before);
	ASSERT_EQ(0, set_driver(&self->e, "iommufd_rs"));
	/* Bound to the driver: INTx off (no handler would take it), no DMA. */
	cmd = pci_command(&self->e);
	EXPECT_EQ(CMD_INTX_DISABLE, cmd & CMD_INTX_DISABLE);
	EXPECT_EQ(0, cmd & CMD_MASTER);
	/* Held by a file: memory and bus mastering for its DMA, INTx off. */
	ASSERT_EQ(0, bind_dev(self->fd, &self->e, &id));
	cmd = pci_command(&self->e);
	EXPECT_EQ(CMD_INTX_DISABLE, cmd & CMD_INTX_DISABLE);
	EXPECT_EQ(CMD_MASTER | CMD_MEMORY, cmd & (CMD_MASTER | CMD_MEMORY));
	/* Given back: no bus mastering, INTx still off. */
	ASSERT_EQ(0, destroy(self->fd, id));
	cmd = pci_command(&self->e);
	EXPECT_EQ(CMD_INTX_DISABLE, cmd & CMD_INTX_DISABLE);
	EXPECT_EQ(0, cmd & CMD_MASTER);
	/* Closing the file gives it back the same way. */
	ASSERT_EQ(0, bind_dev(self->fd, &self->e, &id));
	close(self->fd);
	self->fd = open(dev_path(), O_RDWR);
	cmd = pci_command(&self->e);
	EXPECT_EQ(CMD_INTX_DISABLE, cmd & CMD_INTX_DISABLE);
	EXPECT_EQ(0, cmd & CMD_MASTER);
	/* Out of the driver: INTx as it was before. */
	ASSERT_EQ(0, set_driver(&self->e, NULL));
	EXPECT_EQ(before & CMD_INTX_DISABLE, pci_command(&self->e) & CMD_INTX_DISABLE);
}

/*
 * The worst case for an unowned function: someone (here: root through
 * sysfs config) turns bus mastering on while no file holds it. Its DMA
 * must still not reach memory: the IOMMU blocks it. The DMA aims at the
 * physical address of a page (what an identity domain would let through).
 */
static void unowned_dma_is_blocked(struct __test_metadata *_metadata, const struct edu *e)
{
	unsigned char *src = buffer(PAGE), *dst = buffer(PAGE);
	volatile __u64 *bar = map_bar0(e);
	__u64 psrc, pdst;
	unsigned long reached = 0;

	ASSERT_NE(NULL, bar);
	memset(src, 0xa5, PAGE);
	memset(dst, 0x3c, PAGE);
	ASSERT_EQ(0, mlock(src, PAGE));
	ASSERT_EQ(0, mlock(dst, PAGE));
	psrc = phys_of(src);
	pdst = phys_of(dst);
	ASSERT_NE(0, psrc);
	ASSERT_NE(0, pdst);
	ASSERT_EQ(0, enable_device(e));
	ASSERT_EQ(0, edu_dma(bar, psrc, EDU_BUF, PAGE, 0));
	ASSERT_EQ(0, edu_dma(bar, EDU_BUF, pdst, PAGE, 1));
	/* Bypass would have copied src's 0xa5 bytes into dst. */
	for (unsigned long i = 0; i < PAGE; i++)
		reached += dst[i] != 0x3c;
	EXPECT_EQ(0, reached);
	munmap((void *)bar, 1 << 20);
	munmap(src, PAGE);
	munmap(dst, PAGE);
}

TEST_F(reset, dma_blocked_while_owned_by_no_file)
{
	__u32 id;

	ASSERT_EQ(0, set_driver(&self->e, "iommufd_rs"));
	unowned_dma_is_blocked(_metadata, &self->e);
	/* After a file held it and let go, too. */
	ASSERT_EQ(0, bind_dev(self->fd, &self->e, &id));
	ASSERT_EQ(0, destroy(self->fd, id));
	unowned_dma_is_blocked(_metadata, &self->e);
}

TEST_HARNESS_MAIN
