// SPDX-License-Identifier: GPL-2.0
/*
 * Fault injection on every ioctl path, the way upstream's iommufd_fail_nth
 * does it: each sequence of commands runs with this thread's fail-nth set
 * to 1, 2, 3, ... (failslab, fail_page_alloc down to order 0 and usercopy
 * faults, sleeping allocations included) until it runs without reaching the
 * injection point. After every run the file is closed and nothing may be
 * left behind: VmPin, VmLck and the system's FOLL_PIN count (/proc/vmstat,
 * the mm's own, which sees a pin leaked where VmPin does not) back to their
 * baselines (and, in the runs charged against RLIMIT_MEMLOCK, the whole
 * limit free to pin again), a
 * memfd that was mapped can be sealed against writes again (no page still
 * pinned), smmu_rs's domain, table-page, DMA, vIOMMU and nested-domain
 * counters back, and the device free to bind again. The last, uninjected
 * run must succeed whole. The guest boot fails on any oops, warning or
 * lockdep report meanwhile. Before the file of a run is closed, every IOAS it
 * has left must pass the isolation check (IOMMU_TEST_IOAS_CHECK): whatever
 * failed, each domain translates exactly the areas.
 *
 * A sequence joins the sweep with one FAIL_NTH_SEQUENCE() line.
 *
 * IOMMU_DEVICE_SET_IRQS is not swept: a failure injected into Linux 7.3's
 * MSI allocation leaks in the GICv3 ITS (its_irq_domain_alloc() returns
 * when iommu_dma_prepare_msi() fails without giving back the event ids
 * its_alloc_device_irq() took), which leaves the function without MSIs
 * until it is unbound and then WARNs in its_msi_teardown(). Upstream's
 * iommufd_sw_msi() path fails there the same way. The module's own MSI
 * fault point, which fails before the kernel allocates anything, is
 * exercised instead (msi_setup_failure).
 *
 * The device sequences run on smmu_rs only. Behind Linux 7.3's in-tree
 * arm_smmu_v3, a failure injected while a file gives a group back (its
 * default domain is attached with IOMMU_SET_DOMAIN_MUST_SUCCEED) makes the
 * driver's attach fail where it must not: WARNs at iommu.c:158
 * (__iommu_group_set_domain_nofail) and arm-smmu-v3.c:1193
 * (arm_smmu_install_old_domain_invs). smmu_rs's identity and blocked
 * attaches allocate nothing.
 */
#include <sys/eventfd.h>
#include <time.h>
#include <sys/resource.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <linux/vfio.h>

#include "kselftest_harness.h"
#include "nested_util.h"
#include "fail_nth_util.h"

#define FAULT_ATTRS "/sys/kernel/debug/"

/* What a run may use, made outside the injection. */
struct run {
	struct edu *e;
	int fd;		/* /dev/iommu, opened inside the run */
	int node;	/* the function's node */
	int vnode;	/* a second open of it, bound as a VFIO device in a run */
	int memfd;	/* 4 pages, mapped with IOMMU_IOAS_MAP_FILE */
	int efd;	/* an eventfd for SET_IRQS */
	void *buf;	/* 16 anonymous pages */
	int account_mm;	/* charge pins to mm->locked_vm (RLIMIT_MODE 1) */
	long limit;	/* RLIMIT_MEMLOCK in pages when charged, else 0 */
	void *probe;	/* @limit anonymous pages */
	__u64 *mem;	/* nested guest memory (MEM_PAGES) */
	int smmu_rs;	/* the device is behind smmu_rs */
	int nested;	/* nesting is available (smmu_rs, assume_canwbs) */
	/* Run before each injected run and after it (given the run's
	 * result), outside the injection (NULL: none). */
	int (*pre)(struct run *r);
	void (*post)(struct run *r, int rc);
	/* What @pre left: this process's VmPin and VmLck. */
	long pre_pin, pre_lck;
	/* Set by @post when it found the state inconsistent. */
	const char *bad;
};

