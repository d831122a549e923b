// SPDX-License-Identifier: GPL-2.0

//! The page table against the model: random maps and unmaps of 4 KiB to
//! 1 GiB ranges at random alignments, checking after every step that each
//! walk answers what the model says (address, attributes and leaf size),
//! that the table holds what each map call mapped in the fewest
//! descriptors possible and merges nothing across calls, that every table
//! page it holds is reachable, and at the end that unmapping everything
//! leaves only the root. Unmapping exactly what one map call mapped must
//! never allocate.

use lpae::fake_memory::FakeMemory;
use lpae::model::Model;
use lpae::{Config, Entry, MapError, PageTable, Prot, TableMemory};
use proptest::prelude::*;
use proptest::test_runner::{Config as PtConfig, RngAlgorithm, TestRng, TestRunner};

const K4: u64 = 4096;
const M2: u64 = 2 << 20;
const G1: u64 = 1 << 30;

#[derive(Debug, Clone)]
enum Op {
    Map {
        iova: u64,
        pa: u64,
        size: u64,
        prot: Prot,
    },
    Unmap {
        iova: u64,
        size: u64,
    },
    /// Map one range as several pieces with contiguous output addresses,
    /// last piece first: the table must not merge them into blocks (a
    /// leaf never holds what two calls mapped).
    MapPieces {
        iova: u64,
        pa: u64,
        size: u64,
        pieces: u64,
        prot: Prot,
    },
    /// Fail the allocation after `n` more, then map.
    MapNoMem {
        iova: u64,
        pa: u64,
        size: u64,
        n: usize,
    },
    /// Unmap exactly what one earlier map call still intact mapped (the
    /// `pick`-th, modulo their number) with every allocation failing: the
    /// front end's unmap, which must complete.
    UnmapOneCall {
        pick: usize,
    },
}

fn prot() -> impl Strategy<Value = Prot> {
    (
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
        prop::bool::weighted(0.1),
    )
        .prop_map(|(read, write, cache, mmio)| Prot {
            read,
            write,
            cache: cache && !mmio,
            mmio,
        })
}

/// Sizes from 4 KiB to a bit over 1 GiB, biased to block sizes and their
/// neighbours.
fn size() -> impl Strategy<Value = u64> {
    prop_oneof![
        (1u64..16).prop_map(|k| k * K4),
        (1u64..4, -3i64..4).prop_map(|(k, d)| (k * M2).wrapping_add_signed(d * K4 as i64)),
        (0i64..3).prop_map(|d| G1 + d as u64 * M2),
        (0u64..512).prop_map(|k| M2 * k.max(1)),
    ]
}

/// IOVAs within 8 GiB of `base`, aligned to 4 KiB, 2 MiB or 1 GiB.
fn iova(base: u64) -> impl Strategy<Value = u64> {
    (
        0u64..(8 * G1 / K4),
        prop_oneof![Just(K4), Just(M2), Just(G1)],
    )
        .prop_map(move |(p, align)| base + (p * K4) / align * align)
}

/// An output address that shares the IOVA's alignment up to a random
/// block size, so blocks are possible but not always.
fn pa_for(iova: u64) -> impl Strategy<Value = u64> {
    (1u64..256, prop_oneof![Just(K4), Just(M2), Just(G1)])
        .prop_map(move |(g, align)| g * G1 + (iova % align))
}

fn op(base: u64) -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (iova(base), size(), prot())
            .prop_flat_map(|(iova, size, prot)| (Just(iova), pa_for(iova), Just(size), Just(prot)))
            .prop_map(|(iova, pa, size, prot)| Op::Map { iova, pa, size, prot }),
        3 => (iova(base), size()).prop_map(|(iova, size)| Op::Unmap { iova, size }),
        2 => (iova(base), prop_oneof![Just(M2), Just(G1), Just(2 * M2)], 2u64..6, prot())
            .prop_flat_map(|(iova, size, pieces, prot)| {
                (Just(iova), pa_for(iova), Just(size), Just(pieces), Just(prot))
            })
            .prop_map(|(iova, pa, size, pieces, prot)| Op::MapPieces { iova, pa, size, pieces, prot }),
        1 => (iova(base), size(), 0usize..4)
            .prop_flat_map(|(iova, size, n)| (Just(iova), pa_for(iova), Just(size), Just(n)))
            .prop_map(|(iova, pa, size, n)| Op::MapNoMem { iova, pa, size, n }),
        3 => any::<usize>().prop_map(|pick| Op::UnmapOneCall { pick }),
    ]
}

