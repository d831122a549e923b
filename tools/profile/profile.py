#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Summarise tb_profile runs (`make profile`): the guest instructions of one
benchmark row's timed parts, per function and per component, for two sides,
and the SMMU commands QEMU's model was given inside each side's windows.

Usage: profile.py --row ROW --system-map MAP --side LABEL,W,BLOCKS,CONSOLE,LOG --side ...

Each side is one window (W: A or B) of one profiled boot: the two windows
of a `bench` boot (iommufd-rs and upstream), or window A of two
`bench-pgtable` boots (iommufd-rs on the in-tree io-pgtable and on smmu_rs).
"""
import argparse
import bisect
import collections
import re
import subprocess
import sys

USER_TOP = 0xFFFF000000000000
SPIN = "spinning (timing, not work)"


def load_symbols(system_map, console):
    """Text symbols (address, name, module) of the kernel and its modules."""
    syms = []
    with open(system_map) as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 3 and parts[1] in "tTwW":
                syms.append((int(parts[0], 16), parts[2], "kernel"))
    inside = False
    with open(console, errors="replace") as f:
        for line in f:
            line = line.strip()
            if line == "@@KALLSYMS-BEGIN@@":
                inside = True
            elif line == "@@KALLSYMS-END@@":
                inside = False
            elif inside:
                m = re.match(r"([0-9a-f]+) ([tTwW]) (\S+)\s+\[(\S+)\]", line)
                if m:
                    syms.append((int(m.group(1), 16), m.group(3), m.group(4)))
    syms.sort()
    return syms


def component(name, module):
    """A coarse owner of a function, for the per-component table."""
    if module != "kernel":
        return module
    rules = [
        # Waiting for a lock the other vCPU holds: how long depends on
        # timing (profiled boots run without -icount), not on the work.
        (r"^(queued_spin_lock_slowpath|osq_lock|mutex_spin_on_owner|"
         r"rwsem_optimistic_spin|__cmpwait)", SPIN),
        (r"^(pin_user_pages|unpin_user|gup_|try_grab_folio|follow_|__get_user_pages|"
         r"get_user_pages|folio_add_pins|memfd_pin_folios|check_and_migrate|"
         r"collect_longterm|internal_get_user_pages|__gup_|record_subpages)", "mm: GUP"),
        (r"^(__)?arm_lpae_|^io_pgtable", "io-pgtable-arm"),
        (r"^(__)?iommu_|^iopf_|^iommu", "iommu core"),
        (r"^(mutex_|_raw_spin|__mutex|down_|up_read|up_write|rwsem|__rwsem|"
         r"lock_|queued_|osq_)", "locks"),
        (r"^(kmem_cache|__kmalloc|kmalloc|kfree|kvfree|__kvmalloc|kvmalloc|"
         r"kvrealloc|krealloc|__slab|slab_|___slab|alloc_pages|__alloc_pages|"
         r"get_page_from_freelist|free_pages|__free_pages|vmalloc|__vmalloc|vfree|"
         r"memcg|obj_cgroup|__memcg|refill_obj|mod_objcg|__mod_memcg|"
         r"rmqueue|free_unref|__rmqueue|clear_page|__rcu|rcu_)", "allocation"),
        (r"^(el0|do_el0|invoke_syscall|__arm64_sys|el0t|ret_to_user|"
         r"__do_sys|do_vfs_ioctl|__se_sys|syscall_|fdget|__fdget|fput|"
         r"security_file_ioctl|arm64_|cpu_switch|__schedule|schedule|"
         r"finish_task|_copy_from_user|_copy_to_user|__arch_copy)", "syscall, copy, sched"),
        (r"^(mm_|__mm|vma_|find_vma|mas_|mtree_|account_locked_vm|"
         r"__account_locked_vm|folio_|page_|__folio|__page|lru_|"
         r"mmap_|handle_mm_fault|__handle_mm_fault|do_anonymous|"
         r"set_page_dirty|filemap_|shmem_)", "mm: other"),
    ]
    for pattern, comp in rules:
        if re.match(pattern, name):
            return comp
    return "kernel: other"


def demangle_all(names):
    """Rust v0 symbols (_R...) made readable by binutils' c++filt, which
    knows the scheme, with the crates' hashes dropped; others unchanged."""
    rust = sorted({n for n in names if n.startswith("_R")})
    if not rust:
        return {}
    try:
        out = subprocess.run(["c++filt"], input="\n".join(rust), capture_output=True,
                             text=True, check=True).stdout.splitlines()
    except (OSError, subprocess.CalledProcessError):
        return {}
    return {m: re.sub(r"\[[0-9a-f]+\]", "", d) for m, d in zip(rust, out)}


