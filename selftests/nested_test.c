// SPDX-License-Identifier: GPL-2.0
/*
 * Nested translation on smmu_rs with QEMU's edu device: the test is the
 * guest. It builds a context descriptor and a 4 KiB-granule stage-1 table
 * in memory mapped into an IOAS (so their IPAs are IOAS IOVAs), allocates a
 * NEST_PARENT HWPT on that IOAS, a vIOMMU over it, a vDEVICE with a virtual
 * stream id, and a nested HWPT from a vSTE that points at the CD; edu then
 * DMAs to gIOVAs that the SMMU translates gIOVA -> IPA (the test's stage 1)
 * -> PA (our stage 2).
 *
 * Behind the in-tree arm_smmu_v3 (no provider) IOMMU_VIOMMU_ALLOC is
 * -EOPNOTSUPP, and that is all that runs. Behind smmu_rs loaded without
 * assume_canwbs (QEMU has neither S2FWB nor CANWBS), nesting is refused with
 * -EOPNOTSUPP too, and the rest skips.
 */
#include <sys/eventfd.h>

#include "kselftest_harness.h"
#include "nested_util.h"

/* Whether a vIOMMU is to be had: behind smmu_rs with assume_canwbs only;
 * behind the in-tree driver, or smmu_rs without the administrator's word
 * on coherency, IOMMU_VIOMMU_ALLOC is -EOPNOTSUPP. */
TEST(viommu_only_where_nesting_is_safe)
{
	struct edu e;
	__u32 dev, ioas, s2, viommu;
	int fd, expected;

	if (find_edu(0, &e))
		SKIP(return, "no edu device");
	ASSERT_EQ(0, set_driver(&e, "iommufd_rs"));
	fd = open(dev_path(), O_RDWR);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, bind_dev(fd, &e, &dev));
	ASSERT_EQ(0, ioas_alloc(fd, &ioas));
	NEST_PARENT_OR_SKIP(return, fd, &e, dev, ioas, &s2);
	expected = nesting_available(&e) ? 0 : EOPNOTSUPP;
	/* The driver answers before the HWPT is looked up, as upstream. */
	EXPECT_EQ(expected ? EOPNOTSUPP : ENOENT,
		  viommu_alloc(fd, dev, 0xdead, IOMMU_VIOMMU_TYPE_ARM_SMMUV3, &viommu));
	EXPECT_EQ(expected, viommu_alloc(fd, dev, s2, IOMMU_VIOMMU_TYPE_ARM_SMMUV3, &viommu));
	TH_LOG("%s: IOMMU_VIOMMU_ALLOC answered %d", !behind_smmu_rs(&e) ?
	       "in-tree driver" : coherency_asserted() ? "smmu_rs, assume_canwbs" :
	       "smmu_rs without assume_canwbs", expected);
	close(fd);
	set_driver(&e, NULL);
}

FIXTURE(nested) {
	int fd;
	struct edu e;
	volatile __u64 *bar;
	__u32 dev, ioas, s2, viommu;
	__u64 *mem;	/* guest memory, MEM_PAGES pages at IPA_BASE */
	int behind_smmu_rs;
};

static __u8 *page_of(FIXTURE_DATA(nested) *self, int page)
{
	return (__u8 *)self->mem + page * PAGE;
}

FIXTURE_SETUP(nested)
{
	__u64 iova = IPA_BASE;
	int rc;

	if (find_edu(0, &self->e))
		SKIP(return, "no edu device");
	ASSERT_EQ(0, set_driver(&self->e, "iommufd_rs"));
	self->fd = open(dev_path(), O_RDWR);
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, bind_dev(self->fd, &self->e, &self->dev));
	ASSERT_EQ(0, ioas_alloc(self->fd, &self->ioas));
	self->mem = buffer(MEM_PAGES * PAGE);
	ASSERT_NE(NULL, self->mem);
	build_stage1(self->mem);
	/* Page by page, so that a test can unmap any of them alone. */
	for (int i = 0; i < MEM_PAGES; i++) {
		iova = IPA(i);
		ASSERT_EQ(0, map(self->fd, self->ioas, page_of(self, i), PAGE, &iova,
				 RW | IOMMU_IOAS_MAP_FIXED_IOVA));
	}
	NEST_PARENT_OR_SKIP(return, self->fd, &self->e, self->dev, self->ioas, &self->s2);
	self->behind_smmu_rs = behind_smmu_rs(&self->e);
	rc = viommu_alloc(self->fd, self->dev, self->s2, IOMMU_VIOMMU_TYPE_ARM_SMMUV3,
			  &self->viommu);
	if (!self->behind_smmu_rs || !coherency_asserted()) {
		/* The in-tree driver has no vIOMMU here; smmu_rs refuses
		 * nesting without S2FWB or the administrator's word. */
		ASSERT_EQ(EOPNOTSUPP, rc);
		SKIP(return, "%s", self->behind_smmu_rs ?
		     "smmu_rs without assume_canwbs: nesting refused, as it must be" :
		     "not behind smmu_rs: IOMMU_VIOMMU_ALLOC is -EOPNOTSUPP, as it must be");
	}
	ASSERT_EQ(0, rc);
	self->bar = map_bar0(&self->e);
	ASSERT_NE(NULL, self->bar);
	ASSERT_EQ(0, enable_device(&self->e));
}

FIXTURE_TEARDOWN(nested)
{
	close(self->fd);
	set_driver(&self->e, NULL);
}

/* 256 bytes between edu's buffer and gIOVA @giova: to RAM, or from it. */
static int dma_through(FIXTURE_DATA(nested) *self, __u64 giova, int to_ram)
{
	return edu_dma(self->bar, to_ram ? EDU_BUF : giova, to_ram ? giova : EDU_BUF, 256, to_ram);
}

/* Puts 256 bytes of @byte into edu's buffer, DMAed in from their IPA
 * through a bypass vSTE (stage 2 only). */
static void load_edu_buffer(struct __test_metadata *_metadata, FIXTURE_DATA(nested) *self,
			    __u8 byte)
{
	__u32 bypass;

	memset(page_of(self, EDU_SRC_PAGE), byte, 256);
	ASSERT_EQ(0, nested_alloc(self->fd, self->dev, self->viommu,
				  STE0_V | STE0_CFG(CFG_BYPASS), 0, &bypass));
	ASSERT_EQ(0, attach(self->fd, self->dev, bypass, NULL));
	ASSERT_EQ(0, edu_dma(self->bar, IPA(EDU_SRC_PAGE), EDU_BUF, 256, 0));
	ASSERT_EQ(0, detach(self->fd, self->dev));
	ASSERT_EQ(0, destroy(self->fd, bypass));
}

