// SPDX-License-Identifier: GPL-2.0

//! User memory behind IOAS areas, in two steps, because a mapping needs its
//! pages pinned only while a domain maps it (upstream iommufd,
//! `drivers/iommu/iommufd/pages.c`, pins on the same demand):
//!
//! - IOMMU_IOAS_MAP and MAP_FILE make one [`Pages`]: they check the request
//!   (the user range is in the user's address space; the file is a memfd,
//!   large enough, writable for a writable map) and charge it to
//!   `user->locked_vm` ([`Account::User`]) or `mm->locked_vm`
//!   ([`Account::Mm`]) against `RLIMIT_MEMLOCK`, unless the caller has
//!   `CAP_IPC_LOCK`;
//! - every area IOAS_COPY makes from it shares it (through `Arc`); each
//!   area in an IOAS with domains holds one pin ([`Pages::pin`],
//!   [`Pages::unpin`]): the first pins the pages (`pin_user_pages_fast()`
//!   or, from another task, `pin_user_pages_remote()`, with
//!   `FOLL_LONGTERM`; or `memfd_pin_folios()`), the last unpins them;
//!   `mm->pinned_vm` (VmPin) counts them while they are pinned. The charge
//!   goes with the last area.
//!
//! Upstream charges when it pins. Charging at map instead answers
//! `RLIMIT_MEMLOCK` in the command that asks for the memory, so attaching a
//! device never fails on the limit, and the charge covers every pin the
//! mapping may later hold.
//!
//! Pinned pages are kept as runs of contiguous pages, not one pointer per
//! page ([`PinnedRuns`]): a domain maps each run with one `iommu_map()`
//! call, and a hugetlb folio costs one GUP call and one run whatever its
//! size. Release may run in any task (unmap, close, exit): it uses the
//! user, mm and file recorded at map time (or moved to since by
//! IOMMU_IOAS_CHANGE_PROCESS, [`NewOwner`]), never current's.

use crate::kernel_ext::{
    capability::{
        capable,
        Capability, //
    },
    gup::PinnedRuns,
    locked_vm::{
        LockedVm,
        PinnedVm, //
    },
    memfd::Memfd,
    uaccess::access_ok,
    user::User,
};
use kernel::{
    bindings,
    mm::Mm,
    new_mutex,
    page::{
        PAGE_MASK,
        PAGE_SHIFT, //
    },
    prelude::*,
    sync::{
        aref::ARef,
        Arc,
        Mutex, //
    },
};

/// Where pages are charged (IOMMU_OPTION_RLIMIT_MODE).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Account {
    /// `user->locked_vm` (the default, upstream's `IOPT_PAGES_ACCOUNT_USER`).
    User = 0,
    /// `mm->locked_vm` (VFIO's way, upstream's `IOPT_PAGES_ACCOUNT_MM`).
    Mm = 1,
}

/// What the pages are of.
enum Memory {
    /// The user memory from the page-aligned `uaddr` (MAP).
    User { uaddr: usize },
    /// A memfd range (MAP_FILE): `start` is the page-aligned offset of the
    /// first page, `last` that of the range's last byte. For a writable
    /// map the file counts a writable shared mapping.
    Memfd { file: Memfd, start: u64, last: u64 },
}

/// The areas' pins of a [`Pages`], and the process they are accounted to
/// (which IOMMU_IOAS_CHANGE_PROCESS changes). Fields drop in order: the
/// pins (unpinning) before the charge and the mm.
struct Pins {
    /// How many areas in IOASes with domains need the pages.
    count: usize,
    /// The pinned pages and their `pinned_vm` count, while `count` is not 0.
    /// Shared, so the domains map them without this lock held: a checker
    /// reads them under a domain's page-table lock, which a map takes.
    pinned: Option<(Arc<PinnedRuns>, PinnedVm)>,
    /// The charge, or `None` with `CAP_IPC_LOCK` at map time (upstream's
    /// `IOPT_PAGES_ACCOUNT_NONE`).
    charge: Option<LockedVm>,
    /// The mm whose `pinned_vm` counts the pages while they are pinned,
    /// and, for user memory, the mm they are pinned from: the mapping
    /// process's, or the one IOMMU_IOAS_CHANGE_PROCESS moved them to.
    mm: ARef<Mm>,
}

