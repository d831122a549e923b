// SPDX-License-Identifier: GPL-2.0
/*
 * IOMMU_IOAS_CHANGE_PROCESS against the real module with an edu device: a
 * forked child (nobody, without CAP_IPC_LOCK, so its maps are charged)
 * makes memfds and maps them with IOMMU_IOAS_MAP_FILE through a file its
 * parent opened, into two IOASes, one of them with the device attached and
 * one holding a COPY of the other's area; the parent takes the file's pages
 * over, the child exits, and the device still reaches the pages. In both
 * RLIMIT modes the charge moves from the child to the parent: per user, the
 * user's locked_vm (measured by what a process of that user can still map
 * under a known RLIMIT_MEMLOCK), per process, VmLck; and VmPin moves from
 * the child's mm to the parent's, measured in the child before it exits.
 * The COPY's area shares its source's pages, which are charged once. All
 * or nothing: an anonymous (IOMMU_IOAS_MAP) area anywhere is EINVAL, a
 * parent whose RLIMIT_MEMLOCK cannot take the charge gets ENOMEM (whatever
 * its capabilities, as upstream), and neither moves anything; taking over
 * again and again while the child maps and unmaps leaves every count
 * exact.
 */
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "edu_util.h"

#define NOBODY 65534
#define IOVA_A 0x100000UL	/* memfd A, 8 pages, in IOAS 1 (with the device) */
#define IOVA_B 0x200000UL	/* memfd B, 4 pages, in IOAS 2 */
#define IOVA_COPY 0x400000UL	/* COPY of memfd A's area, in IOAS 2 */
#define IOVA_ANON 0x800000UL	/* anonymous memory, in IOAS 2, if asked */
#define A_PAGES 8
#define B_PAGES 4
/* What the child's maps are charged: each mapping once, COPY shares. */
#define CHARGED (A_PAGES + B_PAGES)
/* The RLIMIT_MEMLOCK under which a user's locked_vm is measured. */
#define PROBE_LIMIT 1024

static int change_process(int fd, __u32 size, __u32 reserved)
{
	struct {
		struct iommu_ioas_change_process c;
		__u32 tail[2];
	} buf = { .c = { .size = size, .__reserved = reserved } };

	return xioctl(fd, IOMMU_IOAS_CHANGE_PROCESS, &buf);
}

/* What the child tells its parent. */
struct report {
	int mfd_a;	/* its memfd A, for /proc/<pid>/fd/ */
	long vm_pin, vm_lck;
	int rc;		/* the first failing step's errno, or 0 */
};

/* The child: its end of two pipes. */
struct kid {
	pid_t pid;
	int cmd, ans;	/* the parent's ends: commands to it, reports from it */
};

static void child_report(int ans, struct report *r)
{
	r->vm_pin = vm_pin_pages();
	r->vm_lck = status_pages("VmLck");
	if (write(ans, r, sizeof(*r)) != sizeof(*r))
		_exit(2);
}

/* What the child does besides its maps. */
enum extra {
	NOTHING,
	ANON,	/* maps anonymous memory into IOAS 2 too */
	CHURN,	/* after its first report, maps and unmaps a third memfd in
		 * IOAS 1 CHURN_ROUNDS times, then reports again */
};

#define CHURN_ROUNDS 300

/*
 * The child's life: become nobody (no capabilities, a 1 MiB memlock
 * limit), map memfd A into @ioas1 and memfd B and a COPY of A into @ioas2
 * (and what @extra says), report, then report again on each 'r' until
 * 'x'.
 */