TEST_F(nested, viommu_errnos)
{
	__u32 paging, id;

	/* Upstream's order: type, then the device, then the HWPT. */
	EXPECT_EQ(EOPNOTSUPP, viommu_alloc(self->fd, self->dev, self->s2,
					    IOMMU_VIOMMU_TYPE_DEFAULT, &id));
	EXPECT_EQ(EOPNOTSUPP, viommu_alloc(self->fd, self->dev, self->s2,
					    IOMMU_VIOMMU_TYPE_TEGRA241_CMDQV, &id));
	EXPECT_EQ(ENOENT, viommu_alloc(self->fd, 0xdead, self->s2,
					IOMMU_VIOMMU_TYPE_ARM_SMMUV3, &id));
	EXPECT_EQ(ENOENT, viommu_alloc(self->fd, self->dev, 0, IOMMU_VIOMMU_TYPE_ARM_SMMUV3, &id));
	EXPECT_EQ(ENOENT, viommu_alloc(self->fd, self->dev, self->ioas,
					IOMMU_VIOMMU_TYPE_ARM_SMMUV3, &id));
	ASSERT_EQ(0, hwpt_alloc(self->fd, self->dev, self->ioas, 0, 0, &paging));
	EXPECT_EQ(EINVAL, viommu_alloc(self->fd, self->dev, paging,
					IOMMU_VIOMMU_TYPE_ARM_SMMUV3, &id));
	/* The parent is held. */
	EXPECT_EQ(EBUSY, destroy(self->fd, self->s2));
	EXPECT_EQ(0, destroy(self->fd, paging));
	/* Two vIOMMUs on one parent are fine (upstream allows it too). */
	ASSERT_EQ(0, viommu_alloc(self->fd, self->dev, self->s2, IOMMU_VIOMMU_TYPE_ARM_SMMUV3, &id));
	EXPECT_EQ(0, destroy(self->fd, id));
	EXPECT_EQ(0, destroy(self->fd, self->viommu));
	EXPECT_EQ(0, destroy(self->fd, self->s2));
}

TEST_F(nested, vdevice_rules)
{
	struct edu e2;
	__u32 vdev, vdev2, dev2, id;

	EXPECT_EQ(ENOENT, vdevice_alloc(self->fd, 0, self->dev, VSID, &vdev));
	EXPECT_EQ(ENOENT, vdevice_alloc(self->fd, self->viommu, 0xdead, VSID, &vdev));
	EXPECT_EQ(EINVAL, vdevice_alloc(self->fd, self->viommu, self->dev, 1ULL << 32, &vdev));
	ASSERT_EQ(0, vdevice_alloc(self->fd, self->viommu, self->dev, VSID, &vdev));
	/* One per device, in any vIOMMU. */
	EXPECT_EQ(EEXIST, vdevice_alloc(self->fd, self->viommu, self->dev, VSID + 1, &id));
	EXPECT_EQ(EBUSY, destroy(self->fd, self->viommu));
	if (find_edu(1, &e2) == 0 && set_driver(&e2, "iommufd_rs") == 0) {
		ASSERT_EQ(0, bind_dev(self->fd, &e2, &dev2));
		/* A virtual id names one device. */
		EXPECT_EQ(EEXIST, vdevice_alloc(self->fd, self->viommu, dev2, VSID, &vdev2));
		ASSERT_EQ(0, vdevice_alloc(self->fd, self->viommu, dev2, VSID + 1, &vdev2));
		/* The device goes first: its vDEVICE dies with it. */
		EXPECT_EQ(0, destroy(self->fd, dev2));
		EXPECT_EQ(ENOENT, destroy(self->fd, vdev2));
		set_driver(&e2, NULL);
	}
	EXPECT_EQ(0, destroy(self->fd, vdev));
	/* Freed: the same id can be given again. */
	ASSERT_EQ(0, vdevice_alloc(self->fd, self->viommu, self->dev, VSID, &vdev));
	EXPECT_EQ(0, destroy(self->fd, vdev));
	EXPECT_EQ(0, destroy(self->fd, self->viommu));
}

TEST_F(nested, nested_alloc_errnos)
{
	struct iommu_hwpt_arm_smmuv3 d = { .ste = { STE0_V | STE0_CFG(CFG_S1) | IPA(CD_PAGE),
						    STE1_WALKS } };
	__u8 big[17] = { 0 };
	__u32 id;

	/* The data's framing (upstream's checks and order). */
	EXPECT_EQ(EINVAL, nested_alloc_raw(self->fd, self->dev, self->viommu, 0,
					    IOMMU_HWPT_DATA_NONE, &d, sizeof(d), &id));
	EXPECT_EQ(EINVAL, nested_alloc_raw(self->fd, self->dev, self->viommu, 0,
					    IOMMU_HWPT_DATA_ARM_SMMUV3, &d, 0, &id));
	EXPECT_EQ(EINVAL, nested_alloc_raw(self->fd, self->dev, self->viommu, 0,
					    IOMMU_HWPT_DATA_ARM_SMMUV3, &d, 15, &id));
	memcpy(big, &d, sizeof(d));
	EXPECT_EQ(EINVAL, nested_alloc_raw(self->fd, self->dev, self->viommu, 0,
					    IOMMU_HWPT_DATA_ARM_SMMUV3, big, 17, &id));
	EXPECT_EQ(EINVAL, nested_alloc_raw(self->fd, self->dev, self->viommu, 0,
					    IOMMU_HWPT_DATA_VTD_S1, &d, sizeof(d), &id));
	EXPECT_EQ(EFAULT, nested_alloc_raw(self->fd, self->dev, self->viommu, 0,
					    IOMMU_HWPT_DATA_ARM_SMMUV3, NULL, sizeof(d), &id));
	EXPECT_EQ(EOPNOTSUPP, nested_alloc_raw(self->fd, self->dev, self->viommu,
						IOMMU_HWPT_ALLOC_NEST_PARENT,
						IOMMU_HWPT_DATA_ARM_SMMUV3, &d, sizeof(d), &id));
	/* Nested HWPTs hang off a vIOMMU, not off a paging HWPT. */
	EXPECT_EQ(EOPNOTSUPP, nested_alloc_raw(self->fd, self->dev, self->s2, 0,
						IOMMU_HWPT_DATA_ARM_SMMUV3, &d, sizeof(d), &id));
	/* The vSTE: what upstream refuses with -EIO ... */
	EXPECT_EQ(EIO, nested_alloc(self->fd, self->dev, self->viommu,
				     STE0_V | STE0_CFG(6), 0, &id));
	EXPECT_EQ(EIO, nested_alloc(self->fd, self->dev, self->viommu,
				     STE0_V | STE0_CFG(7), 0, &id));
	EXPECT_EQ(EIO, nested_alloc(self->fd, self->dev, self->viommu,
				     d.ste[0], d.ste[1] | (1ULL << 19) /* MEV */, &id));
	EXPECT_EQ(EIO, nested_alloc(self->fd, self->dev, self->viommu,
				     d.ste[0], d.ste[1] | (2ULL << 28) /* EATS S1CHK */, &id));
	EXPECT_EQ(EIO, nested_alloc(self->fd, self->dev, self->viommu,
				     d.ste[0] | (1ULL << 52), d.ste[1], &id));
	/* ... and what QEMU's SMMU cannot carry out: several CDs, stalls. */
	EXPECT_EQ(EIO, nested_alloc(self->fd, self->dev, self->viommu,
				     d.ste[0] | (1ULL << 59), d.ste[1], &id));
	EXPECT_EQ(EIO, nested_alloc(self->fd, self->dev, self->viommu,
				     d.ste[0], d.ste[1] | (1ULL << 27), &id));
	/* Not valid is abort, whatever else it says. */
	ASSERT_EQ(0, nested_alloc(self->fd, self->dev, self->viommu, 0, ~0ULL, &id));
	/* Nested HWPTs hold the vIOMMU; they are not IOVA translations. */
	EXPECT_EQ(EBUSY, destroy(self->fd, self->viommu));
	EXPECT_EQ(ENOENT, viommu_alloc(self->fd, self->dev, id, IOMMU_VIOMMU_TYPE_ARM_SMMUV3, NULL));
	EXPECT_EQ(0, destroy(self->fd, id));
	EXPECT_EQ(0, destroy(self->fd, self->viommu));
}

