# SPDX-License-Identifier: GPL-2.0
# The baseline: upstream's in-tree iommufd and its own selftest, built from
# the same kernel source, in the same guest.
. /guest/lib.sh
modprobe iommufd || exit 1
rc=0
/guest/upstream/iommufd || rc=1
/guest/upstream/iommufd_fail_nth || rc=1
exit $rc
