#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# `make profile`: where the guest instructions of benchmark rows go, per
# function, for iommufd-rs and for upstream, and what the SMMU model was
# asked to do meanwhile. One instruction-counted boot per row (PROFILE_ROWS,
# pair_bench workload names), with the tb_profile plugin
# (tools/profile/tb_profile.c) counting the instructions of every guest
# block inside pair_bench's timed parts, and QEMU logging the SMMU commands
# (trace event smmuv3_cmdq_opcode). tools/profile/profile.py resolves the
# blocks against the kernel's System.map and the modules' symbols the guest
# prints. Output under build/logs/profile/. PROFILE_PGTABLE=1 compares
# iommufd-rs on the in-tree io-pgtable with iommufd-rs on smmu_rs instead
# (bench-pgtable boots, the domain rows only).
#
# Needs, installed here if missing: libglib2.0-dev (qemu-plugin.h includes
# glib.h) and QEMU's plugin header, from the source of the installed QEMU
# (Debian's orig tarball, cached under CACHE_DIR).
set -euo pipefail
. "$(dirname "$0")/env.sh"
out="$REPO/build/logs/profile"
rows=${PROFILE_ROWS:-"map+unmap_4K map_file+unmap_2M_memfd copy+unmap_2M_THP domain_256M_4K_attached:map domain_256M_4K_scattered_attached:map domain_256M_THP_attached:map"}
KBUILD=$(kbuild_dir)
SUDO=
[ "$(id -u)" = 0 ] || SUDO=sudo

dpkg -s libglib2.0-dev >/dev/null 2>&1 || {
	echo "[profile] installing libglib2.0-dev" >&2
	$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libglib2.0-dev >/dev/null
}
qver=$(dpkg-query -W -f '${source:Version}' qemu-system-arm)
hdr="$CACHE_DIR/qemu-plugin-${qver//[^A-Za-z0-9.+-]/_}"
if [ ! -f "$hdr/qemu-plugin.h" ]; then
	echo "[profile] fetching QEMU $qver's source for qemu-plugin.h" >&2
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' EXIT
	mkdir -p "$tmp/lists/partial"
	echo "deb-src http://deb.debian.org/debian bookworm-backports main" >"$tmp/sources.list"
	apt_o=(-o Dir::Etc::SourceList="$tmp/sources.list" -o Dir::Etc::SourceParts=/dev/null
		-o Dir::State::Lists="$tmp/lists")
	apt-get "${apt_o[@]}" update -qq
	(cd "$tmp" && apt-get "${apt_o[@]}" source --download-only --tar-only -qq "qemu=$qver")
	tar -xJf "$tmp"/qemu_*.orig.tar.xz -C "$tmp" --wildcards '*/include/qemu/qemu-plugin.h'
	mkdir -p "$hdr"
	cp "$tmp"/qemu-*/include/qemu/qemu-plugin.h "$hdr/"
fi

rm -rf "$out"
mkdir -p "$out"
plugin="$out/tb_profile.so"
gcc -O2 -Wall -Werror -shared -fPIC $(pkg-config --cflags glib-2.0) -I"$hdr" \
	-o "$plugin" "$REPO/tools/profile/tb_profile.c"
sym() { awk -v n="$1" '$3 == n { print "0x" $1 }' "$KBUILD/System.map"; }
a=$(sym __arm64_sys_sched_get_priority_max)
b=$(sym __arm64_sys_sched_get_priority_min)
[ -n "$a" ] && [ -n "$b" ] || die "no marker symbols in System.map"

# boot NAME SCENARIO ROW [APPEND]: one profiled boot; its files are $out/NAME.*
boot() {
	local name=$1 scenario=$2 row=$3 append=${4:-} s
	s=$(date +%s)
	# Without -icount: QEMU 10.0.2 aborts at reset with icount and any plugin
	# (arm_mmu_idx_el: code should not be reached). The plugin counts the
	# executed instructions itself, which is what icount's clock counts.
	GUEST_MEM=3G GUEST_HUGEPAGES=200 BOOT_TIMEOUT=1800 \
		GUEST_APPEND="hugepagesz=1G hugepages=1 PAIR_BENCH_ONLY=$row PAIR_BENCH_MARK=1 $append" \
		GUEST_QEMU_ARGS="-plugin $plugin,a=$a,b=$b,out=$out/$name.blocks -d plugin -D $out/$name.qemu.log -trace smmuv3_cmdq_opcode" \
		"$REPO/tools/boot.sh" "$scenario" "$out/$name" >/dev/null ||
		die "profile boot $name failed (console $out/$name/$scenario.console)"
	echo "[profile] $name: $(( $(date +%s) - s )) s" >&2
}
side() { # side LABEL WINDOW NAME SCENARIO
	echo "$1,$2,$out/$3.blocks,$out/$3/$4.console,$out/$3.qemu.log"
}

for row in $rows; do
	name=${row//[^A-Za-z0-9_+.-]/_}
	if [ "${PROFILE_PGTABLE:-0}" = 1 ]; then
		# iommufd-rs alone on the in-tree io-pgtable and on smmu_rs.
		boot "$name-intree" bench-pgtable "$row" smmu=intree
		boot "$name-rs" bench-pgtable "$row" smmu=rs
		sides=(--side "$(side intree A "$name-intree" bench-pgtable)"
		       --side "$(side smmu_rs A "$name-rs" bench-pgtable)")
	else
		boot "$name" bench "$row"
		sides=(--side "$(side iommufd-rs A "$name" bench)"
		       --side "$(side upstream B "$name" bench)")
	fi
	"$REPO/tools/profile/profile.py" --row "$row" --system-map "$KBUILD/System.map" \
		"${sides[@]}" | tee "$out/$name.txt"
	echo
done