TEST_F(nested, stage1_translate_needs_a_vdevice)
{
	__u32 s1, abort_, bypass, vdev, got;

	ASSERT_EQ(0, nested_alloc(self->fd, self->dev, self->viommu,
				  STE0_V | STE0_CFG(CFG_S1) | IPA(CD_PAGE), STE1_WALKS, &s1));
	EXPECT_EQ(ENOENT, attach(self->fd, self->dev, s1, NULL));
	/* Abort and bypass name no stage 1: no vDEVICE needed. */
	ASSERT_EQ(0, nested_alloc(self->fd, self->dev, self->viommu, STE0_V, 0, &abort_));
	ASSERT_EQ(0, nested_alloc(self->fd, self->dev, self->viommu,
				  STE0_V | STE0_CFG(CFG_BYPASS), 0, &bypass));
	ASSERT_EQ(0, attach(self->fd, self->dev, abort_, &got));
	EXPECT_EQ(abort_, got);
	ASSERT_EQ(0, attach(self->fd, self->dev, bypass, &got));
	EXPECT_EQ(bypass, got);
	ASSERT_EQ(0, vdevice_alloc(self->fd, self->viommu, self->dev, VSID, &vdev));
	/* Replace nested -> nested. */
	ASSERT_EQ(0, attach(self->fd, self->dev, s1, &got));
	EXPECT_EQ(s1, got);
	/* Attached: the nested HWPT and the vDEVICE it names are held. */
	EXPECT_EQ(EBUSY, destroy(self->fd, s1));
	EXPECT_EQ(EBUSY, destroy(self->fd, vdev));
	EXPECT_EQ(0, destroy(self->fd, bypass));
	/* Nested -> paging -> nested. */
	ASSERT_EQ(0, attach(self->fd, self->dev, self->s2, &got));
	EXPECT_EQ(self->s2, got);
	EXPECT_EQ(0, destroy(self->fd, vdev));
	/* A refused replace leaves the device where it was: still attached. */
	EXPECT_EQ(ENOENT, attach(self->fd, self->dev, s1, NULL));
	EXPECT_EQ(0, detach(self->fd, self->dev));
	EXPECT_EQ(0, destroy(self->fd, s1));
	EXPECT_EQ(0, destroy(self->fd, abort_));
}

TEST_F(nested, dma_through_guest_stage1)
{
	__u32 s1, vdev;
	__u8 *data = page_of(self, DATA_PAGE);
	__u8 *data2 = page_of(self, DATA2_PAGE);

	load_edu_buffer(_metadata, self, 0x5a);
	ASSERT_EQ(0, vdevice_alloc(self->fd, self->viommu, self->dev, VSID, &vdev));
	ASSERT_EQ(0, nested_alloc(self->fd, self->dev, self->viommu,
				  STE0_V | STE0_CFG(CFG_S1) | IPA(CD_PAGE), STE1_WALKS, &s1));
	ASSERT_EQ(0, attach(self->fd, self->dev, s1, NULL));
	/* Device to RAM: edu's buffer to G lands in the page the guest's
	 * stage 1 maps G to (gIOVA -> IPA -> PA). */
	ASSERT_EQ(0, dma_through(self, GIOVA, 1));
	for (int i = 0; i < 256; i++)
		ASSERT_EQ(0x5a, data[i]);
	EXPECT_EQ(0, data2[0]);
	/* RAM to device and back: a new pattern at the stage-1 target is
	 * read through G, and written back through G + 256. */
	memset(data, 0xc3, 256);
	ASSERT_EQ(0, dma_through(self, GIOVA, 0));
	ASSERT_EQ(0, dma_through(self, GIOVA + 256, 1));
	for (int i = 0; i < 256; i++)
		ASSERT_EQ(0xc3, data[256 + i]);
	/* An address the guest's stage 1 does not map reaches nothing. */
	memset(data2, 0, PAGE);
	ASSERT_EQ(0, dma_through(self, GIOVA_UNMAPPED, 1));
	/* The IPA itself is not a gIOVA the stage 1 maps either. */
	ASSERT_EQ(0, dma_through(self, IPA(DATA2_PAGE), 1));
	for (int i = 0; i < PAGE; i++)
		ASSERT_EQ(0, data2[i]);
	EXPECT_EQ(0, detach(self->fd, self->dev));
}

TEST_F(nested, bypass_reaches_ipa_and_abort_nothing)
{
	__u32 bypass, abort_;
	__u8 *data2 = page_of(self, DATA2_PAGE);

	load_edu_buffer(_metadata, self, 0x77);
	ASSERT_EQ(0, nested_alloc(self->fd, self->dev, self->viommu,
				  STE0_V | STE0_CFG(CFG_BYPASS), 0, &bypass));
	ASSERT_EQ(0, attach(self->fd, self->dev, bypass, NULL));
	ASSERT_EQ(0, dma_through(self, IPA(DATA2_PAGE), 1));
	EXPECT_EQ(0x77, data2[0]);
	EXPECT_EQ(0x77, data2[255]);
	ASSERT_EQ(0, nested_alloc(self->fd, self->dev, self->viommu, STE0_V | STE0_CFG(CFG_ABORT),
				  0, &abort_));
	ASSERT_EQ(0, attach(self->fd, self->dev, abort_, NULL));
	memset(data2, 0, 256);
	ASSERT_EQ(0, dma_through(self, IPA(DATA2_PAGE), 1));
	EXPECT_EQ(0, data2[0]);
	EXPECT_EQ(0, detach(self->fd, self->dev));
}

TEST_F(nested, stage2_unmap_stops_nested_dma)
{
	__u32 s1, vdev;
	__u64 unmapped = 0, iova = IPA(DATA_PAGE);
	__u8 *data = page_of(self, DATA_PAGE);

	load_edu_buffer(_metadata, self, 0x3c);
	ASSERT_EQ(0, vdevice_alloc(self->fd, self->viommu, self->dev, VSID, &vdev));
	ASSERT_EQ(0, nested_alloc(self->fd, self->dev, self->viommu,
				  STE0_V | STE0_CFG(CFG_S1) | IPA(CD_PAGE), STE1_WALKS, &s1));
	ASSERT_EQ(0, attach(self->fd, self->dev, s1, NULL));
	/* Warm the combined stage-1+2 entry for G. */
	ASSERT_EQ(0, dma_through(self, GIOVA, 1));
	ASSERT_EQ(0x3c, data[0]);
	/* The IOAS unmaps (and unpins) the page G's IPA lands on. */
	memset(data, 0, PAGE);
	ASSERT_EQ(0, unmap(self->fd, self->ioas, IPA(DATA_PAGE), PAGE, &unmapped));
	ASSERT_EQ(PAGE, unmapped);
	ASSERT_EQ(0, dma_through(self, GIOVA, 1));
	for (int i = 0; i < 256; i++)
		ASSERT_EQ(0, data[i]);
	/* Mapped again, the same stage 1 reaches it again. */
	ASSERT_EQ(0, map(self->fd, self->ioas, data, PAGE, &iova,
			 RW | IOMMU_IOAS_MAP_FIXED_IOVA));
	ASSERT_EQ(0, dma_through(self, GIOVA, 1));
	EXPECT_EQ(0x3c, data[0]);
	EXPECT_EQ(0, detach(self->fd, self->dev));
}

