# SPDX-License-Identifier: GPL-2.0
# `make bench`: the same workloads on upstream iommufd (/dev/iommu) and on
# iommufd-rs (/dev/iommu_rs) in this one guest, upstream first, then ours.
. /guest/lib.sh
load_smmu || exit 1
modprobe iommufd || exit 1
insmod /guest/iommufd_rs.ko devname=iommu_rs || exit 1
rc=0
/guest/bin/ioas_bench /dev/iommu upstream || rc=1
/guest/bin/ioas_bench /dev/iommu_rs ours || rc=1
# With a domain: the first edu device on vfio-pci for upstream, then on
# iommufd_rs for ours.
modprobe vfio-pci || exit 1
edu=$(for d in /sys/bus/pci/devices/*; do
	[ "$(cat $d/vendor):$(cat $d/device)" = "0x1234:0x11e8" ] && basename $d && break
done)
set_driver() {
	[ -e /sys/bus/pci/devices/$edu/driver ] && echo $edu > /sys/bus/pci/devices/$edu/driver/unbind
	echo "$1" > /sys/bus/pci/devices/$edu/driver_override
	echo $edu > /sys/bus/pci/drivers_probe
}
set_driver vfio-pci
/guest/bin/domain_bench upstream $edu || rc=1
set_driver iommufd_rs
/guest/bin/domain_bench ours $edu /dev/iommu_rs || rc=1
exit $rc
