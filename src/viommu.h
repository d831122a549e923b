/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vIOMMUs, virtual device ids and nested domains through a bound device's
 * provider (viommu.c).
 */
#ifndef IOMMUFD_RS_VIOMMU_H
#define IOMMUFD_RS_VIOMMU_H

#include <linux/types.h>

struct device;
struct iommu_domain;
struct iommufd_rs_geometry;
struct iommufd_rs_viommu;

int iommufd_rs_viommu_supported(struct device *dev);
struct iommufd_rs_viommu *iommufd_rs_viommu_alloc(struct iommu_domain *parent,
						  struct device *dev, int *err);
void iommufd_rs_viommu_free(struct iommufd_rs_viommu *v);
int iommufd_rs_vdevice_alloc(struct iommufd_rs_viommu *v, struct device *dev,
			     u64 virt_id, u64 *token);
void iommufd_rs_vdevice_free(struct iommufd_rs_viommu *v, u64 token);
void iommufd_rs_viommu_device_leaves(struct device *dev);
struct iommu_domain *iommufd_rs_domain_alloc_nested(struct iommufd_rs_viommu *v,
						    struct device *dev, u32 flags,
						    u32 data_type, u64 uptr, u32 len, int *err);

int iommufd_rs_domain_nested_msi(struct iommu_domain *dom, u64 giova, u64 ipa, u64 size);
struct iommufd_rs_veventq;
int iommufd_rs_viommu_set_event_queue(struct iommufd_rs_viommu *v, struct iommufd_rs_veventq *q);
int iommufd_rs_viommu_invalidate(struct iommufd_rs_viommu *v, const u64 *cmds, u32 n,
				 u32 *done);
int iommufd_rs_domain_translate(struct iommu_domain *dom, u64 iova, u64 *phys,
				u64 *leaf_size);
int iommufd_rs_nest_parent_geometry(struct device *dev, struct iommufd_rs_geometry *geo);
void *iommufd_rs_hw_info(struct device *dev, u32 *type, u32 *length);
void iommufd_rs_hw_info_free(void *data);

#endif
