// SPDX-License-Identifier: GPL-2.0
/*
 * Two functions of one IOMMU group (the rig's multi-function edu slot,
 * found by sysfs with find_shared_edu_pair()): one file binds both; they
 * attach to one HWPT (the group has one domain); another file cannot take
 * either while the group is held; and when an administrator unbinds one
 * function from the iommufd_rs driver under the file, the group's
 * attachment stays consistent: the other function keeps working or can
 * attach, the user's DETACH, DESTROY and close of the removed function
 * touch nothing freed, and the function can come back.
 */
#include <pthread.h>

#include "kselftest_harness.h"
#include "edu_util.h"

#define IOVA 0x400000UL
#define LEN (4 * PAGE)

FIXTURE(shared) {
	int fd;
	int group;
	struct edu a, b;
	__u32 ioas;
	unsigned char *buf;
	volatile __u64 *bar_a, *bar_b;
};

FIXTURE_SETUP(shared)
{
	__u64 iova = IOVA;

	if (find_shared_edu_pair(&self->a, &self->b, &self->group))
		SKIP(return, "no two edu functions share an IOMMU group");
	TH_LOG("%s and %s in IOMMU group %d", self->a.bdf, self->b.bdf, self->group);
	ASSERT_EQ(0, set_driver(&self->a, "iommufd_rs"));
	ASSERT_EQ(0, set_driver(&self->b, "iommufd_rs"));
	self->bar_a = map_bar0(&self->a);
	self->bar_b = map_bar0(&self->b);
	ASSERT_NE(NULL, self->bar_a);
	ASSERT_NE(NULL, self->bar_b);
	self->fd = open(dev_path(), O_RDWR);
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, ioas_alloc(self->fd, &self->ioas));
	self->buf = buffer(LEN);
	ASSERT_EQ(0, map(self->fd, self->ioas, self->buf, LEN, &iova, FIXED));
}

FIXTURE_TEARDOWN(shared)
{
	if (self->fd > 0)
		close(self->fd);
	if (self->bar_a)
		munmap((void *)self->bar_a, 1 << 20);
	if (self->bar_b)
		munmap((void *)self->bar_b, 1 << 20);
	set_driver(&self->a, NULL);
	set_driver(&self->b, NULL);
}

/*
 * A round trip through the function's DMA engine: page 0 of the buffer
 * into the device, back out into page @slot. Return: 1 if the data came
 * back, 0 if not (DMA blocked or not translated), -1 if the device hung.
 */
static int round_trip(unsigned char *buf, volatile __u64 *bar, int slot, unsigned char seed)
{
	for (unsigned long i = 0; i < PAGE; i++)
		buf[i] = (unsigned char)(seed + i * 7);
	memset(buf + slot * PAGE, 0, PAGE);
	if (edu_dma(bar, IOVA, EDU_BUF, PAGE, 0) || edu_dma(bar, EDU_BUF, IOVA + slot * PAGE, PAGE, 1))
		return -1;
	return !memcmp(buf, buf + slot * PAGE, PAGE);
}

TEST_F(shared, one_hwpt_for_the_group)
{
	__u32 da, db, ha, hb, other, h2;
	__u64 phys;

	ASSERT_EQ(0, bind_dev(self->fd, &self->a, &da));
	ASSERT_EQ(0, bind_dev(self->fd, &self->b, &db));
	ASSERT_EQ(0, attach(self->fd, da, self->ioas, &ha));
	/* The group is on that HWPT's domain: the second function joins it. */
	ASSERT_EQ(0, attach(self->fd, db, self->ioas, &hb));
	EXPECT_EQ(ha, hb);
	ASSERT_EQ(1, round_trip(self->buf, self->bar_a, 1, 1));
	ASSERT_EQ(1, round_trip(self->buf, self->bar_b, 2, 2));
	/* One group, one domain: a function cannot move alone. */
	ASSERT_EQ(0, ioas_alloc(self->fd, &other));
	EXPECT_EQ(EINVAL, attach(self->fd, db, other, NULL));
	ASSERT_EQ(0, hwpt_alloc(self->fd, db, self->ioas, 0, 0, &h2));
	EXPECT_EQ(EINVAL, attach(self->fd, db, h2, NULL));
	/* ...and the failed moves left both where they were. */
	ASSERT_EQ(1, round_trip(self->buf, self->bar_b, 3, 3));
	ASSERT_EQ(1, round_trip(self->buf, self->bar_a, 1, 4));
	/* One function detached: the group stays on the domain for the other. */
	ASSERT_EQ(0, detach(self->fd, da));
	EXPECT_EQ(0, translate(self->fd, ha, IOVA, &phys));
	ASSERT_EQ(1, round_trip(self->buf, self->bar_b, 2, 5));
	/* The last one detached: the automatic HWPT goes. */
	ASSERT_EQ(0, detach(self->fd, db));
	EXPECT_EQ(ENOENT, translate(self->fd, ha, IOVA, &phys));
	/* Detached means blocked, for both functions. */
	ASSERT_EQ(0, round_trip(self->buf, self->bar_a, 1, 6));
	ASSERT_EQ(0, round_trip(self->buf, self->bar_b, 2, 7));
	/* And both can move together to another HWPT. */
	ASSERT_EQ(0, attach(self->fd, db, h2, NULL));
	ASSERT_EQ(0, attach(self->fd, da, h2, NULL));
	ASSERT_EQ(1, round_trip(self->buf, self->bar_a, 3, 8));
	EXPECT_EQ(EBUSY, destroy(self->fd, h2));
	ASSERT_EQ(0, detach(self->fd, da));
	ASSERT_EQ(0, detach(self->fd, db));
	EXPECT_EQ(0, destroy(self->fd, h2));
}

