# SPDX-License-Identifier: GPL-2.0
# The stress tests N times (default 10) on the SMMU driver of the kernel
# command line (smmu=intree by default, smmu=rs): ioas_stress_test (map/unmap
# racing on one IOAS) and teardown_race_test (DESTROY, detach, replace,
# SET_IRQS, unbind and close racing the commands), for a race that shows
# once in many runs. `make boot S=stress-repeat`; GUEST_APPEND="repeat=N"
# changes N. Each run's TAP goes to the console, so every run counts.
. /guest/lib.sh
load_smmu || exit 1
load_iommufd_rs || exit 1
rc=0
for i in $(seq "${repeat:-10}"); do
	echo "# stress run $i"
	/guest/bin/ioas_stress_test || rc=1
	/guest/bin/teardown_race_test || rc=1
done
exit $rc
