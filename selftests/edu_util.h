/* SPDX-License-Identifier: GPL-2.0 */
/*
 * QEMU edu devices from the guest's sysfs: find them, move them between
 * drivers with driver_override, bind them to a file (IOMMU_DEVICE_BIND),
 * drive their DMA engine and MSI through BAR0, and read what smmu_rs's
 * debugfs counts for the domains behind them.
 */
#ifndef EDU_UTIL_H
#define EDU_UTIL_H

#include <dirent.h>
#include <poll.h>
#include <sys/stat.h>

#include "ioas_util.h"

/*
 * edu's BAR0 registers (QEMU hw/misc/edu.c): raise and acknowledge its
 * MSI; DMA source, destination, count and command (bit 0 start, cleared by
 * the device when done; bit 1 device-to-RAM). EDU_BUF is the device
 * address of its 4 KiB buffer, one side of every DMA.
 */
#define EDU_INTR_RAISE 0x60
#define EDU_INTR_ACK 0x64
#define EDU_DMA_SRC 0x80
#define EDU_DMA_DST 0x88
#define EDU_DMA_CNT 0x90
#define EDU_DMA_CMD 0x98
#define EDU_CMD_START 1
#define EDU_CMD_TO_RAM 2
#define EDU_BUF 0x40000

struct edu {
	char bdf[256];
	__u32 seg, rid;
};

static inline int write_file(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, val, strlen(val));
	close(fd);
	return n == (ssize_t)strlen(val) ? 0 : -EIO;
}

/**
 * read_text() - read a whole (small) file
 * @path: the file
 * @buf: where its text goes, NUL-terminated
 * @size: the size of @buf; at most @size - 1 bytes are read
 *
 * Return: the length read, or -1.
 */
static inline int read_text(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = 0;
	return n;
}

static inline int read_hex(const char *dir, const char *name)
{
	char path[400], buf[32] = "";
	int fd, v = -1;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	if (read(fd, buf, sizeof(buf) - 1) > 0)
		v = strtol(buf, NULL, 16);
	close(fd);
	return v;
}

/* The IOMMU group number of a PCI function (its iommu_group link), or -1. */
static inline int iommu_group_of(const char *bdf)
{
	char path[320], link[256];
	ssize_t n;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%.64s/iommu_group", bdf);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		return -1;
	link[n] = 0;
	return atoi(strrchr(link, '/') + 1);
}

/* The number of devices in IOMMU group @group (/sys/kernel/iommu_groups). */
static inline int iommu_group_size(int group)
{
	char path[64];
	struct dirent *de;
	DIR *d;
	int n = 0;

	snprintf(path, sizeof(path), "/sys/kernel/iommu_groups/%d/devices", group);
	d = opendir(path);
	while (d && (de = readdir(d)))
		n += de->d_name[0] != '.';
	if (d)
		closedir(d);
	return n;
}

static inline int edu_from_name(const char *name, struct edu *e)
{
	unsigned int seg, bus, dev, fn;

	if (sscanf(name, "%x:%x:%x.%x", &seg, &bus, &dev, &fn) != 4)
		return -1;
	snprintf(e->bdf, sizeof(e->bdf), "%.64s", name);
	e->seg = seg;
	e->rid = bus << 8 | dev << 3 | fn;
	return 0;
}

/*
 * The edu functions (vendor 0x1234, device 0x11e8) in PCI address order
 * (sysfs lists a directory in no fixed order): up to @max names into @names.
 */