static void child_main(int fd, __u32 ioas1, __u32 ioas2, enum extra extra, int cmd, int ans)
{
	struct rlimit rl = { 256 * PAGE, 256 * PAGE };
	struct report r = { .mfd_a = -1 };
	__u64 iova;
	char c;
	int mfd_b;

	if (setrlimit(RLIMIT_MEMLOCK, &rl) || setgroups(0, NULL) || setgid(NOBODY) ||
	    setuid(NOBODY))
		_exit(3);
	r.mfd_a = memfd_create("cp_a", 0);
	mfd_b = memfd_create("cp_b", 0);
	if (r.mfd_a < 0 || mfd_b < 0 || ftruncate(r.mfd_a, A_PAGES * PAGE) ||
	    ftruncate(mfd_b, B_PAGES * PAGE))
		_exit(4);
	iova = IOVA_A;
	r.rc = map_file(fd, ioas1, r.mfd_a, 0, A_PAGES * PAGE, &iova, FIXED);
	iova = IOVA_B;
	if (!r.rc)
		r.rc = map_file(fd, ioas2, mfd_b, 0, B_PAGES * PAGE, &iova, FIXED);
	iova = IOVA_COPY;
	if (!r.rc)
		r.rc = copy(fd, ioas2, ioas1, IOVA_A, A_PAGES * PAGE, &iova, FIXED);
	if (!r.rc && extra == ANON) {
		void *buf = buffer(2 * PAGE);

		iova = IOVA_ANON;
		r.rc = buf ? map(fd, ioas2, buf, 2 * PAGE, &iova, FIXED) : ENOMEM;
	}
	child_report(ans, &r);
	if (extra == CHURN) {
		int mfd_c = memfd_create("cp_c", 0);

		if (mfd_c < 0 || ftruncate(mfd_c, 2 * PAGE))
			_exit(5);
		for (int i = 0; i < CHURN_ROUNDS && !r.rc; i++) {
			iova = IOVA_ANON;
			r.rc = map_file(fd, ioas1, mfd_c, 0, 2 * PAGE, &iova, FIXED) ||
			       unmap(fd, ioas1, IOVA_ANON, 2 * PAGE, NULL);
		}
		child_report(ans, &r);
	}
	while (read(cmd, &c, 1) == 1 && c == 'r')
		child_report(ans, &r);
	_exit(0);
}

static int start_child(int fd, __u32 ioas1, __u32 ioas2, enum extra extra, struct kid *k,
		       struct report *r)
{
	int cmd[2], ans[2];

	if (pipe(cmd) || pipe(ans))
		return -1;
	k->pid = fork();
	if (k->pid < 0)
		return -1;
	if (!k->pid) {
		close(cmd[1]);
		close(ans[0]);
		child_main(fd, ioas1, ioas2, extra, cmd[0], ans[1]);
	}
	close(cmd[0]);
	close(ans[1]);
	k->cmd = cmd[1];
	k->ans = ans[0];
	return read(k->ans, r, sizeof(*r)) == sizeof(*r) ? 0 : -1;
}

/* The child's counts now. */
static int child_now(struct kid *k, struct report *r)
{
	return write(k->cmd, "r", 1) == 1 && read(k->ans, r, sizeof(*r)) == sizeof(*r) ? 0 : -1;
}

/* Lets the child exit and reaps it: 0 if it exited cleanly. */
static int end_child(struct kid *k)
{
	int status;

	if (k->pid <= 0)
		return 0;
	(void)!write(k->cmd, "x", 1);
	close(k->cmd);
	close(k->ans);
	if (waitpid(k->pid, &status, 0) != k->pid)
		return -1;
	k->pid = 0;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

/*
 * Pages charged to @uid's user->locked_vm: in a process of that user with
 * no CAP_IPC_LOCK and an RLIMIT_MEMLOCK of PROBE_LIMIT pages, the largest
 * map a fresh file of the default (per-user) mode takes is PROBE_LIMIT
 * minus that (maps without a domain charge only: the memory is never
 * touched). -1 on failure.
 */
static long user_locked_vm(uid_t uid)
{
	long lo = 0, hi = PROBE_LIMIT + 1;
	int p[2], status;
	pid_t pid;

	if (pipe(p))
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (!pid) {
		struct rlimit rl = { PROBE_LIMIT * PAGE, PROBE_LIMIT * PAGE };
		void *area = mmap(NULL, PROBE_LIMIT * PAGE, PROT_NONE,
				  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		int fd = open(dev_path(), O_RDWR);
		__u32 ioas;

		if (area == MAP_FAILED || fd < 0 || setrlimit(RLIMIT_MEMLOCK, &rl))
			_exit(1);
		if (uid ? setgroups(0, NULL) || setgid(uid) || setuid(uid) : drop_ipc_lock())
			_exit(1);
		if (ioas_alloc(fd, &ioas))
			_exit(1);
		/* lo maps, hi does not. */
		while (hi - lo > 1) {
			long mid = (lo + hi) / 2;
			__u64 iova = 0;
			int rc = map(fd, ioas, area, mid * PAGE, &iova, RW);

			if (rc == 0) {
				unmap(fd, ioas, iova, mid * PAGE, NULL);
				lo = mid;
			} else if (rc == ENOMEM) {
				hi = mid;
			} else {
				_exit(1);
			}
		}
		lo = PROBE_LIMIT - lo;
		_exit(write(p[1], &lo, sizeof(lo)) == sizeof(lo) ? 0 : 1);
	}
	close(p[1]);
	if (read(p[0], &lo, sizeof(lo)) != sizeof(lo))
		lo = -1;
	close(p[0]);
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status))
		return -1;
	return lo;
}