/// Input sizes and where in them the test works (bottom or top).
fn geometry() -> impl Strategy<Value = (u32, u64)> {
    prop_oneof![Just(34u32), Just(39), Just(40), Just(44), Just(48)].prop_flat_map(|ias| {
        let top = (1u64 << ias) - 8 * G1 - 2 * G1;
        (Just(ias), prop_oneof![Just(0u64), Just(top)])
    })
}

/// Table pages reachable from `table` at `level`, itself included.
fn reachable_tables(pt: &PageTable<FakeMemory>, table: u64, level: u32) -> usize {
    1 + (0..512)
        .filter_map(|i| match Entry::decode(pt.memory().read(table, i), level) {
            Entry::Table(child) => Some(reachable_tables(pt, child, level + 1)),
            _ => None,
        })
        .sum::<usize>()
}

fn check(pt: &PageTable<FakeMemory>, model: &Model, probes: &[u64]) {
    let sl = pt.start_level();
    for &p in probes {
        let got = pt.walk(p).map(|t| (t.pa, t.prot, t.leaf_size));
        let want = model
            .lookup(p)
            .map(|(pa, prot)| (pa, prot, model.leaf_size_by_call(p, sl).unwrap()));
        match (got, want) {
            (Some(g), Some(w)) => assert_eq!(g, w, "walk of {p:#x}"),
            (g, w) => assert_eq!(g.is_some(), w.is_some(), "walk of {p:#x}: {g:?} vs {w:?}"),
        }
    }
    // Every leaf, enumerated in IOVA order (what IOMMU_TEST_IOAS_CHECK
    // walks): none overlaps the next, each is what the walk of its first
    // IOVA and the model say, and together they cover what the model maps.
    let mut leaves = Vec::new();
    pt.for_each_leaf(&mut |iova, t| {
        leaves.push((iova, t));
        Ok::<(), ()>(())
    })
    .unwrap();
    let mut next = 0;
    for &(iova, t) in &leaves {
        assert!(iova >= next, "leaf {iova:#x} out of order or overlapping");
        assert_eq!(iova % t.leaf_size, 0, "leaf {iova:#x} misaligned");
        assert_eq!(pt.walk(iova), Some(t), "leaf {iova:#x} vs its walk");
        assert_eq!(
            model.lookup(iova),
            Some((t.pa, t.prot)),
            "leaf {iova:#x} vs the model"
        );
        next = iova + t.leaf_size;
    }
    let covered: u64 = leaves.iter().map(|(_, t)| t.leaf_size).sum();
    let mapped: u64 = model.runs.values().map(|r| r.size).sum();
    assert_eq!(covered, mapped, "bytes the leaves cover vs the model");
    // The table's own minimum (what the driver reports to `make bench`)
    // agrees with the model's, whatever shape the table has.
    let min = model.min_descriptors(sl);
    assert_eq!(pt.min_descriptor_count(), min, "the table's own minimum");
    let count = pt.descriptor_count();
    assert!(count >= min);
    assert_eq!(
        count,
        model.min_descriptors_by_call(sl),
        "descriptor count vs the minimum for what each call mapped"
    );
    // Every table page is reachable: none leaked (retired ones are freed
    // by the end of each operation).
    assert_eq!(
        pt.memory().live_tables(),
        reachable_tables(pt, pt.root(), sl),
        "table pages leaked"
    );
}

/// Forgets the map calls that `[iova, iova + size)` touches: they are no
/// longer what one call mapped.
fn touch(calls: &mut Vec<(u64, u64)>, iova: u64, size: u64) {
    calls.retain(|&(s, len)| s + len <= iova || iova + size <= s);
}

/// Probe points: the edges of every run and of every op so far.
fn probes(model: &Model, extra: &[u64]) -> Vec<u64> {
    let mut v: Vec<u64> = extra.to_vec();
    for (&s, r) in &model.runs {
        let e = s + r.size;
        v.extend([s, s + K4 / 2, e - K4, e, s.wrapping_sub(K4), s + r.size / 2]);
        v.extend(
            [(s + M2) & !(M2 - 1), (s + G1) & !(G1 - 1)]
                .into_iter()
                .filter(|&x| x < e),
        );
    }
    v
}

/// Maps on the table and the model; both must answer alike (the model
/// has no input-size limit, so `Range` is expected beyond it). Whether
/// the map succeeded.
fn map_both(
    pt: &mut PageTable<FakeMemory>,
    model: &mut Model,
    iova: u64,
    pa: u64,
    size: u64,
    prot: Prot,
) -> bool {
    let got = pt.map(iova, pa, size, prot);
    let want = if iova + size > 1 << pt.config().ias {
        Err(MapError::Range)
    } else {
        model.map(iova, pa, size, prot)
    };
    assert_eq!(got, want, "map {iova:#x}+{size:#x} -> {pa:#x}");
    got.is_ok()
}

