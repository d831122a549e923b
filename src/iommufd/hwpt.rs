// SPDX-License-Identifier: GPL-2.0

//! The paging HWPT object and its commands (upstream's `hw_pagetable.c`):
//! a domain registered with an IOAS.

use crate::{
    device::DeviceObject,
    domain::{
        cond_resched,
        Domain, //
    },
    file::IommufdFile,
    ioas::{
        kerr,
        IoasObject,
        IoasState, //
    },
    iova_space::sw_msi::Window,
    kernel_ext::capability,
    object::{
        file_object,
        Dep,
        Object,
        ObjectHeader, //
    },
    uapi,
    ucmd::UserCmd,
    viommu::ViommuObject, //
};
use kernel::{
    fs::File,
    prelude::*,
    sync::{
        Arc,
        LockedBy, //
    }, //
};

/// A HWPT. A paging one is a domain registered with an IOAS: while it
/// lives, the domain's aperture holes are reserved in the IOAS (tagged
/// with the HWPT), the IOAS's alignment covers its pages, and every area
/// is mapped in it; dropping it undoes that. It depends on its IOAS. A
/// nested one is a domain of a vIOMMU: the guest's stage 1 over the
/// vIOMMU's nest parent, into which the IOAS maps nothing; it depends on
/// the vIOMMU, and its IOAS is the parent's (where attached devices
/// reserve their regions and the SW_MSI window, as upstream's
/// `find_hwpt_paging` sends them to the parent). Attached devices depend
/// on a HWPT of either kind (see `object.rs`).
pub(crate) struct HwptObject {
    header: ObjectHeader,
    /// The domain.
    pub(crate) domain: Arc<Domain>,
    /// The IOAS it follows (a nested HWPT: its parent's).
    pub(crate) ioas: Dep<IoasObject>,
    /// Allocated with IOMMU_HWPT_ALLOC_NEST_PARENT.
    pub(crate) nest_parent: bool,
    /// A nested HWPT's vIOMMU.
    viommu: Option<Dep<ViommuObject>>,
    /// Where the domain's MSI cookie puts doorbells (and, for a nested
    /// HWPT, the window in the parent's stage 2 they map into), once the
    /// first device with a SW_MSI window attached; under the IOAS lock.
    msi_base: LockedBy<Option<(u64, Window)>, IoasState>,
    /// How many devices are attached, under the IOAS lock: an automatic
    /// HWPT leaves its IOAS's list (and the table) when this drops to 0.
    /// DESTROY does not look at it: each attachment is a [`Dep`] as well.
    devices: LockedBy<usize, IoasState>,
}

file_object!(HwptObject, Hwpt);

impl HwptObject {
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
                nest_parent: flags & uapi::HWPT_ALLOC_NEST_PARENT != 0,
                viommu: None,
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

    /// A nested HWPT on `viommu` for `dev`, from the user's data (see
    /// [`crate::provider::ProviderViommu::alloc_nested`]).
    fn new_nested(
        dev: &DeviceObject,
        viommu: Dep<ViommuObject>,
        flags: u32,
        data: (u32, u64, u32),
    ) -> Result<Arc<Self>> {
        let parent = &viommu.parent;
        let domain =
            viommu
                .provider
                .alloc_nested(&dev.pci, flags, data, parent.domain.geometry())?;
        let domain = Arc::new(domain, GFP_KERNEL_ACCOUNT)?;
        let ioas = parent.ioas.clone();
        let msi_base = LockedBy::new(&ioas.state, None);
        let devices = LockedBy::new(&ioas.state, 0);
        Ok(Arc::new(
            Self {
                header: ObjectHeader::default(),
                domain,
                ioas,
                nest_parent: false,
                viommu: Some(viommu),
                msi_base,
                devices,
            },
            GFP_KERNEL_ACCOUNT,
        )?)
    }

    /// Whether this is a nested HWPT.
    pub(crate) fn is_nested(&self) -> bool {
        self.viommu.is_some()
    }

    /// A nested HWPT's vIOMMU.
    pub(crate) fn viommu(&self) -> Option<&ViommuObject> {
        self.viommu.as_deref()
    }

    /// The tag of this HWPT's reserved ranges.
    fn tag(&self) -> u64 {
        core::ptr::from_ref(self) as u64
    }

    /// The tag of this HWPT's SW_MSI window reservation: apart from its
    /// aperture holes, so that a failed placement undoes only it. The
    /// address plus one is no object's address (they are aligned).
    fn msi_tag(&self) -> u64 {
        self.tag() + 1
    }

