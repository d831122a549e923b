// SPDX-License-Identifier: GPL-2.0

//! Attaching bound devices to I/O address spaces.
//!
//! A device attaches to a HWPT (see `hwpt.rs`: a domain registered with an
//! IOAS), either one made by IOMMU_HWPT_ALLOC or, when attached to an IOAS,
//! an automatic one: a compatible existing one is reused, else one is made.
//! Attaching reserves the device's own regions in the IOAS (owner-tagged,
//! so detach removes exactly them, with the SW_MSI window replaced by the
//! user's), places the domain's MSI window, and only then attaches the
//! device's group. Any failure undoes every step.
//!
//! Locking: a device's `attached` mutex is taken before the file's object
//! table lock and before the IOAS lock, never after; DESTROY reads the
//! atomic `is_attached` instead of taking it.

use crate::{
    device::{BoundDevice, ResvRegion},
    hwpt::Hwpt,
    iova_space::sw_msi::{self, ResvType, Window},
    ioas_object::{kerr, IoasObject},
    irqs::Irqs,
    uapi,
};
use core::sync::atomic::{AtomicBool, Ordering};
use kernel::{alloc::KVVec, new_mutex, prelude::*, sync::Arc, sync::Mutex};

/// The core's view of a driver region.
fn typed(r: &ResvRegion) -> sw_msi::ResvRegion {
    let kind = match r.kind {
        0 => ResvType::Direct,
        1 => ResvType::DirectRelaxable,
        3 => ResvType::Msi,
        4 => ResvType::SwMsi,
        // RESERVED, and anything newer: never map there.
        _ => ResvType::Reserved,
    };
    sw_msi::ResvRegion {
        start: r.start,
        last: r.last,
        kind,
        user_window: false,
    }
}

/// The device's regions, typed.
fn typed_regions(dev: &BoundDevice) -> Result<KVVec<sw_msi::ResvRegion>> {
    let raw = dev.resv_regions()?;
    let mut v = KVVec::new();
    v.reserve(raw.len(), GFP_KERNEL)?;
    for r in raw.iter() {
        v.push(typed(r), GFP_KERNEL)?;
    }
    Ok(v)
}

/// A device's current attachment.
struct Attachment {
    hwpt: Arc<Hwpt>,
    /// The SW_MSI window in force, `[first, last]`: MSI doorbells must land
    /// in it (no window: none may be made).
    msi_window: (u64, u64),
}

/// What a device's mutex protects.
#[derive(Default)]
struct DeviceState {
    attachment: Option<Attachment>,
    /// IOMMU_OPTION_SW_MSI_START, once set.
    sw_msi_start: Option<u64>,
    /// The user's SW_MSI window, once SW_MSI_SIZE completed it.
    window: Option<Window>,
    /// MSI vectors (IOMMU_DEVICE_SET_IRQS), only while attached.
    irqs: Option<Irqs>,
}

/// A bound device as a file object.
#[pin_data(PinnedDrop)]
pub(crate) struct DeviceObject {
    /// The PCI function and its DMA ownership.
    pub(crate) dev: BoundDevice,
    #[pin]
    attached: Mutex<DeviceState>,
    /// Whether `attached` holds an attachment (read by DESTROY).
    is_attached: AtomicBool,
}

/// Where IOMMU_DEVICE_ATTACH attaches a device.
pub(crate) enum Target {
    /// An IOAS: a compatible automatic HWPT of it is reused, else one is made.
    Ioas(Arc<IoasObject>),
    /// A HWPT made by IOMMU_HWPT_ALLOC.
    Hwpt(Arc<Hwpt>),
}

impl DeviceObject {
    /// A device object for `dev`.
    pub(crate) fn new(dev: BoundDevice) -> Result<Arc<Self>> {
        Arc::pin_init(
            pin_init!(Self {
                dev,
                attached <- new_mutex!(DeviceState::default()),
                is_attached: AtomicBool::new(false),
            }),
            GFP_KERNEL_ACCOUNT,
        )
    }

    /// Whether the device is attached (DESTROY answers -EBUSY then).
    pub(crate) fn is_attached(&self) -> bool {
        self.is_attached.load(Ordering::Acquire)
    }

    /// The tag of this device's reserved ranges in an IOAS.
    fn tag(&self) -> u64 {
        self.dev.raw() as u64
    }

