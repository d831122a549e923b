// SPDX-License-Identifier: GPL-2.0

//! The IOAS object and its commands (upstream's `ioas.c`): the core's
//! [`IovaSpace`] and the IOMMU domains attached to it, behind one mutex, so
//! that every domain always maps exactly the IOAS's areas.

use crate::{
    domain::{
        cond_resched,
        Domain, //
    },
    file::{
        user_ptr,
        IommufdFile, //
    },
    hwpt::HwptObject,
    iova_space::{
        AllowedRanges,
        Area,
        Errno,
        IovaSpace,
        Part,
        Placement,
        Prot,
        PAGE_SIZE, //
    },
    kalloc::KernelAlloc,
    kernel_ext::nest_lock::lock_nested,
    object::{
        file_object,
        Dep,
        Object,
        ObjectHeader, //
    },
    pages::{
        Account,
        NewOwner,
        Pages, //
    },
    uapi,
    ucmd::UserCmd, //
};
use core::cell::Cell;
use kernel::{
    alloc::KVVec,
    bindings,
    new_mutex,
    prelude::*,
    sync::{
        Arc,
        Mutex, //
    },
    uaccess::UserSlice, //
};

/// What backs one area: a byte range of a mapping's memory. The area holds
/// one pin of it while its IOAS has domains.
#[derive(Clone)]
pub(crate) struct AreaPages {
    /// The mapping's memory, shared by every area IOAS_COPY made from it.
    pub(crate) pages: Arc<Pages>,
    /// Offset of the area's first byte from the mapping's first byte.
    pub(crate) offset: u64,
    /// The user address (file offset for MAP_FILE) of the area's first
    /// byte: IOAS_COPY keeps its alignment when it allocates an IOVA.
    pub(crate) uaddr: u64,
    /// The command that made the area, unique in its IOAS
    /// ([`IoasState::new_stamp`]): a command whose answer fails removes
    /// exactly the areas it made.
    stamp: u64,
}

// The core's page offsets are offsets in the kernel's page, which domain.rs
// maps by.
const _: () = assert!(kernel::page::PAGE_SIZE as u64 == PAGE_SIZE);

/// Owners of reserved ranges: a device or a domain, by a tag unique to it.
pub(crate) type Owner = u64;

/// The address space of one IOAS.
pub(crate) type Space = IovaSpace<Owner, AreaPages, KernelAlloc>;

/// What the IOAS mutex protects.
pub(crate) struct IoasState {
    /// Areas, allowed and reserved ranges.
    pub(crate) space: Space,
    /// Every domain registered with this IOAS (one per HWPT); each maps
    /// every area. While there is one, every area holds a pin of its pages.
    pub(crate) domains: KVVec<Arc<Domain>>,
    /// The automatic HWPTs that have devices, for reuse by the next attach.
    /// An entry depends on its HWPT and leaves with its last device
    /// (breaking the reference cycle HWPT -> IOAS -> HWPT); it is dropped
    /// only with this lock released.
    pub(crate) auto_hwpts: KVVec<Dep<HwptObject>>,
    /// Pages a domain of this IOAS could not fully unmap.
    kept: KeptPages,
    /// The last stamp given to a command that makes areas.
    last_stamp: u64,
}

/// Pages that a domain of the IOAS could not fully unmap (a short unmap),
/// each holding one more pin ([`Pages::keep_pinned`]): kept pinned until
/// the IOAS goes. That is after every domain that mapped them is freed
/// (each HWPT holds its IOAS), so no device can reach them any more when
/// they are unpinned. If even the room to keep one cannot be allocated, its
/// reference is leaked and the pages stay pinned for good.
///
/// A `Cell`, so that the IOAS's `&self` paths can keep pages: it is only
/// touched with the IOAS lock held (it lives in [`IoasState`]), and taken
/// out and put back without any call in between.
#[derive(Default)]
struct KeptPages(Cell<KVVec<Arc<Pages>>>);

impl KeptPages {
    /// Keeps `pages` pinned until the IOAS goes.
    fn keep(&self, pages: &Arc<Pages>) {
        let Some(held) = pages.keep_pinned() else {
            return;
        };
        let mut kept = self.0.take();
        if kept.reserve(1, GFP_KERNEL).is_ok() {
            // With room reserved the push cannot fail (and drop `held`).
            let _ = kept.push(held, GFP_KERNEL);
        } else {
            core::mem::forget(held);
        }
        self.0.set(kept);
    }
}

