// SPDX-License-Identifier: GPL-2.0

//! `make bench-host`: the stage-2 page table's map and unmap, in the
//! shapes the driver receives them, under criterion so that each figure
//! comes with a confidence interval and a comparison with the previous run
//! (kept in `target/criterion`).
//!
//! iommufd calls the driver once per physically contiguous run of pinned
//! pages (`iommufd_rs_domain_map()`), and the IOMMU core passes a 256 MiB
//! run at a 1 GiB-aligned IOVA to `map_pages` in one call, as 2 MiB blocks
//! or, when IOVA and output address differ in bit 12, as 4 KiB pages. From
//! fragmented memory the same area comes as 65536 calls of one page.
//! Unmap is one call for the whole area.
//!
//! The table lives in [`FakeMemory`], whose hash maps and use checks cost
//! more than the kernel's plain stores into a page: the figures compare
//! shapes and catch regressions of the format code, they do not predict
//! the driver's cost (`make bench` measures that in the guest).

use criterion::{criterion_group, criterion_main, Criterion, SamplingMode};
use lpae::fake_memory::FakeMemory;
use lpae::{Config, PageTable, Prot};
use std::hint::black_box;
use std::time::{Duration, Instant};

const K4: u64 = 4096;
const M2: u64 = 2 << 20;
const M256: u64 = 256 << 20;
const G1: u64 = 1 << 30;

/// Where every case maps: 1 GiB-aligned, so that a 256 MiB area starts a
/// table of blocks.
const IOVA: u64 = G1;
/// The output address of `IOVA`: aligned alike, so blocks are possible.
const PA: u64 = 64 * G1;

/// The QEMU SMMUv3 the rig boots: 44-bit input and output, BBML2.
const CONFIG: Config = Config {
    ias: 44,
    oas: 44,
    live_resize: true,
    fwb: false,
};

/// What iommufd maps for a DMA buffer: read, write, cacheable.
const PROT: Prot = Prot {
    read: true,
    write: true,
    cache: true,
    mmio: false,
};

/// How one case maps its range and which mapping, if any, stays in place
/// around it.
struct Case {
    name: &'static str,
    size: u64,
    /// A mapping that outlives every iteration, so that the tables above
    /// the range stay allocated as in a busy domain; `None`: the table is
    /// empty and each map builds its path from the root.
    resident: Option<(u64, u64)>,
    map: fn(&mut PageTable<FakeMemory>, u64),
    /// The leaf size the map must produce: a case that silently got
    /// other leaves would measure something other than its name.
    leaf: u64,
}

fn map_one_call(pt: &mut PageTable<FakeMemory>, size: u64) {
    pt.map(black_box(IOVA), PA, size, PROT).unwrap();
}

/// One contiguous run whose output address is 4 KiB off the IOVA's 2 MiB
/// alignment: one call, and only pages fit.
fn map_pages_one_call(pt: &mut PageTable<FakeMemory>, size: u64) {
    pt.map(black_box(IOVA), PA + K4, size, PROT).unwrap();
}

/// One call per page, as for fragmented pinned memory. Neighbouring pages
/// get swapped output addresses so that no run is contiguous: no call
/// could have been merged, and no table becomes a block.
fn map_page_per_call(pt: &mut PageTable<FakeMemory>, size: u64) {
    for i in 0..size / K4 {
        pt.map(black_box(IOVA + i * K4), PA + (i ^ 1) * K4, K4, PROT)
            .unwrap();
    }
}

fn unmap(pt: &mut PageTable<FakeMemory>, size: u64) {
    assert_eq!(pt.unmap(black_box(IOVA), size), size);
}

fn table(case: &Case) -> PageTable<FakeMemory> {
    let mut pt = PageTable::new(FakeMemory::new(), CONFIG).unwrap();
    if let Some((iova, size)) = case.resident {
        pt.map(iova, PA + (iova - IOVA), size, PROT).unwrap();
    }
    pt
}

/// `map_unmap` times the pair with no timer in between; `map` and `unmap`
/// time one half each and do the other half untimed, since a table cannot
/// be cloned into a batch of ready states.
fn bench_case(c: &mut Criterion, case: &Case, big: bool) {
    let mut g = c.benchmark_group(format!("page_table/{}", case.name));
    if big {
        // Milliseconds per iteration: a flat sample of few iterations
        // each is what criterion advises for long routines.
        g.sampling_mode(SamplingMode::Flat)
            .sample_size(10)
            .measurement_time(Duration::from_secs(3));
    }
    let mut pt = table(case);
    let (map, size) = (case.map, case.size);
    map(&mut pt, size);
    for iova in [IOVA, IOVA + size - K4] {
        assert_eq!(pt.walk(iova).unwrap().leaf_size, case.leaf, "{}", case.name);
    }
    unmap(&mut pt, size);
    if !big {
        g.bench_function("map_unmap", |b| {
            b.iter(|| {
                map(&mut pt, size);
                unmap(&mut pt, size);
            })
        });
    }
    g.bench_function("map", |b| {
        b.iter_custom(|iters| {
            let mut t = Duration::ZERO;
            for _ in 0..iters {
                let start = Instant::now();
                map(&mut pt, size);
                t += start.elapsed();
                unmap(&mut pt, size);
            }
            t
        })
    });
    g.bench_function("unmap", |b| {
        b.iter_custom(|iters| {
            let mut t = Duration::ZERO;
            for _ in 0..iters {
                map(&mut pt, size);
                let start = Instant::now();
                unmap(&mut pt, size);
                t += start.elapsed();
            }
            t
        })
    });
    g.finish();
    // Every iteration must have left only the resident mapping behind.
    assert_eq!(
        pt.descriptor_count(),
        table(case).descriptor_count(),
        "{}",
        case.name
    );
}

fn small(c: &mut Criterion) {
    let cases = [
        Case {
            name: "4K",
            size: K4,
            resident: Some((IOVA + K4, K4)),
            map: map_one_call,
            leaf: K4,
        },
        Case {
            name: "4K_empty_table",
            size: K4,
            resident: None,
            map: map_one_call,
            leaf: K4,
        },
        Case {
            name: "2M_block",
            size: M2,
            resident: Some((IOVA + M2, M2)),
            map: map_one_call,
            leaf: M2,
        },
    ];
    for case in &cases {
        bench_case(c, case, false);
    }
}

fn big(c: &mut Criterion) {
    // The resident page shares the 256 MiB range's 1 GiB table but none of
    // its page tables, which every iteration builds and frees.
    let resident = Some((IOVA + 2 * M256, K4));
    let cases = [
        Case {
            name: "256M_2M_blocks",
            size: M256,
            resident,
            map: map_one_call,
            leaf: M2,
        },
        Case {
            name: "256M_4K_pages_one_call",
            size: M256,
            resident,
            map: map_pages_one_call,
            leaf: K4,
        },
        Case {
            name: "256M_4K_page_per_call",
            size: M256,
            resident,
            map: map_page_per_call,
            leaf: K4,
        },
    ];
    for case in &cases {
        bench_case(c, case, true);
    }
}

fn config() -> Criterion {
    // Sized so that all of `make bench-host` stays within a few minutes
    // on two cores.
    Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(2))
        .sample_size(50)
        .without_plots()
}

criterion_group! {
    name = benches;
    config = config();
    targets = small, big
}
criterion_main!(benches);