/// The memory of one MAP or MAP_FILE: checked and charged when this is
/// made, pinned while areas need it, unpinned, uncharged and its
/// references dropped when this is dropped. Fields drop in order: the pins
/// (unpinning) before the charge and the mm, then the file (its writable
/// mapping), as upstream's `iopt_release_pages()` does.
#[pin_data]
pub(crate) struct Pages {
    /// Locking: taken with the area's IOAS lock (or, by
    /// IOMMU_IOAS_CHANGE_PROCESS, every IOAS lock of the file) and a
    /// domain's page-table lock held if any (the test-only checker), before
    /// the mm's mmap lock (which GUP takes); never held across a call into
    /// a domain.
    #[pin]
    pins: Mutex<Pins>,
    memory: Memory,
    /// Pages the mapping spans.
    npages: usize,
    /// Byte offset of the mapping's start within its first page.
    offset: u64,
    /// Pinned for device writes (`FOLL_WRITE`, or a writable file).
    writable: bool,
}

/// Pages spanned by the `length` bytes from `start`: `length > 0` and
/// `start + length - 1` does not wrap.
fn span_pages(start: u64, length: u64) -> usize {
    (((start + (length - 1)) >> PAGE_SHIFT) - (start >> PAGE_SHIFT) + 1) as usize
}

/// The current task's mm, which the mapping pins from: `EFAULT` for a
/// kernel thread.
fn current_mm() -> Result<ARef<Mm>> {
    let task = current!();
    let mm = task.mm().ok_or(EFAULT)?;
    Ok(ARef::from(&**mm))
}

/// Charges `npages` as `acct` says, unless the caller has `CAP_IPC_LOCK`.
fn charge(mm: &ARef<Mm>, npages: usize, acct: Account) -> Result<Option<LockedVm>> {
    if capable(Capability::IpcLock) {
        return Ok(None);
    }
    match acct {
        Account::Mm => LockedVm::charge_mm(mm.clone(), npages),
        Account::User => LockedVm::charge_user(User::current(), npages),
    }
    .map(Some)
}

impl Pages {
    /// Charges `length` bytes of the caller's memory at `uaddr`.
    ///
    /// As upstream, the memory itself is not looked at until it is pinned:
    /// what GUP refuses (a hole, read-only memory for a writable map,
    /// VM_IO) fails then, with GUP's error. `EOVERFLOW` for an empty or
    /// wrapping range, `EFAULT` beyond the user's address space, `ENOMEM`
    /// over `RLIMIT_MEMLOCK` or out of memory. On error nothing stays
    /// charged.
    pub(crate) fn user(
        uaddr: u64,
        length: u64,
        writable: bool,
        acct: Account,
    ) -> Result<Arc<Self>> {
        let uaddr = usize::try_from(uaddr).map_err(|_| EOVERFLOW)?;
        let length = usize::try_from(length).map_err(|_| EOVERFLOW)?;
        if length == 0 || uaddr.checked_add(length - 1).is_none() {
            return Err(EOVERFLOW);
        }
        let mm = current_mm()?;
        // Nothing beyond the user's address space can be pinned.
        if !access_ok(uaddr, length) {
            return Err(EFAULT);
        }
        let npages = span_pages(uaddr as u64, length as u64);
        let charge = charge(&mm, npages, acct)?;
        Self::new(
            Memory::User {
                uaddr: uaddr & PAGE_MASK,
            },
            charge,
            mm,
            npages,
            (uaddr & !PAGE_MASK) as u64,
            writable,
        )
    }