fn run_sequence(ias: u32, ops: &[Op], live_resize: bool) {
    let config = Config {
        ias,
        oas: 48,
        live_resize,
        // Both encodings across the two runs: merging must see through FWB.
        fwb: live_resize,
    };
    let mut pt = PageTable::new(FakeMemory::new(), config).expect("root");
    let mut model = Model::default();
    let mut edges = Vec::new();
    // What each map call still intact mapped.
    let mut calls: Vec<(u64, u64)> = Vec::new();
    for op in ops {
        match *op {
            Op::Map {
                iova,
                pa,
                size,
                prot,
            } => {
                if map_both(&mut pt, &mut model, iova, pa, size, prot) {
                    calls.push((iova, size));
                }
                edges.extend([iova, iova + size - K4]);
            }
            Op::Unmap { iova, size } => {
                touch(&mut calls, iova, size);
                let got = pt.unmap(iova, size);
                let want = if iova + size > 1 << ias {
                    0
                } else {
                    model.unmap(iova, size)
                };
                assert_eq!(got, want, "unmap {iova:#x}+{size:#x}");
                edges.extend([iova, iova + size]);
            }
            Op::MapPieces {
                iova,
                pa,
                size,
                pieces,
                prot,
            } => {
                // Cut points at 4 KiB multiples, mapped from the last piece.
                let step = (size / pieces) & !(K4 - 1);
                for i in (0..pieces).rev() {
                    let off = i * step;
                    let len = if i == pieces - 1 { size - off } else { step };
                    if map_both(&mut pt, &mut model, iova + off, pa + off, len, prot) {
                        calls.push((iova + off, len));
                    }
                }
                edges.extend([iova, iova + size - K4]);
            }
            Op::MapNoMem { iova, pa, size, n } => {
                let prot = Prot {
                    read: true,
                    ..Prot::default()
                };
                let before = pt.memory().live_tables();
                let count = pt.descriptor_count();
                pt.memory_mut().allocs_left = Some(n);
                let got = pt.map(iova, pa, size, prot);
                pt.memory_mut().allocs_left = None;
                match got {
                    Ok(()) => {
                        model.map(iova, pa, size, prot).unwrap();
                        calls.push((iova, size));
                    }
                    Err(_) => {
                        // Nothing changed: same descriptors, same pages.
                        assert_eq!(pt.descriptor_count(), count);
                        assert_eq!(pt.memory().live_tables(), before);
                    }
                }
            }
            Op::UnmapOneCall { pick } => {
                if !calls.is_empty() {
                    let (iova, size) = calls.remove(pick % calls.len());
                    let allocated = pt.memory().allocated;
                    pt.memory_mut().allocs_left = Some(0);
                    let got = pt.unmap(iova, size);
                    pt.memory_mut().allocs_left = None;
                    assert_eq!(got, size, "unmap of one call's {iova:#x}+{size:#x}");
                    assert_eq!(pt.memory().allocated, allocated, "the unmap allocated");
                    assert_eq!(model.unmap(iova, size), size);
                    edges.extend([iova, iova + size]);
                }
            }
        }
        check(&pt, &model, &probes(&model, &edges));
    }
    // Unmap everything, run by run: only the root is left.
    let runs: Vec<(u64, u64)> = model.runs.iter().map(|(&s, r)| (s, r.size)).collect();
    for (s, size) in runs {
        assert_eq!(pt.unmap(s, size), size);
    }
    assert_eq!(pt.descriptor_count(), 0);
    assert_eq!(pt.memory().live_tables(), 1, "table pages leaked");
}

fn runner(cases: u32) -> TestRunner {
    let seed: u64 = std::env::var("PROPTEST_RNG_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x5752_6f0a);
    let mut bytes = [0u8; 32];
    bytes[..8].copy_from_slice(&seed.to_le_bytes());
    let config = PtConfig {
        cases,
        failure_persistence: None,
        ..PtConfig::default()
    };
    TestRunner::new_with_rng(config, TestRng::from_seed(RngAlgorithm::ChaCha, &bytes))
}

/// `cases` random sequences of up to 40 operations, each on a fresh table.
fn run_cases(cases: u32, live_resize: bool) {
    let strategy =
        geometry().prop_flat_map(|(ias, base)| (Just(ias), prop::collection::vec(op(base), 1..40)));
    runner(cases)
        .run(&strategy, |(ias, ops)| {
            run_sequence(ias, &ops, live_resize);
            Ok(())
        })
        .unwrap();
}

#[test]
fn matches_model_and_is_minimal_with_live_resize() {
    run_cases(300, true);
}

#[test]
fn matches_model_with_break_before_make() {
    run_cases(100, false);
}