    /// Attaches to `target`, or moves an attached device there (replace).
    /// Returns the HWPT, whether it is a new automatic one the caller must
    /// publish (and, if that fails, detach), and the object id of an
    /// automatic HWPT a replace left without devices, which the caller
    /// removes from the table.
    ///
    /// Replace: MSI vectors are made against a domain's MSI cookie, and a
    /// module cannot put doorbells into another domain's cookie; so the
    /// vectors are freed, the device moves, and the vectors are made again
    /// with the same eventfds. Both domains' cookies sit at the same window
    /// start, so the doorbell lands at the same IOVA. If the move fails the
    /// device goes back where it was.
    pub(crate) fn attach(&self, target: Target) -> Result<(Arc<Hwpt>, bool, Option<u32>)> {
        let mut st = self.attached.lock();
        // The regions this device reserves: its driver's, with the SW_MSI
        // window replaced by the user's.
        let driver_regions = typed_regions(&self.dev)?;
        let mut regions = KVVec::new();
        let mut failed = None;
        let in_force = sw_msi::attach_regions(&driver_regions, st.window, &mut |r| {
            if failed.is_none() {
                if let Err(e) = regions.push(r, GFP_KERNEL) {
                    failed = Some(e);
                }
            }
        });
        if let Some(e) = failed {
            return Err(e.into());
        }
        let Some(old) = st.attachment.take() else {
            let (h, new) = self.attach_new(&mut st, target, &regions, in_force)?;
            return Ok((h, new, None));
        };
        self.is_attached.store(false, Ordering::Release);
        if let Some(irqs) = st.irqs.as_mut() {
            irqs.disable();
        }
        old.hwpt.domain.detach(&self.dev);
        old.hwpt.ioas.state.lock().space.unreserve(self.tag());
        old.hwpt.users.fetch_sub(1, Ordering::AcqRel);
        let result = self.attach_new(&mut st, target, &regions, in_force);
        if result.is_err() {
            // Back to the old HWPT; it accepted this device a moment ago.
            if self
                .attach_to(&mut st, &old.hwpt, &regions, in_force)
                .is_err()
            {
                pr_warn!("iommufd_rs: replace failed and the device stays detached\n");
            }
        }
        let window = st.attachment.as_ref().map(|a| a.msi_window);
        if let Some(irqs) = st.irqs.as_mut() {
            if window.is_none_or(|w| irqs.enable(w).is_err()) {
                st.irqs = None;
            }
        }
        let (h, new) = result?;
        let old_id = self.release(&old.hwpt, false);
        Ok((h, new, old_id))
    }

    /// Attaches a detached device to `target`.
    fn attach_new(
        &self,
        st: &mut DeviceState,
        target: Target,
        regions: &[sw_msi::ResvRegion],
        in_force: Option<Window>,
    ) -> Result<(Arc<Hwpt>, bool)> {
        let ioas = match target {
            Target::Hwpt(h) => {
                self.attach_to(st, &h, regions, in_force)?;
                return Ok((h, false));
            }
            Target::Ioas(ioas) => ioas,
        };
        // Reuse: upstream's rule, a domain that refuses the device with
        // -EINVAL (or carries another MSI window) is just not compatible.
        let candidates = {
            let s = ioas.state.lock();
            let mut v = KVVec::new();
            v.reserve(s.auto_hwpts.len(), GFP_KERNEL)?;
            for h in s.auto_hwpts.iter() {
                v.push(h.clone(), GFP_KERNEL)?;
            }
            v
        };
        for h in candidates.iter() {
            match self.attach_to(st, h, regions, in_force) {
                Ok(()) => return Ok((h.clone(), false)),
                Err(e) if e == EINVAL => continue,
                Err(e) => return Err(e),
            }
        }
        drop(candidates);
        ioas.state.lock().auto_hwpts.reserve(1, GFP_KERNEL)?;
        let h = Hwpt::new(&self.dev, &ioas, 0, true)?;
        self.attach_to(st, &h, regions, in_force)?;
        // Cannot fail: room was reserved above.
        ioas.state.lock().auto_hwpts.push(h.clone(), GFP_KERNEL)?;
        Ok((h, true))
    }

    /// Reserves the device's regions in the HWPT's IOAS, places the MSI
    /// window, attaches the group; undoes all of it on failure.
    fn attach_to(
        &self,
        st: &mut DeviceState,
        hwpt: &Arc<Hwpt>,
        regions: &[sw_msi::ResvRegion],
        in_force: Option<Window>,
    ) -> Result {
        if let Some(w) = st.window {
            let geo = hwpt.domain.geometry();
            sw_msi::check_aperture(&w, geo.aperture_start, geo.aperture_end).map_err(kerr)?;
        }
        {
            let mut s = hwpt.ioas.state.lock();
            let mut result = Ok(());
            for r in regions {
                result = s.space.reserve(r.start, r.last, self.tag()).map_err(kerr);
                if result.is_err() {
                    break;
                }
            }
            if result.is_ok() {
                if let Some(w) = in_force {
                    result = hwpt.use_msi_window(w.start);
                }
            }
            if let Err(e) = result {
                s.space.unreserve(self.tag());
                return Err(e);
            }
        }
        if let Err(e) = hwpt.domain.attach(&self.dev) {
            hwpt.ioas.state.lock().space.unreserve(self.tag());
            return Err(e);
        }
        hwpt.users.fetch_add(1, Ordering::AcqRel);
        // Without a SW_MSI window (a hardware-MSI platform) no doorbell is
        // mapped, and the empty range refuses any remapped address.
        let msi_window = in_force.map_or((1, 0), |w| (w.start, w.last()));
        st.attachment = Some(Attachment {
            hwpt: hwpt.clone(),
            msi_window,
        });
        self.is_attached.store(true, Ordering::Release);
        Ok(())
    }