/// An I/O address space object.
///
/// Locking: `state` is taken after the file's object table lock is
/// released, never while it is held; when two IOAS are locked (COPY) the
/// source is released before the destination is taken. A device's lock is
/// taken before it.
#[pin_data]
pub(crate) struct IoasObject {
    header: ObjectHeader,
    #[pin]
    pub(crate) state: Mutex<IoasState>,
}

file_object!(IoasObject, Ioas);

impl IoasObject {
    /// A new empty IOAS.
    fn new() -> Result<Arc<Self>> {
        Arc::pin_init(
            pin_init!(Self {
                header: ObjectHeader::default(),
                state <- new_mutex!(IoasState {
                    space: IovaSpace::new(),
                    domains: KVVec::new(),
                    auto_hwpts: KVVec::new(),
                    kept: KeptPages::default(),
                    last_stamp: 0,
                }),
            }),
            GFP_KERNEL_ACCOUNT,
        )
    }

    /// IOMMU_OPTION_HUGE_PAGES: whether automatic IOVAs are aligned for
    /// the largest pages the user address allows.
    pub(crate) fn huge_pages_option(&self, set: bool, val: &mut u64) -> Result {
        let mut st = self.state.lock();
        if !set {
            *val = u64::from(st.space.large_alignment());
            return Ok(());
        }
        match *val {
            0 => st.space.set_large_alignment(false),
            1 => st.space.set_large_alignment(true),
            _ => return Err(EINVAL),
        }
        Ok(())
    }

    /// Maps what `map` inserted at `[iova, iova + len)` (areas stamped
    /// `stamp`) into every domain and lets `answer` report it; if either
    /// fails, nothing of it stays mapped. The answer is given with the lock
    /// released, so by the time it fails another thread may have unmapped
    /// some of these areas and mapped its own there: the undo removes only
    /// the areas that still carry `stamp`. The one tail of MAP, MAP_FILE
    /// and COPY.
    fn fill_and_answer(
        &self,
        mut st: kernel::sync::MutexGuard<'_, IoasState>,
        iova: u64,
        len: u64,
        stamp: u64,
        answer: impl FnOnce(u64) -> Result,
    ) -> Result {
        if let Err(e) = st.map_into_domains(iova, len) {
            let _ = st.space.unmap(iova, len, &mut drop);
            return Err(e);
        }
        drop(st);
        answer(iova).inspect_err(|_| self.state.lock().unmap_stamped(iova, len, stamp))
    }
}

/// The kernel errno of an IOAS core error.
pub(crate) fn kerr(e: Errno) -> Error {
    match e {
        Errno::Inval => EINVAL,
        Errno::Exist => EEXIST,
        Errno::Overflow => EOVERFLOW,
        Errno::NoEnt => ENOENT,
        Errno::AddrInUse => EADDRINUSE,
        Errno::NoSpc => ENOSPC,
        Errno::NoMem => ENOMEM,
        Errno::Range => ERANGE,
    }
}

impl IoasState {
    /// Maps the areas intersecting `[start, last]` into `dom`; on failure
    /// unmaps what this call mapped.
    fn map_areas(&self, dom: &Domain, start: u64, last: u64) -> Result {
        for a in self.space.areas_in(start, last) {
            cond_resched();
            let p = &a.data;
            if let Err(e) = dom.map(a.start, &p.pages, p.offset, a.len(), a.prot) {
                if e.still_mapped {
                    self.kept.keep(&p.pages);
                }
                for b in self
                    .space
                    .areas_in(start, last)
                    .take_while(|b| b.start < a.start)
                {
                    unmap_area(dom, b, &self.kept);
                }
                return Err(e.err);
            }
        }
        Ok(())
    }

    /// Takes a pin for each area intersecting `[start, last]`; on failure
    /// none of this call's pins stay.
    fn pin_areas(&self, start: u64, last: u64) -> Result {
        for a in self.space.areas_in(start, last) {
            cond_resched();
            if let Err(e) = a.data.pages.pin() {
                for b in self
                    .space
                    .areas_in(start, last)
                    .take_while(|b| b.start < a.start)
                {
                    b.data.pages.unpin();
                }
                return Err(e);
            }
        }
        Ok(())
    }