static inline int list_edu(char names[][32], int max)
{
	DIR *d = opendir("/sys/bus/pci/devices");
	struct dirent *de;
	int n = 0;

	while (d && (de = readdir(d))) {
		char dir[300], tmp[32];
		int i;

		if (de->d_name[0] == '.' || strlen(de->d_name) >= sizeof(tmp))
			continue;
		snprintf(dir, sizeof(dir), "/sys/bus/pci/devices/%s", de->d_name);
		if (read_hex(dir, "vendor") != 0x1234 || read_hex(dir, "device") != 0x11e8)
			continue;
		if (n == max)
			break;
		/* Insert in order. */
		snprintf(tmp, sizeof(tmp), "%s", de->d_name);
		for (i = n; i > 0 && strcmp(names[i - 1], tmp) > 0; i--)
			memcpy(names[i], names[i - 1], 32);
		memcpy(names[i], tmp, 32);
		n++;
	}
	if (d)
		closedir(d);
	return n;
}

/*
 * The n-th edu function (by PCI address) that is alone in its IOMMU group:
 * the functions every suite uses, one group each, so that two of them are
 * independent (binding one never touches the other's group). The functions
 * of the rig's multi-function slot share a group and are found with
 * find_shared_edu_pair() instead.
 */
static inline int find_edu(int n, struct edu *e)
{
	char names[16][32];
	int count = list_edu(names, 16), i;

	for (i = 0; i < count; i++) {
		if (iommu_group_size(iommu_group_of(names[i])) != 1)
			continue;
		if (n-- > 0)
			continue;
		return edu_from_name(names[i], e);
	}
	return -1;
}

/**
 * find_shared_edu_pair() - two edu functions that share one IOMMU group
 * @a: the first (lower PCI address), e.g. function 0 of a multi-function slot
 * @b: the second
 * @group: where their group's number goes; may be NULL
 *
 * Found by sysfs (/sys/bus/pci/devices/X/iommu_group), not by address, so
 * it holds whichever way the platform groups functions.
 *
 * Return: 0, or -1 if no two edu functions share a group.
 */
static inline int find_shared_edu_pair(struct edu *a, struct edu *b, int *group)
{
	char names[16][32];
	int count = list_edu(names, 16), i, j;

	for (i = 0; i < count; i++) {
		int g = iommu_group_of(names[i]);

		for (j = i + 1; g >= 0 && j < count; j++) {
			if (iommu_group_of(names[j]) != g)
				continue;
			if (edu_from_name(names[i], a) || edu_from_name(names[j], b))
				return -1;
			if (group)
				*group = g;
			return 0;
		}
	}
	return -1;
}

/**
 * wait_node() - the path of a function's node, once it exists
 * @e: the function, bound to the iommufd_rs driver
 * @path: where the path goes
 * @size: the size of @path
 *
 * devtmpfs creates the node asynchronously to the bind.
 *
 * Return: 0 when the node exists, -1 if it did not appear within 0.5 s.
 */
static inline int wait_node(const struct edu *e, char *path, size_t size)
{
	struct stat st;

	snprintf(path, size, "/dev/iommufd_rs/%s", e->bdf);
	for (int i = 0; i < 50; i++) {
		if (!stat(path, &st))
			return 0;
		usleep(10000);
	}
	return -1;
}

static inline int driver_is(const struct edu *e, const char *name)
{
	char path[320], link[256];
	ssize_t n;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver", e->bdf);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		return !name;
	link[n] = 0;
	return name && strstr(link, name) && !strcmp(strrchr(link, '/') + 1, name);
}

/* Bind the function to iommufd_rs (or unbind it with name NULL). */
static inline int set_driver(const struct edu *e, const char *name)
{
	char path[320];

	if (driver_is(e, NULL) == 0) {
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver/unbind", e->bdf);
		if (write_file(path, e->bdf))
			return -1;
	}
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver_override", e->bdf);
	if (write_file(path, name ? name : "\n"))
		return -1;
	if (name && write_file("/sys/bus/pci/drivers_probe", e->bdf))
		return -1;
	return name ? !driver_is(e, name) : 0;
}

#define CMD_INTX_DISABLE 0x400

/**
 * pci_command_set() - read the function's PCI command register through
 * sysfs config and, if @bits, set them in it
 * @e: the function
 * @bits: the bits to set, or 0 to only read
 *
 * Return: the register as read, or -1 if it could not be read or written.
 */
