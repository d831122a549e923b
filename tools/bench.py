#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Print guest benchmarks as a table of ratios (label B over label A).

Reads "BENCH LABEL WORKLOAD NS" lines (tools/bench/pair_bench.c) from the
files of several boots. The primary files come from boots where QEMU
counted instructions (-icount shift=0: one guest nanosecond per guest
instruction, whatever the host does); the --wall files from ordinary boots,
shown as a second column. A ratio below 1 means B is faster.

For each workload: each side's median over the boots; the ratio is the
median of the per-boot ratios (B and A of the same boot when both ran in
it, else of the i-th boot of each), with its range over the boots.

"LAYOUT BUFFER N runs" lines (how many physically contiguous runs a buffer
was in each boot) are listed under the table: rows comparing two boots move
with them.

Usage: bench.py [--labels A B] FILE... [--wall FILE...]
(default labels: upstream ours)
"""
import sys
from collections import defaultdict


def read(paths):
    """{workload: {label: [ns per boot]}} and the workloads in order."""
    res = defaultdict(lambda: defaultdict(list))
    order = []
    for path in paths:
        for line in open(path, errors="replace"):
            p = line.split()
            if len(p) < 4 or p[0] != "BENCH":
                continue
            # A skipped row ("... skipped (why)") stays in the table as such.
            if p[2] not in order:
                order.append(p[2])
            try:
                res[p[2]][p[1]].append(float(p[3]))
            except ValueError:
                pass
    return res, order


def median(v):
    v = sorted(v)
    n = len(v)
    return (v[n // 2] + v[(n - 1) // 2]) / 2 if v else None


def fmt_ratio(x):
    """Two decimals, or two significant digits below 0.1 (0.0002x, not 0.00x)."""
    return f"{x:.2f}x" if x >= 0.1 else f"{x:.2g}x"


def ratios(row, a, b):
    return [y / x for x, y in zip(row.get(a, []), row.get(b, [])) if x and y]


def fmt_time(v):
    if v is None:
        return "skipped"
    if v >= 1e6:
        return f"{v / 1e6:.2f} ms"
    return f"{v / 1e3:.1f} us"


def main(argv):
    a, b = "upstream", "ours"
    if argv[:1] == ["--labels"]:
        a, b = argv[1], argv[2]
        argv = argv[3:]
    wall = []
    if "--wall" in argv:
        i = argv.index("--wall")
        argv, wall = argv[:i], argv[i + 1:]
    prim, order = read(argv)
    wres, _ = read(wall)
    n = max((len(ratios(prim[w], a, b)) for w in order), default=0)
    print(f"{'workload':40} {a + ' (icount)':>16} {b + ' (icount)':>16} "
          f"{b + '/' + a:>12} {'range (n=' + str(n) + ')':>18} {'wall ratio':>11}")
    for w in order:
        row = prim[w]
        r = ratios(row, a, b)
        ratio = fmt_ratio(median(r)) if r else "-"
        rng = f"{fmt_ratio(min(r))}..{fmt_ratio(max(r))}" if len(r) > 1 else ""
        wr = ratios(wres.get(w, {}), a, b)
        wall_ratio = fmt_ratio(median(wr)) if wr else "-"
        print(f"{w:40} {fmt_time(median(row.get(a, []))):>16} "
              f"{fmt_time(median(row.get(b, []))):>16} {ratio:>12} {rng:>18} "
              f"{wall_ratio:>11}")
    return argv


def layouts(paths):
    """The "LAYOUT BUFFER N runs" lines of each file, one line per buffer."""
    per = defaultdict(list)
    for path in paths:
        for line in open(path, errors="replace"):
            p = line.split()
            if len(p) == 4 and p[0] == "LAYOUT":
                per[p[1]].append(p[2])
    for buf, runs in per.items():
        print(f"  {buf}: physically contiguous runs per boot: {' '.join(runs)}")


if __name__ == "__main__":
    layouts(main(sys.argv[1:]))
