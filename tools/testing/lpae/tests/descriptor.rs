// SPDX-License-Identifier: GPL-2.0

//! Exact descriptor bits, checked against the Arm ARM's stage-2 layout, and
//! the root level for each input size.

use lpae::fake_memory::FakeMemory;
use lpae::{Config, Entry, PageTable, Prot};

const RW_CACHE: Prot = Prot {
    read: true,
    write: true,
    cache: true,
    mmio: false,
};

#[test]
fn leaf_and_table_bits() {
    // Page: valid|page (0b11), MemAttr 0b1111 (bits 5:2), S2AP RW (7:6),
    // SH inner (9:8), AF (10), XN 0b10 (54:53).
    let page = Entry::Leaf {
        pa: 0x1234_5000,
        prot: RW_CACHE,
    }
    .encode(3);
    assert_eq!(page, 0x1234_5000 | 0x7ff | 1 << 54);
    // The same at level 2 is a block: bit 1 clear.
    let block = Entry::Leaf {
        pa: 0x4000_0000,
        prot: RW_CACHE,
    }
    .encode(2);
    assert_eq!(block, 0x4000_0000 | 0x7fd | 1 << 54);
    // Doorbell: Device-nGnRE (0b0001), write only.
    let db = Prot {
        write: true,
        mmio: true,
        ..Prot::default()
    };
    assert_eq!(
        Entry::Leaf {
            pa: 0x0809_0000,
            prot: db
        }
        .encode(3),
        0x0809_0000 | 0x787 | 1 << 54
    );
    // Table: address | 0b11.
    assert_eq!(Entry::Table(0x8000_1000).encode(1), 0x8000_1003);
    for (raw, level) in [(page, 3), (block, 2), (0x8000_1003, 1)] {
        assert_eq!(Entry::decode(raw, level).encode(level), raw);
    }
    // A block encoding at level 0 or a level-3 entry with bit 1 clear fault.
    assert_eq!(Entry::decode(0x4000_0001, 0), Entry::Invalid);
    assert_eq!(Entry::decode(0x4000_0001, 3), Entry::Invalid);
}

#[test]
fn fwb_leaves_force_write_back() {
    let leaf = |prot| Entry::Leaf {
        pa: 0x1234_5000,
        prot,
    };
    let memattr = |raw: u64| (raw >> 2) & 0xf;
    // With S2FWB a cacheable leaf is MemAttr 0b0110 (force write-back),
    // where without it is 0b1111 (stage 1 may override).
    let fwb = leaf(RW_CACHE).encode_for(3, true);
    assert_eq!(memattr(fwb), 0x6);
    assert_eq!(memattr(leaf(RW_CACHE).encode_for(3, false)), 0xf);
    assert_eq!(
        fwb & !0x3c,
        leaf(RW_CACHE).encode(3) & !0x3c,
        "nothing else changes"
    );
    // It still decodes as cacheable: walks and the minimum see through it.
    assert_eq!(Entry::decode(fwb, 3), leaf(RW_CACHE));
    // Device and non-cacheable encodings are the same either way.
    let db = Prot {
        write: true,
        mmio: true,
        ..Prot::default()
    };
    let nc = Prot {
        cache: false,
        ..RW_CACHE
    };
    for p in [db, nc] {
        assert_eq!(leaf(p).encode_for(3, true), leaf(p).encode(3));
    }
}

#[test]
fn root_level_by_input_size() {
    for (ias, level) in [
        (48, 0),
        (40, 0),
        (39, 1),
        (34, 1),
        (31, 1),
        (30, 2),
        (25, 2),
    ] {
        assert_eq!(
            PageTable::<FakeMemory>::start_level_for(ias),
            level,
            "ias {ias}"
        );
    }
}