TEST_F(nested, stage2_unmap_of_the_tables_stops_the_walk)
{
	__u32 s1, vdev;
	__u64 unmapped = 0, iova;
	__u8 *data = page_of(self, DATA_PAGE);
	__u64 *l3 = self->mem + L3_PAGE * PAGE / 8;

	load_edu_buffer(_metadata, self, 0x11);
	ASSERT_EQ(0, vdevice_alloc(self->fd, self->viommu, self->dev, VSID, &vdev));
	ASSERT_EQ(0, nested_alloc(self->fd, self->dev, self->viommu,
				  STE0_V | STE0_CFG(CFG_S1) | IPA(CD_PAGE), STE1_WALKS, &s1));
	ASSERT_EQ(0, attach(self->fd, self->dev, s1, NULL));
	ASSERT_EQ(0, dma_through(self, GIOVA, 1));
	ASSERT_EQ(0x11, data[0]);
	/* The CD and the level-1 table go from the IOAS. The user's buffer
	 * still holds them, and the level-2 and -3 tables stay mapped: an SMMU
	 * that kept the configuration it fetched (QEMU keeps the CD's and
	 * TTB0's physical addresses until a CFGI) would still walk to G's
	 * page. It must fetch the CD again, through the new stage 2. */
	ASSERT_EQ(0, unmap(self->fd, self->ioas, IPA(CD_PAGE), PAGE, &unmapped));
	ASSERT_EQ(0, unmap(self->fd, self->ioas, IPA(L1_PAGE), PAGE, &unmapped));
	memset(data, 0, PAGE);
	ASSERT_EQ(0, dma_through(self, GIOVA, 1));
	EXPECT_EQ(0, data[0]);
	/* Back, with the leaf moved to DATA2: the walk follows the new
	 * pages (the stage-2 change dropped the cached configuration). */
	l3[(GIOVA >> 12) & 511] = IPA(DATA2_PAGE) | S1_PAGE;
	for (int i = CD_PAGE; i <= L1_PAGE; i++) {
		iova = IPA(i);
		ASSERT_EQ(0, map(self->fd, self->ioas, page_of(self, i), PAGE, &iova,
				 RW | IOMMU_IOAS_MAP_FIXED_IOVA));
	}
	ASSERT_EQ(0, dma_through(self, GIOVA, 1));
	EXPECT_EQ(0x11, page_of(self, DATA2_PAGE)[0]);
	EXPECT_EQ(0, data[0]);
	EXPECT_EQ(0, detach(self->fd, self->dev));
}

TEST_F(nested, invalidate_errnos)
{
	struct iommu_viommu_arm_smmuv3_invalidate ok[2] = { { CMD_TLBI_NH_ALL },
							    { CMD_TLBI_NH_ALL } };
	__u8 wide[2 * 24] = { 0 };
	__u32 num, paging, nested;

	/* Upstream's checks, in order: the array's bounds first. */
	num = 1;
	EXPECT_EQ(EINVAL, invalidate_raw(self->fd, self->viommu,
					 IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3, NULL, 16, &num));
	EXPECT_EQ(0, num);
	num = 1;
	EXPECT_EQ(EINVAL, invalidate_raw(self->fd, self->viommu,
					 IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3, ok, 0, &num));
	num = 1;
	EXPECT_EQ(EINVAL, invalidate_raw(self->fd, self->viommu,
					 IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3, ok, PAGE + 1, &num));
	num = (1 << 19) + 1;
	EXPECT_EQ(EINVAL, invalidate(self->fd, self->viommu, ok, &num));
	EXPECT_EQ(0, num);
	/* Then the object: missing, paging, nested. */
	num = 1;
	EXPECT_EQ(ENOENT, invalidate(self->fd, 0xdead, ok, &num));
	ASSERT_EQ(0, hwpt_alloc(self->fd, self->dev, self->ioas, 0, 0, &paging));
	num = 1;
	EXPECT_EQ(EINVAL, invalidate(self->fd, paging, ok, &num));
	num = 1;
	EXPECT_EQ(EINVAL, invalidate(self->fd, self->s2, ok, &num));
	ASSERT_EQ(0, nested_alloc(self->fd, self->dev, self->viommu, STE0_V, 0, &nested));
	num = 1;
	EXPECT_EQ(EOPNOTSUPP, invalidate(self->fd, nested, ok, &num));
	/* Then the data type; entry_num 0 probes it. */
	num = 1;
	EXPECT_EQ(EINVAL, invalidate_raw(self->fd, self->viommu, IOMMU_HWPT_INVALIDATE_DATA_VTD_S1,
					 ok, 16, &num));
	num = 0;
	EXPECT_EQ(EINVAL, invalidate_raw(self->fd, self->viommu, IOMMU_HWPT_INVALIDATE_DATA_VTD_S1,
					 NULL, 0, &num));
	num = 0;
	EXPECT_EQ(0, invalidate(self->fd, self->viommu, NULL, &num));
	EXPECT_EQ(0, num);
	num = 2;
	EXPECT_EQ(0, invalidate(self->fd, self->viommu, ok, &num));
	EXPECT_EQ(2, num);
	/* Entries wider than a command must be zero beyond it; narrower ones
	 * are zero-extended (copy_struct_from_user). */
	memcpy(wide, &ok[0], 16);
	memcpy(wide + 24, &ok[1], 16);
	num = 2;
	EXPECT_EQ(0, invalidate_raw(self->fd, self->viommu,
				    IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3, wide, 24, &num));
	EXPECT_EQ(2, num);
	wide[24 + 20] = 1;
	num = 2;
	EXPECT_EQ(E2BIG, invalidate_raw(self->fd, self->viommu,
					IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3, wide, 24, &num));
	EXPECT_EQ(1, num);
	num = 1;
	EXPECT_EQ(0, invalidate_raw(self->fd, self->viommu,
				    IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3, ok, 8, &num));
	EXPECT_EQ(1, num);
	EXPECT_EQ(0, destroy(self->fd, nested));
	EXPECT_EQ(0, destroy(self->fd, paging));
}

TEST_F(nested, refused_commands_stop_at_their_index)
{
	/* What a guest may not issue: host configuration and stage-2 TLBIs,
	 * syncs, ATC_INV without ATS, an unknown virtual stream id, SSV on a
	 * TLBI, a range field without a granule, a RES0 bit of word 1. */
	static const __u64 refused[][2] = {
		{ 0x03 | ((__u64)VSID << 32), 1 },	/* CFGI_STE */
		{ 0x04, 31 },				/* CFGI_ALL */
		{ 0x2a, 0x1000 },			/* TLBI_S2_IPA */
		{ 0x28, 0 },				/* TLBI_S12_VMALL */
		{ 0x46, 0 },				/* CMD_SYNC */
		{ 0x40 | ((__u64)VSID << 32), 0 },	/* ATC_INV */
		{ 0x05 | ((__u64)(VSID + 1) << 32), 1 },	/* CFGI_CD, unknown vSID */
		{ 0x12 | (1ULL << 11), 0x1000 },	/* TLBI_NH_VA with SSV */
		{ 0x12, 0x1000 | (1ULL << 8) },		/* TTL without TG */
		{ 0x12, 0x1000 | (1ULL << 2) },		/* a RES0 bit */
	};
	struct iommu_viommu_arm_smmuv3_invalidate cmds[3] = {
		{ CMD_TLBI_NH_ALL }, { CMD_CFGI_CD(VSID) }, { { 0, 0 } } };
	__u32 vdev, num;

	ASSERT_EQ(0, vdevice_alloc(self->fd, self->viommu, self->dev, VSID, &vdev));
	for (size_t i = 0; i < ARRAY_SIZE(refused); i++) {
		cmds[2].cmd[0] = refused[i][0];
		cmds[2].cmd[1] = refused[i][1];
		num = 3;
		EXPECT_EQ(EIO, invalidate(self->fd, self->viommu, cmds, &num));
		EXPECT_EQ(2, num);
		/* First in the array: nothing is carried out. */
		num = 1;
		EXPECT_EQ(EIO, invalidate(self->fd, self->viommu, &cmds[2], &num));
		EXPECT_EQ(0, num);
	}
	EXPECT_EQ(0, destroy(self->fd, vdev));
}

