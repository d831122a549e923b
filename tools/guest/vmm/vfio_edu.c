// SPDX-License-Identifier: GPL-2.0
/*
 * vfio_edu: run inside the nested guest (L2) of the `vmm` scenario, where
 * QEMU's vfio-pci (in L1, on iommufd-rs's device node) shows the rig's edu.
 * It drives that edu through upstream VFIO in no-IOMMU mode (the group
 * path: /dev/vfio/vfio, /dev/vfio/noiommu-N, VFIO_NOIOMMU_IOMMU), so every
 * register access, DMA and MSI crosses L1's QEMU and iommufd-rs:
 *
 *   - BAR0 by mmap (or pread/pwrite when the region cannot be mmapped):
 *     edu's ID register and its liveness register (0x04 reads back ~x);
 *   - bus mastering through the config region;
 *   - SET_IRQS(MSI, one eventfd);
 *   - DMA RAM -> edu (the source a locked page's physical address, from
 *     /proc/self/pagemap: no IOMMU in L2, so L2's physical address is the
 *     address the device sees, which L1's QEMU mapped in L1's IOAS), an MSI,
 *     DMA edu -> RAM into a second page, an MSI, the bytes compared;
 *   - an MSI raised by a write to 0x60.
 *
 * Usage: vfio_edu BDF. With VFIO_EDU_HOLD=1 in the environment it stops
 * after the MSIs, MSI still on, prints @@L2-HOLD@@ and waits to be killed. Prints TAP; exits 0 only if every check passed.
 * Register layout: QEMU's hw/misc/edu.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/pci_regs.h>
#include <linux/vfio.h>

#define EDU_ID 0x00
#define EDU_LIVENESS 0x04
#define EDU_IRQ_STATUS 0x24
#define EDU_IRQ_RAISE 0x60
#define EDU_IRQ_ACK 0x64
#define EDU_DMA_SRC 0x80
#define EDU_DMA_DST 0x88
#define EDU_DMA_CNT 0x90
#define EDU_DMA_CMD 0x98
#define EDU_DMA_RUN 0x1
#define EDU_DMA_TO_RAM 0x2
#define EDU_DMA_IRQ 0x4
#define EDU_DMA_IRQ_BIT 0x100
#define EDU_BUF 0x40000
#define MSI_TIMEOUT_MS 30000

static int tap_n, tap_fail;

static void check(int ok, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void check(int ok, const char *fmt, ...)
{
	va_list ap;

	printf("%sok %d ", ok ? "" : "not ", ++tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	if (!ok)
		tap_fail++;
}

static int dev_fd;
static volatile uint8_t *bar; /* BAR0 mapped, or NULL: pread/pwrite */
static uint64_t bar_off, cfg_off;

static uint32_t rd32(uint64_t reg)
{
	uint32_t v = 0xffffffff;

	if (bar)
		return *(volatile uint32_t *)(bar + reg);
	if (pread(dev_fd, &v, 4, bar_off + reg) != 4)
		perror("pread BAR0");
	return v;
}

static void wr32(uint64_t reg, uint32_t v)
{
	if (bar) {
		*(volatile uint32_t *)(bar + reg) = v;
		return;
	}
	if (pwrite(dev_fd, &v, 4, bar_off + reg) != 4)
		perror("pwrite BAR0");
}

/* One 8-byte access: edu takes its 64-bit DMA registers only whole. */
static void wr64(uint64_t reg, uint64_t v)
{
	if (bar) {
		*(volatile uint64_t *)(bar + reg) = v;
		return;
	}
	if (pwrite(dev_fd, &v, 8, bar_off + reg) != 8)
		perror("pwrite BAR0");
}

/* The physical address of a locked page (root only: pagemap hides PFNs). */
static uint64_t phys_addr(void *va)
{
	uint64_t e, page = sysconf(_SC_PAGESIZE);
	int fd = open("/proc/self/pagemap", O_RDONLY);

	if (fd < 0)
		return 0;
	if (pread(fd, &e, 8, (uintptr_t)va / page * 8) != 8)
		e = 0;
	close(fd);
	if (!(e & (1ULL << 63)))
		return 0;
	return (e & ((1ULL << 55) - 1)) * page + (uintptr_t)va % page;
}

/* Wait for one MSI on @efd; returns the eventfd count, 0 on timeout. */
static uint64_t wait_msi(int efd)
{
	struct pollfd p = { .fd = efd, .events = POLLIN };
	uint64_t n = 0;

	if (poll(&p, 1, MSI_TIMEOUT_MS) != 1)
		return 0;
	if (read(efd, &n, 8) != 8)
		return 0;
	return n;
}

