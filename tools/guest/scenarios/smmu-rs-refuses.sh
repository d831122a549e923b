# SPDX-License-Identifier: GPL-2.0
# Booted on an SMMU without stage 2 (GUEST_MACHINE=virt-9.1,
# arm-smmuv3.stage=1): smmu_rs must refuse to probe, say why, and leave the
# devices alone.
. /guest/lib.sh
tap_plan 4
tap_check "smmu_rs loads" insmod /guest/smmu_rs.ko
tap_check "it refuses the SMMU, naming what is missing" sh -c \
	"dmesg | grep 'smmu_rs: not probing: the SMMU lacks stage-2 translation (IDR0.S2P)'"
tap_check "no IOMMU registered, no device in a group" sh -c \
	"! ls /sys/class/iommu | grep -q . && [ -z \"\$(ls /sys/kernel/iommu_groups)\" ]"
tap_check "rmmod smmu_rs" rmmod smmu_rs
[ $tap_failed = 0 ]