#[test]
fn rejects_bad_ranges_and_overlaps() {
    let config = Config {
        ias: 40,
        oas: 44,
        live_resize: true,
        fwb: false,
    };
    let mut pt = PageTable::new(FakeMemory::new(), config).unwrap();
    use lpae::MapError::*;
    assert_eq!(pt.map(0x1000, 0x1000, 0, RW_CACHE), Err(Range));
    assert_eq!(pt.map(0x1800, 0x1000, 0x1000, RW_CACHE), Err(Range));
    assert_eq!(pt.map((1 << 40) - 0x1000, 0, 0x2000, RW_CACHE), Err(Range));
    assert_eq!(pt.map(0, (1 << 44) - 0x1000, 0x2000, RW_CACHE), Err(Range));
    assert_eq!(pt.map(0x20_0000, 0x4000_0000, 0x20_0000, RW_CACHE), Ok(()));
    assert_eq!(pt.walk(0x20_1234).unwrap().leaf_size, 0x20_0000);
    assert_eq!(pt.map(0x3f_f000, 0x1000, 0x2000, RW_CACHE), Err(Exists));
    assert_eq!(pt.walk(0x40_0000), None);
    assert_eq!(
        pt.unmap(0x1f_f000, 0x2000),
        0,
        "a hole first unmaps nothing"
    );
    assert_eq!(pt.unmap(0x20_0000, 0x1000), 0x1000, "split");
    assert_eq!(pt.walk(0x20_1000).unwrap().leaf_size, 0x1000);
    assert_eq!(pt.walk(0x20_0000), None);
    assert_eq!(pt.map(0x20_0000, 0x4000_0000, 0x1000, RW_CACHE), Ok(()));
    assert_eq!(
        pt.walk(0x20_1000).unwrap().leaf_size,
        0x1000,
        "not merged back: the 4 KiB is another call's"
    );
    assert_eq!(
        pt.descriptor_count(),
        3 + 512,
        "L0, L1 and L2 table descriptors + 512 pages"
    );
    // Unmapping exactly what that call mapped needs no memory.
    pt.memory_mut().allocs_left = Some(0);
    assert_eq!(pt.unmap(0x20_0000, 0x1000), 0x1000);
    assert_eq!(pt.walk(0x20_0000), None);
    drop(pt);
}

#[test]
fn one_table_page_per_level_walked() {
    let config = Config {
        ias: 48,
        oas: 48,
        live_resize: false,
        fwb: false,
    };
    let mut pt = PageTable::new(FakeMemory::new(), config).unwrap();
    pt.map(0x1000, 0x1000, 0x5000, RW_CACHE).unwrap();
    pt.map(1 << 40, 0x4000_0000, 1 << 30, RW_CACHE).unwrap();
    assert_eq!(pt.memory().live_tables(), 5);
}

/// The front end's F3 case: one 2 MiB physically contiguous buffer mapped
/// as two adjacent 1 MiB areas at a 2 MiB-aligned IOVA (two map calls),
/// then the first area unmapped while every allocation fails. No block
/// holds both calls' pages, so the unmap clears whole leaves and unmaps
/// all of the first area.
#[test]
fn unmap_of_one_call_needs_no_memory() {
    let config = Config {
        ias: 40,
        oas: 44,
        live_resize: true,
        fwb: false,
    };
    let mut pt = PageTable::new(FakeMemory::new(), config).unwrap();
    let (iova, pa, half) = (0x4020_0000, 0x8000_0000, 0x10_0000);
    assert_eq!(pt.map(iova, pa, half, RW_CACHE), Ok(()));
    assert_eq!(pt.map(iova + half, pa + half, half, RW_CACHE), Ok(()));
    assert_eq!(pt.walk(iova).unwrap().leaf_size, 0x1000);
    let allocated = pt.memory().allocated;
    pt.memory_mut().allocs_left = Some(0);
    assert_eq!(pt.unmap(iova, half), half, "the whole first area");
    assert_eq!(pt.memory().allocated, allocated);
    assert_eq!(pt.walk(iova), None);
    assert_eq!(pt.walk(iova + half - 0x1000), None);
    assert_eq!(pt.walk(iova + half).unwrap().pa, pa + half);
    assert_eq!(pt.unmap(iova + half, half), half);
    assert_eq!(pt.descriptor_count(), 0);
    assert_eq!(pt.memory().live_tables(), 1, "table pages leaked");
}