TEST_F(shared, one_file_per_group)
{
	int fd2 = open(dev_path(), O_RDWR);
	__u32 da;

	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, bind_dev(self->fd, &self->a, &da));
	/* The group's DMA belongs to this file: no other file binds a member. */
	EXPECT_EQ(EBUSY, bind_dev(fd2, &self->b, NULL));
	EXPECT_EQ(0, destroy(self->fd, da));
	ASSERT_EQ(0, bind_dev(fd2, &self->b, NULL));
	EXPECT_EQ(EBUSY, bind_dev(self->fd, &self->a, NULL));
	close(fd2);
	EXPECT_EQ(0, bind_dev(self->fd, &self->a, NULL));
}

/*
 * Both functions attached, the administrator unbinds one: the group stays
 * on the HWPT for the other, whose DMA keeps working, and the HWPT lives
 * exactly as long as a function is attached to it. Before the fix the
 * second ATTACH failed with EBUSY (the core refuses a group already on a
 * domain).
 */
TEST_F(shared, unbind_one_of_two_attached)
{
	__u32 da, db, h, hb;
	__u64 phys;

	ASSERT_EQ(0, bind_dev(self->fd, &self->a, &da));
	ASSERT_EQ(0, bind_dev(self->fd, &self->b, &db));
	ASSERT_EQ(0, attach(self->fd, da, self->ioas, &h));
	ASSERT_EQ(0, attach(self->fd, db, self->ioas, &hb));
	ASSERT_EQ(h, hb);
	ASSERT_EQ(0, set_driver(&self->a, NULL));
	/* The file's handle on the removed function answers ENODEV... */
	EXPECT_EQ(ENODEV, attach(self->fd, da, self->ioas, NULL));
	/* ...the other function is untouched. */
	EXPECT_EQ(0, translate(self->fd, h, IOVA, &phys));
	ASSERT_EQ(1, round_trip(self->buf, self->bar_b, 1, 1));
	/* The user lets go of the removed one: the HWPT stays for the other. */
	EXPECT_EQ(0, detach(self->fd, da));
	EXPECT_EQ(0, destroy(self->fd, da));
	EXPECT_EQ(0, translate(self->fd, h, IOVA, &phys));
	ASSERT_EQ(1, round_trip(self->buf, self->bar_b, 2, 2));
	/* The last attached function detached: the HWPT and its domain go. */
	ASSERT_EQ(0, detach(self->fd, db));
	EXPECT_EQ(ENOENT, translate(self->fd, h, IOVA, &phys));
	ASSERT_EQ(0, round_trip(self->buf, self->bar_b, 2, 3));
	/* The function comes back to the driver and to the file. */
	ASSERT_EQ(0, set_driver(&self->a, "iommufd_rs"));
	ASSERT_EQ(0, bind_dev(self->fd, &self->a, &da));
	ASSERT_EQ(0, attach(self->fd, db, self->ioas, &h));
	ASSERT_EQ(0, attach(self->fd, da, self->ioas, &hb));
	EXPECT_EQ(h, hb);
	ASSERT_EQ(1, round_trip(self->buf, self->bar_a, 3, 4));
	ASSERT_EQ(1, round_trip(self->buf, self->bar_b, 1, 5));
}

/*
 * Only the unbound function was attached: the group must leave the user's
 * domain with it (back to blocking), so the other function can attach
 * anywhere. Before the fix the group stayed on the domain, the user's
 * DETACH freed it under the group, and the other function's ATTACH failed
 * with EBUSY.
 */
