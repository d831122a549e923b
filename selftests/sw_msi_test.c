// SPDX-License-Identifier: GPL-2.0
/*
 * IOMMU_OPTION_SW_MSI_START/SIZE and IOMMU_DEVICE_GET_RESV_REGIONS on an edu
 * device behind the in-tree SMMUv3 (whose driver window is 0x8000000, 1 MiB):
 * every errno of Documentation/uapi.rst ("SW_MSI options") that this rig can reach, with the state checked
 * after it, and the window replacing the driver's at attach.
 */
#include "kselftest_harness.h"
#include "edu_util.h"

#define MIB (1UL << 20)
#define DRIVER_MSI 0x8000000UL

static int sw_msi(int fd, __u32 dev, __u32 opt, __u16 op, __u64 *v)
{
	return option(fd, opt, op, dev, v);
}

static int set_window(int fd, __u32 dev, __u64 start, __u64 mib)
{
	int rc = sw_msi(fd, dev, IOMMU_OPTION_SW_MSI_START, IOMMU_OPTION_OP_SET, &start);

	return rc ? rc : sw_msi(fd, dev, IOMMU_OPTION_SW_MSI_SIZE, IOMMU_OPTION_OP_SET, &mib);
}

static int resv(int fd, __u32 dev, __u32 flags, struct iommu_resv_region *r, __u32 *n)
{
	struct iommu_device_resv_regions c = { .size = sizeof(c), .flags = flags,
					       .dev_id = dev, .num_regions = *n,
					       .regions_uptr = (uintptr_t)r };
	int rc = xioctl(fd, IOMMU_DEVICE_GET_RESV_REGIONS, &c);

	*n = c.num_regions;
	return rc;
}

/* Whether [start, last] is exactly a hole between two usable ranges. */
static int is_hole(int fd, __u32 ioas, __u64 start, __u64 last)
{
	struct iommu_iova_range r[16];
	__u32 n = 16;

	if (iova_ranges(fd, ioas, r, &n, NULL))
		return 0;
	for (__u32 i = 0; i + 1 < n && i + 1 < 16; i++)
		if (r[i].last == start - 1 && r[i + 1].start == last + 1)
			return 1;
	return 0;
}

FIXTURE(msi) {
	int fd;
	struct edu e;
	__u32 dev, ioas;
	char *buf;
};

FIXTURE_SETUP(msi)
{
	if (find_edu(0, &self->e))
		SKIP(return, "no edu device");
	ASSERT_EQ(0, set_driver(&self->e, "iommufd_rs"));
	self->fd = open(dev_path(), O_RDWR);
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, bind_dev(self->fd, &self->e, &self->dev));
	ASSERT_EQ(0, ioas_alloc(self->fd, &self->ioas));
	self->buf = buffer(4 * PAGE);
	ASSERT_NE(NULL, self->buf);
}

FIXTURE_TEARDOWN(msi)
{
	close(self->fd);
	set_driver(&self->e, NULL);
}

TEST_F(msi, option_errnos)
{
	__u64 v = 0x10000000;

	/* Not a device: ENOENT (an IOAS, an unknown id). */
	EXPECT_EQ(ENOENT, sw_msi(self->fd, self->ioas, IOMMU_OPTION_SW_MSI_START,
				 IOMMU_OPTION_OP_SET, &v));
	EXPECT_EQ(ENOENT, sw_msi(self->fd, 77, IOMMU_OPTION_SW_MSI_START,
				 IOMMU_OPTION_OP_SET, &v));
	/* SIZE before START: EINVAL. */
	v = 2;
	EXPECT_EQ(EINVAL, sw_msi(self->fd, self->dev, IOMMU_OPTION_SW_MSI_SIZE,
				 IOMMU_OPTION_OP_SET, &v));
	/* START not 1 MiB aligned: EINVAL, nothing recorded. */
	v = 0x10080000;
	EXPECT_EQ(EINVAL, sw_msi(self->fd, self->dev, IOMMU_OPTION_SW_MSI_START,
				 IOMMU_OPTION_OP_SET, &v));
	ASSERT_EQ(0, sw_msi(self->fd, self->dev, IOMMU_OPTION_SW_MSI_START,
			    IOMMU_OPTION_OP_GET, &v));
	EXPECT_EQ(0, v);
	/* The window would wrap: EOVERFLOW. */
	EXPECT_EQ(EOVERFLOW, set_window(self->fd, self->dev, 0UL - MIB, 2));
	/* A bad op: EOPNOTSUPP. */
	EXPECT_EQ(EOPNOTSUPP, sw_msi(self->fd, self->dev, IOMMU_OPTION_SW_MSI_START, 5, &v));
	/* A good window reads back, SIZE in MiB. */
	ASSERT_EQ(0, set_window(self->fd, self->dev, 0x10000000, 2));
	ASSERT_EQ(0, sw_msi(self->fd, self->dev, IOMMU_OPTION_SW_MSI_START,
			    IOMMU_OPTION_OP_GET, &v));
	EXPECT_EQ(0x10000000, v);
	ASSERT_EQ(0, sw_msi(self->fd, self->dev, IOMMU_OPTION_SW_MSI_SIZE,
			    IOMMU_OPTION_OP_GET, &v));
	EXPECT_EQ(2, v);
	/* Over the driver's own SW_MSI region: allowed (it is replaced).
	 * virtio-iommu has a hardware MSI region there instead (0x8090000,
	 * 64 KiB), which no window may cover. */
	EXPECT_EQ(behind_smmuv3(&self->e) ? 0 : EADDRINUSE,
		  set_window(self->fd, self->dev, DRIVER_MSI, 4));
	/* SIZE 0: back to the driver's window. */
	v = 0;
	ASSERT_EQ(0, sw_msi(self->fd, self->dev, IOMMU_OPTION_SW_MSI_SIZE,
			    IOMMU_OPTION_OP_SET, &v));
	ASSERT_EQ(0, sw_msi(self->fd, self->dev, IOMMU_OPTION_SW_MSI_SIZE,
			    IOMMU_OPTION_OP_GET, &v));
	EXPECT_EQ(0, v);
}

