// SPDX-License-Identifier: GPL-2.0
/*
 * Teardown racing the commands that use what is torn down, on one file:
 * map/unmap/copy against attach/detach/replace, SET_IRQS against detach,
 * IOAS_CHANGE_PROCESS (every IOAS held at once) against all of them,
 * DESTROY of every object against the commands using it, nested objects
 * (where nesting is available) against guest invalidations, and at the end
 * close of the file and unbind of the function against all of it. Every
 * answer must be one the UAPI reference allows for that command in that
 * race; afterwards nothing may be left (VmPin, smmu_rs's domains, table
 * pages, vIOMMUs and nested domains). Lockdep and the boot's oops/warning
 * check watch the kernel side.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <sys/eventfd.h>

#include "kselftest_harness.h"
#include "nested_util.h"

#define ROUNDS 3
#define SECONDS_PER_ROUND 2

struct race {
	int fd;
	__u32 dev, ioas, ioas2, hwpt;
	int efd;
	int memfd;	/* 4 pages, for MAP_FILE */
	void *buf;
	__u64 *mem;
	int nested;
	/* The HWPTs made: nest parents behind an SMMUv3, else (virtio-iommu,
	 * which has none) paging ones. */
	__u32 hwpt_flags;
	__u32 viommu;
	atomic_bool stop;
	atomic_long ops, unexpected;
	const struct edu *e;
};

/* Counts an answer; anything outside @allowed (a 0-terminated list of
 * errnos, 0 itself always allowed) is unexpected. */
static void answer(struct race *r, const char *what, int rc, const int *allowed)
{
	atomic_fetch_add(&r->ops, 1);
	if (!rc)
		return;
	for (; *allowed; allowed++)
		if (rc == *allowed)
			return;
	if (atomic_fetch_add(&r->unexpected, 1) < 5)
		fprintf(stderr, "# unexpected: %s answered %d (%s)\n", what, rc, strerror(rc));
}

/* Every command below may also meet a file being closed (EBADF) or a
 * function that left the driver (ENODEV). */
#define GONE EBADF, ENODEV

static void *mapper(void *p)
{
	static const int ok_map[] = { EEXIST, ENOENT, ENOSPC, GONE, 0 };
	static const int ok_unmap[] = { ENOENT, GONE, 0 };
	static const int ok_copy[] = { ENOENT, EEXIST, ENOSPC, GONE, 0 };
	struct race *r = p;
	__u64 unmapped;

	while (!atomic_load(&r->stop)) {
		__u64 iova = 0x100000, dst = 0x200000;

		answer(r, "MAP", map(r->fd, r->ioas, r->buf, 8 * PAGE, &iova, FIXED), ok_map);
		answer(r, "COPY", copy(r->fd, r->ioas2, r->ioas, 0x100000, 8 * PAGE, &dst,
				       FIXED), ok_copy);
		answer(r, "UNMAP", unmap(r->fd, r->ioas2, 0x200000, 8 * PAGE, &unmapped), ok_unmap);
		answer(r, "UNMAP", unmap(r->fd, r->ioas, 0x100000, 8 * PAGE, &unmapped), ok_unmap);
	}
	return NULL;
}

static void *attacher(void *p)
{
	static const int ok_attach[] = { ENOENT, EINVAL, EBUSY, GONE, 0 };
	static const int ok_detach[] = { EINVAL, ENOENT, GONE, 0 };
	struct race *r = p;

	while (!atomic_load(&r->stop)) {
		answer(r, "ATTACH ioas", attach(r->fd, r->dev, r->ioas, NULL), ok_attach);
		answer(r, "ATTACH hwpt", attach(r->fd, r->dev, r->hwpt, NULL), ok_attach);
		answer(r, "DETACH", detach(r->fd, r->dev), ok_detach);
	}
	return NULL;
}

static void *irqs(void *p)
{
	/* Needs an attachment (EINVAL while detached). */
	static const int ok[] = { EINVAL, ENOENT, ENOSPC, GONE, 0 };
	struct race *r = p;

	while (!atomic_load(&r->stop)) {
		answer(r, "SET_IRQS 1", set_irqs(r->fd, r->dev, 1, &r->efd), ok);
		answer(r, "SET_IRQS 0", set_irqs(r->fd, r->dev, 0, NULL), ok);
	}
	return NULL;
}