static inline int pci_command_set(const struct edu *e, __u16 bits)
{
	char path[320];
	__u16 cmd;
	int fd, ok;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/config", e->bdf);
	fd = open(path, bits ? O_RDWR : O_RDONLY);
	if (fd < 0)
		return -1;
	ok = pread(fd, &cmd, 2, 4) == 2;
	if (ok && bits) {
		__u16 set = cmd | bits;

		ok = pwrite(fd, &set, 2, 4) == 2;
	}
	close(fd);
	return ok ? cmd : -1;
}

/* The function's PCI command register, or -1. */
static inline int pci_command(const struct edu *e)
{
	return pci_command_set(e, 0);
}

/**
 * enable_device() - turn on memory space and bus mastering
 * @e: the function, whose PCI command register is set through sysfs config
 *
 * Return: 0, or -1 if the config space could not be read or written.
 */
static inline int enable_device(const struct edu *e)
{
	return pci_command_set(e, 0x6) < 0 ? -1 : 0;
}

static inline int bind_dev(int fd, const struct edu *e, __u32 *id)
{
	struct iommu_device_bind c = { .size = sizeof(c), .pci_segment = e->seg,
				       .pci_rid = e->rid };
	int rc = xioctl(fd, IOMMU_DEVICE_BIND, &c);

	if (!rc && id)
		*id = c.out_dev_id;
	return rc;
}

static inline int attach(int fd, __u32 dev, __u32 pt, __u32 *hwpt)
{
	struct iommu_device_attach c = { .size = sizeof(c), .dev_id = dev, .pt_id = pt };
	int rc = xioctl(fd, IOMMU_DEVICE_ATTACH, &c);

	if (!rc && hwpt)
		*hwpt = c.out_hwpt_id;
	return rc;
}

static inline int detach(int fd, __u32 dev)
{
	struct iommu_device_detach c = { .size = sizeof(c), .dev_id = dev };

	return xioctl(fd, IOMMU_DEVICE_DETACH, &c);
}

/**
 * hwpt_alloc() - IOMMU_HWPT_ALLOC: a paging HWPT for a device over an IOAS
 * @fd: the iommufd file
 * @dev: the bound device the HWPT is made for
 * @ioas: the IOAS it follows (pt_id)
 * @flags: IOMMU_HWPT_ALLOC_* flags
 * @type: data_type (IOMMU_HWPT_DATA_NONE is 0)
 * @id: where the new HWPT's id goes on success; may be NULL
 *
 * Return: 0 or the errno.
 */
static inline int hwpt_alloc(int fd, __u32 dev, __u32 ioas, __u32 flags, __u32 type,
			     __u32 *id)
{
	struct iommu_hwpt_alloc c = { .size = sizeof(c), .flags = flags, .dev_id = dev,
				      .pt_id = ioas, .data_type = type };
	int rc = xioctl(fd, IOMMU_HWPT_ALLOC, &c);

	if (!rc && id)
		*id = c.out_hwpt_id;
	return rc;
}

static inline int translate(int fd, __u32 hwpt, __u64 iova, __u64 *phys)
{
	struct iommu_hwpt_translate c = { .size = sizeof(c), .hwpt_id = hwpt, .iova = iova };
	int rc = xioctl(fd, IOMMU_HWPT_TRANSLATE, &c);

	*phys = c.out_phys;
	return rc;
}

/* As translate(), with the size of the leaf entry (0: the driver can't tell). */
static inline int translate_leaf(int fd, __u32 hwpt, __u64 iova, __u64 *phys, __u64 *leaf)
{
	struct iommu_hwpt_translate c = { .size = sizeof(c), .hwpt_id = hwpt, .iova = iova };
	int rc = xioctl(fd, IOMMU_HWPT_TRANSLATE, &c);

	*phys = c.out_phys;
	*leaf = c.out_leaf_size;
	return rc;
}

