// SPDX-License-Identifier: GPL-2.0
/*
 * IOMMU domains for bound devices, through the kernel IOMMU core API only,
 * so this works over any IOMMU driver: paging (and nest-parent) domains
 * from the device's own driver, attach and detach of the device's group
 * (whose DMA ownership the file holds), and mapping the pinned pages of IOAS
 * areas.
 *
 * Pages are mapped in runs of physically contiguous pages, one iommu_map()
 * per run, so the driver can use the largest blocks the run's alignment
 * allows (2 MiB, 1 GiB). iommu_unmap() returns only after the IOTLB is
 * invalidated, so callers may unpin right after it.
 */
#include <linux/iommu.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/slab.h>

#include "domain.h"
#include "fault.h"
#include "pci_driver.h"

/* The layouts Rust mirrors (pci.rs ResvRegion, domain.rs Geometry), which
 * assert the same offsets there. */
static_assert(sizeof(struct iommufd_rs_resv) == 24);
static_assert(offsetof(struct iommufd_rs_resv, start) == 0);
static_assert(offsetof(struct iommufd_rs_resv, last) == 8);
static_assert(offsetof(struct iommufd_rs_resv, type) == 16);
static_assert(offsetof(struct iommufd_rs_resv, pad) == 20);
static_assert(sizeof(struct iommufd_rs_geometry) == 24);
static_assert(offsetof(struct iommufd_rs_geometry, aperture_start) == 0);
static_assert(offsetof(struct iommufd_rs_geometry, aperture_end) == 8);
static_assert(offsetof(struct iommufd_rs_geometry, pgsize_bitmap) == 16);

/**
 * iommufd_rs_domain_alloc() - a paging domain for a device
 * @d: a bound device
 * @flags: IOMMU_HWPT_ALLOC_* (e.g. NEST_PARENT), as for
 *         iommu_paging_domain_alloc_flags()
 * @geo: filled with the aperture and page sizes
 * @err: the error when NULL is returned
 *
 * Return: the domain, or NULL with @err set (-ENODEV if the device is gone,
 * -EOPNOTSUPP or another error of the driver).
 */
struct iommu_domain *iommufd_rs_domain_alloc(struct iommufd_rs_pci *d, u32 flags,
					     struct iommufd_rs_geometry *geo, int *err)
{
	struct iommu_domain *dom;

	*err = iommufd_rs_pci_get_live(d);
	if (*err)
		return NULL;
	dom = iommu_paging_domain_alloc_flags(&d->pdev->dev, flags);
	iommufd_rs_pci_put_live(d);
	if (IS_ERR(dom)) {
		*err = PTR_ERR(dom);
		return NULL;
	}
	/*
	 * The domain's ops live in its IOMMU driver's module, and the file may
	 * free the domain after that IOMMU was unbound (the core pins the
	 * module only per probed device): pin it for the domain's life.
	 */
	if (!try_module_get(dom->owner->owner)) {
		iommu_domain_free(dom);
		*err = -ENODEV;
		return NULL;
	}
	geo->aperture_start = dom->geometry.aperture_start;
	geo->aperture_end = dom->geometry.aperture_end;
	geo->pgsize_bitmap = dom->pgsize_bitmap;
	return dom;
}

/**
 * iommufd_rs_domain_free() - free a domain no group is attached to, and
 * unpin its driver's module
 * @dom: from iommufd_rs_domain_alloc()
 *
 * A domain a group is still on (a bookkeeping bug) is left allocated, with
 * a warning: freeing it would leave the group's devices translating
 * through freed tables, and the core's next domain change would read it.
 */
void iommufd_rs_domain_free(struct iommu_domain *dom)
{
	struct module *owner = dom->owner->owner;

	if (WARN_ON(iommufd_rs_pci_domain_in_use(dom)))
		return;
	iommu_domain_free(dom);
	module_put(owner);
}

/**
 * iommufd_rs_domain_attach() - attach a bound device to a domain: its
 * group, unless the group is already on the domain for another function of
 * the same file
 * @dom: the domain
 * @d: the device (the file holds it, and its group's other functions)
 *
 * Return: 0, -ENODEV if the device left the driver, -EINVAL if its group is
 * attached to another domain (for another function), or the core's error
 * (-EINVAL for a domain the device cannot use).
 */
int iommufd_rs_domain_attach(struct iommu_domain *dom, struct iommufd_rs_pci *d)
{
	int rc = iommufd_rs_pci_get_live(d);

	if (rc)
		return rc;
	rc = iommufd_rs_pci_attach(d, dom);
	iommufd_rs_pci_put_live(d);
	return rc;
}

/**
 * iommufd_rs_domain_detach() - detach a device; its group goes back to
 * the core's blocking domain with the last function of it attached
 * @dom: the domain it is attached to
 * @d: the device
 */
void iommufd_rs_domain_detach(struct iommu_domain *dom, struct iommufd_rs_pci *d)
{
	/* remove() took the function out of its group's attachment already. */
	if (iommufd_rs_pci_get_live(d))
		return;
	iommufd_rs_pci_detach(d, dom);
	iommufd_rs_pci_put_live(d);
}

/*
 * The IOVA pages an area of @length bytes at @iova takes in a domain: from
 * the page holding its first byte to the one holding its last. Map and
 * unmap of an area both work on this span, so an unmap removes exactly the
 * pages the map of the same area put there.
 */
