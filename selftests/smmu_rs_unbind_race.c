// SPDX-License-Identifier: GPL-2.0
/*
 * Unbinding smmu_rs while threads map and unmap on a domain a file holds,
 * over many rounds: the registers go away under their feet, and nothing may
 * reach them after remove. Every map and unmap must keep succeeding (the
 * domain lives on as a table, answering without hardware), and after each
 * round's close every domain, table page and byte of DMA memory must be
 * gone. Another thread asks the device for its reserved regions (nest
 * parent view, through smmu_rs's provider) and hardware info meanwhile:
 * each answer is 0, or -ENODEV once the device left the driver, never a
 * use of the IOMMU state the core tears down after remove. The kernel's
 * lockdep and warning checks (boot.sh fails on any report) watch the whole
 * run.
 *
 * Destructive: it unbinds and rebinds the SMMU. Run by smmu_rs_checks.sh
 * with smmu_rs bound, iommufd_rs loaded and edu on no driver; it leaves
 * smmu_rs bound and edu on no driver again. Not one of the *_test suites.
 */
#include <pthread.h>

#include "kselftest_harness.h"
#include "edu_util.h"

#define ROUNDS 25
#define THREADS 3
#define LEN (8 * PAGE)

struct worker {
	pthread_t thread;
	int fd;
	__u32 ioas;
	__u64 iova;
	void *buf;
	volatile int *stop;
	long rounds;
	int err;	/* the first errno a map or unmap answered, 0 if none */
};

/* Maps and unmaps one range at a fixed IOVA until told to stop. */
static void *map_unmap(void *arg)
{
	struct worker *w = arg;

	while (!*w->stop && !w->err) {
		__u64 iova = w->iova, unmapped = 0;
		int rc = map(w->fd, w->ioas, w->buf, LEN, &iova, RW | IOMMU_IOAS_MAP_FIXED_IOVA);

		if (!rc)
			rc = unmap(w->fd, w->ioas, w->iova, LEN, &unmapped);
		if (!rc && unmapped != LEN)
			rc = EIO;
		w->err = rc;
		w->rounds++;
	}
	return NULL;
}

/* Asks the device for what its IOMMU driver knows, until told to stop. */
struct asker {
	pthread_t thread;
	int fd;
	__u32 dev;
	volatile int *stop;
	long rounds;
	int err;	/* the first answer other than 0 and ENODEV, 0 if none */
};

static void *ask_device(void *arg)
{
	struct asker *a = arg;

	while (!*a->stop && !a->err) {
		struct iommu_resv_region r[8];
		struct iommu_device_resv_regions q = {
			.size = sizeof(q), .flags = IOMMU_RESV_QUERY_NEST_PARENT,
			.dev_id = a->dev, .num_regions = 8, .regions_uptr = (uintptr_t)r };
		unsigned char data[64];
		struct iommu_hw_info h = { .size = sizeof(h), .dev_id = a->dev,
					   .data_len = sizeof(data),
					   .data_uptr = (uintptr_t)data };
		int rc = xioctl(a->fd, IOMMU_DEVICE_GET_RESV_REGIONS, &q);

		if (!rc || rc == ENODEV)
			rc = xioctl(a->fd, IOMMU_GET_HW_INFO, &h);
		if (rc && rc != ENODEV)
			a->err = rc;
		a->rounds++;
	}
	return NULL;
}

/* Whether the function sits in an IOMMU group again. */
static int in_group(const struct edu *e)
{
	char path[320];

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/iommu_group", e->bdf);
	return access(path, F_OK) == 0;
}

TEST(unbind_races_map_and_unmap)
{
	struct worker w[THREADS];
	long total = 0, asked = 0;
	char smmu[256];
	struct edu e;

	ASSERT_EQ(0, smmu_rs_smmu(smmu, sizeof(smmu)));
	ASSERT_EQ(0, find_edu(0, &e));
	for (int round = 0; round < ROUNDS; round++) {
		volatile int stop = 0;
		__u32 dev, hwpt;
		int fd;

		ASSERT_EQ(0, set_driver(&e, "iommufd_rs"));
		fd = open(dev_path(), O_RDWR);
		ASSERT_LE(0, fd);
		ASSERT_EQ(0, bind_dev(fd, &e, &dev));
		for (int t = 0; t < THREADS; t++) {
			w[t] = (struct worker){ .fd = fd, .iova = 0x1000000UL * (t + 1),
						.stop = &stop, .buf = buffer(LEN) };
			ASSERT_NE(NULL, w[t].buf);
			ASSERT_EQ(0, ioas_alloc(fd, &w[t].ioas));
		}
		/* One thread's IOAS is the device's: its domain is smmu_rs's. */
		ASSERT_EQ(0, attach(fd, dev, w[0].ioas, &hwpt));
		ASSERT_EQ(1, live_domains());
		struct asker a = { .fd = fd, .dev = dev, .stop = &stop };

		for (int t = 0; t < THREADS; t++)
			ASSERT_EQ(0, pthread_create(&w[t].thread, NULL, map_unmap, &w[t]));
		ASSERT_EQ(0, pthread_create(&a.thread, NULL, ask_device, &a));

		/* Unbind at a different moment each round, mid-traffic. */
		usleep(1000 + (round * 7919) % 20000);
		ASSERT_EQ(0, write_file(SMMU_RS_DRIVER "unbind", smmu));
		usleep(10000);
		stop = 1;
		for (int t = 0; t < THREADS; t++) {
			pthread_join(w[t].thread, NULL);
			EXPECT_EQ(0, w[t].err) {
				TH_LOG("round %d thread %d: map/unmap answered %s after %ld rounds",
				       round, t, strerror(w[t].err), w[t].rounds);
			}
			total += w[t].rounds;
		}
		pthread_join(a.thread, NULL);
		EXPECT_EQ(0, a.err) {
			TH_LOG("round %d: a device query answered %s", round, strerror(a.err));
		}
		asked += a.rounds;
		/* The domain outlived the SMMU; closing frees everything. */
		EXPECT_EQ(1, live_domains());
		close(fd);
		EXPECT_EQ(0, live_domains());
		EXPECT_EQ(0, debugfs_number("table_pages"));
		EXPECT_EQ(0, debugfs_number("dma_bytes"));
		for (int t = 0; t < THREADS; t++)
			munmap(w[t].buf, LEN);

		ASSERT_EQ(0, set_driver(&e, NULL));
		ASSERT_EQ(0, write_file(SMMU_RS_DRIVER "bind", smmu));
		for (int i = 0; i < 50 && !in_group(&e); i++)
			usleep(10000);
		ASSERT_TRUE(in_group(&e));
		if (_metadata->exit_code)
			break;
	}
	TH_LOG("%d rounds, %ld map+unmap pairs by %d threads and %ld device queries, each round unbinding the SMMU",
	       ROUNDS, total, THREADS, asked);
}

TEST_HARNESS_MAIN
