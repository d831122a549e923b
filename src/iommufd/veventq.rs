// SPDX-License-Identifier: GPL-2.0

//! The vEVENTQ object and IOMMU_VEVENTQ_ALLOC (upstream's `eventq.c`): the
//! queue through which a vIOMMU's guest events (stage-1 faults and
//! configuration errors of its devices, naming their virtual stream ids)
//! reach the VMM, read from a file of its own.
//!
//! The queue has upstream's semantics (Linux 7.3's `eventq.c`): each event
//! is a `struct iommufd_vevent_header` followed by the record; a sequence
//! number modulo `INT_MAX + 1` counts every event queued; a full queue (or
//! no memory) turns into one LOST_EVENTS header at the tail, which the next
//! event replaces (its sequence number shows the gap). The driver reports
//! into it through the [`EventSink`] the object gives the vIOMMU.
//!
//! Lifetime: the object and the file each hold the queue. The object clears
//! the vIOMMU's sink before it lets go, so a report never meets a freed
//! queue; the file may stay open and readable after the object is
//! destroyed, and just gets no new events.

use crate::{
    file::IommufdFile,
    kernel_ext::anon_file::{
        self,
        AnonFile,
        POLL_READABLE, //
    },
    object::{
        file_object,
        Dep,
        Object,
        ObjectHeader, //
    },
    provider_abi::{
        EventReceiver,
        EventRecord,
        EventSink, //
    },
    uapi,
    ucmd::UserCmd,
    viommu::ViommuObject, //
};
use core::mem::size_of;
use kernel::{
    bindings,
    fs::{
        file::FileDescriptorReservation,
        File, //
    },
    list::{
        impl_list_arc_safe,
        impl_list_item,
        List,
        ListArc,
        ListLinks, //
    },
    new_poll_condvar,
    new_spinlock_irq,
    prelude::*,
    sync::{
        poll::{
            PollCondVar,
            PollTable, //
        },
        Arc,
        SpinLockIrq, //
    },
    uaccess::UserSliceWriter, //
};

/// The most events a vEVENTQ holds (upstream's `VEVENTQ_MAX_DEPTH`).
const MAX_DEPTH: u32 = 1 << 19;

/// `struct iommufd_vevent_header`: flags, then the sequence number.
const HEADER: usize = size_of::<bindings::iommufd_vevent_header>();

/// `IOMMU_VEVENTQ_FLAG_LOST_EVENTS`.
const LOST_EVENTS: u32 = bindings::iommu_veventq_flag_IOMMU_VEVENTQ_FLAG_LOST_EVENTS;

/// One queued event.
#[pin_data]
struct Event {
    sequence: u32,
    record: EventRecord,
    #[pin]
    links: ListLinks,
}

impl_list_arc_safe! {
    impl ListArcSafe<0> for Event { untracked; }
}
impl_list_item! {
    impl ListItem<0> for Event { using ListLinks { self.links }; }
}

/// What a read takes off the queue.
enum Fetched {
    /// An event.
    Event(ListArc<Event>),
    /// The LOST_EVENTS header, with its sequence number.
    Lost(u32),
}

impl Fetched {
    /// The header and the record, as the reader gets them.
    fn bytes(&self, out: &mut [u8; HEADER + size_of::<EventRecord>()]) -> usize {
        let (flags, sequence) = match self {
            Fetched::Event(e) => (0u32, e.sequence),
            Fetched::Lost(seq) => (LOST_EVENTS, *seq),
        };
        out[..4].copy_from_slice(&flags.to_ne_bytes());
        out[4..8].copy_from_slice(&sequence.to_ne_bytes());
        match self {
            Fetched::Event(e) => {
                // The record's words are little-endian already.
                for (i, w) in e.record.0.iter().enumerate() {
                    out[HEADER + 8 * i..HEADER + 8 * (i + 1)].copy_from_slice(&w.to_ne_bytes());
                }
                HEADER + size_of::<EventRecord>()
            }
            Fetched::Lost(_) => HEADER,
        }
    }
}

/// The queue's state, under [`EventQueue::inner`].
struct Inner {
    /// Events in order.
    deliver: List<Event>,
    /// Events in `deliver`.
    num_events: u32,
    /// The next event's sequence number.
    sequence: u32,
    /// The LOST_EVENTS header's sequence number, when it is queued (always
    /// after every event in `deliver`).
    lost: Option<u32>,
}

impl Inner {
    /// The next sequence number.
    fn next_sequence(&mut self) -> u32 {
        let s = self.sequence;
        self.sequence = (s + 1) & i32::MAX as u32;
        s
    }
}

/// A vEVENTQ's queue.
#[pin_data]
pub(crate) struct EventQueue {
    /// Reported into from any context, read from the file.
    #[pin]
    inner: SpinLockIrq<Inner>,
    /// Pollers of the file.
    #[pin]
    wait: PollCondVar,
    /// The most events queued at once.
    depth: u32,
}

