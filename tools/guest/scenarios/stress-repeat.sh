# SPDX-License-Identifier: GPL-2.0
# ioas_stress_test N times (default 10) on the in-tree SMMU driver: for a
# race that shows once in many runs. `make boot S=stress-repeat`;
# GUEST_APPEND="repeat=N" changes N.
. /guest/lib.sh
load_smmu || exit 1
load_iommufd_rs || exit 1
rc=0
for i in $(seq "${repeat:-10}"); do
	/guest/bin/ioas_stress_test >/tmp/stress.out 2>&1 || { rc=1; cat /tmp/stress.out; }
	grep "operations" /tmp/stress.out
done
exit $rc
