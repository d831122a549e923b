// SPDX-License-Identifier: GPL-2.0

//! A naive model of [`IovaSpace`] (sorted vectors and linear scans), written
//! the obvious way from the same rules, and a driver that runs an operation
//! sequence on both and compares every answer and the full state after each
//! step. Used by the property test and the fuzz target.

use crate::{Errno, HostAlloc, IovaSpace, Part, Placement, Prot, PAGE_SIZE};

type Space = IovaSpace<u8, u32, HostAlloc>;

/// The model: what the core must behave like, written the obvious way.
#[derive(Default, Clone, Debug)]
pub struct Model {
    /// `(start, last, page offset, id)`, by start.
    areas: Vec<(u64, u64, u64, u32)>,
    reserved: Vec<(u64, u64, u8)>,
    allowed: Vec<(u64, u64)>,
    align: u64,
    max_align: u64,
}

fn overlaps(a: (u64, u64), b: (u64, u64)) -> bool {
    a.0 <= b.1 && b.0 <= a.1
}

impl Model {
    /// An empty model.
    pub fn new() -> Self {
        Model {
            align: 1,
            max_align: 1 << 30,
            ..Default::default()
        }
    }

    /// Whether an area whose backing starts `off` bytes into a page may be
    /// inserted (upstream's `iopt_insert_area()`).
    fn check_offset(&self, off: u64) -> Result<(), Errno> {
        if off >= PAGE_SIZE || off % self.align != 0 {
            return Err(Errno::Inval);
        }
        Ok(())
    }

    fn map_fixed(&mut self, iova: u64, len: u64, off: u64, id: u32) -> Result<u64, Errno> {
        self.check_fixed(iova, len)?;
        self.check_offset(off)?;
        Ok(self.insert(iova, len, off, id))
    }

    fn check_fixed(&self, iova: u64, len: u64) -> Result<u64, Errno> {
        if len == 0 || iova % self.align != 0 || len % self.align != 0 {
            return Err(Errno::Inval);
        }
        let last = iova.checked_add(len - 1).ok_or(Errno::Overflow)?;
        if self
            .reserved
            .iter()
            .any(|r| overlaps((r.0, r.1), (iova, last)))
        {
            return Err(Errno::Inval);
        }
        if self
            .areas
            .iter()
            .any(|a| overlaps((a.0, a.1), (iova, last)))
        {
            return Err(Errno::Exist);
        }
        Ok(last)
    }

    fn insert(&mut self, iova: u64, len: u64, off: u64, id: u32) -> u64 {
        self.areas.push((iova, iova + len - 1, off, id));
        self.areas.sort();
        iova
    }

    /// IOAS_COPY within the space to a fixed IOVA: the pieces of the areas
    /// covering the source, each with the page offset of its first byte.
    fn copy_fixed(&mut self, src: u64, len: u64, dst: u64, id: u32) -> Result<u64, Errno> {
        if len == 0 {
            return Err(Errno::Inval);
        }
        let last = src.checked_add(len - 1).ok_or(Errno::Overflow)?;
        let mut parts = vec![];
        let mut at = src;
        loop {
            let a = self
                .areas
                .iter()
                .find(|a| a.0 <= at && at <= a.1)
                .ok_or(Errno::NoEnt)?;
            let end = a.1.min(last);
            parts.push((end - at + 1, (a.2 + (at - a.0)) % PAGE_SIZE));
            if end == last {
                break;
            }
            at = end + 1;
        }
        self.check_fixed(dst, len)?;
        for &(_, off) in &parts {
            self.check_offset(off)?;
        }
        let mut to = dst;
        for (l, off) in parts {
            self.insert(to, l, off, id);
            to += l;
        }
        Ok(dst)
    }

    fn fit(a: u64, b: u64, len: u64, align: u64, off: u64) -> Option<u64> {
        let x = a.checked_add(align - 1)? & !(align - 1);
        let x = x | off;
        (x < b && b - x >= len - 1).then_some(x)
    }

    fn map_alloc(&mut self, uaddr: u64, len: u64, id: u32) -> Result<u64, Errno> {
        let x = self.alloc(uaddr, len)?;
        self.check_offset(uaddr % PAGE_SIZE)?;
        Ok(self.insert(x, len, uaddr % PAGE_SIZE, id))
    }

