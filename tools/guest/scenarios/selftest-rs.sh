# SPDX-License-Identifier: GPL-2.0
# Every guest suite of selftest.sh on our SMMUv3 driver (smmu_rs) instead of
# the in-tree arm_smmu_v3, then smmu_rs's own checks (smmu_rs_checks.sh).
SMMU=rs
export SMMU
. /guest/scenarios/selftest.sh