static void *destroyer(void *p)
{
	/* Busy while used, gone once destroyed, made again. */
	static const int ok_destroy[] = { EBUSY, ENOENT, GONE, 0 };
	static const int ok_alloc[] = { ENOENT, EINVAL, GONE, 0 };
	struct race *r = p;

	while (!atomic_load(&r->stop)) {
		__u32 id;

		answer(r, "DESTROY hwpt", destroy(r->fd, r->hwpt), ok_destroy);
		answer(r, "DESTROY ioas", destroy(r->fd, r->ioas2), ok_destroy);
		if (!hwpt_alloc(r->fd, r->dev, r->ioas, r->hwpt_flags, 0, &id))
			r->hwpt = id;
		else
			answer(r, "HWPT_ALLOC", errno, ok_alloc);
		if (!ioas_alloc(r->fd, &id))
			r->ioas2 = id;
		usleep(1000);
	}
	return NULL;
}

/* IOMMU_IOAS_CHANGE_PROCESS holds every IOAS of the file at once, against
 * all the above: EINVAL while an anonymous map is in. */
static void *changer(void *p)
{
	static const int ok_map[] = { EEXIST, ENOENT, ENOSPC, GONE, 0 };
	static const int ok_unmap[] = { ENOENT, GONE, 0 };
	static const int ok_change[] = { EINVAL, GONE, 0 };
	struct iommu_ioas_change_process c = { .size = sizeof(c) };
	struct race *r = p;
	__u64 unmapped;

	while (!atomic_load(&r->stop)) {
		__u64 iova = 0x800000;

		answer(r, "MAP_FILE", map_file(r->fd, r->ioas, r->memfd, 0, 4 * PAGE, &iova, FIXED),
		       ok_map);
		answer(r, "CHANGE_PROCESS", xioctl(r->fd, IOMMU_IOAS_CHANGE_PROCESS, &c),
		       ok_change);
		answer(r, "UNMAP", unmap(r->fd, r->ioas, 0x800000, 4 * PAGE, &unmapped), ok_unmap);
		answer(r, "CHANGE_PROCESS", xioctl(r->fd, IOMMU_IOAS_CHANGE_PROCESS, &c),
		       ok_change);
	}
	return NULL;
}

static void *guest(void *p)
{
	static const int ok_alloc[] = { ENOENT, EINVAL, EEXIST, EBUSY, GONE, 0 };
	static const int ok_inv[] = { ENOENT, EINVAL, GONE, 0 };
	static const int ok_destroy[] = { EBUSY, ENOENT, GONE, 0 };
	struct iommu_viommu_arm_smmuv3_invalidate inv[1] = { { CMD_TLBI_NH_ALL } };
	struct race *r = p;

	while (r->nested && !atomic_load(&r->stop)) {
		__u32 vdev = 0, s1 = 0, num = 1;
		int rc;

		rc = vdevice_alloc(r->fd, r->viommu, r->dev, VSID, &vdev);
		answer(r, "VDEVICE_ALLOC", rc, ok_alloc);
		rc = nested_alloc(r->fd, r->dev, r->viommu, STE0_V | STE0_CFG(CFG_S1) | IPA(CD_PAGE),
				  STE1_WALKS, &s1);
		answer(r, "HWPT_ALLOC nested", rc, ok_alloc);
		if (!rc)
			answer(r, "ATTACH nested", attach(r->fd, r->dev, s1, NULL), ok_alloc);
		answer(r, "INVALIDATE", invalidate(r->fd, r->viommu, inv, &num), ok_inv);
		if (s1)
			answer(r, "DESTROY nested", destroy(r->fd, s1), ok_destroy);
		if (vdev)
			answer(r, "DESTROY vdevice", destroy(r->fd, vdev), ok_destroy);
	}
	return NULL;
}

/* Sets up one file with a device, two IOASes, a nest parent and (where
 * nesting is available) a vIOMMU over it. */
