// SPDX-License-Identifier: GPL-2.0

//! One test per documented errno of the IOAS core, each checking the state
//! after the failure is unchanged.

use iova_space::{
    sw_msi::{self, ResvRegion, ResvType, Window, MIB},
    Errno, HostAlloc, IovaSpace, Part, Placement, Prot, PAGE_SIZE,
};

type Space = IovaSpace<u8, u32, HostAlloc>;
const RW: Prot = Prot {
    read: true,
    write: true,
};
const P: u64 = PAGE_SIZE;

type AreaRow = (u64, u64, u64, u32);

fn snapshot(s: &Space) -> (Vec<AreaRow>, Vec<(u64, u64, u8)>, Vec<(u64, u64)>) {
    (
        s.areas()
            .map(|a| (a.start, a.last, a.page_offset, a.data))
            .collect(),
        s.reserved().collect(),
        s.allowed().collect(),
    )
}

fn space() -> Space {
    let mut s = Space::new();
    s.set_iova_alignment(P, &mut || {}).unwrap();
    s.map(Placement::Fixed(0x10000), 4 * P, 0, RW, 1).unwrap();
    s.reserve(0x100000, 0x1fffff, 7).unwrap();
    s
}

/// Runs `f` on a fresh space, expects `want`, and checks nothing changed.
fn fails_cleanly(want: Errno, f: impl FnOnce(&mut Space) -> Result<(), Errno>) {
    let mut s = space();
    let before = snapshot(&s);
    assert_eq!(f(&mut s), Err(want));
    assert_eq!(snapshot(&s), before);
    assert!(s.check());
}

fn fixed(s: &mut Space, iova: u64, len: u64) -> Result<(), Errno> {
    s.map(Placement::Fixed(iova), len, 0, RW, 99).map(|_| ())
}

#[test]
fn map_fixed_misaligned_is_einval() {
    fails_cleanly(Errno::Inval, |s| fixed(s, 0x20001, P));
    fails_cleanly(Errno::Inval, |s| fixed(s, 0x20000, P + 1));
    fails_cleanly(Errno::Inval, |s| fixed(s, 0x20000, 0));
}

#[test]
fn map_fixed_on_reserved_is_einval() {
    fails_cleanly(Errno::Inval, |s| fixed(s, 0x1ff000, 2 * P));
    fails_cleanly(Errno::Inval, |s| fixed(s, 0xff000, 2 * P));
}

#[test]
fn map_fixed_over_area_is_eexist() {
    fails_cleanly(Errno::Exist, |s| fixed(s, 0x13000, 2 * P));
    fails_cleanly(Errno::Exist, |s| fixed(s, 0xf000, 2 * P));
    fails_cleanly(Errno::Exist, |s| fixed(s, 0x8000, 64 * P));
}

#[test]
fn map_fixed_wrapping_is_eoverflow() {
    fails_cleanly(Errno::Overflow, |s| fixed(s, u64::MAX - P + 1, 2 * P));
}

#[test]
fn map_fixed_at_the_top_works() {
    let mut s = space();
    fixed(&mut s, u64::MAX - P + 1, P).unwrap();
    assert!(s.check());
}

#[test]
fn alloc_zero_or_huge_is_eoverflow() {
    fails_cleanly(Errno::Overflow, |s| {
        s.map(Placement::Alloc { user_addr: 0 }, 0, 0, RW, 1)
            .map(|_| ())
    });
    fails_cleanly(Errno::Overflow, |s| {
        s.map(Placement::Alloc { user_addr: 0 }, u64::MAX / 2, 0, RW, 1)
            .map(|_| ())
    });
}

#[test]
fn alloc_below_required_alignment_is_einval() {
    // A user address aligned to 2 KiB cannot give a 4 KiB-aligned IOVA.
    fails_cleanly(Errno::Inval, |s| {
        s.map(Placement::Alloc { user_addr: 0x800 }, P, 0x800, RW, 1)
            .map(|_| ())
    });
}

