/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the IOAS selftests: the device path, ioctl wrappers that
 * return errno, and pin accounting read from /proc/self/status.
 */
#ifndef IOAS_UTIL_H
#define IOAS_UTIL_H

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/capability.h>

#include <iommufd_rs.h>

#define PAGE 4096UL

static inline const char *dev_path(void)
{
	const char *p = getenv("IOMMUFD_DEV");

	return p ? p : "/dev/iommu";
}

/* ioctl() returning 0 or the errno. */
static inline int xioctl(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) ? errno : 0;
}

static inline int ioas_alloc(int fd, __u32 *id)
{
	struct iommu_ioas_alloc c = { .size = sizeof(c) };
	int rc = xioctl(fd, IOMMU_IOAS_ALLOC, &c);

	if (!rc)
		*id = c.out_ioas_id;
	return rc;
}

static inline int destroy(int fd, __u32 id)
{
	struct iommu_destroy c = { .size = sizeof(c), .id = id };

	return xioctl(fd, IOMMU_DESTROY, &c);
}

/* MAP; *iova is in (fixed) and out. */
static inline int map(int fd, __u32 ioas, void *va, __u64 len, __u64 *iova, __u32 flags)
{
	struct iommu_ioas_map c = {
		.size = sizeof(c), .flags = flags, .ioas_id = ioas,
		.user_va = (uintptr_t)va, .length = len, .iova = iova ? *iova : 0,
	};
	int rc = xioctl(fd, IOMMU_IOAS_MAP, &c);

	if (!rc && iova)
		*iova = c.iova;
	return rc;
}

static inline int map_file(int fd, __u32 ioas, int mfd, __u64 start, __u64 len, __u64 *iova,
			   __u32 flags)
{
	struct iommu_ioas_map_file c = {
		.size = sizeof(c), .flags = flags, .ioas_id = ioas, .fd = mfd,
		.start = start, .length = len, .iova = iova ? *iova : 0,
	};
	int rc = xioctl(fd, IOMMU_IOAS_MAP_FILE, &c);

	if (!rc && iova)
		*iova = c.iova;
	return rc;
}

#define RW (IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE)
#define FIXED (RW | IOMMU_IOAS_MAP_FIXED_IOVA)

static inline int unmap(int fd, __u32 ioas, __u64 iova, __u64 len, __u64 *unmapped)
{
	struct iommu_ioas_unmap c = { .size = sizeof(c), .ioas_id = ioas, .iova = iova,
				      .length = len };
	int rc = xioctl(fd, IOMMU_IOAS_UNMAP, &c);

	if (!rc && unmapped)
		*unmapped = c.length;
	return rc;
}

static inline int copy(int fd, __u32 dst, __u32 src, __u64 src_iova, __u64 len,
		       __u64 *dst_iova, __u32 flags)
{
	struct iommu_ioas_copy c = {
		.size = sizeof(c), .flags = flags, .dst_ioas_id = dst, .src_ioas_id = src,
		.length = len, .dst_iova = dst_iova ? *dst_iova : 0, .src_iova = src_iova,
	};
	int rc = xioctl(fd, IOMMU_IOAS_COPY, &c);

	if (!rc && dst_iova)
		*dst_iova = c.dst_iova;
	return rc;
}

static inline int option(int fd, __u32 opt, __u16 op, __u32 obj, __u64 *val)
{
	struct iommu_option c = { .size = sizeof(c), .option_id = opt, .op = op,
				  .object_id = obj, .val64 = *val };
	int rc = xioctl(fd, IOMMU_OPTION, &c);

	if (!rc)
		*val = c.val64;
	return rc;
}

/* Number of IOVA ranges, filling up to cap entries of r. */
static inline int iova_ranges(int fd, __u32 ioas, struct iommu_iova_range *r, __u32 *num,
			      __u64 *align)
{
	struct iommu_ioas_iova_ranges c = { .size = sizeof(c), .ioas_id = ioas,
					    .num_iovas = *num,
					    .allowed_iovas = (uintptr_t)r };
	int rc = xioctl(fd, IOMMU_IOAS_IOVA_RANGES, &c);

	*num = c.num_iovas;
	if (align)
		*align = c.out_iova_alignment;
	return rc;
}

/* Drop CAP_IPC_LOCK from the effective set so RLIMIT_MEMLOCK applies. */
static inline int drop_ipc_lock(void)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2];

	if (syscall(SYS_capget, &h, d))
		return -1;
	d[0].effective &= ~(1u << CAP_IPC_LOCK);
	return syscall(SYS_capset, &h, d);
}

