# SPDX-License-Identifier: GPL-2.0
# The baseline: upstream's in-tree iommufd and its own selftest binary
# (tools/testing/selftests/iommu/iommufd.c), built from the same kernel
# source, in the same guest. iommufd_fail_nth is in upstream-fail-nth.sh.
. /guest/lib.sh
modprobe iommufd || exit 1
/guest/upstream/iommufd
