// SPDX-License-Identifier: GPL-2.0
/*
 * Who may bind a PCI function: every function bound to the iommufd_rs PCI
 * driver has a node, /dev/iommufd_rs/<PCI address>, root's and mode 0600;
 * whoever can open it binds the function by the node's descriptor
 * (IOMMU_DEVICE_BIND_FD), and binding by PCI address needs CAP_SYS_ADMIN.
 * The unprivileged side runs in a child that drops to uid/gid 65534 and
 * every capability; an unprivileged user also stays inside RLIMIT_MEMLOCK
 * wherever pages are pinned, and learns no host physical address
 * (IOMMU_HWPT_TRANSLATE needs a file opened with CAP_SYS_ADMIN, as
 * /proc/pid/pagemap's PFNs do).
 */
#include <grp.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <linux/capability.h>

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
	ASSERT_EQ(0, wait_node(&self->e, self->node, sizeof(self->node)));
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

/* Binds the node, maps one page of @buf at a fixed IOVA of a new IOAS and
 * attaches: the HWPT that maps it in *hwpt; 0 or a step number. */
static int map_one_page(int fd, int nfd, void *buf, __u32 *hwpt)
{
	__u64 iova = 0x100000;
	__u32 dev, ioas;

	if (bind_fd(fd, nfd, &dev))
		return 1;
	if (ioas_alloc(fd, &ioas))
		return 2;
	if (map(fd, ioas, buf, PAGE, &iova, FIXED))
		return 3;
	if (attach(fd, dev, ioas, hwpt))
		return 4;
	return 0;
}

/* As nobody, with the node: the HWPT maps the page, and TRANSLATE of it is
 * EPERM with no address written back. */
static int no_phys(void *p)
{
	const struct child_args *a = p;
	struct iommu_hwpt_translate c = { .size = sizeof(c), .iova = 0x100000 };
	int fd = open(dev_path(), O_RDWR);
	int nfd = open(a->node, O_RDWR);
	void *buf = buffer(PAGE);

	if (fd < 0 || nfd < 0 || !buf)
		return 10;
	memset(buf, 1, PAGE);
	if (map_one_page(fd, nfd, buf, &c.hwpt_id))
		return 11;
	if (xioctl(fd, IOMMU_HWPT_TRANSLATE, &c) != EPERM)
		return 12;
	if (c.out_phys || c.out_leaf_size)
		return 13;
	/* Not even which ids exist. */
	c.hwpt_id = 9999;
	if (xioctl(fd, IOMMU_HWPT_TRANSLATE, &c) != EPERM)
		return 14;
	close(fd);
	return 0;
}

TEST_F(access, nobody_gets_no_physical_address)
{
	struct child_args a = { self->node, &self->e };
	int fd = open(dev_path(), O_RDWR);
	int nfd = open(self->node, O_RDWR);
	void *buf = buffer(PAGE);
	__u64 phys = 0;
	__u32 hwpt;

	ASSERT_EQ(0, chown(self->node, NOBODY, NOBODY));
	EXPECT_EQ(0, as_nobody(no_phys, &a, 128 << 10));
	ASSERT_EQ(0, chown(self->node, 0, 0));
	/* Root's file: the address. */
	ASSERT_LE(0, fd);
	ASSERT_LE(0, nfd);
	ASSERT_NE(NULL, buf);
	memset(buf, 1, PAGE);
	ASSERT_EQ(0, map_one_page(fd, nfd, buf, &hwpt));
	EXPECT_EQ(0, translate(fd, hwpt, 0x100000, &phys));
	EXPECT_NE(0, phys);
	close(nfd);
	close(fd);
}

/* Sets or clears @cap in this thread's effective set (it stays permitted). */
static int set_effective(int cap, int on)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2];

	if (syscall(SYS_capget, &h, d))
		return -1;
	if (on)
		d[cap / 32].effective |= 1u << (cap % 32);
	else
		d[cap / 32].effective &= ~(1u << (cap % 32));
	return syscall(SYS_capset, &h, d);
}

/* Whoever opened the file decides, as for /proc/pid/pagemap: a file opened
 * without CAP_SYS_ADMIN gives no address even to a caller that has it, and
 * one opened with it gives one to a caller that dropped it. */
static int opener_decides(void *p)
{
	const struct child_args *a = p;
	int nfd = open(a->node, O_RDWR);
	void *buf = buffer(PAGE);
	__u64 phys = 0;
	__u32 hwpt;
	int fd;

	if (nfd < 0 || !buf)
		return 20;
	memset(buf, 1, PAGE);
	if (set_effective(CAP_SYS_ADMIN, 0))
		return 21;
	fd = open(dev_path(), O_RDWR);
	if (set_effective(CAP_SYS_ADMIN, 1) || fd < 0)
		return 22;
	if (map_one_page(fd, nfd, buf, &hwpt))
		return 23;
	if (translate(fd, hwpt, 0x100000, &phys) != EPERM || phys)
		return 24;
	close(fd);
	fd = open(dev_path(), O_RDWR);
	if (fd < 0 || map_one_page(fd, nfd, buf, &hwpt))
		return 25;
	if (set_effective(CAP_SYS_ADMIN, 0))
		return 26;
	if (translate(fd, hwpt, 0x100000, &phys) || !phys)
		return 27;
	close(fd);
	return 0;
}

TEST_F(access, physical_addresses_follow_the_opener)
{
	struct child_args a = { self->node, &self->e };
	int status;
	pid_t pid = fork();

	ASSERT_LE(0, pid);
	if (pid == 0)
		_exit(opener_decides(&a));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
}

TEST_HARNESS_MAIN