/* A line "Name: N kB" of /proc/self/status, in pages; -1 if absent. */
static inline long status_pages(const char *name)
{
	char line[256], fmt[64];
	long kb = -1;
	FILE *f = fopen("/proc/self/status", "r");

	if (!f)
		return -1;
	snprintf(fmt, sizeof(fmt), "%s: %%ld kB", name);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, fmt, &kb) == 1)
			break;
	fclose(f);
	return kb < 0 ? -1 : kb / 4;
}

/* VmPin of this process, in pages (mm->pinned_vm). */
static inline long vm_pin_pages(void)
{
	return status_pages("VmPin");
}

/*
 * Pages pinned in the whole system (FOLL_PIN), from /proc/vmstat: unlike
 * VmPin, which this module counts itself, these are the mm's own counters,
 * so a pin leaked or dropped twice shows here. They are folded from the
 * CPUs' buckets first (/proc/sys/vm/stat_refresh), or they would lag. -1 if
 * unreadable.
 */
static inline long foll_pins(void)
{
	char line[128];
	long acquired = -1, released = -1, v;
	int rfd = open("/proc/sys/vm/stat_refresh", O_WRONLY);
	FILE *f;

	if (rfd < 0 || write(rfd, "1", 1) != 1) {
		if (rfd >= 0)
			close(rfd);
		return -1;
	}
	close(rfd);
	f = fopen("/proc/vmstat", "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "nr_foll_pin_acquired %ld", &v) == 1)
			acquired = v;
		else if (sscanf(line, "nr_foll_pin_released %ld", &v) == 1)
			released = v;
	}
	fclose(f);
	return acquired < 0 || released < 0 ? -1 : acquired - released;
}

/**
 * ioas_check() - IOMMU_TEST_IOAS_CHECK: every domain of an IOAS translates
 * exactly its areas, plus MSI doorbells, and nothing else
 * @fd: the iommufd file
 * @ioas: the IOAS
 * @probes: IOVA ranges whose pages outside the areas must map nothing but
 *          doorbells (checked where the driver cannot enumerate its table)
 * @n: entries at @probes
 * @out: the answer (domains checked, walked, leaves); may be NULL
 *
 * Return: 0, or the errno: EIO for a mismatch (the kernel log, and
 * last_check_report(), say where), ENOENT for no such IOAS, ENOTTY if the
 * module was not built for tests.
 */
static inline int ioas_check(int fd, __u32 ioas, const struct iommu_iova_range *probes, __u32 n,
			     struct iommu_test_ioas_check *out)
{
	struct iommu_test_ioas_check c = { .size = sizeof(c), .ioas_id = ioas, .num_probes = n,
					   .probes_uptr = (uintptr_t)probes };
	int rc = xioctl(fd, IOMMU_TEST_IOAS_CHECK, &c);

	if (out)
		*out = c;
	return rc;
}

/**
 * last_check_report() - the kernel's last IOMMU_TEST_IOAS_CHECK mismatch
 * @buf: where it goes ("" if there is none)
 * @size: room in @buf
 *
 * Reads the kernel log (/dev/kmsg) for the last "check: IOAS" line.
 */
static inline void last_check_report(char *buf, size_t size)
{
	char rec[1024];
	int k = open("/dev/kmsg", O_RDONLY | O_NONBLOCK);
	ssize_t n;

	buf[0] = 0;
	if (k < 0)
		return;
	while ((n = read(k, rec, sizeof(rec) - 1)) > 0 || (n < 0 && errno == EPIPE)) {
		char *msg, *nl;

		if (n <= 0)
			continue;
		rec[n] = 0;
		msg = strchr(rec, ';');
		if (!msg || !strstr(msg, "check: IOAS"))
			continue;
		nl = strchr(msg, '\n');
		if (nl)
			*nl = 0;
		snprintf(buf, size, "%s", msg + 1);
	}
	close(k);
}

/**
 * check_file_ioases() - ioas_check() on every IOAS of a file
 * @fd: the iommufd file
 * @max_id: object ids 1..@max_id are tried (not an IOAS: skipped)
 * @probes: as for ioas_check()
 * @n: as for ioas_check()
 * @bad: the IOAS that failed, on failure
 * @checked: how many IOAS were checked; may be NULL
 *
 * Return: 0 when every IOAS passed, else the first failure's errno.
 */
static inline int check_file_ioases(int fd, __u32 max_id, const struct iommu_iova_range *probes,
				    __u32 n, __u32 *bad, int *checked)
{
	int count = 0;

	for (__u32 id = 1; id <= max_id; id++) {
		int rc = ioas_check(fd, id, probes, n, NULL);

		if (rc == ENOENT)
			continue;
		if (rc) {
			*bad = id;
			return rc;
		}
		count++;
	}
	if (checked)
		*checked = count;
	return 0;
}

/* Anonymous, populated memory. */
static inline void *buffer(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

#endif
