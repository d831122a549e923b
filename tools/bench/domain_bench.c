// SPDX-License-Identifier: GPL-2.0
/*
 * domain_bench: IOAS_MAP + IOAS_UNMAP of 256 MiB with a device attached, so
 * every map reaches an IOMMU domain (the in-tree SMMUv3's page table):
 * once with upstream iommufd and the device on vfio-pci (VFIO cdev), once
 * with iommufd-rs and the device bound to it. Backing: 4 KiB pages, THP,
 * hugetlb (2 MiB).
 *
 * Usage: domain_bench upstream BDF    (device bound to vfio-pci)
 *        domain_bench LABEL BDF DEV   (device bound to iommufd_rs; DEV node;
 *                                      LABEL names the run, e.g. ours)
 * Output: "BENCH LABEL WORKLOAD NS" per workload, as ioas_bench, then the
 * same for WORKLOAD:map and WORKLOAD:unmap (each half's best). On smmu_rs
 * also "TABLE LABEL WORKLOAD DESCRIPTORS MINIMUM" per workload: the valid
 * descriptors of our stage-2 table with the workload mapped, and the fewest
 * any table needs for the same translations (from smmu_rs's debugfs).
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
#include <time.h>
#include <unistd.h>

#include <linux/vfio.h>
#include <iommufd_rs.h>

#define LEN (256UL << 20)
#define IOVA (1UL << 32)

static int fd;
static __u32 ioas;
static const char *label;

static void die(const char *what)
{
	fprintf(stderr, "domain_bench %s: %s: %s\n", label, what, strerror(errno));
	exit(1);
}

static double now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e9 + t.tv_nsec;
}

static void attach_upstream(const char *bdf)
{
	char path[512];
	struct dirent *de;
	DIR *d;
	int vfd = -1;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/vfio-dev", bdf);
	d = opendir(path);
	if (!d)
		die("no vfio-dev (is the device on vfio-pci?)");
	while ((de = readdir(d)))
		if (!strncmp(de->d_name, "vfio", 4)) {
			snprintf(path, sizeof(path), "/dev/vfio/devices/%s", de->d_name);
			vfd = open(path, O_RDWR);
			break;
		}
	closedir(d);
	if (vfd < 0)
		die("open vfio cdev");
	struct vfio_device_bind_iommufd b = { .argsz = sizeof(b), .iommufd = fd };
	if (ioctl(vfd, VFIO_DEVICE_BIND_IOMMUFD, &b))
		die("VFIO_DEVICE_BIND_IOMMUFD");
	struct vfio_device_attach_iommufd_pt a = { .argsz = sizeof(a), .pt_id = ioas };
	if (ioctl(vfd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &a))
		die("VFIO_DEVICE_ATTACH_IOMMUFD_PT");
}

static void attach_ours(const char *bdf)
{
	unsigned int seg, bus, dev, fn;
	struct iommu_device_bind b = { .size = sizeof(b) };
	struct iommu_device_attach a = { .size = sizeof(a) };

	if (sscanf(bdf, "%x:%x:%x.%x", &seg, &bus, &dev, &fn) != 4)
		die("bad BDF");
	b.pci_segment = seg;
	b.pci_rid = bus << 8 | dev << 3 | fn;
	if (ioctl(fd, IOMMU_DEVICE_BIND, &b))
		die("IOMMU_DEVICE_BIND");
	a.dev_id = b.out_dev_id;
	a.pt_id = ioas;
	if (ioctl(fd, IOMMU_DEVICE_ATTACH, &a))
		die("IOMMU_DEVICE_ATTACH");
}

#define SMMU_RS_DOMAINS "/sys/kernel/debug/smmu_rs/domains"

/*
 * Prints smmu_rs's descriptor counts of the one stage-2 domain there is
 * (the device's); nothing when smmu_rs is not the SMMU driver.
 */
