// SPDX-License-Identifier: GPL-2.0
/*
 * A function's node, /dev/iommufd_rs/<PCI address>, speaking VFIO's device
 * UAPI in cdev mode, as a VMM drives it (QEMU's vfio-pci with iommufd=
 * and fd=): the pre-bind gate, VFIO_DEVICE_BIND_IOMMUFD onto our
 * /dev/iommu and its exclusion of IOMMU_DEVICE_BIND_FD, the device object
 * the node owns, ATTACH/DETACH_IOMMUFD_PT, the info ioctls, config space
 * with its virtual registers, BAR access through pread/pwrite, edu DMA
 * and MSI through SET_IRQS, and everything released on close. Built with
 * Linux 7.3's own <linux/vfio.h>, so the structs and numbers are
 * upstream's.
 */
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <linux/vfio.h>

#include "kselftest_harness.h"
#include "edu_util.h"

#define CFG(off) (((__u64)VFIO_PCI_CONFIG_REGION_INDEX << 40) | (off))
#define BAR0(off) ((__u64)(off))
#define EDU_BAR_SIZE (1 << 20)

FIXTURE(vfio) {
	struct edu e;
	char node[320];
	int fd;		/* /dev/iommu */
	int nfd;	/* the node */
	__u32 dev;	/* the device object after bind_vfio() */
	__u32 ioas;
};

FIXTURE_SETUP(vfio)
{
	if (find_edu(0, &self->e))
		SKIP(return, "no edu device");
	ASSERT_EQ(0, set_driver(&self->e, "iommufd_rs"));
	ASSERT_EQ(0, wait_node(&self->e, self->node, sizeof(self->node)));
	self->fd = open(dev_path(), O_RDWR);
	ASSERT_LE(0, self->fd);
	self->nfd = open(self->node, O_RDWR);
	ASSERT_LE(0, self->nfd);
	ASSERT_EQ(0, ioas_alloc(self->fd, &self->ioas));
}

FIXTURE_TEARDOWN(vfio)
{
	if (self->nfd >= 0)
		close(self->nfd);
	close(self->fd);
	set_driver(&self->e, NULL);
}

static int vfio_bind(int nfd, int iommufd, __u32 *id)
{
	struct vfio_device_bind_iommufd b = { .argsz = 16, .iommufd = iommufd };
	int rc = xioctl(nfd, VFIO_DEVICE_BIND_IOMMUFD, &b);

	if (!rc && id)
		*id = b.out_devid;
	return rc;
}

static int vfio_attach(int nfd, __u32 pt, __u32 *out)
{
	struct vfio_device_attach_iommufd_pt a = { .argsz = 12, .pt_id = pt };
	int rc = xioctl(nfd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &a);

	if (!rc && out)
		*out = a.pt_id;
	return rc;
}

static int vfio_detach(int nfd)
{
	struct vfio_device_detach_iommufd_pt d = { .argsz = 8 };

	return xioctl(nfd, VFIO_DEVICE_DETACH_IOMMUFD_PT, &d);
}

static int bind_node_fd(int fd, int nfd, __u32 *id)
{
	struct iommu_device_bind c = { .size = sizeof(c), .flags = IOMMU_DEVICE_BIND_FD,
				       .dev_fd = nfd };
	int rc = xioctl(fd, IOMMU_DEVICE_BIND, &c);

	if (!rc && id)
		*id = c.out_dev_id;
	return rc;
}

/* pread/pwrite of @len bytes at @pos: 0, or the errno (EIO if short). */
static int rd(int nfd, __u64 pos, void *buf, size_t len)
{
	ssize_t n = pread(nfd, buf, len, pos);

	return n < 0 ? errno : n == (ssize_t)len ? 0 : EIO;
}

static int wr(int nfd, __u64 pos, const void *buf, size_t len)
{
	ssize_t n = pwrite(nfd, buf, len, pos);

	return n < 0 ? errno : n == (ssize_t)len ? 0 : EIO;
}

static __u32 rd32(int nfd, __u64 pos)
{
	__u32 v = 0xdeadbeef;

	return rd(nfd, pos, &v, 4) ? 0xdeadbeef : v;
}