    /// Drops the pins of the areas intersecting `[start, last]`.
    fn unpin_areas(&self, start: u64, last: u64) {
        for a in self.space.areas_in(start, last) {
            cond_resched();
            a.data.pages.unpin();
        }
    }

    /// Pins the new areas in `[iova, iova + len)` and maps them into every
    /// domain, if there is any; on failure nothing of them stays mapped or
    /// pinned.
    fn map_into_domains(&self, iova: u64, len: u64) -> Result {
        if self.domains.is_empty() {
            return Ok(());
        }
        let last = iova + (len - 1);
        self.pin_areas(iova, last)?;
        for (k, dom) in self.domains.iter().enumerate() {
            if let Err(e) = self.map_areas(dom, iova, last) {
                for d in &self.domains[..k] {
                    for a in self.space.areas_in(iova, last) {
                        unmap_area(d, a, &self.kept);
                    }
                }
                self.unpin_areas(iova, last);
                return Err(e);
            }
        }
        Ok(())
    }

    /// Maps every area into `dom`, a domain being registered; the first
    /// domain pins the areas first. On failure nothing of this stays.
    pub(crate) fn fill(&self, dom: &Domain) -> Result {
        let first = self.domains.is_empty();
        if first {
            self.pin_areas(0, u64::MAX)?;
        }
        self.map_areas(dom, 0, u64::MAX).inspect_err(|_| {
            if first {
                self.unpin_areas(0, u64::MAX);
            }
        })
    }

    /// Undoes [`Self::fill`] for `dom`, a domain just unregistered: when it
    /// was the last, it is emptied (the IOTLB is clean when that returns)
    /// and the areas' pins dropped, so no page table points at an unpinned
    /// page. Another domain's leaving keeps the pins, which the rest use.
    pub(crate) fn unfill(&self, dom: &Domain) {
        if !self.domains.is_empty() {
            return;
        }
        for a in self.space.areas_in(0, u64::MAX) {
            cond_resched();
            unmap_area(dom, a, &self.kept);
        }
        self.unpin_areas(0, u64::MAX);
    }

    /// Sets the IOVA alignment to what the attached domains need (their
    /// smallest page), or byte alignment when none is attached.
    pub(crate) fn recompute_alignment(&mut self) {
        let align = self
            .domains
            .iter()
            .map(|d| 1u64 << d.geometry().pgsize_bitmap.trailing_zeros().min(63))
            .max()
            .unwrap_or(1);
        // Lowering the alignment cannot fail.
        let _ = self.space.set_iova_alignment(align, &mut cond_resched);
    }

    /// Unmaps whole areas in `[iova, iova + len)`: first from every domain
    /// (the IOTLB is clean when that returns), then drops their pins.
    /// Returns bytes.
    fn unmap(&mut self, iova: u64, len: u64) -> Result<u64> {
        let IoasState {
            space,
            domains,
            kept,
            ..
        } = self;
        space
            .unmap(iova, len, &mut |a| unmap_from_domains(domains, a, kept))
            .map_err(kerr)
    }

    /// A stamp for the areas of one command, unique in this IOAS.
    fn new_stamp(&mut self) -> u64 {
        self.last_stamp = self.last_stamp.wrapping_add(1);
        self.last_stamp
    }

    /// Unmaps, as [`Self::unmap`] does, each area in `[iova, iova + len)`
    /// stamped `stamp`, and no other.
    fn unmap_stamped(&mut self, iova: u64, len: u64, stamp: u64) {
        let last = iova + (len - 1);
        let mut from = iova;
        loop {
            let found = self
                .space
                .areas_in(from, last)
                .find(|a| a.data.stamp == stamp)
                .map(|a| (a.start, a.len()));
            let Some((start, n)) = found else {
                break;
            };
            // Exactly this area's range: it removes this area alone.
            let _ = self.unmap(start, n);
            match start.checked_add(n) {
                Some(next) if next <= last => from = next,
                _ => break,
            }
        }
    }

