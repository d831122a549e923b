// SPDX-License-Identifier: GPL-2.0

//! The paging HWPT object and its commands (upstream's `hw_pagetable.c`):
//! a domain registered with an IOAS.

use crate::{
    device::DeviceObject,
    domain::Domain,
    file::IommufdFile,
    ioas::{
        kerr,
        IoasObject,
        IoasState, //
    },
    object::{
        file_object,
        Dep,
        Object,
        ObjectHeader, //
    },
    uapi,
    ucmd::UserCmd, //
};
use kernel::{
    prelude::*,
    sync::{
        Arc,
        LockedBy, //
    }, //
};

/// A paging HWPT: a domain registered with an IOAS. While it lives, the
/// domain's aperture holes are reserved in the IOAS (tagged with the HWPT),
/// the IOAS's alignment covers its pages, and every area is mapped in it;
/// dropping it undoes that. It depends on its IOAS; attached devices depend
/// on it (see `object.rs`).
pub(crate) struct Hwpt {
    header: ObjectHeader,
    /// The domain.
    pub(crate) domain: Arc<Domain>,
    /// The IOAS it follows.
    pub(crate) ioas: Dep<IoasObject>,
    /// Where the domain's MSI cookie puts doorbells, once the first device
    /// with a SW_MSI window attached; under the IOAS lock.
    msi_base: LockedBy<Option<u64>, IoasState>,
    /// How many devices are attached, under the IOAS lock: an automatic
    /// HWPT leaves its IOAS's list (and the table) when this drops to 0.
    /// DESTROY does not look at it: each attachment is a [`Dep`] as well.
    devices: LockedBy<usize, IoasState>,
}

file_object!(Hwpt, Hwpt);

impl Hwpt {
    /// A new domain for `dev` with `IOMMU_HWPT_ALLOC_*` `flags`, registered
    /// with the IOAS `ioas`. An automatic HWPT is one its IOAS lists
    /// (`IoasState::auto_hwpts`).
    pub(crate) fn new(dev: &DeviceObject, ioas: Dep<IoasObject>, flags: u32) -> Result<Arc<Self>> {
        let domain = Arc::new(Domain::alloc(&dev.pci, flags)?, GFP_KERNEL_ACCOUNT)?;
        let msi_base = LockedBy::new(&ioas.state, None);
        let devices = LockedBy::new(&ioas.state, 0);
        let hwpt = Arc::new(
            Self {
                header: ObjectHeader::default(),
                domain,
                ioas,
                msi_base,
                devices,
            },
            GFP_KERNEL_ACCOUNT,
        )?;
        // On failure `hwpt` is dropped after the lock is released, and its
        // `Drop` removes whatever was registered.
        let registered = hwpt.register(&mut hwpt.ioas.state.lock());
        registered.map(|()| hwpt)
    }

    /// The tag of this HWPT's reserved ranges.
    fn tag(&self) -> u64 {
        core::ptr::from_ref(self) as u64
    }

    fn register(&self, st: &mut IoasState) -> Result {
        let geo = self.domain.geometry();
        let min_page = 1u64 << geo.pgsize_bitmap.trailing_zeros().min(63);
        let align = st.space.iova_alignment().max(min_page);
        st.space.set_iova_alignment(align).map_err(kerr)?;
        if geo.aperture_start > 0 {
            st.space
                .reserve(0, geo.aperture_start - 1, self.tag())
                .map_err(kerr)?;
        }
        if geo.aperture_end < u64::MAX {
            st.space
                .reserve(geo.aperture_end + 1, u64::MAX, self.tag())
                .map_err(kerr)?;
        }
        st.fill(&self.domain)?;
        st.domains.push(self.domain.clone(), GFP_KERNEL_ACCOUNT)?;
        Ok(())
    }

    /// Counts a device attaching (`true`) or leaving (`false`); with the
    /// IOAS lock held, which `st` proves.
    pub(crate) fn count_device(&self, st: &mut IoasState, attaching: bool) {
        let n = self.devices.access_mut(st);
        *n = if attaching {
            *n + 1
        } else {
            n.saturating_sub(1)
        };
    }

    /// Whether any device is attached; with the IOAS lock held.
    pub(crate) fn has_devices(&self, st: &mut IoasState) -> bool {
        *self.devices.access_mut(st) != 0
    }

    /// Places the domain's MSI doorbells at `base`, once; a later device
    /// must use the same window (`-EINVAL`): one cookie per domain. Called
    /// with the IOAS lock held, which `st` proves.
    pub(crate) fn use_msi_window(&self, st: &mut IoasState, base: u64) -> Result {
        let placed = self.msi_base.access_mut(st);
        match *placed {
            None => {
                self.domain.set_msi_cookie(base)?;
                *placed = Some(base);
                Ok(())
            }
            Some(b) if b == base => Ok(()),
            Some(_) => Err(EINVAL),
        }
    }
}

impl Drop for Hwpt {
    fn drop(&mut self) {
        // No device is attached any more (each holds a dependency).
        let mut st = self.ioas.state.lock();
        if let Some(i) = st.domains.iter().position(|d| Arc::ptr_eq(d, &self.domain)) {
            st.domains.remove(i).ok();
        }
        st.space.unreserve(self.tag());
        st.recompute_alignment();
    }
}

/// IOMMU_HWPT_ALLOC: a paging (optionally nest-parent) HWPT from the
/// device's own IOMMU driver, following an IOAS. Nested data types need
/// this project's SMMUv3 driver: -EOPNOTSUPP on this provider.
pub(crate) fn alloc(f: &IommufdFile, ucmd: &UserCmd, mut cmd: uapi::IommuHwptAlloc) -> Result {
    if cmd.flags & !uapi::HWPT_ALLOC_NEST_PARENT != 0
        || cmd.__reserved != 0
        || cmd.data_type != uapi::HWPT_DATA_NONE
        || cmd.fault_id != 0
        || cmd.__reserved2 != 0
    {
        return Err(EOPNOTSUPP);
    }
    let (dev, ioas) = {
        let st = f.lock();
        let dev = st.objects.get::<DeviceObject>(cmd.dev_id)?;
        // Upstream: a `pt_id` that is no IOAS, missing or of another kind,
        // is -EINVAL (hw_pagetable.c).
        let ioas = st
            .objects
            .depend::<IoasObject>(cmd.pt_id)
            .map_err(|_| EINVAL)?;
        (dev, ioas)
    };
    let hwpt = Hwpt::new(&dev, ioas, cmd.flags)?;
    f.publish(Object::Hwpt(hwpt), |id| {
        cmd.out_hwpt_id = id;
        ucmd.respond(&cmd)
    })
    .map(drop)
}

/// IOMMU_HWPT_TRANSLATE: what an IOVA translates to in a HWPT's domain.
/// The leaf size comes from our SMMUv3 driver's own table walk; other
/// drivers give 0 (the IOMMU core API cannot tell it).
pub(crate) fn translate(
    f: &IommufdFile,
    ucmd: &UserCmd,
    mut cmd: uapi::IommuHwptTranslate,
) -> Result {
    let hwpt = f.get::<Hwpt>(cmd.hwpt_id)?;
    (cmd.out_phys, cmd.out_leaf_size) = hwpt.domain.translate(cmd.iova)?;
    ucmd.respond(&cmd)
}