/* The function's real config space, from sysfs. */
static __u32 hw_cfg32(const struct edu *e, int off)
{
	char path[320];
	__u32 v = 0;
	int fd;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/config", e->bdf);
	fd = open(path, O_RDONLY);
	if (fd < 0 || pread(fd, &v, 4, off) != 4)
		v = 0xdeadbeef;
	if (fd >= 0)
		close(fd);
	return v;
}

/* The offset of capability @id in the node's view of config space, or 0. */
static int find_cap(int nfd, int id)
{
	unsigned char cfg[256];
	int pos;

	if (rd(nfd, CFG(0), cfg, sizeof(cfg)))
		return 0;
	for (pos = cfg[0x34] & ~3; pos && pos < 0xff; pos = cfg[pos + 1] & ~3)
		if (cfg[pos] == id)
			return pos;
	return 0;
}

static int bind_vfio(struct __test_metadata *_metadata, FIXTURE_DATA(vfio) *self)
{
	int rc = vfio_bind(self->nfd, self->fd, &self->dev);

	EXPECT_EQ(0, rc);
	EXPECT_NE(0, self->dev);
	return rc;
}

TEST_F(vfio, only_bind_before_bind)
{
	struct vfio_device_info info = { .argsz = sizeof(info) };
	char buf[4];

	EXPECT_EQ(EINVAL, xioctl(self->nfd, VFIO_DEVICE_GET_INFO, &info));
	EXPECT_EQ(EINVAL, vfio_attach(self->nfd, self->ioas, NULL));
	EXPECT_EQ(EINVAL, xioctl(self->nfd, VFIO_DEVICE_RESET, NULL));
	EXPECT_EQ(EINVAL, rd(self->nfd, CFG(0), buf, 4));
	EXPECT_EQ(EINVAL, wr(self->nfd, CFG(0), buf, 4));
	EXPECT_EQ(MAP_FAILED, mmap(NULL, PAGE, PROT_READ, MAP_SHARED, self->nfd, 0));
	EXPECT_EQ(EINVAL, errno);
	/* The node's own positions: no seeking. */
	EXPECT_EQ(-1, lseek(self->nfd, 0, SEEK_SET));
	EXPECT_EQ(ESPIPE, errno);
}

TEST_F(vfio, bind_errnos_in_upstreams_order)
{
	struct vfio_device_bind_iommufd b = { .argsz = 15, .iommufd = self->fd };
	struct { struct vfio_device_bind_iommufd b; __u32 more; } big = {
		.b = { .argsz = sizeof(big), .iommufd = self->fd }, .more = 1 };
	int null = open("/dev/null", O_RDWR);
	__u32 id;

	ASSERT_LE(0, null);
	EXPECT_EQ(EINVAL, xioctl(self->nfd, VFIO_DEVICE_BIND_IOMMUFD, &b));
	b.argsz = sizeof(b);
	b.flags = 2;
	EXPECT_EQ(EINVAL, xioctl(self->nfd, VFIO_DEVICE_BIND_IOMMUFD, &b));
	b.flags = VFIO_DEVICE_BIND_FLAG_TOKEN;
	EXPECT_EQ(EINVAL, xioctl(self->nfd, VFIO_DEVICE_BIND_IOMMUFD, &b));
	EXPECT_EQ(E2BIG, xioctl(self->nfd, VFIO_DEVICE_BIND_IOMMUFD, &big));
	EXPECT_EQ(EFAULT, xioctl(self->nfd, VFIO_DEVICE_BIND_IOMMUFD, (void *)8));
	EXPECT_EQ(EINVAL, vfio_bind(self->nfd, -1, NULL));
	EXPECT_EQ(EBADF, vfio_bind(self->nfd, 9999, NULL));
	/* Only this module's /dev/iommu: not another file, not the node. */
	EXPECT_EQ(EBADFD, vfio_bind(self->nfd, null, NULL));
	EXPECT_EQ(EBADFD, vfio_bind(self->nfd, self->nfd, NULL));
	ASSERT_EQ(0, vfio_bind(self->nfd, self->fd, &id));
	EXPECT_NE(0, id);
	EXPECT_EQ(EINVAL, vfio_bind(self->nfd, self->fd, NULL));
	close(null);
}

