# SPDX-License-Identifier: GPL-2.0
# `make bench`: upstream iommufd (/dev/iommu) and iommufd-rs (/dev/iommu_rs)
# in this one guest, over the same SMMU driver ($SMMU, in-tree by default),
# in one process on the same buffers (tools/bench/pair_bench.c): the first
# edu function on vfio-pci for upstream, the second on iommufd_rs for ours.
. /guest/lib.sh
load_smmu || exit 1
modprobe iommufd || exit 1
modprobe vfio-pci || exit 1
insmod /guest/iommufd_rs.ko devname=iommu_rs || exit 1
edus=$(for d in /sys/bus/pci/devices/*; do
	[ "$(cat $d/vendor):$(cat $d/device)" = "0x1234:0x11e8" ] && basename $d
done)
set -- $edus
[ $# -ge 2 ] || { echo "bench: needs two edu functions, found $#"; exit 1; }
set_driver() {
	[ -e /sys/bus/pci/devices/$1/driver ] && echo $1 > /sys/bus/pci/devices/$1/driver/unbind
	echo "$2" > /sys/bus/pci/devices/$1/driver_override
	echo $1 > /sys/bus/pci/drivers_probe
}
set_driver $1 vfio-pci
set_driver $2 iommufd_rs
/guest/bin/pair_bench $1 $2 /dev/iommu_rs || exit 1
# For `make profile`: the modules' symbols, to resolve the profile's blocks
# (the kernel's own come from System.map; the guest has no KASLR).
if [ -n "${PAIR_BENCH_MARK:-}" ]; then
	echo "@@KALLSYMS-BEGIN@@"
	grep '\[' /proc/kallsyms
	echo "@@KALLSYMS-END@@"
fi
