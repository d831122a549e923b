// SPDX-License-Identifier: GPL-2.0
/*
 * The ioctl dispatch shape of the UAPI, against the real module: unknown
 * commands, upstream's size rules and the first command, IOMMU_DESTROY.
 *
 * The device node is $IOMMUFD_DEV, /dev/iommu by default.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include <iommufd_rs.h>

static const char *dev_path(void)
{
	const char *p = getenv("IOMMUFD_DEV");

	return p ? p : "/dev/iommu";
}

FIXTURE(dispatch) {
	int fd;
};

FIXTURE_SETUP(dispatch)
{
	self->fd = open(dev_path(), O_RDWR);
	ASSERT_LE(0, self->fd);
}

FIXTURE_TEARDOWN(dispatch)
{
	close(self->fd);
}

TEST(open_close)
{
	int fd = open(dev_path(), O_RDWR);

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, close(fd));
}

TEST(two_files_are_independent)
{
	int a = open(dev_path(), O_RDWR);
	int b = open(dev_path(), O_RDWR);
	struct iommu_destroy cmd = { .size = sizeof(cmd), .id = 1 };

	ASSERT_LE(0, a);
	ASSERT_LE(0, b);
	ASSERT_EQ(0, close(a));
	/* b still answers after a is gone. */
	EXPECT_EQ(-1, ioctl(b, IOMMU_DESTROY, &cmd));
	EXPECT_EQ(ENOENT, errno);
	ASSERT_EQ(0, close(b));
}

/* Numbers below the iommufd range, upstream ones not implemented yet
 * (VFIO_IOAS, FAULT_QUEUE_ALLOC, ..., NOIOMMU_GET_PA), and ones past every range all
 * answer ENOTTY without touching the argument. */
TEST_F(dispatch, unknown_commands)
{
	static const unsigned int nrs[] = { 0x00, 0x3b, 0x7f, 0x88, 0x8b, 0x95,
					    0xbf, 0xc5, 0xcf, 0xd1, 0xff };
	struct iommu_destroy cmd = { .size = sizeof(cmd) };

	for (size_t i = 0; i < sizeof(nrs) / sizeof(nrs[0]); i++) {
		errno = 0;
		EXPECT_EQ(-1, ioctl(self->fd, _IO(IOMMUFD_TYPE, nrs[i]), &cmd));
		EXPECT_EQ(ENOTTY, errno);
		/* Not even a bad pointer is looked at. */
		errno = 0;
		EXPECT_EQ(-1, ioctl(self->fd, _IO(IOMMUFD_TYPE, nrs[i]), NULL));
		EXPECT_EQ(ENOTTY, errno);
	}
	/* Another ioctl type with the same number. */
	EXPECT_EQ(-1, ioctl(self->fd, _IO('x', IOMMUFD_CMD_DESTROY), &cmd));
	EXPECT_EQ(ENOTTY, errno);
}

/* Upstream reads the size before checking the encoding: a bad pointer with
 * a known number is EFAULT, a wrong encoding with a good pointer ENOTTY. */
TEST_F(dispatch, destroy_wrong_encoding)
{
	struct iommu_destroy cmd = { .size = sizeof(cmd), .id = 1 };

	EXPECT_EQ(-1, ioctl(self->fd, _IOW(IOMMUFD_TYPE, IOMMUFD_CMD_DESTROY,
					   struct iommu_destroy), &cmd));
	EXPECT_EQ(ENOTTY, errno);
	EXPECT_EQ(-1, ioctl(self->fd, _IOR(IOMMUFD_TYPE, IOMMUFD_CMD_DESTROY, __u32), &cmd));
	EXPECT_EQ(ENOTTY, errno);
}

TEST_F(dispatch, destroy_bad_pointer)
{
	EXPECT_EQ(-1, ioctl(self->fd, IOMMU_DESTROY, NULL));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, ioctl(self->fd, IOMMU_DESTROY, (void *)16));
	EXPECT_EQ(EFAULT, errno);
}

/* size below offsetofend(id) is EINVAL, whatever follows. */
TEST_F(dispatch, destroy_short_size)
{
	for (__u32 size = 0; size < sizeof(struct iommu_destroy); size++) {
		struct iommu_destroy cmd = { .size = size, .id = 1 };

		errno = 0;
		EXPECT_EQ(-1, ioctl(self->fd, IOMMU_DESTROY, &cmd));
		EXPECT_EQ(EINVAL, errno);
	}
}

TEST_F(dispatch, destroy_unknown_id)
{
	static const __u32 ids[] = { 0, 1, 2, 0x7fffffff, 0xffffffff };

	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		struct iommu_destroy cmd = { .size = sizeof(cmd), .id = ids[i] };

		errno = 0;
		EXPECT_EQ(-1, ioctl(self->fd, IOMMU_DESTROY, &cmd));
		EXPECT_EQ(ENOENT, errno);
	}
}

/* A larger struct from a newer userspace: accepted when the extra bytes are
 * zero, E2BIG as soon as any of them is not, wherever it is. */
TEST_F(dispatch, destroy_larger_struct)
{
	const size_t big = 3 * 4096;
	unsigned char *buf = calloc(1, big);
	struct iommu_destroy *cmd = (void *)buf;

	ASSERT_NE(NULL, buf);
	for (size_t size = sizeof(*cmd); size <= big; size = size * 2 + 1) {
		cmd->size = size;
		cmd->id = 1;
		errno = 0;
		EXPECT_EQ(-1, ioctl(self->fd, IOMMU_DESTROY, buf));
		EXPECT_EQ(ENOENT, errno);
	}
	for (size_t pos = sizeof(*cmd); pos < big; pos += 1021) {
		cmd->size = big;
		buf[pos] = 0x5a;
		errno = 0;
		EXPECT_EQ(-1, ioctl(self->fd, IOMMU_DESTROY, buf));
		EXPECT_EQ(E2BIG, errno);
		buf[pos] = 0;
	}
	free(buf);
}

/* A size that runs past the end of mapped memory is EFAULT, not a crash and
 * not a partial success. */
TEST_F(dispatch, destroy_size_past_mapping)
{
	long pg = sysconf(_SC_PAGESIZE);
	unsigned char *map = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE,
				  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct iommu_destroy *cmd;

	ASSERT_NE(MAP_FAILED, map);
	ASSERT_EQ(0, munmap(map + pg, pg));
	cmd = (void *)(map + pg - sizeof(*cmd));
	cmd->size = sizeof(*cmd) + 64;
	cmd->id = 1;
	EXPECT_EQ(-1, ioctl(self->fd, IOMMU_DESTROY, cmd));
	EXPECT_EQ(EFAULT, errno);
	/* The struct itself straddling the hole. */
	cmd = (void *)(map + pg - 4);
	cmd->size = sizeof(*cmd);
	EXPECT_EQ(-1, ioctl(self->fd, IOMMU_DESTROY, cmd));
	EXPECT_EQ(EFAULT, errno);
	munmap(map, pg);
}

TEST_HARNESS_MAIN
