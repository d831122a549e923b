// SPDX-License-Identifier: GPL-2.0
/*
 * iommufd_demo: the VMM flow as far as the module implements it. A VMM
 * opens the device, creates an I/O address space, maps guest RAM into it
 * (pinned and accounted), learns the usable IOVA ranges, shares the mapping
 * with a second address space; then hands an edu device to the file,
 * places its MSI window, attaches it, lets it DMA by IOVA and takes its
 * interrupt as an eventfd count. Every step prints what it did; any
 * unexpected answer makes the demo fail.
 *
 * Usage: iommufd_demo [DEVICE]   (default /dev/iommu)
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <poll.h>
#include <sys/eventfd.h>

#include <iommufd_rs.h>
#include "../../selftests/edu_util.h"

#define GUEST_RAM (8UL << 20)

static int failures;

static long vm_pin_kb(void)
{
	char line[256];
	long kb = -1;
	FILE *f = fopen("/proc/self/status", "r");

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "VmPin: %ld kB", &kb) == 1)
			break;
	if (f)
		fclose(f);
	return kb;
}

static int step(const char *what, int ret, int want_errno)
{
	int got = ret < 0 ? errno : 0;

	printf("  %-58s -> %s%s\n", what, got ? strerror(got) : "ok",
	       got == want_errno ? "" : "   (UNEXPECTED)");
	if (got != want_errno)
		failures++;
	return got;
}

/*
 * The device half of the VMM flow: hand an edu device to the file, place
 * its MSI window, attach it to an address space holding "guest RAM", let
 * it DMA by IOVA, and take its interrupt as an eventfd count.
 */
