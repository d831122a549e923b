// SPDX-License-Identifier: GPL-2.0

//! The vEVENTQ object and IOMMU_VEVENTQ_ALLOC (upstream's `eventq.c`): the
//! queue through which a vIOMMU's guest events (stage-1 faults and
//! configuration errors of its devices, naming their virtual stream ids)
//! reach the VMM, read from a file of its own. The queue and its file are
//! the registry module's (`veventq.c`), where the driver reports into it.

use crate::{
    file::IommufdFile,
    object::{
        file_object,
        Dep,
        Object,
        ObjectHeader, //
    },
    provider_abi::{
        EventRecord,
        EventSink, //
    },
    uapi,
    ucmd::UserCmd,
    viommu::Viommu, //
};
use core::ptr::NonNull;
use kernel::{
    error::from_err_ptr,
    ffi::{
        c_int,
        c_void, //
    },
    prelude::*,
    sync::Arc, //
};

/// The opaque `struct iommufd_rs_veventq`.
#[repr(C)]
pub(crate) struct RawVeventq {
    _opaque: [u8; 0],
}

extern "C" {
    fn iommufd_rs_veventq_alloc(depth: u32, fd: *mut c_int) -> *mut RawVeventq;
    fn iommufd_rs_veventq_install(q: *mut RawVeventq, fd: c_int);
    fn iommufd_rs_veventq_abort(q: *mut RawVeventq, fd: c_int);
    fn iommufd_rs_veventq_put(q: *mut RawVeventq);
    fn iommufd_rs_vevent_report(q: *mut RawVeventq, data: *const c_void, len: usize) -> c_int;
}

/// The [`EventSink`] of a queue: `ctx` is the queue.
extern "C" fn report(ctx: NonNull<c_void>, record: &EventRecord) {
    // SAFETY: `ctx` is a queue a `Veventq` holds while its sink is set
    // (`Veventq::drop` clears it first); `record` is 32 readable bytes.
    // A report that does not fit counts as lost in the queue itself.
    unsafe {
        iommufd_rs_vevent_report(
            ctx.as_ptr().cast(),
            core::ptr::from_ref(record).cast(),
            core::mem::size_of::<EventRecord>(),
        )
    };
}

/// The sink that reports into `q`.
fn sink(q: NonNull<RawVeventq>) -> EventSink {
    EventSink {
        report,
        ctx: q.cast(),
    }
}

/// The most events a vEVENTQ holds (upstream's `VEVENTQ_MAX_DEPTH`).
const MAX_DEPTH: u32 = 1 << 19;

/// A vEVENTQ: the queue its vIOMMU reports guest events into, while this
/// object lives. Its file may outlive it, readable, with no new events.
pub(crate) struct Veventq {
    header: ObjectHeader,
    viommu: Dep<Viommu>,
    /// This object's reference to the queue.
    raw: NonNull<RawVeventq>,
}

file_object!(Veventq, Veventq);

// SAFETY: the queue is used from any context under its own spinlock.
unsafe impl Send for Veventq {}
// SAFETY: see `Send`.
unsafe impl Sync for Veventq {}

impl Drop for Veventq {
    fn drop(&mut self) {
        // SAFETY: clearing the sink needs nothing; it returns once no
        // report is in flight, so the reference can go.
        let _ = unsafe { self.viommu.provider.set_event_sink(None) };
        // SAFETY: this object's reference, dropped once.
        unsafe { iommufd_rs_veventq_put(self.raw.as_ptr()) }
    }
}

/// IOMMU_VEVENTQ_ALLOC, in upstream's order: flags, reserved field and
/// type (`-EOPNOTSUPP`; the only type is ARM_SMMUV3, which upstream does not
/// check against the driver), the depth (1 to 1 << 19, else `-EINVAL`), the
/// vIOMMU (`-ENOENT`), a second queue for it (`-EEXIST`). The file is
/// installed only once the answer is written.
pub(crate) fn alloc(f: &IommufdFile, ucmd: &UserCmd, mut cmd: uapi::IommuVeventqAlloc) -> Result {
    if cmd.flags != 0 || cmd.__reserved != 0 || cmd.type_ != uapi::VEVENTQ_TYPE_ARM_SMMUV3 {
        return Err(EOPNOTSUPP);
    }
    if cmd.veventq_depth == 0 || cmd.veventq_depth > MAX_DEPTH {
        return Err(EINVAL);
    }
    let viommu = f.lock().objects.depend::<Viommu>(cmd.viommu_id)?;
    let mut fd: c_int = -1;
    // SAFETY: `fd` is a valid place; the depth is checked.
    let raw = from_err_ptr(unsafe { iommufd_rs_veventq_alloc(cmd.veventq_depth, &mut fd) })?;
    let raw = NonNull::new(raw).ok_or(ENOMEM)?;
    // SAFETY: the queue stays live until `Veventq::drop` clears it from
    // the vIOMMU (or, on failure below, was never set).
    let set = unsafe { viommu.provider.set_event_sink(Some(&sink(raw))) };
    if let Err(e) = set {
        // SAFETY: this reference goes, then the unpublished file: the
        // file's own reference keeps the queue alive for the abort.
        unsafe {
            iommufd_rs_veventq_put(raw.as_ptr());
            iommufd_rs_veventq_abort(raw.as_ptr(), fd);
        }
        return Err(e);
    }
    // Owns the queue from here: dropping it (a failed allocation too)
    // clears the vIOMMU's queue and drops this reference.
    let obj = Arc::new(
        Veventq {
            header: ObjectHeader::default(),
            viommu,
            raw,
        },
        GFP_KERNEL_ACCOUNT,
    );
    let obj = match obj {
        Ok(o) => o,
        Err(e) => {
            // SAFETY: the file is not published.
            unsafe { iommufd_rs_veventq_abort(raw.as_ptr(), fd) };
            return Err(e.into());
        }
    };
    let published = f.publish(Object::Veventq(obj), |id| {
        cmd.out_veventq_id = id;
        cmd.out_veventq_fd = fd as u32;
        ucmd.respond(&cmd)
    });
    match published {
        // SAFETY: the descriptor was reserved for this queue's file.
        Ok(_) => unsafe { iommufd_rs_veventq_install(raw.as_ptr(), fd) },
        // SAFETY: the object went (and with it its reference); the file is
        // not published.
        Err(_) => unsafe { iommufd_rs_veventq_abort(raw.as_ptr(), fd) },
    }
    published.map(drop)
}
