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
    device::BoundDevice,
    hwpt::Domain,
    ioas_object::{kerr, IoasObject, IoasState},
};
use core::sync::atomic::{AtomicBool, Ordering};
use kernel::{new_mutex, prelude::*, sync::Arc, sync::Mutex};

/// `IOMMU_RESV_DIRECT_RELAXABLE`: not reserved in the IOAS (upstream skips it).
const RESV_DIRECT_RELAXABLE: u32 = 1;

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

/// A bound device as a file object.
#[pin_data(PinnedDrop)]
pub(crate) struct DeviceObject {
    /// The PCI function and its DMA ownership.
    pub(crate) dev: BoundDevice,
    #[pin]
    attached: Mutex<Option<Attachment>>,
    /// Whether `attached` holds an attachment (read by DESTROY).
    is_attached: AtomicBool,
}

impl DeviceObject {
    /// A device object for `dev`.
    pub(crate) fn new(dev: BoundDevice) -> Result<Arc<Self>> {
        Arc::pin_init(
            pin_init!(Self {
                dev,
                attached <- new_mutex!(None),
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
        if att.is_some() {
            return Err(EBUSY);
        }
        let domain = Arc::new(Domain::alloc(&self.dev, 0)?, GFP_KERNEL_ACCOUNT)?;
        let regions = self.dev.resv_regions()?;
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
                *att = Some(Attachment { hwpt, hwpt_id });
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
        regions: &[crate::device::ResvRegion],
    ) -> Result {
        let geo = domain.geometry();
        let dom_tag = Arc::as_ptr(domain) as u64;
        let min_page = 1u64 << geo.pgsize_bitmap.trailing_zeros().min(63);
        let align = st.space.iova_alignment().max(min_page);
        st.space.set_iova_alignment(align).map_err(kerr)?;
        for r in regions.iter().filter(|r| r.kind != RESV_DIRECT_RELAXABLE) {
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
        st.space.unreserve(dev.tag());
        st.space.unreserve(Arc::as_ptr(domain) as u64);
        st.recompute_alignment();
    }

    /// Detaches; returns the id of the HWPT object to remove.
    pub(crate) fn detach(&self) -> Result<u32> {
        let mut att = self.attached.lock();
        let a = att.take().ok_or(EINVAL)?;
        self.is_attached.store(false, Ordering::Release);
        a.hwpt.domain.detach(&self.dev);
        Self::forget(&a.hwpt.ioas, self, &a.hwpt.domain);
        Ok(a.hwpt_id)
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
