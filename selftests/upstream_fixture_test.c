// SPDX-License-Identifier: GPL-2.0
/*
 * The plain-ioctl expectations of upstream's "iommufd" fixture
 * (tools/testing/selftests/iommu/iommufd.c of Linux 7.3: simple_close,
 * cmd_fail, cmd_length, cmd_ex_fail, global_options), rewritten for this
 * device. cmd_length covers the commands this module implements; the
 * fixture's VFIO-compat tests are out of scope (no VFIO compatibility).
 */
#include <stddef.h>

#include "kselftest_harness.h"
#include "ioas_util.h"

#define offsetofend(T, m) (offsetof(T, m) + sizeof(((T *)0)->m))
#define EXPECT_ERRNO(want, expr) \
	({ errno = 0; EXPECT_EQ(-1, (expr)); EXPECT_EQ(want, errno); })

FIXTURE(iommufd) {
	int fd;
};

FIXTURE_SETUP(iommufd)
{
	self->fd = open(dev_path(), O_RDWR);
	ASSERT_NE(-1, self->fd);
}

FIXTURE_TEARDOWN(iommufd)
{
	close(self->fd);
}

TEST_F(iommufd, simple_close)
{
}

TEST_F(iommufd, cmd_fail)
{
	struct iommu_destroy cmd = { .size = sizeof(cmd), .id = 0 };

	EXPECT_ERRNO(ENOENT, ioctl(self->fd, IOMMU_DESTROY, &cmd));
	EXPECT_ERRNO(EFAULT, ioctl(self->fd, IOMMU_DESTROY, NULL));
	EXPECT_ERRNO(ENOTTY, ioctl(self->fd, _IO(IOMMUFD_TYPE, IOMMUFD_CMD_BASE - 1), &cmd));
}

TEST_F(iommufd, cmd_length)
{
	/* Upstream's TEST_LENGTH: below the minimum EINVAL, one more non-zero
	 * byte E2BIG, one more zero byte the same answer as the exact size. */
#define TEST_LENGTH(_struct, _ioctl, _last)                                     \
	{                                                                       \
		size_t min_size = offsetofend(struct _struct, _last);           \
		struct {                                                        \
			struct _struct cmd;                                     \
			uint8_t extra;                                          \
		} cmd = { .cmd = { .size = min_size - 1 }, .extra = UINT8_MAX }; \
		int old_errno;                                                  \
		int rc;                                                         \
                                                                                \
		EXPECT_ERRNO(EINVAL, ioctl(self->fd, _ioctl, &cmd));            \
		cmd.cmd.size = sizeof(struct _struct) + 1;                      \
		EXPECT_ERRNO(E2BIG, ioctl(self->fd, _ioctl, &cmd));             \
		cmd.cmd.size = sizeof(struct _struct);                          \
		rc = ioctl(self->fd, _ioctl, &cmd);                             \
		old_errno = errno;                                              \
		cmd.cmd.size = sizeof(struct _struct) + 1;                      \
		cmd.extra = 0;                                                  \
		if (rc) {                                                       \
			EXPECT_ERRNO(old_errno, ioctl(self->fd, _ioctl, &cmd)); \
		} else {                                                        \
			ASSERT_EQ(0, ioctl(self->fd, _ioctl, &cmd));            \
		}                                                               \
	}

	TEST_LENGTH(iommu_destroy, IOMMU_DESTROY, id);
	TEST_LENGTH(iommu_ioas_alloc, IOMMU_IOAS_ALLOC, out_ioas_id);
	TEST_LENGTH(iommu_ioas_iova_ranges, IOMMU_IOAS_IOVA_RANGES, out_iova_alignment);
	TEST_LENGTH(iommu_ioas_allow_iovas, IOMMU_IOAS_ALLOW_IOVAS, allowed_iovas);
	TEST_LENGTH(iommu_ioas_map, IOMMU_IOAS_MAP, iova);
	TEST_LENGTH(iommu_ioas_copy, IOMMU_IOAS_COPY, src_iova);
	TEST_LENGTH(iommu_ioas_unmap, IOMMU_IOAS_UNMAP, length);
	TEST_LENGTH(iommu_option, IOMMU_OPTION, val64);
	TEST_LENGTH(iommu_ioas_map_file, IOMMU_IOAS_MAP_FILE, iova);
#undef TEST_LENGTH
}

TEST_F(iommufd, cmd_ex_fail)
{
	struct {
		struct iommu_destroy cmd;
		__u64 future;
	} cmd = { .cmd = { .size = sizeof(cmd), .id = 0 } };

	EXPECT_ERRNO(ENOENT, ioctl(self->fd, IOMMU_DESTROY, &cmd));
	cmd.future = 1;
	EXPECT_ERRNO(E2BIG, ioctl(self->fd, IOMMU_DESTROY, &cmd));
	cmd.cmd.size = sizeof(cmd.cmd);
	EXPECT_ERRNO(ENOENT, ioctl(self->fd, IOMMU_DESTROY, &cmd));
	cmd.cmd.size = sizeof(cmd.cmd) - 1;
	EXPECT_ERRNO(EINVAL, ioctl(self->fd, IOMMU_DESTROY, &cmd));
}

TEST_F(iommufd, global_options)
{
	struct iommu_option cmd = {
		.size = sizeof(cmd),
		.option_id = IOMMU_OPTION_RLIMIT_MODE,
		.op = IOMMU_OPTION_OP_GET,
		.val64 = 1,
	};

	ASSERT_EQ(0, ioctl(self->fd, IOMMU_OPTION, &cmd));
	ASSERT_EQ(0, cmd.val64);
	/* This requires root */
	cmd.op = IOMMU_OPTION_OP_SET;
	cmd.val64 = 1;
	ASSERT_EQ(0, ioctl(self->fd, IOMMU_OPTION, &cmd));
	cmd.val64 = 2;
	EXPECT_ERRNO(EINVAL, ioctl(self->fd, IOMMU_OPTION, &cmd));
	cmd.op = IOMMU_OPTION_OP_GET;
	ASSERT_EQ(0, ioctl(self->fd, IOMMU_OPTION, &cmd));
	ASSERT_EQ(1, cmd.val64);
	cmd.op = IOMMU_OPTION_OP_SET;
	cmd.val64 = 0;
	ASSERT_EQ(0, ioctl(self->fd, IOMMU_OPTION, &cmd));
	cmd.op = IOMMU_OPTION_OP_GET;
	cmd.option_id = IOMMU_OPTION_HUGE_PAGES;
	EXPECT_ERRNO(ENOENT, ioctl(self->fd, IOMMU_OPTION, &cmd));
	cmd.op = IOMMU_OPTION_OP_SET;
	EXPECT_ERRNO(ENOENT, ioctl(self->fd, IOMMU_OPTION, &cmd));
}

TEST_HARNESS_MAIN
