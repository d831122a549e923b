// SPDX-License-Identifier: GPL-2.0

//! The hardware layer, wrapped so the rest of the driver is safe Rust: the
//! registers through the kernel crate's device-managed MMIO, coherent DMA
//! buffers that free themselves, table pages accessed in Rust, the C
//! services of `helpers.c`, and the lists of bound SMMUs and live domains.

use crate::debugfs::{
    count,
    DMA_BYTES,
    HOST_EVENTS,
    STAGE2_FAULTS,
    TABLE_PAGES, //
};
use crate::s2_domain::S2Domain;
use crate::smmu::Smmu;
use crate::spec::event::Event;
use core::ptr::NonNull;
use core::sync::atomic::{
    AtomicBool,
    Ordering, //
};
use kernel::bindings;
use kernel::device::Device;
use kernel::dma::Coherent;
use kernel::ffi::{
    c_char,
    c_void, //
};
use kernel::io::{
    mem::DevresIoMem,
    Io, //
};
use kernel::prelude::*;
use kernel::sync::aref::ARef;
use kernel::sync::Arc;
use kernel::time::msecs_to_jiffies;
use kernel::workqueue::{
    self,
    DelayedWork,
    WorkItem, //
};

// `helpers.c`: what smmu_rs keeps in C (macros and static inlines the
// bindings lack), each with its reason there.
#[allow(improper_ctypes)]
extern "C" {
    fn smmu_rs_table_alloc(va: *mut *mut c_void) -> u64;
    fn smmu_rs_table_free(pa: u64);
    fn smmu_rs_log_event(
        dev: *mut bindings::device,
        id: u32,
        name: *const c_char,
        sid: u32,
        addr: u64,
        ipa: u64,
        read: bool,
        stage2: bool,
        raw: *const u64,
    );
    fn smmu_rs_log(dev: *mut bindings::device, msg: *const c_char, a: u64, b: u64);
    fn smmu_rs_log_refusal(dev: *mut bindings::device, what: *const c_char, why: *const c_char);
    fn smmu_rs_cond_resched();
    fn smmu_rs_dev_is_dma_coherent(dev: *mut bindings::device) -> bool;
}

/// Size of the register space (pages 0 and 1).
pub(crate) const REG_SIZE: usize = 0x2_0000;

/// The SMMU's register space, mapped for the binding and revoked when it
/// ends.
pub(crate) type RegsIo = DevresIoMem<REG_SIZE>;

/// Whether `dev`'s DMA is cache coherent (`dev_is_dma_coherent()`).
pub(crate) fn dma_coherent(dev: &Device) -> bool {
    let d = core::ptr::from_ref(dev)
        .cast::<bindings::device>()
        .cast_mut();
    // SAFETY: a live device.
    unsafe { smmu_rs_dev_is_dma_coherent(d) }
}

/// One SMMU's device, for DMA memory and logs. Its registers are reached
/// through [`Regs`] only.
///
/// Invariant: `dev` is the SMMU's platform device, referenced by the
/// [`HwOwner`] of the `Smmu` until it drops.
#[derive(Clone, Copy)]
pub(crate) struct Hw {
    dev: NonNull<bindings::device>,
}

// SAFETY: `Hw` is a pointer to a device the driver state holding it keeps a
// reference to (type invariant); DMA allocation and logs may happen from
// any thread.
unsafe impl Send for Hw {}
// SAFETY: as for `Send`; every operation is a single MMIO access or a call
// into thread-safe kernel services.
unsafe impl Sync for Hw {}

impl Hw {
    /// The SMMU's platform device.
    pub(crate) fn device(&self) -> &Device {
        // SAFETY: referenced while `self` is in use (type invariant).
        unsafe { Device::from_raw(self.dev.as_ptr()) }
    }

    /// The SMMU's `struct device`, for the C log helpers.
    fn dev_ptr(&self) -> *mut bindings::device {
        core::ptr::from_ref(self.device())
            .cast::<bindings::device>()
            .cast_mut()
    }

