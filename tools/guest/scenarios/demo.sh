# SPDX-License-Identifier: GPL-2.0
# `make run`: load the module and walk the VMM flow on /dev/iommu, with an
# edu device for DMA and MSI.
. /guest/lib.sh
set -e
echo "== loading arm_smmu_v3 and iommufd_rs"
load_smmu
load_iommufd_rs
grep '^iommufd_rs ' /proc/modules
dmesg | grep -i 'iommufd_rs' | tail -3
echo "== edu devices and their IOMMU groups"
for d in /sys/bus/pci/devices/*; do
	if [ "$(cat "$d/vendor"):$(cat "$d/device")" = "0x1234:0x11e8" ]; then
		echo "$(basename "$d") edu, iommu_group $(basename "$(readlink "$d/iommu_group")")"
	fi
done
echo "== /dev/iommu"
/guest/bin/iommufd_demo /dev/iommu
echo "== unloading"
unload_iommufd_rs
echo "done"
