// SPDX-License-Identifier: GPL-2.0
/*
 * Who may bind a PCI function: every function bound to the iommufd_rs PCI
 * driver has a node, /dev/iommufd_rs/<PCI address>, root's and mode 0600;
 * whoever can open it binds the function by the node's descriptor
 * (IOMMU_DEVICE_BIND_FD), and binding by PCI address needs CAP_SYS_ADMIN.
 * The unprivileged side runs in a child that drops to uid/gid 65534 and
 * every capability; an unprivileged user also stays inside RLIMIT_MEMLOCK
 * wherever pages are pinned.
 */
#include <grp.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "edu_util.h"

#define NOBODY 65534

FIXTURE(access) {
	struct edu e;
	char node[320];
	mode_t iommu_mode;
};

FIXTURE_SETUP(access)
{
	struct stat st;

	if (find_edu(0, &self->e))
		SKIP(return, "no edu device");
	ASSERT_EQ(0, set_driver(&self->e, "iommufd_rs"));
	snprintf(self->node, sizeof(self->node), "/dev/iommufd_rs/%s", self->e.bdf);
	/* devtmpfs creates the node asynchronously to the bind. */
	for (int i = 0; i < 50 && stat(self->node, &st); i++)
		usleep(10000);
	ASSERT_EQ(0, stat(dev_path(), &st));
	self->iommu_mode = st.st_mode & 07777;
	/* Anyone may open /dev/iommu here: the node is what is tested. */
	ASSERT_EQ(0, chmod(dev_path(), 0666));
}

FIXTURE_TEARDOWN(access)
{
	chmod(dev_path(), self->iommu_mode);
	set_driver(&self->e, NULL);
}

static int bind_fd(int fd, int dev_fd, __u32 *id)
{
	struct iommu_device_bind c = { .size = sizeof(c), .flags = IOMMU_DEVICE_BIND_FD,
				       .dev_fd = dev_fd };
	int rc = xioctl(fd, IOMMU_DEVICE_BIND, &c);

	if (!rc && id)
		*id = c.out_dev_id;
	return rc;
}

/* Drops to nobody with no capabilities and @memlock bytes of
 * RLIMIT_MEMLOCK; 0 on success. */
static int become_nobody(rlim_t memlock)
{
	struct rlimit r = { memlock, memlock };

	if (setrlimit(RLIMIT_MEMLOCK, &r) || setgroups(0, NULL) || setgid(NOBODY) ||
	    setuid(NOBODY))
		return -1;
	return geteuid() == NOBODY ? 0 : -1;
}

/* Runs @fn(@arg) in a child as nobody; returns its exit status (0: every
 * check in it held). */