def resolve(syms, addrs, pc):
    if pc < USER_TOP:
        return ("(user space)", "user")
    i = bisect.bisect_right(addrs, pc) - 1
    if i < 0:
        return ("?", "kernel")
    return (syms[i][1], syms[i][2])


def smmu_commands(log):
    """SMMU command counts by opcode inside windows A and B."""
    counts = [collections.Counter(), collections.Counter()]
    window = None
    with open(log, errors="replace") as f:
        for line in f:
            m = re.search(r"tb_profile: window ([AB]) (open|closed)", line)
            if m:
                window = "AB".index(m.group(1)) if m.group(2) == "open" else None
                continue
            if window is not None and "smmuv3_cmdq_opcode" in line:
                op = line.rsplit("<---", 1)[-1].strip()
                counts[window][op] += 1
    return counts


def side_profile(system_map, console, qemu_log, blocks, window):
    """Instructions per function, the number of timed parts, and SMMU
    commands of window `window` (0: A, 1: B) of one profiled boot."""
    syms = load_symbols(system_map, console)
    readable = demangle_all(s[1] for s in syms)
    syms = [(a, readable.get(n, n), m) for a, n, m in syms]
    addrs = [s[0] for s in syms]
    parts = 0
    per_fn = collections.Counter()
    with open(blocks) as f:
        for line in f:
            if line.startswith("#"):
                m = re.search(r"windows A (\d+) B (\d+)", line)
                if m:
                    parts = int(m.group(1 + window))
                continue
            fields = line.split()
            n = int(fields[2 + window])
            if n:
                per_fn[resolve(syms, addrs, int(fields[0], 16))] += n
    return per_fn, parts, smmu_commands(qemu_log)[window]


def main():
    ap = argparse.ArgumentParser(
        description="Compare two sides of profiled boots. Each --side is "
        "LABEL,WINDOW,BLOCKS,CONSOLE,QEMU_LOG (WINDOW A or B).")
    ap.add_argument("--row", required=True)
    ap.add_argument("--system-map", required=True)
    ap.add_argument("--side", action="append", required=True)
    ap.add_argument("--top", type=int, default=25)
    args = ap.parse_args()
    if len(args.side) != 2:
        sys.exit("profile.py: two --side arguments")
    labels, fns, parts, cmds = [], [], [], []
    for spec in args.side:
        label, window, blocks, console, qemu_log = spec.split(",")
        f, n, c = side_profile(args.system_map, console, qemu_log, blocks, "AB".index(window))
        labels.append(label)
        fns.append(f)
        parts.append(n)
        cmds.append(c)
    if not parts[0] or parts[0] != parts[1]:
        sys.exit(f"profile {args.row}: the sides' timed parts do not pair up ({parts})")
    a, b = labels

    def per(v, w):
        return v / parts[w]

    total = [sum(f.values()) for f in fns]
    print(f"profile of {args.row}: guest instructions per timed part "
          f"({a} {parts[0]} parts, {b} {parts[1]} parts)")
    print(f"  total: {a} {per(total[0], 0):,.0f}, {b} {per(total[1], 1):,.0f},"
          f" ratio {per(total[0], 0) / per(total[1], 1):.2f}x")
    comps = collections.defaultdict(lambda: [0, 0])
    keys = set(fns[0]) | set(fns[1])
    for key in keys:
        c = component(*key)
        comps[c][0] += fns[0][key]
        comps[c][1] += fns[1][key]
    if SPIN in comps:
        work = [total[w] - comps[SPIN][w] for w in (0, 1)]
        print(f"  without spinning: {a} {per(work[0], 0):,.0f}, {b} {per(work[1], 1):,.0f},"
              f" ratio {per(work[0], 0) / per(work[1], 1):.2f}x")
    print(f"  {'component':<28} {a:>14} {b:>14}")
    for c, v in sorted(comps.items(), key=lambda kv: -max(per(kv[1][0], 0), per(kv[1][1], 1))):
        print(f"  {c:<28} {per(v[0], 0):>14,.0f} {per(v[1], 1):>14,.0f}")
    print(f"  {'function [module]':<64} {a:>12} {b:>12}")
    top = sorted(keys, key=lambda k: -max(per(fns[0][k], 0), per(fns[1][k], 1)))
    for key in top[:args.top]:
        label = f"{key[0]} [{key[1]}]"
        print(f"  {label[:64]:<64} {per(fns[0][key], 0):>12,.0f} {per(fns[1][key], 1):>12,.0f}")
    ops = sorted(set(cmds[0]) | set(cmds[1]))
    print("  SMMU commands per timed part (QEMU's model; not guest instructions):")
    if not ops:
        print("    none on either side")
    for op in ops:
        print(f"    {op:<26} {a} {cmds[0][op] / parts[0]:>10,.1f}"
              f"   {b} {cmds[1][op] / parts[1]:>10,.1f}")


if __name__ == "__main__":
    main()
