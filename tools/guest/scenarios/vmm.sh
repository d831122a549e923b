# SPDX-License-Identifier: GPL-2.0
# Unmodified QEMU (Debian's qemu-system-aarch64, the host's version) in this
# guest (L1), TCG, boots a nested guest (L2) with the rig's edu 00:01.0
# assigned through vfio-pci on iommufd-rs: `-object iommufd,fd=3` on
# /dev/iommu and `-device vfio-pci,fd=4` on /dev/iommufd_rs/<BDF>. In L2,
# upstream vfio-pci in no-IOMMU mode and vfio_edu drive edu (BAR0, DMA both
# ways, MSIs). Then, after QEMU exits cleanly and again after it is killed
# with SIGKILL mid-test, nothing may be left: a fresh /dev/iommu binds the
# node again, and the module unloads.
#
# Needs GUEST_VMM=1 (tools/guest-vmm.sh's archive: QEMU, L2's kernel and
# initramfs). vmm=bare on the kernel command line (GUEST_APPEND) only boots
# an L2 without any device and times it; vmm=demo (make run's last act) only
# does the clean run.
# L2's console goes to a file and is printed here with "L2| " in front, the
# QEMU command line with "L2+ "; boot.sh leaves those lines to this
# scenario's own crash check.
. /guest/lib.sh
export LD_LIBRARY_PATH=/lib/aarch64-linux-gnu
QEMU=/usr/bin/qemu-system-aarch64
BDF=0000:00:01.0
NODE=/dev/iommufd_rs/$BDF
L2_TIMEOUT=${l2_timeout:-900}
mode=${vmm:-full}
# l2_append: more for L2's command line; l2_tb: L1 QEMU's TCG buffer (MiB).
L2_TB=${l2_tb:-256}
# L2's clock counts instructions while L2 runs (1 ns each) and follows real
# time while it idles (sleep=on: it waits for edu's MSIs in real time). On
# real time alone, L2's periodic 250 Hz tick, at the cost of a tick under
# two levels of TCG, takes most of L2's CPU: its boot crawls (a bare L2
# reached /init after 478 s, 178 s of it in param_sysfs_builtin_init).
# l2_icount=none drops it.
case ${l2_icount:-0} in
none) L2_ICOUNT= ;;
*) L2_ICOUNT="-icount shift=${l2_icount:-0},sleep=on" ;;
esac
l2_crash_re='Oops|BUG:|WARNING:|Kernel panic|Unable to handle kernel|possible circular locking|general protection|UBSAN:'
rc=0