#[test]
fn alloc_with_no_room_is_enospc() {
    let mut s = space();
    s.set_allowed(&[(0x40000, 0x40fff)]).unwrap();
    let before = snapshot(&s);
    assert_eq!(
        s.map(Placement::Alloc { user_addr: 0 }, 2 * P, 0, RW, 1),
        Err(Errno::NoSpc)
    );
    assert_eq!(snapshot(&s), before);
    // One page fits, inside the allowed range.
    assert_eq!(
        s.map(Placement::Alloc { user_addr: 0 }, P, 0, RW, 1),
        Ok(0x40000)
    );
}

#[test]
fn alloc_keeps_huge_alignment_up_to_1g() {
    let mut s = space();
    let two_m = 2 << 20;
    let iova = s
        .map(
            Placement::Alloc {
                user_addr: 0x7f00_0020_0000,
            },
            two_m,
            0,
            RW,
            2,
        )
        .unwrap();
    assert_eq!(iova % two_m, 0);
    let one_g = 1 << 30;
    let iova = s
        .map(
            Placement::Alloc {
                user_addr: 0x40_0000_0000,
            },
            2 * one_g,
            0,
            RW,
            3,
        )
        .unwrap();
    assert_eq!(iova % one_g, 0, "capped at the 1 GiB block, not beyond");
    // With large pages off, only page alignment is kept.
    s.set_large_alignment(false);
    let iova = s
        .map(
            Placement::Alloc {
                user_addr: 0x40_0000_0000,
            },
            two_m,
            0,
            RW,
            4,
        )
        .unwrap();
    // 0x200000 (2 MiB) and 0x40000000 (2 GiB) are taken: next page-aligned
    // hole of 2 MiB.
    assert_eq!(iova, 0x400000);
    assert!(s.check());
}

#[test]
fn alloc_never_returns_page_zero() {
    let mut s = Space::new();
    let iova = s
        .map(Placement::Alloc { user_addr: 0 }, P, 0, RW, 1)
        .unwrap();
    assert_eq!(iova, P);
}

#[test]
fn unmap_partial_area_is_enoent_and_unmaps_nothing() {
    let mut s = space();
    fixed(&mut s, 0x20000, P).unwrap();
    let before = snapshot(&s);
    let mut released = 0;
    // Covers the second area fully but only half of the first.
    assert_eq!(
        s.unmap(0x12000, 0x20000 - 0x12000 + P, &mut |_| released += 1),
        Err(Errno::NoEnt)
    );
    assert_eq!(released, 0);
    assert_eq!(snapshot(&s), before);
}

#[test]
fn unmap_nothing_is_enoent_but_unmap_all_of_nothing_succeeds() {
    fails_cleanly(Errno::NoEnt, |s| {
        s.unmap(0x40000, P, &mut |_| {}).map(|_| ())
    });
    let mut s = Space::new();
    assert_eq!(s.unmap_all(&mut |_| {}), 0);
}

#[test]
fn unmap_bad_ranges() {
    fails_cleanly(Errno::Inval, |s| {
        s.unmap(0x10000, 0, &mut |_| {}).map(|_| ())
    });
    fails_cleanly(Errno::Overflow, |s| {
        s.unmap(u64::MAX, 2, &mut |_| {}).map(|_| ())
    });
}

#[test]
fn unmap_returns_bytes_and_areas() {
    let mut s = space();
    fixed(&mut s, 0x20000, P).unwrap();
    let mut got = vec![];
    assert_eq!(s.unmap(0, 0x30000, &mut |a| got.push(a.data)), Ok(5 * P));
    assert_eq!(got, vec![1, 99]);
    assert_eq!(s.area_count(), 0);
}

#[test]
fn allow_rules() {
    fails_cleanly(Errno::Inval, |s| s.set_allowed(&[(0x5000, 0x5000)]));
    fails_cleanly(Errno::Inval, |s| {
        s.set_allowed(&[(0x5000, 0x8fff), (0x8000, 0x9fff)])
    });
    fails_cleanly(Errno::AddrInUse, |s| s.set_allowed(&[(0x1f0000, 0x2fffff)]));
}

