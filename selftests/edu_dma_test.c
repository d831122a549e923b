// SPDX-License-Identifier: GPL-2.0
/*
 * Real DMA through the SMMU: an edu device bound to a file and attached to
 * an IOAS copies memory by IOVA. Translation is proven by the bytes the
 * device reads and writes; unmap and detach are proven by DMA that no
 * longer reaches the pages.
 *
 * edu (QEMU hw/misc/edu.c): BAR0 registers 0x80 DMA source, 0x88 DMA
 * destination, 0x90 count, 0x98 command (bit 0 start, bit 1 device-to-RAM),
 * and a 4 KiB device buffer at device address 0x40000.
 */
#include <sys/mman.h>
#include <time.h>

#include "kselftest_harness.h"
#include "edu_util.h"

#define IOVA 0x100000UL

FIXTURE(dma) {
	int fd;
	struct edu e;
	__u32 dev, ioas, hwpt;
	unsigned char *buf;
	volatile __u64 *bar;
};

FIXTURE_SETUP(dma)
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
	self->buf = buffer(4 * PAGE);
	ASSERT_NE(NULL, self->buf);
	__u64 iova = IOVA;
	ASSERT_EQ(0, map(self->fd, self->ioas, self->buf, 4 * PAGE, &iova, FIXED));
	ASSERT_EQ(0, attach(self->fd, self->dev, self->ioas, &self->hwpt));
}

FIXTURE_TEARDOWN(dma)
{
	close(self->fd);
	munmap((void *)self->bar, 1 << 20);
	set_driver(&self->e, NULL);
}

TEST_F(dma, round_trip_through_the_smmu)
{
	unsigned char *src = self->buf, *dst = self->buf + PAGE;

	for (int i = 0; i < PAGE; i++)
		src[i] = (i * 7 + 3) & 0xff;
	memset(dst, 0, PAGE);
	ASSERT_EQ(0, edu_dma(self->bar, IOVA, EDU_BUF, PAGE, 0));
	ASSERT_EQ(0, edu_dma(self->bar, EDU_BUF, IOVA + PAGE, PAGE, 1));
	EXPECT_EQ(0, memcmp(src, dst, PAGE));
}

TEST_F(dma, maps_made_after_attach_reach_the_domain)
{
	unsigned char *late = buffer(PAGE);
	__u64 iova = 0x200000;

	ASSERT_NE(NULL, late);
	memset(self->buf, 0x5a, PAGE);
	ASSERT_EQ(0, map(self->fd, self->ioas, late, PAGE, &iova, FIXED));
	ASSERT_EQ(0, edu_dma(self->bar, IOVA, EDU_BUF, PAGE, 0));
	ASSERT_EQ(0, edu_dma(self->bar, EDU_BUF, iova, PAGE, 1));
	for (int i = 0; i < PAGE; i++)
		ASSERT_EQ(0x5a, late[i]);
	munmap(late, PAGE);
}

TEST_F(dma, unmapped_iova_is_not_reached)
{
	unsigned char *dst = self->buf + 2 * PAGE;
	__u64 phys;

	memset(self->buf, 0x11, PAGE);
	memset(dst, 0xee, PAGE);
	ASSERT_EQ(0, translate(self->fd, self->hwpt, IOVA + 2 * PAGE, &phys));
	EXPECT_NE(0, phys);
	ASSERT_EQ(0, edu_dma(self->bar, IOVA, EDU_BUF, PAGE, 0));
	/* Unmap everything: the device's write to the old IOVA must fault in
	 * the SMMU and never reach the (still allocated) pages. */
	ASSERT_EQ(0, unmap(self->fd, self->ioas, 0, UINT64_MAX, NULL));
	EXPECT_EQ(ENOENT, translate(self->fd, self->hwpt, IOVA + 2 * PAGE, &phys));
	edu_dma(self->bar, EDU_BUF, IOVA + 2 * PAGE, PAGE, 1);
	for (int i = 0; i < PAGE; i++)
		ASSERT_EQ(0xee, dst[i]);
}

TEST_F(dma, detach_blocks_dma_and_reattach_restores_it)
{
	unsigned char *dst = self->buf + 3 * PAGE;

	memset(self->buf, 0x22, PAGE);
	memset(dst, 0xcc, PAGE);
	ASSERT_EQ(0, edu_dma(self->bar, IOVA, EDU_BUF, PAGE, 0));
	ASSERT_EQ(0, detach(self->fd, self->dev));
	EXPECT_EQ(EINVAL, detach(self->fd, self->dev));
	/* The attachment's HWPT went with it. */
	__u64 phys;
	EXPECT_EQ(ENOENT, translate(self->fd, self->hwpt, IOVA, &phys));
	edu_dma(self->bar, EDU_BUF, IOVA + 3 * PAGE, PAGE, 1);
	for (int i = 0; i < PAGE; i++)
		ASSERT_EQ(0xcc, dst[i]);
	/* Attach again: the existing maps are filled into the new domain. */
	ASSERT_EQ(0, attach(self->fd, self->dev, self->ioas, &self->hwpt));
	ASSERT_EQ(0, edu_dma(self->bar, EDU_BUF, IOVA + 3 * PAGE, PAGE, 1));
	for (int i = 0; i < PAGE; i++)
		ASSERT_EQ(0x22, dst[i]);
}