    /// Logs one event record, decoded, with its raw words; rate-limited.
    pub(crate) fn log_event(&self, ev: &Event, raw: &[u64; 4]) {
        // Counted before rate limiting: a test can tell a fault happened
        // even when the log suppressed it.
        count(&HOST_EVENTS, 1);
        if ev.stage2 {
            count(&STAGE2_FAULTS, 1);
        }
        // SAFETY: the device is live (`device()`); the name is a
        // NUL-terminated static string and `raw` points at four readable
        // words for the duration of the call.
        unsafe {
            smmu_rs_log_event(
                self.dev_ptr(),
                ev.id.into(),
                ev.name().as_char_ptr(),
                ev.sid,
                ev.addr,
                ev.ipa,
                ev.read,
                ev.stage2,
                raw.as_ptr(),
            )
        }
    }

    /// Logs why a user's request was refused, rate-limited (at info
    /// level: the user's error, not the hardware's).
    pub(crate) fn log_refusal(&self, what: &CStr, why: &CStr) {
        // SAFETY: the device is live (`device()`); both strings are
        // NUL-terminated.
        unsafe { smmu_rs_log_refusal(self.dev_ptr(), what.as_char_ptr(), why.as_char_ptr()) }
    }

    /// Lets the scheduler run something else if it should (the kernel's
    /// `cond_resched()`, which the kernel crate does not offer yet).
    pub(crate) fn cond_resched(&self) {
        // SAFETY: no precondition; called from process context only.
        unsafe { smmu_rs_cond_resched() }
    }

    /// Logs `msg` with two values, rate-limited.
    pub(crate) fn log(&self, msg: &CStr, a: u64, b: u64) {
        // SAFETY: the device is live (`device()`); `msg` is NUL-terminated.
        unsafe { smmu_rs_log(self.dev_ptr(), msg.as_char_ptr(), a, b) }
    }
}

/// The registers of one SMMU, through the kernel crate's MMIO accessors,
/// while its device is bound: each access goes through the device-managed
/// mapping, which unbinding revokes, and does nothing after that.
pub(crate) struct Regs {
    hw: Hw,
    io: RegsIo,
}

impl Regs {
    /// The registers `io` maps, of the SMMU of `hw`.
    pub(crate) fn new(hw: Hw, io: RegsIo) -> Self {
        Self { hw, io }
    }

    /// The device, for logs.
    pub(crate) fn hw(&self) -> &Hw {
        &self.hw
    }

    /// Reads a 32-bit register (`readl`); an offset outside the register
    /// space, which no caller passes, or a revoked mapping reads as 0.
    pub(crate) fn read32(&self, off: u32) -> u32 {
        self.io
            .try_access()
            .map_or(0, |io| (&*io).try_read32(off as usize).unwrap_or(0))
    }

    /// Writes a 32-bit register (`writel`, ordered after earlier stores).
    pub(crate) fn write32(&self, off: u32, val: u32) {
        if let Some(io) = self.io.try_access() {
            let _ = (&*io).try_write32(val, off as usize);
        }
    }

    /// Writes a 64-bit register (`writeq`).
    pub(crate) fn write64(&self, off: u32, val: u64) {
        if let Some(io) = self.io.try_access() {
            let _ = (&*io).try_write64(val, off as usize);
        }
    }
}

/// Keeps the SMMU's device referenced for its [`Hw`]. The `Smmu` holds it
/// as its last field, so it drops after every [`DmaBuffer`] of the SMMU.
pub(crate) struct HwOwner {
    _dev: ARef<Device>,
}

impl HwOwner {
    /// References `dev` for the driver state of its SMMU.
    pub(crate) fn new(dev: &Device) -> (Self, Hw) {
        let hw = Hw {
            dev: NonNull::from(dev).cast(),
        };
        // INVARIANT: `hw` is valid while this reference is held.
        (Self { _dev: dev.into() }, hw)
    }
}

