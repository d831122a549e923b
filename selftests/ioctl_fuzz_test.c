// SPDX-License-Identifier: GPL-2.0
/*
 * An in-guest fuzzer for this module's UAPI, after syzkaller's descriptions
 * of iommufd: a seeded PRNG builds programs of random commands over a table
 * of live and dead ids by kind, with struct sizes exact, short, long with a
 * zero or non-zero tail, or unreadable; flags from the known set with
 * occasional garbage; user addresses from a pool (anonymous, hugetlb,
 * read-only, PROT_NONE, unmapped; a memfd and a hugetlbfs memfd); lengths
 * and IOVAs at the edges. Two threads run each program on one file; now
 * and then a child forks with the file, a mapped buffer is unmapped, or the
 * function is unbound from the driver mid-program (IOAS_CHANGE_PROCESS
 * then moves the pages' VmPin to the child). Every answer must be one the UAPI reference allows
 * for that command. After every program, before the file is closed, every
 * IOAS it still has must pass the isolation check (IOMMU_TEST_IOAS_CHECK:
 * each domain translates exactly its areas, plus doorbells), probing every
 * IOVA range any MAP, MAP_FILE or COPY of the program named, a page either
 * side; then the file is closed and nothing may
 * be left (VmPin, the FOLL_PIN count, smmu_rs's domains, table pages, vIOMMUs, nested
 * domains). Each program is logged with its seed before it runs, so a
 * failure reproduces with FUZZ_SEED=<seed> FUZZ_PROGRAMS=1.
 *
 * Beyond single commands, the programs try what issue 21 found missing:
 * user addresses, MAP_FILE starts and COPY sources that are not page
 * aligned, at fixed and automatic IOVAs; maps followed by an attach; COPY
 * from an IOAS without a device (byte alignment) into one with a device;
 * ALLOW_IOVAS, IOVA_RANGES and GET_RESV_REGIONS counts up to 2^32 - 1; and
 * an administrator's unbind (and rebind) of one function of an IOMMU group
 * that another function shares, when the rig has two edu functions in one
 * group (skipped, and counted as skipped, when it has not).
 *
 * FUZZ_PROGRAMS (default 60) and FUZZ_SEED (default fixed) tune a run.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>

#include "kselftest_harness.h"
#include "nested_util.h"

#define CALLS_PER_THREAD 40
#define HUGE_2M (2UL << 20)
#define IDS 16
/* IOVA ranges the isolation check probes after a program; each at most
 * PROBE_MAX_LEN long (the kernel takes 2^20 probe pages in all). */
#define PROBES 512
#define PROBE_MAX_LEN (4UL << 20)
/* Object ids the check tries after a program (ids are the lowest free). */
#define CHECK_IDS 256

/*
 * What the program's commands touched, shared with the forked child
 * (MAP_SHARED): the IOVA ranges to probe, and recent areas to copy from.
 */
struct record {
	atomic_int nprobes;
	struct iommu_iova_range probes[PROBES];
	atomic_int nmapped;
	struct { __u64 iova, len; } mapped[64];
};

enum kind { K_IOAS, K_HWPT, K_DEV, K_VIOMMU, K_VDEV, K_VEVENTQ, K_KINDS };

struct fuzz {
	pthread_mutex_t lock;	/* the id table */
	__u32 ids[K_KINDS][IDS];
	int nids[K_KINDS];
	int fd;
	int node;
	int memfd;
	int hugefd;	/* a hugetlbfs memfd of one 2 MiB page, or -1 */
	int efd;
	void *anon, *ro, *none, *gone;
	void *huge;	/* one 2 MiB hugetlb page, or NULL */
	__u64 *mem;
	struct edu *e;
	struct record *rec;
	/* Two functions of one IOMMU group, and their nodes, or none. */
	int has_pair;
	struct edu pair[2];
	int pair_node[2];
	atomic_long pair_unbinds, pair_skipped;
	atomic_long calls, unexpected;
	atomic_long errnos[0x80][140];	/* command nr - 0x80, errno: answers */
};

/* The commands, by number. */
enum cmd {
	C_DESTROY = 0x80, C_IOAS_ALLOC = 0x81, C_ALLOW = 0x82, C_COPY = 0x83, C_RANGES = 0x84,
	C_MAP = 0x85, C_UNMAP = 0x86, C_OPTION = 0x87, C_HWPT_ALLOC = 0x89, C_HW_INFO = 0x8a,
	C_INVALIDATE = 0x8d, C_MAP_FILE = 0x8f, C_VIOMMU = 0x90, C_VDEVICE = 0x91,
	C_CHANGE_PROCESS = 0x92, C_VEVENTQ = 0x93, C_BIND = 0xc0, C_ATTACH = 0xc1, C_DETACH = 0xc2, C_RESV = 0xc3,
	C_IRQS = 0xc4, C_TRANSLATE = 0xd0,
};

