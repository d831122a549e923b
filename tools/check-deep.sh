#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# `make check-deep`: the long runs, on the sanitizer flavor of the guest
# kernel (KFLAVOR=sanitize: KASAN, KFENCE, UBSAN, kmemleak, lockdep,
# DEBUG_ATOMIC_SLEEP, Rust debug assertions; tools/guest/sanitize.config),
# cached under its own key beside make check's, with the modules built
# against it. On both SMMU providers:
#  - every guest suite (the fail-nth sweeps and the short fuzz among them);
#  - the ioctl fuzzer for minutes (DEEP_FUZZ_PROGRAMS programs, several
#    threads, forks and unbinds, DEEP_FUZZ_SEED);
#  - the stress tests repeated (DEEP_STRESS_REPEAT runs of ioas_stress_test
#    and teardown_race_test).
# kmemleak is scanned after every boot and any report, KASAN, KFENCE or
# UBSAN splat fails that boot (tools/boot.sh). Ends with "N passed, M
# failed, K skipped", as make check does.
set -uo pipefail
export KFLAVOR=sanitize KFLAVOR_LABEL=" (sanitize)"
. "$(dirname "$0")/env.sh"
CHECK_LOGS="$REPO/build/logs/deep"
. "$(dirname "$0")/check-lib.sh"
fuzz_programs=${DEEP_FUZZ_PROGRAMS:-1000}
fuzz_seed=${DEEP_FUZZ_SEED:-20261202}
stress_repeat=${DEEP_STRESS_REPEAT:-5}
# The sanitizers slow the guest down several times over under TCG.
export BOOT_TIMEOUT=${BOOT_TIMEOUT:-2400}

setup "sanitizer kernel"

if step "module build against the sanitizer kernel" "$logs/module.log" "$REPO/tools/module.sh" &&
	step "guest build (sanitizer flavor)" "$logs/guest.log" "$REPO/tools/guest.sh"; then
	# First the canaries: each sanitizer must report the bug provoked for
	# it, and the boot must fail on the reports, or nothing below means
	# anything.
	s=$(date +%s)
	"$REPO/tools/boot.sh" sanitizer-canary "$logs" >"$logs/sanitizer-canary.log" 2>&1; brc=$?
	missing=
	for re in 'BUG: KASAN: slab-use-after-free' 'UBSAN: array-index-out-of-bounds' \
		'BUG: KFENCE: use-after-free read' 'unreferenced object '; do
		grep -q "$re" "$logs/sanitizer-canary.console" || missing="$missing '$re'"
	done
	if [ $brc = 125 ] && [ -z "$missing" ]; then
		pass "sanitizer canaries: KASAN, UBSAN, KFENCE and kmemleak each reported their bug and the boot failed ($(( $(date +%s) - s )) s)"
	else
		fail "sanitizer canaries (boot status $brc, want 125; missing:${missing:- none}; console $logs/sanitizer-canary.console)"
	fi
	guest_suites selftest "sanitize: guest suites on in-tree arm_smmu_v3"
	guest_suites selftest-rs "sanitize: guest suites on smmu_rs"
	guest_suites selftest-virtio "sanitize: guest suites on virtio-iommu" GUEST_IOMMU=virtio
	for p in intree rs; do
		note "fuzzer on $p: $fuzz_programs programs, seed $fuzz_seed"
		suite_logs="$logs/fuzz-$p" guest_suites fuzz "sanitize: fuzzer on $p" \
			GUEST_APPEND="smmu=$p FUZZ_PROGRAMS=$fuzz_programs FUZZ_SEED=$fuzz_seed"
		grep -E 'programs, .* commands|isolation check:|shared-group unbinds:|^# fuzz:' "$logs/fuzz-$p/fuzz.out" | sed 's/^#* */    /'
		suite_logs="$logs/stress-$p" guest_suites stress-repeat \
			"sanitize: stress tests x$stress_repeat on $p" \
			GUEST_APPEND="smmu=$p repeat=$stress_repeat"
	done
else
	note "guest suites not run: the module or guest did not build"
	fail "guest suites"
fi

finish