impl EventReceiver for EventQueue {
    /// Queues one event; a full queue, or no memory, queues the LOST_EVENTS
    /// header instead. Does not sleep.
    fn report(&self, record: &EventRecord) {
        {
            let mut q = self.inner.lock();
            let sequence = q.next_sequence();
            let event = if q.num_events == self.depth {
                None
            } else {
                ListArc::pin_init(
                    try_pin_init!(Event {
                        sequence,
                        record: *record,
                        links <- ListLinks::new(),
                    }? Error),
                    GFP_NOWAIT,
                )
                .ok()
            };
            match event {
                Some(e) => {
                    q.lost = None;
                    q.deliver.push_back(e);
                    q.num_events += 1;
                }
                None => q.lost = Some(sequence),
            }
        }
        self.wait.notify_all();
    }
}

impl EventQueue {
    /// The first event, taken off the queue.
    fn fetch(&self) -> Option<Fetched> {
        let mut q = self.inner.lock();
        if let Some(e) = q.deliver.pop_front() {
            return Some(Fetched::Event(e));
        }
        q.lost.take().map(Fetched::Lost)
    }

    /// Puts `e` back at the head: an event always, the LOST_EVENTS header
    /// unless newer reports came meanwhile.
    fn restore(&self, e: Fetched) {
        let mut q = self.inner.lock();
        match e {
            Fetched::Event(e) => q.deliver.push_front(e),
            Fetched::Lost(seq) => {
                if q.deliver.is_empty() && q.lost.is_none() {
                    q.lost = Some(seq);
                }
            }
        }
    }
}

impl AnonFile for EventQueue {
    type OwnerModule = crate::IommufdRsModule;

    /// As many whole events as fit: `-ESPIPE` at an offset, `-EINVAL` for a
    /// buffer smaller than a header or than the first event, `-EFAULT` if
    /// nothing could be copied; 0 if the queue is empty (never blocks).
    fn read(this: &Self, writer: &mut UserSliceWriter, offset: i64) -> Result<usize> {
        if offset != 0 {
            return Err(ESPIPE);
        }
        let count = writer.len();
        if count < HEADER {
            return Err(EINVAL);
        }
        let mut done = 0usize;
        let mut rc = Ok(());
        let mut buf = [0u8; HEADER + size_of::<EventRecord>()];
        while let Some(e) = this.fetch() {
            let len = e.bytes(&mut buf);
            if len > count - done {
                let lost = matches!(e, Fetched::Lost(_));
                this.restore(e);
                // Not even one whole event fits.
                if !lost && done == 0 {
                    rc = Err(EINVAL);
                }
                break;
            }
            if writer.write_slice(&buf[..len]).is_err() {
                this.restore(e);
                rc = Err(EFAULT);
                break;
            }
            done += len;
            if let Fetched::Event(_) = e {
                this.inner.lock().num_events -= 1;
            }
        }
        match rc {
            Err(e) if done == 0 => Err(e),
            _ => Ok(done),
        }
    }

    fn poll(this: &Self, file: &File, table: PollTable<'_>) -> u32 {
        table.register_wait(file, &this.wait);
        let q = this.inner.lock();
        if q.deliver.is_empty() && q.lost.is_none() {
            0
        } else {
            POLL_READABLE
        }
    }
}

/// A vEVENTQ: the queue its vIOMMU reports guest events into, while this
/// object lives. Its file may outlive it, readable, with no new events.
pub(crate) struct VeventqObject {
    header: ObjectHeader,
    viommu: Dep<ViommuObject>,
    /// Whether the vIOMMU's sink is this queue, to be cleared on drop.
    connected: bool,
    queue: Arc<EventQueue>,
}

file_object!(VeventqObject, Veventq);

impl Drop for VeventqObject {
    fn drop(&mut self) {
        if self.connected {
            // No report is in flight once cleared: `queue` may go.
            self.viommu.provider.clear_event_sink();
        }
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
    let viommu = f.lock().objects.depend::<ViommuObject>(cmd.viommu_id)?;
    let queue = Arc::pin_init(
        pin_init!(EventQueue {
            inner <- new_spinlock_irq!(
                Inner {
                    deliver: List::new(),
                    num_events: 0,
                    sequence: 0,
                    lost: None,
                },
                "iommufd_rs::EventQueue::inner"
            ),
            wait <- new_poll_condvar!("iommufd_rs::EventQueue::wait"),
            depth: cmd.veventq_depth,
        }),
        GFP_KERNEL_ACCOUNT,
    )?;
    let fd = FileDescriptorReservation::get_unused_fd_flags(bindings::O_CLOEXEC)?;
    let file = anon_file::create(
        c"[iommufd_rs-viommu-event]",
        queue.clone(),
        bindings::O_RDWR,
    )?;
    // From here dropping `obj` (a failed allocation or publication too)
    // clears the vIOMMU's sink; dropping `fd` and `file` gives back the
    // descriptor and the file, which is not published.
    let mut obj = VeventqObject {
        header: ObjectHeader::default(),
        viommu,
        connected: false,
        queue,
    };
    // SAFETY: the sink's target is the queue `obj` holds; `obj`'s drop
    // clears the sink before the queue can go.
    unsafe {
        obj.viommu
            .provider
            .set_event_sink(&EventSink::new(&*obj.queue))?
    };
    obj.connected = true;
    let obj = Arc::new(obj, GFP_KERNEL_ACCOUNT)?;
    let reserved = fd.reserved_fd();
    f.publish(Object::Veventq(obj), |id| {
        cmd.out_veventq_id = id;
        cmd.out_veventq_fd = reserved;
        ucmd.respond(&cmd)
    })?;
    fd.fd_install(file);
    Ok(())
}
