/* SPDX-License-Identifier: GPL-2.0 */
/*
 * IOMMU domains over the kernel IOMMU core API (domain.c), for the devices
 * bound with IOMMU_DEVICE_BIND (pci_driver.c) and the pinned pages of IOAS
 * areas (src/pages.rs).
 */
#ifndef IOMMUFD_RS_DOMAIN_H
#define IOMMUFD_RS_DOMAIN_H

#include <linux/types.h>

struct iommu_domain;
struct iommufd_rs_pci;

/**
 * struct iommufd_rs_geometry - what the IOAS needs to know about a domain
 * (the Rust Geometry of src/provider_abi/mod.rs, which asserts this layout)
 * @aperture_start: first mappable IOVA
 * @aperture_end: last mappable IOVA
 * @pgsize_bitmap: page sizes the domain can map
 */
struct iommufd_rs_geometry {
	u64 aperture_start;
	u64 aperture_end;
	u64 pgsize_bitmap;
};

/* A reserved region of a device, as IOMMU_DEVICE_GET_RESV_REGIONS shows it. */
struct iommufd_rs_resv {
	u64 start;
	u64 last;
	u32 type;	/* enum iommu_resv_type */
	u32 pad;
};

struct iommu_domain *iommufd_rs_domain_alloc(struct iommufd_rs_pci *d, u32 flags,
					     struct iommufd_rs_geometry *geo, int *err);
void iommufd_rs_domain_free(struct iommu_domain *dom);
int iommufd_rs_domain_attach(struct iommu_domain *dom, struct iommufd_rs_pci *d);
void iommufd_rs_domain_detach(struct iommu_domain *dom, struct iommufd_rs_pci *d);
int iommufd_rs_domain_map_run(struct iommu_domain *dom, u64 iova, u64 phys, u64 size,
			      bool readable, bool writable);
bool iommufd_rs_domain_unmap(struct iommu_domain *dom, u64 iova, u64 length);
int iommufd_rs_domain_msi_cookie(struct iommu_domain *dom, u64 base);
int iommufd_rs_pci_resv_regions(struct iommufd_rs_pci *d, struct iommufd_rs_resv *out,
				u32 max, u32 *count);

#endif