    /// Unmaps every area, as [`Self::unmap`] does.
    fn unmap_all(&mut self) -> u64 {
        let IoasState {
            space,
            domains,
            kept,
            ..
        } = self;
        space.unmap_all(&mut |a| unmap_from_domains(domains, a, kept))
    }
}

/// Unmaps area `a` from `dom`, which maps it; `a` holds a pin. If the
/// domain unmaps less than the area, part of it may still be mapped, so the
/// area's pages are kept pinned (`kept`): the pin the caller drops next is
/// then not the last.
fn unmap_area(dom: &Domain, a: &Area<AreaPages>, kept: &KeptPages) {
    if dom.unmap(a.start, a.len()).is_err() {
        kept.keep(&a.data.pages);
    }
}

/// Unmaps an area leaving the IOAS from every domain, then drops its pin
/// (which it holds when there are domains).
fn unmap_from_domains(domains: &[Arc<Domain>], a: Area<AreaPages>, kept: &KeptPages) {
    // Once per area of UNMAP and of unmap-all (the file's close).
    cond_resched();
    for d in domains {
        unmap_area(d, &a, kept);
    }
    if !domains.is_empty() {
        a.data.pages.unpin();
    }
}

/// `IOMMU_IOAS_MAP_*` flags to access rights.
fn prot(flags: u32) -> Prot {
    Prot {
        read: flags & uapi::MAP_READABLE != 0,
        write: flags & uapi::MAP_WRITEABLE != 0,
    }
}

/// Where a MAP, MAP_FILE or COPY goes: the fixed IOVA, or one allocated
/// keeping the alignment of `hint`.
fn placement(flags: u32, iova: u64, hint: u64) -> Placement {
    if flags & uapi::MAP_FIXED_IOVA != 0 {
        Placement::Fixed(iova)
    } else {
        Placement::Alloc { user_addr: hint }
    }
}

/// The checks MAP, MAP_FILE and COPY share, in upstream's order.
fn check_map_flags(flags: u32, reserved: u32, iovas: &[u64]) -> Result {
    let known = uapi::MAP_FIXED_IOVA | uapi::MAP_WRITEABLE | uapi::MAP_READABLE;
    if flags & !known != 0 || reserved != 0 {
        return Err(EOPNOTSUPP);
    }
    if iovas.contains(&u64::MAX) {
        return Err(EOVERFLOW);
    }
    if flags & (uapi::MAP_WRITEABLE | uapi::MAP_READABLE) == 0 {
        return Err(EINVAL);
    }
    Ok(())
}

/// IOMMU_IOAS_ALLOC. The id is answered under the table lock so that a
/// failed answer removes exactly the object it created.
pub(crate) fn alloc(f: &IommufdFile, ucmd: &UserCmd, mut cmd: uapi::IommuIoasAlloc) -> Result {
    if cmd.flags != 0 {
        return Err(EOPNOTSUPP);
    }
    let ioas = IoasObject::new()?;
    // No IOAS appears while IOMMU_IOAS_CHANGE_PROCESS holds them all.
    let _creation = f.lock_ioas_creation();
    f.publish(Object::Ioas(ioas), |id| {
        cmd.out_ioas_id = id;
        ucmd.respond(&cmd)
    })
    .map(drop)
}

/// IOMMU_IOAS_IOVA_RANGES: the holes of the reserved set, two-pass.
pub(crate) fn iova_ranges(
    f: &IommufdFile,
    ucmd: &UserCmd,
    mut cmd: uapi::IommuIoasIovaRanges,
) -> Result {
    if cmd.__reserved != 0 {
        return Err(EOPNOTSUPP);
    }
    let ioas = f.get::<IoasObject>(cmd.ioas_id)?;
    let st = ioas.state.lock();
    let max = cmd.num_iovas;
    let mut count: u32 = 0;
    for (start, last) in st.space.iova_ranges() {
        if count < max {
            let elm = uapi::IommuIovaRange::from(bindings::iommu_iova_range { start, last });
            let at = user_ptr(cmd.allowed_iovas, u64::from(count), 16)?;
            UserSlice::new(at, 16).writer().write(&elm)?;
        }
        count = count.saturating_add(1);
    }
    cmd.num_iovas = count;
    cmd.out_iova_alignment = st.space.iova_alignment();
    drop(st);
    ucmd.respond(&cmd)?;
    if count > max {
        return Err(EMSGSIZE);
    }
    Ok(())
}

