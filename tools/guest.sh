#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Build the guest: aarch64 static binaries (our selftests, tools, upstream's
# iommufd selftest from the same kernel source), busybox, the module and the
# kernel's own modules, packed into build/guest/initramfs.cpio.gz (build/guest-sanitize/ for
# KFLAVOR=sanitize, with the modules built against that kernel).
set -euo pipefail
. "$(dirname "$0")/env.sh"
need_src
KBUILD=$(kbuild_dir)
[ -f "$MODULE_DIR/src/iommufd/iommufd_rs.ko" ] || die "no module; run 'make module'"

root="$GUEST_DIR/root"
rm -rf "$root"
mkdir -p "$root"/{bin,sbin,proc,sys,dev,tmp,lib/modules} "$root"/guest/{bin,upstream,scenarios}

cp "$BUSYBOX" "$root/bin/busybox"
ln -s busybox "$root/bin/sh"
install -m 0755 "$REPO/tools/guest/init" "$root/init"
cp "$REPO/tools/guest/lib.sh" "$REPO/tools/guest/smmu_rs_checks.sh" "$root/guest/"
cp "$REPO"/tools/guest/scenarios/*.sh "$root/guest/scenarios/"
cp -a "$KBUILD"/modinst/lib/modules/* "$root/lib/modules/"
cp "$MODULE_DIR/src/iommufd/iommufd_rs.ko" "$MODULE_DIR/src/registry/iommufd_rs_driver.ko" \
	"$MODULE_DIR/src/smmu/smmu_rs.ko" "$root/guest/"

# Our tests, through their kselftest Makefile (lib.mk of the same source).
make -s -C "$REPO/selftests" KSRC="$KSRC" CROSS_COMPILE="${CROSS_CC%gcc}" \
	KHDR_INCLUDES="-isystem $KBUILD/usr/include" OUTPUT="$root/guest/bin"
# The demo and the benchmarks are tools, not tests.
CFLAGS=(-static -O2 -g0 -Wall -Werror -D_GNU_SOURCE
	-I"$REPO/include/uapi" -I"$KSRC/tools/testing/selftests" -isystem "$KBUILD/usr/include")
for src in "$REPO"/tools/demo/*.c "$REPO"/tools/bench/*.c; do
	[ -f "$src" ] || continue
	name=$(basename "$src" .c)
	$CROSS_CC "${CFLAGS[@]}" -o "$root/guest/bin/$name" "$src" -lpthread
done

# Upstream's own iommufd selftest, built from the kernel source as its
# Makefile would (KHDR_INCLUDES = the installed UAPI headers, -lcap).
up="$KSRC/tools/testing/selftests/iommu"
for t in iommufd iommufd_fail_nth; do
	$CROSS_CC -static -O2 -Wall -Wno-unused-function -D_GNU_SOURCE \
		-isystem "$KBUILD/usr/include" -I"$KSRC/tools/testing/selftests" -I"$up" \
		-o "$root/guest/upstream/$t" "$up/$t.c" -lcap -lpthread
done

(cd "$root" && find . -print0 | cpio --null -o -H newc --quiet | gzip -1) >"$GUEST_DIR/initramfs.cpio.gz.tmp"
mv "$GUEST_DIR/initramfs.cpio.gz.tmp" "$GUEST_DIR/initramfs.cpio.gz"
echo "[guest] $GUEST_DIR/initramfs.cpio.gz ($(du -h "$GUEST_DIR/initramfs.cpio.gz" | cut -f1))"
# The `vmm` scenario's extra archive (QEMU, L2's kernel and initramfs), only
# when asked for: it adds about 30 MB that ordinary boots do not carry.
if [ "${GUEST_VMM:-0}" = 1 ]; then
	"$REPO/tools/guest-vmm.sh"
fi