/* The counters that must come back after every run. */
struct counters {
	long vm_pin, vm_lck, foll_pins, domains, table_pages, dma_bytes, viommus, nested;
};

static void count(struct counters *c)
{
	c->vm_pin = vm_pin_pages();
	c->vm_lck = status_pages("VmLck");
	c->foll_pins = foll_pins();
	c->domains = live_domains();
	c->table_pages = debugfs_number("table_pages");
	c->dma_bytes = debugfs_number("dma_bytes");
	c->viommus = debugfs_number("viommus");
	c->nested = debugfs_number("nested_domains");
}

/* --- the sequences: 0 if every command succeeded --- */

/* Opens the file, charging pins to the mm if the run asks for it. */
static int open_iommufd(struct run *r)
{
	__u64 mm = 1;

	r->fd = open(dev_path(), O_RDWR);
	if (r->fd < 0)
		return -1;
	if (r->account_mm && option(r->fd, IOMMU_OPTION_RLIMIT_MODE, IOMMU_OPTION_OP_SET, 0, &mm))
		return -1;
	return 0;
}

/* Opens the file and binds the function by its node. */
static int open_and_bind(struct run *r, __u32 *dev)
{
	struct iommu_device_bind b = { .size = sizeof(b), .flags = IOMMU_DEVICE_BIND_FD,
				       .dev_fd = r->node };

	if (open_iommufd(r) || xioctl(r->fd, IOMMU_DEVICE_BIND, &b))
		return -1;
	*dev = b.out_dev_id;
	return 0;
}

static int seq_ioas(struct run *r)
{
	struct iommu_ioas_map_file mf = { .size = sizeof(mf), .flags = RW, .fd = r->memfd,
					  .length = 4 * PAGE };
	struct iommu_iova_range ranges[4];
	__u64 iova = 0, dst = 0, unmapped, v = 0, align;
	__u32 ioas, ioas2, n = 4;

	if (open_iommufd(r))
		return -1;
	if (ioas_alloc(r->fd, &ioas) || ioas_alloc(r->fd, &ioas2))
		return -1;
	if (map(r->fd, ioas, r->buf, 16 * PAGE, &iova, RW))
		return -1;
	if (copy(r->fd, ioas2, ioas, iova, 16 * PAGE, &dst, RW))
		return -1;
	if (iova_ranges(r->fd, ioas, ranges, &n, &align))
		return -1;
	if (option(r->fd, IOMMU_OPTION_HUGE_PAGES, IOMMU_OPTION_OP_SET, ioas2, &v))
		return -1;
	mf.ioas_id = ioas;
	if (xioctl(r->fd, IOMMU_IOAS_MAP_FILE, &mf))
		return -1;
	if (unmap(r->fd, ioas, iova, 16 * PAGE, &unmapped))
		return -1;
	return destroy(r->fd, ioas2);
}

static int seq_device(struct run *r)
{
	struct iommu_resv_region regions[8];
	struct iommu_device_resv_regions q = { .size = sizeof(q), .num_regions = 8,
					       .regions_uptr = (uintptr_t)regions };
	__u64 iova = 0, start = 0x10000000, mib = 1;
	__u32 dev, ioas, hwpt, auto_hwpt;

	if (open_and_bind(r, &dev))
		return -1;
	q.dev_id = dev;
	if (xioctl(r->fd, IOMMU_DEVICE_GET_RESV_REGIONS, &q))
		return -1;
	if (option(r->fd, IOMMU_OPTION_SW_MSI_START, IOMMU_OPTION_OP_SET, dev, &start) ||
	    option(r->fd, IOMMU_OPTION_SW_MSI_SIZE, IOMMU_OPTION_OP_SET, dev, &mib))
		return -1;
	if (ioas_alloc(r->fd, &ioas) || map(r->fd, ioas, r->buf, 16 * PAGE, &iova, RW))
		return -1;
	if (attach(r->fd, dev, ioas, &auto_hwpt))
		return -1;
	/* No SET_IRQS under fail-nth: see msi_setup_failure below. */
	if (hwpt_alloc(r->fd, dev, ioas, IOMMU_HWPT_ALLOC_NEST_PARENT, 0, &hwpt))
		return -1;
	if (attach(r->fd, dev, hwpt, NULL))
		return -1;
	if (detach(r->fd, dev))
		return -1;
	return destroy(r->fd, dev);
}

