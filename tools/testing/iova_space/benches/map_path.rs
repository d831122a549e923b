// SPDX-License-Identifier: GPL-2.0

//! `make bench-host`: the IOAS core's share of IOMMU_IOAS_MAP and
//! IOMMU_IOAS_UNMAP, with 1k, 10k and 100k areas present, under criterion
//! so that each figure comes with a confidence interval and a comparison
//! with the previous run (kept in `target/criterion`).
//!
//! MAP runs the allocator (or the fixed-IOVA checks) twice: once in
//! `probe` before pinning, once in `map` under the lock, which then inserts
//! the area into two trees (the areas, and the blocked segments the
//! allocator searches). UNMAP looks up the areas at both ends of the range
//! and removes them from both trees. Each of those steps is measured
//! alone, so a regression points at one of them.
//!
//! Layout, as in `alloc.rs`: 2n areas of 8 KiB, every other one then
//! unmapped, so the space below the last area is n areas and n 8 KiB
//! holes. An 8 KiB request fits the first hole, a 16 KiB one only past the
//! last area.

use criterion::measurement::WallTime;
use criterion::{criterion_group, criterion_main, BenchmarkGroup, BenchmarkId, Criterion};
use iova_space::avl::Tree;
use iova_space::space::Area;
use iova_space::{HostAlloc, IovaSpace, Placement, Prot, PAGE_SIZE};
use std::hint::black_box;
use std::time::Duration;

type Space = IovaSpace<u8, u32, HostAlloc>;

const RW: Prot = Prot {
    read: true,
    write: true,
};
const AREA_LEN: u64 = 2 * PAGE_SIZE;
const SIZES: [u64; 3] = [1_000, 10_000, 100_000];
/// How many distinct positions the tree benchmarks cycle through: enough
/// that a 100k-area tree cannot keep every visited path in the caches.
const POSITIONS: usize = 4096;

/// The space with `n` areas and `n` holes, the areas' IOVAs and the holes'.
fn setup(n: u64) -> (Space, Vec<u64>, Vec<u64>) {
    let mut s = Space::new();
    let mut iovas = Vec::with_capacity(2 * n as usize);
    for i in 0..2 * n {
        let iova = s
            .map(Placement::Alloc { user_addr: 0 }, AREA_LEN, 0, RW, i as u32)
            .unwrap();
        iovas.push(iova);
    }
    let (mut areas, mut holes) = (Vec::new(), Vec::new());
    for (i, &iova) in iovas.iter().enumerate() {
        if i % 2 == 0 {
            s.unmap(iova, AREA_LEN, &mut |_| {}).unwrap();
            holes.push(iova);
        } else {
            areas.push(iova);
        }
    }
    assert_eq!(s.area_count() as u64, n);
    (s, areas, holes)
}

/// `POSITIONS` entries of `from` in a fixed pseudo-random order: the same
/// on every run, so runs compare, and without locality, so that the
/// figures are those of a tree walked from cold paths, not of one path
/// that stays in L1.
fn scattered(from: &[u64]) -> Vec<u64> {
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    (0..POSITIONS)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            from[(x % from.len() as u64) as usize]
        })
        .collect()
}

/// Automatic IOVA allocation: `probe` is the search alone (MAP's check
/// before pinning), `map_unmap` the search with the insert and removal of
/// the area. The allocator always answers the lowest fit, so every
/// iteration takes the same path: no scattering here.
///
/// In the layout both requests are answered without a descent (8 KiB by
/// the hole before the first area, 16 KiB past the last one, every gap of
/// the tree being too short), so `16K_mid` opens one 16 KiB hole half-way
/// up: the search must walk down to it, which is the O(log n) case.
fn iova_alloc(c: &mut Criterion) {
    let mut g = c.benchmark_group("iova_alloc");
    for n in SIZES {
        let (mut s, areas, _) = setup(n);
        let (mut mid, _, _) = setup(n);
        let middle = areas[areas.len() / 2];
        mid.unmap(middle, AREA_LEN, &mut |_| {}).unwrap();
        let place = Placement::Alloc { user_addr: 0 };
        assert_eq!(mid.probe(place, 2 * AREA_LEN, 0), Ok(middle));
        alloc_case(&mut g, "8K", n, &mut s, AREA_LEN);
        alloc_case(&mut g, "16K", n, &mut s, 2 * AREA_LEN);
        alloc_case(&mut g, "16K_mid", n, &mut mid, 2 * AREA_LEN);
        assert!(s.check() && mid.check());
    }
    g.finish();
}

