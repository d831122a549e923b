// SPDX-License-Identifier: GPL-2.0
/*
 * Real interrupt delivery: an edu device bound to a file and attached to an
 * IOAS raises MSIs that arrive as eventfd counts. The MSI address edu was
 * programmed with (its MSI capability) lies in the window in force: the
 * driver's SW_MSI region (0x8000000 behind an SMMUv3) by default, the
 * user's window when one is set; behind virtio-iommu, without a SW_MSI
 * region, the hardware MSI region (the ITS doorbell, mapped 1:1).
 */
#include <sys/eventfd.h>

#include "kselftest_harness.h"
#include "edu_util.h"

#define MIB (1UL << 20)

FIXTURE(msi) {
	int fd, efd;
	struct edu e;
	__u32 dev, ioas;
	volatile __u32 *bar;
};

FIXTURE_SETUP(msi)
{
	if (find_edu(0, &self->e))
		SKIP(return, "no edu device");
	ASSERT_EQ(0, set_driver(&self->e, "iommufd_rs"));
	self->bar = map_bar0(&self->e);
	ASSERT_NE(NULL, self->bar);
	self->fd = open(dev_path(), O_RDWR);
	ASSERT_LE(0, self->fd);
	self->efd = eventfd(0, EFD_NONBLOCK);
	ASSERT_LE(0, self->efd);
	ASSERT_EQ(0, bind_dev(self->fd, &self->e, &self->dev));
	ASSERT_EQ(0, ioas_alloc(self->fd, &self->ioas));
}

FIXTURE_TEARDOWN(msi)
{
	close(self->fd);
	close(self->efd);
	munmap((void *)self->bar, 1 << 20);
	set_driver(&self->e, NULL);
}

TEST_F(msi, default_window_delivers)
{
	__u64 addr;

	EXPECT_EQ(EINVAL, set_irqs(self->fd, self->dev, 1, &self->efd));
	ASSERT_EQ(0, attach(self->fd, self->dev, self->ioas, NULL));
	ASSERT_EQ(0, set_irqs(self->fd, self->dev, 1, &self->efd));
	addr = msi_address(&self->e);
	TH_LOG("edu MSI address 0x%llx", (unsigned long long)addr);
	EXPECT_LE(0x8000000UL, addr);
	EXPECT_GT(0x8000000UL + MIB, addr);
	raise_irq(self->bar);
	EXPECT_EQ(1, events(self->efd, 1000));
	raise_irq(self->bar);
	raise_irq(self->bar);
	EXPECT_EQ(2, events(self->efd, 1000));
	/* nvec 0 frees: no more events. */
	ASSERT_EQ(0, set_irqs(self->fd, self->dev, 0, NULL));
	raise_irq(self->bar);
	EXPECT_EQ(0, events(self->efd, 300));
}

TEST_F(msi, user_window_delivers)
{
	__u64 start = 0x10000000, mib = 2, addr;

	ASSERT_EQ(0, option(self->fd, IOMMU_OPTION_SW_MSI_START, IOMMU_OPTION_OP_SET,
			    self->dev, &start));
	ASSERT_EQ(0, option(self->fd, IOMMU_OPTION_SW_MSI_SIZE, IOMMU_OPTION_OP_SET,
			    self->dev, &mib));
	ASSERT_EQ(0, attach(self->fd, self->dev, self->ioas, NULL));
	ASSERT_EQ(0, set_irqs(self->fd, self->dev, 1, &self->efd));
	addr = msi_address(&self->e);
	TH_LOG("edu MSI address 0x%llx", (unsigned long long)addr);
	EXPECT_LE(0x10000000UL, addr);
	EXPECT_GT(0x10000000UL + 2 * MIB, addr);
	raise_irq(self->bar);
	EXPECT_EQ(1, events(self->efd, 1000));
}

TEST_F(msi, detach_and_close_free_the_vectors)
{
	int bad = 999, notev = self->fd;

	ASSERT_EQ(0, attach(self->fd, self->dev, self->ioas, NULL));
	/* Bad eventfds: nothing allocated. */
	EXPECT_EQ(EBADF, set_irqs(self->fd, self->dev, 1, &bad));
	EXPECT_EQ(EINVAL, set_irqs(self->fd, self->dev, 1, &notev));
	EXPECT_EQ(EINVAL, set_irqs(self->fd, self->dev, 4096, &self->efd));
	/* edu has one MSI vector: asking for two fails cleanly. */
	int two[2] = { self->efd, self->efd };
	EXPECT_EQ(ENOSPC, set_irqs(self->fd, self->dev, 2, two));
	EXPECT_EQ(EFAULT, set_irqs(self->fd, self->dev, 1, (int *)8));
	ASSERT_EQ(0, set_irqs(self->fd, self->dev, 1, &self->efd));
	/* A bad replacement leaves the working vector in place. */
	EXPECT_EQ(EBADF, set_irqs(self->fd, self->dev, 1, &bad));
	EXPECT_EQ(ENOSPC, set_irqs(self->fd, self->dev, 2, two));
	raise_irq(self->bar);
	EXPECT_EQ(1, events(self->efd, 1000));
	ASSERT_EQ(0, detach(self->fd, self->dev));
	raise_irq(self->bar);
	EXPECT_EQ(0, events(self->efd, 300));
	/* Attach again, vectors again, then close with them live. */
	ASSERT_EQ(0, attach(self->fd, self->dev, self->ioas, NULL));
	ASSERT_EQ(0, set_irqs(self->fd, self->dev, 1, &self->efd));
}