    /// Checks and charges `length` bytes at `start` of the memfd `fd`.
    ///
    /// A writable map is a writable shared mapping of the file, as `mmap()`
    /// makes one: refused if the memfd is sealed against writes
    /// (`F_SEAL_WRITE` or `F_SEAL_FUTURE_WRITE`, as
    /// `memfd_check_seals_mmap()` refuses `PROT_WRITE` `MAP_SHARED`), and
    /// it holds the mapping's writable count until the pages are dropped,
    /// so a later `F_SEAL_WRITE` fails with `EBUSY` instead of sealing
    /// memory devices may still write.
    ///
    /// `EOVERFLOW` for an empty or wrapping range; `EBADF` for a bad fd;
    /// `EINVAL` if it is not a memfd or the range runs past its end;
    /// `EPERM` for a writable map of a read-only or write-sealed file;
    /// `ENOMEM` as for user memory. On error nothing stays charged.
    pub(crate) fn memfd(
        fd: i32,
        start: u64,
        length: u64,
        writable: bool,
        acct: Account,
    ) -> Result<Arc<Self>> {
        if length == 0 {
            return Err(EOVERFLOW);
        }
        let last = start.checked_add(length - 1).ok_or(EOVERFLOW)?;
        let mm = current_mm()?;
        let mut file = Memfd::fget(fd)?;
        let write_sealed = bindings::F_SEAL_WRITE | bindings::F_SEAL_FUTURE_WRITE;
        if writable && (!file.open_for_write() || file.seals() & write_sealed != 0) {
            return Err(EPERM);
        }
        if last >= file.size() {
            return Err(EINVAL);
        }
        if writable {
            // `EPERM` if F_SEAL_WRITE came after the check above.
            file.map_writable()?;
        }
        let npages = span_pages(start, length);
        let charge = charge(&mm, npages, acct)?;
        Self::new(
            Memory::Memfd {
                file,
                start: start & PAGE_MASK as u64,
                last,
            },
            charge,
            mm,
            npages,
            start & !PAGE_MASK as u64,
            writable,
        )
    }

    /// One allocation holding everything but the runs, which pinning
    /// allocates.
    fn new(
        memory: Memory,
        charge: Option<LockedVm>,
        mm: ARef<Mm>,
        npages: usize,
        offset: u64,
        writable: bool,
    ) -> Result<Arc<Self>> {
        Arc::pin_init(
            pin_init!(Self {
                pins <- new_mutex!(Pins {
                    count: 0,
                    pinned: None,
                    charge,
                    mm,
                }),
                memory,
                npages,
                offset,
                writable,
            }),
            GFP_KERNEL_ACCOUNT,
        )
    }

    /// Pins the pages (not pinned); user memory from `mm`.
    fn pin_pages(&self, mm: &ARef<Mm>) -> Result<PinnedRuns> {
        match &self.memory {
            Memory::User { uaddr } => PinnedRuns::pin_user(mm, *uaddr, self.npages, self.writable),
            Memory::Memfd { file, start, last } => {
                PinnedRuns::pin_memfd(file, *start, *last, self.npages, self.writable)
            }
        }
    }

    /// Takes a pin for one area: the first pins the pages. On error the
    /// count and the pages are as they were: `EFAULT` (or another GUP or
    /// memfd error) if a page cannot be pinned, for instance because the
    /// user unmapped it since IOMMU_IOAS_MAP; `ENOMEM`.
    pub(crate) fn pin(&self) -> Result {
        let mut pins = self.pins.lock();
        if pins.count == 0 {
            let runs = Arc::new(self.pin_pages(&pins.mm)?, GFP_KERNEL_ACCOUNT)?;
            let counted = PinnedVm::add(pins.mm.clone(), runs.npages());
            pins.pinned = Some((runs, counted));
        }
        pins.count += 1;
        Ok(())
    }

    /// Drops one area's pin: the last unpins the pages. No domain may map
    /// them any more for that area.
    pub(crate) fn unpin(&self) {
        let mut pins = self.pins.lock();
        match pins.count {
            0 => pr_warn!("iommufd_rs: unbalanced unpin\n"),
            1 => {
                pins.count = 0;
                // Unpins (no domain maps them, so no `for_each_run` holds
                // them), then uncounts them from `pinned_vm`.
                pins.pinned = None;
            }
            _ => pins.count -= 1,
        }
    }