TEST_F(msi, window_replaces_the_driver_region_at_attach)
{
	__u64 v = 0, iova = 0x10000000 + PAGE;

	ASSERT_EQ(0, set_window(self->fd, self->dev, 0x10000000, 2));
	ASSERT_EQ(0, attach(self->fd, self->dev, self->ioas, NULL));
	EXPECT_TRUE(is_hole(self->fd, self->ioas, 0x10000000, 0x101fffff));
	EXPECT_FALSE(is_hole(self->fd, self->ioas, DRIVER_MSI, DRIVER_MSI + MIB - 1));
	/* The window is reserved: no map there. The driver's old one is free. */
	EXPECT_EQ(EINVAL, map(self->fd, self->ioas, self->buf, PAGE, &iova, FIXED));
	iova = DRIVER_MSI;
	EXPECT_EQ(0, map(self->fd, self->ioas, self->buf, PAGE, &iova, FIXED));
	/* Attached: the options are frozen, GET included. */
	EXPECT_EQ(EBUSY, sw_msi(self->fd, self->dev, IOMMU_OPTION_SW_MSI_START,
				IOMMU_OPTION_OP_GET, &v));
	EXPECT_EQ(EBUSY, set_window(self->fd, self->dev, 0x20000000, 1));
	/* Detach frees the window; the options work again. */
	ASSERT_EQ(0, detach(self->fd, self->dev));
	EXPECT_FALSE(is_hole(self->fd, self->ioas, 0x10000000, 0x101fffff));
	EXPECT_EQ(0, sw_msi(self->fd, self->dev, IOMMU_OPTION_SW_MSI_START,
			    IOMMU_OPTION_OP_GET, &v));
}

TEST_F(msi, attach_fails_when_a_map_sits_in_the_window)
{
	__u64 iova = 0x10000000 + 4 * PAGE;
	struct iommu_iova_range before[4], after[4];
	__u32 nb = 4, na = 4;

	ASSERT_EQ(0, map(self->fd, self->ioas, self->buf, PAGE, &iova, FIXED));
	ASSERT_EQ(0, set_window(self->fd, self->dev, 0x10000000, 2));
	ASSERT_EQ(0, iova_ranges(self->fd, self->ioas, before, &nb, NULL));
	EXPECT_EQ(EADDRINUSE, attach(self->fd, self->dev, self->ioas, NULL));
	/* Nothing changed: same ranges, still detached, the map still there. */
	ASSERT_EQ(0, iova_ranges(self->fd, self->ioas, after, &na, NULL));
	EXPECT_EQ(nb, na);
	EXPECT_EQ(0, memcmp(before, after, nb * sizeof(before[0])));
	EXPECT_EQ(EINVAL, detach(self->fd, self->dev));
	EXPECT_EQ(EEXIST, map(self->fd, self->ioas, self->buf, PAGE, &iova, FIXED));
	/* Moving the window away lets the attach through. */
	ASSERT_EQ(0, set_window(self->fd, self->dev, 0x20000000, 1));
	EXPECT_EQ(0, attach(self->fd, self->dev, self->ioas, NULL));
}

TEST_F(msi, window_outside_the_aperture_is_erange)
{
	struct iommu_iova_range r[4];
	__u32 n = 4;

	ASSERT_EQ(0, set_window(self->fd, self->dev, 1UL << 60, 1));
	EXPECT_EQ(ERANGE, attach(self->fd, self->dev, self->ioas, NULL));
	ASSERT_EQ(0, iova_ranges(self->fd, self->ioas, r, &n, NULL));
	EXPECT_EQ(1, n);
	EXPECT_EQ(EINVAL, detach(self->fd, self->dev));
}

