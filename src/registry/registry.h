/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The interface between the iommufd_rs front end and the IOMMU drivers of
 * this project (smmu_rs): what such a driver offers beyond the IOMMU core
 * API. It lives in its own small module, iommufd_rs_driver.ko, as upstream's
 * driver-facing iommufd_driver.ko does, so that the front end and the
 * drivers load and unload independently of each other.
 *
 * A driver registers one provider for the iommu_ops its devices and domains
 * carry; the front end looks a provider up by those ops, for a device
 * (dev_iommu_ops()) or a domain (domain->owner), and holds the driver's
 * module while it calls in. Devices behind any other driver have no
 * provider, and the front end uses the core API alone for them.
 *
 * Nesting is this interface too: hardware info for IOMMU_GET_HW_INFO, a
 * vIOMMU on a nest-parent domain, virtual stream ids (vDEVICE) and nested
 * domains from a guest's vSTE. Upstream's iommufd core keeps vIOMMU and
 * vDEVICE objects of its own and lets drivers look into them; here the
 * front end keeps the objects and their lifetime rules, and the driver
 * keeps what its hardware needs (the parent, the virtual-to-physical
 * stream ids), behind opaque handles.
 */
#ifndef IOMMUFD_RS_DRIVER_H
#define IOMMUFD_RS_DRIVER_H

#include <linux/list.h>
#include <linux/types.h>

struct device;
struct iommu_domain;
struct iommu_user_data;
struct iommufd_rs_veventq;
enum iommu_hw_info_type;
struct iommu_ops;
struct module;

/**
 * struct iommufd_rs_geometry - what the IOAS needs to know about a domain
 * @aperture_start: first mappable IOVA
 * @aperture_end: last mappable IOVA
 * @pgsize_bitmap: page sizes the domain can map
 */
struct iommufd_rs_geometry {
	u64 aperture_start;
	u64 aperture_end;
	u64 pgsize_bitmap;
};

/**
 * struct iommufd_rs_provider - an IOMMU driver of this project
 * @owner: the driver's module, held while the front end calls in
 * @iommu_ops: the ops the driver registered with the IOMMU core: the
 *             provider answers for devices and domains that carry them
 * @domain_translate: what @iova translates to in one of the driver's paging
 *                    domains, and the size of the leaf entry that maps it;
 *                    0, or -ENOENT if nothing is mapped there
 * @domain_for_each_leaf: calls @fn for every leaf entry of one of the
 *                        driver's paging domains, in IOVA order, with the
 *                        table locked against map and unmap: the leaf's
 *                        first IOVA, its output address, its size and its
 *                        IOMMU_* permissions (READ, WRITE, CACHE, MMIO).
 *                        Stops at the first non-zero return of @fn and
 *                        returns it; 0 once every leaf was visited;
 *                        -EOPNOTSUPP for a domain that is not a paging
 *                        domain of the driver. @fn must not map or unmap
 *                        in the domain. (For iommufd_rs's test-only
 *                        IOMMU_TEST_IOAS_CHECK.)
 * @nest_parent_geometry: the geometry a nest-parent domain for @dev would
 *                        have, without allocating one; 0 or an errno
 * @hw_info: IOMMU_GET_HW_INFO's data for @dev, as &struct iommu_ops.hw_info
 *           gives it: @type is the requested type (DEFAULT for the
 *           driver's own) and the answered one; kmalloc'd data of @length
 *           bytes, or an ERR_PTR (-EOPNOTSUPP for a type it does not have)
 * @viommu_supported: whether @dev's IOMMU can have vIOMMUs: 0, or
 *                    -EOPNOTSUPP (logged with the reason)
 * @viommu_alloc: a vIOMMU over @parent (a nest-parent domain the front end
 *                allocated for @dev): the driver's handle, or an ERR_PTR
 *                (-EINVAL for a parent that is no nest parent of @dev's
 *                IOMMU, -EOPNOTSUPP for an IOMMU that cannot nest safely)
 * @viommu_free: frees a vIOMMU with no vDEVICE and no nested domain left
 * @vdevice_alloc: names @dev @virt_id in a vIOMMU; @token is what
 *                 @vdevice_free takes back. 0; -EEXIST for a virtual id or
 *                 a device named already, -EINVAL for a device of another
 *                 IOMMU or an id the IOMMU cannot carry, -EOPNOTSUPP for a
 *                 device the driver cannot name (several stream ids)
 * @vdevice_free: forgets a virtual id, even after the device left its IOMMU
 *                or @device_leave_user forgot it
 * @device_leave_user: @dev left the file that held it (its iommufd_rs
 *                     driver was unbound under the file): forget every
 *                     virtual id it has in any vIOMMU and report none of
 *                     its events to a guest, so that its next user finds
 *                     nothing of this one's; its later @vdevice_free calls
 *                     do nothing
 * @domain_alloc_nested: a nested domain on a vIOMMU for @dev from the
 *                       user's data (copied with
 *                       iommu_copy_struct_from_user()), freed with
 *                       iommu_domain_free(); or an ERR_PTR (-EOPNOTSUPP for
 *                       flags, -EINVAL for a device of another IOMMU or
 *                       bad data type or length, -EFAULT, -EIO for data
 *                       the driver refuses)
 * @cache_invalidate: carries out @n guest invalidation commands of a vIOMMU
 *                    (struct iommu_viommu_arm_smmuv3_invalidate, in host
 *                    byte order) in order; @done is how many were. 0, or
 *                    -EIO for the command at @done, which was refused
 * @nested_msi_window: places a nested domain's MSI doorbells before its
 *                     MSI cookie is made at @giova: the cookie's slot k
 *                     (a doorbell at @giova + k * PAGE_SIZE in the guest's
 *                     stage-1 input) is mapped at @ipa + k * PAGE_SIZE of
 *                     the parent's stage 2, inside [@ipa, @ipa + @size)
 * @viommu_set_event_queue: where a vIOMMU reports the events a guest gets
 *                          (iommufd_rs_vevent_report()), or NULL for
 *                          nowhere; 0, or -EEXIST if it has a queue
 *                          already. Once cleared, no report is in flight.
 * @node: on the registry's list (the registry's own)
 */
