#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Build the opt-in second initramfs of the `vmm` scenario, which runs an
# unmodified QEMU inside the guest (L1) to boot a nested guest (L2):
# $GUEST_DIR/vmm.cpio.gz holds
#   /usr/bin/qemu-system-aarch64, its libraries in /lib/aarch64-linux-gnu and
#     /lib/ld-linux-aarch64.so.1 (Debian's arm64 build of the host's
#     version, fetched once by `deps.sh vmm` into $CACHE_DIR);
#   /guest/vmm/Image, L2's kernel: the rig's own;
#   /guest/vmm/l2.cpio.gz, L2's initramfs: busybox, tools/guest/vmm/l2-init as
#     /init, vfio_edu (the VFIO test L2 runs on edu) and the modules of
#     upstream vfio-pci;
#   /guest/bin/node_rebind (L1's check that QEMU left nothing behind).
# Linux takes concatenated cpio archives, so `GUEST_VMM=1 tools/boot.sh`
# boots initramfs.cpio.gz + vmm.cpio.gz ($GUEST_DIR/initramfs-vmm.cpio.gz);
# ordinary boots never carry it. tools/guest.sh runs this with GUEST_VMM=1.
set -euo pipefail
. "$(dirname "$0")/env.sh"
need_src
KBUILD=$(kbuild_dir)

qver=$(dpkg-query -W -f='${Version}' qemu-system-arm)
qemu="$CACHE_DIR/qemu-arm64-$(echo "$qver" | tr ':~+' '___')"
[ -f "$qemu/.complete" ] || "$REPO/tools/deps.sh" vmm
[ -f "$qemu/.complete" ] || die "no arm64 QEMU in $qemu"

CFLAGS=(-static -O2 -g0 -Wall -Werror -D_GNU_SOURCE -isystem "$KBUILD/usr/include")

# L2's initramfs.
l2="$GUEST_DIR/vmm-l2-root"
rm -rf "$l2"
mkdir -p "$l2"/{bin,proc,sys,dev,tmp}
cp "$BUSYBOX" "$l2/bin/busybox"
ln -s busybox "$l2/bin/sh"
install -m 0755 "$REPO/tools/guest/vmm/l2-init" "$l2/init"
$CROSS_CC "${CFLAGS[@]}" -o "$l2/vfio_edu" "$REPO/tools/guest/vmm/vfio_edu.c"
# vfio-pci and what it depends on (modules.dep lists the closure), with the
# module index, so busybox's modprobe finds them.
moddir=$(ls -d "$KBUILD"/modinst/lib/modules/*)
kver=$(basename "$moddir")
mkdir -p "$l2/lib/modules/$kver"
cp "$moddir"/modules.* "$l2/lib/modules/$kver/"
for m in $(grep -E '/(vfio|vfio-pci)\.ko:' "$moddir/modules.dep" | tr -d :); do
	mkdir -p "$l2/lib/modules/$kver/$(dirname "$m")"
	cp "$moddir/$m" "$l2/lib/modules/$kver/$m"
done

# The archive L1 gets.
root="$GUEST_DIR/vmm-root"
rm -rf "$root"
mkdir -p "$root"/{usr/bin,lib/aarch64-linux-gnu,guest/vmm,guest/bin}
cp "$qemu/bin/qemu-system-aarch64" "$root/usr/bin/"
cp "$qemu"/lib/aarch64-linux-gnu/* "$root/lib/aarch64-linux-gnu/"
cp "$qemu/lib/ld-linux-aarch64.so.1" "$root/lib/"
cp "$KBUILD/arch/arm64/boot/Image" "$root/guest/vmm/Image"
(cd "$l2" && find . -print0 | cpio --null -o -H newc --quiet | gzip -6) >"$root/guest/vmm/l2.cpio.gz"
$CROSS_CC "${CFLAGS[@]}" -I"$REPO/include/uapi" -o "$root/guest/bin/node_rebind" \
	"$REPO/tools/guest/vmm/node_rebind.c"

# Directories both archives have (/, /lib, /guest, /guest/bin) are merged
# by the kernel's unpacker: an existing directory only gets its mode again.
(cd "$root" && find . -print0 | cpio --null -o -H newc --quiet | gzip -6) >"$GUEST_DIR/vmm.cpio.gz.tmp"
mv "$GUEST_DIR/vmm.cpio.gz.tmp" "$GUEST_DIR/vmm.cpio.gz"
echo "[guest-vmm] $GUEST_DIR/vmm.cpio.gz ($(du -h "$GUEST_DIR/vmm.cpio.gz" | cut -f1);" \
	"L2 initramfs $(du -h "$root/guest/vmm/l2.cpio.gz" | cut -f1), unpacked $(du -sh "$root" | cut -f1))"