static int set_msi(int efd)
{
	char buf[sizeof(struct vfio_irq_set) + sizeof(int)];
	struct vfio_irq_set *s = (struct vfio_irq_set *)buf;

	memset(buf, 0, sizeof(buf));
	s->argsz = efd >= 0 ? sizeof(buf) : sizeof(*s);
	s->flags = VFIO_IRQ_SET_ACTION_TRIGGER |
		   (efd >= 0 ? VFIO_IRQ_SET_DATA_EVENTFD : VFIO_IRQ_SET_DATA_NONE);
	s->index = VFIO_PCI_MSI_IRQ_INDEX;
	s->start = 0;
	s->count = efd >= 0 ? 1 : 0;
	memcpy(s->data, &efd, sizeof(int));
	return ioctl(dev_fd, VFIO_DEVICE_SET_IRQS, s);
}

static int dma(uint64_t src, uint64_t dst, uint32_t cnt, uint32_t cmd, int efd, const char *what)
{
	uint64_t n;
	uint32_t st;

	wr64(EDU_DMA_SRC, src);
	wr64(EDU_DMA_DST, dst);
	wr64(EDU_DMA_CNT, cnt);
	wr64(EDU_DMA_CMD, cmd);
	n = wait_msi(efd);
	st = rd32(EDU_IRQ_STATUS);
	check(n >= 1 && (st & EDU_DMA_IRQ_BIT),
	      "%s: MSI on completion (eventfd %llu, irq status 0x%x)", what,
	      (unsigned long long)n, st);
	wr32(EDU_IRQ_ACK, EDU_DMA_IRQ_BIT);
	return n >= 1;
}

