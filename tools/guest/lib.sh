# SPDX-License-Identifier: GPL-2.0
# Helpers for guest scenarios (sourced).

# Load the IOMMU driver of provider $SMMU so the edu devices sit behind the
# IOMMU: "intree" (arm_smmu_v3, the default), "rs" (our smmu_rs), or
# "virtio" (virtio-iommu; the guest must be booted with GUEST_IOMMU=virtio). A
# scenario may set it, or the kernel command line (smmu=rs).
SMMU=${SMMU:-${smmu:-intree}}
load_smmu() {
	case $SMMU in
	intree) modprobe arm_smmu_v3 || return 1 ;;
	# QEMU's SMMU has no S2FWB and its IORT no CANWBS, so nesting needs
	# the administrator's word that the platform is coherent (TCG is).
	rs) insmod /guest/smmu_rs.ko assume_canwbs=1 || return 1 ;;
	# virtio-iommu (the selftest-virtio boot, no SMMU): the in-tree
	# driver over virtio-pci.
	virtio) modprobe virtio_pci && modprobe virtio_iommu || return 1 ;;
	*) echo "unknown SMMU provider $SMMU"; return 1 ;;
	esac
	# Let the PCI devices be re-probed behind the SMMU.
	sleep 0.2
}

# Load our module; the device node must appear.
load_iommufd_rs() {
	insmod /guest/iommufd_rs.ko "$@" || return 1
	for i in 1 2 3 4 5 6 7 8 9 10; do
		[ -c /dev/iommu ] && return 0
		sleep 0.1
	done
	echo "iommufd_rs loaded but /dev/iommu did not appear"
	return 1
}

unload_iommufd_rs() {
	rmmod iommufd_rs || return 1
	if [ -e /dev/iommu ]; then
		echo "/dev/iommu still present after rmmod"
		return 1
	fi
}

# Minimal TAP producer for checks written in shell: tap_plan N, then
# tap_check "description" command... (ok / not ok with the command's output
# as diagnostics on failure; it is in $tap_last_out either way).
tap_n=0
tap_failed=0
tap_plan() {
	tap_n=0
	echo "TAP version 13"
	echo "1..$1"
}
tap_check() {
	local desc=$1 out rc
	shift
	tap_n=$((tap_n + 1))
	out=$("$@" 2>&1)
	rc=$?
	tap_last_out=$out
	if [ $rc = 0 ]; then
		echo "ok $tap_n $desc"
	else
		echo "not ok $tap_n $desc"
		echo "$out" | sed 's/^/# /'
		tap_failed=1
	fi
	return $rc
}