TEST_F(vfio, the_node_owns_its_device_object)
{
	struct iommu_hw_info hw = { .size = sizeof(hw) };
	int fd2 = open(dev_path(), O_RDWR);
	int nfd2 = open(self->node, O_RDWR);
	__u32 id;

	ASSERT_LE(0, fd2);
	ASSERT_LE(0, nfd2);
	ASSERT_EQ(0, bind_vfio(_metadata, self));
	/* The object works on the file: HW_INFO, a HWPT for it. */
	hw.dev_id = self->dev;
	EXPECT_EQ(0, xioctl(self->fd, IOMMU_GET_HW_INFO, &hw));
	/* But belongs to the node: no DESTROY, no second owner. */
	EXPECT_EQ(EBUSY, destroy(self->fd, self->dev));
	EXPECT_EQ(EBUSY, bind_node_fd(fd2, self->nfd, NULL));
	EXPECT_EQ(EBUSY, bind_node_fd(self->fd, nfd2, NULL));
	EXPECT_EQ(EBUSY, vfio_bind(nfd2, fd2, NULL));
	/* Closing the node removes it and gives the function back. */
	close(self->nfd);
	self->nfd = -1;
	EXPECT_EQ(ENOENT, destroy(self->fd, self->dev));
	ASSERT_EQ(0, bind_node_fd(fd2, nfd2, &id));
	/* And a bind by descriptor excludes the VFIO bind. */
	EXPECT_EQ(EBUSY, vfio_bind(nfd2, self->fd, NULL));
	EXPECT_EQ(0, destroy(fd2, id));
	EXPECT_EQ(0, vfio_bind(nfd2, self->fd, NULL));
	close(nfd2);
	close(fd2);
}

TEST_F(vfio, info_regions_and_irqs)
{
	struct vfio_device_info info = { .argsz = sizeof(info) };
	struct vfio_region_info r = { .argsz = sizeof(r) };
	struct vfio_irq_info irq = { .argsz = sizeof(irq) };
	static const __u32 irq_counts[] = { 0, 1, 0, 1, 1 };

	ASSERT_EQ(0, bind_vfio(_metadata, self));
	ASSERT_EQ(0, xioctl(self->nfd, VFIO_DEVICE_GET_INFO, &info));
	EXPECT_EQ(VFIO_DEVICE_FLAGS_PCI, info.flags);
	EXPECT_EQ(VFIO_PCI_NUM_REGIONS, info.num_regions);
	EXPECT_EQ(VFIO_PCI_NUM_IRQS, info.num_irqs);
	info.argsz = 15;
	EXPECT_EQ(EINVAL, xioctl(self->nfd, VFIO_DEVICE_GET_INFO, &info));

	r.index = VFIO_PCI_BAR0_REGION_INDEX;
	ASSERT_EQ(0, xioctl(self->nfd, VFIO_DEVICE_GET_REGION_INFO, &r));
	EXPECT_EQ(EDU_BAR_SIZE, r.size);
	EXPECT_EQ(0, r.offset);
	EXPECT_EQ(VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE |
		  VFIO_REGION_INFO_FLAG_MMAP, r.flags);
	r.index = VFIO_PCI_BAR1_REGION_INDEX;
	ASSERT_EQ(0, xioctl(self->nfd, VFIO_DEVICE_GET_REGION_INFO, &r));
	EXPECT_EQ(0, r.size);
	EXPECT_EQ(0, r.flags);
	r.index = VFIO_PCI_ROM_REGION_INDEX;
	ASSERT_EQ(0, xioctl(self->nfd, VFIO_DEVICE_GET_REGION_INFO, &r));
	EXPECT_EQ(0, r.size);
	r.index = VFIO_PCI_CONFIG_REGION_INDEX;
	ASSERT_EQ(0, xioctl(self->nfd, VFIO_DEVICE_GET_REGION_INFO, &r));
	EXPECT_EQ(256, r.size);
	EXPECT_EQ(CFG(0), r.offset);
	EXPECT_EQ(VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE, r.flags);
	r.index = VFIO_PCI_VGA_REGION_INDEX;
	EXPECT_EQ(EINVAL, xioctl(self->nfd, VFIO_DEVICE_GET_REGION_INFO, &r));
	r.index = VFIO_PCI_NUM_REGIONS;
	EXPECT_EQ(EINVAL, xioctl(self->nfd, VFIO_DEVICE_GET_REGION_INFO, &r));
	r.index = 0;
	r.argsz = 31;
	EXPECT_EQ(EINVAL, xioctl(self->nfd, VFIO_DEVICE_GET_REGION_INFO, &r));

	for (__u32 i = 0; i < VFIO_PCI_NUM_IRQS; i++) {
		irq.index = i;
		ASSERT_EQ(0, xioctl(self->nfd, VFIO_DEVICE_GET_IRQ_INFO, &irq));
		EXPECT_EQ(irq_counts[i], irq.count);
		EXPECT_TRUE(irq.flags & VFIO_IRQ_INFO_EVENTFD);
	}
	irq.index = VFIO_PCI_NUM_IRQS;
	EXPECT_EQ(EINVAL, xioctl(self->nfd, VFIO_DEVICE_GET_IRQ_INFO, &irq));
	/* What edu cannot do. */
	EXPECT_EQ(EINVAL, xioctl(self->nfd, VFIO_DEVICE_RESET, NULL));
	EXPECT_EQ(ENOTTY, xioctl(self->nfd, VFIO_DEVICE_GET_PCI_HOT_RESET_INFO, &info));
	EXPECT_EQ(ENOTTY, xioctl(self->nfd, VFIO_DEVICE_FEATURE, &info));
}

