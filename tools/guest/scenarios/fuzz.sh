# SPDX-License-Identifier: GPL-2.0
# A longer run of the in-guest ioctl fuzzer on smmu_rs (nesting included):
# GUEST_APPEND="FUZZ_PROGRAMS=600 FUZZ_SEED=1" tools/boot.sh fuzz
. /guest/lib.sh
SMMU=rs
load_smmu || exit 1
load_iommufd_rs || exit 1
start=$(date +%s)
/guest/bin/ioctl_fuzz_test
rc=$?
echo "# fuzz: $(( $(date +%s) - start )) s"
exit $rc
