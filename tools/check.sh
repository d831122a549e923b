#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# `make check`: every test. Host tests, rustfmt, the module build with clippy
# (warnings are errors), then the guest suites on the real module. Upstream's
# iommufd selftest runs in the same guest as a separate baseline. Ends with
# one line "N passed, M failed, K skipped"; exit status 1 on any failure.
set -uo pipefail
. "$(dirname "$0")/env.sh"

. "$(dirname "$0")/check-lib.sh"

setup "kernel"

step "rustfmt" "$logs/fmt.log" "$REPO/tools/module.sh" fmt-check
step "UAPI header layout == Linux 7.3 <linux/iommufd.h>" "$logs/uapi.log" "$REPO/tools/uapi-check.sh" &&
	grep assertions "$logs/uapi.log" | sed 's/^/    /'
if [ -x "$REPO/tools/host-test.sh" ]; then
	note "host tests"
	"$REPO/tools/host-test.sh" >"$logs/host-test.log" 2>&1
	grep -E '^(test result|HOST)' "$logs/host-test.log" | sed 's/^/    /'
	add_counts "$logs/host-test.log"
fi

if step "module build (CLIPPY=1, -Dwarnings, -Werror)" "$logs/module.log" "$REPO/tools/module.sh" &&
	step "guest build" "$logs/guest.log" "$REPO/tools/guest.sh"; then
	# Our suites on the real module, on both SMMU providers: the in-tree
	# arm_smmu_v3 (selftest) and our smmu_rs (selftest-rs, which adds
	# smmu_rs's own checks), then smmu_rs refusing an SMMU without stage 2.
	guest_suites selftest "guest suites on in-tree arm_smmu_v3"
	guest_suites selftest-rs "guest suites on smmu_rs"
	guest_suites smmu-rs-refuses "smmu_rs on an SMMU without stage 2" \
		GUEST_MACHINE=virt-9.1 GUEST_QEMU_ARGS="-global arm-smmuv3.stage=1"
	# The same suites over a second IOMMU driver, virtio-iommu, with no
	# SMMU at all: those that need an SMMU's nesting skip, each saying so.
	guest_suites selftest-virtio "guest suites on virtio-iommu" GUEST_IOMMU=virtio

	# A real VMM: unmodified QEMU inside the guest assigns edu to a nested
	# guest through the node (vfio-pci, iommufd=, fd=), which drives it
	# through upstream vfio-pci; then nothing is left after QEMU's exit and
	# after kill -9. L2's own results and QEMU's command line are shown.
	if step "guest build (vmm: QEMU, L2 kernel and initramfs)" "$logs/guest-vmm.log" \
		"$REPO/tools/guest-vmm.sh"; then
		guest_suites vmm "unmodified QEMU on iommufd-rs" GUEST_VMM=1 BOOT_TIMEOUT=1200
		grep -E '^(L2\+ |L2\| (not )?ok |L2 /init|QEMU exited)' "$logs/vmm.out" | sed 's/^/    /'
	fi

	# make run's scenario must keep working.
	step "make run scenario (demo)" "$logs/demo.log" "$REPO/tools/boot.sh" demo "$logs" &&
	step "make run scenario (demo-nested, smmu_rs)" "$logs/demo-nested.log" \
		"$REPO/tools/boot.sh" demo-nested "$logs"

	# Baseline: upstream iommufd and its own selftest binary (iommufd; the
	# slow fault-injection one is `make boot S=upstream-fail-nth`) in the
	# same guest. Its
	# numbers are reported, not counted as ours; the rig counts as working
	# when the only failures are the known upstream ones.
	s=$(date +%s)
	"$REPO/tools/boot.sh" upstream "$logs"; brc=$?
	"$REPO/tools/tap.py" "$logs/upstream.out" --label "upstream iommufd baseline: " \
		--known-failures "$REPO/tools/upstream-known-failures.txt" >"$logs/upstream.counts"; urc=$?
	grep -v '^COUNTS' "$logs/upstream.counts" | grep -v '^  known' | sed 's/^/    /'
	note "    (known upstream failures: the 7.3.4 iommufd_test_dmabuf_get() bug, see tools/upstream-known-failures.txt)"
	if [ $urc = 0 ] && { [ $brc = 0 ] || [ $brc = 1 ]; }; then
		pass "rig: upstream baseline ran with no unexpected failures ($(( $(date +%s) - s )) s)"
	else
		fail "rig: upstream baseline (boot status $brc, console $logs/upstream.console)"
	fi
else
	note "guest suites not run: the module or guest did not build"
	fail "guest suites"
fi

finish