/// IOMMU_IOAS_CHANGE_PROCESS: makes the caller the owner of the pages of
/// every area of every IOAS of the file, as upstream's
/// `iommufd_ioas_change_process()`: their charge against `RLIMIT_MEMLOCK`
/// moves to the caller's user or mm (in the mode each was charged in), their
/// `pinned_vm` (VmPin) count to its mm, all or nothing.
///
/// `EOPNOTSUPP` for a nonzero `__reserved`; `EINVAL` if any area maps user
/// memory (IOMMU_IOAS_MAP) rather than a file's (IOMMU_IOAS_MAP_FILE), whose
/// pages the caller's address space does not have; `ENOMEM` if the caller's
/// `RLIMIT_MEMLOCK` cannot take the charge (whatever its capabilities), or
/// out of memory. On error nothing changed. Upstream's `EBUSY` for an area
/// without pages cannot happen: every area here has its pages.
///
/// Locking: the file's IOAS creation lock, then (taking the table lock
/// only to list them) every IOAS lock, in id order, nested under it, so no
/// command changes any IOAS's areas meanwhile; then each pages' lock in
/// turn. Each pages counts once, however many areas share it (COPY).
pub(crate) fn change_process(f: &IommufdFile, cmd: uapi::IommuIoasChangeProcess) -> Result {
    if cmd.__reserved != 0 {
        return Err(EOPNOTSUPP);
    }
    // Declared first, so dropped last: an IOAS destroyed meanwhile is
    // freed here, with every lock released.
    let mut ioases: KVVec<Arc<IoasObject>> = KVVec::new();
    let creation = f.lock_ioas_creation();
    {
        let st = f.lock();
        ioases.reserve(st.objects.ioases().count(), GFP_KERNEL_ACCOUNT)?;
        for ioas in st.objects.ioases() {
            // Cannot allocate: reserved above.
            ioases.push(ioas.clone(), GFP_KERNEL_ACCOUNT)?;
        }
    }
    let mut locked = KVVec::with_capacity(ioases.len(), GFP_KERNEL_ACCOUNT)?;
    for ioas in ioases.iter() {
        // Cannot allocate: reserved above.
        locked.push(lock_nested(&ioas.state, &creation), GFP_KERNEL_ACCOUNT)?;
    }
    let areas = || locked.iter().flat_map(|st| st.space.areas_in(0, u64::MAX));
    if areas().any(|a| !a.data.pages.is_file()) {
        return Err(EINVAL);
    }
    // Each pages once: sorted by address, duplicates (areas COPY made from
    // one mapping) dropped.
    let mut all: KVVec<Arc<Pages>> = KVVec::new();
    for a in areas() {
        cond_resched();
        all.push(a.data.pages.clone(), GFP_KERNEL_ACCOUNT)?;
    }
    all.sort_unstable_by_key(|p| Arc::as_ptr(p) as usize);
    let mut prev = core::ptr::null();
    all.retain(|p| {
        let this = Arc::as_ptr(p);
        core::mem::replace(&mut prev, this) != this
    });
    let mut owner = NewOwner::current()?;
    let (mut user_pages, mut mm_pages) = (0usize, 0usize);
    for p in all.iter() {
        match owner.charge_needed(p) {
            Some((Account::User, n)) => user_pages = user_pages.checked_add(n).ok_or(ENOMEM)?,
            Some((Account::Mm, n)) => mm_pages = mm_pages.checked_add(n).ok_or(ENOMEM)?,
            None => {}
        }
    }
    owner.charge(user_pages, mm_pages)?;
    for p in all.iter() {
        cond_resched();
        owner.take(p);
    }
    drop(locked);
    drop(creation);
    Ok(())
}