/* The node as a VFIO device: open, bind onto the file, attach, info,
 * config space, detach, attach again; closing the node (post) releases. */
static int seq_vfio_node(struct run *r)
{
	struct vfio_device_bind_iommufd b = { .argsz = sizeof(b) };
	struct vfio_device_attach_iommufd_pt a = { .argsz = sizeof(a) };
	struct vfio_device_detach_iommufd_pt d = { .argsz = sizeof(d) };
	struct vfio_device_info info = { .argsz = sizeof(info) };
	char node[320], cfg[256];
	__u64 iova = 0;
	__u32 ioas;

	if (open_iommufd(r))
		return -1;
	snprintf(node, sizeof(node), "/dev/iommufd_rs/%s", r->e->bdf);
	r->vnode = open(node, O_RDWR);
	if (r->vnode < 0)
		return -1;
	b.iommufd = r->fd;
	if (xioctl(r->vnode, VFIO_DEVICE_BIND_IOMMUFD, &b))
		return -1;
	if (ioas_alloc(r->fd, &ioas) || map(r->fd, ioas, r->buf, 16 * PAGE, &iova, RW))
		return -1;
	a.pt_id = ioas;
	if (xioctl(r->vnode, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &a))
		return -1;
	if (xioctl(r->vnode, VFIO_DEVICE_GET_INFO, &info))
		return -1;
	if (pread(r->vnode, cfg, sizeof(cfg), (__u64)VFIO_PCI_CONFIG_REGION_INDEX << 40) !=
	    sizeof(cfg))
		return -1;
	if (xioctl(r->vnode, VFIO_DEVICE_DETACH_IOMMUFD_PT, &d))
		return -1;
	a.pt_id = ioas;
	return xioctl(r->vnode, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &a);
}

static int pre_vfio_node(struct run *r)
{
	r->vnode = -1;
	return 0;
}

/* Closing the node gives everything back: the device object, its
 * attachment and automatic HWPT, the function. */
static void post_vfio_node(struct run *r, int rc)
{
	if (r->vnode >= 0 && close(r->vnode))
		r->bad = "closing the node failed";
	r->vnode = -1;
}

static int seq_nested(struct run *r)
{
	struct iommu_viommu_arm_smmuv3_invalidate inv[2] = { { CMD_TLBI_NH_ALL },
							     { CMD_CFGI_CD(VSID) } };
	struct iommu_hw_info_arm_smmuv3 info;
	struct iommu_hw_info hw = { .size = sizeof(hw), .data_len = sizeof(info),
				    .data_uptr = (uintptr_t)&info };
	__u32 dev, ioas, s2, viommu, vdev, veventq, s1, num = 2;
	__u64 iova = IPA_BASE;
	int qfd;

	if (open_and_bind(r, &dev))
		return -1;
	hw.dev_id = dev;
	if (xioctl(r->fd, IOMMU_GET_HW_INFO, &hw))
		return -1;
	if (ioas_alloc(r->fd, &ioas) ||
	    map(r->fd, ioas, r->mem, MEM_PAGES * PAGE, &iova, RW | IOMMU_IOAS_MAP_FIXED_IOVA))
		return -1;
	if (hwpt_alloc(r->fd, dev, ioas, IOMMU_HWPT_ALLOC_NEST_PARENT, 0, &s2))
		return -1;
	if (viommu_alloc(r->fd, dev, s2, IOMMU_VIOMMU_TYPE_ARM_SMMUV3, &viommu))
		return -1;
	if (vdevice_alloc(r->fd, viommu, dev, VSID, &vdev))
		return -1;
	if (veventq_alloc(r->fd, viommu, IOMMU_VEVENTQ_TYPE_ARM_SMMUV3, 4, &veventq, &qfd))
		return -1;
	close(qfd);
	if (nested_alloc(r->fd, dev, viommu, STE0_V | STE0_CFG(CFG_S1) | IPA(CD_PAGE),
			 STE1_WALKS, &s1))
		return -1;
	if (attach(r->fd, dev, s1, NULL))
		return -1;
	return invalidate(r->fd, viommu, inv, &num);
}