TEST_F(nested, tlbi_nh_va_makes_dma_follow_the_new_entry)
{
	struct iommu_viommu_arm_smmuv3_invalidate va[1] = { { CMD_TLBI_NH_VA(ASID, GIOVA) } };
	__u64 *l3 = self->mem + L3_PAGE * PAGE / 8;
	__u8 *data = page_of(self, DATA_PAGE);
	__u8 *data2 = page_of(self, DATA2_PAGE);
	__u32 s1, vdev, num = 1;
	int stale;

	load_edu_buffer(_metadata, self, 0x42);
	ASSERT_EQ(0, vdevice_alloc(self->fd, self->viommu, self->dev, VSID, &vdev));
	ASSERT_EQ(0, nested_alloc(self->fd, self->dev, self->viommu,
				  STE0_V | STE0_CFG(CFG_S1) | IPA(CD_PAGE), STE1_WALKS, &s1));
	ASSERT_EQ(0, attach(self->fd, self->dev, s1, NULL));
	ASSERT_EQ(0, dma_through(self, GIOVA, 1));
	ASSERT_EQ(0x42, data[0]);
	/* The guest moves G to DATA2 in its stage 1. */
	l3[(GIOVA >> 12) & 511] = IPA(DATA2_PAGE) | S1_PAGE;
	memset(data, 0, PAGE);
	ASSERT_EQ(0, dma_through(self, GIOVA, 1));
	stale = data[0] == 0x42;
	TH_LOG("before TLBI_NH_VA the DMA went to the %s page", stale ? "old (stale TLB entry)" :
	       data2[0] == 0x42 ? "new" : "no");
	memset(data, 0, PAGE);
	memset(data2, 0, PAGE);
	ASSERT_EQ(0, invalidate(self->fd, self->viommu, va, &num));
	EXPECT_EQ(1, num);
	ASSERT_EQ(0, dma_through(self, GIOVA, 1));
	EXPECT_EQ(0x42, data2[0]);
	EXPECT_EQ(0, data[0]);
	EXPECT_EQ(0, detach(self->fd, self->dev));
}

TEST_F(nested, cfgi_cd_makes_the_smmu_read_the_new_cd)
{
	struct iommu_viommu_arm_smmuv3_invalidate tlb[1] = { { CMD_TLBI_NH_ASID(ASID) } };
	struct iommu_viommu_arm_smmuv3_invalidate cd[1] = { { CMD_CFGI_CD(VSID) } };
	__u64 *cdw = self->mem + CD_PAGE * PAGE / 8;
	__u8 *data = page_of(self, DATA_PAGE);
	__u8 *data2 = page_of(self, DATA2_PAGE);
	__u32 s1, vdev, num;

	load_edu_buffer(_metadata, self, 0x24);
	ASSERT_EQ(0, vdevice_alloc(self->fd, self->viommu, self->dev, VSID, &vdev));
	ASSERT_EQ(0, nested_alloc(self->fd, self->dev, self->viommu,
				  STE0_V | STE0_CFG(CFG_S1) | IPA(CD_PAGE), STE1_WALKS, &s1));
	ASSERT_EQ(0, attach(self->fd, self->dev, s1, NULL));
	ASSERT_EQ(0, dma_through(self, GIOVA, 1));
	ASSERT_EQ(0x24, data[0]);
	/* The guest points its CD at the second tree (G -> DATA2) and drops
	 * its ASID's TLB entries, but does not invalidate the CD. */
	cdw[1] = IPA(L1B_PAGE);
	num = 1;
	ASSERT_EQ(0, invalidate(self->fd, self->viommu, tlb, &num));
	memset(data, 0, PAGE);
	ASSERT_EQ(0, dma_through(self, GIOVA, 1));
	TH_LOG("before CFGI_CD the DMA went to the %s page", data[0] == 0x24 ?
	       "old (cached CD)" : data2[0] == 0x24 ? "new" : "no");
	memset(data, 0, PAGE);
	memset(data2, 0, PAGE);
	/* CFGI_CD names the virtual stream id; the module makes it physical. */
	num = 1;
	ASSERT_EQ(0, invalidate(self->fd, self->viommu, cd, &num));
	EXPECT_EQ(1, num);
	num = 1;
	ASSERT_EQ(0, invalidate(self->fd, self->viommu, tlb, &num));
	ASSERT_EQ(0, dma_through(self, GIOVA, 1));
	EXPECT_EQ(0x24, data2[0]);
	EXPECT_EQ(0, data[0]);
	EXPECT_EQ(0, detach(self->fd, self->dev));
}

/* The address edu's MSI capability holds. */
static __u64 programmed(FIXTURE_DATA(nested) *self)
{
	return msi_address(&self->e);
}

/* Attaches a stage-1 nested HWPT (with a vDEVICE) and gives edu one vector
 * signalling @efd; returns the HWPT. */
static __u32 attach_s1_with_msi(struct __test_metadata *_metadata, FIXTURE_DATA(nested) *self,
				int efd)
{
	__u32 s1, vdev;

	if (vdevice_alloc(self->fd, self->viommu, self->dev, VSID, &vdev) != 0 && errno != EEXIST)
		ASSERT_TRUE(0);
	ASSERT_EQ(0, nested_alloc(self->fd, self->dev, self->viommu,
				  STE0_V | STE0_CFG(CFG_S1) | IPA(CD_PAGE), STE1_WALKS, &s1));
	ASSERT_EQ(0, attach(self->fd, self->dev, s1, NULL));
	ASSERT_EQ(0, set_irqs(self->fd, self->dev, 1, &efd));
	return s1;
}