static int as_nobody(int (*fn)(void *), void *arg, rlim_t memlock)
{
	int status;
	pid_t pid = fork();

	if (pid == 0)
		_exit(become_nobody(memlock) ? 100 : fn(arg));
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

TEST_F(access, node_is_roots_and_private)
{
	struct stat st;

	ASSERT_EQ(0, stat(self->node, &st));
	EXPECT_TRUE(S_ISCHR(st.st_mode));
	EXPECT_EQ(0600, st.st_mode & 07777);
	EXPECT_EQ(0, st.st_uid);
}

TEST_F(access, root_binds_by_node_and_by_address)
{
	__u32 dev, dev2;
	int fd = open(dev_path(), O_RDWR);
	int nfd = open(self->node, O_RDWR);
	int other = open("/dev/null", O_RDWR);
	struct iommu_device_bind both = { .size = sizeof(both), .flags = IOMMU_DEVICE_BIND_FD,
					  .pci_segment = self->e.seg, .pci_rid = self->e.rid,
					  .dev_fd = nfd };

	ASSERT_LE(0, fd);
	ASSERT_LE(0, nfd);
	ASSERT_LE(0, other);
	EXPECT_EQ(EBADF, bind_fd(fd, 9999, NULL));
	EXPECT_EQ(EINVAL, bind_fd(fd, other, NULL));
	EXPECT_EQ(EINVAL, bind_fd(fd, fd, NULL));
	EXPECT_EQ(EINVAL, xioctl(fd, IOMMU_DEVICE_BIND, &both));
	ASSERT_EQ(0, bind_fd(fd, nfd, &dev));
	/* Bound once, whichever way. */
	EXPECT_EQ(EBUSY, bind_fd(fd, nfd, NULL));
	EXPECT_EQ(EBUSY, bind_dev(fd, &self->e, &dev2));
	EXPECT_EQ(0, destroy(fd, dev));
	ASSERT_EQ(0, bind_dev(fd, &self->e, &dev2));
	EXPECT_EQ(0, destroy(fd, dev2));
	close(other);
	close(nfd);
	close(fd);
}

TEST_F(access, node_goes_with_the_driver)
{
	struct stat st;
	int nfd = open(self->node, O_RDWR);
	int fd = open(dev_path(), O_RDWR);

	ASSERT_LE(0, nfd);
	ASSERT_LE(0, fd);
	/* Unbound from the driver: no node, and a node opened before binds
	 * nothing. */
	ASSERT_EQ(0, set_driver(&self->e, NULL));
	EXPECT_NE(0, stat(self->node, &st));
	EXPECT_EQ(ENODEV, bind_fd(fd, nfd, NULL));
	close(nfd);
	close(fd);
}

struct child_args {
	const char *node;
	const struct edu *e;
};

/* As nobody, the node 0600 root: neither the node nor the address. */
static int refused(void *p)
{
	const struct child_args *a = p;
	int fd = open(dev_path(), O_RDWR);
	__u32 dev;

	if (fd < 0)
		return 1;
	if (open(a->node, O_RDWR) >= 0 || errno != EACCES)
		return 2;
	if (bind_dev(fd, a->e, &dev) != EPERM)
		return 3;
	return 0;
}

TEST_F(access, nobody_cannot_bind_without_the_node)
{
	struct child_args a = { self->node, &self->e };

	EXPECT_EQ(0, as_nobody(refused, &a, 1 << 20));
}

/* As nobody with the node given to them: bind by node, and pin no more
 * than RLIMIT_MEMLOCK (128 KiB) through MAP, MAP_FILE and COPY. */
static int allowed(void *p)
{
	const struct child_args *a = p;
	int fd = open(dev_path(), O_RDWR);
	int nfd = open(a->node, O_RDWR);
	__u64 iova = 0, unmapped = 0;
	__u32 dev, ioas, ioas2, hwpt;
	void *small = buffer(16 * PAGE), *big = buffer(64 * PAGE);
	int mfd = memfd_create("pin", 0);
	struct iommu_ioas_map_file mf = { .size = sizeof(mf),
					  .flags = IOMMU_IOAS_MAP_READABLE |
						   IOMMU_IOAS_MAP_WRITEABLE };

	if (fd < 0 || nfd < 0 || !small || !big || mfd < 0)
		return 10;
	if (bind_dev(fd, a->e, &dev) != EPERM)
		return 11;
	if (bind_fd(fd, nfd, &dev))
		return 12;
	if (ioas_alloc(fd, &ioas) || ioas_alloc(fd, &ioas2))
		return 13;
	/* 64 KiB fits, 256 KiB does not. */
	if (map(fd, ioas, small, 16 * PAGE, &iova, RW))
		return 14;
	if (map(fd, ioas, big, 64 * PAGE, &iova, RW) != ENOMEM)
		return 15;
	/* A memfd's pages count the same way. */
	if (ftruncate(mfd, 64 * PAGE))
		return 16;
	mf.ioas_id = ioas;
	mf.fd = mfd;
	mf.length = 64 * PAGE;
	if (xioctl(fd, IOMMU_IOAS_MAP_FILE, &mf) != ENOMEM)
		return 17;
	/* COPY shares the pins: it fits however often it is done. */
	for (int i = 0; i < 4; i++) {
		__u64 dst = 0;

		if (copy(fd, ioas2, ioas, iova, 16 * PAGE, &dst, RW))
			return 18;
	}
	/* A new domain for the device pins nothing new. */
	if (attach(fd, dev, ioas, &hwpt))
		return 19;
	if (unmap(fd, ioas, iova, 16 * PAGE, &unmapped) || unmapped != 16 * PAGE)
		return 20;
	close(fd);
	return 0;
}

TEST_F(access, nobody_binds_by_the_node_within_memlock)
{
	struct child_args a = { self->node, &self->e };

	ASSERT_EQ(0, chown(self->node, NOBODY, NOBODY));
	EXPECT_EQ(0, as_nobody(allowed, &a, 128 << 10));
	chown(self->node, 0, 0);
}

TEST_HARNESS_MAIN
