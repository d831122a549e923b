/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The guest's side of nesting on smmu_rs, for nested_test and the nested
 * demo: guest memory holding a context descriptor and 4 KiB-granule
 * stage-1 tables at IPAs (IOVAs of the IOAS it is mapped into), vSTE and
 * command encodings, and wrappers for IOMMU_VIOMMU_ALLOC,
 * IOMMU_VDEVICE_ALLOC, nested IOMMU_HWPT_ALLOC, IOMMU_HWPT_INVALIDATE and
 * IOMMU_VEVENTQ_ALLOC. Encodings follow IHI 0070 (SMMUv3 CD, STE, commands,
 * event records) and VMSAv8-64 (stage-1 descriptors).
 */
#ifndef NESTED_UTIL_H
#define NESTED_UTIL_H

#include "edu_util.h"

/* Guest memory: one buffer, mapped into the IOAS at IPA_BASE. */
#define IPA_BASE 0x1000000ULL
#define MEM_PAGES 16
#define CD_PAGE 0
#define L1_PAGE 1
#define L2_PAGE 2
#define L3_PAGE 3
#define DATA_PAGE 4	/* what gIOVA G maps to at first */
#define DATA2_PAGE 5	/* a second target */
#define EDU_SRC_PAGE 6	/* what load_edu_buffer() DMAs into edu */
#define L1B_PAGE 7	/* a second table tree: G -> DATA2 */
#define L2B_PAGE 8
#define L3B_PAGE 9
#define L3_MSI_PAGE 10	/* the window W, 1:1 */
#define L3_GMSI_PAGE 11	/* gIOVA GMSI -> W */
#define L3_MOVED_PAGE 12	/* the moved window, 1:1 */

/* The SW_MSI window: the driver's (smmu_rs: MSI_IOVA_BASE), a moved one,
 * and the gIOVA at which the translated flow's stage 1 maps the window. */
#define MSI_WINDOW 0x8000000ULL
#define MOVED_WINDOW 0x10000000ULL
#define GMSI 0x5000000ULL
#define IPA(page) (IPA_BASE + (page) * PAGE)

/* The guest's I/O virtual addresses (39-bit stage-1 input, start level 1). */
#define GIOVA 0x4000000ULL
#define GIOVA_UNMAPPED 0x4200000ULL
#define GIOVA_NO_IPA (GIOVA + 0x1000)	/* stage 1 maps it to an IPA outside the IOAS */
#define IPA_OUTSIDE 0x30000000ULL
#define ASID 5
#define VSID 0x99

/* Stage-1 descriptors (VMSAv8-64, 4 KiB granule). */
#define S1_TABLE 3ULL
#define S1_PAGE (3ULL | (1ULL << 10) /* AF */ | (3ULL << 8) /* inner shareable */)

/* The CD (arm-smmu-v3.h CTXDESC_CD_0_*): T0SZ 25, walks WBWA inner
 * shareable, TTB1 walks off, valid, 44-bit IPS, AArch64, faults recorded,
 * A (required), ASET, and the ASID. */
#define CD0 (25ULL | (1ULL << 8) | (1ULL << 10) | (3ULL << 12) | (1ULL << 30) | (1ULL << 31) | \
	     (4ULL << 32) | (1ULL << 41) | (1ULL << 45) | (1ULL << 46) | (1ULL << 47) |   \
	     ((__u64)ASID << 48))

/* vSTE (STRTAB_STE_*): V, Config, and CD walks WBRA inner shareable. */
#define STE0_V 1ULL
#define STE0_CFG(c) ((__u64)(c) << 1)
#define CFG_ABORT 0
#define CFG_BYPASS 4
#define CFG_S1 5
#define STE1_WALKS ((1ULL << 2) | (1ULL << 4) | (3ULL << 6))


/* Whether smmu_rs is loaded with assume_canwbs (nesting allowed on QEMU). */
static inline int coherency_asserted(void)
{
	char v[8] = "";

	return read_text("/sys/module/smmu_rs/parameters/assume_canwbs", v, sizeof(v)) > 0 &&
	       v[0] == 'Y';
}

