// SPDX-License-Identifier: GPL-2.0
/*
 * ioas_bench: IOAS_MAP + IOAS_UNMAP cost on one device node, no domain
 * attached (bookkeeping and pinning only). Run once against upstream
 * iommufd and once against iommufd-rs in the same guest; tools/bench.py
 * prints the ratios.
 *
 * Usage: ioas_bench DEVICE LABEL
 * Output: one line per workload: "BENCH LABEL WORKLOAD NS_PER_OP".
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <iommufd_rs.h>

#ifndef MAP_HUGE_1GB
#define MAP_HUGE_1GB (30 << 26)
#endif

static int fd;
static __u32 ioas;
static const char *label;

static double now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e9 + t.tv_nsec;
}

static void die(const char *what)
{
	fprintf(stderr, "ioas_bench %s: %s: %s\n", label, what, strerror(errno));
	exit(1);
}

static __u64 do_map(void *va, size_t len, __u64 iova, int fixed)
{
	struct iommu_ioas_map m = {
		.size = sizeof(m), .ioas_id = ioas, .user_va = (uintptr_t)va,
		.length = len, .iova = iova,
		.flags = IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE |
			 (fixed ? IOMMU_IOAS_MAP_FIXED_IOVA : 0),
	};

	if (ioctl(fd, IOMMU_IOAS_MAP, &m))
		die("map");
	return m.iova;
}

static void do_unmap(__u64 iova, __u64 len)
{
	struct iommu_ioas_unmap u = { .size = sizeof(u), .ioas_id = ioas, .iova = iova,
				      .length = len };

	if (ioctl(fd, IOMMU_IOAS_UNMAP, &u))
		die("unmap");
}

/* Best of three runs of `iters` fixed map+unmap pairs of `len` at `va`. */
static void map_unmap(const char *name, void *va, size_t len, int iters)
{
	double best = 1e30;

	for (int r = 0; r < 3; r++) {
		double t0 = now_ns();

		for (int i = 0; i < iters; i++) {
			do_map(va, len, 1UL << 32, 1);
			do_unmap(1UL << 32, len);
		}
		double per = (now_ns() - t0) / iters;
		if (per < best)
			best = per;
	}
	printf("BENCH %s %s %.0f\n", label, name, best);
}

/* Allocated-IOVA map+unmap of one page with `n` areas already mapped, which
 * leaves a hole below each: the allocator must find room past them. */
static void alloc_with_areas(const char *name, char *page, int n, int iters)
{
	double best = 1e30;
	__u64 *iovas = calloc(n, sizeof(*iovas));

	if (!iovas)
		die("calloc");
	for (int i = 0; i < n; i++)
		iovas[i] = do_map(page, 4096, 0x100000 + (__u64)i * 2 * 4096, 1);
	for (int r = 0; r < 3; r++) {
		double t0 = now_ns();

		for (int i = 0; i < iters; i++) {
			/* 8 KiB: does not fit the 4 KiB holes between areas. */
			__u64 iova = do_map(page, 8192, 0, 0);

			do_unmap(iova, 8192);
		}
		double per = (now_ns() - t0) / iters;
		if (per < best)
			best = per;
	}
	do_unmap(0, UINT64_MAX);
	free(iovas);
	printf("BENCH %s %s %.0f\n", label, name, best);
}

int main(int argc, char **argv)
{
	struct iommu_ioas_alloc a = { .size = sizeof(a) };
	size_t two_m = 2UL << 20, one_g = 1UL << 30;
	char *small, *thp, *huge;

	if (argc != 3) {
		fprintf(stderr, "usage: ioas_bench DEVICE LABEL\n");
		return 2;
	}
	label = argv[2];
	fd = open(argv[1], O_RDWR);
	if (fd < 0)
		die(argv[1]);
	if (ioctl(fd, IOMMU_IOAS_ALLOC, &a))
		die("ioas alloc");
	ioas = a.out_ioas_id;

	small = mmap(NULL, 2 * two_m, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (small == MAP_FAILED)
		die("mmap");
	thp = (char *)(((uintptr_t)small + two_m - 1) & ~(two_m - 1));
	madvise(thp, two_m, MADV_HUGEPAGE);
	memset(thp, 1, two_m);

	map_unmap("map+unmap_4K", small, 4096, 20000);
	map_unmap("map+unmap_2M", thp, two_m, 2000);
	huge = mmap(NULL, one_g, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB | MAP_HUGE_1GB | MAP_POPULATE,
		    -1, 0);
	if (huge != MAP_FAILED)
		map_unmap("map+unmap_1G_hugetlb", huge, one_g, 20);
	else
		printf("BENCH %s map+unmap_1G_hugetlb skipped (no 1G huge page: %s)\n",
		       label, strerror(errno));
	alloc_with_areas("alloc_map+unmap_10k_areas", small, 10000, 2000);
	alloc_with_areas("alloc_map+unmap_100k_areas", small, 100000, 200);
	close(fd);
	return 0;
}