TEST_F(dma, attach_imports_reserved_regions)
{
	struct iommu_resv_region rr[8];
	struct iommu_device_resv_regions q = { .size = sizeof(q), .dev_id = self->dev,
					       .num_regions = 8, .regions_uptr = (uintptr_t)rr };
	struct iommu_iova_range r[8];
	__u32 num = 8;
	__u64 align = 0, iova, msi = 0, msi_last = 0;
	int msi_hole = 0;

	ASSERT_EQ(0, iova_ranges(self->fd, self->ioas, r, &num, &align));
	EXPECT_EQ(PAGE, align);
	/* The driver's MSI region is a hole: the SMMU drivers' SW_MSI window
	 * (0x8000000, 1 MiB), or virtio-iommu's hardware MSI region (QEMU
	 * lets the ITS's doorbell frame, 0x8090000, 64 KiB, through). */
	ASSERT_EQ(0, xioctl(self->fd, IOMMU_DEVICE_GET_RESV_REGIONS, &q));
	for (__u32 i = 0; i < q.num_regions && i < 8; i++)
		if (rr[i].type == (behind_smmuv3(&self->e) ? IOMMU_RESV_TYPE_SW_MSI :
							     IOMMU_RESV_TYPE_MSI)) {
			msi = rr[i].start;
			msi_last = rr[i].last;
		}
	EXPECT_EQ(behind_smmuv3(&self->e) ? 0x8000000 : 0x8090000, msi);
	for (__u32 i = 0; i + 1 < num && i + 1 < 8; i++)
		if (r[i].last == msi - 1 && r[i + 1].start == msi_last + 1)
			msi_hole = 1;
	EXPECT_EQ(1, msi_hole);
	iova = msi;
	EXPECT_EQ(EINVAL, map(self->fd, self->ioas, self->buf, PAGE, &iova, FIXED));
	/* A device-sized unaligned map is refused now that a domain needs 4K. */
	iova = 0x300800;
	EXPECT_EQ(EINVAL, map(self->fd, self->ioas, self->buf, PAGE, &iova, FIXED));
	/* Busy objects: the device and its HWPT cannot be destroyed. */
	EXPECT_EQ(EBUSY, destroy(self->fd, self->dev));
	EXPECT_EQ(EBUSY, destroy(self->fd, self->hwpt));
	EXPECT_EQ(EBUSY, destroy(self->fd, self->ioas));
	/* Attaching again to the same IOAS is a replace onto the same HWPT. */
	__u32 again = 0;
	EXPECT_EQ(0, attach(self->fd, self->dev, self->ioas, &again));
	EXPECT_EQ(self->hwpt, again);
	/* Detach: the regions leave the IOAS with it. */
	ASSERT_EQ(0, detach(self->fd, self->dev));
	num = 8;
	ASSERT_EQ(0, iova_ranges(self->fd, self->ioas, r, &num, &align));
	EXPECT_EQ(1, num);
	EXPECT_EQ(1, align);
	EXPECT_EQ(0, destroy(self->fd, self->dev));
	EXPECT_EQ(0, destroy(self->fd, self->ioas));
}

/* A second edu, in another IOMMU group, on the same IOAS: both DMA; one
 * detaches and the other keeps working. */
