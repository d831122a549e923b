# SPDX-License-Identifier: GPL-2.0
# Our guest suites: module lifecycle checks (TAP from shell), then every
# kselftest-harness binary in /guest/bin ending in _test, on the SMMU driver
# of provider $SMMU (intree by default; selftest-rs.sh runs them on smmu_rs).
. /guest/lib.sh
rc=0

alt=iommu_rs_alt
node_is_char() { [ -c "$1" ]; }

tap_plan 10
tap_check "SMMU driver ($SMMU) loads" load_smmu
tap_check "iommufd_rs loads and /dev/iommu appears" load_iommufd_rs
tap_check "rmmod removes /dev/iommu" unload_iommufd_rs
tap_check "devname= names the node /dev/$alt" insmod /guest/iommufd_rs.ko devname=$alt
tap_check "/dev/$alt is a character device" node_is_char /dev/$alt
tap_check "rmmod removes /dev/$alt" sh -c "rmmod iommufd_rs && ! [ -e /dev/$alt ]"
# Next to the in-tree iommufd, which owns /dev/iommu: the default name is
# refused cleanly and another name works.
tap_check "in-tree iommufd loads" modprobe iommufd
tap_check "default name refused while in-tree iommufd holds /dev/iommu" \
	sh -c "! insmod /guest/iommufd_rs.ko && ! grep -q '^iommufd_rs ' /proc/modules"
tap_check "both modules side by side under two names" \
	sh -c "insmod /guest/iommufd_rs.ko devname=$alt && [ -c /dev/$alt ] && [ -c /dev/iommu ] && rmmod iommufd_rs && rmmod iommufd"
# The registry both modules use stays while one of them is loaded.
tap_check "iommufd_rs_driver is held while iommufd_rs uses it" \
	sh -c "insmod /guest/iommufd_rs.ko devname=$alt && ! rmmod iommufd_rs_driver 2>/dev/null &&
	       rmmod iommufd_rs && grep -q '^iommufd_rs_driver ' /proc/modules"
[ $tap_failed = 0 ] || rc=1

load_iommufd_rs || exit 1
for t in /guest/bin/*_test; do
	"$t" || rc=1
done
# The same suites through the alternate name prove nothing depends on it.
unload_iommufd_rs || rc=1
insmod /guest/iommufd_rs.ko devname=$alt || exit 1
IOMMUFD_DEV=/dev/$alt /guest/bin/dispatch_test || rc=1
rmmod iommufd_rs || rc=1
[ "$SMMU" = rs ] && { sh /guest/smmu_rs_checks.sh || rc=1; }
[ "$SMMU" != rs ] && {
	tap_plan 1
	case $SMMU in
	intree) what="smmu_rs loads but leaves an SMMU the in-tree driver owns alone" ;;
	*) what="smmu_rs loads and binds nothing where there is no SMMU" ;;
	esac
	tap_check "$what" sh -c \
		'insmod /guest/smmu_rs.ko && ! ls /sys/bus/platform/drivers/smmu_rs | grep -q smmuv3 &&
		 ! ls /sys/class/iommu | grep -q smmu_rs && rmmod smmu_rs' || rc=1
}
exit $rc