/* The device reads a page at @from and writes it back at @to; 0 if the
 * bytes arrived. */
static int dma_copy(volatile __u64 *bar, unsigned char *src, __u64 from,
		    unsigned char *dst, __u64 to, unsigned char pattern)
{
	memset(src, pattern, PAGE);
	memset(dst, 0, PAGE);
	if (edu_dma(bar, from, EDU_BUF, PAGE, 0) || edu_dma(bar, EDU_BUF, to, PAGE, 1))
		return -1;
	for (unsigned long i = 0; i < PAGE; i++)
		if (dst[i] != pattern)
			return -1;
	return 0;
}

/* No device needed: the command's own checks. */
TEST(sizes_reserved_and_no_areas)
{
	struct {
		struct iommu_ioas_change_process c;
		__u32 tail[2];
	} tail = { .c = { .size = sizeof(tail) }, .tail = { 0, 1 } };
	int fd = open(dev_path(), O_RDWR);
	__u32 ioas;

	ASSERT_LE(0, fd);
	/* Nothing at all, then IOASes without areas: nothing to do. */
	EXPECT_EQ(0, change_process(fd, sizeof(struct iommu_ioas_change_process), 0));
	ASSERT_EQ(0, ioas_alloc(fd, &ioas));
	ASSERT_EQ(0, ioas_alloc(fd, &ioas));
	EXPECT_EQ(0, change_process(fd, sizeof(struct iommu_ioas_change_process), 0));
	/* __reserved. */
	EXPECT_EQ(EOPNOTSUPP, change_process(fd, sizeof(struct iommu_ioas_change_process), 1));
	EXPECT_EQ(EOPNOTSUPP, change_process(fd, sizeof(struct iommu_ioas_change_process),
					     0x80000000));
	/* Sizes: below the minimum (8), longer with zero and non-zero tails. */
	EXPECT_EQ(EINVAL, change_process(fd, 0, 0));
	EXPECT_EQ(EINVAL, change_process(fd, 4, 0));
	EXPECT_EQ(EINVAL, change_process(fd, 7, 0));
	EXPECT_EQ(0, change_process(fd, 16, 0));
	EXPECT_EQ(E2BIG, xioctl(fd, IOMMU_IOAS_CHANGE_PROCESS, &tail));
	EXPECT_EQ(EFAULT, xioctl(fd, IOMMU_IOAS_CHANGE_PROCESS, NULL));
	close(fd);
}

FIXTURE(cp) {
	int fd;
	struct edu e;
	__u32 dev, ioas1, ioas2;
	volatile __u64 *bar;
	struct kid kid;
	long pin0, lck0, root0, nobody0;
};

FIXTURE_VARIANT(cp) {
	int account_mm;	/* IOMMU_OPTION_RLIMIT_MODE */
};

FIXTURE_VARIANT_ADD(cp, per_user) {
	.account_mm = 0,
};

FIXTURE_VARIANT_ADD(cp, per_process) {
	.account_mm = 1,
};