now() { cut -d' ' -f1 /proc/uptime; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
edu_irqs() { grep -c iommufd_rs /proc/interrupts; }
mem_avail() { awk '/^MemAvailable/ { print int($2 / 1024) " MiB" }' /proc/meminfo; }

[ -x $QEMU ] || { echo "no $QEMU: boot with GUEST_VMM=1 after GUEST_VMM=1 make guest"; exit 1; }
echo "== L1: $(awk '/^MemTotal/ { print int($2 / 1024) }' /proc/meminfo) MiB, $(mem_avail) available" \
	"with the initramfs unpacked (rootfs $(du -sm / 2>/dev/null | tail -1 | cut -f1) MiB)"

# run_l2 NAME KILL_AT DEVICE_ARGS...: boot L2 with QEMU in the background, L2's
# console to /tmp/NAME.l2, QEMU's own output to /tmp/NAME.qemu; with KILL_AT
# (a pattern) SIGKILL QEMU once L2's console shows it. Sets l2_rc (QEMU's exit
# status), t_init (seconds from QEMU's start to L2's /init), t_end, qemu_hwm.
run_l2() {
	local name=$1 kill_at=$2 start pid st cmdline
	local append="console=ttyAMA0 panic=-1 loglevel=4 rcupdate.rcu_cpu_stall_suppress=1 $L2_APPEND ${l2_append:-}"
	shift 2
	set -- $QEMU -M virt,gic-version=3 -cpu max -m 256M -smp 1 \
		-accel tcg,thread=single,tb-size=$L2_TB $L2_ICOUNT -nodefaults -nographic -no-reboot \
		-serial file:/tmp/$name.l2 \
		-kernel /guest/vmm/Image -initrd /guest/vmm/l2.cpio.gz \
		-append "$append" \
		"$@"
	# "L2+ ": boot.sh leaves L2's lines (this one names RCU stalls) to us.
	cmdline=$(echo "$*" | sed "s|-append $append|-append '$append'|")
	if [ "$mode" = bare ]; then
		echo "L2+ $cmdline"
	else
		echo "L2+ (exec 3<>/dev/iommu 4<>$NODE; exec $cmdline)"
	fi
	start=$(now)
	# The files are opened in the subshell QEMU replaces, so QEMU holds
	# the only references: its exit (or death) closes them.
	if [ "$mode" = bare ]; then
		"$@" </dev/null >/tmp/$name.qemu 2>&1 &
	else
		(exec 3<>/dev/iommu 4<>$NODE && exec "$@") </dev/null >/tmp/$name.qemu 2>&1 &
	fi
	pid=$!
	t_init=- t_end=- qemu_hwm=- irqs_at_kill=- pin_at_kill=-
	while kill -0 $pid 2>/dev/null; do
		if [ "$t_init" = - ] && grep -q '@@L2-INIT@@' /tmp/$name.l2 2>/dev/null; then
			t_init=$(since "$start")
			echo "L2 /init after ${t_init}s (L1 $(mem_avail) available," \
				"QEMU RSS $(awk '/^VmRSS/ { print int($2 / 1024) " MiB" }' /proc/$pid/status))"
		fi
		st=$(awk '/^VmHWM/ { print int($2 / 1024) " MiB" }' /proc/$pid/status 2>/dev/null)
		[ -n "$st" ] && qemu_hwm=$st
		if [ -n "$kill_at" ] && grep -q "$kill_at" /tmp/$name.l2 2>/dev/null; then
			irqs_at_kill=$(edu_irqs)
			pin_at_kill=$(awk '/^VmPin/ { print $2 }' /proc/$pid/status)
			echo "L2 reached '$kill_at' after $(since "$start")s ($irqs_at_kill iommufd_rs" \
				"MSI vector(s) in L1's /proc/interrupts): kill -9 QEMU"
			kill -9 $pid
			break
		fi
		if [ "$(since "$start" | cut -d. -f1)" -ge "$L2_TIMEOUT" ]; then
			echo "L2 did not finish in ${L2_TIMEOUT}s: kill -9 QEMU"
			kill -9 $pid
			break
		fi
		sleep 0.5
	done
	wait $pid
	l2_rc=$?
	t_end=$(since "$start")
	echo "QEMU exited with $l2_rc after ${t_end}s (peak RSS $qemu_hwm)"
	echo "---- QEMU's output ----"
	sed 's/^/qemu| /' /tmp/$name.qemu
	echo "---- L2's console ----"
	tr -d '\r' </tmp/$name.l2 | sed 's/^/L2| /'
	echo "----"
}

l2_clean() {
	! tr -d '\r' </tmp/$1.l2 | grep -E "$l2_crash_re"
}

if [ "$mode" = bare ]; then
	L2_APPEND=l2test=none
	tap_plan 3
	run_l2 bare ""
	tap_check "bare L2 boots to /init (${t_init}s)" [ "$t_init" != - ]
	tap_check "bare L2 powers off, QEMU exits 0 (${t_end}s)" \
		sh -c "[ $l2_rc = 0 ] && grep -q '@@L2-END rc=0' /tmp/bare.l2"
	tap_check "no kernel problem on L2's console" l2_clean bare
	[ $tap_failed = 0 ] || rc=1
	echo "@@VMM-TIMES bare init=$t_init end=$t_end hwm=$qemu_hwm@@"
	exit $rc
fi

bind_node() {
	echo iommufd_rs >/sys/bus/pci/devices/$BDF/driver_override &&
		echo $BDF >/sys/bus/pci/drivers_probe &&
		[ "$(basename "$(readlink /sys/bus/pci/devices/$BDF/driver)")" = iommufd_rs ] &&
		[ -c $NODE ]
}
l2_passed() {
	grep -q '@@L2-END rc=0' /tmp/$1.l2 && ! grep -q '^not ok' /tmp/$1.l2
}

if [ "$mode" = demo ]; then tap_plan 9; else tap_plan 14; fi
tap_check "SMMU driver ($SMMU) loads" load_smmu || exit 1
tap_check "iommufd_rs loads" load_iommufd_rs || exit 1
tap_check "$BDF bound to iommufd_rs, $NODE there" bind_node || exit 1
echo "# $($QEMU --version | head -1)"

L2_APPEND=
run_l2 vfio "" -object iommufd,id=iommufd0,fd=3 -device vfio-pci,iommufd=iommufd0,fd=4
tap_check "L2 boots to /init with edu assigned (${t_init}s)" [ "$t_init" != - ]
tap_check "L2 drives edu through vfio-pci: ID, liveness, DMA both ways, MSIs" l2_passed vfio
tap_check "QEMU exits 0 after L2 powers off (${t_end}s)" [ "$l2_rc" = 0 ]
tap_check "no kernel problem on L2's console" l2_clean vfio
tap_check "after QEMU's exit a fresh /dev/iommu binds $NODE again" /guest/bin/node_rebind $NODE &&
	echo "# $tap_last_out"
echo "@@VMM-TIMES vfio init=$t_init end=$t_end hwm=$qemu_hwm@@"
# make run's act (vmm=demo): the clean run only.
if [ "$mode" = demo ]; then
	tap_check "iommufd_rs unloads" unload_iommufd_rs
	[ $tap_failed = 0 ] || rc=1
	exit $rc
fi

# Killed while L2 holds edu with its MSI on (l2hold=1: vfio_edu stops after
# its MSIs and says @@L2-HOLD@@) or, when the first run never got that far,
# once L2's kernel runs.
grep -q '^ok 16 ' /tmp/vfio.l2 && kill_at='@@L2-HOLD@@' || kill_at='@@L2-INIT@@'
L2_APPEND=l2hold=1
run_l2 kill "$kill_at" -object iommufd,id=iommufd0,fd=3 -device vfio-pci,iommufd=iommufd0,fd=4
tap_check "QEMU killed by SIGKILL (status $l2_rc) at '$kill_at'" [ "$l2_rc" = 137 ]
tap_check "edu's MSI was on in L1 when QEMU was killed ($irqs_at_kill vector(s))" \
	sh -c "[ '$irqs_at_kill' != - ] && [ '$irqs_at_kill' -ge 1 ]"
# The IOAS QEMU built holds L2's RAM (256 MiB at its guest-physical
# addresses) pinned for edu's domain: the DMA that L2 programmed with
# guest-physical addresses went through the SMMU to those pages (untranslated,
# it would have hit L1's own memory at the same addresses).
tap_check "QEMU's VmPin was L2's 256 MiB of RAM when it was killed (${pin_at_kill} kB)" \
	sh -c "[ '$pin_at_kill' != - ] && [ '$pin_at_kill' -ge 262144 ]"
sleep 0.5
tap_check "after SIGKILL a fresh /dev/iommu binds $NODE again" /guest/bin/node_rebind $NODE &&
	echo "# $tap_last_out"
tap_check "no iommufd_rs MSI vector left in /proc/interrupts" sh -c "[ $(edu_irqs) = 0 ]"
tap_check "iommufd_rs unloads" unload_iommufd_rs
[ $tap_failed = 0 ] || rc=1
exit $rc