    /// Detaches. Returns the object id of an automatic HWPT that lost its
    /// last device, which the caller removes from the table.
    pub(crate) fn detach(&self) -> Result<Option<u32>> {
        let mut st = self.attached.lock();
        let a = st.attachment.take().ok_or(EINVAL)?;
        self.is_attached.store(false, Ordering::Release);
        // Vectors first: their doorbells live in the domain.
        st.irqs = None;
        a.hwpt.domain.detach(&self.dev);
        a.hwpt.users.fetch_sub(1, Ordering::AcqRel);
        Ok(self.release(&a.hwpt, true))
    }

    /// After the device left `hwpt` (and `users` was decremented): drops
    /// the device's reservations if `unreserve`, and takes an automatic HWPT
    /// left without devices off its IOAS's list. Returns its object id.
    fn release(&self, hwpt: &Arc<Hwpt>, unreserve: bool) -> Option<u32> {
        let last = hwpt.users.load(Ordering::Acquire) == 0;
        let unlisted = {
            let mut s = hwpt.ioas.state.lock();
            if unreserve {
                s.space.unreserve(self.tag());
            }
            let pos = s.auto_hwpts.iter().position(|h| Arc::ptr_eq(h, hwpt));
            match pos {
                Some(i) if last => s.auto_hwpts.remove(i).ok(),
                _ => None,
            }
        };
        // Dropped with no IOAS lock held: the HWPT's `Drop` takes it.
        drop(unlisted);
        (hwpt.auto && last)
            .then(|| hwpt.id.load(Ordering::Acquire))
            .filter(|&i| i != 0)
    }
}

impl DeviceObject {
    /// IOMMU_OPTION_SW_MSI_START / _SIZE on this device (UAPI.md): only
    /// while detached (`-EBUSY`); START is a 1 MiB-aligned address, SIZE in
    /// MiB completes the window from START (0: back to the driver's window).
    pub(crate) fn sw_msi_option(&self, option: u32, set: bool, val: &mut u64) -> Result {
        let mut st = self.attached.lock();
        if st.attachment.is_some() {
            return Err(EBUSY);
        }
        match (option, set) {
            (uapi::OPTION_SW_MSI_START, false) => *val = st.sw_msi_start.unwrap_or(0),
            (uapi::OPTION_SW_MSI_SIZE, false) => *val = st.window.map_or(0, |w| w.size >> 20),
            (uapi::OPTION_SW_MSI_START, true) => {
                sw_msi::check_start(*val).map_err(kerr)?;
                st.sw_msi_start = Some(*val);
                st.window = None;
            }
            (uapi::OPTION_SW_MSI_SIZE, true) => {
                if *val == 0 {
                    st.window = None;
                    st.sw_msi_start = None;
                    return Ok(());
                }
                let start = st.sw_msi_start.ok_or(EINVAL)?;
                let w = sw_msi::make_window(start, *val).map_err(kerr)?;
                let regions = typed_regions(&self.dev)?;
                sw_msi::check_window(&regions, &w).map_err(kerr)?;
                st.window = Some(w);
            }
            _ => return Err(EOPNOTSUPP),
        }
        Ok(())
    }

    /// IOMMU_DEVICE_SET_IRQS: one vector per eventfd, replacing any
    /// vectors the device had; none frees them. Needs an attachment
    /// (`-EINVAL`): doorbells are mapped through its domain. A request with
    /// bad eventfds or too many vectors leaves the old vectors in place.
    pub(crate) fn set_irqs(&self, fds: &[i32]) -> Result {
        let mut st = self.attached.lock();
        if fds.is_empty() {
            st.irqs = None;
            return Ok(());
        }
        let window = st.attachment.as_ref().ok_or(EINVAL)?.msi_window;
        // Every input error surfaces here, before the old vectors go (the
        // PCI core cannot allocate new ones while they exist).
        let mut new = Irqs::prepare(&self.dev, fds)?;
        st.irqs = None;
        new.enable(window)?;
        st.irqs = Some(new);
        Ok(())
    }

    /// The device's regions as IOMMU_DEVICE_GET_RESV_REGIONS shows them: the
    /// driver's, with its SW_MSI window replaced by the user's (flagged).
    pub(crate) fn resv_view(&self, out: &mut dyn FnMut(sw_msi::ResvRegion)) -> Result {
        let window = self.attached.lock().window;
        let regions = typed_regions(&self.dev)?;
        for r in regions.iter() {
            if window.is_none() || r.kind != ResvType::SwMsi {
                out(*r);
            }
        }
        if let Some(w) = window {
            out(sw_msi::ResvRegion {
                start: w.start,
                last: w.last(),
                kind: ResvType::SwMsi,
                user_window: true,
            });
        }
        Ok(())
    }
}

#[pinned_drop]
impl PinnedDrop for DeviceObject {
    fn drop(self: Pin<&mut Self>) {
        // Only on close (DESTROY refuses an attached device): give the group
        // back detached. The HWPT object goes with the rest of the table.
        let _ = self.detach();
    }
}