    /// Keeps the pages pinned for an area a domain could not fully unmap
    /// ([`crate::domain::StillMapped`]): a device may still reach them, and
    /// a page a device can reach must never go back to the allocator, while
    /// a pinned one is merely held too long. Takes one more pin (the
    /// caller's area holds one, so this only counts) and returns the
    /// reference that holds it: while that lives, neither the last area's
    /// unpin nor the drop unpins them. `None` if they are not pinned (no
    /// domain can map them: nothing to keep).
    pub(crate) fn keep_pinned(self: &Arc<Self>) -> Option<Arc<Self>> {
        let mut pins = self.pins.lock();
        if pins.count == 0 {
            pr_warn!("iommufd_rs: keeping pages that are not pinned\n");
            return None;
        }
        pins.count += 1;
        Some(self.clone())
    }

    /// Whether these are a file's pages (MAP_FILE), which
    /// IOMMU_IOAS_CHANGE_PROCESS can move to another process: pinning them
    /// never looks at the mapping process's address space.
    pub(crate) fn is_file(&self) -> bool {
        matches!(self.memory, Memory::Memfd { .. })
    }

    /// Whether devices may write these pages.
    pub(crate) fn writable(&self) -> bool {
        self.writable
    }

    /// The pinned pages: `EINVAL` if they are not pinned.
    fn runs(&self) -> Result<Arc<PinnedRuns>> {
        let pins = self.pins.lock();
        let (runs, _) = pins.pinned.as_ref().ok_or(EINVAL)?;
        Ok(runs.clone())
    }

    /// Byte offset of the mapping's first byte within its first page.
    pub(crate) fn first_byte_offset(&self) -> u64 {
        self.offset
    }

    /// Calls `f(phys, npages)` for each physically contiguous run covering
    /// pages `first..=last` of the mapping, in order, cut at run
    /// boundaries and to the pages asked for; for a domain to map, while
    /// the caller holds a pin. `EINVAL` if the pages are not pinned or
    /// `last` is not a page of the mapping; stops at `f`'s first error and
    /// returns it. `f` runs without the pins' lock held.
    pub(crate) fn for_each_run(
        &self,
        first: u64,
        last: u64,
        mut f: impl FnMut(u64, u64) -> Result,
    ) -> Result {
        let first = usize::try_from(first).map_err(|_| EINVAL)?;
        let last = usize::try_from(last).map_err(|_| EINVAL)?;
        self.runs()?
            .for_each_run(first, last, |phys, n| f(phys, n as u64))
    }

    /// Where the byte at `offset` from the mapping's first byte is: its
    /// physical address, and how many bytes from it are physically
    /// contiguous in its run. `EINVAL` if the pages are not pinned or the
    /// offset is not theirs. For the test-only checker
    /// (`src/check.rs`), which must not share the map path's lookup.
    #[cfg_attr(not(iommufd_rs_test), allow(dead_code))]
    pub(crate) fn phys_at(&self, offset: u64) -> Result<(u64, u64)> {
        let at = self.offset.checked_add(offset).ok_or(EINVAL)?;
        let idx = usize::try_from(at >> PAGE_SHIFT).map_err(|_| EINVAL)?;
        let in_page = at & !PAGE_MASK as u64;
        let (phys, pages) = self.runs()?.page_at(idx).ok_or(EINVAL)?;
        Ok((phys + in_page, ((pages as u64) << PAGE_SHIFT) - in_page))
    }
}

/// Whether `a` and `b` are the same mm.
fn same_mm(a: &Mm, b: &Mm) -> bool {
    core::ptr::eq(a.as_raw(), b.as_raw())
}

/// The calling process, as IOMMU_IOAS_CHANGE_PROCESS makes it the owner of
/// a file's pages, and the charge it takes for them first (upstream's
/// `charge_current()`, `need_charge_update()` and `change_mm()`).
pub(crate) struct NewOwner {
    mm: ARef<Mm>,
    user: ARef<User>,
    /// What [`Self::charge`] charged to `user->locked_vm`, handed out to
    /// the pages by [`Self::take`].
    user_charge: Option<LockedVm>,
    /// What [`Self::charge`] charged to `mm->locked_vm`, likewise.
    mm_charge: Option<LockedVm>,
}