/* Whether nesting is to be had for @e: behind smmu_rs, loaded with
 * assume_canwbs. */
static inline int nesting_available(const struct edu *e)
{
	return behind_smmu_rs(e) && coherency_asserted();
}

static inline int viommu_alloc(int fd, __u32 dev, __u32 hwpt, __u32 type, __u32 *id)
{
	struct iommu_viommu_alloc c = { .size = sizeof(c), .type = type, .dev_id = dev,
					.hwpt_id = hwpt };
	int rc = xioctl(fd, IOMMU_VIOMMU_ALLOC, &c);

	if (!rc && id)
		*id = c.out_viommu_id;
	return rc;
}

static inline int vdevice_alloc(int fd, __u32 viommu, __u32 dev, __u64 virt_id, __u32 *id)
{
	struct iommu_vdevice_alloc c = { .size = sizeof(c), .viommu_id = viommu, .dev_id = dev,
					 .virt_id = virt_id };
	int rc = xioctl(fd, IOMMU_VDEVICE_ALLOC, &c);

	if (!rc && id)
		*id = c.out_vdevice_id;
	return rc;
}

/* IOMMU_HWPT_ALLOC on a vIOMMU with @len bytes of vSTE at @ste. */
static inline int nested_alloc_raw(int fd, __u32 dev, __u32 viommu, __u32 flags, __u32 type,
			    const void *ste, __u32 len, __u32 *id)
{
	struct iommu_hwpt_alloc c = { .size = sizeof(c), .flags = flags, .dev_id = dev,
				      .pt_id = viommu, .data_type = type, .data_len = len,
				      .data_uptr = (__u64)(uintptr_t)ste };
	int rc = xioctl(fd, IOMMU_HWPT_ALLOC, &c);

	if (!rc && id)
		*id = c.out_hwpt_id;
	return rc;
}

static inline int nested_alloc(int fd, __u32 dev, __u32 viommu, __u64 ste0, __u64 ste1, __u32 *id)
{
	struct iommu_hwpt_arm_smmuv3 d = { .ste = { ste0, ste1 } };

	return nested_alloc_raw(fd, dev, viommu, 0, IOMMU_HWPT_DATA_ARM_SMMUV3, &d, sizeof(d), id);
}

/* The guest's stage 1: G -> DATA_PAGE, through L1/L2/L3 tables in @mem. */
static inline void build_stage1(__u64 *mem)
{
	__u64 *cd = mem + CD_PAGE * PAGE / 8;
	__u64 *l1 = mem + L1_PAGE * PAGE / 8;
	__u64 *l2 = mem + L2_PAGE * PAGE / 8;
	__u64 *l3 = mem + L3_PAGE * PAGE / 8;

	memset(mem, 0, MEM_PAGES * PAGE);
	cd[0] = CD0;
	cd[1] = IPA(L1_PAGE);
	cd[3] = 0xff;	/* MAIR: attribute 0 is Normal write-back */
	l1[(GIOVA >> 30) & 511] = IPA(L2_PAGE) | S1_TABLE;
	l2[(GIOVA >> 21) & 511] = IPA(L3_PAGE) | S1_TABLE;
	l3[(GIOVA >> 12) & 511] = IPA(DATA_PAGE) | S1_PAGE;
	l3[(GIOVA_NO_IPA >> 12) & 511] = IPA_OUTSIDE | S1_PAGE;
	/* The second tree, which a CD change switches to. */
	l1 = mem + L1B_PAGE * PAGE / 8;
	l2 = mem + L2B_PAGE * PAGE / 8;
	l3 = mem + L3B_PAGE * PAGE / 8;
	l1[(GIOVA >> 30) & 511] = IPA(L2B_PAGE) | S1_TABLE;
	l2[(GIOVA >> 21) & 511] = IPA(L3B_PAGE) | S1_TABLE;
	l3[(GIOVA >> 12) & 511] = IPA(DATA2_PAGE) | S1_PAGE;
	/* The doorbell windows, in the first tree: W 1:1, GMSI -> W, and the
	 * moved window 1:1. */
	l2 = mem + L2_PAGE * PAGE / 8;
	l2[(MSI_WINDOW >> 21) & 511] = IPA(L3_MSI_PAGE) | S1_TABLE;
	mem[L3_MSI_PAGE * PAGE / 8] = MSI_WINDOW | S1_PAGE;
	l2[(GMSI >> 21) & 511] = IPA(L3_GMSI_PAGE) | S1_TABLE;
	mem[L3_GMSI_PAGE * PAGE / 8] = MSI_WINDOW | S1_PAGE;
	l2[(MOVED_WINDOW >> 21) & 511] = IPA(L3_MOVED_PAGE) | S1_TABLE;
	mem[L3_MOVED_PAGE * PAGE / 8] = MOVED_WINDOW | S1_PAGE;
}