TEST_F(msi, resv_regions_query)
{
	struct iommu_resv_region r[8];
	__u32 n = 0;
	int found = 0;

	/* Two-pass: the count first. */
	EXPECT_EQ(EMSGSIZE, resv(self->fd, self->dev, 0, r, &n));
	ASSERT_LE(1, n);
	n = 8;
	ASSERT_EQ(0, resv(self->fd, self->dev, 0, r, &n));
	for (__u32 i = 0; i < n; i++) {
		if (r[i].type == IOMMU_RESV_TYPE_SW_MSI && r[i].start == DRIVER_MSI &&
		    r[i].last == DRIVER_MSI + MIB - 1 && !r[i].flags)
			found = 1;
		/* virtio-iommu: QEMU's ITS doorbell frame, let through. */
		if (r[i].type == IOMMU_RESV_TYPE_MSI && r[i].start == 0x8090000 &&
		    r[i].last == 0x809ffff && !r[i].flags && !behind_smmuv3(&self->e))
			found = 1;
	}
	EXPECT_EQ(1, found);
	/* With a window: it replaces the driver's, flagged as the user's. */
	ASSERT_EQ(0, set_window(self->fd, self->dev, 0x10000000, 2));
	n = 8;
	ASSERT_EQ(0, resv(self->fd, self->dev, 0, r, &n));
	found = 0;
	for (__u32 i = 0; i < n; i++) {
		EXPECT_FALSE(r[i].type == IOMMU_RESV_TYPE_SW_MSI && r[i].start == DRIVER_MSI);
		if (r[i].type == IOMMU_RESV_TYPE_SW_MSI && r[i].start == 0x10000000 &&
		    r[i].last == 0x101fffff && r[i].flags == IOMMU_RESV_FLAG_USER_WINDOW)
			found = 1;
	}
	EXPECT_EQ(1, found);
	/* Nest-parent view: the window and the aperture's top as RESERVED;
	 * none where the driver offers no nest parent (virtio-iommu). */
	n = 8;
	if (!behind_smmuv3(&self->e)) {
		EXPECT_EQ(EOPNOTSUPP, resv(self->fd, self->dev, IOMMU_RESV_QUERY_NEST_PARENT, r, &n));
		return;
	}
	ASSERT_EQ(0, resv(self->fd, self->dev, IOMMU_RESV_QUERY_NEST_PARENT, r, &n));
	int window = 0, top = 0;
	for (__u32 i = 0; i < n; i++) {
		if (r[i].type == IOMMU_RESV_TYPE_SW_MSI && r[i].start == 0x10000000)
			window = 1;
		if (r[i].type == IOMMU_RESV_TYPE_RESERVED && r[i].last == UINT64_MAX)
			top = 1;
	}
	EXPECT_EQ(1, window);
	EXPECT_EQ(1, top);
	/* Bad flags, bad device. */
	n = 8;
	EXPECT_EQ(EOPNOTSUPP, resv(self->fd, self->dev, 2, r, &n));
	EXPECT_EQ(ENOENT, resv(self->fd, self->ioas, 0, r, &n));
}

/*
 * The nest-parent view's aperture (asked of smmu_rs without a domain, or read
 * from a domain the in-tree driver allocates and frees) is the aperture a
 * real nest-parent HWPT imposes on its IOAS: its RESERVED region starts one
 * past the last usable IOVA.
 */
TEST_F(msi, nest_parent_view_matches_a_nest_parent_hwpt)
{
	struct iommu_iova_range ranges[8];
	struct iommu_resv_region r[8];
	__u32 n = 8, num = 8, hwpt;
	__u64 top = 0, last = 0;

	if (!behind_smmuv3(&self->e)) {
		EXPECT_EQ(EOPNOTSUPP, resv(self->fd, self->dev, IOMMU_RESV_QUERY_NEST_PARENT, r, &n));
		SKIP(return, "this IOMMU driver offers no nest parent");
	}

	ASSERT_EQ(0, resv(self->fd, self->dev, IOMMU_RESV_QUERY_NEST_PARENT, r, &n));
	for (__u32 i = 0; i < n; i++)
		if (r[i].type == IOMMU_RESV_TYPE_RESERVED && r[i].last == UINT64_MAX)
			top = r[i].start;
	ASSERT_NE(0, top);
	NEST_PARENT_OR_SKIP(return, self->fd, &self->e, self->dev, self->ioas, &hwpt);
	ASSERT_EQ(0, iova_ranges(self->fd, self->ioas, ranges, &num, NULL));
	ASSERT_LT(0, num);
	for (__u32 i = 0; i < num; i++)
		if (ranges[i].last > last)
			last = ranges[i].last;
	EXPECT_EQ(top, last + 1);
	EXPECT_EQ(0, destroy(self->fd, hwpt));
}

TEST_HARNESS_MAIN