impl NewOwner {
    /// The calling process: `EFAULT` for a kernel thread.
    pub(crate) fn current() -> Result<Self> {
        Ok(Self {
            mm: current_mm()?,
            user: User::current(),
            user_charge: None,
            mm_charge: None,
        })
    }

    /// What moving `pins`' pages to this owner charges, as upstream's
    /// `need_charge_update()`: nothing for uncharged pages; for a charge to
    /// an mm, when the mm changes; for one to a user, when the user or the
    /// mm changes (upstream counts its pins in the mm too, so it charges
    /// the user anew even when only the mm changes).
    fn needs(&self, pins: &Pins) -> Option<(Account, usize)> {
        let charge = pins.charge.as_ref()?;
        let mm_changes = !same_mm(&pins.mm, &self.mm);
        match charge.user() {
            Some(user) if mm_changes || !core::ptr::eq(user, &*self.user) => {
                Some((Account::User, charge.npages()))
            }
            Some(_) => None,
            None if mm_changes => Some((Account::Mm, charge.npages())),
            None => None,
        }
    }

    /// What moving `pages` to this owner charges (see [`Self::needs`]).
    pub(crate) fn charge_needed(&self, pages: &Pages) -> Option<(Account, usize)> {
        self.needs(&pages.pins.lock())
    }

    /// Charges `user_pages` to the caller's `user->locked_vm` and
    /// `mm_pages` to its `mm->locked_vm`, each against its
    /// `RLIMIT_MEMLOCK` whatever its capabilities (as upstream's
    /// `charge_current()`): `ENOMEM` over the limit, and then nothing is
    /// charged.
    pub(crate) fn charge(&mut self, user_pages: usize, mm_pages: usize) -> Result {
        let user_charge = match user_pages {
            0 => None,
            n => Some(LockedVm::charge_user(self.user.clone(), n)?),
        };
        // On error the user's charge drops, uncharged.
        let mm_charge = match mm_pages {
            0 => None,
            n => Some(LockedVm::charge_mm_within_limit(self.mm.clone(), n)?),
        };
        self.user_charge = user_charge;
        self.mm_charge = mm_charge;
        Ok(())
    }

    /// Makes this owner the owner of `pages`: their charge, if
    /// [`Self::needs`] says it moves, is replaced by its share of what
    /// [`Self::charge`] charged (the old one is returned to its user or
    /// mm), their `pinned_vm` count moves to this owner's mm, and later pins
    /// count there. Once for each pages, after [`Self::charge`] charged
    /// what [`Self::charge_needed`] said of each: a share that is not there
    /// (a bug) leaves the charge where it was.
    pub(crate) fn take(&mut self, pages: &Pages) {
        let mut pins = pages.pins.lock();
        let mut old_charge = None;
        if let Some((acct, n)) = self.needs(&pins) {
            let total = match acct {
                Account::User => &mut self.user_charge,
                Account::Mm => &mut self.mm_charge,
            };
            match total.as_mut().and_then(|t| t.split(n)) {
                Some(share) => old_charge = pins.charge.replace(share),
                None => pr_warn!("iommufd_rs: change_process: charge missing\n"),
            }
        }
        if let Some((_, counted)) = pins.pinned.as_mut() {
            if !same_mm(counted.mm(), &self.mm) {
                counted.move_to(self.mm.clone());
            }
        }
        let old_mm = core::mem::replace(&mut pins.mm, self.mm.clone());
        drop(pins);
        // Uncharged with the lock released (an mm's charge takes its mmap
        // lock).
        drop(old_charge);
        drop(old_mm);
    }
}

/// Whether the caller has `CAP_SYS_RESOURCE`.
pub(crate) fn capable_sys_resource() -> bool {
    capable(Capability::SysResource)
}
