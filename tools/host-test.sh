#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Host tests of the kernel-independent Rust, built from the same files the
# modules compile: tools/testing/iova_space (src/iova_space),
# tools/testing/lpae (src/smmu/lpae) and tools/testing/smmu_spec
# (src/smmu/spec, checked against the kernel source's arm-smmu-v3.h, and
# src/smmu/sequence, run against a fake SMMU that checks its ordering) and
# tools/testing/vconfig (src/iommufd/vconfig.rs, against a fake function).
# Prints cargo's output and a last line "COUNTS passed failed skipped"
# summing every test binary of the crates.
set -uo pipefail
. "$(dirname "$0")/env.sh"
P=0 F=0 S=0 RC=0
for crate in tools/testing/iova_space tools/testing/lpae tools/testing/smmu_spec tools/testing/vconfig; do
	out=$(mktemp)
	(cd "$REPO/$crate" && cargo test --release 2>&1) | tee "$out"
	rc=${PIPESTATUS[0]}
	read -r p f s < <(awk '/^test result:/ {
		for (i = 1; i <= NF; i++) {
			if ($(i+1) ~ /^passed/) p += $i
			if ($(i+1) ~ /^failed/) f += $i
			if ($(i+1) ~ /^ignored/) s += $i
		} } END { print p+0, f+0, s+0 }' "$out")
	rm -f "$out"
	# A build failure has no "test result" line: count it as a failure.
	[ "$rc" = 0 ] || [ "$f" != 0 ] || f=1
	echo "HOST $crate: $p passed, $f failed, $s skipped"
	P=$((P + p)) F=$((F + f)) S=$((S + s))
	[ "$rc" = 0 ] || RC=1
done
echo "COUNTS $P $F $S 0"
exit $RC
