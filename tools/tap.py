#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Count TAP results in a guest scenario's output.

Every block starts with "TAP version 13" and declares "1..N". Results are
"ok K name" / "not ok K name", with "# SKIP" marking skips. A block that ends
with fewer results than it planned (a binary that crashed or hung) counts the
missing ones as failed, so a dying test can never look like a pass.

Usage: tap.py OUTFILE [--known-failures FILE] [--label LABEL]
Prints one summary line and the failed test names; with --known-failures,
failures listed there are reported apart ("known") instead of "failed".
Exit status 0 if nothing failed (known failures aside), 1 otherwise.
"""
import argparse
import re
import sys

RESULT = re.compile(r"^(not )?ok (\d+)\s*-?\s*(.*)$")
PLAN = re.compile(r"^1\.\.(\d+)")


def parse(lines):
    blocks = []
    cur = None
    for line in lines:
        line = line.rstrip("\n")
        if line.startswith("TAP version"):
            cur = {"plan": None, "results": []}
            blocks.append(cur)
            continue
        if cur is None:
            continue
        m = PLAN.match(line)
        if m and cur["plan"] is None:
            cur["plan"] = int(m.group(1))
            continue
        m = RESULT.match(line)
        if m:
            name = m.group(3)
            skip = re.search(r"#\s*SKIP", name, re.I) is not None
            name = re.sub(r"\s*#.*$", "", name).strip()
            cur["results"].append((m.group(1) is None, skip, name))
    return blocks


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("outfile")
    ap.add_argument("--known-failures")
    ap.add_argument("--label", default="")
    a = ap.parse_args()
    known = set()
    if a.known_failures:
        with open(a.known_failures) as f:
            known = {l.strip() for l in f if l.strip() and not l.startswith("#")}
    with open(a.outfile, errors="replace") as f:
        blocks = parse(f)
    passed = skipped = 0
    failed, known_failed = [], []
    for b in blocks:
        for ok, skip, name in b["results"]:
            if skip:
                skipped += 1
            elif ok:
                passed += 1
            elif name in known:
                known_failed.append(name)
            else:
                failed.append(name)
        missing = (b["plan"] or 0) - len(b["results"])
        for i in range(missing):
            failed.append(f"<result missing: block planned {b['plan']}, got {len(b['results'])}>")
    if not blocks:
        failed.append("<no TAP output at all>")
    line = f"{passed} passed, {len(failed)} failed, {skipped} skipped"
    if a.known_failures:
        line += f", {len(known_failed)} known upstream failures"
    print(f"{a.label}{line}")
    for n in failed:
        print(f"  FAILED: {n}")
    for n in known_failed:
        print(f"  known upstream failure: {n}")
    # Machine-readable last line for check.sh.
    print(f"COUNTS {passed} {len(failed)} {skipped} {len(known_failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
