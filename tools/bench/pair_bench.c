// SPDX-License-Identifier: GPL-2.0
/*
 * pair_bench: the same IOAS workloads on upstream iommufd and on iommufd-rs
 * in one process, on the same buffers (so the same physical pages), the two
 * sides taking turns round by round and the first side alternating (an
 * even number of rounds), so that running second, on what the other side
 * just warmed, falls on both equally, and both see one memory layout. Upstream
 * attaches the first edu function through its VFIO cdev, iommufd-rs the
 * second, bound to it; both sit behind the same SMMU and driver.
 *
 * Both pin only when a domain needs the pages (upstream also for an
 * access). So next to map+unmap with no domain, each backing is also
 * measured with a domain both ways round: attach then map (the map pins and
 * maps the table) and map then attach (the attach does both).
 *
 * Usage: pair_bench UPSTREAM_BDF OURS_BDF OURS_DEV [WORKLOAD_PREFIX]
 *        pair_bench --single LABEL OURS_BDF OURS_DEV [WORKLOAD_PREFIX]
 * The second form runs iommufd-rs alone under LABEL (the page-table
 * comparison: the same rows on smmu_rs and on the in-tree io-pgtable, one
 * boot each). Output: "BENCH LABEL WORKLOAD NS" per side and workload, the
 * median of ROUNDS rounds, in CLOCK_MONOTONIC nanoseconds: guest
 * instructions when QEMU counts them (-icount shift=0), else wall time.
 *
 * For `make profile` (tools/bench/tb_profile.c): PAIR_BENCH_ONLY=NAME runs
 * only the workloads whose name contains NAME, and PAIR_BENCH_MARK=1 makes
 * each timed part begin and end with a marker syscall the profiler watches,
 * sched_get_priority_max() for iommufd-rs and sched_get_priority_min()
 * for upstream, which nothing else in the guest calls.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <linux/vfio.h>
#include <iommufd_rs.h>

#ifndef MAP_HUGE_1GB
#define MAP_HUGE_1GB (30 << 26)
#endif
#ifndef MAP_HUGE_2MB
#define MAP_HUGE_2MB (21 << 26)
#endif

#define ROUNDS 6
#define SZ_2M (2UL << 20)
#define SZ_256M (256UL << 20)
#define SZ_1G (1UL << 30)
#define IOVA (1UL << 32)
#define RW (IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE)

struct side {
	const char *label;
	int upstream;
	int fd;
	__u32 ioas;	/* never has a device: the no-domain rows */
	__u32 ioas2;	/* the COPY destination */
	__u32 dom;	/* the device's IOAS */
	int vfd;	/* upstream: the VFIO cdev */
	__u32 dev_id;	/* ours: the bound device */
	double t[ROUNDS];
};

static struct side sides[2];
static int nsides;
static const char *prefix = "";

static void die(struct side *s, const char *what)
{
	fprintf(stderr, "pair_bench %s: %s: %s\n", s ? s->label : "", what, strerror(errno));
	exit(1);
}

static double now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e9 + t.tv_nsec;
}

static int marking;
static const char *only;

/*
 * Whether the rows of @backing ("domain_<backing>_<part>", no '_' in the
 * part) are to run; NULL for the rows without a domain. PAIR_BENCH_ONLY
 * names one row, so a profile boot sets up only that row's buffer.
 */
static int wanted(const char *backing)
{
	size_t n;

	if (!only)
		return 1;
	if (!backing)
		return strncmp(only, "domain_", 7) != 0;
	n = strlen(backing);
	return !strncmp(only, "domain_", 7) && !strncmp(only + 7, backing, n) &&
	       only[7 + n] == '_' && !strchr(only + 8 + n, '_');
}

/* The profiler's window edge for side @s (see the header). */
static void mark(struct side *s)
{
	if (!marking)
		return;
	if (s->upstream)
		syscall(SYS_sched_get_priority_min, 0);
	else
		syscall(SYS_sched_get_priority_max, 0);
}

/* The start of a timed part. */
static double begin(struct side *s)
{
	mark(s);
	return now_ns();
}

/* The end of a timed part. */
static double end(struct side *s)
{
	double t = now_ns();

	mark(s);
	return t;
}

static __u32 ioas_alloc(struct side *s)
{
	struct iommu_ioas_alloc a = { .size = sizeof(a) };

	if (ioctl(s->fd, IOMMU_IOAS_ALLOC, &a))
		die(s, "IOAS_ALLOC");
	return a.out_ioas_id;
}

