# SPDX-License-Identifier: GPL-2.0
# `make run`, second part: the nested flow on our SMMUv3 driver (smmu_rs),
# which the in-tree driver must not own, hence its own boot.
. /guest/lib.sh
set -e
SMMU=rs
echo "== loading smmu_rs (assume_canwbs: QEMU has no S2FWB and no CANWBS) and iommufd_rs"
load_smmu
load_iommufd_rs
dmesg | grep -E 'smmu_rs|SMMUv3' | grep -v 'event 0x' | tail -3
echo "== /dev/iommu, nested"
/guest/bin/nested_demo /dev/iommu
unload_iommufd_rs
echo "done"