TEST_F(dma, two_devices_one_ioas)
{
	struct edu e2;
	__u32 dev2;
	volatile __u64 *bar2;
	unsigned char *src = self->buf, *dst = self->buf + PAGE;

	if (find_edu(1, &e2))
		SKIP(return, "one edu device only");
	ASSERT_EQ(0, set_driver(&e2, "iommufd_rs"));
	ASSERT_EQ(0, enable_device(&e2));
	bar2 = map_bar0(&e2);
	ASSERT_NE(NULL, bar2);
	ASSERT_EQ(0, bind_dev(self->fd, &e2, &dev2));
	__u32 hwpt2;
	ASSERT_EQ(0, attach(self->fd, dev2, self->ioas, &hwpt2));
	/* Same SMMU, same IOAS: the automatic HWPT is shared. */
	EXPECT_EQ(self->hwpt, hwpt2);
	for (int round = 0; round < 2; round++) {
		memset(src, 0x30 + round, PAGE);
		memset(dst, 0, PAGE);
		/* Device 2 copies src to dst. */
		ASSERT_EQ(0, edu_dma(bar2, IOVA, EDU_BUF, PAGE, 0));
		ASSERT_EQ(0, edu_dma(bar2, EDU_BUF, IOVA + PAGE, PAGE, 1));
		EXPECT_EQ(0, memcmp(src, dst, PAGE));
		/* Device 1 works in the first round, is detached in the second. */
		if (round == 0) {
			memset(dst, 0, PAGE);
			ASSERT_EQ(0, edu_dma(self->bar, IOVA, EDU_BUF, PAGE, 0));
			ASSERT_EQ(0, edu_dma(self->bar, EDU_BUF, IOVA + PAGE, PAGE, 1));
			EXPECT_EQ(0, memcmp(src, dst, PAGE));
			ASSERT_EQ(0, detach(self->fd, self->dev));
			/* Still used by device 2: the shared HWPT stays. */
			__u64 phys;
			EXPECT_EQ(0, translate(self->fd, hwpt2, IOVA, &phys));
		}
	}
	/* Maps made now reach device 2's domain only, and work. */
	unsigned char *late = buffer(PAGE);
	__u64 iova = 0x400000;
	ASSERT_EQ(0, map(self->fd, self->ioas, late, PAGE, &iova, FIXED));
	ASSERT_EQ(0, edu_dma(bar2, EDU_BUF, iova, PAGE, 1));
	EXPECT_EQ(0x31, late[0]);
	close(self->fd);
	self->fd = open(dev_path(), O_RDWR);
	munmap((void *)bar2, 1 << 20);
	set_driver(&e2, NULL);
}

/* HWPT_ALLOC: a paging HWPT made ahead, then attached to by id. */
TEST_F(dma, hwpt_alloc_then_attach)
{
	__u32 hwpt, nest;
	__u64 phys;
	unsigned char *dst = self->buf + PAGE;

	ASSERT_EQ(0, detach(self->fd, self->dev));
	EXPECT_EQ(EOPNOTSUPP, hwpt_alloc(self->fd, self->dev, self->ioas, 1 << 1, 0, NULL));
	/* A data type without data is -EINVAL before anything else
	 * (upstream's order); with data, an IOAS takes none (-EOPNOTSUPP). */
	EXPECT_EQ(EINVAL, hwpt_alloc(self->fd, self->dev, self->ioas, 0,
				     IOMMU_HWPT_DATA_ARM_SMMUV3, NULL));
	{
		struct iommu_hwpt_arm_smmuv3 vste = { .ste = { 1, 0 } };
		struct iommu_hwpt_alloc c = { .size = sizeof(c), .dev_id = self->dev,
					      .pt_id = self->ioas,
					      .data_type = IOMMU_HWPT_DATA_ARM_SMMUV3,
					      .data_len = sizeof(vste),
					      .data_uptr = (__u64)(uintptr_t)&vste };

		EXPECT_EQ(EOPNOTSUPP, xioctl(self->fd, IOMMU_HWPT_ALLOC, &c));
	}
	EXPECT_EQ(ENOENT, hwpt_alloc(self->fd, self->ioas, self->ioas, 0, 0, NULL));
	/* Upstream's answers for a pt_id that is no IOAS: missing or of
	 * another kind is -EINVAL for HWPT_ALLOC; for ATTACH, missing is
	 * -ENOENT and another kind -EINVAL. */
	EXPECT_EQ(EINVAL, hwpt_alloc(self->fd, self->dev, 9999, 0, 0, NULL));
	EXPECT_EQ(EINVAL, hwpt_alloc(self->fd, self->dev, self->dev, 0, 0, NULL));
	EXPECT_EQ(EINVAL, attach(self->fd, self->dev, self->dev, NULL));
	EXPECT_EQ(ENOENT, attach(self->fd, self->dev, 9999, NULL));
	ASSERT_EQ(0, hwpt_alloc(self->fd, self->dev, self->ioas, 0, 0, &hwpt));
	/* Made ahead: it already maps the IOAS. */
	ASSERT_EQ(0, translate(self->fd, hwpt, IOVA, &phys));
	EXPECT_NE(0, phys);
	ASSERT_EQ(0, attach(self->fd, self->dev, hwpt, NULL));
	memset(self->buf, 0x77, PAGE);
	memset(dst, 0, PAGE);
	ASSERT_EQ(0, edu_dma(self->bar, IOVA, EDU_BUF, PAGE, 0));
	ASSERT_EQ(0, edu_dma(self->bar, EDU_BUF, IOVA + PAGE, PAGE, 1));
	for (int i = 0; i < PAGE; i++)
		ASSERT_EQ(0x77, dst[i]);
	/* In use: neither the HWPT nor the IOAS can go. */
	EXPECT_EQ(EBUSY, destroy(self->fd, hwpt));
	EXPECT_EQ(EBUSY, destroy(self->fd, self->ioas));
	ASSERT_EQ(0, detach(self->fd, self->dev));
	/* A HWPT made ahead stays after detach, until destroyed. */
	EXPECT_EQ(0, translate(self->fd, hwpt, IOVA, &phys));
	EXPECT_EQ(EBUSY, destroy(self->fd, self->ioas));
	ASSERT_EQ(0, destroy(self->fd, hwpt));
	EXPECT_EQ(ENOENT, translate(self->fd, hwpt, IOVA, &phys));
	/* A nest-parent HWPT where the IOMMU offers nesting (an SMMUv3): DMA
	 * through it too. Elsewhere (virtio-iommu) the driver refuses it. */
	if (!behind_smmuv3(&self->e)) {
		EXPECT_EQ(EOPNOTSUPP, hwpt_alloc(self->fd, self->dev, self->ioas,
						 IOMMU_HWPT_ALLOC_NEST_PARENT, 0, &nest));
	} else {
		ASSERT_EQ(0, hwpt_alloc(self->fd, self->dev, self->ioas,
					IOMMU_HWPT_ALLOC_NEST_PARENT, 0, &nest));
		ASSERT_EQ(0, attach(self->fd, self->dev, nest, NULL));
		memset(dst, 0, PAGE);
		ASSERT_EQ(0, edu_dma(self->bar, EDU_BUF, IOVA + PAGE, PAGE, 1));
		EXPECT_EQ(0x77, dst[0]);
		ASSERT_EQ(0, detach(self->fd, self->dev));
		ASSERT_EQ(0, destroy(self->fd, nest));
	}
	/* Nothing follows the IOAS any more. */
	EXPECT_EQ(0, destroy(self->fd, self->ioas));
}