TEST_F(vfio, config_space_hides_the_hosts_programming)
{
	unsigned char cfg[256];
	__u32 ones = 0xffffffff, rom = 0xfffff800, zero = 0, hw_bar = hw_cfg32(&self->e, 0x10);
	__u32 addr = 0x12345678;
	__u16 flags = 0x1;
	int msi;

	ASSERT_EQ(0, bind_vfio(_metadata, self));
	ASSERT_EQ(0, rd(self->nfd, CFG(0), cfg, sizeof(cfg)));
	EXPECT_EQ(0x11e81234, *(__u32 *)&cfg[0]);
	/* BARs start at 0 with their type bits; no ROM; no INTx pin. */
	EXPECT_EQ(hw_bar & 0xf, *(__u32 *)&cfg[0x10]);
	EXPECT_NE(0, hw_bar & ~0xfu);
	EXPECT_EQ(0, *(__u32 *)&cfg[0x30]);
	EXPECT_EQ(0, cfg[0x3d]);
	EXPECT_EQ(EFAULT, rd(self->nfd, CFG(255), cfg, 2));
	EXPECT_EQ(EFAULT, rd(self->nfd, CFG(256), cfg, 1));

	/* BAR sizing lands in the virtual register, not the function. */
	ASSERT_EQ(0, wr(self->nfd, CFG(0x10), &ones, 4));
	EXPECT_EQ((__u32)~(EDU_BAR_SIZE - 1) | (hw_bar & 0xf), rd32(self->nfd, CFG(0x10)));
	EXPECT_EQ(hw_bar, hw_cfg32(&self->e, 0x10));
	ASSERT_EQ(0, wr(self->nfd, CFG(0x10), &zero, 4));
	EXPECT_EQ(hw_bar & 0xf, rd32(self->nfd, CFG(0x10)));
	/* ROM sizing reads back 0: no ROM. */
	ASSERT_EQ(0, wr(self->nfd, CFG(0x30), &rom, 4));
	EXPECT_EQ(0, rd32(self->nfd, CFG(0x30)));

	/* MSI enable through config space does nothing to the function. */
	msi = find_cap(self->nfd, 0x05);
	ASSERT_NE(0, msi);
	ASSERT_EQ(0, wr(self->nfd, CFG(msi + 2), &flags, 2));
	ASSERT_EQ(0, wr(self->nfd, CFG(msi + 4), &addr, 4));
	EXPECT_EQ(1, rd32(self->nfd, CFG(msi)) >> 16 & 1);
	EXPECT_EQ(addr, rd32(self->nfd, CFG(msi + 4)));
	EXPECT_EQ(0, hw_cfg32(&self->e, msi) >> 16 & 1);
	EXPECT_NE(addr, hw_cfg32(&self->e, msi + 4));
}

