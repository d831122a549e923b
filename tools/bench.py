#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Print the guest benchmark as a table of ours/upstream time ratios.

Reads "BENCH LABEL WORKLOAD NS" lines (tools/bench/ioas_bench.c) from the
bench scenario's output. A ratio below 1 means iommufd-rs is faster.
"""
import sys
from collections import defaultdict

res = defaultdict(dict)
order = []
for line in open(sys.argv[1], errors="replace"):
    p = line.split()
    if len(p) >= 4 and p[0] == "BENCH":
        if p[2] not in order:
            order.append(p[2])
        try:
            res[p[2]][p[1]] = float(p[3])
        except ValueError:
            res[p[2]][p[1]] = None
print(f"{'workload':34} {'upstream':>12} {'iommufd-rs':>12} {'ours/upstream':>14}")
for w in order:
    u, o = res[w].get("upstream"), res[w].get("ours")
    fmt = lambda v: f"{v / 1000:9.1f} us" if v else "   skipped"
    ratio = f"{o / u:13.2f}x" if u and o else "             -"
    print(f"{w:34} {fmt(u):>12} {fmt(o):>12} {ratio:>14}")
