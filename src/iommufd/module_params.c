// SPDX-License-Identifier: GPL-2.0
/*
 * Module parameters the Rust `module!` macro cannot declare: in Linux 7.3 it
 * supports integer and bool parameters only, and the device name is a string.
 */
#include <linux/module.h>
#include <linux/moduleparam.h>

#include "module_params.h"

static char *devname = "iommu";
module_param(devname, charp, 0444);
MODULE_PARM_DESC(devname,
		 "Name of the misc device node (default \"iommu\", i.e. /dev/iommu; "
		 "use another name when the in-tree iommufd is loaded)");

/**
 * iommufd_rs_devname() - the misc device name chosen at load time
 *
 * Return: a NUL-terminated string owned by the module parameter code. The
 * parameter is read-only (0444), so the string is neither changed nor freed
 * while the module is loaded.
 */
const char *iommufd_rs_devname(void)
{
	return devname;
}
