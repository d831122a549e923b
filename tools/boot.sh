#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# boot.sh SCENARIO [OUTDIR]
#
# Boot the guest in QEMU virt with an SMMUv3, two edu devices (00:01.0,
# 00:02.0, each alone in its IOMMU group), a virtio-rng (00:03.0, DMA
# through the SMMU: iommu_platform), the device with an ordinary host driver
# (virtio_pci + virtio_rng), and a multi-function edu slot (00:04.0 and
# 00:04.1: functions of one slot without ACS share one IOMMU group, as
# pci_device_group() decides for both SMMU drivers); run the
# guest scenario SCENARIO and power off. The console goes to OUTDIR/SCENARIO.console
# (and to stdout when VERBOSE=1); the scenario's own output, without kernel
# noise, to OUTDIR/SCENARIO.out; the guest's dmesg to OUTDIR/SCENARIO.dmesg.
#
# GUEST_ICOUNT=1 makes QEMU count instructions (-icount shift=0,sleep=off):
# the guest's clock then advances by one nanosecond per guest instruction
# (and jumps over idle time), whatever the host is doing; the benchmarks'
# primary figure. GUEST_MACHINE (default virt) and GUEST_QEMU_ARGS change
# the machine, e.g.
# GUEST_MACHINE=virt-9.1 GUEST_QEMU_ARGS="-global arm-smmuv3.stage=1" for an
# SMMU without stage 2 (QEMU 10's virt forces stage=nested).
# The kernel log is 16 MiB: checks read the guest's dmesg after whole
# suites whose fault-injection stack dumps would push the default buffer's
# first messages out.
# GUEST_VMM=1 appends $GUEST_DIR/vmm.cpio.gz to the initramfs (the `vmm`
# scenario: QEMU inside the guest; see tools/guest-vmm.sh).
# GUEST_IOMMU=virtio puts a virtio-iommu (virtio-iommu-pci at 00:05.0) in
# front of the PCI devices instead of the SMMUv3: the second IOMMU driver
# the provider-neutral suites run over (selftest-virtio).
#
# Exit status: the scenario's exit status; 124 if the guest did not finish in
# BOOT_TIMEOUT seconds; 125 if the kernel oopsed, warned, panicked, lockdep
# complained, UBSAN reported or kmemleak found a leak (the console tail is
# printed); in the sanitizer flavor also if KASAN, KFENCE or kmemleak
# reported anything, or kmemleak could not scan.
set -euo pipefail
. "$(dirname "$0")/env.sh"

scenario=${1:?usage: boot.sh SCENARIO [OUTDIR]}
out=${2:-$REPO/build/logs}
timeout_s=${BOOT_TIMEOUT:-300}
mkdir -p "$out"
KBUILD=$(kbuild_dir)
initrd="$GUEST_DIR/initramfs.cpio.gz"
[ -f "$initrd" ] || die "no initramfs; run 'make guest'"
# GUEST_VMM=1: the `vmm` scenario's QEMU, L2 kernel and L2 initramfs
# (tools/guest-vmm.sh) appended to the initramfs, which Linux takes as one.
if [ "${GUEST_VMM:-0}" = 1 ]; then
	[ -f "$GUEST_DIR/vmm.cpio.gz" ] || die "no vmm.cpio.gz; run 'GUEST_VMM=1 make guest'"
	cat "$initrd" "$GUEST_DIR/vmm.cpio.gz" >"$GUEST_DIR/initramfs-vmm.cpio.gz"
	initrd="$GUEST_DIR/initramfs-vmm.cpio.gz"
fi

