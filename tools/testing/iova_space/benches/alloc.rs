// SPDX-License-Identifier: GPL-2.0

//! `make bench-host`: automatic IOVA allocation and removal with n existing
//! areas, for the augmented tree of the IOAS core and for a straightforward
//! first-fit linear scan (upstream's method: an ordered set of used ranges
//! and a walk over its holes) over the same data.
//!
//! Layout: n areas of 8 KiB, every other one then unmapped, so the low
//! address space is full of 8 KiB holes. "fits low" allocates 8 KiB (the
//! first hole fits); "fits high" allocates 16 KiB, which fits only past the
//! last area: the linear scan walks every hole, the tree skips them.

use iova_space::{HostAlloc, IovaSpace, Placement, Prot, PAGE_SIZE};
use std::collections::BTreeMap;
use std::hint::black_box;
use std::time::Instant;

type Space = IovaSpace<u8, u32, HostAlloc>;
const RW: Prot = Prot {
    read: true,
    write: true,
};

/// The baseline: used ranges in an ordered map, allocation by walking holes.
#[derive(Default)]
struct LinearScan {
    used: BTreeMap<u64, u64>,
}

impl LinearScan {
    fn alloc(&mut self, len: u64) -> Option<u64> {
        let align = len.next_power_of_two();
        let mut cur = PAGE_SIZE;
        let mut found = None;
        for (&s, &l) in &self.used {
            let x = (cur + align - 1) & !(align - 1);
            if x + len - 1 < s {
                found = Some(x);
                break;
            }
            cur = cur.max(l + 1);
        }
        let x = found.unwrap_or((cur + align - 1) & !(align - 1));
        self.used.insert(x, x + len - 1);
        Some(x)
    }

    fn remove(&mut self, iova: u64) {
        self.used.remove(&iova);
    }
}

fn setup(n: u64) -> (Space, LinearScan) {
    let mut s = Space::new();
    let mut l = LinearScan::default();
    let len = 2 * PAGE_SIZE;
    let mut iovas = Vec::with_capacity(n as usize);
    for i in 0..n {
        let iova = s
            .map(Placement::Alloc { user_addr: 0 }, len, 0, RW, i as u32)
            .unwrap();
        l.used.insert(iova, iova + len - 1);
        iovas.push(iova);
    }
    for (i, iova) in iovas.iter().enumerate() {
        if i % 2 == 0 {
            s.unmap(*iova, len, &mut |_| {}).unwrap();
            l.remove(*iova);
        }
    }
    (s, l)
}

/// Nanoseconds per (alloc, remove) pair over `ops` rounds.
fn time_tree(s: &mut Space, len: u64, ops: u32) -> (f64, f64) {
    let (mut ta, mut tr) = (0u128, 0u128);
    for _ in 0..ops {
        let t = Instant::now();
        let iova = s
            .map(Placement::Alloc { user_addr: 0 }, len, 0, RW, 0)
            .unwrap();
        ta += t.elapsed().as_nanos();
        let t = Instant::now();
        s.unmap(black_box(iova), len, &mut |_| {}).unwrap();
        tr += t.elapsed().as_nanos();
    }
    (ta as f64 / ops as f64, tr as f64 / ops as f64)
}

fn time_linear(l: &mut LinearScan, len: u64, ops: u32) -> (f64, f64) {
    let (mut ta, mut tr) = (0u128, 0u128);
    for _ in 0..ops {
        let t = Instant::now();
        let iova = l.alloc(len).unwrap();
        ta += t.elapsed().as_nanos();
        let t = Instant::now();
        l.remove(black_box(iova));
        tr += t.elapsed().as_nanos();
    }
    (ta as f64 / ops as f64, tr as f64 / ops as f64)
}

fn main() {
    println!(
        "{:>9} {:>10} | {:>12} {:>12} | {:>12} {:>12} | {:>9}",
        "areas", "request", "tree alloc", "tree remove", "scan alloc", "scan remove", "alloc x"
    );
    for n in [1_000u64, 100_000, 1_000_000] {
        let (mut s, mut l) = setup(n * 2);
        assert_eq!(s.area_count() as u64, n);
        for (name, len) in [("fits low", 2 * PAGE_SIZE), ("fits high", 4 * PAGE_SIZE)] {
            let ops = if n >= 1_000_000 && len > 2 * PAGE_SIZE {
                50
            } else {
                2000
            };
            let (ta, tr) = time_tree(&mut s, len, ops);
            let (la, lr) = time_linear(&mut l, len, ops);
            println!(
                "{:>9} {:>10} | {:>9.0} ns {:>9.0} ns | {:>9.0} ns {:>9.0} ns | {:>8.1}x",
                n,
                name,
                ta,
                tr,
                la,
                lr,
                la / ta
            );
        }
        assert!(s.check());
    }
}