/// IOMMU_IOAS_ALLOW_IOVAS: replace the allowed ranges.
pub(crate) fn allow_iovas(f: &IommufdFile, cmd: uapi::IommuIoasAllowIovas) -> Result {
    if cmd.__reserved != 0 {
        return Err(EOPNOTSUPP);
    }
    let ioas = f.get::<IoasObject>(cmd.ioas_id)?;
    // One range at a time, checked as it is read (upstream's order: EFAULT,
    // then EINVAL, then ENOMEM for each range), so the memory taken is what
    // was read: `num_iovas` alone, up to 2^32 - 1, reserves nothing.
    let mut allowed = AllowedRanges::<KernelAlloc>::new();
    for i in 0..u64::from(cmd.num_iovas) {
        let at = user_ptr(cmd.allowed_iovas, i, 16)?;
        let r = UserSlice::new(at, 16)
            .reader()
            .read::<uapi::IommuIovaRange>()?;
        allowed.add(r.start, r.last).map_err(kerr)?;
    }
    let result = ioas
        .state
        .lock()
        .space
        .replace_allowed(allowed)
        .map_err(kerr);
    result
}

/// What MAP and MAP_FILE ask for, once their flags are checked.
struct MapRequest {
    ioas_id: u32,
    flags: u32,
    /// The IOVA for a fixed map.
    iova: u64,
    len: u64,
    /// The user address (file offset) of the first byte: an allocated IOVA
    /// keeps its alignment, and so does a later COPY from the area. Its
    /// offset in its page is the area's page offset (`Pages` keeps the same
    /// offset: `uaddr & ~PAGE_MASK`, `start & ~PAGE_MASK`).
    hint: u64,
}

/// MAP and MAP_FILE after their flag checks: place, check and charge the
/// memory with `prepare`, insert it as one area, pin it and fill the
/// domains if there are any, answer with `answer`.
fn map_pinned(
    f: &IommufdFile,
    req: MapRequest,
    prepare: impl FnOnce(bool, Account) -> Result<Arc<Pages>>,
    answer: impl FnOnce(u64) -> Result,
) -> Result {
    let MapRequest {
        ioas_id,
        flags,
        iova,
        len,
        hint,
    } = req;
    let ioas = f.get::<IoasObject>(ioas_id)?;
    let place = placement(flags, iova, hint);
    let page_offset = hint % PAGE_SIZE;
    let p = prot(flags);
    let mut st = ioas.state.lock();
    if st.domains.is_empty() {
        // Nothing to pin: place (refusing a bad placement before charging
        // anything), charge and insert in one critical section.
        let stamp = st.new_stamp();
        let slot = st.space.slot(place, len, page_offset).map_err(kerr)?;
        let area = AreaPages {
            pages: prepare(p.write, f.account())?,
            offset: 0,
            uaddr: hint,
            stamp,
        };
        let iova = slot.fill(p, area).map_err(kerr)?;
        return ioas.fill_and_answer(st, iova, len, stamp, answer);
    }
    st.space.probe(place, len, page_offset).map_err(kerr)?;
    drop(st);
    let pages = prepare(p.write, f.account())?;
    // With domains, pin before taking the lock again, so that pinning a
    // large map does not hold up the IOAS's other commands; the area's own
    // pin, under the lock, then only counts. If this fails, the pin under
    // the lock (if there are still domains) gives the answer. The insert
    // checks the placement again: another thread may have mapped there.
    let prepinned = pages.pin().is_ok();
    let mut st = ioas.state.lock();
    let stamp = st.new_stamp();
    let area = AreaPages {
        pages: pages.clone(),
        offset: 0,
        uaddr: hint,
        stamp,
    };
    let result = match st.space.map(place, len, page_offset, p, area).map_err(kerr) {
        Ok(iova) => ioas.fill_and_answer(st, iova, len, stamp, answer),
        Err(e) => {
            drop(st);
            Err(e)
        }
    };
    if prepinned {
        pages.unpin();
    }
    result
}

/// IOMMU_IOAS_MAP: map user memory.
pub(crate) fn map(f: &IommufdFile, ucmd: &UserCmd, mut cmd: uapi::IommuIoasMap) -> Result {
    check_map_flags(cmd.flags, cmd.__reserved, &[cmd.iova, cmd.length])?;
    let (va, len) = (cmd.user_va, cmd.length);
    let req = MapRequest {
        ioas_id: cmd.ioas_id,
        flags: cmd.flags,
        iova: cmd.iova,
        len,
        hint: va,
    };
    map_pinned(
        f,
        req,
        |write, acct| Pages::user(va, len, write, acct),
        |iova| {
            cmd.iova = iova;
            ucmd.respond(&cmd)
        },
    )
}

