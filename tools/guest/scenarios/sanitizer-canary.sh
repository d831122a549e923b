# SPDX-License-Identifier: GPL-2.0
# The sanitizer flavor's canaries: a bug of each kind the flavor must catch,
# provoked on purpose, so make check-deep can require each report and a
# sanitizer that silently stopped reporting fails the check. This boot is
# meant to fail (tools/boot.sh exits 125 on the reports).
for m in lkdtm kmemleak-test; do
	modprobe $m || { echo "canary: cannot load $m"; exit 1; }
done
# KASAN: a read after kfree(); UBSAN: an index past a fixed-size array;
# KFENCE: a read after free of a KFENCE-sampled object (waits for one).
for crash in READ_AFTER_FREE ARRAY_BOUNDS KFENCE_READ_AFTER_FREE; do
	echo "canary: provoking $crash"
	echo $crash >/sys/kernel/debug/provoke-crash/DIRECT
done
# kmemleak: the sample module's init leaks on purpose; unloading it makes
# its allocations unreachable, the scan after the scenario reports them.
rmmod kmemleak-test
exit 0