    fn alloc(&self, uaddr: u64, len: u64) -> Result<u64, Errno> {
        if len == 0 || len >= u64::MAX / 2 {
            return Err(Errno::Overflow);
        }
        if len % self.align != 0 {
            return Err(Errno::Inval);
        }
        let mut align = len.next_power_of_two();
        if uaddr != 0 {
            align = align.min(1 << uaddr.trailing_zeros());
        }
        align = align.min(self.max_align);
        if align < self.align {
            return Err(Errno::Inval);
        }
        let windows: Vec<(u64, u64)> = if self.allowed.is_empty() {
            vec![(PAGE_SIZE, u64::MAX - PAGE_SIZE)]
        } else {
            let mut w: Vec<_> = self
                .allowed
                .iter()
                .filter(|r| r.1 >= PAGE_SIZE && r.0 <= u64::MAX - PAGE_SIZE)
                .map(|r| (r.0.max(PAGE_SIZE), r.1.min(u64::MAX - PAGE_SIZE)))
                .collect();
            w.sort();
            // Touching or overlapping allowed ranges form one span, as
            // upstream's interval_tree_span_iter sees them.
            let mut merged: Vec<(u64, u64)> = vec![];
            for r in w {
                match merged.last_mut() {
                    Some(p) if r.0 <= p.1.saturating_add(1) => p.1 = p.1.max(r.1),
                    _ => merged.push(r),
                }
            }
            merged
        };
        let mut used: Vec<(u64, u64)> = self.areas.iter().map(|a| (a.0, a.1)).collect();
        used.extend(self.reserved.iter().map(|r| (r.0, r.1)));
        used.sort();
        for (lo, hi) in windows {
            // Holes of `used` within [lo, hi], lowest first.
            let mut cur = Some(lo);
            for &(s, l) in &used {
                let Some(c) = cur else { break };
                if l < c {
                    continue;
                }
                if s > hi {
                    break;
                }
                if s > c {
                    if let Some(x) = Self::fit(c, s - 1, len, align, uaddr % PAGE_SIZE) {
                        return Ok(x);
                    }
                }
                cur = l.checked_add(1);
            }
            if let Some(c) = cur {
                if c <= hi {
                    if let Some(x) = Self::fit(c, hi, len, align, uaddr % PAGE_SIZE) {
                        return Ok(x);
                    }
                }
            }
        }
        Err(Errno::NoSpc)
    }

    fn unmap(&mut self, iova: u64, len: u64) -> Result<u64, Errno> {
        if len == 0 {
            return Err(Errno::Inval);
        }
        let last = iova.checked_add(len - 1).ok_or(Errno::Overflow)?;
        let hit: Vec<_> = self
            .areas
            .iter()
            .filter(|a| overlaps((a.0, a.1), (iova, last)))
            .copied()
            .collect();
        if hit.iter().any(|a| a.0 < iova || a.1 > last) || hit.is_empty() {
            return Err(Errno::NoEnt);
        }
        self.areas.retain(|a| !hit.contains(a));
        Ok(hit.iter().map(|a| a.1 - a.0 + 1).sum())
    }

    fn reserve(&mut self, s: u64, l: u64, o: u8) -> Result<(), Errno> {
        if s > l {
            return Err(Errno::Inval);
        }
        if self.areas.iter().any(|a| overlaps((a.0, a.1), (s, l)))
            || self.allowed.iter().any(|a| overlaps(*a, (s, l)))
        {
            return Err(Errno::AddrInUse);
        }
        self.reserved.push((s, l, o));
        Ok(())
    }

    fn set_allowed(&mut self, ranges: &[(u64, u64)]) -> Result<(), Errno> {
        for (i, r) in ranges.iter().enumerate() {
            if r.0 >= r.1 || ranges[..i].iter().any(|p| overlaps(*p, *r)) {
                return Err(Errno::Inval);
            }
        }
        if ranges
            .iter()
            .any(|r| self.reserved.iter().any(|x| overlaps((x.0, x.1), *r)))
        {
            return Err(Errno::AddrInUse);
        }
        self.allowed = ranges.to_vec();
        self.allowed.sort();
        Ok(())
    }

    fn iova_ranges(&self) -> Vec<(u64, u64)> {
        let mut r: Vec<_> = self.reserved.iter().map(|x| (x.0, x.1)).collect();
        r.sort();
        let mut out = vec![];
        let mut cur = Some(0u64);
        for (s, l) in r {
            let Some(c) = cur else { break };
            if l < c {
                continue;
            }
            if s > c {
                out.push((c, s - 1));
            }
            cur = l.checked_add(1);
        }
        if let Some(c) = cur {
            out.push((c, u64::MAX));
        }
        out
    }
}

/// One operation on the space.
#[derive(Clone, Debug)]
#[allow(missing_docs)]
pub enum Op {
    /// IOVA, length, page offset of the backing.
    MapFixed(u64, u64, u64),
    MapAlloc(u64, u64),
    /// Source IOVA, length, fixed destination IOVA.
    CopyFixed(u64, u64, u64),
    Unmap(u64, u64),
    UnmapAll,
    Reserve(u64, u64, u8),
    Unreserve(u8),
    Allow(Vec<(u64, u64)>),
    Align(u64),
    Large(bool),
}

