# SPDX-License-Identifier: GPL-2.0
# The sanitizer flavor's canaries: a bug of each kind the flavor must catch,
# provoked on purpose, so make check-deep can require each report and a
# sanitizer that silently stopped reporting fails the check. This boot is
# meant to fail (tools/boot.sh exits 125 on the reports).
#
# Each canary must report on every boot, or check-deep fails by chance.
# kmemleak is the one that can miss: it is a conservative scanner, so a
# leaked object stays hidden while any word it scans still holds its
# address (a stale value in a task's stack, or in the stack of a dead task
# that the per-CPU stack cache keeps, and scans, until a new task reuses
# and clears it), and it reports an object only once it is 5 s old
# (MSECS_MIN_AGE) and unchanged since the previous scan, so never before
# the second scan after that. So the leaks come first, many of them, the
# stacks they went through are recycled, and the scan is repeated until a
# leak is reported (mm/kmemleak.c).
kml=/sys/kernel/debug/kmemleak
[ -e $kml ] || { echo "canary: no $kml"; exit 1; }

# kmemleak: kmemleak-test's init leaks 8 kmalloc and 5 vmalloc objects and
# its exit the 10 elements of a list it unlinks; unloading it makes them
# all unreachable. Four rounds: over 90 leaked objects, far more than stale
# words could hide.
for round in 1 2 3 4; do
	{ modprobe kmemleak-test && rmmod kmemleak-test; } ||
		{ echo "canary: kmemleak-test round $round failed"; exit 1; }
done

modprobe lkdtm || { echo "canary: cannot load lkdtm"; exit 1; }
# Provokes lkdtm's $1 until the console has $2, at most $3 times.
provoke() {
	tries=0
	until dmesg | grep -q "$2"; do
		if [ $tries = "$3" ]; then
			echo "canary: $1 gave no '$2' in $3 tries"
			return 1
		fi
		echo "canary: provoking $1"
		echo "$1" >/sys/kernel/debug/provoke-crash/DIRECT
		tries=$((tries + 1))
	done
}
# KASAN: a read after kfree(). KFENCE samples the first allocation after
# each interval (kfence.sample_interval); when that is lkdtm's, KFENCE
# reports the read instead of KASAN, so it is provoked again.
provoke READ_AFTER_FREE 'BUG: KASAN: slab-use-after-free' 5
# UBSAN: an index past a fixed-size array.
provoke ARRAY_BOUNDS 'UBSAN: array-index-out-of-bounds' 1
# KFENCE: a read after free of a KFENCE-sampled object (lkdtm allocates
# until it gets one, for up to 100 intervals).
provoke KFENCE_READ_AFTER_FREE 'BUG: KFENCE: use-after-free read in lkdtm_KFENCE' 3

# New processes take (and clear) the stacks modprobe and rmmod left in the
# per-CPU cache (two per CPU).
i=0
while [ $i -lt 16 ]; do
	/bin/true
	i=$((i + 1))
done
# Old enough, then scans until kmemleak reports (at most 10: it needs 2).
sleep 6
scans=0
leaks=0
while [ $scans -lt 10 ] && [ "$leaks" = 0 ]; do
	echo scan >$kml || { echo "canary: kmemleak cannot scan"; exit 1; }
	scans=$((scans + 1))
	leaks=$(grep -c '^unreferenced object' $kml)
	[ "$leaks" = 0 ] && sleep 1
done
echo "canary: kmemleak reported $leaks objects after $scans scans"
# init's scan after the scenario prints them on the console.
[ "$leaks" != 0 ]