#[test]
fn reserve_rules() {
    fails_cleanly(Errno::AddrInUse, |s| s.reserve(0x12000, 0x12fff, 1));
    let mut s = space();
    s.set_allowed(&[(0x40000, 0x4ffff)]).unwrap();
    let before = snapshot(&s);
    assert_eq!(s.reserve(0x4f000, 0x50fff, 1), Err(Errno::AddrInUse));
    assert_eq!(snapshot(&s), before);
    fails_cleanly(Errno::Inval, |s| s.reserve(0x5000, 0x4fff, 1));
}

#[test]
fn overlapping_reservations_and_owner_removal() {
    let mut s = space();
    s.reserve(0x180000, 0x2fffff, 8).unwrap();
    s.reserve(0x300000, 0x3fffff, 8).unwrap();
    assert_eq!(
        s.iova_ranges().collect::<Vec<_>>(),
        vec![(0, 0xfffff), (0x400000, u64::MAX)]
    );
    assert_eq!(s.unreserve(8), 2);
    assert_eq!(
        s.iova_ranges().collect::<Vec<_>>(),
        vec![(0, 0xfffff), (0x200000, u64::MAX)]
    );
    // Owner 7's range is still there, and still blocks allocation.
    fails_cleanly(Errno::Inval, |s| fixed(s, 0x100000, P));
    assert!(s.check());
}

#[test]
fn iova_alignment_change_rejected_by_existing_area() {
    let mut s = Space::new();
    fixed(&mut s, 0x1800, 0x800).unwrap();
    assert_eq!(s.set_iova_alignment(P, &mut || {}), Err(Errno::AddrInUse));
    assert_eq!(s.iova_alignment(), 1);
}

#[test]
fn copy_slices_cover_exactly() {
    let mut s = space();
    fixed(&mut s, 0x14000, 2 * P).unwrap();
    let mut got = vec![];
    s.slices(0x11000, 4 * P, &mut |sl| {
        got.push((sl.area.data, sl.offset, sl.len));
        Ok(())
    })
    .unwrap();
    assert_eq!(got, vec![(1, P, 3 * P), (99, 0, P)]);
    // A hole in the range: ENOENT and nothing handed out.
    let mut n = 0;
    let hole = s.slices(0x11000, 8 * P, &mut |_| {
        n += 1;
        Ok(())
    });
    assert_eq!(hole, Err(Errno::NoEnt));
    assert_eq!(n, 0);
    // The sink's own error (an allocation failing) ends the walk with it.
    let mut n = 0;
    let failed = s.slices(0x11000, 4 * P, &mut |_| {
        n += 1;
        Err(Errno::NoMem)
    });
    assert_eq!(failed, Err(Errno::NoMem));
    assert_eq!(n, 1);
}

#[test]
fn map_parts_is_atomic() {
    let mut s = space();
    let before = snapshot(&s);
    // Parts that do not add up to the total: rolled back.
    let part = |len, data| Part {
        len,
        page_offset: 0,
        data,
    };
    let mut parts = vec![part(P, 5u32), part(P, 6u32)].into_iter();
    assert_eq!(
        s.map_parts(Placement::Fixed(0x40000), 3 * P, RW, &mut || parts.next()),
        Err(Errno::Inval)
    );
    assert_eq!(snapshot(&s), before);
    let mut parts = vec![part(P, 5u32), part(2 * P, 6u32)].into_iter();
    assert_eq!(
        s.map_parts(Placement::Fixed(0x40000), 3 * P, RW, &mut || parts.next()),
        Ok(0x40000)
    );
    assert_eq!(s.area_count(), 3);
}