static __u64 map(struct side *s, __u32 ioas, void *va, size_t len, __u64 iova)
{
	struct iommu_ioas_map m = {
		.size = sizeof(m), .ioas_id = ioas, .user_va = (uintptr_t)va, .length = len,
		.iova = iova, .flags = RW | (iova ? IOMMU_IOAS_MAP_FIXED_IOVA : 0),
	};

	if (ioctl(s->fd, IOMMU_IOAS_MAP, &m))
		die(s, "IOAS_MAP");
	return m.iova;
}

static void unmap(struct side *s, __u32 ioas, __u64 iova, __u64 len)
{
	struct iommu_ioas_unmap u = { .size = sizeof(u), .ioas_id = ioas, .iova = iova,
				      .length = len };

	if (ioctl(s->fd, IOMMU_IOAS_UNMAP, &u))
		die(s, "IOAS_UNMAP");
}

static void open_vfio_cdev(struct side *s, const char *bdf)
{
	char path[512];
	struct dirent *de;
	DIR *d;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/vfio-dev", bdf);
	d = opendir(path);
	if (!d)
		die(s, "no vfio-dev (is the device on vfio-pci?)");
	s->vfd = -1;
	while ((de = readdir(d)))
		if (!strncmp(de->d_name, "vfio", 4)) {
			snprintf(path, sizeof(path), "/dev/vfio/devices/%s", de->d_name);
			s->vfd = open(path, O_RDWR);
			break;
		}
	closedir(d);
	if (s->vfd < 0)
		die(s, "open vfio cdev");
	struct vfio_device_bind_iommufd b = { .argsz = sizeof(b), .iommufd = s->fd };
	if (ioctl(s->vfd, VFIO_DEVICE_BIND_IOMMUFD, &b))
		die(s, "VFIO_DEVICE_BIND_IOMMUFD");
}

static void bind_ours(struct side *s, const char *bdf)
{
	unsigned int seg, bus, dev, fn;
	struct iommu_device_bind b = { .size = sizeof(b) };

	if (sscanf(bdf, "%x:%x:%x.%x", &seg, &bus, &dev, &fn) != 4)
		die(s, "bad BDF");
	b.pci_segment = seg;
	b.pci_rid = bus << 8 | dev << 3 | fn;
	if (ioctl(s->fd, IOMMU_DEVICE_BIND, &b))
		die(s, "IOMMU_DEVICE_BIND");
	s->dev_id = b.out_dev_id;
}

static void attach(struct side *s)
{
	if (s->upstream) {
		struct vfio_device_attach_iommufd_pt a = { .argsz = sizeof(a), .pt_id = s->dom };

		if (ioctl(s->vfd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &a))
			die(s, "VFIO_DEVICE_ATTACH_IOMMUFD_PT");
	} else {
		struct iommu_device_attach a = { .size = sizeof(a), .dev_id = s->dev_id,
						 .pt_id = s->dom };

		if (ioctl(s->fd, IOMMU_DEVICE_ATTACH, &a))
			die(s, "IOMMU_DEVICE_ATTACH");
	}
}