static void device_flow(int fd)
{
	struct iommu_resv_region rr[8];
	struct iommu_device_resv_regions q = { .size = sizeof(q), .num_regions = 8,
					       .regions_uptr = (uintptr_t)rr };
	struct iommu_iova_range ranges[8];
	struct edu e;
	volatile __u64 *bar;
	volatile __u32 *bar32;
	__u32 dev = 0, ioas = 0, hwpt = 0, n = 8;
	__u64 v, iova = 0x40000000, cnt = 0;
	unsigned char *ram;
	int efd;

	if (find_edu(0, &e)) {
		printf("no edu device: skipping the device flow\n");
		return;
	}
	printf("Device flow with edu %s:\n", e.bdf);
	step("bind it to the iommufd_rs PCI driver (driver_override)",
	     set_driver(&e, "iommufd_rs") ? -1 : 0, 0);
	step("IOMMU_DEVICE_BIND", bind_dev(fd, &e, &dev) ? -1 : 0, 0);
	v = 0x10000000;
	step("IOMMU_OPTION SW_MSI_START = 0x10000000",
	     option(fd, IOMMU_OPTION_SW_MSI_START, IOMMU_OPTION_OP_SET, dev, &v) ? -1 : 0, 0);
	v = 2;
	step("IOMMU_OPTION SW_MSI_SIZE = 2 MiB",
	     option(fd, IOMMU_OPTION_SW_MSI_SIZE, IOMMU_OPTION_OP_SET, dev, &v) ? -1 : 0, 0);
	q.dev_id = dev;
	step("IOMMU_DEVICE_GET_RESV_REGIONS", ioctl(fd, IOMMU_DEVICE_GET_RESV_REGIONS, &q), 0);
	for (__u32 i = 0; i < q.num_regions && i < 8; i++)
		printf("    -> [0x%llx, 0x%llx] type %u%s\n", (unsigned long long)rr[i].start,
		       (unsigned long long)rr[i].last, rr[i].type,
		       rr[i].flags & IOMMU_RESV_FLAG_USER_WINDOW ? " (the user's MSI window)" : "");
	step("IOMMU_IOAS_ALLOC", ioas_alloc(fd, &ioas) ? -1 : 0, 0);
	ram = buffer(4 * PAGE);
	step("IOMMU_IOAS_MAP 16 KiB of guest RAM at IOVA 0x40000000",
	     map(fd, ioas, ram, 4 * PAGE, &iova, FIXED) ? -1 : 0, 0);
	step("IOMMU_DEVICE_ATTACH to the IOAS", attach(fd, dev, ioas, &hwpt) ? -1 : 0, 0);
	printf("    -> paging HWPT %u from the device's IOMMU driver\n", hwpt);
	step("IOMMU_IOAS_IOVA_RANGES", iova_ranges(fd, ioas, ranges, &n, &v) ? -1 : 0, 0);
	for (__u32 i = 0; i < n && i < 8; i++)
		printf("    -> usable [0x%llx, 0x%llx]\n", (unsigned long long)ranges[i].start,
		       (unsigned long long)ranges[i].last);

	bar = map_bar0(&e);
	bar32 = (volatile __u32 *)bar;
	if (!bar) {
		step("map edu's BAR0", -1, 0);
		return;
	}
	for (int i = 0; i < PAGE; i++)
		ram[i] = i * 13;
	memset(ram + PAGE, 0, PAGE);
	/* edu: copy RAM->device buffer (0x40000), then device->RAM. */
	bar[0x80 / 8] = 0x40000000; bar[0x88 / 8] = 0x40000; bar[0x90 / 8] = PAGE;
	bar[0x98 / 8] = 1;
	for (int i = 0; i < 200 && (bar[0x98 / 8] & 1); i++)
		usleep(5000);
	bar[0x80 / 8] = 0x40000; bar[0x88 / 8] = 0x40001000; bar[0x90 / 8] = PAGE;
	bar[0x98 / 8] = 3;
	for (int i = 0; i < 200 && (bar[0x98 / 8] & 1); i++)
		usleep(5000);
	step("edu DMA: IOVA 0x40000000 -> device -> IOVA 0x40001000, bytes equal",
	     memcmp(ram, ram + PAGE, PAGE) ? -1 : 0, 0);
	efd = eventfd(0, EFD_NONBLOCK);
	step("IOMMU_DEVICE_SET_IRQS: one MSI vector -> an eventfd",
	     set_irqs(fd, dev, 1, &efd) ? -1 : 0, 0);
	printf("    -> edu's MSI address: 0x%llx (inside the window)\n",
	       (unsigned long long)msi_address(&e));
	bar32[0x60 / 4] = 1;	/* edu: raise an interrupt */
	struct pollfd p = { .fd = efd, .events = POLLIN };
	if (poll(&p, 1, 1000) == 1 && read(efd, &cnt, sizeof(cnt)) != sizeof(cnt))
		cnt = 0;
	bar32[0x64 / 4] = 1;	/* ack */
	step("edu raises an interrupt: the eventfd counts it", cnt == 1 ? 0 : -1, 0);
	step("IOMMU_DEVICE_DETACH", detach(fd, dev) ? -1 : 0, 0);
	close(efd);
}

