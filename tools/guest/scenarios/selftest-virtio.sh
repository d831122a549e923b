# SPDX-License-Identifier: GPL-2.0
# Every guest suite of selftest.sh over virtio-iommu instead of an SMMUv3
# (the guest booted with GUEST_IOMMU=virtio): a second in-tree IOMMU driver,
# with its own granule, aperture and MSI region and no nest parent. The
# suites that need an SMMU skip, each with its reason.
SMMU=virtio
export SMMU
. /guest/scenarios/selftest.sh
