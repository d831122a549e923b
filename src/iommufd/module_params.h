/* SPDX-License-Identifier: GPL-2.0 */
/*
 * C functions of module_params.c, called from Rust (declared there with
 * matching `extern "C"` signatures).
 */
#ifndef IOMMUFD_RS_MODULE_PARAMS_H
#define IOMMUFD_RS_MODULE_PARAMS_H

const char *iommufd_rs_devname(void);

#endif
