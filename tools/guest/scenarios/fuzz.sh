# SPDX-License-Identifier: GPL-2.0
# A longer run of the in-guest ioctl fuzzer on smmu_rs (nesting included), or
# on the in-tree SMMU driver with smmu=intree on the command line:
# GUEST_APPEND="FUZZ_PROGRAMS=600 FUZZ_SEED=1" tools/boot.sh fuzz
. /guest/lib.sh
SMMU=${smmu:-rs}
load_smmu || exit 1
load_iommufd_rs || exit 1
start=$(date +%s)
/guest/bin/ioctl_fuzz_test
rc=$?
echo "# fuzz: $(( $(date +%s) - start )) s"
exit $rc
