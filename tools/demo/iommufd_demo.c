// SPDX-License-Identifier: GPL-2.0
/*
 * iommufd_demo: the VMM flow as far as the module implements it. A VMM
 * opens the device, creates an I/O address space, maps guest RAM into it
 * (pinned and accounted), learns the usable IOVA ranges, shares the mapping
 * with a second address space, and tears it all down. Every step prints
 * what it did; any unexpected answer makes the demo fail.
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

#include <iommufd_rs.h>

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
	printf("  VmPin after: %ld kB (the pages are pinned for DMA)\n", vm_pin_kb());
	step("the same map again (EEXIST expected)", ioctl(fd, IOMMU_IOAS_MAP, &map), EEXIST);

	step("IOMMU_IOAS_ALLOC (a second address space)", ioctl(fd, IOMMU_IOAS_ALLOC, &alloc), 0);
	ioas2 = alloc.out_ioas_id;
	copy.flags = IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE;
	copy.src_ioas_id = ioas;
	copy.dst_ioas_id = ioas2;
	copy.src_iova = 0x40000000;
	copy.length = GUEST_RAM;
	step("IOMMU_IOAS_COPY guest RAM into it (shares the pins)",
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
	printf("    -> %llu bytes unmapped; VmPin %ld kB (the copy still holds them)\n",
	       (unsigned long long)unmap.length, vm_pin_kb());
	destroy.id = ioas2;
	step("IOMMU_DESTROY the second IOAS", ioctl(fd, IOMMU_DESTROY, &destroy), 0);
	printf("    -> VmPin %ld kB\n", vm_pin_kb());
	destroy.id = ioas;
	step("IOMMU_DESTROY the first IOAS", ioctl(fd, IOMMU_DESTROY, &destroy), 0);
	step("IOMMU_DESTROY it again (ENOENT expected)", ioctl(fd, IOMMU_DESTROY, &destroy), ENOENT);
	close(fd);
	printf("%s\n", failures ? "demo: UNEXPECTED ANSWERS" : "demo: done, every answer as expected");
	return failures ? 1 : 0;
}
