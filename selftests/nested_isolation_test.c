// SPDX-License-Identifier: GPL-2.0
/*
 * Nesting across users on smmu_rs: a function the administrator takes from
 * one user (unbinds it from iommufd_rs while the user's file is open) and
 * hands to another must take nothing of the first user's nesting state
 * along. The first user's vDEVICE names the function's stream; the
 * function's stage-1 faults under the second user must reach the second
 * user's vEVENTQ (the vIOMMU of the nested domain the stream is attached
 * to), none the first user's, and the first user's guest commands must no
 * longer reach the stream.
 *
 * Only smmu_rs nests here: behind the in-tree arm_smmu_v3 (no provider) or
 * smmu_rs without assume_canwbs IOMMU_VIOMMU_ALLOC is -EOPNOTSUPP, and the
 * tests skip saying so.
 */
#include "kselftest_harness.h"
#include "nested_util.h"

/* The two users' virtual ids for the same function. */
#define VSID_U 0x99
#define VSID_V 0x77

/* One user: a file with the function bound, guest memory holding the
 * stage 1 of nested_util.h at IPA_BASE, a nest parent and a vIOMMU. */
struct user {
	int fd;
	__u32 dev, ioas, s2, viommu, vdev;
	__u64 *mem;
};

/*
 * Opens a file, binds @e, maps guest memory and makes a vIOMMU; 0, or the
 * errno of IOMMU_VIOMMU_ALLOC (EOPNOTSUPP where nothing nests). Asserts
 * everything before.
 */
static int user_open(struct __test_metadata *_metadata, const struct edu *e, struct user *u)
{
	__u64 iova = IPA_BASE;

	u->fd = open(dev_path(), O_RDWR);
	ASSERT_LE(0, u->fd);
	ASSERT_EQ(0, bind_dev(u->fd, e, &u->dev));
	ASSERT_EQ(0, ioas_alloc(u->fd, &u->ioas));
	u->mem = buffer(MEM_PAGES * PAGE);
	ASSERT_NE(NULL, u->mem);
	build_stage1(u->mem);
	ASSERT_EQ(0, map(u->fd, u->ioas, u->mem, MEM_PAGES * PAGE, &iova, FIXED));
	ASSERT_EQ(0, hwpt_alloc(u->fd, u->dev, u->ioas, IOMMU_HWPT_ALLOC_NEST_PARENT, 0, &u->s2));
	return viommu_alloc(u->fd, u->dev, u->s2, IOMMU_VIOMMU_TYPE_ARM_SMMUV3, &u->viommu);
}

/* A vDEVICE named @vsid and a vEVENTQ, whose descriptor is returned. */
static int user_vdevice_and_queue(struct __test_metadata *_metadata, struct user *u, __u32 vsid)
{
	__u32 q;
	int qfd = -1;

	EXPECT_EQ(0, vdevice_alloc(u->fd, u->viommu, u->dev, vsid, &u->vdev));
	EXPECT_EQ(0, veventq_alloc(u->fd, u->viommu, IOMMU_VEVENTQ_TYPE_ARM_SMMUV3, 16, &q,
				   &qfd));
	return qfd;
}

/* The administrator takes the function from its user and gives it back to
 * iommufd_rs, as for a new user. */
static int reassign(const struct edu *e)
{
	char path[320];

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver/unbind", e->bdf);
	if (write_file(path, e->bdf))
		return -1;
	if (write_file("/sys/bus/pci/drivers_probe", e->bdf))
		return -1;
	return driver_is(e, "iommufd_rs") ? 0 : -1;
}

FIXTURE(isolation) {
	struct edu e;
	struct user u, v;
	int qfd_u, qfd_v;
};

FIXTURE_SETUP(isolation)
{
	int rc;

	self->u.fd = self->v.fd = self->qfd_u = self->qfd_v = -1;
	if (find_edu(0, &self->e))
		SKIP(return, "no edu device");
	ASSERT_EQ(0, set_driver(&self->e, "iommufd_rs"));
	if (!behind_smmuv3(&self->e))
		SKIP(return, "no SMMUv3: this IOMMU driver offers no nest parent");
	rc = user_open(_metadata, &self->e, &self->u);
	if (!nesting_available(&self->e)) {
		ASSERT_EQ(EOPNOTSUPP, rc);
		SKIP(return, "%s", behind_smmu_rs(&self->e) ?
		     "smmu_rs without assume_canwbs: nesting refused, as it must be" :
		     "not behind smmu_rs: the in-tree driver's nesting is refused (-EOPNOTSUPP)");
	}
	ASSERT_EQ(0, rc);
	/* U names the function and listens for its guest's events. */
	self->qfd_u = user_vdevice_and_queue(_metadata, &self->u, VSID_U);
	ASSERT_LE(0, self->qfd_u);
	/* The administrator reassigns it; U's file stays open. */
	ASSERT_EQ(0, reassign(&self->e));
	/* V binds it and builds its own nesting over it. */
	ASSERT_EQ(0, user_open(_metadata, &self->e, &self->v));
	self->qfd_v = user_vdevice_and_queue(_metadata, &self->v, VSID_V);
	ASSERT_LE(0, self->qfd_v);
}

