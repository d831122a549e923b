// SPDX-License-Identifier: GPL-2.0
/*
 * IOMMU_DEVICE_BIND against the real module and QEMU's edu devices: a
 * function must be bound to the iommufd_rs PCI driver (driver_override),
 * can be held by one file at a time, and is given back by DESTROY, by
 * close, and when the function leaves the driver under a live file.
 */
#include "kselftest_harness.h"
#include "edu_util.h"

FIXTURE(bind) {
	int fd;
	struct edu e;
};

FIXTURE_SETUP(bind)
{
	if (find_edu(0, &self->e))
		SKIP(return, "no edu device in this machine");
	ASSERT_EQ(0, set_driver(&self->e, "iommufd_rs"));
	self->fd = open(dev_path(), O_RDWR);
	ASSERT_LE(0, self->fd);
}

FIXTURE_TEARDOWN(bind)
{
	close(self->fd);
	set_driver(&self->e, NULL);
}

TEST_F(bind, bind_destroy_rebind)
{
	__u32 id, id2;

	ASSERT_EQ(0, bind_dev(self->fd, &self->e, &id));
	EXPECT_EQ(1, id);
	/* Held: the same file or another one cannot take it again. */
	EXPECT_EQ(EBUSY, bind_dev(self->fd, &self->e, NULL));
	int fd2 = open(dev_path(), O_RDWR);
	ASSERT_LE(0, fd2);
	EXPECT_EQ(EBUSY, bind_dev(fd2, &self->e, NULL));
	/* A device is not an IOAS: typed lookups say ENOENT. */
	__u64 v = 0, iova = 0;
	char *b = buffer(PAGE);
	EXPECT_EQ(ENOENT, option(self->fd, IOMMU_OPTION_HUGE_PAGES, IOMMU_OPTION_OP_GET, id, &v));
	EXPECT_EQ(ENOENT, map(self->fd, id, b, PAGE, &iova, RW));
	/* DESTROY gives it back: the other file can bind it now. */
	ASSERT_EQ(0, destroy(self->fd, id));
	ASSERT_EQ(0, bind_dev(fd2, &self->e, &id2));
	/* Closing gives it back too. */
	close(fd2);
	ASSERT_EQ(0, bind_dev(self->fd, &self->e, NULL));
	munmap(b, PAGE);
}

TEST_F(bind, bad_requests)
{
	struct iommu_device_bind c = { .size = sizeof(c), .pci_segment = self->e.seg,
				       .pci_rid = self->e.rid, .flags = 1 << 1 };
	struct edu nobody = self->e;

	EXPECT_EQ(EOPNOTSUPP, xioctl(self->fd, IOMMU_DEVICE_BIND, &c));
	c.flags = 0;
	c.__reserved2 = 1;
	EXPECT_EQ(EOPNOTSUPP, xioctl(self->fd, IOMMU_DEVICE_BIND, &c));
	c.__reserved2 = 0;
	c.__reserved = 1;
	EXPECT_EQ(EOPNOTSUPP, xioctl(self->fd, IOMMU_DEVICE_BIND, &c));
	c.size = 20;
	EXPECT_EQ(EINVAL, xioctl(self->fd, IOMMU_DEVICE_BIND, &c));
	/* No such function, another segment: ENODEV. */
	nobody.rid = 0xff << 8;
	EXPECT_EQ(ENODEV, bind_dev(self->fd, &nobody, NULL));
	nobody = self->e;
	nobody.seg = 7;
	EXPECT_EQ(ENODEV, bind_dev(self->fd, &nobody, NULL));
	/* Nothing was created by the failures: the first id is still 1. */
	__u32 id;
	ASSERT_EQ(0, bind_dev(self->fd, &self->e, &id));
	EXPECT_EQ(1, id);
}

TEST_F(bind, function_not_on_our_driver)
{
	ASSERT_EQ(0, set_driver(&self->e, NULL));
	EXPECT_EQ(ENODEV, bind_dev(self->fd, &self->e, NULL));
}

/* The function leaves the driver while a file holds it: the file keeps a
 * harmless handle, DESTROY works, and binding again after the driver
 * comes back works. */
TEST_F(bind, driver_unbound_under_a_file)
{
	__u32 id;
	char path[320];

	ASSERT_EQ(0, bind_dev(self->fd, &self->e, &id));
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver/unbind", self->e.bdf);
	ASSERT_EQ(0, write_file(path, self->e.bdf));
	EXPECT_EQ(ENODEV, bind_dev(self->fd, &self->e, NULL));
	EXPECT_EQ(0, destroy(self->fd, id));
	ASSERT_EQ(0, write_file("/sys/bus/pci/drivers_probe", self->e.bdf));
	EXPECT_EQ(0, bind_dev(self->fd, &self->e, NULL));
}

