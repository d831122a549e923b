#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Host tests of the kernel-independent Rust (ioas-core: the same files the
# module compiles). Prints cargo's output and a last line
# "COUNTS passed failed skipped" summing every test binary.
set -uo pipefail
. "$(dirname "$0")/env.sh"
cd "$REPO/ioas-core"
out=$(mktemp)
cargo test --release 2>&1 | tee "$out"
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
echo "HOST ioas-core: $p passed, $f failed, $s skipped"
echo "COUNTS $p $f $s 0"
[ "$rc" = 0 ]
