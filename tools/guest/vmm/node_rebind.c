// SPDX-License-Identifier: GPL-2.0
/*
 * node_rebind: after the `vmm` scenario's QEMU is gone (exited or killed),
 * prove nothing of it is left on the function: a fresh /dev/iommu file binds
 * the device node again and attaches it to a new IOAS. The VFIO way
 * (VFIO_DEVICE_BIND_IOMMUFD + VFIO_DEVICE_ATTACH_IOMMUFD_PT on the node,
 * what QEMU does) when the node speaks it, else IOMMU_DEVICE_BIND with
 * IOMMU_DEVICE_BIND_FD + IOMMU_DEVICE_ATTACH. Everything is closed at exit.
 *
 * Usage: node_rebind NODE [IOMMUFD]  (IOMMUFD defaults to /dev/iommu)
 * Exit status 0 if the function was bound and attached.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/vfio.h>
#include <iommufd_rs.h>

int main(int argc, char **argv)
{
	struct iommu_ioas_alloc ioas = { .size = sizeof(ioas) };
	const char *node = argv[1], *dev = argc > 2 ? argv[2] : "/dev/iommu";
	int ifd, nfd;

	if (argc < 2) {
		fprintf(stderr, "usage: %s NODE [IOMMUFD]\n", argv[0]);
		return 2;
	}
	ifd = open(dev, O_RDWR);
	nfd = open(node, O_RDWR);
	if (ifd < 0 || nfd < 0) {
		printf("open %s / %s: %s\n", dev, node, strerror(errno));
		return 1;
	}
	if (ioctl(ifd, IOMMU_IOAS_ALLOC, &ioas)) {
		printf("IOMMU_IOAS_ALLOC: %s\n", strerror(errno));
		return 1;
	}

	struct vfio_device_bind_iommufd vb = { .argsz = sizeof(vb), .iommufd = ifd };

	if (!ioctl(nfd, VFIO_DEVICE_BIND_IOMMUFD, &vb)) {
		struct vfio_device_attach_iommufd_pt va = { .argsz = sizeof(va),
							    .pt_id = ioas.out_ioas_id };

		if (ioctl(nfd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &va)) {
			printf("VFIO_DEVICE_ATTACH_IOMMUFD_PT: %s\n", strerror(errno));
			return 1;
		}
		printf("%s: VFIO_DEVICE_BIND_IOMMUFD devid %u, attached to IOAS %u (hwpt %u)\n",
		       node, vb.out_devid, ioas.out_ioas_id, va.pt_id);
		return 0;
	}
	if (errno != ENOTTY && errno != EINVAL) {
		printf("VFIO_DEVICE_BIND_IOMMUFD: %s\n", strerror(errno));
		return 1;
	}
	printf("%s: VFIO_DEVICE_BIND_IOMMUFD: %s; IOMMU_DEVICE_BIND_FD instead\n", node,
	       strerror(errno));

	struct iommu_device_bind b = { .size = sizeof(b), .flags = IOMMU_DEVICE_BIND_FD,
				       .dev_fd = nfd };
	struct iommu_device_attach a = { .size = sizeof(a) };

	if (ioctl(ifd, IOMMU_DEVICE_BIND, &b)) {
		printf("IOMMU_DEVICE_BIND (BIND_FD): %s\n", strerror(errno));
		return 1;
	}
	a.dev_id = b.out_dev_id;
	a.pt_id = ioas.out_ioas_id;
	if (ioctl(ifd, IOMMU_DEVICE_ATTACH, &a)) {
		printf("IOMMU_DEVICE_ATTACH: %s\n", strerror(errno));
		return 1;
	}
	printf("%s: IOMMU_DEVICE_BIND_FD dev %u, attached to IOAS %u (hwpt %u)\n", node,
	       b.out_dev_id, ioas.out_ioas_id, a.out_hwpt_id);
	return 0;
}
