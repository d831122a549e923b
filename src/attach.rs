// SPDX-License-Identifier: GPL-2.0

//! Attaching bound devices to I/O address spaces.
//!
//! Attaching a device to an IOAS makes a paging domain with the device's own
//! IOMMU driver (an automatic HWPT), imports the device's reserved regions
//! and the domain's aperture holes into the IOAS (owner-tagged, so detach
//! removes exactly them), raises the IOAS's IOVA alignment to the domain's
//! smallest page, fills the domain with every area, and only then attaches
//! the device's group. Any failure undoes every step.
//!
//! Locking: a device's `attached` mutex is taken before the file's object
//! table lock and before the IOAS lock, never after; DESTROY reads the
//! atomic `is_attached` instead of taking it.

use crate::{
    device::{BoundDevice, ResvRegion},
    hwpt::Domain,
    ioas::sw_msi::{self, ResvType, Window},
    ioas_object::{kerr, IoasObject, IoasState},
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

/// A paging HWPT: a domain and the IOAS whose areas it maps.
pub(crate) struct Hwpt {
    /// The domain.
    pub(crate) domain: Arc<Domain>,
    /// The IOAS it follows.
    pub(crate) ioas: Arc<IoasObject>,
}

/// A device's current attachment.
struct Attachment {
    hwpt: Arc<Hwpt>,
    hwpt_id: u32,
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

    /// Attaches to `ioas` through a new paging domain. `publish` inserts the
    /// HWPT object and answers userspace; if it fails, the attach is undone.
    pub(crate) fn attach(
        &self,
        ioas: &Arc<IoasObject>,
        publish: impl FnOnce(&Arc<Hwpt>) -> Result<u32>,
    ) -> Result {
        let mut att = self.attached.lock();
        if att.attachment.is_some() {
            return Err(EBUSY);
        }
        let domain = Arc::new(Domain::alloc(&self.dev, 0)?, GFP_KERNEL_ACCOUNT)?;
        let driver_regions = typed_regions(&self.dev)?;
        // What gets reserved: the driver's regions with its SW_MSI window
        // replaced by the user's, which must lie in the aperture.
        let mut regions = KVVec::new();
        let mut failed = None;
        let in_force = sw_msi::attach_regions(&driver_regions, att.window, &mut |r| {
            if failed.is_none() {
                if let Err(e) = regions.push(r, GFP_KERNEL) {
                    failed = Some(e);
                }
            }
        });
        if let Some(e) = failed {
            return Err(e.into());
        }
        if let Some(w) = att.window {
            let geo = domain.geometry();
            sw_msi::check_aperture(&w, geo.aperture_start, geo.aperture_end).map_err(kerr)?;
        }
        if let Some(w) = in_force {
            domain.set_msi_cookie(w.start)?;
        }
        {
            let mut st = ioas.state.lock();
            let old_align = st.space.iova_alignment();
            if let Err(e) = self.import(&mut st, &domain, &regions) {
                self.unimport(&mut st, &domain, old_align);
                return Err(e);
            }
            if let Err(e) = st.fill(&domain) {
                self.unimport(&mut st, &domain, old_align);
                return Err(e);
            }
            // On failure the domain is freed on return, mappings and all.
            if let Err(e) = st.domains.push(domain.clone(), GFP_KERNEL_ACCOUNT) {
                self.unimport(&mut st, &domain, old_align);
                return Err(e.into());
            }
            ioas.note_domains(&st);
        }
        if let Err(e) = domain.attach(&self.dev) {
            Self::forget(ioas, self, &domain);
            return Err(e);
        }
        let hwpt = Arc::new(
            Hwpt {
                domain: domain.clone(),
                ioas: ioas.clone(),
            },
            GFP_KERNEL_ACCOUNT,
        );
        let hwpt = match hwpt {
            Ok(h) => h,
            Err(e) => {
                domain.detach(&self.dev);
                Self::forget(ioas, self, &domain);
                return Err(e.into());
            }
        };
        match publish(&hwpt) {
            Ok(hwpt_id) => {
                att.attachment = Some(Attachment { hwpt, hwpt_id });
                self.is_attached.store(true, Ordering::Release);
                Ok(())
            }
            Err(e) => {
                domain.detach(&self.dev);
                Self::forget(ioas, self, &domain);
                Err(e)
            }
        }
    }

    /// Reserves the device's regions and the domain's aperture holes and
    /// raises the alignment.
    fn import(
        &self,
        st: &mut IoasState,
        domain: &Arc<Domain>,
        regions: &[sw_msi::ResvRegion],
    ) -> Result {
        let geo = domain.geometry();
        let dom_tag = Arc::as_ptr(domain) as u64;
        let min_page = 1u64 << geo.pgsize_bitmap.trailing_zeros().min(63);
        let align = st.space.iova_alignment().max(min_page);
        st.space.set_iova_alignment(align).map_err(kerr)?;
        for r in regions {
            st.space
                .reserve(r.start, r.last, self.tag())
                .map_err(kerr)?;
        }
        if geo.aperture_start > 0 {
            st.space
                .reserve(0, geo.aperture_start - 1, dom_tag)
                .map_err(kerr)?;
        }
        if geo.aperture_end < u64::MAX {
            st.space
                .reserve(geo.aperture_end + 1, u64::MAX, dom_tag)
                .map_err(kerr)?;
        }
        Ok(())
    }

    /// Undoes `import`.
    fn unimport(&self, st: &mut IoasState, domain: &Arc<Domain>, old_align: u64) {
        st.space.unreserve(self.tag());
        st.space.unreserve(Arc::as_ptr(domain) as u64);
        let _ = st.space.set_iova_alignment(old_align);
    }

    /// Removes a detached `domain` from `ioas`, with everything attach put
    /// there for it. Its mappings go when it is freed.
    fn forget(ioas: &IoasObject, dev: &DeviceObject, domain: &Arc<Domain>) {
        let mut st = ioas.state.lock();
        if let Some(i) = st.domains.iter().position(|d| Arc::ptr_eq(d, domain)) {
            st.domains.remove(i).ok();
        }
        ioas.note_domains(&st);
        st.space.unreserve(dev.tag());
        st.space.unreserve(Arc::as_ptr(domain) as u64);
        st.recompute_alignment();
    }

    /// Detaches; returns the id of the HWPT object to remove.
    pub(crate) fn detach(&self) -> Result<u32> {
        let mut att = self.attached.lock();
        let a = att.attachment.take().ok_or(EINVAL)?;
        // Vectors first: their doorbells live in the domain going away.
        att.irqs = None;
        self.is_attached.store(false, Ordering::Release);
        a.hwpt.domain.detach(&self.dev);
        Self::forget(&a.hwpt.ioas, self, &a.hwpt.domain);
        Ok(a.hwpt_id)
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
        if st.attachment.is_none() {
            return Err(EINVAL);
        }
        // Every input error surfaces here, before the old vectors go (the
        // PCI core cannot allocate new ones while they exist).
        let mut new = Irqs::prepare(&self.dev, fds)?;
        st.irqs = None;
        new.enable()?;
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
