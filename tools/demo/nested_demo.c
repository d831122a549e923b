// SPDX-License-Identifier: GPL-2.0
/*
 * nested_demo: the nested flow of a VMM on smmu_rs. The program plays the
 * guest too: it writes a context descriptor and stage-1 tables into guest
 * memory mapped into an IOAS (their IPAs are IOAS IOVAs), then walks what a
 * VMM does: a NEST_PARENT HWPT, a vIOMMU, a vDEVICE with the guest's
 * stream id, a vEVENTQ, a nested HWPT from the guest's STE, an attach; edu
 * DMAs through gIOVA -> IPA -> PA, the guest changes a mapping and
 * invalidates it, edu's MSI goes gIOVA -> gDB -> hDB, and a fault reaches
 * the vEVENTQ with the virtual stream id. Every step prints its addresses;
 * any unexpected answer makes the demo fail.
 *
 * Usage: nested_demo [DEVICE]   (default /dev/iommu)
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <iommufd_rs.h>
#include "../../selftests/nested_util.h"

static int failures;

static int step(const char *what, int ret)
{
	printf("  %-66s %s\n", what, ret ? "FAILED" : "ok");
	if (ret) {
		printf("    (errno %d: %s)\n", ret, strerror(ret));
		failures++;
	}
	return ret;
}

int main(int argc, char **argv)
{
	const char *path = argc > 1 ? argv[1] : "/dev/iommu";
	struct iommu_viommu_arm_smmuv3_invalidate va = { { 0x12 | ((__u64)ASID << 48),
							   GIOVA | 1 } };
	__u32 dev = 0, ioas = 0, s2 = 0, viommu = 0, vdev = 0, veventq = 0, s1 = 0, num = 1;
	struct iommu_hw_info_arm_smmuv3 info = { 0 };
	struct iommu_hw_info hw = { .size = sizeof(hw) };
	volatile __u64 *bar;
	struct vevent ev[2];
	__u64 iova, db, addr, cnt = 0;
	struct edu e;
	char msg[160];
	__u64 *mem;
	__u8 *data;
	int fd, efd, qfd = -1;

	fd = open(path, O_RDWR);
	if (fd < 0 || find_edu(0, &e) || set_driver(&e, "iommufd_rs") || enable_device(&e)) {
		printf("nested_demo: needs %s and an edu device\n", path);
		return 1;
	}
	bar = map_bar0(&e);
	mem = buffer(MEM_PAGES * PAGE);
	if (!bar || !mem)
		return 1;
	data = (__u8 *)mem + DATA_PAGE * PAGE;
	printf("== the guest's stage 1, in %d pages of guest memory at IPA 0x%llx\n", MEM_PAGES,
	       IPA_BASE);
	build_stage1(mem);
	printf("  CD at IPA 0x%llx (ASID %d, TTB0 IPA 0x%llx); gIOVA 0x%llx -> IPA 0x%llx;\n"
	       "  the MSI window 0x%llx mapped 1:1\n", IPA(CD_PAGE), ASID, IPA(L1_PAGE), GIOVA,
	       IPA(DATA_PAGE), MSI_WINDOW);

	printf("== host: the device, the guest's memory, the stage 2\n");
	step("IOMMU_DEVICE_BIND edu", bind_dev(fd, &e, &dev));
	hw.dev_id = dev;
	hw.data_len = sizeof(info);
	hw.data_uptr = (uintptr_t)&info;
	step("IOMMU_GET_HW_INFO", xioctl(fd, IOMMU_GET_HW_INFO, &hw));
	printf("    type %u (ARM_SMMUV3): IDR0 0x%08x, S1P %u S2P %u\n", hw.out_data_type,
	       info.idr[0], (info.idr[0] >> 1) & 1, info.idr[0] & 1);
	step("IOMMU_IOAS_ALLOC", ioas_alloc(fd, &ioas));
	for (int i = 0; i < MEM_PAGES; i++) {
		iova = IPA(i);
		if (map(fd, ioas, (__u8 *)mem + i * PAGE, PAGE, &iova,
			RW | IOMMU_IOAS_MAP_FIXED_IOVA))
			failures++;
	}
	snprintf(msg, sizeof(msg), "IOMMU_IOAS_MAP guest memory at IPA 0x%llx", IPA_BASE);
	step(msg, failures ? EIO : 0);
	step("IOMMU_HWPT_ALLOC NEST_PARENT (our stage 2)",
	     hwpt_alloc(fd, dev, ioas, IOMMU_HWPT_ALLOC_NEST_PARENT, 0, &s2));

	printf("== the vIOMMU\n");
	step("IOMMU_VIOMMU_ALLOC ARM_SMMUV3 over it",
	     viommu_alloc(fd, dev, s2, IOMMU_VIOMMU_TYPE_ARM_SMMUV3, &viommu));
	snprintf(msg, sizeof(msg), "IOMMU_VDEVICE_ALLOC: the guest calls edu stream 0x%x", VSID);
	step(msg, vdevice_alloc(fd, viommu, dev, VSID, &vdev));
	step("IOMMU_VEVENTQ_ALLOC (depth 16)",
	     veventq_alloc(fd, viommu, IOMMU_VEVENTQ_TYPE_ARM_SMMUV3, 16, &veventq, &qfd));
	snprintf(msg, sizeof(msg), "IOMMU_HWPT_ALLOC nested: vSTE stage-1 translate, CD IPA 0x%llx",
		 IPA(CD_PAGE));
	step(msg, nested_alloc(fd, dev, viommu, STE0_V | STE0_CFG(CFG_S1) | IPA(CD_PAGE),
			       STE1_WALKS, &s1));
	step("IOMMU_DEVICE_ATTACH edu to it", attach(fd, dev, s1, NULL));

	printf("== DMA through both stages\n");
	memset(data, 0x5a, 256);
	step("edu reads 256 bytes at gIOVA 0x4000000", edu_dma(bar, GIOVA, EDU_BUF, 256, 0));
	step("edu writes them back at gIOVA 0x4000100", edu_dma(bar, EDU_BUF, GIOVA + 256, 256, 1));
	snprintf(msg, sizeof(msg), "gIOVA 0x%llx -> IPA 0x%llx -> the guest's page: bytes equal",
		 GIOVA + 256, IPA(DATA_PAGE) + 256);
	step(msg, memcmp(data, data + 256, 256) ? EIO : 0);

	printf("== the guest moves gIOVA 0x%llx to IPA 0x%llx\n", GIOVA, IPA(DATA2_PAGE));
	mem[L3_PAGE * PAGE / 8 + ((GIOVA >> 12) & 511)] = IPA(DATA2_PAGE) | S1_PAGE;
	step("IOMMU_HWPT_INVALIDATE: TLBI_NH_VA (its ASID, the gIOVA)",
	     invalidate(fd, viommu, &va, &num));
	step("edu writes at gIOVA 0x4000000", edu_dma(bar, EDU_BUF, GIOVA, 256, 1));
	step("the bytes land in the new page",
	     ((__u8 *)mem)[DATA2_PAGE * PAGE] == 0x5a ? 0 : EIO);

	printf("== MSI: gIOVA -> gDB (the guest's stage 1) -> hDB (our stage 2)\n");
	efd = eventfd(0, EFD_NONBLOCK);
	step("IOMMU_DEVICE_SET_IRQS: one vector -> an eventfd", set_irqs(fd, dev, 1, &efd));
	addr = msi_address(&e);
	step("IOMMU_HWPT_TRANSLATE the window in stage 2", translate(fd, s2, MSI_WINDOW, &db));
	printf("    edu MSI: gIOVA 0x%llx -> gDB 0x%llx -> hDB 0x%llx (ITS GITS_TRANSLATER)\n",
	       (unsigned long long)addr, (unsigned long long)addr,
	       (unsigned long long)(db | (addr & 0xfff)));
	raise_irq(bar);
	cnt = events(efd, 1000);
	step("edu raises its interrupt: the eventfd counts it", cnt == 1 ? 0 : EIO);

	printf("== a fault in the guest's stage 1\n");
	step("edu writes at gIOVA 0x4200000, which the guest does not map",
	     edu_dma(bar, EDU_BUF, GIOVA_UNMAPPED, 4, 1));
	usleep(50000);
	step("the vEVENTQ has it", read_vevents(qfd, ev, 2) >= 1 ? 0 : EIO);
	printf("    vEVENT seq %u: event 0x%02llx F_TRANSLATION, stream 0x%llx (virtual), "
	       "address 0x%llx\n", ev[0].hdr.sequence, (unsigned long long)(ev[0].rec.evt[0] & 0xff),
	       (unsigned long long)(ev[0].rec.evt[0] >> 32), (unsigned long long)ev[0].rec.evt[2]);

	printf("== closing: everything goes with the file\n");
	set_irqs(fd, dev, 0, NULL);
	close(efd);
	close(qfd);
	close(fd);
	set_driver(&e, NULL);
	printf("nested_demo: %s\n", failures ? "FAILED" : "every step ok");
	return failures ? 1 : 0;
}