/*
 * IOMMU_IOAS_CHANGE_PROCESS: before the injection, a device attached to one
 * of two IOASes and a forked child (gone when the run starts) that mapped the
 * run's memfd with MAP_FILE into that IOAS and COPYed it into the other, so
 * its 4 pinned pages count in the child's mm and its charge (in the
 * charged sweeps) is the child's. Under the injection this process takes
 * them over: whatever fails, the pins and the charge moved whole (the
 * command succeeded) or not at all (it failed).
 */
static int pre_change_process(struct run *r)
{
	__u32 dev, ioas, ioas2;
	int status;
	pid_t pid;

	if (open_and_bind(r, &dev) || ioas_alloc(r->fd, &ioas) || ioas_alloc(r->fd, &ioas2) ||
	    attach(r->fd, dev, ioas, NULL))
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (!pid) {
		__u64 iova = 0x100000, dst = 0x400000;

		_exit(map_file(r->fd, ioas, r->memfd, 0, 4 * PAGE, &iova, FIXED) ||
		      copy(r->fd, ioas2, ioas, iova, 4 * PAGE, &dst, FIXED));
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status))
		return -1;
	r->pre_pin = vm_pin_pages();
	r->pre_lck = status_pages("VmLck");
	return 0;
}

static int seq_change_process(struct run *r)
{
	struct iommu_ioas_change_process c = { .size = sizeof(c) };

	return xioctl(r->fd, IOMMU_IOAS_CHANGE_PROCESS, &c);
}

/* After the injection (reading /proc allocates): all moved or nothing. */
static void post_change_process(struct run *r, int rc)
{
	long moved = rc ? 0 : 4, lck = r->limit && r->account_mm ? moved : 0;

	if (vm_pin_pages() != r->pre_pin + moved)
		r->bad = rc ? "VmPin moved by a failed CHANGE_PROCESS" :
			      "VmPin not moved by CHANGE_PROCESS";
	else if (status_pages("VmLck") != r->pre_lck + lck)
		r->bad = rc ? "VmLck moved by a failed CHANGE_PROCESS" :
			      "VmLck not moved by CHANGE_PROCESS";
}

FIXTURE(fail_nth) {
	struct edu e;
	struct run r;
	struct counters base;
};

FIXTURE_SETUP(fail_nth)
{
	static const char *const attrs[] = { "failslab", "fail_page_alloc", "fail_usercopy" };
	char path[128], node[320];

	for (size_t i = 0; i < ARRAY_SIZE(attrs); i++) {
		snprintf(path, sizeof(path), FAULT_ATTRS "%s/verbose", attrs[i]);
		ASSERT_EQ(0, write_file(path, "0"));
	}
	/* Sleeping allocations fail too, and order-0 pages (table pages). */
	ASSERT_EQ(0, write_file(FAULT_ATTRS "failslab/ignore-gfp-wait", "N"));
	ASSERT_EQ(0, write_file(FAULT_ATTRS "fail_page_alloc/ignore-gfp-wait", "N"));
	ASSERT_EQ(0, write_file(FAULT_ATTRS "fail_page_alloc/ignore-gfp-highmem", "N"));
	ASSERT_EQ(0, write_file(FAULT_ATTRS "fail_page_alloc/min-order", "0"));
	if (find_edu(0, &self->e))
		SKIP(return, "no edu device");
	ASSERT_EQ(0, set_driver(&self->e, "iommufd_rs"));
	ASSERT_EQ(0, enable_device(&self->e));
	snprintf(node, sizeof(node), "/dev/iommufd_rs/%s", self->e.bdf);
	for (int i = 0; i < 50 && (self->r.node = open(node, O_RDWR)) < 0; i++)
		usleep(10000);
	ASSERT_LE(0, self->r.node);
	self->r.e = &self->e;
	self->r.efd = eventfd(0, EFD_NONBLOCK);
	ASSERT_LE(0, self->r.efd);
	self->r.buf = buffer(16 * PAGE);
	self->r.mem = buffer(MEM_PAGES * PAGE);
	ASSERT_NE(NULL, self->r.buf);
	ASSERT_NE(NULL, self->r.mem);
	build_stage1(self->r.mem);
	self->r.smmu_rs = behind_smmu_rs(&self->e);
	self->r.nested = nesting_available(&self->e);
	count(&self->base);
	nth_fd = open("/proc/thread-self/fail-nth", O_RDWR);
	ASSERT_LE(0, nth_fd);
}