/// The page-offset rule (upstream's `iopt_insert_area()`): with a page
/// alignment an area's backing must start on a page boundary, whatever
/// its IOVA: `-EINVAL`, nothing changed; with byte alignment anything goes.
#[test]
fn map_with_unaligned_page_offset_is_einval() {
    fails_cleanly(Errno::Inval, |s| {
        s.map(Placement::Fixed(0x20000), P, 0x800, RW, 9)
            .map(|_| ())
    });
    fails_cleanly(Errno::Inval, |s| {
        s.probe(Placement::Fixed(0x20000), P, 0x800).map(|_| ())
    });
    fails_cleanly(Errno::Inval, |s| {
        s.slot(Placement::Fixed(0x20000), P, 1).map(|_| ())
    });
    // Not a page offset at all.
    fails_cleanly(Errno::Inval, |s| {
        s.map(Placement::Fixed(0x20000), P, P, RW, 9).map(|_| ())
    });
    // The placement's own errors come first, as upstream checks the IOVA
    // before it inserts the area.
    fails_cleanly(Errno::Exist, |s| {
        s.map(Placement::Fixed(0x10000), P, 0x800, RW, 9)
            .map(|_| ())
    });
    let mut s = Space::new();
    assert_eq!(
        s.map(Placement::Fixed(0x20000), P, 0x800, RW, 9),
        Ok(0x20000)
    );
    assert_eq!(s.areas().next().map(|a| a.page_offset), Some(0x800));
}

/// COPY's parts: each part's page offset is checked as it is inserted,
/// and a refused part rolls back the parts before it.
#[test]
fn map_parts_checks_each_page_offset() {
    let mut s = space();
    let before = snapshot(&s);
    let mut parts = vec![
        Part {
            len: P,
            page_offset: 0,
            data: 5u32,
        },
        Part {
            len: P,
            page_offset: 0x800,
            data: 6u32,
        },
    ]
    .into_iter();
    assert_eq!(
        s.map_parts(Placement::Fixed(0x40000), 2 * P, RW, &mut || parts.next()),
        Err(Errno::Inval)
    );
    assert_eq!(snapshot(&s), before);
    assert!(s.check());
}

/// A slice's page offset is its area's plus its offset into the area,
/// within a page.
#[test]
fn slice_page_offset_adds_up_within_a_page() {
    let mut s = Space::new();
    s.map(Placement::Fixed(0x10000), 4 * P, 0x800, RW, 1)
        .unwrap();
    let mut got = vec![];
    for (iova, len) in [(0x10000, P), (0x10800, P), (0x11000, 0x100)] {
        s.slices(iova, len, &mut |sl| {
            got.push(sl.page_offset());
            Ok(())
        })
        .unwrap();
    }
    assert_eq!(got, vec![0x800, 0, 0x800]);
}

/// Raising the alignment checks each area's page offset too
/// (`iopt_check_iova_alignment()`): `-EADDRINUSE`, alignment unchanged.
#[test]
fn iova_alignment_change_rejected_by_unaligned_page_offset() {
    let mut s = Space::new();
    s.map(Placement::Fixed(0x20000), P, 0x800, RW, 1).unwrap();
    let mut calls = 0;
    assert_eq!(
        s.set_iova_alignment(P, &mut || calls += 1),
        Err(Errno::AddrInUse)
    );
    assert_eq!(s.iova_alignment(), 1);
    assert_eq!(calls, 1, "the hook runs once per area checked");
    assert_eq!(s.unmap(0x20000, P, &mut drop), Ok(P));
    s.map(Placement::Fixed(0x20000), P, 0, RW, 1).unwrap();
    assert_eq!(s.set_iova_alignment(P, &mut || {}), Ok(()));
}

// ---- SW_MSI window rules ----

fn regions() -> Vec<ResvRegion> {
    let r = |start, last, kind| ResvRegion {
        start,
        last,
        kind,
        user_window: false,
    };
    vec![
        r(0x800_0000, 0x80f_ffff, ResvType::SwMsi),
        r(0x4000_0000, 0x400f_ffff, ResvType::DirectRelaxable),
        r(0x8000_0000, 0x8fff_ffff, ResvType::Reserved),
        r(0x9000_0000, 0x9000_ffff, ResvType::Direct),
    ]
}

