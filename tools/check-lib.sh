# SPDX-License-Identifier: GPL-2.0
#
# Sourced by check.sh and check-deep.sh: the counters and the ways a check
# passes or fails, so both end with the same "N passed, M failed, K skipped".

logs=${CHECK_LOGS:-$REPO/build/logs}
mkdir -p "$logs"
passed=0 failed=0 skipped=0
t0=$(date +%s)

note() { printf '[check] %s\n' "$*"; }
pass() { passed=$((passed + 1)); note "PASS $1"; }
fail() { failed=$((failed + 1)); note "FAIL $1"; }

# step NAME LOG CMD...: one pass/fail check; on failure show the log's tail.
step() {
	local name=$1 log=$2 s=$(date +%s)
	shift 2
	if "$@" >"$log" 2>&1; then
		pass "$name ($(( $(date +%s) - s )) s)"
		return 0
	fi
	fail "$name ($(( $(date +%s) - s )) s), log $log:"
	tail -n 30 "$log" | sed 's/^/    /'
	return 1
}

# add_counts FILE: fold tap.py's COUNTS line into the totals.
add_counts() {
	local c
	c=$(grep '^COUNTS ' "$1" 2>/dev/null | tail -1)
	if [ -z "$c" ]; then
		fail "no test counts in $1"
		return
	fi
	set -- $c
	passed=$((passed + $2)); failed=$((failed + $3)); skipped=$((skipped + $4))
}

# guest_suites SCENARIO LABEL [VAR=value...]: boot SCENARIO (with the
# variables set), count its TAP results, and count the boot itself as one
# check: clean unless the kernel oopsed, warned or reported anything. The
# logs go to $logs, or to $suite_logs when one scenario boots more than once.
guest_suites() {
	local scenario=$1 label=$2 s=$(date +%s) brc out=${suite_logs:-$logs}
	shift 2
	mkdir -p "$out"
	env "$@" "$REPO/tools/boot.sh" "$scenario" "$out"; brc=$?
	"$REPO/tools/tap.py" "$out/$scenario.out" --label "$label: " >"$out/$scenario.counts"
	grep -E '^(not )?ok ' "$out/$scenario.out" | sed 's/^/    /'
	grep -v '^COUNTS' "$out/$scenario.counts" | sed 's/^/    /'
	add_counts "$out/$scenario.counts"
	if [ $brc = 0 ] || [ $brc = 1 ]; then
		pass "guest boot '$scenario'${KFLAVOR_LABEL:-} clean: no oops, warning, lockdep report or hang ($(( $(date +%s) - s )) s)"
	else
		fail "guest boot '$scenario'${KFLAVOR_LABEL:-} (status $brc, console $out/$scenario.console)"
	fi
}

# setup KERNEL_LABEL: deps and the kernel of $KFLAVOR. Not a test: without
# them nothing can run, so a failure ends the check.
setup() {
	note "deps"; "$REPO/tools/deps.sh" >"$logs/deps.log" 2>&1 || {
		tail -n 30 "$logs/deps.log"; echo "0 passed, 1 failed"; exit 1; }
	note "$1 (cached when unchanged)"
	"$REPO/tools/kernel.sh" >"$logs/kernel.log" 2>&1 || {
		tail -n 30 "$logs/kernel.log"; echo "0 passed, 1 failed"; exit 1; }
	grep -E '^\[kernel\] (source|.*config verified|built in|cached)' "$logs/kernel.log" |
		sed 's/^/    /'
}

# finish: the closing line; the exit status says whether anything failed.
finish() {
	note "total time $(( $(date +%s) - t0 )) s"
	echo "$passed passed, $failed failed, $skipped skipped"
	[ $failed = 0 ]
}