console="$out/$scenario.console"
icount=
[ "${GUEST_ICOUNT:-0}" = 1 ] && icount="-icount shift=0,sleep=off"
# KASAN reports only its first error unless told otherwise.
flavor_args=
[ "$KFLAVOR" = sanitize ] && flavor_args=kasan_multi_shot
case ${GUEST_IOMMU:-smmuv3} in
smmuv3) machine_iommu=,iommu=smmuv3 iommu_dev= ;;
virtio) machine_iommu= iommu_dev="-device virtio-iommu-pci,addr=05.0" ;;
*) die "unknown GUEST_IOMMU '$GUEST_IOMMU' (smmuv3, virtio)" ;;
esac
qemu=(qemu-system-aarch64
	-M "${GUEST_MACHINE:-virt},gic-version=3$machine_iommu" -cpu max -smp 2 -m "${GUEST_MEM:-2G}"
	$iommu_dev
	${GUEST_QEMU_ARGS:-}
	$icount
	-nographic -no-reboot -monitor none -serial stdio -nic none
	-device edu,dma_mask=0xffffffffffff
	-device edu,dma_mask=0xffffffffffff
	-device virtio-rng-pci,iommu_platform=on,disable-legacy=on
	-device edu,addr=04.0,multifunction=on,dma_mask=0xffffffffffff
	-device edu,addr=04.1,dma_mask=0xffffffffffff
	-kernel "$KBUILD/arch/arm64/boot/Image" -initrd "$initrd"
	-append "console=ttyAMA0 panic=-1 loglevel=4 log_buf_len=16M hugepages=${GUEST_HUGEPAGES:-80} scenario=$scenario $flavor_args ${GUEST_APPEND:-}")

set +e
if [ "${VERBOSE:-0}" = 1 ]; then
	timeout -k 5 "$timeout_s" "${qemu[@]}" </dev/null 2>&1 | tee "$console"
	rc=${PIPESTATUS[0]}
else
	timeout -k 5 "$timeout_s" "${qemu[@]}" </dev/null >"$console" 2>&1
	rc=$?
fi
set -e
tr -d '\r' <"$console" >"$console.tmp" && mv "$console.tmp" "$console"

sed -n '/^@@SCENARIO-BEGIN/,/^@@SCENARIO-END/p' "$console" | sed '1d;$d' >"$out/$scenario.out"
sed -n '/^@@DMESG-BEGIN@@/,/^@@DMESG-END@@/p' "$console" | sed '1d;$d' >"$out/$scenario.dmesg"

tail_console() {
	echo "---- last 40 console lines ($console) ----" >&2
	tail -n 40 "$console" >&2
	echo "----" >&2
}

if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
	echo "boot.sh: guest '$scenario' did not finish within ${timeout_s}s" >&2
	tail_console
	exit 124
fi
if [ "$rc" != 0 ]; then
	echo "boot.sh: qemu exited with $rc" >&2
	tail_console
	exit 125
fi
# A kernel problem anywhere in the console or the guest's full dmesg fails
# the boot, whatever the tests said. Fault-injection stack dumps are expected
# (upstream's selftest) and are not matched.
crash_re='Oops|BUG:|WARNING:|Kernel panic|Unable to handle kernel|possible circular locking|inconsistent lock state|possible recursive locking|suspicious RCU usage|DEBUG_LOCKS_WARN_ON|rcu_.*stall|hung_task|general protection|UBSAN:|kmemleak: [0-9]+ new suspected memory leaks|unreferenced object |memory leak detector disabled|@@KMEMLEAK-UNAVAILABLE@@'
# Lines prefixed "L2| " (a nested guest's console) or "L2+ " (the command
# line that booted it) are the nested guest's, which the scenario that
# booted it judges itself (vmm).
if grep -Ev '^L2[|+] ' "$console" | grep -Eq "$crash_re"; then
	echo "boot.sh: kernel problem during '$scenario':" >&2
	grep -Ev '^L2[|+] ' "$console" | grep -E -m5 "$crash_re" >&2
	tail_console
	exit 125
fi
end=$(grep -a '^@@SCENARIO-END rc=' "$console" | tail -1 || true)
if [ -z "$end" ]; then
	echo "boot.sh: guest '$scenario' powered off without finishing" >&2
	tail_console
	exit 125
fi
if [ "$KFLAVOR" = sanitize ] && ! grep -q '^@@KMEMLEAK-SCANNED 0 reports@@' "$console"; then
	echo "boot.sh: kmemleak did not scan clean after '$scenario'" >&2
	tail_console
	exit 125
fi
rc=${end#@@SCENARIO-END rc=}
exit "${rc%@@}"