kernel::sync::global_lock! {
    // SAFETY: initialised by `init_lists()` at module init, before anything
    // can reach it.
    /// Every bound SMMU, in probe order, with its `struct iommu_device`: for
    /// `probe_device` to find a device's, and for debugfs. Taken before an
    /// SMMU's own locks.
    pub(crate) unsafe(uninit) static SMMUS: Mutex<KVec<BoundSmmu>> = KVec::new();
}

kernel::sync::global_lock! {
    // SAFETY: as for `SMMUS`.
    /// Every live stage-2 domain, in creation order, for debugfs. Taken
    /// before a domain's table lock (the reader walks tables under it); the
    /// map and unmap paths never take it.
    pub(crate) unsafe(uninit) static DOMAINS: Mutex<KVec<Arc<S2Domain>>> = KVec::new();
}

/// Removes the entries of `list` that `keep` refuses, and frees its buffer
/// once it is empty: the lists are statics, which are never dropped, so a
/// buffer left at module unload would leak (kmemleak reports it).
pub(crate) fn remove_from<T>(list: &mut KVec<T>, mut keep: impl FnMut(&T) -> bool) {
    list.retain(|x| keep(x));
    if list.is_empty() {
        *list = KVec::new();
    }
}

/// Initialises [`SMMUS`] and [`DOMAINS`]; called once, at module init,
/// before the platform driver is registered.
pub(crate) fn init_lists() {
    // SAFETY: called once (module init), before any other use of the locks.
    unsafe {
        SMMUS.init();
        DOMAINS.init();
    }
}

/// A bound SMMU, as `probe_device` finds it from a device's fwspec.
#[derive(Clone)]
pub(crate) struct BoundSmmu {
    /// Its driver state.
    pub(crate) smmu: Arc<Smmu>,
    /// Its `struct iommu_device`, registered with smmu_rs's ops while it is
    /// listed.
    pub(crate) iommu: NonNull<bindings::iommu_device>,
}

// SAFETY: `iommu` is only an address handed to the core.
unsafe impl Send for BoundSmmu {}

/// The name by which [`instance_of`]'s callers know it.
pub(crate) type Instance = BoundSmmu;

/// The bound SMMU whose firmware node is `fwnode`, if any.
///
/// Only called from `probe_device`, which the core runs only for an SMMU
/// registered with it; unbinding unregisters it first, so the instance
/// outlives the call.
pub(crate) fn instance_of(fwnode: *const bindings::fwnode_handle) -> Option<Instance> {
    SMMUS
        .lock()
        .iter()
        .find(|b| {
            b.smmu
                .hw
                .device()
                .fwnode()
                .is_some_and(|f| core::ptr::eq(core::ptr::from_ref(f).cast(), fwnode))
        })
        .cloned()
}

impl Instance {
    /// Links `consumer` to the SMMU's device (`device_link_add()`), so that
    /// unbinding the SMMU first unbinds the drivers of the devices behind
    /// it: a host driver doing DMA, or iommufd_rs holding a group's DMA
    /// ownership for a user, must not outlive the translation it relies on
    /// (the core cannot release an owned group). A managed link does that.
    /// It stays, dormant, while the SMMU has no driver (so the devices
    /// behind it wait for one before they probe again), and goes with the
    /// device; probing again finds it. Not `DL_FLAG_AUTOREMOVE_SUPPLIER`,
    /// as the in-tree arm-smmu driver has it: Linux 7.3's
    /// `device_links_driver_cleanup()` writes the link's status after
    /// dropping such a link, which its release work may already have freed
    /// (KASAN: slab-use-after-free, found by smmu_rs_unbind_race under
    /// make check-deep).
    pub(crate) fn link_consumer(&self, consumer: &Device) -> Result {
        let c = core::ptr::from_ref(consumer)
            .cast::<bindings::device>()
            .cast_mut();
        let s = core::ptr::from_ref(self.smmu.hw.device())
            .cast::<bindings::device>()
            .cast_mut();
        // SAFETY: both devices are live for the call (the SMMU's as above).
        let link = unsafe { bindings::device_link_add(c, s, 0) };
        if link.is_null() {
            Err(ENOMEM)
        } else {
            Ok(())
        }
    }
}

