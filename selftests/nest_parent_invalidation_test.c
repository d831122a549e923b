// SPDX-License-Identifier: GPL-2.0
/*
 * smmu_rs's invalidation of nest parents, seen through the commands its
 * SMMU consumed (/sys/kernel/debug/smmu_rs/commands): a stage-2 unmap on a
 * NEST_PARENT domain is followed by CMD_TLBI_NH_ALL for its VMID and a
 * CMD_SYNC, since TLBI_S2_IPA leaves combined stage-1+2 entries of a nested
 * device in place; a plain paging domain's unmap needs no stage-1
 * invalidation and gets none. Nesting relies on this: without it a nested
 * device could go on DMAing into pages the IOAS has unpinned.
 *
 * The counters are smmu_rs's: on another IOMMU driver the tests skip.
 */
#include "kselftest_harness.h"
#include "edu_util.h"

#define SMMU_RS_COMMANDS "/sys/kernel/debug/smmu_rs/commands"

/* What the SMMUs consumed, summed over every smmu_rs instance. */
struct commands {
	unsigned long long tlbi_s2_ipa, tlbi_s12_vmall, tlbi_nh_all, sync;
};

static int read_commands(struct commands *c)
{
	unsigned long long cfgi, s2, vmall, nh, nsnh, sync;
	char name[64];
	int lines = 0;
	FILE *f = fopen(SMMU_RS_COMMANDS, "r");

	if (!f)
		return -1;
	memset(c, 0, sizeof(*c));
	while (fscanf(f, "%63s cfgi %llu tlbi_s2_ipa %llu tlbi_s12_vmall %llu tlbi_nh_all %llu "
		      "tlbi_nsnh_all %llu sync %llu", name, &cfgi, &s2, &vmall, &nh, &nsnh,
		      &sync) == 7) {
		c->tlbi_s2_ipa += s2;
		c->tlbi_s12_vmall += vmall;
		c->tlbi_nh_all += nh;
		c->sync += sync;
		lines++;
	}
	fclose(f);
	return lines > 0 ? 0 : -1;
}

FIXTURE(inv) {
	int fd;
	struct edu e;
	__u32 dev, ioas;
	char *buf;
};

FIXTURE_SETUP(inv)
{
	struct commands c;

	if (read_commands(&c))
		SKIP(return, "no smmu_rs SMMU: these are smmu_rs's command counters");
	if (find_edu(0, &self->e))
		SKIP(return, "no edu device");
	ASSERT_EQ(0, set_driver(&self->e, "iommufd_rs"));
	self->fd = open(dev_path(), O_RDWR);
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, bind_dev(self->fd, &self->e, &self->dev));
	ASSERT_EQ(0, ioas_alloc(self->fd, &self->ioas));
	self->buf = buffer(4 * PAGE);
}

FIXTURE_TEARDOWN(inv)
{
	close(self->fd);
	set_driver(&self->e, NULL);
}

/* Maps 4 pages at a fixed IOVA of a device attached to a @flags HWPT, then
 * returns in @before and @after the counters around their unmap. */
static void unmap_counted(struct __test_metadata *_metadata, FIXTURE_DATA(inv) *self,
			  __u32 flags, struct commands *before, struct commands *after)
{
	__u64 iova = 0x100000, unmapped = 0;
	__u32 hwpt, got;

	ASSERT_EQ(0, hwpt_alloc(self->fd, self->dev, self->ioas, flags, 0, &hwpt));
	ASSERT_EQ(0, attach(self->fd, self->dev, hwpt, &got));
	ASSERT_EQ(hwpt, got);
	ASSERT_EQ(0, map(self->fd, self->ioas, self->buf, 4 * PAGE, &iova,
			 RW | IOMMU_IOAS_MAP_FIXED_IOVA));
	ASSERT_EQ(0, read_commands(before));
	ASSERT_EQ(0, unmap(self->fd, self->ioas, iova, 4 * PAGE, &unmapped));
	ASSERT_EQ(0, read_commands(after));
	ASSERT_EQ(4 * PAGE, unmapped);
	ASSERT_EQ(0, detach(self->fd, self->dev));
	ASSERT_EQ(0, destroy(self->fd, hwpt));
}

TEST_F(inv, nest_parent_unmap_invalidates_stage1_of_its_vmid)
{
	struct commands b, a;

	unmap_counted(_metadata, self, IOMMU_HWPT_ALLOC_NEST_PARENT, &b, &a);
	/* The stage-2 invalidation, then TLBI_NH_ALL, each batch synced. */
	EXPECT_LT(b.tlbi_s2_ipa + b.tlbi_s12_vmall, a.tlbi_s2_ipa + a.tlbi_s12_vmall);
	EXPECT_LE(b.tlbi_nh_all + 1, a.tlbi_nh_all);
	EXPECT_LE(b.sync + 2, a.sync);
}

TEST_F(inv, paging_unmap_leaves_stage1_alone)
{
	struct commands b, a;

	unmap_counted(_metadata, self, 0, &b, &a);
	EXPECT_LT(b.tlbi_s2_ipa + b.tlbi_s12_vmall, a.tlbi_s2_ipa + a.tlbi_s12_vmall);
	EXPECT_EQ(b.tlbi_nh_all, a.tlbi_nh_all);
	EXPECT_LT(b.sync, a.sync);
}

TEST_HARNESS_MAIN
