#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# `make bench`: the guest benchmarks.
#  1. upstream iommufd vs iommufd-rs, both in one guest over the in-tree
#     SMMUv3 driver, in one process on the same buffers (pair_bench):
#     BENCH_BOOTS boots with QEMU counting instructions (the primary figure,
#     which the host's load does not move), the first of them with the
#     1M-area row, and one ordinary boot for the wall-time column;
#  2. iommufd-rs's rows with a domain on the in-tree io-pgtable vs smmu_rs's
#     LPAE table: BENCH_PAIRS alternating instruction-counted boot pairs.
# Each ratio is the median over the boots, with its range.
set -euo pipefail
. "$(dirname "$0")/env.sh"
boots=${BENCH_BOOTS:-3}
pairs=${BENCH_PAIRS:-3}
out="$REPO/build/logs/bench"
rm -rf "$out"
mkdir -p "$out"
export GUEST_MEM=3G GUEST_HUGEPAGES=200 BOOT_TIMEOUT=1800
big="hugepagesz=1G hugepages=1"

boot() { # boot DIR [VAR=value...]
	local dir=$1 s=$(date +%s)
	shift
	env "$@" "$REPO/tools/boot.sh" "${dir%%/*}" "$out/$dir" >/dev/null ||
		die "benchmark boot $dir failed (console $out/$dir/${dir%%/*}.console)"
	echo "[bench] $dir: $(( $(date +%s) - s )) s" >&2
}

for i in $(seq "$boots"); do
	extra=
	[ "$i" = 1 ] && extra=" BENCH_AREAS_1M=1"
	boot "bench/icount-$i" GUEST_ICOUNT=1 GUEST_APPEND="$big$extra"
done
boot bench/wall GUEST_APPEND="$big"
for i in $(seq "$pairs"); do
	for p in intree rs; do
		boot "bench-pgtable/$p-$i" GUEST_ICOUNT=1 GUEST_APPEND="smmu=$p $big"
	done
done

echo "upstream iommufd vs iommufd-rs, one guest, same buffers, in-tree arm_smmu_v3" \
	"($boots instruction-counted boots, 1 wall-clock boot)"
"$REPO/tools/bench.py" "$out"/bench/icount-*/bench.out --wall "$out"/bench/wall/bench.out
echo
echo "iommufd-rs with a domain: in-tree arm_smmu_v3 io-pgtable vs smmu_rs's LPAE table" \
	"($pairs alternating instruction-counted boot pairs)"
"$REPO/tools/bench.py" --labels intree rs "$out"/bench-pgtable/*/bench-pgtable.out