static __u64 next(__u64 *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static unsigned int pick(__u64 *s, unsigned int n)
{
	return next(s) % n;
}

/* An id of @k: mostly a live one, sometimes 0, a dead one or garbage. */
static __u32 id_of(struct fuzz *f, __u64 *s, enum kind k)
{
	unsigned int r = pick(s, 16);
	__u32 id = 0;

	if (r == 0)
		return 0;
	if (r == 1)
		return next(s);
	if (r == 2)
		return pick(s, 64);
	pthread_mutex_lock(&f->lock);
	if (f->nids[k])
		id = f->ids[k][pick(s, f->nids[k])];
	pthread_mutex_unlock(&f->lock);
	return id;
}

static void add_id(struct fuzz *f, __u64 *s, enum kind k, __u32 id)
{
	pthread_mutex_lock(&f->lock);
	if (f->nids[k] < IDS)
		f->ids[k][f->nids[k]++] = id;
	else
		f->ids[k][pick(s, IDS)] = id;
	pthread_mutex_unlock(&f->lock);
}

/* A user address: mostly good memory, sometimes not. */
static void *addr_of(struct fuzz *f, __u64 *s, size_t *len)
{
	switch (pick(s, 10)) {
	case 0:
		*len = PAGE;
		return f->ro;
	case 1:
		*len = PAGE;
		return f->none;
	case 2:
		*len = PAGE;
		return f->gone;
	case 3:
		*len = PAGE;
		return NULL;
	case 4:
		if (f->huge) {
			*len = pick(s, 2) ? HUGE_2M : PAGE * (1 + pick(s, 512));
			return f->huge;
		}
		/* fall through */
	default:
		*len = (1 + pick(s, 8)) * PAGE;
		return f->anon;
	}
}

/* An IOVA or length at the edges, or an ordinary one. */
static __u64 edge(__u64 *s)
{
	static const __u64 edges[] = { 0, 1, PAGE - 1, PAGE, 0x100000, 0x8000000, 1ULL << 32,
				       (1ULL << 44) - PAGE, 1ULL << 48, ~0ULL, ~0ULL - PAGE + 1 };

	return pick(s, 3) ? PAGE * (1 + pick(s, 1024)) : edges[pick(s, ARRAY_SIZE(edges))];
}

/* A byte offset that breaks page alignment. */
static __u64 unaligned(__u64 *s)
{
	static const __u64 offs[] = { 0x800, 1, PAGE - 1, 0x10 };

	return offs[pick(s, ARRAY_SIZE(offs))];
}

/* Probe [iova, iova + len) after the program, a page either side. */
static void note_probe(struct fuzz *f, __u64 iova, __u64 len)
{
	struct iommu_iova_range r;
	__u64 last;
	int i;

	if (!len)
		return;
	if (len > PROBE_MAX_LEN)
		len = PROBE_MAX_LEN;
	r.start = iova & ~(PAGE - 1);
	r.start = r.start >= PAGE ? r.start - PAGE : 0;
	last = iova + len - 1 < iova ? ~0ULL : iova + len - 1;
	r.last = (last | (PAGE - 1)) + PAGE < last ? ~0ULL : (last | (PAGE - 1)) + PAGE;
	i = atomic_fetch_add(&f->rec->nprobes, 1);
	if (i < PROBES)
		f->rec->probes[i] = r;
}

/* A new area at @iova, a source for later copies. */
static void note_mapped(struct fuzz *f, __u64 iova, __u64 len)
{
	int i = atomic_fetch_add(&f->rec->nmapped, 1) % 64;

	f->rec->mapped[i].iova = iova;
	f->rec->mapped[i].len = len;
}

/* A function's node: the fuzzed one, or one of the shared group's. */
static int node_of(struct fuzz *f, __u64 *s)
{
	if (f->has_pair && pick(s, 3) == 0)
		return f->pair_node[pick(s, 2)];
	return f->node;
}

/*
 * Issues command @nr with @arg of @size bytes, the struct's size being
 * @want: the size field says @size, and the buffer is @size long, or is
 * followed by non-zero bytes, or cannot be read. Returns the errno.
 */
static int issue(struct fuzz *f, __u64 *s, unsigned int nr, void *arg, __u32 want)
{
	__u8 buf[256] = { 0 };
	__u32 size = want;
	void *p = buf;
	int rc;

	switch (pick(s, 12)) {
	case 0:
		size = want / 2;	/* short: -EINVAL below the minimum */
		break;
	case 1:
		size = want + 8;	/* long with a zero tail: fine */
		break;
	case 2:
		size = want + 8;	/* long with a non-zero tail: -E2BIG */
		buf[want + 3] = 1;
		break;
	case 3:
		p = f->gone;		/* unreadable: -EFAULT */
		break;
	}
	if (p == buf) {
		memcpy(buf, arg, want);
		memcpy(buf, &size, 4);
	}
	rc = ioctl(f->fd, _IO(IOMMUFD_TYPE, nr), p) ? errno : 0;
	if (p == buf)
		memcpy(arg, buf, want);
	atomic_fetch_add(&f->calls, 1);
	return rc;
}

/* The errnos the UAPI reference allows, per command (beyond the size and
 * pointer rules: EINVAL, E2BIG, EFAULT; a closed file: EBADF; a function
 * that left the driver: ENODEV). */
static int allowed(unsigned int nr, int rc)
{
	static const int common[] = { EINVAL, E2BIG, EFAULT, EBADF, ENODEV, ENOENT,
				      EOPNOTSUPP, ENOMEM };
	static const struct { unsigned int nr; int e[8]; } extra[] = {
		{ C_DESTROY, { EBUSY } },
		{ C_ALLOW, { EBUSY, EOVERFLOW, EADDRINUSE } },
		{ C_COPY, { EEXIST, ENOSPC, EOVERFLOW, EPERM } },
		{ C_RANGES, { EMSGSIZE } },
		{ C_MAP, { EEXIST, ENOSPC, EOVERFLOW, EPERM } },
		{ C_MAP_FILE, { EEXIST, ENOSPC, EOVERFLOW, EPERM, EBADF } },
		{ C_UNMAP, { EOVERFLOW } },
		{ C_OPTION, { EBUSY, EPERM, EADDRINUSE } },
		{ C_HWPT_ALLOC, { EIO, EBUSY, EADDRINUSE } },
		{ C_INVALIDATE, { EIO } },
		{ C_VDEVICE, { EEXIST } },
		{ C_VEVENTQ, { EEXIST, EMFILE } },
		{ C_BIND, { EBUSY, EPERM } },
		{ C_ATTACH, { EBUSY, EEXIST, ENOSPC, EADDRINUSE } },
		{ C_RESV, { EMSGSIZE } },
		{ C_IRQS, { ENOSPC, EBUSY } },
	};

	if (!rc)
		return 1;
	for (size_t i = 0; i < ARRAY_SIZE(common); i++)
		if (rc == common[i])
			return 1;
	for (size_t i = 0; i < ARRAY_SIZE(extra); i++)
		if (extra[i].nr == nr)
			for (int j = 0; j < 8 && extra[i].e[j]; j++)
				if (rc == extra[i].e[j])
					return 1;
	return 0;
}

static const struct { unsigned int nr; const char *name; } names[] = {
	{ C_DESTROY, "DESTROY" }, { C_IOAS_ALLOC, "IOAS_ALLOC" }, { C_ALLOW, "ALLOW_IOVAS" },
	{ C_COPY, "IOAS_COPY" }, { C_RANGES, "IOVA_RANGES" }, { C_MAP, "IOAS_MAP" },
	{ C_UNMAP, "IOAS_UNMAP" }, { C_OPTION, "OPTION" }, { C_HWPT_ALLOC, "HWPT_ALLOC" },
	{ C_HW_INFO, "GET_HW_INFO" }, { C_INVALIDATE, "HWPT_INVALIDATE" },
	{ C_MAP_FILE, "IOAS_MAP_FILE" }, { C_VIOMMU, "VIOMMU_ALLOC" },
	{ C_VDEVICE, "VDEVICE_ALLOC" }, { C_VEVENTQ, "VEVENTQ_ALLOC" }, { C_BIND, "DEVICE_BIND" },
	{ C_ATTACH, "DEVICE_ATTACH" }, { C_DETACH, "DEVICE_DETACH" },
	{ C_RESV, "GET_RESV_REGIONS" }, { C_IRQS, "SET_IRQS" }, { C_TRANSLATE, "HWPT_TRANSLATE" },
	{ C_CHANGE_PROCESS, "CHANGE_PROCESS" },
};

static void check(struct fuzz *f, unsigned int nr, int rc, __u64 seed)
{
	if (nr - 0x80 < 0x80 && rc >= 0 && rc < 140)
		atomic_fetch_add(&f->errnos[nr - 0x80][rc], 1);
	if (!allowed(nr, rc) && atomic_fetch_add(&f->unexpected, 1) < 10)
		fprintf(stderr, "# unexpected: command 0x%x answered %d (%s), program seed %llu\n",
			nr, rc, strerror(rc), (unsigned long long)seed);
}

/* One random command. */
static void one(struct fuzz *f, __u64 *s, __u64 seed)
{
	size_t len;
	unsigned int nr;
	int rc;

	switch (pick(s, 27)) {
	case 0: {
		struct iommu_ioas_alloc c = { .size = sizeof(c) };

		nr = C_IOAS_ALLOC;
		rc = issue(f, s, nr, &c, sizeof(c));
		if (!rc)
			add_id(f, s, K_IOAS, c.out_ioas_id);
		break;
	}
	case 1:
	case 2: {
		struct iommu_ioas_map c = { .size = sizeof(c), .ioas_id = id_of(f, s, K_IOAS),
					    .flags = pick(s, 8) ? RW | (pick(s, 2) ? FIXED : 0) :
								  next(s) };
		c.user_va = (uintptr_t)addr_of(f, s, &len);
		c.length = pick(s, 8) ? len : edge(s);
		c.iova = edge(s) & ~(PAGE - 1);
		if (pick(s, 3) == 0) {
			/* A user address inside a page; the IOVA's offset the
			 * same, another, or none. */
			__u64 o = unaligned(s);

			c.user_va += o;
			if (c.length > o && pick(s, 2))
				c.length -= o;
			if (pick(s, 2))
				c.iova += pick(s, 2) ? o : unaligned(s);
		}
		nr = C_MAP;
		if (c.flags & IOMMU_IOAS_MAP_FIXED_IOVA)
			note_probe(f, c.iova, c.length);
		rc = issue(f, s, nr, &c, sizeof(c));
		if (!rc) {
			note_probe(f, c.iova, c.length);
			note_mapped(f, c.iova, c.length);
		}
		break;
	}
	case 3: {
		struct iommu_ioas_map_file c = { .size = sizeof(c), .ioas_id = id_of(f, s, K_IOAS),
						 .flags = RW, .start = pick(s, 4) ? 0 : edge(s),
						 .length = PAGE * (1 + pick(s, 4)) };

		c.fd = pick(s, 8) ? f->memfd : -1;
		if (pick(s, 3) == 0) {
			/* A start inside a page of the 4-page memfd. */
			c.start = unaligned(s) + PAGE * pick(s, 2);
			c.length = PAGE * (1 + pick(s, 2));
		}
		if (pick(s, 2)) {
			c.flags |= IOMMU_IOAS_MAP_FIXED_IOVA;
			c.iova = (edge(s) & ~(PAGE - 1)) + (pick(s, 3) ? 0 : c.start & (PAGE - 1));
		}
		if (f->hugefd >= 0 && pick(s, 3) == 0) {
			c.fd = f->hugefd;
			c.length = pick(s, 2) ? HUGE_2M : c.length;
		}
		nr = C_MAP_FILE;
		if (c.flags & IOMMU_IOAS_MAP_FIXED_IOVA)
			note_probe(f, c.iova, c.length);
		rc = issue(f, s, nr, &c, sizeof(c));
		if (!rc) {
			note_probe(f, c.iova, c.length);
			note_mapped(f, c.iova, c.length);
		}
		break;
	}
	case 4: {
		struct iommu_ioas_copy c = { .size = sizeof(c), .flags = RW,
					     .dst_ioas_id = id_of(f, s, K_IOAS),
					     .src_ioas_id = id_of(f, s, K_IOAS),
					     .length = edge(s), .src_iova = edge(s),
					     .dst_iova = edge(s) };
		int n = atomic_load(&f->rec->nmapped);

		if (n && pick(s, 2)) {
			/* From a piece of a recent area, often not page aligned,
			 * to a fixed or automatic IOVA. */
			int i = pick(s, n < 64 ? n : 64);
			__u64 off = pick(s, 3) ? unaligned(s) : PAGE * pick(s, 2);

			c.src_iova = f->rec->mapped[i].iova + off;
			c.length = pick(s, 2) ? PAGE : f->rec->mapped[i].len - off;
			if (pick(s, 2))
				c.flags |= IOMMU_IOAS_MAP_FIXED_IOVA;
			c.dst_iova &= ~(PAGE - 1);
		}
		nr = C_COPY;
		if (c.flags & IOMMU_IOAS_MAP_FIXED_IOVA)
			note_probe(f, c.dst_iova, c.length);
		rc = issue(f, s, nr, &c, sizeof(c));
		if (!rc) {
			note_probe(f, c.dst_iova, c.length);
			note_mapped(f, c.dst_iova, c.length);
		}
		break;
	}
	case 5: {
		struct iommu_ioas_unmap c = { .size = sizeof(c), .ioas_id = id_of(f, s, K_IOAS),
					      .iova = edge(s), .length = edge(s) };
		nr = C_UNMAP;
		rc = issue(f, s, nr, &c, sizeof(c));
		break;
	}
	case 6: {
		static const __u32 counts[] = { 0, 1, 4, 1U << 16, 1U << 27, 0xffffffff };
		struct iommu_iova_range r[64];
		struct iommu_ioas_iova_ranges c = { .size = sizeof(c),
						    .ioas_id = id_of(f, s, K_IOAS),
						    .num_iovas = counts[pick(s, ARRAY_SIZE(counts))],
						    .allowed_iovas = (uintptr_t)r };
		nr = C_RANGES;
		rc = issue(f, s, nr, &c, sizeof(c));
		break;
	}
	case 7: {
		static const __u32 opts[] = { 0, 1, 2, 3, 0x80, 77 };
		struct iommu_option c = { .size = sizeof(c), .option_id = opts[pick(s, 6)],
					  .op = pick(s, 3), .val64 = edge(s) };
		c.object_id = pick(s, 2) ? id_of(f, s, K_IOAS) : id_of(f, s, K_DEV);
		nr = C_OPTION;
		rc = issue(f, s, nr, &c, sizeof(c));
		break;
	}
	case 8: {
		struct iommu_destroy c = { .size = sizeof(c), .id = id_of(f, s, pick(s, K_KINDS)) };

		nr = C_DESTROY;
		rc = issue(f, s, nr, &c, sizeof(c));
		break;
	}
	case 9: {
		struct iommu_device_bind c = { .size = sizeof(c) };

		if (pick(s, 3)) {
			c.flags = IOMMU_DEVICE_BIND_FD;
			c.dev_fd = pick(s, 8) ? node_of(f, s) : f->efd;
		} else {
			c.pci_segment = f->e->seg;
			c.pci_rid = pick(s, 4) ? f->e->rid : next(s);
		}
		nr = C_BIND;
		rc = issue(f, s, nr, &c, sizeof(c));
		if (!rc)
			add_id(f, s, K_DEV, c.out_dev_id);
		break;
	}
	case 10: {
		struct iommu_device_attach c = { .size = sizeof(c), .dev_id = id_of(f, s, K_DEV) };

		c.pt_id = pick(s, 2) ? id_of(f, s, K_IOAS) : id_of(f, s, K_HWPT);
		nr = C_ATTACH;
		rc = issue(f, s, nr, &c, sizeof(c));
		break;
	}
	case 11: {
		struct iommu_device_detach c = { .size = sizeof(c), .dev_id = id_of(f, s, K_DEV) };

		nr = C_DETACH;
		rc = issue(f, s, nr, &c, sizeof(c));
		break;
	}
	case 12: {
		struct iommu_hwpt_arm_smmuv3 d = { .ste = { next(s), next(s) } };
		struct iommu_hwpt_alloc c = { .size = sizeof(c), .dev_id = id_of(f, s, K_DEV) };

		if (pick(s, 2)) {
			c.pt_id = id_of(f, s, K_IOAS);
			c.flags = pick(s, 4) ? pick(s, 2) : next(s);
		} else {
			c.pt_id = id_of(f, s, K_VIOMMU);
			if (pick(s, 2))
				d.ste[0] = STE0_V | STE0_CFG(pick(s, 2) ? CFG_S1 : CFG_BYPASS) |
					   IPA(CD_PAGE);
			d.ste[1] = pick(s, 2) ? STE1_WALKS : d.ste[1];
			c.data_type = IOMMU_HWPT_DATA_ARM_SMMUV3;
			c.data_len = pick(s, 8) ? sizeof(d) : pick(s, 32);
			c.data_uptr = (uintptr_t)&d;
		}
		nr = C_HWPT_ALLOC;
		rc = issue(f, s, nr, &c, sizeof(c));
		if (!rc)
			add_id(f, s, K_HWPT, c.out_hwpt_id);
		break;
	}
	case 13: {
		__u8 data[64];
		struct iommu_hw_info c = { .size = sizeof(c), .dev_id = id_of(f, s, K_DEV),
					   .data_len = pick(s, 65), .data_uptr = (uintptr_t)data };
		nr = C_HW_INFO;
		rc = issue(f, s, nr, &c, sizeof(c));
		break;
	}
	case 14: {
		static const __u32 counts[] = { 0, 1, 4, 1U << 16, 1U << 27, 0xffffffff };
		struct iommu_resv_region r[64];
		struct iommu_device_resv_regions c = { .size = sizeof(c),
						       .dev_id = id_of(f, s, K_DEV),
						       .flags = pick(s, 4) ? pick(s, 2) : next(s),
						       .num_regions = counts[pick(s, ARRAY_SIZE(counts))],
						       .regions_uptr = (uintptr_t)r };
		nr = C_RESV;
		rc = issue(f, s, nr, &c, sizeof(c));
		break;
	}
	case 15: {
		struct iommu_device_set_irqs c = { .size = sizeof(c), .dev_id = id_of(f, s, K_DEV),
						   .nvec = pick(s, 3),
						   .eventfds_uptr = (uintptr_t)&f->efd };
		nr = C_IRQS;
		rc = issue(f, s, nr, &c, sizeof(c));
		break;
	}
	case 16: {
		struct iommu_viommu_alloc c = { .size = sizeof(c), .dev_id = id_of(f, s, K_DEV),
						.hwpt_id = id_of(f, s, K_HWPT),
						.type = pick(s, 4) ? IOMMU_VIOMMU_TYPE_ARM_SMMUV3 :
								     pick(s, 3) };
		nr = C_VIOMMU;
		rc = issue(f, s, nr, &c, sizeof(c));
		if (!rc)
			add_id(f, s, K_VIOMMU, c.out_viommu_id);
		break;
	}
	case 17: {
		struct iommu_vdevice_alloc c = { .size = sizeof(c),
						 .viommu_id = id_of(f, s, K_VIOMMU),
						 .dev_id = id_of(f, s, K_DEV),
						 .virt_id = pick(s, 4) ? pick(s, 4) : next(s) };
		nr = C_VDEVICE;
		rc = issue(f, s, nr, &c, sizeof(c));
		if (!rc)
			add_id(f, s, K_VDEV, c.out_vdevice_id);
		break;
	}
	case 18: {
		__u64 cmds[4][2] = { { next(s) & 0xff, 0 }, { 0x10, 0 }, { next(s), next(s) },
				     { 0x12 | (5ULL << 48), GIOVA | 1 } };
		struct iommu_hwpt_invalidate c = { .size = sizeof(c),
						   .hwpt_id = id_of(f, s, K_VIOMMU),
						   .data_uptr = (uintptr_t)cmds,
						   .data_type = pick(s, 6) ? 1 : pick(s, 3),
						   .entry_len = pick(s, 6) ? 16 : pick(s, 40),
						   .entry_num = pick(s, 5) };
		nr = C_INVALIDATE;
		rc = issue(f, s, nr, &c, sizeof(c));
		break;
	}
	case 19: {
		/* Counts up to 2^32 - 1 over a 3-entry array: the module must
		 * neither allocate for entries it has not read nor warn. */
		static const __u32 counts[] = { 1U << 16, 1U << 20, 1U << 27, 1U << 31,
						0xffffffff };
		struct iommu_iova_range r[3] = { { edge(s), edge(s) }, { 0x100000, 0xffffffff },
						 { edge(s), ~0ULL } };
		struct iommu_ioas_allow_iovas c = { .size = sizeof(c),
						    .ioas_id = id_of(f, s, K_IOAS),
						    .num_iovas = pick(s, 4) ? pick(s, 4) :
								counts[pick(s, ARRAY_SIZE(counts))],
						    .allowed_iovas = (uintptr_t)r };
		nr = C_ALLOW;
		rc = issue(f, s, nr, &c, sizeof(c));
		break;
	}
	case 20: {
		struct iommu_hwpt_translate c = { .size = sizeof(c), .hwpt_id = id_of(f, s, K_HWPT),
						  .iova = pick(s, 2) ? IPA_BASE : edge(s) };
		nr = C_TRANSLATE;
		rc = issue(f, s, nr, &c, sizeof(c));
		break;
	}
	case 22: {
		/* A map (often inside a page) into an IOAS, then an attach to
		 * it: the attach fills the domain with what is there. */
		__u32 ioas = id_of(f, s, K_IOAS);
		__u64 o = pick(s, 2) ? unaligned(s) : 0;
		struct iommu_ioas_map m = { .size = sizeof(m), .ioas_id = ioas, .flags = RW,
					    .user_va = (uintptr_t)f->anon + o,
					    .length = PAGE * (1 + pick(s, 4)) - (pick(s, 2) ? o : 0) };
		struct iommu_device_attach a = { .size = sizeof(a), .dev_id = id_of(f, s, K_DEV),
						 .pt_id = ioas };

		if (pick(s, 2)) {
			m.flags |= IOMMU_IOAS_MAP_FIXED_IOVA;
			m.iova = (edge(s) & ~(PAGE - 1)) + (pick(s, 2) ? o : 0);
			note_probe(f, m.iova, m.length);
		}
		rc = issue(f, s, C_MAP, &m, sizeof(m));
		check(f, C_MAP, rc, seed);
		if (!rc) {
			note_probe(f, m.iova, m.length);
			note_mapped(f, m.iova, m.length);
		}
		nr = C_ATTACH;
		rc = issue(f, s, nr, &a, sizeof(a));
		break;
	}
	case 23: {
		/* COPY from an IOAS without a device (byte alignment) into one
		 * with a device (page alignment), from inside a page. */
		struct iommu_ioas_alloc al = { .size = sizeof(al) };
		__u32 src, dst;
		__u64 o = unaligned(s), siova = (edge(s) & ~(PAGE - 1)) + o;
		struct iommu_ioas_map m = { .size = sizeof(m), .flags = FIXED,
					    .user_va = (uintptr_t)f->anon + o,
					    .length = 2 * PAGE, .iova = siova };
		struct iommu_device_attach a = { .size = sizeof(a), .dev_id = id_of(f, s, K_DEV) };
		struct iommu_ioas_copy c = { .size = sizeof(c), .flags = RW, .length = PAGE,
					     .src_iova = siova + (pick(s, 2) ? 0 : PAGE),
					     .dst_iova = edge(s) & ~(PAGE - 1) };

		if (xioctl(f->fd, IOMMU_IOAS_ALLOC, &al))
			return;
		src = al.out_ioas_id;
		add_id(f, s, K_IOAS, src);
		if (xioctl(f->fd, IOMMU_IOAS_ALLOC, &al))
			return;
		dst = al.out_ioas_id;
		add_id(f, s, K_IOAS, dst);
		m.ioas_id = src;
		rc = issue(f, s, C_MAP, &m, sizeof(m));
		check(f, C_MAP, rc, seed);
		a.pt_id = dst;
		rc = issue(f, s, C_ATTACH, &a, sizeof(a));
		check(f, C_ATTACH, rc, seed);
		c.src_ioas_id = src;
		c.dst_ioas_id = dst;
		if (pick(s, 2)) {
			c.flags |= IOMMU_IOAS_MAP_FIXED_IOVA;
			note_probe(f, c.dst_iova, c.length);
		}
		nr = C_COPY;
		rc = issue(f, s, nr, &c, sizeof(c));
		if (!rc)
			note_probe(f, c.dst_iova, c.length);
		break;
	}
	case 24: {
		/* An administrator unbinds one function of a shared IOMMU
		 * group mid-program, then binds it to iommufd_rs again. */
		int k = pick(s, 2);

		if (!f->has_pair) {
			atomic_fetch_add(&f->pair_skipped, 1);
			return;
		}
		set_driver(&f->pair[k], NULL);
		usleep(pick(s, 3) * 1000);
		set_driver(&f->pair[k], "iommufd_rs");
		atomic_fetch_add(&f->pair_unbinds, 1);
		return;
	}
	case 25: {
		/* An unaligned copy within one IOAS, between two recent areas'
		 * IOVAs. */
		int n = atomic_load(&f->rec->nmapped);
		struct iommu_ioas_copy c = { .size = sizeof(c), .flags = RW,
					     .length = PAGE * (1 + pick(s, 2)) };

		if (!n)
			return;
		c.src_ioas_id = c.dst_ioas_id = id_of(f, s, K_IOAS);
		c.src_iova = f->rec->mapped[pick(s, n < 64 ? n : 64)].iova + unaligned(s);
		nr = C_COPY;
		rc = issue(f, s, nr, &c, sizeof(c));
		if (!rc) {
			note_probe(f, c.dst_iova, c.length);
			note_mapped(f, c.dst_iova, c.length);
		}
		break;
	}
	case 26: {
		/* The file's pages to this process (the forked child's, now
		 * and then): EINVAL while any IOAS maps anonymous memory;
		 * VmPin goes with the pages, and still comes back whole when
		 * the file is closed. */
		struct iommu_ioas_change_process c = { .size = sizeof(c),
						       .__reserved = pick(s, 8) ? 0 : next(s) };

		nr = C_CHANGE_PROCESS;
		rc = issue(f, s, nr, &c, sizeof(c));
		break;
	}
	default: {
		struct iommu_veventq_alloc c = { .size = sizeof(c),
						 .viommu_id = id_of(f, s, K_VIOMMU),
						 .type = pick(s, 4) ? 1 : pick(s, 3),
						 .veventq_depth = pick(s, 4) ? 1 + pick(s, 64) :
									       next(s) };
		nr = C_VEVENTQ;
		rc = issue(f, s, nr, &c, sizeof(c));
		if (!rc) {
			add_id(f, s, K_VEVENTQ, c.out_veventq_id);
			close(c.out_veventq_fd);
		}
		break;
	}
	}
	check(f, nr, rc, seed);
}

struct worker {
	struct fuzz *f;
	__u64 seed;
};

/* A function's node, opened once the driver has made it. */
static int open_node(const struct edu *e)
{
	char node[320];
	int fd = -1;

	snprintf(node, sizeof(node), "/dev/iommufd_rs/%s", e->bdf);
	for (int i = 0; i < 50 && (fd = open(node, O_RDWR)) < 0; i++)
		usleep(10000);
	return fd;
}

static double seconds(const struct timespec *a, const struct timespec *b)
{
	return (b->tv_sec - a->tv_sec) + (b->tv_nsec - a->tv_nsec) / 1e9;
}

static void *work(void *p)
{
	struct worker *w = p;
	__u64 s = w->seed;

	for (int i = 0; i < CALLS_PER_THREAD; i++)
		one(w->f, &s, w->seed);
	return NULL;
}

/*
 * The harness's 30 s would end a long run (FUZZ_PROGRAMS in the
 * thousands); a hang is still caught by the boot's own timeout.
 */
FIXTURE(fuzz) {};
FIXTURE_SETUP(fuzz) {}
FIXTURE_TEARDOWN(fuzz) {}

TEST_F_TIMEOUT(fuzz, programs, 3600)
{
	const char *env = getenv("FUZZ_PROGRAMS");
	const char *seed_env = getenv("FUZZ_SEED");
	int programs = env ? atoi(env) : 60;
	__u64 seed = seed_env ? strtoull(seed_env, NULL, 0) : 0x9e3779b97f4a7c15ULL;
	long pin0 = vm_pin_pages(), foll0 = foll_pins(), domains0 = live_domains();
	char node[320];
	struct edu e;
	struct fuzz *f = calloc(1, sizeof(*f));
	int distinct = 0;
	long ioas_checked = 0;
	double check_time = 0;

	ASSERT_NE(NULL, f);
	if (find_edu(0, &e))
		SKIP(return, "no edu device");
	f->e = &e;
	f->rec = mmap(NULL, sizeof(*f->rec), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
		      -1, 0);
	ASSERT_NE(MAP_FAILED, f->rec);
	f->has_pair = !find_shared_edu_pair(&f->pair[0], &f->pair[1], NULL) && strcmp(f->pair[0].bdf, e.bdf) &&
		      strcmp(f->pair[1].bdf, e.bdf);
	if (f->has_pair)
		TH_LOG("shared IOMMU group: %s and %s; programs unbind and rebind them",
		       f->pair[0].bdf, f->pair[1].bdf);
	else
		TH_LOG("no two edu functions share an IOMMU group: the shared-group unbind is skipped");
	pthread_mutex_init(&f->lock, NULL);
	f->anon = buffer(8 * PAGE);
	f->mem = buffer(MEM_PAGES * PAGE);
	f->ro = mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	f->none = mmap(NULL, PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	f->gone = mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, f->ro);
	ASSERT_NE(MAP_FAILED, f->none);
	ASSERT_EQ(0, munmap(f->gone, PAGE));
	build_stage1(f->mem);
	f->efd = eventfd(0, EFD_NONBLOCK);
	f->memfd = memfd_create("fuzz", 0);
	ASSERT_EQ(0, ftruncate(f->memfd, 4 * PAGE));
	/* Huge pages where the rig reserved some (hugepages= on its command line). */
	f->huge = mmap(NULL, HUGE_2M, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB | MAP_POPULATE, -1, 0);
	if (f->huge == MAP_FAILED)
		f->huge = NULL;
	f->hugefd = memfd_create("fuzz-huge", MFD_HUGETLB);
	if (f->hugefd >= 0 && ftruncate(f->hugefd, HUGE_2M)) {
		close(f->hugefd);
		f->hugefd = -1;
	}
	TH_LOG("huge pages: %s", f->huge && f->hugefd >= 0 ? "anonymous and memfd" : "none");
	for (int prog = 0; prog < programs; prog++) {
		__u64 s = seed + prog * 0x100000001b3ULL;
		struct worker w[2] = { { f, next(&s) }, { f, next(&s) } };
		pthread_t t[2];

		/* Before it runs: a program that fails reproduces from this. */
		TH_LOG("program %d, seed %llu", prog,
		       (unsigned long long)(seed + prog * 0x100000001b3ULL));
		ASSERT_EQ(0, set_driver(&e, "iommufd_rs"));
		snprintf(node, sizeof(node), "/dev/iommufd_rs/%s", e.bdf);
		for (int i = 0; i < 50 && (f->node = open(node, O_RDWR)) < 0; i++)
			usleep(10000);
		ASSERT_LE(0, f->node);
		for (int k = 0; f->has_pair && k < 2; k++) {
			ASSERT_EQ(0, set_driver(&f->pair[k], "iommufd_rs"));
			f->pair_node[k] = open_node(&f->pair[k]);
			ASSERT_LE(0, f->pair_node[k]);
		}
		f->fd = open(dev_path(), O_RDWR);
		ASSERT_LE(0, f->fd);
		memset(f->nids, 0, sizeof(f->nids));
		atomic_store(&f->rec->nprobes, 0);
		atomic_store(&f->rec->nmapped, 0);
		for (int i = 0; i < 2; i++)
			ASSERT_EQ(0, pthread_create(&t[i], NULL, work, &w[i]));
		/* Now and then: a child with the file, or the function unbound. */
		if (pick(&s, 4) == 0) {
			pid_t pid = fork();

			if (pid == 0) {
				__u64 cs = next(&s);

				/* A worker may have held the table's lock. */
				pthread_mutex_init(&f->lock, NULL);
				for (int i = 0; i < 10; i++)
					one(f, &cs, seed);
				_exit(0);
			}
			waitpid(pid, NULL, 0);
		}
		if (pick(&s, 6) == 0)
			set_driver(&e, NULL);
		for (int i = 0; i < 2; i++)
			pthread_join(t[i], NULL);
		/* Every IOAS left must be exactly what its domains translate. */
		{
			int nprobes = atomic_load(&f->rec->nprobes), checked = 0, rc;
			struct timespec t0, t1;
			char why[512] = "";
			__u32 bad = 0;

			clock_gettime(CLOCK_MONOTONIC, &t0);
			rc = check_file_ioases(f->fd, CHECK_IDS, f->rec->probes,
					       nprobes < PROBES ? nprobes : PROBES, &bad, &checked);
			clock_gettime(CLOCK_MONOTONIC, &t1);
			check_time += seconds(&t0, &t1);
			ioas_checked += checked;
			if (rc)
				last_check_report(why, sizeof(why));
			ASSERT_EQ(0, rc) TH_LOG("program %d: IOAS %u failed the isolation check: %s",
						prog, bad, why);
		}
		close(f->fd);
		close(f->node);
		set_driver(&e, NULL);
		for (int k = 0; f->has_pair && k < 2; k++) {
			close(f->pair_node[k]);
			set_driver(&f->pair[k], NULL);
		}
		ASSERT_EQ(pin0, vm_pin_pages()) TH_LOG("program %d: VmPin", prog);
		ASSERT_EQ(foll0, foll_pins()) TH_LOG("program %d: FOLL_PIN pins", prog);
		ASSERT_EQ(domains0, live_domains()) TH_LOG("program %d: domains", prog);
		if (debugfs_number("viommus") >= 0) {
			ASSERT_EQ(0, debugfs_number("viommus"));
			ASSERT_EQ(0, debugfs_number("nested_domains"));
		}
	}
	/* Per command: its answers, by errno, as the closing figures. */
	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		char line[512];
		int len = 0;
		long calls = 0;

		for (int r = 0; r < 140; r++) {
			long k = atomic_load(&f->errnos[names[i].nr - 0x80][r]);
			const char *e = r ? strerrorname_np(r) : "ok";

			if (!k)
				continue;
			distinct++;
			calls += k;
			if (len < (int)sizeof(line))
				len += snprintf(line + len, sizeof(line) - len, " %s:%ld",
						e ? e : "E?", k);
		}
		TH_LOG("%-16s %6ld calls,%s", names[i].name, calls, calls ? line : " none");
	}
	TH_LOG("%d programs, %ld commands, %d distinct (command, errno) answers, %ld unexpected",
	       programs, atomic_load(&f->calls), distinct, atomic_load(&f->unexpected));
	TH_LOG("isolation check: %ld IOAS checked after %d programs in %.3f s (%.1f ms a program)",
	       ioas_checked, programs, check_time, programs ? check_time * 1e3 / programs : 0.0);
	TH_LOG("shared-group unbinds: %ld done, %ld skipped (no shared group)",
	       atomic_load(&f->pair_unbinds), atomic_load(&f->pair_skipped));
	EXPECT_EQ(0, atomic_load(&f->unexpected));
	free(f);
}

TEST_HARNESS_MAIN