int main(int argc, char **argv)
{
	const char *path = argc > 1 ? argv[1] : "/dev/iommu";
	struct iommu_ioas_alloc alloc = { .size = sizeof(alloc) };
	struct iommu_iova_range ranges[4];
	struct iommu_ioas_iova_ranges query = { .size = sizeof(query), .num_iovas = 4,
						.allowed_iovas = (uintptr_t)ranges };
	struct iommu_ioas_map map = { .size = sizeof(map) };
	struct iommu_ioas_copy copy = { .size = sizeof(copy) };
	struct iommu_ioas_unmap unmap = { .size = sizeof(unmap) };
	struct iommu_destroy destroy = { .size = sizeof(destroy) };
	__u32 ioas, ioas2;
	struct stat st;
	char msg[128];
	void *ram;
	int fd;

	if (stat(path, &st)) {
		perror(path);
		return 1;
	}
	printf("%s: char device %u:%u\n", path, major(st.st_rdev), minor(st.st_rdev));
	fd = open(path, O_RDWR);
	if (fd < 0) {
		perror(path);
		return 1;
	}
	ram = mmap(NULL, GUEST_RAM, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (ram == MAP_FAILED)
		return 1;

	printf("VMM flow:\n");
	step("IOMMU_IOAS_ALLOC", ioctl(fd, IOMMU_IOAS_ALLOC, &alloc), 0);
	ioas = alloc.out_ioas_id;
	printf("    -> IOAS id %u\n", ioas);
	query.ioas_id = ioas;
	step("IOMMU_IOAS_IOVA_RANGES", ioctl(fd, IOMMU_IOAS_IOVA_RANGES, &query), 0);
	for (__u32 i = 0; i < query.num_iovas && i < 4; i++)
		printf("    -> usable IOVA [0x%llx, 0x%llx], alignment %llu\n",
		       (unsigned long long)ranges[i].start,
		       (unsigned long long)ranges[i].last,
		       (unsigned long long)query.out_iova_alignment);

	printf("  VmPin before mapping guest RAM: %ld kB\n", vm_pin_kb());
	map.ioas_id = ioas;
	map.flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE |
		    IOMMU_IOAS_MAP_WRITEABLE;
	map.user_va = (uintptr_t)ram;
	map.length = GUEST_RAM;
	map.iova = 0x40000000;		/* guest physical address of RAM */
	snprintf(msg, sizeof(msg), "IOMMU_IOAS_MAP 8 MiB of guest RAM at IOVA 0x%llx",
		 (unsigned long long)map.iova);
	step(msg, ioctl(fd, IOMMU_IOAS_MAP, &map), 0);
	printf("  VmPin after: %ld kB (no device is attached: pages are pinned when a\n"
	       "  domain needs them, at attach, as upstream iommufd does)\n", vm_pin_kb());
	step("the same map again (EEXIST expected)", ioctl(fd, IOMMU_IOAS_MAP, &map), EEXIST);

	step("IOMMU_IOAS_ALLOC (a second address space)", ioctl(fd, IOMMU_IOAS_ALLOC, &alloc), 0);
	ioas2 = alloc.out_ioas_id;
	copy.flags = IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE;
	copy.src_ioas_id = ioas;
	copy.dst_ioas_id = ioas2;
	copy.src_iova = 0x40000000;
	copy.length = GUEST_RAM;
	step("IOMMU_IOAS_COPY guest RAM into it (shares the pages and, once pinned, the pins)",
	     ioctl(fd, IOMMU_IOAS_COPY, &copy), 0);
	printf("    -> placed at IOVA 0x%llx; VmPin still %ld kB\n",
	       (unsigned long long)copy.dst_iova, vm_pin_kb());

	unmap.ioas_id = ioas;
	unmap.iova = 0x40000000;
	unmap.length = GUEST_RAM / 2;
	step("IOMMU_IOAS_UNMAP half of an area (ENOENT expected)",
	     ioctl(fd, IOMMU_IOAS_UNMAP, &unmap), ENOENT);
	unmap.iova = 0;
	unmap.length = UINT64_MAX;
	step("IOMMU_IOAS_UNMAP everything in the first IOAS", ioctl(fd, IOMMU_IOAS_UNMAP, &unmap), 0);
	printf("    -> %llu bytes unmapped; VmPin %ld kB (the copy still holds the pages)\n",
	       (unsigned long long)unmap.length, vm_pin_kb());
	destroy.id = ioas2;
	step("IOMMU_DESTROY the second IOAS", ioctl(fd, IOMMU_DESTROY, &destroy), 0);
	printf("    -> VmPin %ld kB\n", vm_pin_kb());
	destroy.id = ioas;
	step("IOMMU_DESTROY the first IOAS", ioctl(fd, IOMMU_DESTROY, &destroy), 0);
	step("IOMMU_DESTROY it again (ENOENT expected)", ioctl(fd, IOMMU_DESTROY, &destroy), ENOENT);
	device_flow(fd);
	close(fd);
	printf("%s\n", failures ? "demo: UNEXPECTED ANSWERS" : "demo: done, every answer as expected");
	return failures ? 1 : 0;
}