#[test]
fn sw_msi_option_values() {
    assert_eq!(sw_msi::check_start(0x100_0001), Err(Errno::Inval));
    assert_eq!(sw_msi::make_window(0x100_0000, 0), Err(Errno::Inval));
    assert_eq!(sw_msi::make_window(0x8_0000, 2), Err(Errno::Inval));
    // The last MiB of the space is a valid window; one more MiB wraps.
    assert!(sw_msi::make_window(u64::MAX - MIB + 1, 1).is_ok());
    assert_eq!(
        sw_msi::make_window(u64::MAX - MIB + 1, 2),
        Err(Errno::Overflow)
    );
    assert_eq!(sw_msi::make_window(0, u64::MAX), Err(Errno::Overflow));
    assert_eq!(
        sw_msi::make_window(u64::MAX - 2 * MIB + 1 + 1, 1),
        Err(Errno::Inval)
    );
    assert_eq!(
        sw_msi::make_window(0x1000_0000, 2),
        Ok(Window {
            start: 0x1000_0000,
            size: 2 * MIB
        })
    );
}

#[test]
fn sw_msi_window_overlap_rules() {
    let rg = regions();
    let w = |s, m| sw_msi::make_window(s, m).unwrap();
    // Over the driver's own SW_MSI or a relaxable direct region: fine.
    assert_eq!(sw_msi::check_window(&rg, &w(0x800_0000, 2)), Ok(()));
    assert_eq!(sw_msi::check_window(&rg, &w(0x4000_0000, 1)), Ok(()));
    // Over a reserved or direct region: EADDRINUSE.
    assert_eq!(
        sw_msi::check_window(&rg, &w(0x8ff0_0000, 1)),
        Err(Errno::AddrInUse)
    );
    assert_eq!(
        sw_msi::check_window(&rg, &w(0x9000_0000, 1)),
        Err(Errno::AddrInUse)
    );
    assert_eq!(
        sw_msi::check_aperture(&w(0x1000_0000, 2), 0, 0xffff_ffff_ffff),
        Ok(())
    );
    assert_eq!(
        sw_msi::check_aperture(&w(0x1_0000_0000_0000, 1), 0, 0xffff_ffff_ffff),
        Err(Errno::Range)
    );
}

#[test]
fn sw_msi_attach_replaces_driver_window() {
    let rg = regions();
    let user = sw_msi::make_window(0x1000_0000, 2).unwrap();
    let (out, in_force) = sw_msi::attach_regions::<HostAlloc>(&rg, Some(user)).unwrap();
    assert_eq!(in_force, Some(user));
    assert!(out.iter().all(|r| r.kind != ResvType::DirectRelaxable));
    let msi: Vec<_> = out.iter().filter(|r| r.kind == ResvType::SwMsi).collect();
    assert_eq!(msi.len(), 1);
    assert!(msi[0].user_window);
    assert_eq!((msi[0].start, msi[0].last), (0x1000_0000, 0x101f_ffff));
    // Without a user window, the driver's stays in force.
    let (out, in_force) = sw_msi::attach_regions::<HostAlloc>(&rg, None).unwrap();
    assert_eq!(in_force.map(|w| (w.start, w.size)), Some((0x800_0000, MIB)));
    assert_eq!(out.len(), 3);
}