TEST_F(nested, msi_identity_flow)
{
	int efd = eventfd(0, EFD_NONBLOCK);
	__u64 addr, db, leaf;

	ASSERT_LE(0, efd);
	attach_s1_with_msi(_metadata, self, efd);
	/* gIOVA = gDB = the window: the guest maps it 1:1 (QEMU 11's RMR). */
	addr = programmed(self);
	TH_LOG("identity: edu MSI address 0x%llx", (unsigned long long)addr);
	EXPECT_EQ(MSI_WINDOW, addr & ~0xfffULL);
	/* Stage 2 holds the ITS doorbell page at the window. */
	ASSERT_EQ(0, translate_leaf(self->fd, self->s2, MSI_WINDOW, &db, &leaf));
	TH_LOG("gIOVA 0x%llx -> gDB 0x%llx -> hDB 0x%llx", (unsigned long long)addr,
	       (unsigned long long)(addr), (unsigned long long)(db | (addr & 0xfff)));
	EXPECT_EQ(PAGE, leaf);
	raise_irq(self->bar);
	EXPECT_EQ(1, events(efd, 1000));
	raise_irq(self->bar);
	EXPECT_EQ(1, events(efd, 1000));
	/* The guest removes its mapping of the doorbell: no more interrupts. */
	struct iommu_viommu_arm_smmuv3_invalidate va[1] = { { CMD_TLBI_NH_VA(ASID, MSI_WINDOW) } };
	__u32 num = 1;

	struct vevent ev[4];
	__u32 qid;
	int qfd;

	ASSERT_EQ(0, veventq_alloc(self->fd, self->viommu, IOMMU_VEVENTQ_TYPE_ARM_SMMUV3, 8, &qid,
				   &qfd));
	self->mem[L3_MSI_PAGE * PAGE / 8] = 0;
	ASSERT_EQ(0, invalidate(self->fd, self->viommu, va, &num));
	raise_irq(self->bar);
	EXPECT_EQ(0, events(efd, 300));
	/* The MSI write faulted in the guest's stage 1: its vEVENT says so. */
	ASSERT_EQ(1, read_vevents(qfd, ev, 4));
	EXPECT_EQ(0x10, EVT_ID(ev[0].rec));
	EXPECT_EQ(VSID, EVT_SID(ev[0].rec));
	EXPECT_EQ(addr, ev[0].rec.evt[2]);
	close(qfd);
	/* Mapped again, delivered again. */
	self->mem[L3_MSI_PAGE * PAGE / 8] = MSI_WINDOW | S1_PAGE;
	raise_irq(self->bar);
	EXPECT_EQ(1, events(efd, 1000));
	EXPECT_EQ(0, detach(self->fd, self->dev));
	close(efd);
}

TEST_F(nested, msi_identity_flow_with_a_moved_window)
{
	__u64 start = MOVED_WINDOW, mib = 1, addr, db;
	int efd = eventfd(0, EFD_NONBLOCK);

	ASSERT_LE(0, efd);
	ASSERT_EQ(0, option(self->fd, IOMMU_OPTION_SW_MSI_START, IOMMU_OPTION_OP_SET, self->dev,
			    &start));
	ASSERT_EQ(0, option(self->fd, IOMMU_OPTION_SW_MSI_SIZE, IOMMU_OPTION_OP_SET, self->dev,
			    &mib));
	attach_s1_with_msi(_metadata, self, efd);
	addr = programmed(self);
	TH_LOG("moved window: edu MSI address 0x%llx", (unsigned long long)addr);
	EXPECT_EQ(MOVED_WINDOW, addr & ~0xfffULL);
	EXPECT_EQ(0, translate(self->fd, self->s2, MOVED_WINDOW, &db));
	EXPECT_EQ(ENOENT, translate(self->fd, self->s2, MSI_WINDOW, &db));
	raise_irq(self->bar);
	EXPECT_EQ(1, events(efd, 1000));
	EXPECT_EQ(0, detach(self->fd, self->dev));
	close(efd);
}

TEST_F(nested, msi_translated_flow)
{
	__u64 g = GMSI, got = 0, addr, db, itself;
	int efd = eventfd(0, EFD_NONBLOCK);

	ASSERT_LE(0, efd);
	/* 1 MiB aligned, and only while detached. */
	__u64 bad = GMSI + PAGE;

	EXPECT_EQ(EINVAL, option(self->fd, IOMMU_OPTION_NESTED_MSI_IOVA, IOMMU_OPTION_OP_SET,
				 self->dev, &bad));
	ASSERT_EQ(0, option(self->fd, IOMMU_OPTION_NESTED_MSI_IOVA, IOMMU_OPTION_OP_SET,
			    self->dev, &g));
	ASSERT_EQ(0, option(self->fd, IOMMU_OPTION_NESTED_MSI_IOVA, IOMMU_OPTION_OP_GET,
			    self->dev, &got));
	EXPECT_EQ(GMSI, got);
	attach_s1_with_msi(_metadata, self, efd);
	EXPECT_EQ(EBUSY, option(self->fd, IOMMU_OPTION_NESTED_MSI_IOVA, IOMMU_OPTION_OP_SET,
				self->dev, &g));
	/* gIOVA != gDB: the device emits the gIOVA, the guest's stage 1 takes
	 * it to the window (gDB), stage 2 to the ITS (hDB). */
	addr = programmed(self);
	ASSERT_EQ(0, translate(self->fd, self->s2, MSI_WINDOW, &db));
	TH_LOG("translated: gIOVA 0x%llx -> gDB 0x%llx -> hDB 0x%llx", (unsigned long long)addr,
	       (unsigned long long)(MSI_WINDOW | (addr & 0xfff)),
	       (unsigned long long)(db | (addr & 0xfff)));
	EXPECT_EQ(GMSI, addr & ~0xfffULL);
	/* Nothing sits at the gIOVA in stage 2: it is stage-1 input only. */
	EXPECT_EQ(ENOENT, translate(self->fd, self->s2, GMSI, &itself));
	raise_irq(self->bar);
	EXPECT_EQ(1, events(efd, 1000));
	EXPECT_EQ(0, detach(self->fd, self->dev));
	close(efd);
}

TEST_F(nested, msi_survives_replace)
{
	int efd = eventfd(0, EFD_NONBLOCK);
	__u32 s1a, s1b;

	ASSERT_LE(0, efd);
	s1a = attach_s1_with_msi(_metadata, self, efd);
	raise_irq(self->bar);
	EXPECT_EQ(1, events(efd, 1000));
	/* QEMU's pattern: a new nested HWPT, attach, free the old one. */
	ASSERT_EQ(0, nested_alloc(self->fd, self->dev, self->viommu,
				  STE0_V | STE0_CFG(CFG_S1) | IPA(CD_PAGE), STE1_WALKS, &s1b));
	ASSERT_EQ(0, attach(self->fd, self->dev, s1b, NULL));
	ASSERT_EQ(0, destroy(self->fd, s1a));
	raise_irq(self->bar);
	EXPECT_EQ(1, events(efd, 1000));
	/* Nested -> paging (the parent) -> nested. */
	ASSERT_EQ(0, attach(self->fd, self->dev, self->s2, NULL));
	raise_irq(self->bar);
	EXPECT_EQ(1, events(efd, 1000));
	ASSERT_EQ(0, attach(self->fd, self->dev, s1b, NULL));
	raise_irq(self->bar);
	EXPECT_EQ(1, events(efd, 1000));
	EXPECT_EQ(MSI_WINDOW, programmed(self) & ~0xfffULL);
	EXPECT_EQ(0, detach(self->fd, self->dev));
	close(efd);
}

/* A stage-1 nested HWPT (with a vDEVICE) attached; returns it. */
static __u32 attach_s1(struct __test_metadata *_metadata, FIXTURE_DATA(nested) *self)
{
	__u32 s1, vdev;

	ASSERT_EQ(0, vdevice_alloc(self->fd, self->viommu, self->dev, VSID, &vdev));
	ASSERT_EQ(0, nested_alloc(self->fd, self->dev, self->viommu,
				  STE0_V | STE0_CFG(CFG_S1) | IPA(CD_PAGE), STE1_WALKS, &s1));
	ASSERT_EQ(0, attach(self->fd, self->dev, s1, NULL));
	return s1;
}