struct iova_span {
	u64 base;	/* first IOVA, page-aligned */
	u64 size;	/* bytes, whole pages */
};

static struct iova_span iova_span(u64 iova, u64 length)
{
	u64 base = iova & PAGE_MASK;

	/* Modulo 2^64: an area ending at the top of the space gives end 0. */
	return (struct iova_span){ .base = base, .size = PAGE_ALIGN(iova + length) - base };
}

/*
 * Unmaps a span (whole pages) from @dom; the IOTLB is clean when this
 * returns. Returns whether the driver unmapped all of it. A driver that
 * unmaps less (upstream's iommu_unmap_nofail() WARNs there) leaves part of
 * it mapped: the caller must keep the pages behind it pinned as long as the
 * domain may map them, since a device may still reach them. Logged
 * ratelimited; a WARN only when a driver did it, not the fail_unmap fault
 * point standing in for one (a fault-injection run must not WARN).
 */
static bool unmap_span(struct iommu_domain *dom, u64 base, u64 size)
{
	bool injected = should_fail(&iommufd_rs_fail_unmap, size >> PAGE_SHIFT);
	size_t unmapped = injected ? 0 : iommu_unmap(dom, base, size);

	if (likely(unmapped == size))
		return true;
	pr_err_ratelimited("iommufd_rs: IOMMU domain unmapped %zu of %llu bytes at IOVA %#llx; their pages stay pinned\n",
			   unmapped, size, base);
	WARN_ON_ONCE(!injected);
	return false;
}

/**
 * iommufd_rs_domain_map_run() - map one run of physically contiguous pages
 * of an area (src/domain.rs maps an area run by run, with the pages from
 * Pages::for_each_run())
 * @dom: the domain
 * @iova: page-aligned IOVA of the first page
 * @phys: physical address of the first page
 * @size: bytes, whole pages
 * @readable: map for device reads (IOMMU_IOAS_MAP_READABLE)
 * @writable: map for device writes (IOMMU_IOAS_MAP_WRITEABLE)
 *
 * One iommu_map() per run, so the driver can use the largest blocks the
 * run's alignment allows. As upstream, IOMMU_READ only for a readable map:
 * a WRITEABLE-only map is write-only where the page table can say so
 * (stage 2; a stage-1 table maps it read-write).
 *
 * Return: 0, or the driver's error (or the fail_map fault point's -ENOMEM)
 * with nothing of the run mapped.
 */
int iommufd_rs_domain_map_run(struct iommu_domain *dom, u64 iova, u64 phys, u64 size,
			      bool readable, bool writable)
{
	int prot = IOMMU_CACHE | (readable ? IOMMU_READ : 0) | (writable ? IOMMU_WRITE : 0);

	if (should_fail(&iommufd_rs_fail_map, size >> PAGE_SHIFT))
		return -ENOMEM;
	return iommu_map(dom, iova, phys, size, prot, GFP_KERNEL_ACCOUNT);
}

/**
 * iommufd_rs_domain_unmap() - unmap what Domain::map() (src/domain.rs)
 * mapped; the IOTLB is invalidated when this returns
 * @dom: the domain
 * @iova: as given to the map
 * @length: as given to the map
 *
 * Return: true if all of it was unmapped; false if the driver unmapped
 * less (logged, see unmap_span()): part of it may still be mapped, and the
 * caller must keep its pages pinned.
 */
bool iommufd_rs_domain_unmap(struct iommu_domain *dom, u64 iova, u64 length)
{
	struct iova_span span = iova_span(iova, length);

	return unmap_span(dom, span.base, span.size);
}

/**
 * iommufd_rs_pci_resv_regions() - a device's reserved regions
 * @d: the device
 * @out: filled with up to @max regions
 * @max: capacity of @out
 * @count: the total number of regions
 *
 * Return: 0, or -ENODEV if the device left the driver.
 */
int iommufd_rs_pci_resv_regions(struct iommufd_rs_pci *d, struct iommufd_rs_resv *out,
				u32 max, u32 *count)
{
	struct iommu_resv_region *r;
	LIST_HEAD(list);
	u32 n = 0;
	int rc = iommufd_rs_pci_get_live(d);

	if (rc)
		return rc;
	iommu_get_resv_regions(&d->pdev->dev, &list);
	list_for_each_entry(r, &list, list) {
		if (n < max) {
			out[n].start = r->start;
			out[n].last = r->start + r->length - 1;
			out[n].type = r->type;
			out[n].pad = 0;
		}
		n++;
	}
	iommu_put_resv_regions(&d->pdev->dev, &list);
	iommufd_rs_pci_put_live(d);
	*count = n;
	return 0;
}

/**
 * iommufd_rs_domain_msi_cookie() - place MSI doorbells of a domain's
 * devices at @base (the SW_MSI window in force)
 * @dom: a paging domain, before any device using MSI is attached
 * @base: the window's first IOVA
 *
 * Without a cookie, MSI vector allocation for devices in the domain fails
 * with -EOPNOTSUPP (iommu_dma_prepare_msi()).
 *
 * Return: 0 or the core's error.
 */
int iommufd_rs_domain_msi_cookie(struct iommu_domain *dom, u64 base)
{
	return iommu_get_msi_cookie(dom, base);
}