FIXTURE_TEARDOWN(fail_nth)
{
	if (nth_fd >= 0) {
		set_fail_nth(0);
		close(nth_fd);
		nth_fd = -1;
	}
	close(self->r.node);
	close(self->r.efd);
	set_driver(&self->e, NULL);
}

/*
 * With pins charged against RLIMIT_MEMLOCK: maps @r->limit pages and gives
 * them back. 0 if the whole limit could be pinned, so nothing holds a
 * charge; the map's errno if not (ENOMEM over the limit); -1 if the file
 * or the IOAS could not be made.
 */
static int whole_limit_pins(struct run *r)
{
	__u64 iova = 0;
	__u32 ioas;
	int rc;

	if (open_iommufd(r))
		return -1;
	rc = ioas_alloc(r->fd, &ioas) ? -1 : map(r->fd, ioas, r->probe, r->limit * PAGE, &iova, RW);
	close(r->fd);
	r->fd = -1;
	return rc;
}

/*
 * Runs @seq with fail-nth 1, 2, ... until a run does not reach the
 * injection point; checks after each run that everything came back.
 */
static void sweep(struct __test_metadata *_metadata, FIXTURE_DATA(fail_nth) *self,
		  const char *name, int (*seq)(struct run *))
{
	struct counters now;
	unsigned int n;
	int absorbed = 0;
	long check_ns = 0, ioas_checked = 0;

	for (n = 1; n < 100000; n++) {
		int injected, rc;

		self->r.memfd = memfd_create("fail_nth", MFD_ALLOW_SEALING);
		ASSERT_LE(0, self->r.memfd);
		ASSERT_EQ(0, ftruncate(self->r.memfd, 4 * PAGE));
		self->r.fd = -1;
		self->r.bad = NULL;
		if (self->r.pre)
			ASSERT_EQ(0, self->r.pre(&self->r)) TH_LOG("%s, fail-nth %u: setup", name, n);
		ASSERT_EQ(0, set_fail_nth(n));
		rc = seq(&self->r);
		injected = end_fail_nth();
		if (self->r.post)
			self->r.post(&self->r, rc);
		ASSERT_TRUE(self->r.bad == NULL) TH_LOG("%s, fail-nth %u (rc %d): %s", name, n, rc,
							self->r.bad);
		if (self->r.fd >= 0) {
			/* Whatever the failure left: every IOAS exactly what its
			 * domains translate. */
			struct iommu_iova_range probe = { 0, IPA_BASE + MEM_PAGES * PAGE + PAGE };
			struct timespec t0, t1;
			char why[512] = "";
			__u32 bad = 0;
			int crc, checked = 0;

			clock_gettime(CLOCK_MONOTONIC, &t0);
			crc = check_file_ioases(self->r.fd, 64, &probe, 1, &bad, &checked);
			clock_gettime(CLOCK_MONOTONIC, &t1);
			check_ns += (t1.tv_sec - t0.tv_sec) * 1000000000L + t1.tv_nsec - t0.tv_nsec;
			ioas_checked += checked;
			if (crc)
				last_check_report(why, sizeof(why));
			ASSERT_EQ(0, crc) TH_LOG("%s, fail-nth %u: IOAS %u failed the isolation check: %s",
						 name, n, bad, why);
			ASSERT_EQ(0, close(self->r.fd));
		}
		/* Nothing of the run is left. */
		count(&now);
		ASSERT_EQ(self->base.vm_pin, now.vm_pin) TH_LOG("%s, fail-nth %u: VmPin", name, n);
		ASSERT_EQ(self->base.vm_lck, now.vm_lck) TH_LOG("%s, fail-nth %u: VmLck", name, n);
		ASSERT_EQ(self->base.foll_pins, now.foll_pins)
			TH_LOG("%s, fail-nth %u: FOLL_PIN pins (/proc/vmstat)", name, n);
		if (self->r.limit)
			ASSERT_EQ(0, whole_limit_pins(&self->r))
				TH_LOG("%s, fail-nth %u: RLIMIT_MEMLOCK still charged", name, n);
		ASSERT_EQ(self->base.domains, now.domains) TH_LOG("%s, fail-nth %u: domains", name, n);
		ASSERT_EQ(self->base.table_pages, now.table_pages)
			TH_LOG("%s, fail-nth %u: table pages", name, n);
		ASSERT_EQ(self->base.dma_bytes, now.dma_bytes)
			TH_LOG("%s, fail-nth %u: DMA bytes", name, n);
		ASSERT_EQ(self->base.viommus, now.viommus) TH_LOG("%s, fail-nth %u: vIOMMUs", name, n);
		ASSERT_EQ(self->base.nested, now.nested)
			TH_LOG("%s, fail-nth %u: nested domains", name, n);
		ASSERT_EQ(0, fcntl(self->r.memfd, F_ADD_SEALS, F_SEAL_WRITE))
			TH_LOG("%s, fail-nth %u: a memfd page is still pinned", name, n);
		close(self->r.memfd);
		if (!injected) {
			/* The injection point was never reached: a clean run. */
			ASSERT_EQ(0, rc) TH_LOG("%s: the uninjected run failed", name);
			break;
		}
		if (rc == 0)
			absorbed++;
	}
	TH_LOG("%s: %u injection points (%d absorbed without an error), final run clean", name,
	       n - 1, absorbed);
	TH_LOG("%s: isolation check after all %u runs: %ld IOAS checked in %.3f s", name, n,
	       ioas_checked, check_ns / 1e9);
	ASSERT_LT(1, n);
}

