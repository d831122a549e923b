// SPDX-License-Identifier: GPL-2.0
/*
 * iommufd_demo: what a VMM sees when it opens the device. Today it shows the
 * device answering with upstream iommufd's rules; it grows into the full VMM
 * flow (IOAS, device binding, DMA, MSI) as the module does.
 *
 * Usage: iommufd_demo [DEVICE]   (default /dev/iommu)
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <iommufd_rs.h>

static int failures;

static void expect(const char *what, int ret, int want_errno)
{
	int got = ret < 0 ? errno : 0;

	printf("  %-52s -> %s%s\n", what, got ? strerror(got) : "ok",
	       got == want_errno ? "" : "   (UNEXPECTED)");
	if (got != want_errno)
		failures++;
}

int main(int argc, char **argv)
{
	const char *path = argc > 1 ? argv[1] : "/dev/iommu";
	struct iommu_destroy destroy = { .size = sizeof(destroy), .id = 1 };
	struct stat st;
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
	printf("opened %s as fd %d; asking it a few things:\n", path, fd);
	expect("IOMMU_DESTROY id 1 (no such object)",
	       ioctl(fd, IOMMU_DESTROY, &destroy), ENOENT);
	destroy.size = 4;
	expect("IOMMU_DESTROY with size 4 (below the minimum)",
	       ioctl(fd, IOMMU_DESTROY, &destroy), EINVAL);
	expect("IOMMU_DESTROY with a NULL argument", ioctl(fd, IOMMU_DESTROY, NULL), EFAULT);
	expect("command 0x81 (IOAS_ALLOC, not implemented yet)",
	       ioctl(fd, _IO(IOMMUFD_TYPE, 0x81), &destroy), ENOTTY);
	close(fd);
	printf("%s\n", failures ? "demo: UNEXPECTED ANSWERS" : "demo: the device answers as upstream iommufd does");
	return failures ? 1 : 0;
}