TEST_F(vfio, command_decode_is_virtual_bus_master_is_real)
{
	__u16 cmd;

	ASSERT_EQ(0, bind_vfio(_metadata, self));
	/* The guest turns everything off: decode stays on in hardware. */
	cmd = 0;
	ASSERT_EQ(0, wr(self->nfd, CFG(0x04), &cmd, 2));
	EXPECT_EQ(0, rd32(self->nfd, CFG(4)) & 0x7);
	EXPECT_EQ(0x2, pci_command(&self->e) & 0x6);
	cmd = 0x6;
	ASSERT_EQ(0, wr(self->nfd, CFG(0x04), &cmd, 2));
	EXPECT_EQ(0x6, rd32(self->nfd, CFG(4)) & 0x7);
	EXPECT_EQ(0x6, pci_command(&self->e) & 0x6);
	/* INTx stays off in hardware whatever the guest writes. */
	EXPECT_TRUE(pci_command(&self->e) & CMD_INTX_DISABLE);
}

TEST_F(vfio, bar_access_is_single_sized_accesses)
{
	__u32 id, live = 0x5a5a0f0f, back;
	__u64 src = 0x123456789abcdef0ull, got = 0;

	ASSERT_EQ(0, bind_vfio(_metadata, self));
	ASSERT_EQ(0, rd(self->nfd, BAR0(0), &id, 4));
	EXPECT_EQ(0x010000ed, id);
	ASSERT_EQ(0, wr(self->nfd, BAR0(4), &live, 4));
	ASSERT_EQ(0, rd(self->nfd, BAR0(4), &back, 4));
	EXPECT_EQ(~live, back);
	/*
	 * edu's 64-bit registers take only whole 8-byte accesses. (Narrower
	 * than 4 bytes edu refuses with a bus error, which the node forwards
	 * as upstream's vfio-pci does: not tried here.)
	 */
	ASSERT_EQ(0, wr(self->nfd, BAR0(EDU_DMA_SRC), &src, 8));
	ASSERT_EQ(0, rd(self->nfd, BAR0(EDU_DMA_SRC), &got, 8));
	EXPECT_EQ(src, got);
	EXPECT_EQ(EINVAL, rd(self->nfd, BAR0(EDU_BAR_SIZE), &id, 4));
	EXPECT_EQ(EINVAL, rd(self->nfd, (__u64)1 << 40, &id, 4));
	EXPECT_EQ(EINVAL, rd(self->nfd, (__u64)VFIO_PCI_ROM_REGION_INDEX << 40, &id, 4));
}

static void *map_bar(int nfd, size_t len, int flags, __u64 off)
{
	return mmap(NULL, len, PROT_READ | PROT_WRITE, flags, nfd, off);
}

TEST_F(vfio, bar_mmap_and_its_limits)
{
	volatile __u32 *bar;
	int fd2 = open(dev_path(), O_RDWR);

	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, bind_vfio(_metadata, self));
	bar = map_bar(self->nfd, EDU_BAR_SIZE, MAP_SHARED, 0);
	ASSERT_NE(MAP_FAILED, bar);
	EXPECT_EQ(0x010000ed, bar[0]);
	bar[1] = 0x0f0f5a5a;
	EXPECT_EQ(~0x0f0f5a5au, bar[1]);
	/* Shared only, a memory BAR only, within the BAR (page-rounded). */
	EXPECT_EQ(MAP_FAILED, map_bar(self->nfd, PAGE, MAP_PRIVATE, 0));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(MAP_FAILED, map_bar(self->nfd, 2 * EDU_BAR_SIZE, MAP_SHARED, 0));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(MAP_FAILED, map_bar(self->nfd, PAGE, MAP_SHARED, EDU_BAR_SIZE));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(MAP_FAILED, map_bar(self->nfd, PAGE, MAP_SHARED, (__u64)1 << 40));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(MAP_FAILED, map_bar(self->nfd, PAGE, MAP_SHARED, CFG(0)));
	EXPECT_EQ(EINVAL, errno);
	/* The mapping holds the node: closed, the function stays bound. */
	close(self->nfd);
	self->nfd = -1;
	EXPECT_EQ(0x010000ed, bar[0]);
	EXPECT_EQ(EBUSY, bind_dev(fd2, &self->e, NULL));
	munmap((void *)bar, EDU_BAR_SIZE);
	/* Unmapped: the node is released, the function free. */
	EXPECT_EQ(0, bind_dev(fd2, &self->e, NULL));
	close(fd2);
}