/* Freeing MSI vectors makes the PCI core turn INTx back on; a function
 * bound here keeps it off (a level interrupt nobody handles would get a
 * shared line shut down for the host drivers on it). */
TEST_F(msi, intx_stays_off_after_the_vectors_go)
{
	int two[2] = { self->efd, self->efd };

	ASSERT_EQ(0, attach(self->fd, self->dev, self->ioas, NULL));
	EXPECT_NE(0, pci_command(&self->e) & CMD_INTX_DISABLE);
	ASSERT_EQ(0, set_irqs(self->fd, self->dev, 1, &self->efd));
	EXPECT_NE(0, pci_command(&self->e) & CMD_INTX_DISABLE);
	ASSERT_EQ(0, set_irqs(self->fd, self->dev, 0, NULL));
	EXPECT_NE(0, pci_command(&self->e) & CMD_INTX_DISABLE);
	/* A failed allocation unwinds through the same path. */
	EXPECT_EQ(ENOSPC, set_irqs(self->fd, self->dev, 2, two));
	EXPECT_NE(0, pci_command(&self->e) & CMD_INTX_DISABLE);
	ASSERT_EQ(0, set_irqs(self->fd, self->dev, 1, &self->efd));
	ASSERT_EQ(0, detach(self->fd, self->dev));
	EXPECT_NE(0, pci_command(&self->e) & CMD_INTX_DISABLE);
}

/* Replace: the device moves to another HWPT with its vector live; the
 * doorbell keeps its IOVA and interrupts keep arriving. */
TEST_F(msi, replace_keeps_msi_working)
{
	struct iommu_hwpt_translate t = { .size = sizeof(t) };
	__u32 auto_hwpt, hwpt;
	__u64 before, after;

	ASSERT_EQ(0, attach(self->fd, self->dev, self->ioas, &auto_hwpt));
	ASSERT_EQ(0, set_irqs(self->fd, self->dev, 1, &self->efd));
	before = msi_address(&self->e);
	raise_irq(self->bar);
	EXPECT_EQ(1, events(self->efd, 1000));
	ASSERT_EQ(0, hwpt_alloc(self->fd, self->dev, self->ioas, 0, 0, &hwpt));
	ASSERT_EQ(0, attach(self->fd, self->dev, hwpt, NULL));
	after = msi_address(&self->e);
	TH_LOG("MSI address 0x%llx before, 0x%llx after replace",
	       (unsigned long long)before, (unsigned long long)after);
	EXPECT_EQ(before, after);
	raise_irq(self->bar);
	EXPECT_EQ(1, events(self->efd, 1000));
	/* The automatic HWPT lost its only device and went away. */
	t.hwpt_id = auto_hwpt;
	EXPECT_EQ(ENOENT, xioctl(self->fd, IOMMU_HWPT_TRANSLATE, &t));
	/* Replace back to the IOAS (a new automatic HWPT): still delivering. */
	ASSERT_EQ(0, attach(self->fd, self->dev, self->ioas, NULL));
	raise_irq(self->bar);
	EXPECT_EQ(1, events(self->efd, 1000));
	EXPECT_EQ(0, destroy(self->fd, hwpt));
}

/* The function leaves the driver while the file's vectors are live: the
 * vectors go with it (before the driver's MSI domain does), and what the
 * file does with them afterwards answers -ENODEV or frees nothing twice. */
TEST_F(msi, unbind_with_vectors_live)
{
	ASSERT_EQ(0, attach(self->fd, self->dev, self->ioas, NULL));
	ASSERT_EQ(0, set_irqs(self->fd, self->dev, 1, &self->efd));
	raise_irq(self->bar);
	EXPECT_EQ(1, events(self->efd, 1000));
	ASSERT_EQ(0, set_driver(&self->e, NULL));
	EXPECT_EQ(ENODEV, set_irqs(self->fd, self->dev, 1, &self->efd));
	EXPECT_EQ(0, set_irqs(self->fd, self->dev, 0, NULL));
	EXPECT_EQ(0, detach(self->fd, self->dev));
	close(self->fd);
	self->fd = -1;
}

TEST_HARNESS_MAIN
