# SPDX-License-Identifier: GPL-2.0
# `make bench`: the same workloads on upstream iommufd (/dev/iommu) and on
# iommufd-rs (/dev/iommu_rs) in this one guest, upstream first, then ours.
. /guest/lib.sh
modprobe iommufd || exit 1
insmod /guest/iommufd_rs.ko devname=iommu_rs || exit 1
rc=0
/guest/bin/ioas_bench /dev/iommu upstream || rc=1
/guest/bin/ioas_bench /dev/iommu_rs ours || rc=1
exit $rc