TEST_F(vfio, bar_mmap_is_revoked_when_the_function_leaves)
{
	volatile __u32 *bar;
	int status;
	pid_t pid;

	ASSERT_EQ(0, bind_vfio(_metadata, self));
	bar = map_bar(self->nfd, EDU_BAR_SIZE, MAP_SHARED, 0);
	ASSERT_NE(MAP_FAILED, bar);
	EXPECT_EQ(0x010000ed, bar[0]);
	/* An administrator unbinds it: every page of the mapping goes. */
	ASSERT_EQ(0, set_driver(&self->e, NULL));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		_exit(bar[0] == 0x010000ed ? 0 : 1);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFSIGNALED(status));
	EXPECT_EQ(SIGBUS, WTERMSIG(status));
	munmap((void *)bar, EDU_BAR_SIZE);
}

TEST_F(vfio, attach_errnos)
{
	struct vfio_device_attach_iommufd_pt a = { .argsz = 11, .pt_id = self->ioas };
	struct vfio_device_detach_iommufd_pt d = { .argsz = 7 };

	ASSERT_EQ(0, bind_vfio(_metadata, self));
	EXPECT_EQ(EINVAL, xioctl(self->nfd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &a));
	a.argsz = sizeof(a);
	a.flags = 2;
	EXPECT_EQ(EINVAL, xioctl(self->nfd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &a));
	a.flags = VFIO_DEVICE_ATTACH_PASID;
	EXPECT_EQ(EOPNOTSUPP, xioctl(self->nfd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &a));
	EXPECT_EQ(ENOENT, vfio_attach(self->nfd, 9999, NULL));
	/* The device object is no page table. */
	EXPECT_EQ(EINVAL, vfio_attach(self->nfd, self->dev, NULL));
	EXPECT_EQ(EINVAL, xioctl(self->nfd, VFIO_DEVICE_DETACH_IOMMUFD_PT, &d));
	/* Detaching a detached device is no error. */
	EXPECT_EQ(0, vfio_detach(self->nfd));
}