static void detach(struct side *s)
{
	if (s->upstream) {
		struct vfio_device_detach_iommufd_pt d = { .argsz = sizeof(d) };

		if (ioctl(s->vfd, VFIO_DEVICE_DETACH_IOMMUFD_PT, &d))
			die(s, "VFIO_DEVICE_DETACH_IOMMUFD_PT");
	} else {
		struct iommu_device_detach d = { .size = sizeof(d), .dev_id = s->dev_id };

		if (ioctl(s->fd, IOMMU_DEVICE_DETACH, &d))
			die(s, "IOMMU_DEVICE_DETACH");
	}
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/*
 * One workload: ROUNDS rounds, each side once per round, the side that
 * goes first alternating; prints each side's median. @fn returns the time
 * of the part it measures (setup and teardown it does untimed).
 */
static void workload(const char *name, double (*fn)(struct side *, void *), void *arg)
{
	if (only && !strstr(name, only))
		return;
	for (int r = 0; r < ROUNDS; r++)
		for (int i = 0; i < nsides; i++) {
			struct side *s = &sides[(i + r) % nsides];

			s->t[r] = fn(s, arg);
		}
	for (int i = 0; i < nsides; i++) {
		qsort(sides[i].t, ROUNDS, sizeof(double), cmp_double);
		printf("BENCH %s %s%s %.0f\n", sides[i].label, prefix, name,
		       sides[i].t[ROUNDS / 2]);
	}
	fflush(stdout);
}

/* --- no domain --- */

struct repeat {
	void *va;
	size_t len;
	int iters;
};

/* Per pair: fixed-IOVA map+unmap of the buffer, @iters times. */
static double map_unmap_bare(struct side *s, void *arg)
{
	struct repeat *p = arg;
	double t0 = begin(s);

	for (int i = 0; i < p->iters; i++) {
		map(s, s->ioas, p->va, p->len, IOVA);
		unmap(s, s->ioas, IOVA, p->len);
	}
	return (end(s) - t0) / p->iters;
}

/* Per pair: COPY of a mapped area into a second IOAS, and its unmap. */
static double copy_unmap(struct side *s, void *arg)
{
	struct repeat *p = arg;
	double t0, t;

	map(s, s->ioas, p->va, p->len, IOVA);
	t0 = begin(s);
	for (int i = 0; i < p->iters; i++) {
		struct iommu_ioas_copy c = {
			.size = sizeof(c), .flags = RW | IOMMU_IOAS_MAP_FIXED_IOVA,
			.dst_ioas_id = s->ioas2, .src_ioas_id = s->ioas, .length = p->len,
			.dst_iova = IOVA, .src_iova = IOVA,
		};

		if (ioctl(s->fd, IOMMU_IOAS_COPY, &c))
			die(s, "IOAS_COPY");
		unmap(s, s->ioas2, IOVA, p->len);
	}
	t = (end(s) - t0) / p->iters;
	unmap(s, s->ioas, IOVA, p->len);
	return t;
}

struct file_repeat {
	int memfd;
	size_t len;
	int iters;
};

/* Per pair: MAP_FILE of a memfd and its unmap. */
static double map_file_unmap(struct side *s, void *arg)
{
	struct file_repeat *p = arg;
	double t0 = begin(s);

	for (int i = 0; i < p->iters; i++) {
		struct iommu_ioas_map_file m = {
			.size = sizeof(m), .flags = RW | IOMMU_IOAS_MAP_FIXED_IOVA,
			.ioas_id = s->ioas, .fd = p->memfd, .length = p->len, .iova = IOVA,
		};

		if (ioctl(s->fd, IOMMU_IOAS_MAP_FILE, &m))
			die(s, "IOAS_MAP_FILE");
		unmap(s, s->ioas, IOVA, p->len);
	}
	return (end(s) - t0) / p->iters;
}

struct areas {
	char *page;
	int iters;
};

/*
 * Per pair: an allocated-IOVA map+unmap of 8 KiB with the areas of
 * alloc_rows() mapped, so the allocator must find room past them all.
 */
static double alloc_among_areas(struct side *s, void *arg)
{
	struct areas *p = arg;
	double t0 = begin(s);

	for (int i = 0; i < p->iters; i++) {
		__u64 iova = map(s, s->ioas, p->page, 8192, 0);

		unmap(s, s->ioas, iova, 8192);
	}
	return (end(s) - t0) / p->iters;
}

/*
 * 10k, 100k and (with BENCH_AREAS_1M=1 in the environment: setting up a
 * million areas takes minutes under TCG) 1M one-page areas from the lowest
 * IOVA allocation may use (PAGE_SIZE) up, a one-page hole after each, set
 * up once per side (untimed, one page mapped over and over), then the
 * rounds. An 8 KiB allocation fits no hole: it must find room past them.
 */
static void alloc_rows(char *page)
{
	static const int counts[] = { 10000, 100000, 1000000 };
	static const char *const names[] = { "10k", "100k", "1M" };
	const char *env = getenv("BENCH_AREAS_1M");
	int rows = env && !strcmp(env, "1") ? 3 : 2;
	int have = 0;

	/* Setting the areas up takes long: not for a profile of another row. */
	if (only && !strstr(only, "alloc_"))
		return;

	for (int c = 0; c < rows; c++) {
		/* Upstream walks every hole: its time grows with the count. */
		struct areas a = { page, 2000000 / counts[c] };
		char name[64];

		for (int i = 0; i < nsides; i++)
			for (int k = have; k < counts[c]; k++)
				map(&sides[i], sides[i].ioas, page, 4096,
				    4096 + (__u64)k * 2 * 4096);
		have = counts[c];
		snprintf(name, sizeof(name), "alloc_map+unmap_%s_areas", names[c]);
		workload(name, alloc_among_areas, &a);
	}
	for (int i = 0; i < nsides; i++)
		unmap(&sides[i], sides[i].ioas, 0, UINT64_MAX);
}

/* --- with a domain --- */

struct domain_case {
	void *va;
	size_t len;
	int part;	/* which part of the row is timed, below */
};

enum { ATTACHED_MAP, ATTACHED_UNMAP, MAP_ATTACH, DETACH_UNMAP };
static const char *const domain_parts[] = { "attached:map", "attached:unmap", "map+attach",
					    "detach+unmap" };

/*
 * Attach then map: the device is attached to the empty IOAS, the map
 * (pin + table) and the unmap are timed. Map then attach: the map and the
 * attach are timed together, then the detach and the unmap.
 */
static double domain_row(struct side *s, void *arg)
{
	struct domain_case *c = arg;
	int first = c->part == ATTACHED_MAP || c->part == MAP_ATTACH;
	double t0, t1, t2;

	if (c->part == ATTACHED_MAP || c->part == ATTACHED_UNMAP) {
		attach(s);
		t0 = first ? begin(s) : now_ns();
		map(s, s->dom, c->va, c->len, IOVA);
		t1 = first ? end(s) : begin(s);
		unmap(s, s->dom, IOVA, c->len);
		t2 = first ? now_ns() : end(s);
		detach(s);
	} else {
		t0 = first ? begin(s) : now_ns();
		map(s, s->dom, c->va, c->len, IOVA);
		attach(s);
		t1 = first ? end(s) : begin(s);
		detach(s);
		unmap(s, s->dom, IOVA, c->len);
		t2 = first ? now_ns() : end(s);
	}
	return first ? t1 - t0 : t2 - t1;
}

static void domain_rows(const char *backing, void *va, size_t len)
{
	char name[128];

	for (int i = 0; i < 4; i++) {
		struct domain_case c = { va, len, i };

		snprintf(name, sizeof(name), "domain_%s_%s", backing, domain_parts[i]);
		workload(name, domain_row, &c);
	}
}

/* Anonymous memory, 2 MiB aligned, touched; THP or not as @advice says. */
static void *anon(size_t len, int advice)
{
	char *p = mmap(NULL, len + SZ_2M, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	p = (char *)(((uintptr_t)p + SZ_2M - 1) & ~(SZ_2M - 1));
	madvise(p, len, advice);
	memset(p, 1, len);
	return p;
}

/*
 * Anonymous 4 KiB pages touched from the last to the first: the page
 * allocator hands them out so that no two neighbours are physically
 * adjacent (see LAYOUT), as in a long-running VMM's fragmented memory. Every
 * page is its own run: one IOMMU driver call and one 4 KiB leaf each, in
 * every boot alike, where a freshly booted guest's 4 KiB buffer is a few
 * runs, mapped mostly as 2 MiB blocks, and their number varies by boot.
 */
static void *anon_scattered(size_t len)
{
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	madvise(p, len, MADV_NOHUGEPAGE);
	for (size_t off = len; off; off -= 4096)
		p[off - 4096] = 1;
	return p;
}

static void *hugetlb(size_t len, int size_flag)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB | size_flag | MAP_POPULATE, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

/*
 * How many physically contiguous runs @len bytes at @va are, from
 * /proc/self/pagemap (root sees PFNs): the runs are what reaches the
 * IOMMU driver, one map call each, so a row with a domain depends on them.
 * Boots lay memory out differently, which is why the rows comparing two
 * boots print it; rows of one boot share the buffer and so its layout.
 */
static void layout(const char *name, void *va, size_t len)
{
	int fd = open("/proc/self/pagemap", O_RDONLY);
	unsigned long runs = 0, prev = 0;

	if (fd < 0)
		return;
	for (size_t off = 0; off < len; off += 4096) {
		__u64 e;
		unsigned long pfn;

		if (pread(fd, &e, sizeof(e), ((uintptr_t)va + off) / 4096 * sizeof(e)) != sizeof(e))
			break;
		pfn = e & ((1ULL << 55) - 1);
		if (!off || pfn != prev + 1)
			runs++;
		prev = pfn;
	}
	close(fd);
	printf("LAYOUT %s%s %lu runs\n", prefix, name, runs);
}

/* The domain rows of a 256 MiB anonymous buffer, its layout first. */
static void anon_rows(const char *backing, char *buf)
{
	if (!buf)
		die(NULL, backing);
	layout(backing, buf, SZ_256M);
	domain_rows(backing, buf, SZ_256M);
	munmap(buf, SZ_256M);
}

static void skipped(const char *name, const char *why)
{
	for (int i = 0; i < nsides; i++)
		printf("BENCH %s %s%s skipped (%s)\n", sides[i].label, prefix, name, why);
}

static void domain_rows_skipped(const char *backing, const char *why)
{
	char name[128];

	for (int i = 0; i < 4; i++) {
		snprintf(name, sizeof(name), "domain_%s_%s", backing, domain_parts[i]);
		skipped(name, why);
	}
}

int main(int argc, char **argv)
{
	int single = argc >= 2 && !strcmp(argv[1], "--single");
	char *small, *thp, *h2m, *h1g;
	struct side *ours;
	int memfd;

	if (argc < 4 + single) {
		fprintf(stderr, "usage: pair_bench UPSTREAM_BDF OURS_BDF OURS_DEV [PREFIX]\n"
				"       pair_bench --single LABEL OURS_BDF OURS_DEV [PREFIX]\n");
		return 2;
	}
	if (argc > 4 + single)
		prefix = argv[4 + single];
	only = getenv("PAIR_BENCH_ONLY");
	marking = getenv("PAIR_BENCH_MARK") != NULL;
	if (!single) {
		struct side *s = &sides[nsides++];

		s->label = "upstream";
		s->upstream = 1;
		s->fd = open("/dev/iommu", O_RDWR);
		if (s->fd < 0)
			die(s, "open /dev/iommu");
		open_vfio_cdev(s, argv[1]);
	}
	ours = &sides[nsides++];
	ours->label = single ? argv[2] : "ours";
	ours->fd = open(argv[3 + single], O_RDWR);
	if (ours->fd < 0)
		die(ours, "open");
	bind_ours(ours, argv[2 + single]);
	for (int i = 0; i < nsides; i++) {
		sides[i].ioas = ioas_alloc(&sides[i]);
		sides[i].ioas2 = ioas_alloc(&sides[i]);
		sides[i].dom = ioas_alloc(&sides[i]);
	}

	small = anon(SZ_2M, MADV_NOHUGEPAGE);
	thp = anon(SZ_2M, MADV_HUGEPAGE);
	memfd = memfd_create("pair_bench", 0);
	if (!small || !thp || memfd < 0 || ftruncate(memfd, SZ_2M))
		die(NULL, "buffers");

	if (!single && wanted(NULL)) {
		struct repeat r4k = { small, 4096, 5000 }, r2m = { thp, SZ_2M, 500 };
		struct file_repeat f2m = { memfd, SZ_2M, 500 };

		workload("map+unmap_4K", map_unmap_bare, &r4k);
		workload("map+unmap_2M_THP", map_unmap_bare, &r2m);
		h1g = hugetlb(SZ_1G, MAP_HUGE_1GB);
		if (h1g) {
			struct repeat r1g = { h1g, SZ_1G, 10 };

			workload("map+unmap_1G_hugetlb", map_unmap_bare, &r1g);
		} else {
			skipped("map+unmap_1G_hugetlb", "no 1G huge page");
		}
		workload("copy+unmap_2M_THP", copy_unmap, &r2m);
		workload("map_file+unmap_2M_memfd", map_file_unmap, &f2m);
		alloc_rows(small);
		if (h1g)
			munmap(h1g, SZ_1G);
	}

	if (wanted("256M_4K"))
		anon_rows("256M_4K", anon(SZ_256M, MADV_NOHUGEPAGE));
	if (wanted("256M_4K_scattered"))
		anon_rows("256M_4K_scattered", anon_scattered(SZ_256M));
	if (wanted("256M_THP"))
		anon_rows("256M_THP", anon(SZ_256M, MADV_HUGEPAGE));
	if (wanted("256M_2M_hugetlb")) {
		h2m = hugetlb(SZ_256M, MAP_HUGE_2MB);
		if (h2m) {
			domain_rows("256M_2M_hugetlb", h2m, SZ_256M);
			munmap(h2m, SZ_256M);
		} else {
			domain_rows_skipped("256M_2M_hugetlb", "not enough 2M huge pages");
		}
	}
	if (wanted("1G_1G_hugetlb")) {
		h1g = hugetlb(SZ_1G, MAP_HUGE_1GB);
		if (h1g) {
			domain_rows("1G_1G_hugetlb", h1g, SZ_1G);
			munmap(h1g, SZ_1G);
		} else {
			domain_rows_skipped("1G_1G_hugetlb", "no 1G huge page");
		}
	}
	return 0;
}