/* BAR0 of an edu device (1 MiB of registers), mapped through sysfs. */
static inline void *map_bar0(const struct edu *e)
{
	char path[320];
	void *p;
	int fd;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/resource0", e->bdf);
	fd = open(path, O_RDWR | O_SYNC);
	if (fd < 0)
		return NULL;
	p = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	return p == MAP_FAILED ? NULL : p;
}

/**
 * edu_dma() - one DMA of the edu device, waited for
 * @bar: the device's BAR0 (map_bar0())
 * @src: the source: an IOVA, or EDU_BUF when @to_ram
 * @dst: the destination: EDU_BUF, or an IOVA when @to_ram
 * @cnt: the length in bytes (at most the 4 KiB of EDU_BUF)
 * @to_ram: nonzero for device-to-RAM (EDU_BUF to an IOVA), 0 for RAM-to-device
 *
 * Return: 0 when the device reports it done, -1 if it is still busy after
 * two seconds (400 polls 5 ms apart).
 */
static inline int edu_dma(volatile __u64 *bar, __u64 src, __u64 dst, __u64 cnt, int to_ram)
{
	bar[EDU_DMA_SRC / 8] = src;
	bar[EDU_DMA_DST / 8] = dst;
	bar[EDU_DMA_CNT / 8] = cnt;
	bar[EDU_DMA_CMD / 8] = EDU_CMD_START | (to_ram ? EDU_CMD_TO_RAM : 0);
	for (int i = 0; i < 400; i++) {
		if (!(bar[EDU_DMA_CMD / 8] & EDU_CMD_START))
			return 0;
		usleep(5000);
	}
	return -1;
}

/* The address in the device's MSI capability, or 0. */
static inline __u64 msi_address(const struct edu *e)
{
	char path[320];
	unsigned char cfg[256];
	__u64 addr = 0;
	int fd, pos;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/config", e->bdf);
	fd = open(path, O_RDONLY);
	if (fd < 0 || pread(fd, cfg, sizeof(cfg), 0) != sizeof(cfg)) {
		if (fd >= 0)
			close(fd);
		return 0;
	}
	close(fd);
	for (pos = cfg[0x34] & ~3; pos && pos < 0xff; pos = cfg[pos + 1] & ~3) {
		if (cfg[pos] != 0x05)
			continue;
		addr = *(__u32 *)&cfg[pos + 4];
		if (cfg[pos + 2] & 0x80)	/* 64-bit capable */
			addr |= (__u64)*(__u32 *)&cfg[pos + 8] << 32;
		break;
	}
	return addr;
}

static inline int set_irqs(int fd, __u32 dev, __u32 nvec, const int *efds)
{
	struct iommu_device_set_irqs c = { .size = sizeof(c), .dev_id = dev, .nvec = nvec,
					   .eventfds_uptr = (uintptr_t)efds };

	return xioctl(fd, IOMMU_DEVICE_SET_IRQS, &c);
}

/**
 * raise_irq() - make the edu device send its MSI once
 * @bar: the device's BAR0 (map_bar0()), whatever the caller's view of it
 *
 * Raises the interrupt, waits 20 ms for it to be delivered, then
 * acknowledges it so that the next raise sends a new message.
 */
static inline void raise_irq(volatile void *bar)
{
	volatile __u32 *regs = bar;

	regs[EDU_INTR_RAISE / 4] = 1;
	usleep(20000);
	regs[EDU_INTR_ACK / 4] = 1;
}

/**
 * events() - the count an eventfd gathered (interrupts delivered to it)
 * @efd: a non-blocking eventfd (set_irqs())
 * @ms: how long to wait for it to become readable, in milliseconds
 *
 * Reading resets the count.
 *
 * Return: the events counted within @ms milliseconds, 0 if none.
 */
static inline __u64 events(int efd, int ms)
{
	struct pollfd p = { .fd = efd, .events = POLLIN };
	__u64 n = 0;

	if (poll(&p, 1, ms) == 1 && read(efd, &n, sizeof(n)) != sizeof(n))
		return 0;
	return n;
}