TEST_F(vfio, dma_through_the_ioas_and_msi_through_set_irqs)
{
	size_t argsz = sizeof(struct vfio_irq_set) + sizeof(int);
	struct vfio_irq_set *set = calloc(1, argsz);
	char *buf = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	__u64 iova = 0x100000, cmd;
	__u32 raise = 1, ack = 0x101;
	int efd = eventfd(0, EFD_NONBLOCK);
	__u32 hwpt = 0, hwpt2 = 0;
	__u16 master = 0x6;

	ASSERT_NE(NULL, set);
	ASSERT_NE(MAP_FAILED, buf);
	ASSERT_LE(0, efd);
	ASSERT_EQ(0, bind_vfio(_metadata, self));
	ASSERT_EQ(0, wr(self->nfd, CFG(0x04), &master, 2));
	memset(buf, 0xa5, PAGE);
	memset(buf + PAGE, 0, PAGE);
	ASSERT_EQ(0, map(self->fd, self->ioas, buf, 2 * PAGE, &iova,
			 IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE |
			 IOMMU_IOAS_MAP_WRITEABLE));
	/* MSI needs the device in a domain. */
	set->argsz = argsz;
	set->flags = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER;
	set->index = VFIO_PCI_MSI_IRQ_INDEX;
	set->count = 1;
	memcpy(set->data, &efd, sizeof(int));
	EXPECT_EQ(EINVAL, xioctl(self->nfd, VFIO_DEVICE_SET_IRQS, set));

	ASSERT_EQ(0, vfio_attach(self->nfd, self->ioas, &hwpt));
	EXPECT_NE(0, hwpt);
	EXPECT_NE(self->ioas, hwpt);
	/* Attaching again to the HWPT it is on: the same answer. */
	ASSERT_EQ(0, vfio_attach(self->nfd, hwpt, &hwpt2));
	EXPECT_EQ(hwpt, hwpt2);

	/* SET_IRQS's validation. */
	set->start = 1;
	EXPECT_EQ(EINVAL, xioctl(self->nfd, VFIO_DEVICE_SET_IRQS, set));
	set->start = 0;
	set->count = 2;
	EXPECT_EQ(EINVAL, xioctl(self->nfd, VFIO_DEVICE_SET_IRQS, set));
	set->count = 1;
	set->argsz = sizeof(*set);
	EXPECT_EQ(EINVAL, xioctl(self->nfd, VFIO_DEVICE_SET_IRQS, set));
	set->argsz = argsz;
	set->index = VFIO_PCI_INTX_IRQ_INDEX;
	EXPECT_EQ(EINVAL, xioctl(self->nfd, VFIO_DEVICE_SET_IRQS, set));
	set->index = VFIO_PCI_MSI_IRQ_INDEX;
	set->flags = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_MASK;
	EXPECT_EQ(ENOTTY, xioctl(self->nfd, VFIO_DEVICE_SET_IRQS, set));
	set->flags = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_DATA_BOOL |
		     VFIO_IRQ_SET_ACTION_TRIGGER;
	EXPECT_EQ(EINVAL, xioctl(self->nfd, VFIO_DEVICE_SET_IRQS, set));
	set->flags = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER;
	ASSERT_EQ(0, xioctl(self->nfd, VFIO_DEVICE_SET_IRQS, set));

	/* DMA RAM -> edu -> RAM at IOVAs, driven through the node. */
	cmd = iova;
	ASSERT_EQ(0, wr(self->nfd, BAR0(EDU_DMA_SRC), &cmd, 8));
	cmd = EDU_BUF;
	ASSERT_EQ(0, wr(self->nfd, BAR0(EDU_DMA_DST), &cmd, 8));
	cmd = PAGE;
	ASSERT_EQ(0, wr(self->nfd, BAR0(EDU_DMA_CNT), &cmd, 8));
	cmd = EDU_CMD_START | 4;	/* raise the interrupt when done */
	ASSERT_EQ(0, wr(self->nfd, BAR0(EDU_DMA_CMD), &cmd, 8));
	EXPECT_EQ(1, events(efd, 2000));
	ASSERT_EQ(0, wr(self->nfd, BAR0(EDU_INTR_ACK), &ack, 4));
	cmd = EDU_BUF;
	ASSERT_EQ(0, wr(self->nfd, BAR0(EDU_DMA_SRC), &cmd, 8));
	cmd = iova + PAGE;
	ASSERT_EQ(0, wr(self->nfd, BAR0(EDU_DMA_DST), &cmd, 8));
	cmd = EDU_CMD_START | EDU_CMD_TO_RAM | 4;
	ASSERT_EQ(0, wr(self->nfd, BAR0(EDU_DMA_CMD), &cmd, 8));
	EXPECT_EQ(1, events(efd, 2000));
	ASSERT_EQ(0, wr(self->nfd, BAR0(EDU_INTR_ACK), &ack, 4));
	EXPECT_EQ(0, memcmp(buf, buf + PAGE, PAGE));

	/* A raise, a loopback trigger, then MSI off: silence. */
	ASSERT_EQ(0, wr(self->nfd, BAR0(EDU_INTR_RAISE), &raise, 4));
	EXPECT_EQ(1, events(efd, 2000));
	ASSERT_EQ(0, wr(self->nfd, BAR0(EDU_INTR_ACK), &ack, 4));
	set->flags = VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER;
	ASSERT_EQ(0, xioctl(self->nfd, VFIO_DEVICE_SET_IRQS, set));
	EXPECT_EQ(1, events(efd, 100));
	set->count = 0;
	ASSERT_EQ(0, xioctl(self->nfd, VFIO_DEVICE_SET_IRQS, set));
	EXPECT_EQ(EINVAL, xioctl(self->nfd, VFIO_DEVICE_SET_IRQS, set));
	ASSERT_EQ(0, wr(self->nfd, BAR0(EDU_INTR_RAISE), &raise, 4));
	EXPECT_EQ(0, events(efd, 200));
	ASSERT_EQ(0, wr(self->nfd, BAR0(EDU_INTR_ACK), &ack, 4));

	/* Detached: the IOVA no longer reaches the buffer. */
	ASSERT_EQ(0, vfio_detach(self->nfd));
	memset(buf + PAGE, 0, PAGE);
	cmd = iova + PAGE;
	ASSERT_EQ(0, wr(self->nfd, BAR0(EDU_DMA_DST), &cmd, 8));
	cmd = EDU_CMD_START | EDU_CMD_TO_RAM;
	ASSERT_EQ(0, wr(self->nfd, BAR0(EDU_DMA_CMD), &cmd, 8));
	usleep(100000);
	EXPECT_EQ(0, buf[PAGE]);
	/* The automatic HWPT went with its last device. */
	EXPECT_EQ(ENOENT, destroy(self->fd, hwpt));
	close(efd);
	free(set);
}

