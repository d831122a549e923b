/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * iommufd-rs UAPI: upstream iommufd's commands (Linux 7.3
 * include/uapi/linux/iommufd.h) for what this module implements, with the
 * same numbers and structs, plus this project's extensions.
 *
 * This header stands alone: do not include <linux/iommufd.h> with it.
 * See Documentation/uapi.rst.
 */
#ifndef _UAPI_IOMMUFD_RS_H
#define _UAPI_IOMMUFD_RS_H

#include <linux/ioctl.h>
#include <linux/types.h>

#ifdef _UAPI_IOMMUFD_H
#error "include either <linux/iommufd.h> or <iommufd_rs.h>, not both"
#endif

#define IOMMUFD_TYPE (';')

enum {
	IOMMUFD_CMD_BASE = 0x80,
	IOMMUFD_CMD_DESTROY = IOMMUFD_CMD_BASE,
};

/**
 * struct iommu_destroy - ioctl(IOMMU_DESTROY)
 * @size: sizeof(struct iommu_destroy)
 * @id: iommufd object ID to destroy. Can be any destroyable object type.
 *
 * Destroy any object held within iommufd.
 */
struct iommu_destroy {
	__u32 size;
	__u32 id;
};
#define IOMMU_DESTROY _IO(IOMMUFD_TYPE, IOMMUFD_CMD_DESTROY)

#endif /* _UAPI_IOMMUFD_RS_H */