/* smmu_rs's debugfs: what its domains hold, while smmu_rs drives the SMMU. */
#define SMMU_RS_DEBUGFS "/sys/kernel/debug/smmu_rs/"
#define SMMU_RS_DRIVER "/sys/bus/platform/drivers/smmu_rs/"

/**
 * smmu_rs_smmu() - the SMMU smmu_rs is bound to
 * @name: its device name on return, e.g. 9050000.smmuv3
 * @size: room in @name
 *
 * Return: 0, or -1 when smmu_rs is bound to no SMMU.
 */
static inline int smmu_rs_smmu(char *name, size_t size)
{
	DIR *d = opendir(SMMU_RS_DRIVER);
	struct dirent *de;
	int rc = -1;

	while (d && (de = readdir(d))) {
		const char *dot = strrchr(de->d_name, '.');

		if (dot && !strcmp(dot, ".smmuv3")) {
			snprintf(name, size, "%s", de->d_name);
			rc = 0;
			break;
		}
	}
	if (d)
		closedir(d);
	return rc;
}

/* Whether the function's IOMMU (its sysfs iommu link) names @what. */
static inline int iommu_link_has(const struct edu *e, const char *what)
{
	char path[320], link[256];
	ssize_t n;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/iommu", e->bdf);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		return 0;
	link[n] = 0;
	return strstr(link, what) != NULL;
}

/* Whether the function sits behind our own SMMUv3 driver. */
static inline int behind_smmu_rs(const struct edu *e)
{
	return iommu_link_has(e, "smmu_rs.");
}

/*
 * Whether the function sits behind an SMMUv3, driven by arm_smmu_v3 or by
 * smmu_rs (their IOMMU devices are named smmu3.* and smmu_rs.*): the only
 * IOMMU of the rig with nest parents. Not behind one means virtio-iommu
 * (the selftest-virtio boot).
 */
static inline int behind_smmuv3(const struct edu *e)
{
	return iommu_link_has(e, "/smmu");
}

/*
 * NEST_PARENT_OR_SKIP() - a nest-parent HWPT of @dev on @ioas into *@id, or
 * the test skipped (@statement, as SKIP()) where the function's IOMMU is no
 * SMMUv3 and its driver offers no nest parent (-EOPNOTSUPP: virtio-iommu).
 * Behind an SMMUv3 any error fails the test.
 */
#define NEST_PARENT_OR_SKIP(statement, fd, e, dev, ioas, id)					\
	do {											\
		int __rc = hwpt_alloc(fd, dev, ioas, IOMMU_HWPT_ALLOC_NEST_PARENT, 0, id);	\
												\
		if (__rc == EOPNOTSUPP && !behind_smmuv3(e))					\
			SKIP(statement, "this IOMMU driver offers no nest parent");		\
		ASSERT_EQ(0, __rc);								\
	} while (0)

/**
 * debugfs_number() - a number in smmu_rs's debugfs
 * @name: the file under SMMU_RS_DEBUGFS (table_pages, dma_bytes)
 *
 * Return: the number, or -1 if the file cannot be read.
 */
static inline long debugfs_number(const char *name)
{
	char path[128], buf[64];

	snprintf(path, sizeof(path), SMMU_RS_DEBUGFS "%s", name);
	return read_text(path, buf, sizeof(buf)) > 0 ? strtol(buf, NULL, 10) : -1;
}

/**
 * live_domains() - the stage-2 domains smmu_rs holds
 *
 * Counts the lines of SMMU_RS_DEBUGFS "domains", one per live domain.
 *
 * Return: the count, or -1 if the file cannot be read.
 */
static inline long live_domains(void)
{
	char buf[8192];
	long n = 0;

	if (read_text(SMMU_RS_DEBUGFS "domains", buf, sizeof(buf)) < 0)
		return -1;
	for (char *p = buf; *p; p++)
		n += *p == '\n';
	return n;
}

#endif
