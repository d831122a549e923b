#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Print a guest benchmark as a table of time ratios (ours/upstream, or
label B over label A with --labels).

Reads "BENCH LABEL WORKLOAD NS" lines (tools/bench/ioas_bench.c) from the
bench scenario's output. A ratio below 1 means iommufd-rs is faster.
Times are medians over the files given; the ratio is the median of the
ratios of the i-th runs of each label, with their range.
"TABLE LABEL WORKLOAD DESCRIPTORS MINIMUM" lines (domain_bench on smmu_rs)
add a second table: our stage-2 table's descriptors against the fewest any
table needs for the same mapping.
"""
import sys
from collections import defaultdict

# bench.py FILE                      upstream vs ours (one guest)
# bench.py --labels A B FILE...      label B vs label A, over several boots
args = sys.argv[1:]
base, other, head = "upstream", "ours", ("upstream", "iommufd-rs")
if args[:1] == ["--labels"]:
    base, other = args[1], args[2]
    head = (base, other)
    args = args[3:]

res = defaultdict(lambda: defaultdict(list))
order = []
tables = []
for path in args:
    for line in open(path, errors="replace"):
        p = line.split()
        if len(p) == 5 and p[0] == "TABLE":
            row = (p[1], p[2], int(p[3]), int(p[4]))
            if row not in tables:
                tables.append(row)
        if len(p) >= 4 and p[0] == "BENCH":
            if p[2] not in order:
                order.append(p[2])
            try:
                res[p[2]][p[1]].append(float(p[3]))
            except ValueError:
                pass


def median(v):
    v = sorted(v)
    n = len(v)
    return (v[n // 2] + v[(n - 1) // 2]) / 2 if v else None


# With several boots per label (files given in alternating order), the
# ratio is the median of the per-boot-pair ratios, and its range is shown:
# TCG timings move a lot from boot to boot.
ratio_head = f"{other}/{base}"
samples = max((len(s) for w in res.values() for s in w.values()), default=0)
range_head = f"  pair range (n={samples})" if samples > 1 else ""
print(f"{'workload':34} {head[0]:>12} {head[1]:>12} {ratio_head:>14}{range_head}")
for w in order:
    u, o = res[w].get(base, []), res[w].get(other, [])
    fmt = lambda v: f"{v / 1000:9.1f} us" if v else "   skipped"
    pairs = [b / a for a, b in zip(u, o) if a and b]
    ratio = f"{median(pairs):13.2f}x" if pairs else "             -"
    rng = f"  {min(pairs):.2f}x .. {max(pairs):.2f}x" if len(pairs) > 1 else ""
    print(f"{w:34} {fmt(median(u)):>12} {fmt(median(o)):>12} {ratio:>14}{rng}")

if tables:
    print()
    print(f"{'stage-2 table with the workload mapped':40} {'descriptors':>11} {'minimum':>9} {'extra':>7}")
    for label, w, desc, minimum in tables:
        print(f"{label + ' ' + w:40} {desc:11} {minimum:9} {desc - minimum:7}")