TEST_F(bind, get_hw_info)
{
	struct iommu_hw_info_arm_smmuv3 smmu;
	unsigned char data[16];
	struct iommu_hw_info c = { .size = sizeof(c), .data_len = sizeof(data),
				   .data_uptr = (uintptr_t)data };
	int ours = behind_smmu_rs(&self->e);
	__u32 id;

	ASSERT_EQ(0, bind_dev(self->fd, &self->e, &id));
	c.dev_id = id;
	memset(data, 0xff, sizeof(data));
	ASSERT_EQ(0, xioctl(self->fd, IOMMU_GET_HW_INFO, &c));
	TH_LOG("behind %s: type %u, data_len %u", ours ? "smmu_rs" : "another driver",
	       c.out_data_type, c.data_len);
	if (ours) {
		/* smmu_rs answers with its IDRs, as upstream's arm-smmu-v3:
		 * the first 16 bytes fit the buffer, data_len says 40. */
		EXPECT_EQ(IOMMU_HW_INFO_TYPE_ARM_SMMUV3, c.out_data_type);
		EXPECT_EQ(sizeof(smmu), c.data_len);
		memcpy(&smmu, data, sizeof(data));
		EXPECT_EQ(0, smmu.flags);
		EXPECT_EQ(0, smmu.__reserved);
		EXPECT_EQ(1, smmu.idr[0] & 1);	/* IDR0.S2P */
	} else {
		/* The generic answer over an in-tree driver: no data, buffer zeroed. */
		EXPECT_EQ(IOMMU_HW_INFO_TYPE_NONE, c.out_data_type);
		EXPECT_EQ(0, c.data_len);
		for (size_t i = 0; i < sizeof(data); i++)
			EXPECT_EQ(0, data[i]);
	}
	EXPECT_EQ(0, c.out_max_pasid_log2);
	EXPECT_EQ(0, c.out_capabilities & IOMMU_HW_CAP_DIRTY_TRACKING);
	if (ours) {
		/* A larger buffer gets all 40 bytes and zeros after them; its
		 * own type may be asked for by name. */
		unsigned char big[64];

		memset(big, 0xff, sizeof(big));
		c.data_len = sizeof(big);
		c.data_uptr = (uintptr_t)big;
		c.flags = IOMMU_HW_INFO_FLAG_INPUT_TYPE;
		c.in_data_type = IOMMU_HW_INFO_TYPE_ARM_SMMUV3;
		ASSERT_EQ(0, xioctl(self->fd, IOMMU_GET_HW_INFO, &c));
		EXPECT_EQ(sizeof(smmu), c.data_len);
		memcpy(&smmu, big, sizeof(smmu));
		EXPECT_EQ(1, smmu.idr[0] & 1);
		EXPECT_NE(0, smmu.aidr | smmu.iidr | smmu.idr[1]);
		for (size_t i = sizeof(smmu); i < sizeof(big); i++)
			EXPECT_EQ(0, big[i]);
		c.data_uptr = (uintptr_t)data;
		c.data_len = sizeof(data);
	}
	/* Bad requests: a type the device's driver does not have, and, on
	 * the generic answer, any type but the default. */
	c.flags = 2;
	EXPECT_EQ(EOPNOTSUPP, xioctl(self->fd, IOMMU_GET_HW_INFO, &c));
	c.flags = IOMMU_HW_INFO_FLAG_INPUT_TYPE;
	c.in_data_type = ours ? IOMMU_HW_INFO_TYPE_INTEL_VTD : IOMMU_HW_INFO_TYPE_ARM_SMMUV3;
	EXPECT_EQ(EOPNOTSUPP, xioctl(self->fd, IOMMU_GET_HW_INFO, &c));
	c.flags = 0;
	c.__reserved[1] = 1;
	EXPECT_EQ(EOPNOTSUPP, xioctl(self->fd, IOMMU_GET_HW_INFO, &c));
	c.__reserved[1] = 0;
	c.dev_id = 99;
	EXPECT_EQ(ENOENT, xioctl(self->fd, IOMMU_GET_HW_INFO, &c));
	c.dev_id = id;
	c.data_len = sizeof(data);	/* the answer above set it to 0 */
	c.data_uptr = 8;
	EXPECT_EQ(EFAULT, xioctl(self->fd, IOMMU_GET_HW_INFO, &c));
}

/* The part of the buffer the data does not fill is zeroed, all of it, in
 * one clear_user(): 16 MiB here; a buffer running into an unmapped page is
 * EFAULT. */
TEST_F(bind, get_hw_info_zeroes_a_large_buffer)
{
	const size_t len = 16UL << 20;
	unsigned char *buf = mmap(NULL, len + PAGE, PROT_READ | PROT_WRITE,
				  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct iommu_hw_info c = { .size = sizeof(c), .data_len = len };
	__u32 id;

	ASSERT_NE(MAP_FAILED, buf);
	ASSERT_EQ(0, munmap(buf + len, PAGE));
	memset(buf, 0xff, len);
	ASSERT_EQ(0, bind_dev(self->fd, &self->e, &id));
	c.dev_id = id;
	c.data_uptr = (uintptr_t)buf;
	ASSERT_EQ(0, xioctl(self->fd, IOMMU_GET_HW_INFO, &c));
	ASSERT_GE(len, c.data_len);
	for (size_t i = c.data_len; i < len; i++)
		if (buf[i]) {
			EXPECT_EQ(0, buf[i]);
			TH_LOG("byte %zu not zeroed", i);
			break;
		}
	c.data_len = len + 1;
	EXPECT_EQ(EFAULT, xioctl(self->fd, IOMMU_GET_HW_INFO, &c));
	munmap(buf, len);
}

TEST_HARNESS_MAIN
