// SPDX-License-Identifier: GPL-2.0

//! A device behind the SMMU ("master"): its stream ids, from the firmware
//! (`iommu-map` / `iommus`), and the STE each domain type gives them.

use crate::nested::NestedDomain;
use crate::s2_domain::S2Domain;
use crate::smmu::{
    Route,
    Smmu, //
};
use crate::spec::ste::Ste;
use core::sync::atomic::{
    AtomicU64,
    Ordering, //
};
use kernel::alloc::KVec;
use kernel::prelude::*;
use kernel::sync::Arc;

/// Numbers masters: a vIOMMU names its devices by this, never reused, so
/// that a virtual id can outlive its master without ever naming another.
static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// One probed device.
pub(crate) struct Master {
    pub(crate) smmu: Arc<Smmu>,
    /// Unique for the module's life.
    pub(crate) id: u64,
    sids: KVec<u32>,
}

impl Master {
    /// Prepares the STEs of `sids` (abort until a domain is attached).
    pub(crate) fn probe(smmu: &Arc<Smmu>, sids: &[u32]) -> Result<KBox<Self>> {
        let mut v = KVec::with_capacity(sids.len(), GFP_KERNEL)?;
        for &sid in sids {
            smmu.prepare_sid(sid)?;
            v.push(sid, GFP_KERNEL)?;
        }
        Ok(KBox::new(
            Self {
                smmu: smmu.clone(),
                id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
                sids: v,
            },
            GFP_KERNEL,
        )?)
    }

    /// Installs `ste`; the device's guest events go to `route` from then
    /// on (`None`: to no guest).
    fn install(&self, ste: Ste, route: Option<Route>) -> Result {
        self.smmu
            .install_for_master(self.id, &self.sids, ste, route)
    }

    /// Identity domain: bypass.
    pub(crate) fn attach_bypass(&self) -> Result {
        self.install(Ste::Bypass, None)
    }

    /// Blocked domain: abort.
    pub(crate) fn attach_abort(&self) -> Result {
        self.install(Ste::Abort, None)
    }

    /// The device's stream ids.
    pub(crate) fn sids(&self) -> &[u32] {
        &self.sids
    }

    /// A nested domain of the same SMMU (`EINVAL` for another's); one
    /// whose guest stage 1 translates needs the device to have a virtual
    /// id in the domain's vIOMMU (`ENOENT`), as upstream requires. With a
    /// virtual id there, the device's guest events go to that vIOMMU until
    /// its next attach (upstream's `arm_smmu_attach_prepare_vmaster`).
    pub(crate) fn attach_nested(&self, domain: &NestedDomain) -> Result {
        if !core::ptr::eq(&*domain.viommu.smmu, &*self.smmu) {
            return Err(EINVAL);
        }
        let vsid = domain.viommu.virtual_sid(self);
        if domain.translates() && vsid.is_none() {
            return Err(ENOENT);
        }
        let route = vsid.map(|vsid| Route {
            viommu: domain.viommu.clone(),
            vsid,
        });
        self.install(domain.ste(), route)
    }

    /// A stage-2 domain of the same SMMU (`EINVAL` for another's).
    pub(crate) fn attach_s2(&self, domain: &S2Domain) -> Result {
        if !core::ptr::eq(&*domain.smmu, &*self.smmu) {
            return Err(EINVAL);
        }
        self.install(domain.ste(), None)
    }

    /// The device left its user (the front end's driver let it go while a
    /// file held it): every virtual id it has is forgotten, and its events
    /// go to no guest, so that nothing of this user's reaches the next.
    pub(crate) fn leave_user(&self) {
        self.smmu.forget_master(self.id);
    }
}

impl Drop for Master {
    fn drop(&mut self) {
        // Its stream ids may go to another device: no vIOMMU may name
        // them for this one any more.
        self.smmu.forget_master(self.id);
        // The core attached the release (blocked) domain already; make sure.
        let _ = self.install(Ste::Abort, None);
    }
}