/// Coherent DMA memory the SMMU reads and writes (stream table, queues),
/// seen as 64-bit words: a `kernel::dma::Coherent` slice.
pub(crate) struct DmaBuffer {
    buf: Coherent<[u64]>,
}

impl DmaBuffer {
    /// Allocates `bytes` (a multiple of 8) of zeroed coherent memory for the
    /// SMMU of `hw`.
    ///
    /// Only called while the SMMU's device is bound: at its probe, and from
    /// a client device's probe (a level-2 stream table), which the IOMMU core
    /// runs only for a registered SMMU; unbinding unregisters it first.
    pub(crate) fn new(hw: Hw, bytes: usize) -> Result<Self> {
        let dev = hw.device();
        // SAFETY: the device is bound for this call (see above), the only
        // use of the reference.
        let bound = unsafe { dev.as_bound() };
        let buf = Coherent::<u64>::zeroed_slice(bound, bytes / 8, GFP_KERNEL)?;
        count(&DMA_BYTES, buf.size() as i64);
        Ok(Self { buf })
    }

    /// The bus address the SMMU uses.
    pub(crate) fn dma(&self) -> u64 {
        self.buf.dma_address()
    }

    /// Word `i`.
    pub(crate) fn read(&self, i: usize) -> u64 {
        assert!(i < self.buf.len());
        // SAFETY: the allocation holds `len()` u64s and lives as long as
        // `self`; `i` is in bounds; the SMMU may write the word concurrently,
        // which a volatile load tolerates.
        unsafe { self.buf.as_ptr().cast::<u64>().add(i).read_volatile() }
    }

    /// Sets word `i` with one 64-bit store.
    pub(crate) fn write(&mut self, i: usize, value: u64) {
        assert!(i < self.buf.len());
        // SAFETY: as in `read`; `&mut self` excludes other CPU writers.
        unsafe {
            self.buf
                .as_mut_ptr()
                .cast::<u64>()
                .add(i)
                .write_volatile(value)
        }
    }
}

impl Drop for DmaBuffer {
    fn drop(&mut self) {
        // The memory itself goes with `buf`, after this: the SMMU no longer
        // uses it (its owner disables the SMMU or unlinks the buffer first).
        count(&DMA_BYTES, -(self.buf.size() as i64));
    }
}

/// Page-table pages, named by physical address and accessed in Rust
/// through the kernel's linear map.
///
/// A table page's kernel address is its physical address plus the linear
/// map's offset, which [`alloc`] learns from the first page and checks for
/// every page after it (arm64 maps all memory at one offset; a page that
/// broke the rule would be refused). Descriptors are read and written with
/// single 64-bit volatile accesses, as `READ_ONCE`/`WRITE_ONCE` do, so the
/// walk crosses into C only to allocate and free pages.
pub(crate) mod table_page {
    use super::*;
    use core::sync::atomic::{
        AtomicU64,
        Ordering, //
    };

    /// Kernel address minus physical address of table pages; 0 until the
    /// first page is allocated.
    static LINEAR_OFFSET: AtomicU64 = AtomicU64::new(0);

    /// Entries per table page.
    const ENTRIES: usize = 512;

    /// A zeroed page, or `None`.
    pub(crate) fn alloc() -> Option<u64> {
        let mut va: *mut c_void = core::ptr::null_mut();
        // SAFETY: `va` is a valid place for the page's address.
        let pa = unsafe { smmu_rs_table_alloc(&mut va) };
        if pa == 0 {
            return None;
        }
        count(&TABLE_PAGES, 1);
        let offset = (va as u64).wrapping_sub(pa);
        let known =
            match LINEAR_OFFSET.compare_exchange(0, offset, Ordering::AcqRel, Ordering::Acquire) {
                Ok(_) => offset,
                Err(k) => k,
            };
        if offset != known {
            pr_err!("table page outside the linear map: refused\n");
            // SAFETY: just allocated, never used.
            unsafe { free(pa) };
            return None;
        }
        Some(pa)
    }