struct iommufd_rs_provider {
	struct module *owner;
	const struct iommu_ops *iommu_ops;
	int (*domain_translate)(struct iommu_domain *domain, u64 iova, u64 *pa,
				u64 *leaf_size);
	int (*domain_for_each_leaf)(struct iommu_domain *domain,
				    int (*fn)(void *arg, u64 iova, u64 pa, u64 size, u32 prot),
				    void *arg);
	int (*nest_parent_geometry)(struct device *dev, struct iommufd_rs_geometry *geo);
	void *(*hw_info)(struct device *dev, u32 *length, enum iommu_hw_info_type *type);
	int (*viommu_supported)(struct device *dev);
	void *(*viommu_alloc)(struct iommu_domain *parent, struct device *dev);
	void (*viommu_free)(void *viommu);
	int (*vdevice_alloc)(void *viommu, struct device *dev, u64 virt_id, u64 *token);
	void (*vdevice_free)(void *viommu, u64 token);
	void (*device_leave_user)(struct device *dev);
	struct iommu_domain *(*domain_alloc_nested)(void *viommu, struct device *dev, u32 flags,
						   const struct iommu_user_data *user_data);
	int (*cache_invalidate)(void *viommu, const u64 *cmds, u32 n, u32 *done);
	int (*nested_msi_window)(struct iommu_domain *domain, u64 giova, u64 ipa, u64 size);
	int (*viommu_set_event_queue)(void *viommu, struct iommufd_rs_veventq *q);
	struct list_head node;
};

/* vEVENTQs (veventq.c): drivers report into them, the front end owns them. */
int iommufd_rs_vevent_report(struct iommufd_rs_veventq *q, const void *data, size_t len);
struct iommufd_rs_veventq *iommufd_rs_veventq_alloc(u32 depth, int *fd);
void iommufd_rs_veventq_install(struct iommufd_rs_veventq *q, int fd);
void iommufd_rs_veventq_abort(struct iommufd_rs_veventq *q, int fd);
void iommufd_rs_veventq_put(struct iommufd_rs_veventq *q);

int iommufd_rs_provider_register(struct iommufd_rs_provider *p);
void iommufd_rs_provider_unregister(struct iommufd_rs_provider *p);
const struct iommufd_rs_provider *iommufd_rs_provider_get(const struct iommu_ops *ops);
void iommufd_rs_provider_put(const struct iommufd_rs_provider *p);

#endif
