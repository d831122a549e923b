/* SPDX-License-Identifier: GPL-2.0 */
/*
 * QEMU edu devices from the guest's sysfs: find them, move them between
 * drivers with driver_override, bind them to a file (IOMMU_DEVICE_BIND).
 */
#ifndef EDU_UTIL_H
#define EDU_UTIL_H

#include <dirent.h>

#include "ioas_util.h"

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

/* The n-th edu function (vendor 0x1234, device 0x11e8). */
static inline int find_edu(int n, struct edu *e)
{
	DIR *d = opendir("/sys/bus/pci/devices");
	struct dirent *de;
	int found = -1;

	while (d && (de = readdir(d))) {
		char dir[300];
		unsigned int seg, bus, dev, fn;

		if (de->d_name[0] == '.')
			continue;
		snprintf(dir, sizeof(dir), "/sys/bus/pci/devices/%s", de->d_name);
		if (read_hex(dir, "vendor") != 0x1234 || read_hex(dir, "device") != 0x11e8)
			continue;
		if (n-- > 0)
			continue;
		if (sscanf(de->d_name, "%x:%x:%x.%x", &seg, &bus, &dev, &fn) != 4)
			break;
		snprintf(e->bdf, sizeof(e->bdf), "%s", de->d_name);
		e->seg = seg;
		e->rid = bus << 8 | dev << 3 | fn;
		found = 0;
		break;
	}
	if (d)
		closedir(d);
	return found;
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

#endif