static void report_table(const char *name)
{
	unsigned long long desc, min, n = 0;
	char line[256];
	FILE *f = fopen(SMMU_RS_DOMAINS, "r");

	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *p = strstr(line, " descriptors ");

		if (p && sscanf(p, " descriptors %llu minimum %llu", &desc, &min) == 2)
			n++;
	}
	fclose(f);
	if (n != 1) {
		fprintf(stderr, "domain_bench %s: %llu domains in %s, expected 1\n", label, n,
			SMMU_RS_DOMAINS);
		exit(1);
	}
	printf("TABLE %s %s %llu %llu\n", label, name, desc, min);
}

static void map_all(void *va)
{
	struct iommu_ioas_map m = {
		.size = sizeof(m), .ioas_id = ioas, .user_va = (uintptr_t)va,
		.length = LEN, .iova = IOVA,
		.flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE |
			 IOMMU_IOAS_MAP_WRITEABLE,
	};

	if (ioctl(fd, IOMMU_IOAS_MAP, &m))
		die("map");
}

static void unmap_all(void)
{
	struct iommu_ioas_unmap u = { .size = sizeof(u), .ioas_id = ioas,
				      .iova = IOVA, .length = LEN };

	if (ioctl(fd, IOMMU_IOAS_UNMAP, &u))
		die("unmap");
}

/*
 * Best of three map+unmap rounds of LEN at `va`, then one more map to read
 * the table's shape (untimed).
 */
static void run(const char *name, void *va)
{
	double best = 1e30, best_map = 1e30, best_unmap = 1e30;

	for (int r = 0; r < 3; r++) {
		double t0 = now_ns(), t1, t2;

		map_all(va);
		t1 = now_ns();
		unmap_all();
		t2 = now_ns();
		if (t2 - t0 < best)
			best = t2 - t0;
		if (t1 - t0 < best_map)
			best_map = t1 - t0;
		if (t2 - t1 < best_unmap)
			best_unmap = t2 - t1;
	}
	printf("BENCH %s %s %.0f\n", label, name, best);
	/* The two halves, each the best of its own three. */
	printf("BENCH %s %s:map %.0f\n", label, name, best_map);
	printf("BENCH %s %s:unmap %.0f\n", label, name, best_unmap);
	map_all(va);
	report_table(name);
	unmap_all();
}

static void *anon(int flags, int advice)
{
	size_t two_m = 2UL << 20;
	char *p = mmap(NULL, LEN + two_m, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | flags, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	p = (char *)(((uintptr_t)p + two_m - 1) & ~(two_m - 1));
	if (advice)
		madvise(p, LEN, advice);
	memset(p, 1, LEN);
	return p;
}

int main(int argc, char **argv)
{
	struct iommu_ioas_alloc a = { .size = sizeof(a) };
	int upstream;
	void *p;

	if (argc < 3)
		return 2;
	upstream = !strcmp(argv[1], "upstream");
	label = argv[1];
	fd = open(upstream ? "/dev/iommu" : argv[3], O_RDWR);
	if (fd < 0)
		die("open");
	if (ioctl(fd, IOMMU_IOAS_ALLOC, &a))
		die("ioas alloc");
	ioas = a.out_ioas_id;
	if (upstream)
		attach_upstream(argv[2]);
	else
		attach_ours(argv[2]);

	p = anon(0, MADV_NOHUGEPAGE);
	if (!p)
		die("mmap 4K");
	run("domain_map+unmap_256M_4K", p);
	munmap(p, LEN);
	p = anon(0, MADV_HUGEPAGE);
	if (!p)
		die("mmap THP");
	run("domain_map+unmap_256M_THP", p);
	munmap(p, LEN);
	p = mmap(NULL, LEN, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB | MAP_POPULATE, -1, 0);
	if (p != MAP_FAILED)
		run("domain_map+unmap_256M_hugetlb", p);
	else
		printf("BENCH %s domain_map+unmap_256M_hugetlb skipped (%s)\n", label,
		       strerror(errno));
	return 0;
}