fn state(
    s: &Space,
) -> (
    Vec<(u64, u64, u64, u32)>,
    Vec<(u64, u64, u8)>,
    Vec<(u64, u64)>,
    Vec<(u64, u64)>,
) {
    let mut res: Vec<_> = s.reserved().collect();
    res.sort();
    (
        s.areas()
            .map(|a| (a.start, a.last, a.page_offset, a.data))
            .collect(),
        res,
        s.allowed().collect(),
        s.iova_ranges().collect(),
    )
}

/// Runs `ops` on a fresh space and a fresh model; panics at the first
/// difference or broken invariant.
pub fn run(ops: &[Op]) {
    let mut s = Space::new();
    let mut m = Model::new();
    let rw = Prot {
        read: true,
        write: true,
    };
    for (step, op) in ops.iter().enumerate() {
        let id = step as u32;
        match op {
            Op::MapFixed(a, l, off) => {
                let got = s.map(Placement::Fixed(*a), *l, *off, rw, id);
                assert_eq!(got, m.map_fixed(*a, *l, *off, id), "step {step} {op:?}");
            }
            Op::MapAlloc(u, l) => {
                let place = Placement::Alloc { user_addr: *u };
                let got = s.map(place, *l, *u % PAGE_SIZE, rw, id);
                assert_eq!(got, m.map_alloc(*u, *l, id), "step {step} {op:?}");
            }
            Op::CopyFixed(src, l, dst) => {
                let mut parts = vec![];
                let got = s
                    .slices(*src, *l, &mut |sl| {
                        parts.push(Part {
                            len: sl.len,
                            page_offset: sl.page_offset(),
                            data: id,
                        });
                        Ok(())
                    })
                    .and_then(|()| {
                        let mut it = parts.into_iter();
                        s.map_parts(Placement::Fixed(*dst), *l, rw, &mut || it.next())
                    });
                assert_eq!(got, m.copy_fixed(*src, *l, *dst, id), "step {step} {op:?}");
            }
            Op::Unmap(a, l) => {
                let mut n = 0;
                let got = s.unmap(*a, *l, &mut |_| n += 1);
                assert_eq!(got, m.unmap(*a, *l), "step {step} {op:?}");
                if got.is_err() {
                    assert_eq!(n, 0, "a failed unmap released areas");
                }
            }
            Op::UnmapAll => {
                let got = s.unmap_all(&mut |_| {});
                let want: u64 = m.areas.iter().map(|a| a.1 - a.0 + 1).sum();
                m.areas.clear();
                assert_eq!(got, want, "step {step}");
            }
            Op::Reserve(a, b, o) => {
                assert_eq!(
                    s.reserve(*a, *b, *o),
                    m.reserve(*a, *b, *o),
                    "step {step} {op:?}"
                );
            }
            Op::Unreserve(o) => {
                let n = m.reserved.iter().filter(|r| r.2 == *o).count();
                m.reserved.retain(|r| r.2 != *o);
                assert_eq!(s.unreserve(*o), n, "step {step}");
            }
            Op::Allow(v) => {
                assert_eq!(s.set_allowed(v), m.set_allowed(v), "step {step} {op:?}");
            }
            Op::Align(a) => {
                let bad = m
                    .areas
                    .iter()
                    .any(|x| x.0 % a != 0 || (x.1 - x.0 + 1) % a != 0 || x.2 % a != 0);
                let want = if bad { Err(Errno::AddrInUse) } else { Ok(()) };
                if want.is_ok() {
                    m.align = *a;
                }
                assert_eq!(s.set_iova_alignment(*a, &mut || {}), want, "step {step}");
            }
            Op::Large(on) => {
                s.set_large_alignment(*on);
                m.max_align = if *on { 1 << 30 } else { PAGE_SIZE };
            }
        }
        assert!(s.check(), "invariants broken after step {step} {op:?}");
        // What makes a domain's map and unmap cover the same pages: with a
        // page alignment or more, every area starts on a page boundary on
        // both sides and covers whole pages.
        if s.iova_alignment() >= PAGE_SIZE {
            for a in s.areas() {
                assert!(
                    a.page_offset == 0 && a.start % PAGE_SIZE == 0 && a.len() % PAGE_SIZE == 0,
                    "area {:#x}..={:#x} (page offset {:#x}) under page alignment, step {step} {op:?}",
                    a.start,
                    a.last,
                    a.page_offset
                );
            }
        }
        let (areas, res, allowed, ranges) = state(&s);
        let mut mres = m.reserved.clone();
        mres.sort();
        assert_eq!(areas, m.areas, "areas after step {step} {op:?}");
        assert_eq!(res, mres, "reserved after step {step}");
        assert_eq!(allowed, m.allowed, "allowed after step {step}");
        assert_eq!(ranges, m.iova_ranges(), "iova ranges after step {step}");
    }
}
