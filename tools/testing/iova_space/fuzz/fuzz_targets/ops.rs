// SPDX-License-Identifier: GPL-2.0

//! Fuzz the IOAS core with operation sequences decoded from the input,
//! checked step by step against the naive model (`iova_space::model::run`).

#![no_main]

use iova_space::{model::Op, PAGE_SIZE};
use libfuzzer_sys::{arbitrary::Unstructured, fuzz_target};

/// An address: mostly page multiples in a small window (so operations
/// collide), sometimes any byte there, sometimes the top of the space.
fn addr(u: &mut Unstructured<'_>) -> u64 {
    let pick: u8 = u.arbitrary().unwrap_or(0);
    let v: u64 = u.arbitrary().unwrap_or(0);
    match pick % 8 {
        0..=4 => (v % 24) * PAGE_SIZE,
        5 => v % (24 * PAGE_SIZE),
        6 => u64::MAX - (v % 4),
        _ => v,
    }
}

fn len(u: &mut Unstructured<'_>) -> u64 {
    let pick: u8 = u.arbitrary().unwrap_or(0);
    let v: u64 = u.arbitrary().unwrap_or(0);
    match pick % 8 {
        0..=4 => (1 + v % 8) * PAGE_SIZE,
        5 => 1 + v % 4,
        6 => v,
        _ => 1 + v % (8 * PAGE_SIZE),
    }
}

/// A backing's page offset: mostly 0, sometimes any byte of a page or
/// beyond.
fn page_offset(u: &mut Unstructured<'_>) -> u64 {
    let v: u64 = u.arbitrary().unwrap_or(0);
    match v % 4 {
        0 | 1 => 0,
        2 => PAGE_SIZE / 2,
        _ => (v >> 2) % (PAGE_SIZE + 1),
    }
}

fn op(u: &mut Unstructured<'_>) -> Op {
    let kind: u8 = u.arbitrary().unwrap_or(0);
    match kind % 10 {
        0 => Op::MapFixed(addr(u), len(u), page_offset(u)),
        1 => Op::CopyFixed(addr(u), len(u), addr(u)),
        2 | 3 => Op::MapAlloc(addr(u), len(u)),
        4 => Op::Unmap(addr(u), len(u)),
        5 => Op::UnmapAll,
        6 => {
            let (a, b) = (addr(u), addr(u));
            Op::Reserve(a.min(b), a.max(b), u.arbitrary::<u8>().unwrap_or(0) % 4)
        }
        7 => Op::Unreserve(u.arbitrary::<u8>().unwrap_or(0) % 4),
        8 => {
            let n = u.arbitrary::<u8>().unwrap_or(0) % 3;
            Op::Allow(
                (0..n)
                    .map(|_| {
                        let (a, b) = (addr(u), addr(u));
                        (a.min(b), a.max(b))
                    })
                    .collect(),
            )
        }
        _ => match u.arbitrary::<u8>().unwrap_or(0) % 3 {
            0 => Op::Align(1),
            1 => Op::Align(PAGE_SIZE),
            _ => Op::Large(u.arbitrary().unwrap_or(true)),
        },
    }
}

fuzz_target!(|data: &[u8]| {
    let mut u = Unstructured::new(data);
    let mut ops = Vec::new();
    while !u.is_empty() && ops.len() < 200 {
        ops.push(op(&mut u));
    }
    iova_space::model::run(&ops);
});