/*
 * 2 MiB of physically contiguous memory at a 2 MiB-aligned address: a
 * hugetlb page when one is reserved, else a THP. NULL if neither.
 */
static unsigned char *huge_2m(const char **kind)
{
	const size_t sz = 2UL << 20;
	unsigned char *p = mmap(NULL, sz, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);

	if (p != MAP_FAILED) {
		*kind = "hugetlb";
		memset(p, 0, sz);
		return p;
	}
	p = mmap(NULL, 2 * sz, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	p = (unsigned char *)(((unsigned long)p + sz - 1) & ~(sz - 1));
	if (madvise(p, sz, MADV_HUGEPAGE))
		return NULL;
	*kind = "THP";
	memset(p, 0, sz);
	return p;
}

/*
 * A 2 MiB-aligned huge page mapped at a 2 MiB-aligned IOVA is one 2 MiB
 * block in the domain, and the device's DMA through the block lands in
 * the right place; 4 KiB pages stay 4 KiB leaves. Skipped on a driver
 * that cannot report leaf sizes (the in-tree one, through the core API).
 */
TEST_F(dma, translate_reports_block_leaves)
{
	const __u64 huge_iova = 0x40000000, sz = 2UL << 20;
	__u64 phys, phys0, leaf, iova = huge_iova;
	const char *kind = "";
	unsigned char *huge = huge_2m(&kind);

	ASSERT_EQ(0, translate_leaf(self->fd, self->hwpt, IOVA, &phys, &leaf));
	if (leaf == 0)
		SKIP(return, "this IOMMU driver cannot report leaf sizes");
	EXPECT_EQ(PAGE, leaf);
	ASSERT_NE(NULL, huge);
	ASSERT_EQ(0, map(self->fd, self->ioas, huge, sz, &iova, FIXED));
	ASSERT_EQ(0, translate_leaf(self->fd, self->hwpt, huge_iova, &phys0, &leaf));
	TH_LOG("%s buffer at IOVA 0x%llx: leaf 0x%llx", kind, (unsigned long long)huge_iova,
	       (unsigned long long)leaf);
	if (phys0 % sz)
		SKIP(return, "the kernel gave no 2 MiB-aligned %s page", kind);
	EXPECT_EQ(sz, leaf);
	ASSERT_EQ(0, translate_leaf(self->fd, self->hwpt, huge_iova + sz - 8, &phys, &leaf));
	EXPECT_EQ(phys0 + sz - 8, phys);
	EXPECT_EQ(sz, leaf);
	/* DMA through the block, at an offset inside it. */
	memset(self->buf, 0x3c, PAGE);
	ASSERT_EQ(0, edu_dma(self->bar, IOVA, EDU_BUF, PAGE, 0));
	ASSERT_EQ(0, edu_dma(self->bar, EDU_BUF, huge_iova + 0x123000, PAGE, 1));
	for (int i = 0; i < PAGE; i++)
		ASSERT_EQ(0x3c, huge[0x123000 + i]);
	EXPECT_EQ(0, huge[0x122fff]);
	EXPECT_EQ(0, huge[0x124000]);
}

TEST_HARNESS_MAIN