#[test]
fn sw_msi_hardware_msi_region_when_no_software_window() {
    // virtio-iommu behind QEMU's ITS: a hardware MSI region, no SW_MSI.
    let hw = ResvRegion {
        start: 0x809_0000,
        last: 0x809_ffff,
        kind: ResvType::Msi,
        user_window: false,
    };
    let (out, in_force) = sw_msi::attach_regions::<HostAlloc>(&[hw], None).unwrap();
    assert_eq!(
        in_force.map(|w| (w.start, w.size)),
        Some((0x809_0000, 0x1_0000))
    );
    assert_eq!(out.as_slice(), &[hw], "the region stays reserved");
    // A user window wins over it; the region stays reserved beside it.
    let user = sw_msi::make_window(0x1000_0000, 1).unwrap();
    let (out, in_force) = sw_msi::attach_regions::<HostAlloc>(&[hw], Some(user)).unwrap();
    assert_eq!(in_force, Some(user));
    assert_eq!(out.len(), 2);
    // A software window wins over a hardware region.
    let mut both = regions();
    both.push(hw);
    let (_, in_force) = sw_msi::attach_regions::<HostAlloc>(&both, None).unwrap();
    assert_eq!(in_force.map(|w| (w.start, w.size)), Some((0x800_0000, MIB)));
    // Neither: no window, no doorbell.
    let (_, in_force) = sw_msi::attach_regions::<HostAlloc>(&[], None).unwrap();
    assert_eq!(in_force, None);
}

#[test]
fn sw_msi_window_bounds_doorbells() {
    let w = sw_msi::make_window(0x1000_0000, 1).unwrap();
    assert!(w.contains(0x1000_0000));
    assert!(w.contains(0x1000_0040));
    assert!(w.contains(0x100f_ffff));
    assert!(!w.contains(0x1010_0000), "one past the window");
    assert!(!w.contains(0x0fff_ffff), "one before the window");
}

#[test]
fn sw_msi_user_view_flags_the_user_window() {
    let rg = regions();
    // No user window: the driver's regions as they are.
    let view = sw_msi::user_view::<HostAlloc>(&rg, None).unwrap();
    assert_eq!(view, rg);
    // A user window replaces the driver's SW_MSI and is flagged; the
    // DIRECT_RELAXABLE region is still shown (the query reports it).
    let user = sw_msi::make_window(0x1000_0000, 2).unwrap();
    let view = sw_msi::user_view::<HostAlloc>(&rg, Some(user)).unwrap();
    let msi: Vec<_> = view.iter().filter(|r| r.kind == ResvType::SwMsi).collect();
    assert_eq!(msi.len(), 1);
    assert!(msi[0].user_window);
    assert_eq!((msi[0].start, msi[0].last), (0x1000_0000, 0x101f_ffff));
    assert_eq!(view.len(), rg.len());
    assert!(view.iter().any(|r| r.kind == ResvType::DirectRelaxable));
}

/// A slot refuses what map refuses, with the same errno, and changes
/// nothing; filled, it maps exactly what map would have.
#[test]
fn slot_answers_as_map_does() {
    fails_cleanly(Errno::Exist, |s| {
        s.slot(Placement::Fixed(0x10000), P, 0).map(|_| ())
    });
    fails_cleanly(Errno::Inval, |s| {
        s.slot(Placement::Fixed(0x1ff000), 2 * P, 0).map(|_| ())
    });
    fails_cleanly(Errno::Inval, |s| {
        s.slot(Placement::Fixed(0x20001), P, 0).map(|_| ())
    });
    // Held and dropped unfilled: nothing mapped.
    fails_cleanly(Errno::NoEnt, |s| {
        drop(s.slot(Placement::Fixed(0x20000), P, 0)?);
        s.unmap(0x20000, P, &mut drop).map(|_| ())
    });
    let mut a = space();
    let mut b = space();
    for place in [
        Placement::Fixed(0x40000),
        Placement::Alloc {
            user_addr: 0x7f0000203000,
        },
    ] {
        let slot = a.slot(place, 2 * P, 0).unwrap();
        let at = slot.iova();
        assert_eq!(slot.fill(RW, 5), Ok(at));
        assert_eq!(b.map(place, 2 * P, 0, RW, 5), Ok(at));
    }
    assert_eq!(snapshot(&a), snapshot(&b));
    assert!(a.check());
}