TEST_F(vfio, error_and_request_triggers_loop_back)
{
	struct { struct vfio_irq_set s; int fd; } set = {
		.s = { .argsz = sizeof(set), .flags = VFIO_IRQ_SET_DATA_EVENTFD |
		       VFIO_IRQ_SET_ACTION_TRIGGER, .count = 1 } };
	int efd = eventfd(0, EFD_NONBLOCK);

	ASSERT_LE(0, efd);
	ASSERT_EQ(0, bind_vfio(_metadata, self));
	for (__u32 index = VFIO_PCI_ERR_IRQ_INDEX; index <= VFIO_PCI_REQ_IRQ_INDEX; index++) {
		set.s.index = index;
		set.s.flags = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER;
		set.fd = efd;
		ASSERT_EQ(0, xioctl(self->nfd, VFIO_DEVICE_SET_IRQS, &set));
		set.s.flags = VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER;
		ASSERT_EQ(0, xioctl(self->nfd, VFIO_DEVICE_SET_IRQS, &set));
		EXPECT_EQ(1, events(efd, 100));
		set.s.flags = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER;
		set.fd = -1;
		ASSERT_EQ(0, xioctl(self->nfd, VFIO_DEVICE_SET_IRQS, &set));
		set.s.flags = VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER;
		EXPECT_EQ(EINVAL, xioctl(self->nfd, VFIO_DEVICE_SET_IRQS, &set));
		set.s.count = 2;
		EXPECT_EQ(EINVAL, xioctl(self->nfd, VFIO_DEVICE_SET_IRQS, &set));
		set.s.count = 1;
	}
	close(efd);
}

TEST_F(vfio, close_with_everything_alive_releases_everything)
{
	size_t argsz = sizeof(struct vfio_irq_set) + sizeof(int);
	struct vfio_irq_set *set = calloc(1, argsz);
	char *buf = mmap(NULL, PAGE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int efd = eventfd(0, EFD_NONBLOCK), fd2;
	__u64 iova = 0x100000;
	__u32 hwpt, id;

	ASSERT_NE(NULL, set);
	ASSERT_NE(MAP_FAILED, buf);
	ASSERT_EQ(0, bind_vfio(_metadata, self));
	ASSERT_EQ(0, map(self->fd, self->ioas, buf, PAGE, &iova,
			 IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE |
			 IOMMU_IOAS_MAP_WRITEABLE));
	ASSERT_EQ(0, vfio_attach(self->nfd, self->ioas, &hwpt));
	set->argsz = argsz;
	set->flags = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER;
	set->index = VFIO_PCI_MSI_IRQ_INDEX;
	set->count = 1;
	memcpy(set->data, &efd, sizeof(int));
	ASSERT_EQ(0, xioctl(self->nfd, VFIO_DEVICE_SET_IRQS, set));
	/* /dev/iommu closed first: the node keeps the file alive. */
	close(self->fd);
	self->fd = open(dev_path(), O_RDWR);
	ASSERT_LE(0, self->fd);
	EXPECT_EQ(0, rd32(self->nfd, BAR0(0)) != 0x010000ed);
	close(self->nfd);
	self->nfd = -1;
	/* Everything went: the function binds again, its vectors are free. */
	fd2 = open(self->node, O_RDWR);
	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, bind_node_fd(self->fd, fd2, &id));
	EXPECT_EQ(0, destroy(self->fd, id));
	close(fd2);
	close(efd);
	free(set);
}

TEST_F(vfio, unbind_under_a_bound_node_is_enodev)
{
	__u32 id;

	ASSERT_EQ(0, bind_vfio(_metadata, self));
	ASSERT_EQ(0, set_driver(&self->e, NULL));
	EXPECT_EQ(ENODEV, rd(self->nfd, BAR0(0), &id, 4));
	EXPECT_EQ(ENODEV, rd(self->nfd, CFG(0), &id, 4));
	close(self->nfd);
	self->nfd = -1;
	/* The object went with the node. */
	EXPECT_EQ(ENOENT, destroy(self->fd, self->dev));
}

TEST_HARNESS_MAIN
