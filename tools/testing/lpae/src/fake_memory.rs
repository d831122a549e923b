// SPDX-License-Identifier: GPL-2.0

//! Table memory for host tests: a map from fake physical addresses to
//! table pages, which panics on any use the kernel would turn into memory
//! corruption (a freed or never-allocated table, a retired table touched
//! again, retired tables freed without an invalidation).

use crate::TableMemory;
use std::collections::{HashMap, HashSet};

/// Fake table pages and a log of invalidations.
#[derive(Default)]
pub struct FakeMemory {
    tables: HashMap<u64, Box<[u64; 512]>>,
    retired: HashSet<u64>,
    next_pa: u64,
    invalidated_since_retire: bool,
    /// Allocations left before `alloc_table` starts failing (`None`:
    /// never fails).
    pub allocs_left: Option<usize>,
    /// Number of `invalidate` calls.
    pub invalidations: u64,
    /// Number of table pages ever allocated.
    pub allocated: u64,
    /// Tables allocated or written since the last `order_before_link`: a
    /// link to one of them would let the walker see it before its
    /// contents.
    unordered: HashSet<u64>,
}

impl FakeMemory {
    /// Empty memory whose allocations never fail.
    pub fn new() -> Self {
        Self {
            // High, so that no output address of the tests names a table.
            next_pa: 0xf000_0000_0000,
            ..Self::default()
        }
    }

    /// Table pages allocated and not yet freed (retired ones included).
    pub fn live_tables(&self) -> usize {
        self.tables.len()
    }

    fn table(&self, table: u64) -> &[u64; 512] {
        assert!(
            !self.retired.contains(&table),
            "access to retired table {table:#x}"
        );
        self.tables
            .get(&table)
            .unwrap_or_else(|| panic!("access to unknown table {table:#x}"))
    }
}

impl TableMemory for FakeMemory {
    fn alloc_table(&mut self) -> Option<u64> {
        if let Some(left) = self.allocs_left.as_mut() {
            if *left == 0 {
                return None;
            }
            *left -= 1;
        }
        // Addresses are never reused, so a stale one is always caught.
        let pa = self.next_pa;
        self.next_pa += 4096;
        self.tables.insert(pa, Box::new([0; 512]));
        self.unordered.insert(pa);
        self.allocated += 1;
        Some(pa)
    }

    fn read(&self, table: u64, index: usize) -> u64 {
        self.table(table)[index]
    }

    fn write(&mut self, table: u64, index: usize, value: u64) {
        self.table(table);
        // A table descriptor (0b11) naming one of our tables links it.
        let target = value & 0x0000_ffff_ffff_f000;
        if value & 3 == 3 && self.tables.contains_key(&target) {
            assert!(
                !self.unordered.contains(&target),
                "table {target:#x} linked before its contents were ordered"
            );
        }
        self.tables.get_mut(&table).expect("checked")[index] = value;
        self.unordered.insert(table);
    }

    fn free_table(&mut self, table: u64) {
        self.table(table);
        self.tables.remove(&table);
    }

    fn retire_table(&mut self, table: u64) {
        self.table(table);
        self.retired.insert(table);
        self.invalidated_since_retire = false;
    }

    fn invalidate(&mut self, _iova: u64, size: u64) {
        assert!(size != 0, "empty invalidation");
        self.invalidations += 1;
        self.invalidated_since_retire = true;
    }

    fn free_retired(&mut self) {
        if self.retired.is_empty() {
            return;
        }
        assert!(
            self.invalidated_since_retire,
            "retired tables freed before an invalidation"
        );
        for t in self.retired.drain() {
            self.tables.remove(&t);
        }
    }

    fn order_before_link(&mut self) {
        self.unordered.clear();
    }
}
