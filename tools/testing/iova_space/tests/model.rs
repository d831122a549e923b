// SPDX-License-Identifier: GPL-2.0

//! Random operation sequences against the naive model of
//! `iova_space::model`, comparing every answer and the full state after each
//! step. The seed is fixed (override with PROPTEST_RNG_SEED) so a run is
//! reproducible; failures are also saved to model.proptest-regressions.

use iova_space::{
    model::{run, Op},
    PAGE_SIZE,
};
use proptest::prelude::*;
use proptest::test_runner::RngSeed;

/// Addresses concentrated in a small window so operations collide, with
/// occasional extremes to exercise overflow paths.
fn addr() -> impl Strategy<Value = u64> {
    prop_oneof![
        8 => (0u64..24).prop_map(|p| p * PAGE_SIZE),
        2 => (0u64..24).prop_map(|p| p * PAGE_SIZE - 1),
        2 => 0..24 * PAGE_SIZE,
        1 => Just(u64::MAX - PAGE_SIZE + 1),
        1 => (0u64..4).prop_map(|k| u64::MAX - k),
    ]
}

fn len() -> impl Strategy<Value = u64> {
    prop_oneof![
        8 => (1u64..8).prop_map(|p| p * PAGE_SIZE),
        2 => 1u64..4,
        2 => 1u64..(8 * PAGE_SIZE),
        1 => Just(0u64),
        1 => Just(u64::MAX),
    ]
}

/// A backing's page offset: mostly 0, often half a page, sometimes any
/// byte, rarely not a page offset at all.
fn page_offset() -> impl Strategy<Value = u64> {
    prop_oneof![
        6 => Just(0u64),
        2 => Just(PAGE_SIZE / 2),
        1 => 0..PAGE_SIZE,
        1 => Just(PAGE_SIZE),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (addr(), len(), page_offset()).prop_map(|(a, l, o)| Op::MapFixed(a, l, o)),
        3 => (addr(), len(), addr()).prop_map(|(s, l, d)| Op::CopyFixed(s, l, d)),
        6 => (addr(), len()).prop_map(|(a, l)| Op::MapAlloc(a, l)),
        4 => (addr(), len()).prop_map(|(a, l)| Op::Unmap(a, l)),
        1 => Just(Op::UnmapAll),
        3 => (addr(), addr(), 0u8..4).prop_map(|(a, b, o)| Op::Reserve(a.min(b), a.max(b), o)),
        2 => (0u8..4).prop_map(Op::Unreserve),
        1 => prop::collection::vec((addr(), addr()), 0..3)
            .prop_map(|v| Op::Allow(v.into_iter().map(|(a, b)| (a.min(b), a.max(b))).collect())),
        1 => prop_oneof![Just(1u64), Just(PAGE_SIZE)].prop_map(Op::Align),
        1 => any::<bool>().prop_map(Op::Large),
    ]
}

fn seed() -> u64 {
    std::env::var("PROPTEST_RNG_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x10a5_5eed)
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 4000,
        rng_seed: RngSeed::Fixed(seed()),
        ..ProptestConfig::default()
    })]
    #[test]
    fn matches_model(ops in prop::collection::vec(op(), 1..60)) {
        run(&ops);
    }
}