/// IOMMU_IOAS_MAP_FILE: map a range of a memfd.
pub(crate) fn map_file(f: &IommufdFile, ucmd: &UserCmd, mut cmd: uapi::IommuIoasMapFile) -> Result {
    check_map_flags(cmd.flags, 0, &[cmd.iova, cmd.length])?;
    let (fd, start, len) = (cmd.fd, cmd.start, cmd.length);
    let req = MapRequest {
        ioas_id: cmd.ioas_id,
        flags: cmd.flags,
        iova: cmd.iova,
        len,
        hint: start,
    };
    map_pinned(
        f,
        req,
        |write, acct| Pages::memfd(fd, start, len, write, acct),
        |iova| {
            cmd.iova = iova;
            ucmd.respond(&cmd)
        },
    )
}

/// IOMMU_IOAS_COPY: map memory already mapped in one IOAS into another
/// (or the same), sharing its pages.
pub(crate) fn copy(f: &IommufdFile, ucmd: &UserCmd, mut cmd: uapi::IommuIoasCopy) -> Result {
    check_map_flags(cmd.flags, 0, &[cmd.length, cmd.src_iova, cmd.dst_iova])?;
    let p = prot(cmd.flags);
    let src = f.get::<IoasObject>(cmd.src_ioas_id)?;
    // The source's pieces: usually one area, kept without an allocation;
    // the rest, if any, in `more`. Each keeps the page offset of its first
    // byte, which the destination checks as MAP's.
    let mut first: Option<Part<AreaPages>> = None;
    let mut more: KVVec<Part<AreaPages>> = KVVec::new();
    src.state
        .lock()
        .space
        .slices(cmd.src_iova, cmd.length, &mut |sl| {
            let part = Part {
                len: sl.len,
                page_offset: sl.page_offset(),
                data: AreaPages {
                    pages: sl.area.data.pages.clone(),
                    offset: sl.area.data.offset + sl.offset,
                    uaddr: sl.area.data.uaddr.wrapping_add(sl.offset),
                    // Set in the destination, under its lock.
                    stamp: 0,
                },
            };
            if first.is_none() {
                first = Some(part);
                return Ok(());
            }
            more.push(part, GFP_KERNEL_ACCOUNT)
                .map_err(|_| Errno::NoMem)
        })
        .map_err(kerr)?;
    drop(src);
    let writable = |part: &Part<AreaPages>| part.data.pages.writable();
    if p.write && (first.iter().any(|x| !writable(x)) || more.iter().any(|x| !writable(x))) {
        return Err(EPERM);
    }
    let dst = f.get::<IoasObject>(cmd.dst_ioas_id)?;
    let hint = first.as_ref().map_or(0, |part| part.data.uaddr);
    let place = placement(cmd.flags, cmd.dst_iova, hint);
    let mut it = Iterator::chain(first.into_iter(), more.drain_all());
    let mut st = dst.state.lock();
    let stamp = st.new_stamp();
    let mut next_part = || {
        it.next().map(|mut part| {
            part.data.stamp = stamp;
            part
        })
    };
    let iova = st
        .space
        .map_parts(place, cmd.length, p, &mut next_part)
        .map_err(kerr)?;
    dst.fill_and_answer(st, iova, cmd.length, stamp, |iova| {
        cmd.dst_iova = iova;
        ucmd.respond(&cmd)
    })
}

/// IOMMU_IOAS_UNMAP: whole areas, or everything with iova 0 and length
/// `u64::MAX`. The areas' pins go with them.
pub(crate) fn unmap(f: &IommufdFile, ucmd: &UserCmd, mut cmd: uapi::IommuIoasUnmap) -> Result {
    let ioas = f.get::<IoasObject>(cmd.ioas_id)?;
    let bytes = if cmd.iova == 0 && cmd.length == u64::MAX {
        ioas.state.lock().unmap_all()
    } else {
        if cmd.iova == u64::MAX || cmd.length == u64::MAX {
            return Err(EOVERFLOW);
        }
        ioas.state.lock().unmap(cmd.iova, cmd.length)?
    };
    cmd.length = bytes;
    ucmd.respond(&cmd)
}