    /// Frees a page from `alloc`.
    ///
    /// # Safety
    ///
    /// `pa` came from `alloc`, is not freed yet, and the SMMU can no longer
    /// reach it.
    pub(crate) unsafe fn free(pa: u64) {
        // SAFETY: guaranteed by the caller.
        unsafe { smmu_rs_table_free(pa) };
        count(&TABLE_PAGES, -1);
    }

    /// Entry `index` of page `pa`.
    fn entry(pa: u64, index: usize) -> *mut u64 {
        let va = pa.wrapping_add(LINEAR_OFFSET.load(Ordering::Relaxed));
        (va as usize as *mut u64).wrapping_add(index % ENTRIES)
    }

    /// Entry `index` (taken modulo 512) of page `pa`.
    ///
    /// # Safety
    ///
    /// `pa` came from `alloc` and is not freed.
    pub(crate) unsafe fn read(pa: u64, index: usize) -> u64 {
        // SAFETY: `pa` is a live table page (caller), mapped at `pa` plus
        // the linear offset (checked when it was allocated, after which the
        // offset never changes); the index stays inside its 512 aligned
        // words.
        unsafe { entry(pa, index).read_volatile() }
    }

    /// Sets entry `index` of page `pa` with one 64-bit store.
    ///
    /// # Safety
    ///
    /// As for `read`; the format code's table lock excludes other writers.
    pub(crate) unsafe fn write(pa: u64, index: usize, value: u64) {
        // SAFETY: as in `read`.
        unsafe { entry(pa, index).write_volatile(value) }
    }
}

/// How often the queues are polled when an interrupt is not wired.
const POLL_MS: u32 = 100;

/// The poll of an SMMU whose interrupts are not all wired: its event queue
/// and GERROR every [`POLL_MS`] on the system workqueue.
#[pin_data]
pub(crate) struct PollWork {
    smmu: Arc<Smmu>,
    stop: AtomicBool,
    #[pin]
    work: DelayedWork<PollWork>,
}

kernel::workqueue::impl_has_delayed_work! {
    impl HasDelayedWork<Self> for PollWork { self.work }
}

impl WorkItem for PollWork {
    type Pointer = Arc<PollWork>;

    fn run(this: Arc<PollWork>) {
        if this.stop.load(Ordering::Acquire) {
            return;
        }
        this.smmu.service_events();
        this.smmu.service_gerror();
        let _ = workqueue::system().enqueue_delayed(this, msecs_to_jiffies(POLL_MS));
    }
}

/// Polls while it lives; dropping it stops the poll and waits for it.
pub(crate) struct Poller(Arc<PollWork>);

impl Poller {
    /// Starts polling `smmu`.
    pub(crate) fn start(smmu: Arc<Smmu>) -> Result<Self> {
        let w = Arc::pin_init(
            pin_init!(PollWork {
                smmu,
                stop: AtomicBool::new(false),
                work <- kernel::new_delayed_work!("smmu_rs::poll"),
            }),
            GFP_KERNEL,
        )?;
        let _ = workqueue::system().enqueue_delayed(w.clone(), msecs_to_jiffies(POLL_MS));
        Ok(Self(w))
    }
}

impl Drop for Poller {
    fn drop(&mut self) {
        self.0.stop.store(true, Ordering::Release);
        let work = core::ptr::from_ref(&self.0.work);
        // SAFETY: `work` is the `DelayedWork` of a live `PollWork` (`self`
        // holds it), which wraps a `struct delayed_work` whose first member
        // is the `struct work_struct` `raw_as_work` points at.
        let raw = unsafe { DelayedWork::raw_as_work(work) }.cast::<bindings::delayed_work>();
        // Runs a pending poll now, which sees `stop` and does not requeue,
        // and waits for it; twice, as a poll that was already past its
        // `stop` check when it was set may have requeued once. The queued
        // `Arc` goes with the last run.
        for _ in 0..2 {
            // SAFETY: `raw` is initialised and lives as long as `self`.
            unsafe { bindings::flush_delayed_work(raw) };
        }
    }
}