FIXTURE_SETUP(cp)
{
	__u64 mode = variant->account_mm;
	__u32 hwpt;

	self->kid.pid = 0;
	if (find_edu(0, &self->e))
		SKIP(return, "no edu device");
	ASSERT_EQ(0, set_driver(&self->e, "iommufd_rs"));
	ASSERT_EQ(0, enable_device(&self->e));
	self->bar = map_bar0(&self->e);
	ASSERT_NE(NULL, self->bar);
	self->fd = open(dev_path(), O_RDWR);
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, option(self->fd, IOMMU_OPTION_RLIMIT_MODE, IOMMU_OPTION_OP_SET, 0, &mode));
	ASSERT_EQ(0, bind_dev(self->fd, &self->e, &self->dev));
	ASSERT_EQ(0, ioas_alloc(self->fd, &self->ioas1));
	ASSERT_EQ(0, ioas_alloc(self->fd, &self->ioas2));
	ASSERT_EQ(0, attach(self->fd, self->dev, self->ioas1, &hwpt));
	self->pin0 = vm_pin_pages();
	self->lck0 = status_pages("VmLck");
	ASSERT_LE(0, self->pin0);
	ASSERT_LE(0, self->lck0);
	if (!variant->account_mm) {
		self->root0 = user_locked_vm(0);
		self->nobody0 = user_locked_vm(NOBODY);
		ASSERT_LE(0, self->root0);
		ASSERT_LE(0, self->nobody0);
	}
}

FIXTURE_TEARDOWN(cp)
{
	if (self->bar) {
		end_child(&self->kid);
		close(self->fd);
		/* The file's close returned every pin and charge, to whichever
		 * process held them. */
		EXPECT_EQ(self->pin0, vm_pin_pages());
		EXPECT_EQ(self->lck0, status_pages("VmLck"));
		if (!variant->account_mm) {
			EXPECT_EQ(self->root0, user_locked_vm(0));
			EXPECT_EQ(self->nobody0, user_locked_vm(NOBODY));
		}
		munmap((void *)self->bar, 1 << 20);
	}
	set_driver(&self->e, NULL);
}

/* Where the charge and the pins are: with the child (0) or the parent (1). */
#define EXPECT_OWNER(parent_has)                                                             \
	do {                                                                                 \
		struct report now;                                                           \
		ASSERT_EQ(0, child_now(&self->kid, &now));                                   \
		EXPECT_EQ((parent_has) ? 0 : A_PAGES, now.vm_pin);                           \
		EXPECT_EQ(self->pin0 + ((parent_has) ? A_PAGES : 0), vm_pin_pages());        \
		if (variant->account_mm) {                                                   \
			EXPECT_EQ((parent_has) ? 0 : CHARGED, now.vm_lck);                   \
			EXPECT_EQ(self->lck0 + ((parent_has) ? CHARGED : 0),                 \
				  status_pages("VmLck"));                                    \
		} else {                                                                     \
			EXPECT_EQ(0, now.vm_lck);                                            \
			EXPECT_EQ(self->lck0, status_pages("VmLck"));                        \
			EXPECT_EQ(self->root0 + ((parent_has) ? CHARGED : 0),                \
				  user_locked_vm(0));                                        \
			EXPECT_EQ(self->nobody0 + ((parent_has) ? 0 : CHARGED),              \
				  user_locked_vm(NOBODY));                                   \
		}                                                                            \
	} while (0)

/*
 * The child maps, the parent takes over, the child exits: the device still
 * reaches the memory, and a new pin (detach, attach) counts in the parent.
 */