    fn register(&self, st: &mut IoasState) -> Result {
        let geo = self.domain.geometry();
        let min_page = 1u64 << geo.pgsize_bitmap.trailing_zeros().min(63);
        let align = st.space.iova_alignment().max(min_page);
        st.space
            .set_iova_alignment(align, &mut cond_resched)
            .map_err(kerr)?;
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
        // Room first: once filled, the domain must be registered.
        st.domains.reserve(1, GFP_KERNEL_ACCOUNT)?;
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

    /// Where a device's doorbells are placed in this HWPT's domain for the
    /// SW_MSI window `w`: at the window for a paging HWPT; for a nested
    /// one at the gIOVA the guest's stage 1 maps the window at (`giova`,
    /// the device's IOMMU_OPTION_NESTED_MSI_IOVA), by default the window
    /// itself (the identity).
    pub(crate) fn msi_iova(&self, w: Window, giova: Option<u64>) -> u64 {
        match giova {
            Some(g) if self.is_nested() => g,
            _ => w.start,
        }
    }

    /// Places the domain's MSI doorbells for the SW_MSI window `w`, once; a
    /// later device must place them the same way (`-EINVAL`): one cookie
    /// per domain. A nested domain's cookie sits at the gIOVA slots
    /// ([`Self::msi_iova`]), and the driver maps each doorbell into the
    /// parent's stage 2 at the same slot of the window. Called with the
    /// IOAS lock held, which `st` proves.
    ///
    /// The window stays reserved in the IOAS under this HWPT's tag until
    /// the HWPT goes, not only while a device that uses it is attached:
    /// the doorbells stay mapped in the domain (the cookie's, or the
    /// parent's stage 2) as long as it lives, and an area the IOAS placed
    /// over one after the device left would fail to map (`-EEXIST` on
    /// smmu_rs) or WARN in io-pgtable-arm.
    pub(crate) fn use_msi_window(
        &self,
        st: &mut IoasState,
        w: Window,
        giova: Option<u64>,
    ) -> Result {
        let base = self.msi_iova(w, giova);
        let placed = *self.msi_base.access_mut(st);
        match placed {
            None => {
                // The attaching device has just reserved the window, so no
                // area is in it: this cannot fail for want of room (only
                // of memory), and ranges of several owners may overlap.
                st.space
                    .reserve(w.start, w.last(), self.msi_tag())
                    .map_err(kerr)?;
                let placed_now = (|| {
                    if self.is_nested() {
                        crate::provider::nested_msi_window(&self.domain, base, w.start, w.size)?;
                    }
                    self.domain.set_msi_cookie(base)
                })();
                if let Err(e) = placed_now {
                    st.space.unreserve(self.msi_tag());
                    return Err(e);
                }
                *self.msi_base.access_mut(st) = Some((base, w));
                Ok(())
            }
            Some((b, pw)) if b == base && pw == w => Ok(()),
            Some(_) => Err(EINVAL),
        }
    }
}

impl Drop for HwptObject {
    fn drop(&mut self) {
        // No device is attached any more (each holds a dependency).
        let mut st = self.ioas.state.lock();
        if let Some(i) = st.domains.iter().position(|d| Arc::ptr_eq(d, &self.domain)) {
            st.domains.remove(i).ok();
            st.unfill(&self.domain);
        }
        st.space.unreserve(self.tag());
        st.space.unreserve(self.msi_tag());
        st.recompute_alignment();
    }
}

/// Where IOMMU_HWPT_ALLOC makes its HWPT.
enum Parent {
    /// A paging HWPT following an IOAS.
    Ioas(Dep<IoasObject>),
    /// A nested HWPT on a vIOMMU.
    Viommu(Dep<ViommuObject>),
}

/// IOMMU_HWPT_ALLOC, in upstream's order (`hw_pagetable.c`): reserved
/// fields (`-EOPNOTSUPP`), a data type without data or data without a
/// type (`-EINVAL`), the device (`-ENOENT`), `pt_id` missing or of a kind
/// that cannot parent (`-EINVAL`). On an IOAS: a paging HWPT, optionally a
/// nest parent, from the device's own IOMMU driver (no driver data). On a
/// paging HWPT: `-EOPNOTSUPP` (nested HWPTs hang off a vIOMMU, as for
/// upstream's arm driver). On a vIOMMU: a nested HWPT from a guest's vSTE
/// (`IOMMU_HWPT_DATA_ARM_SMMUV3`), for a device behind the vIOMMU's SMMU
/// (`-EINVAL`); no flags (`-EOPNOTSUPP`), and the driver validates the data
/// (`-EINVAL` for a type or length other than 16 bytes, `-EFAULT`, `-EIO`
/// for a vSTE it refuses).
pub(crate) fn alloc(f: &IommufdFile, ucmd: &UserCmd, mut cmd: uapi::IommuHwptAlloc) -> Result {
    if cmd.__reserved != 0 || cmd.__reserved2 != 0 {
        return Err(EOPNOTSUPP);
    }
    if (cmd.data_type == uapi::HWPT_DATA_NONE) != (cmd.data_len == 0) {
        return Err(EINVAL);
    }
    let (dev, parent) = {
        let st = f.lock();
        let dev = st.objects.get::<DeviceObject>(cmd.dev_id)?;
        let parent = if let Ok(ioas) = st.objects.depend::<IoasObject>(cmd.pt_id) {
            Parent::Ioas(ioas)
        } else if let Ok(viommu) = st.objects.depend::<ViommuObject>(cmd.pt_id) {
            Parent::Viommu(viommu)
        } else if st
            .objects
            .get::<HwptObject>(cmd.pt_id)
            .is_ok_and(|h| !h.is_nested())
        {
            return Err(EOPNOTSUPP);
        } else {
            return Err(EINVAL);
        };
        (dev, parent)
    };
    let hwpt = match parent {
        Parent::Ioas(ioas) => {
            // `fault_id` means something only with FAULT_ID_VALID, which
            // is refused here with the other flags, as upstream reads it.
            if cmd.flags & !uapi::HWPT_ALLOC_NEST_PARENT != 0
                || cmd.data_type != uapi::HWPT_DATA_NONE
            {
                return Err(EOPNOTSUPP);
            }
            HwptObject::new(&dev, ioas, cmd.flags)?
        }
        Parent::Viommu(viommu) => {
            // In upstream's order: a device of another IOMMU (`-EINVAL`)
            // before the flags, which the driver refuses (`-EOPNOTSUPP`,
            // FAULT_ID_VALID and PASID included); `data_len` is not 0 here.
            let data = (cmd.data_type, cmd.data_uptr, cmd.data_len);
            HwptObject::new_nested(&dev, viommu, cmd.flags, data)?
        }
    };
    f.publish(Object::Hwpt(hwpt), |id| {
        cmd.out_hwpt_id = id;
        ucmd.respond(&cmd)
    })
    .map(drop)
}

/// Whether `file` was opened with CAP_SYS_ADMIN in the initial user
/// namespace: who may learn host physical addresses.
///
/// As `/proc/pid/pagemap` decides whether to show PFNs
/// (`file_ns_capable()` in `pagemap_read()`): by the credentials the file
/// was opened with, not the caller's, so that an unprivileged opener cannot
/// get them by handing the descriptor to a privileged program (a setuid
/// binary's ioctl on a descriptor it was given), while a privileged opener
/// may hand them on with the descriptor, as it may hand on the pagemap file.
fn opener_may_see_phys(file: &File) -> bool {
    capability::file_capable(file, capability::Capability::SysAdmin)
}

/// IOMMU_HWPT_TRANSLATE: what an IOVA translates to in a HWPT's domain.
/// The leaf size comes from our SMMUv3 driver's own table walk; other
/// drivers give 0 (the IOMMU core API cannot tell it).
///
/// The answer is a host physical address, which `/proc/pid/pagemap` hides
/// from unprivileged users (it helps Rowhammer-style attacks): `-EPERM`
/// unless the file was opened with CAP_SYS_ADMIN, checked first, before the
/// HWPT is looked up, so nothing is learned about ids either.
pub(crate) fn translate(
    f: &IommufdFile,
    file: &File,
    ucmd: &UserCmd,
    mut cmd: uapi::IommuHwptTranslate,
) -> Result {
    if !opener_may_see_phys(file) {
        return Err(EPERM);
    }
    let hwpt = f.get::<HwptObject>(cmd.hwpt_id)?;
    if hwpt.is_nested() {
        // The guest's stage 1 is in the guest's memory, not walked here.
        return Err(EOPNOTSUPP);
    }
    (cmd.out_phys, cmd.out_leaf_size) = crate::provider::translate(&hwpt.domain, cmd.iova)?;
    ucmd.respond(&cmd)
}