/* IOMMU_HWPT_INVALIDATE with @num commands of @len bytes at @cmds;
 * @num is updated with entry_num. */
static inline int invalidate_raw(int fd, __u32 id, __u32 type, const void *cmds, __u32 len,
			  __u32 *num)
{
	struct iommu_hwpt_invalidate c = { .size = sizeof(c), .hwpt_id = id,
					   .data_uptr = (__u64)(uintptr_t)cmds, .data_type = type,
					   .entry_len = len, .entry_num = *num };
	int rc = xioctl(fd, IOMMU_HWPT_INVALIDATE, &c);

	*num = c.entry_num;
	return rc;
}

static inline int invalidate(int fd, __u32 viommu, const struct iommu_viommu_arm_smmuv3_invalidate *cmds,
		      __u32 *num)
{
	return invalidate_raw(fd, viommu, IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3, cmds,
			      sizeof(*cmds), num);
}

/* Guest commands (SMMUv3 §4). */
#define CMD_CFGI_CD(vsid) { 0x05 | ((__u64)(vsid) << 32), 1 }
#define CMD_TLBI_NH_ASID(asid) { 0x11 | ((__u64)(asid) << 48), 0 }
#define CMD_TLBI_NH_VA(asid, va) { 0x12 | ((__u64)(asid) << 48), ((va) & ~0xfffULL) | 1 }
#define CMD_TLBI_NH_ALL { 0x10, 0 }

static inline int veventq_alloc(int fd, __u32 viommu, __u32 type, __u32 depth, __u32 *id, int *qfd)
{
	struct iommu_veventq_alloc c = { .size = sizeof(c), .viommu_id = viommu, .type = type,
					 .veventq_depth = depth };
	int rc = xioctl(fd, IOMMU_VEVENTQ_ALLOC, &c);

	if (!rc) {
		if (id)
			*id = c.out_veventq_id;
		*qfd = c.out_veventq_fd;
	}
	return rc;
}

/* One vEVENT as read: header and record (or a LOST_EVENTS header alone). */
struct vevent {
	struct iommufd_vevent_header hdr;
	struct iommu_vevent_arm_smmuv3 rec;
};

/* Reads whatever is queued into @ev (up to @max); returns how many entries,
 * or -errno. */
static inline int read_vevents(int qfd, struct vevent *ev, int max)
{
	__u8 buf[64 * sizeof(struct vevent)];
	ssize_t n = read(qfd, buf, max * sizeof(*ev) < sizeof(buf) ? max * sizeof(*ev) :
				   sizeof(buf));
	size_t at = 0;
	int k = 0;

	if (n < 0)
		return -errno;
	while (at < (size_t)n && k < max) {
		memcpy(&ev[k].hdr, buf + at, sizeof(ev[k].hdr));
		at += sizeof(ev[k].hdr);
		if (!(ev[k].hdr.flags & IOMMU_VEVENTQ_FLAG_LOST_EVENTS)) {
			memcpy(&ev[k].rec, buf + at, sizeof(ev[k].rec));
			at += sizeof(ev[k].rec);
		}
		k++;
	}
	return k;
}

#define EVT_ID(r) ((r).evt[0] & 0xff)
#define EVT_SID(r) ((r).evt[0] >> 32)
#define EVT_S2(r) (((r).evt[1] >> 39) & 1)


#endif