TEST_F(cp, child_maps_parent_takes_over)
{
	char path[64];
	struct report r;
	unsigned char *a;
	__u32 hwpt;
	int mfd;

	ASSERT_EQ(0, start_child(self->fd, self->ioas1, self->ioas2, NOTHING, &self->kid, &r));
	ASSERT_EQ(0, r.rc);
	EXPECT_EQ(A_PAGES, r.vm_pin);
	EXPECT_OWNER(0);
	/* The parent's view of memfd A, through the child's fd. */
	snprintf(path, sizeof(path), "/proc/%d/fd/%d", self->kid.pid, r.mfd_a);
	mfd = open(path, O_RDWR);
	ASSERT_LE(0, mfd);
	a = mmap(NULL, A_PAGES * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
	ASSERT_NE(MAP_FAILED, a);

	ASSERT_EQ(0, change_process(self->fd, sizeof(struct iommu_ioas_change_process), 0));
	EXPECT_OWNER(1);
	/* Again: everything is the caller's already, nothing to do. */
	ASSERT_EQ(0, change_process(self->fd, sizeof(struct iommu_ioas_change_process), 0));
	EXPECT_OWNER(1);

	ASSERT_EQ(0, end_child(&self->kid));
	EXPECT_EQ(self->pin0 + A_PAGES, vm_pin_pages());
	EXPECT_EQ(0, dma_copy(self->bar, a, IOVA_A, a + 7 * PAGE, IOVA_A + 7 * PAGE, 0x5c));
	/* The pages are pinned again for a new domain: counted here. */
	ASSERT_EQ(0, detach(self->fd, self->dev));
	EXPECT_EQ(self->pin0, vm_pin_pages());
	ASSERT_EQ(0, attach(self->fd, self->dev, self->ioas1, &hwpt));
	EXPECT_EQ(self->pin0 + A_PAGES, vm_pin_pages());
	EXPECT_EQ(0, dma_copy(self->bar, a + PAGE, IOVA_A + PAGE, a + 2 * PAGE,
			      IOVA_A + 2 * PAGE, 0xa3));
	/* The device now reaches the COPY's area too, in the other IOAS. */
	ASSERT_EQ(0, detach(self->fd, self->dev));
	ASSERT_EQ(0, attach(self->fd, self->dev, self->ioas2, &hwpt));
	EXPECT_EQ(self->pin0 + A_PAGES + B_PAGES, vm_pin_pages());
	EXPECT_EQ(0, dma_copy(self->bar, a + 3 * PAGE, IOVA_COPY + 3 * PAGE, a + 4 * PAGE,
			      IOVA_COPY + 4 * PAGE, 0x3a));
	if (variant->account_mm) {
		EXPECT_EQ(self->lck0 + CHARGED, status_pages("VmLck"));
	}
	/* Unmapping returns the charge to the parent now. */
	ASSERT_EQ(0, unmap(self->fd, self->ioas2, 0, UINT64_MAX, NULL));
	ASSERT_EQ(0, unmap(self->fd, self->ioas1, 0, UINT64_MAX, NULL));
	EXPECT_EQ(self->pin0, vm_pin_pages());
	EXPECT_EQ(self->lck0, status_pages("VmLck"));
	if (!variant->account_mm) {
		EXPECT_EQ(self->root0, user_locked_vm(0));
	}
	munmap(a, A_PAGES * PAGE);
	close(mfd);
}

/* An anonymous area in either IOAS: EINVAL, nothing moved, every mapping
 * still there; without it the same command works. */
TEST_F(cp, anonymous_area_is_einval_and_moves_nothing)
{
	struct report r, now;
	__u64 unmapped;

	ASSERT_EQ(0, start_child(self->fd, self->ioas1, self->ioas2, ANON, &self->kid, &r));
	ASSERT_EQ(0, r.rc);
	EXPECT_EQ(EINVAL, change_process(self->fd, sizeof(struct iommu_ioas_change_process), 0));
	/* The anonymous map's 2 pages are the child's too. */
	ASSERT_EQ(0, child_now(&self->kid, &now));
	EXPECT_EQ(A_PAGES, now.vm_pin);
	EXPECT_EQ(self->pin0, vm_pin_pages());
	if (variant->account_mm) {
		EXPECT_EQ(CHARGED + 2, now.vm_lck);
	} else {
		EXPECT_EQ(self->nobody0 + CHARGED + 2, user_locked_vm(NOBODY));
	}
	/* Every area still mapped: each unmaps whole. */
	ASSERT_EQ(0, unmap(self->fd, self->ioas2, IOVA_ANON, 2 * PAGE, &unmapped));
	EXPECT_EQ(2 * PAGE, unmapped);
	EXPECT_OWNER(0);
	ASSERT_EQ(0, change_process(self->fd, sizeof(struct iommu_ioas_change_process), 0));
	EXPECT_OWNER(1);
	ASSERT_EQ(0, unmap(self->fd, self->ioas2, IOVA_B, B_PAGES * PAGE, &unmapped));
	EXPECT_EQ(B_PAGES * PAGE, unmapped);
	ASSERT_EQ(0, unmap(self->fd, self->ioas2, IOVA_COPY, A_PAGES * PAGE, &unmapped));
	ASSERT_EQ(0, unmap(self->fd, self->ioas1, IOVA_A, A_PAGES * PAGE, &unmapped));
	EXPECT_EQ(self->pin0, vm_pin_pages());
}

/* A parent whose RLIMIT_MEMLOCK cannot take the charge: ENOMEM, though it
 * has CAP_IPC_LOCK (upstream charges the new process against its limit
 * whatever its capabilities), and nothing moved; with room it works. */
TEST_F(cp, over_the_parents_rlimit_is_enomem_and_moves_nothing)
{
	struct rlimit old, low;
	struct report r;

	ASSERT_EQ(0, start_child(self->fd, self->ioas1, self->ioas2, NOTHING, &self->kid, &r));
	ASSERT_EQ(0, r.rc);
	ASSERT_EQ(0, getrlimit(RLIMIT_MEMLOCK, &old));
	/* One page short of the charge (beyond what root's user holds). */
	low.rlim_cur = low.rlim_max = (CHARGED - 1 + (variant->account_mm ? self->lck0 :
						      self->root0)) * PAGE;
	ASSERT_EQ(0, setrlimit(RLIMIT_MEMLOCK, &low));
	EXPECT_EQ(ENOMEM, change_process(self->fd, sizeof(struct iommu_ioas_change_process), 0));
	ASSERT_EQ(0, setrlimit(RLIMIT_MEMLOCK, &old));
	EXPECT_OWNER(0);
	/* Exactly the charge fits. */
	low.rlim_cur = low.rlim_max = low.rlim_cur + PAGE;
	ASSERT_EQ(0, setrlimit(RLIMIT_MEMLOCK, &low));
	EXPECT_EQ(0, change_process(self->fd, sizeof(struct iommu_ioas_change_process), 0));
	ASSERT_EQ(0, setrlimit(RLIMIT_MEMLOCK, &old));
	EXPECT_OWNER(1);
}

/*
 * The parent takes over again and again while the child maps and unmaps a
 * third memfd in the IOAS with the device: each of its maps is moved to the
 * parent or not, whole, and its unmap returns the charge and the pins to
 * whoever holds them then; at the end all of it is the parent's, the
 * third memfd's nobody's, and the file's close returns everything (the
 * teardown checks both users, VmLck and VmPin).
 */
TEST_F(cp, takes_over_while_the_child_maps_and_unmaps)
{
	struct iommu_ioas_change_process c = { .size = sizeof(c) };
	struct pollfd pfd;
	struct report r;
	int moves = 0, rc;

	ASSERT_EQ(0, start_child(self->fd, self->ioas1, self->ioas2, CHURN, &self->kid, &r));
	ASSERT_EQ(0, r.rc);
	pfd.fd = self->kid.ans;
	pfd.events = POLLIN;
	do {
		rc = xioctl(self->fd, IOMMU_IOAS_CHANGE_PROCESS, &c);
		ASSERT_EQ(0, rc);
		moves++;
	} while (poll(&pfd, 1, 0) == 0);
	ASSERT_EQ(sizeof(r), read(self->kid.ans, &r, sizeof(r)));
	EXPECT_EQ(0, r.rc);
	TH_LOG("%d takeovers during %d maps and unmaps", moves, CHURN_ROUNDS);
	ASSERT_EQ(0, change_process(self->fd, sizeof(c), 0));
	EXPECT_OWNER(1);
}

TEST_HARNESS_MAIN