fn alloc_case(g: &mut BenchmarkGroup<'_, WallTime>, name: &str, n: u64, s: &mut Space, len: u64) {
    let place = Placement::Alloc { user_addr: 0 };
    g.bench_function(BenchmarkId::new(format!("probe_{name}"), n), |b| {
        b.iter(|| s.probe(black_box(place), len, 0).unwrap())
    });
    g.bench_function(BenchmarkId::new(format!("map_unmap_{name}"), n), |b| {
        b.iter(|| {
            let iova = s.map(black_box(place), len, 0, RW, 0).unwrap();
            s.unmap(black_box(iova), len, &mut |_| {}).unwrap()
        })
    });
}

/// The area trees at scattered IOVAs: a fixed-IOVA map and unmap of one
/// area in a hole (the checks, both trees' insert and removal), the same
/// insert and removal in a bare AVL tree of areas (what the arena tree
/// itself costs, without the blocked tree and the checks), and the two
/// lookups of the map path: MAP's fixed-IOVA check (`probe`: reserved
/// ranges, then any area intersecting the range) and UNMAP's area at an
/// IOVA.
fn area_tree(c: &mut Criterion) {
    let mut g = c.benchmark_group("area_tree");
    for n in SIZES {
        let (mut s, areas, holes) = setup(n);
        let holes = scattered(&holes);
        // Inside each area, not at its start: UNMAP's second lookup is of
        // its range's last byte, which ends the search off a key.
        let inside: Vec<u64> = scattered(&areas).iter().map(|a| a + PAGE_SIZE).collect();
        let mut bare = Tree::<Area<u32>, HostAlloc>::new();
        for a in s.areas() {
            bare.insert(a.clone()).unwrap();
        }

        let mut i = 0;
        g.bench_function(BenchmarkId::new("fixed_map_unmap", n), |b| {
            b.iter(|| {
                let iova = holes[i % POSITIONS];
                i += 1;
                s.map(Placement::Fixed(iova), AREA_LEN, 0, RW, 0).unwrap();
                s.unmap(black_box(iova), AREA_LEN, &mut |_| {}).unwrap()
            })
        });
        g.bench_function(BenchmarkId::new("avl_insert_remove", n), |b| {
            b.iter(|| {
                let start = holes[i % POSITIONS];
                i += 1;
                bare.insert(Area {
                    start,
                    last: start + AREA_LEN - 1,
                    page_offset: 0,
                    prot: RW,
                    data: 0,
                })
                .unwrap();
                bare.remove(black_box(start)).unwrap()
            })
        });
        g.bench_function(BenchmarkId::new("probe_fixed", n), |b| {
            b.iter(|| {
                let iova = holes[i % POSITIONS];
                i += 1;
                s.probe(Placement::Fixed(black_box(iova)), AREA_LEN, 0)
                    .unwrap()
            })
        });
        g.bench_function(BenchmarkId::new("area_at", n), |b| {
            b.iter(|| {
                let iova = inside[i % POSITIONS];
                i += 1;
                s.area_at(black_box(iova)).unwrap().start
            })
        });
        assert!(s.check() && bare.check());
    }
    g.finish();
}

fn config() -> Criterion {
    // Sized so that all of `make bench-host` stays within a few minutes
    // on two cores: every figure here is well under a microsecond, so two
    // seconds give millions of iterations.
    Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(2))
        .sample_size(50)
        .without_plots()
}

criterion_group! {
    name = benches;
    config = config();
    targets = iova_alloc, area_tree
}
criterion_main!(benches);