/* The module's MSI fault point fails the next SET_IRQS once; the device
 * must be left without vectors, and a new SET_IRQS must deliver. */
TEST_F(fail_nth, msi_setup_failure)
{
	volatile __u64 *bar = map_bar0(&self->e);
	__u32 dev, ioas;

	ASSERT_NE(NULL, bar);
	self->r.fd = open(dev_path(), O_RDWR);
	ASSERT_LE(0, self->r.fd);
	ASSERT_EQ(0, bind_dev(self->r.fd, &self->e, &dev));
	ASSERT_EQ(0, ioas_alloc(self->r.fd, &ioas));
	ASSERT_EQ(0, attach(self->r.fd, dev, ioas, NULL));
	ASSERT_EQ(0, write_file(FAULT_ATTRS "iommufd_rs/fail_msi/times", "1"));
	ASSERT_EQ(0, write_file(FAULT_ATTRS "iommufd_rs/fail_msi/probability", "100"));
	EXPECT_EQ(ENOSPC, set_irqs(self->r.fd, dev, 1, &self->r.efd));
	ASSERT_EQ(0, write_file(FAULT_ATTRS "iommufd_rs/fail_msi/probability", "0"));
	raise_irq(bar);
	EXPECT_EQ(0, events(self->r.efd, 300));
	ASSERT_EQ(0, set_irqs(self->r.fd, dev, 1, &self->r.efd));
	raise_irq(bar);
	EXPECT_EQ(1, events(self->r.efd, 1000));
	close(self->r.fd);
	munmap((void *)bar, 1 << 20);
}