TEST_F(shared, unbind_the_attached_one)
{
	__u32 da, db, h, h2, other;
	__u64 phys, iova = IOVA;

	ASSERT_EQ(0, bind_dev(self->fd, &self->a, &da));
	ASSERT_EQ(0, bind_dev(self->fd, &self->b, &db));
	ASSERT_EQ(0, attach(self->fd, da, self->ioas, &h));
	ASSERT_EQ(1, round_trip(self->buf, self->bar_a, 1, 1));
	ASSERT_EQ(0, set_driver(&self->a, NULL));
	/* The HWPT is the file's until it lets go; nothing uses its domain. */
	EXPECT_EQ(0, translate(self->fd, h, IOVA, &phys));
	EXPECT_EQ(0, detach(self->fd, da));
	EXPECT_EQ(ENOENT, translate(self->fd, h, IOVA, &phys));
	/* The other function attaches to a new IOAS, a new domain. */
	ASSERT_EQ(0, ioas_alloc(self->fd, &other));
	ASSERT_EQ(0, map(self->fd, other, self->buf, LEN, &iova, FIXED));
	ASSERT_EQ(0, attach(self->fd, db, other, &h2));
	ASSERT_EQ(1, round_trip(self->buf, self->bar_b, 2, 2));
	EXPECT_EQ(0, destroy(self->fd, da));
	/* Rebound to the driver, the function joins the group's domain. */
	ASSERT_EQ(0, set_driver(&self->a, "iommufd_rs"));
	ASSERT_EQ(0, bind_dev(self->fd, &self->a, &da));
	EXPECT_EQ(EINVAL, attach(self->fd, da, self->ioas, NULL));
	ASSERT_EQ(0, attach(self->fd, da, other, &h));
	EXPECT_EQ(h2, h);
	ASSERT_EQ(1, round_trip(self->buf, self->bar_a, 3, 3));
	/* Close with both attached (teardown) must free the domain cleanly. */
}

/*
 * Unbinding a function while the file only holds it bound (not attached),
 * and while the other is attached: nothing about the attachment changes.
 * Then closing the file gives the group back to the driver: both functions
 * can be bound by another file.
 */
TEST_F(shared, unbind_the_idle_one_then_close)
{
	__u32 da, db, h;
	int fd2;

	ASSERT_EQ(0, bind_dev(self->fd, &self->a, &da));
	ASSERT_EQ(0, bind_dev(self->fd, &self->b, &db));
	ASSERT_EQ(0, attach(self->fd, db, self->ioas, &h));
	ASSERT_EQ(0, set_driver(&self->a, NULL));
	ASSERT_EQ(1, round_trip(self->buf, self->bar_b, 1, 1));
	close(self->fd);
	self->fd = -1;
	ASSERT_EQ(0, set_driver(&self->a, "iommufd_rs"));
	fd2 = open(dev_path(), O_RDWR);
	ASSERT_LE(0, fd2);
	EXPECT_EQ(0, bind_dev(fd2, &self->a, NULL));
	EXPECT_EQ(0, bind_dev(fd2, &self->b, NULL));
	close(fd2);
}

struct churn {
	int fd;
	__u32 dev, ioas;
	volatile int stop;
	int bad;	/* an errno attach or detach should never give */
};

/* Attaches and detaches one function over and over. */
static void *attach_churn(void *arg)
{
	struct churn *c = arg;

	while (!c->stop) {
		int rc = attach(c->fd, c->dev, c->ioas, NULL);

		/* EINVAL: the group is on the other function's own HWPT. */
		if (rc && rc != EINVAL)
			c->bad = rc;
		if (!rc && detach(c->fd, c->dev))
			c->bad = -1;
	}
	return NULL;
}

/*
 * The administrator unbinds and rebinds one function while the file
 * attaches and detaches the other: the driver's count of the group's
 * attachment and the core's must agree whatever the interleaving (a
 * domain freed under the group would WARN and fail the boot), and both
 * functions work afterwards.
 */
TEST_F(shared, unbind_races_attach)
{
	struct churn c = { .fd = self->fd, .ioas = self->ioas };
	__u32 da, h, hb;
	pthread_t t;

	ASSERT_EQ(0, bind_dev(self->fd, &self->b, &c.dev));
	ASSERT_EQ(0, pthread_create(&t, NULL, attach_churn, &c));
	for (int round = 0; round < 20; round++) {
		int rc;

		ASSERT_EQ(0, bind_dev(self->fd, &self->a, &da));
		rc = attach(self->fd, da, self->ioas, NULL);
		ASSERT_TRUE(rc == 0 || rc == EINVAL);
		ASSERT_EQ(0, set_driver(&self->a, NULL));
		if (!rc)
			ASSERT_EQ(0, detach(self->fd, da));
		ASSERT_EQ(0, destroy(self->fd, da));
		ASSERT_EQ(0, set_driver(&self->a, "iommufd_rs"));
	}
	c.stop = 1;
	pthread_join(t, NULL);
	EXPECT_EQ(0, c.bad);
	ASSERT_EQ(0, bind_dev(self->fd, &self->a, &da));
	ASSERT_EQ(0, attach(self->fd, da, self->ioas, &h));
	ASSERT_EQ(0, attach(self->fd, c.dev, self->ioas, &hb));
	EXPECT_EQ(h, hb);
	ASSERT_EQ(1, round_trip(self->buf, self->bar_a, 1, 1));
	ASSERT_EQ(1, round_trip(self->buf, self->bar_b, 2, 2));
}

TEST_HARNESS_MAIN