TEST_F(nested, veventq_errnos)
{
	__u32 id, id2;
	int qfd, qfd2;
	__u8 b[64];

	EXPECT_EQ(EOPNOTSUPP, veventq_alloc(self->fd, self->viommu, IOMMU_VEVENTQ_TYPE_DEFAULT, 8,
					    &id, &qfd));
	EXPECT_EQ(EOPNOTSUPP, veventq_alloc(self->fd, self->viommu,
					    IOMMU_VEVENTQ_TYPE_TEGRA241_CMDQV, 8, &id, &qfd));
	EXPECT_EQ(EINVAL, veventq_alloc(self->fd, self->viommu, IOMMU_VEVENTQ_TYPE_ARM_SMMUV3, 0,
					&id, &qfd));
	EXPECT_EQ(EINVAL, veventq_alloc(self->fd, self->viommu, IOMMU_VEVENTQ_TYPE_ARM_SMMUV3,
					(1 << 19) + 1, &id, &qfd));
	EXPECT_EQ(ENOENT, veventq_alloc(self->fd, self->s2, IOMMU_VEVENTQ_TYPE_ARM_SMMUV3, 8, &id,
					&qfd));
	ASSERT_EQ(0, veventq_alloc(self->fd, self->viommu, IOMMU_VEVENTQ_TYPE_ARM_SMMUV3, 1 << 19,
				   &id, &qfd));
	/* One per vIOMMU; it holds the vIOMMU. */
	EXPECT_EQ(EEXIST, veventq_alloc(self->fd, self->viommu, IOMMU_VEVENTQ_TYPE_ARM_SMMUV3, 8,
					&id2, &qfd2));
	EXPECT_EQ(EBUSY, destroy(self->fd, self->viommu));
	/* Reads: a count below a header, an offset; an empty queue reads 0. */
	EXPECT_EQ(-1, read(qfd, b, 0));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, read(qfd, b, 7));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, pread(qfd, b, sizeof(b), 8));
	EXPECT_EQ(ESPIPE, errno);
	EXPECT_EQ(0, read(qfd, b, sizeof(b)));
	/* Destroyed, another can be made; the old file still reads. */
	EXPECT_EQ(0, destroy(self->fd, id));
	ASSERT_EQ(0, veventq_alloc(self->fd, self->viommu, IOMMU_VEVENTQ_TYPE_ARM_SMMUV3, 8, &id2,
				   &qfd2));
	EXPECT_EQ(0, read(qfd, b, sizeof(b)));
	close(qfd);
	close(qfd2);
	EXPECT_EQ(0, destroy(self->fd, id2));
	EXPECT_EQ(0, destroy(self->fd, self->viommu));
}

TEST_F(nested, stage1_faults_reach_the_veventq_with_the_virtual_id)
{
	struct pollfd p;
	struct vevent ev[4];
	__u8 small[8 + 31];
	__u32 id;
	int qfd, n;

	ASSERT_EQ(0, veventq_alloc(self->fd, self->viommu, IOMMU_VEVENTQ_TYPE_ARM_SMMUV3, 64, &id,
				   &qfd));
	attach_s1(_metadata, self);
	p = (struct pollfd){ .fd = qfd, .events = POLLIN };
	EXPECT_EQ(0, poll(&p, 1, 0));
	/* One 4-byte write to a gIOVA the guest's stage 1 does not map. */
	ASSERT_EQ(0, edu_dma(self->bar, EDU_BUF, GIOVA_UNMAPPED, 4, 1));
	ASSERT_EQ(1, poll(&p, 1, 1000));
	EXPECT_TRUE(p.revents & POLLIN);
	/* A count that fits the header but not the record. */
	EXPECT_EQ(-1, read(qfd, small, sizeof(small)));
	EXPECT_EQ(EINVAL, errno);
	n = read_vevents(qfd, ev, 4);
	ASSERT_EQ(1, n);
	TH_LOG("vEVENT seq %u: %016llx %016llx %016llx %016llx", ev[0].hdr.sequence,
	       (unsigned long long)ev[0].rec.evt[0], (unsigned long long)ev[0].rec.evt[1],
	       (unsigned long long)ev[0].rec.evt[2], (unsigned long long)ev[0].rec.evt[3]);
	EXPECT_EQ(0, ev[0].hdr.flags);
	EXPECT_EQ(0, ev[0].hdr.sequence);
	EXPECT_EQ(0x10, EVT_ID(ev[0].rec));	/* F_TRANSLATION */
	EXPECT_EQ(VSID, EVT_SID(ev[0].rec));
	EXPECT_EQ(0, EVT_S2(ev[0].rec));
	EXPECT_EQ(GIOVA_UNMAPPED, ev[0].rec.evt[2]);
	/* The next one is numbered on. */
	ASSERT_EQ(0, edu_dma(self->bar, EDU_BUF, GIOVA_UNMAPPED + 0x40, 4, 1));
	ASSERT_EQ(1, poll(&p, 1, 1000));
	ASSERT_EQ(1, read_vevents(qfd, ev, 4));
	EXPECT_EQ(1, ev[0].hdr.sequence);
	EXPECT_EQ(GIOVA_UNMAPPED + 0x40, ev[0].rec.evt[2]);
	/* A stage-2 fault (the guest's IPA is outside the IOAS) stays the
	 * host's: logged (and counted), never queued for the guest. */
	long s2 = debugfs_number("stage2_faults");

	ASSERT_EQ(0, edu_dma(self->bar, EDU_BUF, GIOVA_NO_IPA, 4, 1));
	EXPECT_EQ(0, poll(&p, 1, 300));
	EXPECT_EQ(0, read_vevents(qfd, ev, 4));
	EXPECT_LT(s2, debugfs_number("stage2_faults"));
	TH_LOG("stage-2 faults logged by the host: %ld before, %ld after", s2,
	       debugfs_number("stage2_faults"));
	EXPECT_EQ(0, detach(self->fd, self->dev));
	close(qfd);
}

TEST_F(nested, veventq_overflow_and_recovery)
{
	struct pollfd p;
	struct vevent ev[8];
	__u32 id;
	int qfd;

	ASSERT_EQ(0, veventq_alloc(self->fd, self->viommu, IOMMU_VEVENTQ_TYPE_ARM_SMMUV3, 2, &id,
				   &qfd));
	attach_s1(_metadata, self);
	p = (struct pollfd){ .fd = qfd, .events = POLLIN };
	/* Three faults into a queue of two. */
	for (int i = 0; i < 3; i++)
		ASSERT_EQ(0, edu_dma(self->bar, EDU_BUF, GIOVA_UNMAPPED + 0x40 * i, 4, 1));
	ASSERT_EQ(1, poll(&p, 1, 1000));
	usleep(100000);
	ASSERT_EQ(3, read_vevents(qfd, ev, 8));
	EXPECT_EQ(0, ev[0].hdr.sequence);
	EXPECT_EQ(1, ev[1].hdr.sequence);
	EXPECT_EQ(IOMMU_VEVENTQ_FLAG_LOST_EVENTS, ev[2].hdr.flags);
	EXPECT_EQ(2, ev[2].hdr.sequence);
	/* Room again: the next event comes, numbered after the loss. */
	ASSERT_EQ(0, edu_dma(self->bar, EDU_BUF, GIOVA_UNMAPPED + 0x100, 4, 1));
	ASSERT_EQ(1, poll(&p, 1, 1000));
	ASSERT_EQ(1, read_vevents(qfd, ev, 8));
	EXPECT_EQ(0, ev[0].hdr.flags);
	EXPECT_EQ(3, ev[0].hdr.sequence);
	EXPECT_EQ(GIOVA_UNMAPPED + 0x100, ev[0].rec.evt[2]);
	EXPECT_EQ(0, detach(self->fd, self->dev));
	close(qfd);
}