/* What a sequence needs of the rig. */
enum needs { ANY, SMMU_RS, NESTING };

#define FAIL_NTH_SEQUENCE(name, needs)                                                  \
	TEST_F(fail_nth, name)                                                          \
	{                                                                               \
		if ((needs) >= SMMU_RS && !self->r.smmu_rs)                             \
			SKIP(return, "needs smmu_rs: other drivers' must-succeed "      \
				     "attaches may fail under injection (arm_smmu_v3's do)"); \
		if ((needs) == NESTING && !self->r.nested)                              \
			SKIP(return, "nesting needs smmu_rs with assume_canwbs");       \
		sweep(_metadata, self, #name, seq_##name);                              \
	}

FAIL_NTH_SEQUENCE(ioas, ANY)
FAIL_NTH_SEQUENCE(device, SMMU_RS)
FAIL_NTH_SEQUENCE(nested, NESTING)

TEST_F(fail_nth, vfio_node)
{
	if (!self->r.smmu_rs)
		SKIP(return, "needs smmu_rs: other drivers' must-succeed attaches may fail "
			     "under injection (arm_smmu_v3's do)");
	self->r.pre = pre_vfio_node;
	self->r.post = post_vfio_node;
	sweep(_metadata, self, "vfio_node", seq_vfio_node);
}

/* Only the command itself runs injected (the device's close is not). */
TEST_F(fail_nth, change_process)
{
	self->r.pre = pre_change_process;
	self->r.post = post_change_process;
	sweep(_metadata, self, "change_process", seq_change_process);
}

/*
 * The IOAS sequence with its pins charged against RLIMIT_MEMLOCK
 * (CAP_IPC_LOCK dropped; the harness runs each test in its own process), to
 * user->locked_vm and to mm->locked_vm: after every run the whole limit
 * can be pinned again, so no failure kept a charge, and VmLck is back.
 */
static void charged_sweep(struct __test_metadata *_metadata, FIXTURE_DATA(fail_nth) *self,
			  const char *name, int account_mm, int (*seq)(struct run *))
{
	struct rlimit rl = { 64 * PAGE, 64 * PAGE };

	self->r.limit = 64;
	self->r.account_mm = account_mm;
	self->r.probe = buffer(self->r.limit * PAGE);
	ASSERT_NE(NULL, self->r.probe);
	ASSERT_EQ(0, setrlimit(RLIMIT_MEMLOCK, &rl));
	ASSERT_EQ(0, drop_ipc_lock());
	ASSERT_EQ(0, whole_limit_pins(&self->r)) TH_LOG("the limit is not free to begin with");
	/* One page more than the limit is refused: the limit applies. */
	munmap(self->r.probe, self->r.limit * PAGE);
	self->r.limit++;
	self->r.probe = buffer(self->r.limit * PAGE);
	ASSERT_NE(NULL, self->r.probe);
	ASSERT_EQ(ENOMEM, whole_limit_pins(&self->r));
	self->r.limit--;
	count(&self->base);
	sweep(_metadata, self, name, seq);
}

TEST_F(fail_nth, ioas_charged_to_user)
{
	charged_sweep(_metadata, self, "ioas_charged_to_user", 0, seq_ioas);
}

TEST_F(fail_nth, ioas_charged_to_mm)
{
	charged_sweep(_metadata, self, "ioas_charged_to_mm", 1, seq_ioas);
}

/* The child's charge moves to this process's user (the same user: charged
 * anew, then returned, as upstream) or to its mm (VmLck), or stays. */
TEST_F(fail_nth, change_process_charged_to_user)
{
	self->r.pre = pre_change_process;
	self->r.post = post_change_process;
	charged_sweep(_metadata, self, "change_process_charged_to_user", 0, seq_change_process);
}

TEST_F(fail_nth, change_process_charged_to_mm)
{
	self->r.pre = pre_change_process;
	self->r.post = post_change_process;
	charged_sweep(_metadata, self, "change_process_charged_to_mm", 1, seq_change_process);
}

TEST_HARNESS_MAIN
