// SPDX-License-Identifier: GPL-2.0
/*
 * Unbinding smmu_rs under a user: a file holds edu attached to a stage-2
 * domain (and a host driver may hold the virtio-rng) when the SMMU is
 * unbound. The drivers of the devices behind it must be unbound first (the
 * file loses the device, cleanly), the domain must stay usable as a table
 * and keep smmu_rs loaded until the file frees it, and then every page and
 * every byte of DMA memory must be gone and rmmod must work.
 *
 * Destructive: it leaves smmu_rs unloaded. Run by smmu_rs_checks.sh with
 * smmu_rs bound, iommufd_rs loaded and edu on no driver; not one of the
 * *_test suites.
 */
#include <sys/syscall.h>

#include "kselftest_harness.h"
#include "edu_util.h"

#define IOVA 0x200000UL
#define LEN (16 * PAGE)

static int has_driver(const char *bdf)
{
	char path[320];

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver", bdf);
	return access(path, F_OK) == 0;
}

static int iommu_groups(void)
{
	DIR *d = opendir("/sys/kernel/iommu_groups");
	struct dirent *de;
	int n = 0;

	while (d && (de = readdir(d)))
		n += de->d_name[0] != '.';
	if (d)
		closedir(d);
	return n;
}

static int rmmod(const char *name)
{
	return syscall(__NR_delete_module, name, O_NONBLOCK) ? errno : 0;
}

TEST(unbind_under_a_user)
{
	struct iommu_hw_info info = { .size = sizeof(info) };
	const char *rng = "0000:00:03.0";
	__u32 dev, ioas, hwpt;
	__u64 iova = IOVA, unmapped = 0;
	char smmu[256];
	struct edu e;
	int host_driver, fd;
	void *buf;

	ASSERT_EQ(0, smmu_rs_smmu(smmu, sizeof(smmu)));
	ASSERT_EQ(0, find_edu(0, &e));
	ASSERT_EQ(0, set_driver(&e, "iommufd_rs"));
	fd = open(dev_path(), O_RDWR);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, bind_dev(fd, &e, &dev));
	ASSERT_EQ(0, ioas_alloc(fd, &ioas));
	buf = buffer(LEN);
	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, map(fd, ioas, buf, LEN, &iova, FIXED));
	ASSERT_EQ(0, attach(fd, dev, ioas, &hwpt));
	ASSERT_EQ(1, live_domains());
	ASSERT_LT(0, debugfs_number("table_pages"));
	ASSERT_LT(0, debugfs_number("dma_bytes"));
	host_driver = has_driver(rng);
	TH_LOG("%s bound; edu %s held by a file; host driver on %s: %s", smmu, e.bdf, rng,
	       host_driver ? "yes" : "no");

	/* Unbind the SMMU: the devices' drivers go first, then the devices. */
	ASSERT_EQ(0, write_file(SMMU_RS_DRIVER "unbind", smmu));
	EXPECT_FALSE(has_driver(e.bdf));
	EXPECT_FALSE(has_driver(rng));
	EXPECT_EQ(0, iommu_groups());

	/* The file lost the device, and says so. */
	info.dev_id = dev;
	EXPECT_EQ(ENODEV, xioctl(fd, IOMMU_GET_HW_INFO, &info));
	EXPECT_EQ(ENODEV, bind_dev(fd, &e, NULL));

	/* Its domain lives on, as a table, and pins smmu_rs. */
	EXPECT_EQ(0, unmap(fd, ioas, IOVA, LEN, &unmapped));
	EXPECT_EQ(LEN, unmapped);
	EXPECT_EQ(1, live_domains());
	EXPECT_LT(0, debugfs_number("dma_bytes"));
	EXPECT_EQ(EWOULDBLOCK, rmmod("smmu_rs"));

	/* Closing the file frees the domain, the tables and the SMMU state. */
	close(fd);
	EXPECT_EQ(0, live_domains());
	EXPECT_EQ(0, debugfs_number("table_pages"));
	EXPECT_EQ(0, debugfs_number("dma_bytes"));
	EXPECT_EQ(0, rmmod("smmu_rs"));
	EXPECT_NE(0, access("/sys/module/smmu_rs", F_OK));

	set_driver(&e, NULL);
	munmap(buf, LEN);
}

TEST_HARNESS_MAIN