TEST_F(nested, invalidation_stays_in_its_vmid)
{
	struct iommu_viommu_arm_smmuv3_invalidate va[1] = { {
		{ 0x12 | (0xffffULL << 32) /* a VMID the guest made up */ | ((__u64)ASID << 48),
		  (GIOVA & ~0xfffULL) | 1 } } };
	__u64 *l3 = self->mem + L3_PAGE * PAGE / 8;
	__u8 *data = page_of(self, DATA_PAGE);
	__u8 *data2 = page_of(self, DATA2_PAGE);
	__u32 dev2, s2b, viommu_b, s1b, num = 1;
	volatile __u64 *bar2;
	struct edu e2;

	if (find_edu(1, &e2))
		SKIP(return, "one edu device only");
	ASSERT_EQ(0, set_driver(&e2, "iommufd_rs"));
	ASSERT_EQ(0, enable_device(&e2));
	bar2 = map_bar0(&e2);
	ASSERT_NE(NULL, bar2);
	ASSERT_EQ(0, bind_dev(self->fd, &e2, &dev2));
	/* A second parent (its own VMID) and vIOMMU over the same IOAS, and
	 * the same guest stage 1 (same CD, same ASID) for both devices. */
	ASSERT_EQ(0, hwpt_alloc(self->fd, dev2, self->ioas, IOMMU_HWPT_ALLOC_NEST_PARENT, 0, &s2b));
	ASSERT_EQ(0, viommu_alloc(self->fd, dev2, s2b, IOMMU_VIOMMU_TYPE_ARM_SMMUV3, &viommu_b));
	ASSERT_EQ(0, vdevice_alloc(self->fd, viommu_b, dev2, VSID + 1, NULL));
	ASSERT_EQ(0, nested_alloc(self->fd, dev2, viommu_b,
				  STE0_V | STE0_CFG(CFG_S1) | IPA(CD_PAGE), STE1_WALKS, &s1b));
	ASSERT_EQ(0, attach(self->fd, dev2, s1b, NULL));
	/* Device B reads 0x62 through G (and caches G for its VMID). */
	memset(data, 0x62, 256);
	ASSERT_EQ(0, edu_dma(bar2, GIOVA, EDU_BUF, 256, 0));
	/* Device A writes 0x61 through G (and caches it for its VMID). */
	load_edu_buffer(_metadata, self, 0x61);
	attach_s1(_metadata, self);
	ASSERT_EQ(0, dma_through(self, GIOVA, 1));
	ASSERT_EQ(0x61, data[0]);
	memset(data, 0, PAGE);
	/* The guest moves G; only vIOMMU A is told. */
	l3[(GIOVA >> 12) & 511] = IPA(DATA2_PAGE) | S1_PAGE;
	ASSERT_EQ(0, invalidate(self->fd, self->viommu, va, &num));
	ASSERT_EQ(0, dma_through(self, GIOVA, 1));
	EXPECT_EQ(0x61, data2[0]);
	/* Device B, under the other VMID, still has its entry for G: QEMU's
	 * TLB keeps it until B's own vIOMMU invalidates (as the stale entry in
	 * tlbi_nh_va_makes_dma_follow_the_new_entry shows). */
	memset(data, 0, PAGE);
	memset(data2, 0, PAGE);
	ASSERT_EQ(0, edu_dma(bar2, EDU_BUF, GIOVA, 4, 1));
	TH_LOG("after vIOMMU A's TLBI_NH_VA, device B wrote to the %s page",
	       data[0] ? "old (its VMID untouched)" : data2[0] ? "new" : "no");
	EXPECT_EQ(0x62, data[0]);
	EXPECT_EQ(0, data2[0]);
	num = 1;
	ASSERT_EQ(0, invalidate(self->fd, viommu_b, va, &num));
	memset(data, 0, PAGE);
	ASSERT_EQ(0, edu_dma(bar2, EDU_BUF, GIOVA, 4, 1));
	EXPECT_EQ(0x62, data2[0]);
	EXPECT_EQ(0, data[0]);
	EXPECT_EQ(0, detach(self->fd, dev2));
	EXPECT_EQ(0, detach(self->fd, self->dev));
	close(self->fd);
	self->fd = -1;
	munmap((void *)bar2, 1 << 20);
	set_driver(&e2, NULL);
}

TEST_F(nested, close_frees_everything)
{
	int efd = eventfd(0, EFD_NONBLOCK);
	__u32 s1, vdev, qid;
	long viommus = debugfs_number("viommus");
	long nested = debugfs_number("nested_domains");
	long dma = debugfs_number("dma_bytes");
	struct vevent ev[2];
	int qfd;

	ASSERT_LE(0, efd);
	ASSERT_EQ(0, vdevice_alloc(self->fd, self->viommu, self->dev, VSID, &vdev));
	ASSERT_EQ(0, veventq_alloc(self->fd, self->viommu, IOMMU_VEVENTQ_TYPE_ARM_SMMUV3, 8, &qid,
				   &qfd));
	ASSERT_EQ(0, nested_alloc(self->fd, self->dev, self->viommu,
				  STE0_V | STE0_CFG(CFG_S1) | IPA(CD_PAGE), STE1_WALKS, &s1));
	ASSERT_EQ(0, attach(self->fd, self->dev, s1, NULL));
	ASSERT_EQ(0, set_irqs(self->fd, self->dev, 1, &efd));
	/* One event queued and unread when the file goes. */
	ASSERT_EQ(0, edu_dma(self->bar, EDU_BUF, GIOVA_UNMAPPED, 4, 1));
	usleep(50000);
	EXPECT_EQ(1, viommus);
	EXPECT_EQ(nested + 1, debugfs_number("nested_domains"));
	EXPECT_LT(0, vm_pin_pages());
	EXPECT_LT(0, debugfs_number("table_pages"));
	TH_LOG("alive: vIOMMUs %ld, nested domains %ld, domains %ld, table pages %ld, VmPin %ld",
	       debugfs_number("viommus"), debugfs_number("nested_domains"), live_domains(),
	       debugfs_number("table_pages"), vm_pin_pages());
	close(self->fd);
	self->fd = -1;
	EXPECT_EQ(0, debugfs_number("viommus"));
	EXPECT_EQ(0, debugfs_number("nested_domains"));
	EXPECT_EQ(0, live_domains());
	EXPECT_EQ(0, debugfs_number("table_pages"));
	EXPECT_EQ(dma, debugfs_number("dma_bytes"));
	EXPECT_EQ(0, vm_pin_pages());
	/* The vEVENTQ's file outlives the object: what was queued reads. */
	EXPECT_EQ(1, read_vevents(qfd, ev, 2));
	close(qfd);
	close(efd);
}

TEST_HARNESS_MAIN