static int setup(struct race *r)
{
	__u64 iova = IPA_BASE;
	__u32 s2;

	r->fd = open(dev_path(), O_RDWR);
	if (r->fd < 0 || bind_dev(r->fd, r->e, &r->dev) || ioas_alloc(r->fd, &r->ioas) ||
	    ioas_alloc(r->fd, &r->ioas2) ||
	    hwpt_alloc(r->fd, r->dev, r->ioas, r->hwpt_flags, 0, &r->hwpt))
		return -1;
	if (!r->nested)
		return 0;
	if (map(r->fd, r->ioas, r->mem, MEM_PAGES * PAGE, &iova, FIXED) ||
	    hwpt_alloc(r->fd, r->dev, r->ioas, IOMMU_HWPT_ALLOC_NEST_PARENT, 0, &s2) ||
	    viommu_alloc(r->fd, r->dev, s2, IOMMU_VIOMMU_TYPE_ARM_SMMUV3, &r->viommu))
		return -1;
	return 0;
}

TEST(teardown_races_commands)
{
	void *(*const workers[])(void *) = { mapper, attacher, irqs, destroyer, changer, guest };
	pthread_t t[ARRAY_SIZE(workers)];
	struct race r = { 0 };
	struct edu e;
	long pin0 = vm_pin_pages(), domains0 = live_domains();

	if (find_edu(0, &e))
		SKIP(return, "no edu device");
	r.e = &e;
	r.buf = buffer(8 * PAGE);
	r.mem = buffer(MEM_PAGES * PAGE);
	ASSERT_NE(NULL, r.buf);
	ASSERT_NE(NULL, r.mem);
	build_stage1(r.mem);
	r.efd = eventfd(0, EFD_NONBLOCK);
	ASSERT_LE(0, r.efd);
	r.memfd = memfd_create("teardown_race", 0);
	ASSERT_LE(0, r.memfd);
	ASSERT_EQ(0, ftruncate(r.memfd, 4 * PAGE));
	for (int round = 0; round < ROUNDS; round++) {
		ASSERT_EQ(0, set_driver(&e, "iommufd_rs"));
		ASSERT_EQ(0, enable_device(&e));
		r.nested = nesting_available(&e);
		r.hwpt_flags = behind_smmuv3(&e) ? IOMMU_HWPT_ALLOC_NEST_PARENT : 0;
		ASSERT_EQ(0, setup(&r));
		atomic_store(&r.stop, false);
		for (size_t i = 0; i < ARRAY_SIZE(workers); i++)
			ASSERT_EQ(0, pthread_create(&t[i], NULL, workers[i], &r));
		sleep(SECONDS_PER_ROUND);
		/* The last round pulls the function out from under the file;
		 * the others close the file under the workers. */
		if (round == ROUNDS - 1) {
			ASSERT_EQ(0, set_driver(&e, NULL));
		} else {
			close(r.fd);
		}
		usleep(200000);
		atomic_store(&r.stop, true);
		for (size_t i = 0; i < ARRAY_SIZE(workers); i++)
			pthread_join(t[i], NULL);
		if (round == ROUNDS - 1) {
			/* What the races left, with the function gone: every
			 * IOAS still exactly what its domains translate. */
			struct iommu_iova_range probe = { 0, 0x2000000 - 1 };
			char why[512] = "";
			__u32 bad = 0;
			int rc = check_file_ioases(r.fd, 64, &probe, 1, &bad, NULL);

			if (rc)
				last_check_report(why, sizeof(why));
			EXPECT_EQ(0, rc) TH_LOG("IOAS %u failed the isolation check: %s", bad, why);
			close(r.fd);
		} else {
			set_driver(&e, NULL);
		}
		EXPECT_EQ(pin0, vm_pin_pages());
		EXPECT_EQ(domains0, live_domains());
		if (r.nested) {
			EXPECT_EQ(0, debugfs_number("viommus"));
			EXPECT_EQ(0, debugfs_number("nested_domains"));
		}
	}
	TH_LOG("%d rounds, %ld commands by %zu threads (nesting %s), %ld unexpected answers",
	       ROUNDS, atomic_load(&r.ops), ARRAY_SIZE(workers), r.nested ? "on" : "off",
	       atomic_load(&r.unexpected));
	EXPECT_EQ(0, atomic_load(&r.unexpected));
	close(r.efd);
	close(r.memfd);
}

TEST_HARNESS_MAIN