FIXTURE_TEARDOWN(isolation)
{
	if (self->qfd_u >= 0)
		close(self->qfd_u);
	if (self->qfd_v >= 0)
		close(self->qfd_v);
	if (self->v.fd >= 0)
		close(self->v.fd);
	if (self->u.fd >= 0)
		close(self->u.fd);
	set_driver(&self->e, NULL);
}

/* V's stage-1 faults reach V's vEVENTQ with V's virtual id; U's gets none. */
TEST_F(isolation, faults_go_to_the_current_users_viommu)
{
	struct vevent ev[4];
	volatile __u64 *bar;
	struct pollfd p = { .fd = self->qfd_v, .events = POLLIN };
	__u32 s1;

	ASSERT_EQ(0, nested_alloc(self->v.fd, self->v.dev, self->v.viommu,
				  STE0_V | STE0_CFG(CFG_S1) | IPA(CD_PAGE), STE1_WALKS, &s1));
	ASSERT_EQ(0, attach(self->v.fd, self->v.dev, s1, NULL));
	bar = map_bar0(&self->e);
	ASSERT_NE(NULL, bar);
	ASSERT_EQ(0, enable_device(&self->e));
	/* A write to a gIOVA V's stage 1 does not map: F_TRANSLATION. */
	ASSERT_EQ(0, edu_dma(bar, EDU_BUF, GIOVA_UNMAPPED, 4, 1));
	poll(&p, 1, 1000);
	EXPECT_EQ(0, read_vevents(self->qfd_u, ev, 4)) {
		TH_LOG("U's vEVENTQ got V's fault: id %#llx sid %#llx addr %#llx",
		       (unsigned long long)EVT_ID(ev[0].rec),
		       (unsigned long long)EVT_SID(ev[0].rec),
		       (unsigned long long)ev[0].rec.evt[2]);
	}
	ASSERT_EQ(1, read_vevents(self->qfd_v, ev, 4));
	EXPECT_EQ(0, ev[0].hdr.flags);
	EXPECT_EQ(0x10, EVT_ID(ev[0].rec));	/* F_TRANSLATION */
	EXPECT_EQ(VSID_V, EVT_SID(ev[0].rec));
	EXPECT_EQ(GIOVA_UNMAPPED, ev[0].rec.evt[2]);
	EXPECT_EQ(0, detach(self->v.fd, self->v.dev));
	munmap((void *)bar, 1 << 20);
}

/* U's virtual id went with the function: U's CFGI_CD naming it is refused
 * (-EIO at entry 0, as for an unknown virtual id); V's reaches it. */
TEST_F(isolation, old_users_commands_no_longer_name_the_stream)
{
	struct iommu_viommu_arm_smmuv3_invalidate cfgi_u = { CMD_CFGI_CD(VSID_U) };
	struct iommu_viommu_arm_smmuv3_invalidate cfgi_v = { CMD_CFGI_CD(VSID_V) };
	__u32 num = 1;

	EXPECT_EQ(EIO, invalidate(self->u.fd, self->u.viommu, &cfgi_u, &num));
	EXPECT_EQ(0, num);
	num = 1;
	EXPECT_EQ(0, invalidate(self->v.fd, self->v.viommu, &cfgi_v, &num));
	EXPECT_EQ(1, num);
}

/*
 * The function comes back to U (V closes, U binds it again): U's old
 * vDEVICE names a function that left, so U may name the new binding in
 * the same vIOMMU, and destroying the old vDEVICE leaves the new one's
 * virtual id in place.
 */
TEST_F(isolation, old_vdevice_does_not_hold_or_free_the_new_binding)
{
	struct iommu_viommu_arm_smmuv3_invalidate cfgi = { CMD_CFGI_CD(VSID_U + 1) };
	__u32 dev, vdev, num = 1;

	close(self->qfd_v);
	self->qfd_v = -1;
	close(self->v.fd);
	self->v.fd = -1;
	ASSERT_EQ(0, bind_dev(self->u.fd, &self->e, &dev));
	ASSERT_EQ(0, vdevice_alloc(self->u.fd, self->u.viommu, dev, VSID_U + 1, &vdev));
	EXPECT_EQ(0, destroy(self->u.fd, self->u.vdev));
	EXPECT_EQ(0, invalidate(self->u.fd, self->u.viommu, &cfgi, &num));
	EXPECT_EQ(1, num);
	EXPECT_EQ(0, destroy(self->u.fd, vdev));
}

TEST_HARNESS_MAIN