int main(int argc, char **argv)
{
	struct vfio_group_status gs = { .argsz = sizeof(gs) };
	struct vfio_device_info di = { .argsz = sizeof(di) };
	struct vfio_region_info r0 = { .argsz = sizeof(r0), .index = VFIO_PCI_BAR0_REGION_INDEX };
	struct vfio_region_info rc = { .argsz = sizeof(rc), .index = VFIO_PCI_CONFIG_REGION_INDEX };
	struct vfio_irq_info ii = { .argsz = sizeof(ii), .index = VFIO_PCI_MSI_IRQ_INDEX };
	char path[256], link[256], *grp;
	int container, group, efd, i;
	uint8_t *src, *dst;
	uint64_t src_pa, dst_pa, n;
	uint32_t v, len = 2048;
	uint16_t cmd;
	ssize_t k;

	if (argc != 2) {
		fprintf(stderr, "usage: %s BDF\n", argv[0]);
		return 2;
	}
	printf("TAP version 13\n1..17\n");

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/iommu_group", argv[1]);
	k = readlink(path, link, sizeof(link) - 1);
	if (k < 0) {
		printf("Bail out! %s: %s\n", path, strerror(errno));
		return 1;
	}
	link[k] = 0;
	grp = strrchr(link, '/') + 1;
	snprintf(path, sizeof(path), "/dev/vfio/noiommu-%s", grp);

	container = open("/dev/vfio/vfio", O_RDWR);
	check(container >= 0 && ioctl(container, VFIO_GET_API_VERSION) == VFIO_API_VERSION &&
		      ioctl(container, VFIO_CHECK_EXTENSION, VFIO_NOIOMMU_IOMMU) == 1,
	      "/dev/vfio/vfio offers VFIO_NOIOMMU_IOMMU");
	group = open(path, O_RDWR);
	check(group >= 0 && !ioctl(group, VFIO_GROUP_GET_STATUS, &gs) &&
		      (gs.flags & VFIO_GROUP_FLAGS_VIABLE),
	      "%s opens and is viable", path);
	check(!ioctl(group, VFIO_GROUP_SET_CONTAINER, &container) &&
		      !ioctl(container, VFIO_SET_IOMMU, VFIO_NOIOMMU_IOMMU),
	      "container set to VFIO_NOIOMMU_IOMMU");
	dev_fd = ioctl(group, VFIO_GROUP_GET_DEVICE_FD, argv[1]);
	check(dev_fd >= 0 && !ioctl(dev_fd, VFIO_DEVICE_GET_INFO, &di) &&
		      (di.flags & VFIO_DEVICE_FLAGS_PCI),
	      "device fd of %s: PCI, %u regions, %u irqs", argv[1], di.num_regions, di.num_irqs);
	if (dev_fd < 0) {
		printf("Bail out! no device fd: %s\n", strerror(errno));
		return 1;
	}
	check(!ioctl(dev_fd, VFIO_DEVICE_GET_REGION_INFO, &r0) && r0.size >= 4096 &&
		      !ioctl(dev_fd, VFIO_DEVICE_GET_REGION_INFO, &rc) && rc.size >= 256,
	      "region info: BAR0 0x%llx bytes (flags 0x%x), config 0x%llx bytes",
	      (unsigned long long)r0.size, r0.flags, (unsigned long long)rc.size);
	bar_off = r0.offset;
	cfg_off = rc.offset;

	/* The ID register by pread first, then BAR0 mapped if it can be. */
	v = rd32(EDU_ID);
	check(v == 0x010000ed, "edu ID register by pread: 0x%08x", v);
	if (r0.flags & VFIO_REGION_INFO_FLAG_MMAP) {
		void *m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, dev_fd, r0.offset);

		if (m != MAP_FAILED)
			bar = m;
	}
	v = rd32(EDU_ID);
	check(v == 0x010000ed, "edu ID register by %s: 0x%08x", bar ? "mmap" : "pread (no mmap)", v);
	wr32(EDU_LIVENESS, 0x12345678);
	v = rd32(EDU_LIVENESS);
	check(v == ~0x12345678u, "liveness: 0x12345678 reads back 0x%08x", v);

	/* Bus mastering (and memory decode) through the config region. */
	k = pread(dev_fd, &cmd, 2, cfg_off + PCI_COMMAND);
	cmd |= PCI_COMMAND_MASTER | PCI_COMMAND_MEMORY;
	k = k == 2 ? pwrite(dev_fd, &cmd, 2, cfg_off + PCI_COMMAND) : -1;
	cmd = 0;
	check(k == 2 && pread(dev_fd, &cmd, 2, cfg_off + PCI_COMMAND) == 2 &&
		      (cmd & PCI_COMMAND_MASTER),
	      "bus master on through the config region (command 0x%04x)", cmd);

	efd = eventfd(0, EFD_CLOEXEC);
	check(!ioctl(dev_fd, VFIO_DEVICE_GET_IRQ_INFO, &ii) && ii.count >= 1 && efd >= 0 &&
		      !set_msi(efd),
	      "SET_IRQS: MSI (%u vectors) to an eventfd", ii.count);

	src = aligned_alloc(4096, 4096);
	dst = aligned_alloc(4096, 4096);
	if (!src || !dst || mlock(src, 4096) || mlock(dst, 4096)) {
		printf("Bail out! buffers: %s\n", strerror(errno));
		return 1;
	}
	for (i = 0; i < 4096; i++) {
		src[i] = (uint8_t)(i * 7 + 3);
		dst[i] = 0;
	}
	src_pa = phys_addr(src);
	dst_pa = phys_addr(dst);
	check(src_pa && dst_pa, "physical addresses of the locked buffers: 0x%llx, 0x%llx",
	      (unsigned long long)src_pa, (unsigned long long)dst_pa);

	dma(src_pa, EDU_BUF, len, EDU_DMA_RUN | EDU_DMA_IRQ, efd, "DMA RAM -> edu");
	dma(EDU_BUF, dst_pa, len, EDU_DMA_RUN | EDU_DMA_TO_RAM | EDU_DMA_IRQ, efd,
	    "DMA edu -> RAM");
	for (i = 0; i < (int)len && src[i] == dst[i]; i++)
		;
	check(i == (int)len, "%u bytes round-tripped through edu (first difference at %d)", len,
	      i == (int)len ? -1 : i);
	check(dst[len] == 0, "nothing written past the %u bytes", len);

	wr32(EDU_IRQ_RAISE, 0x1);
	n = wait_msi(efd);
	v = rd32(EDU_IRQ_STATUS);
	check(n >= 1 && (v & 1), "MSI raised by a write to 0x60 (eventfd %llu, irq status 0x%x)",
	      (unsigned long long)n, v);
	wr32(EDU_IRQ_ACK, 0x1);

	/*
	 * VFIO_EDU_HOLD=1: stop here, the MSI on and edu bus-mastering, for
	 * whoever kills L2's QEMU to find this state behind it.
	 */
	if (getenv("VFIO_EDU_HOLD")) {
		printf("@@L2-HOLD@@ MSI on, bus master on\n");
		fflush(stdout);
		for (;;)
			pause();
	}
	check(!set_msi(-1), "SET_IRQS: MSI off");
	printf("# %d passed, %d failed\n", tap_n - tap_fail, tap_fail);
	return tap_fail ? 1 : 0;
}
