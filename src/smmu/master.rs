// SPDX-License-Identifier: GPL-2.0

//! A device behind the SMMU ("master"): its stream ids, from the firmware
//! (`iommu-map` / `iommus`), and the STE each domain type gives them.

use crate::nested::NestedDomain;
use crate::s2_domain::S2Domain;
use crate::smmu::Smmu;
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

    /// Identity domain: bypass.
    pub(crate) fn attach_bypass(&self) -> Result {
        self.smmu.install(&self.sids, Ste::Bypass)
    }

    /// Blocked domain: abort.
    pub(crate) fn attach_abort(&self) -> Result {
        self.smmu.install(&self.sids, Ste::Abort)
    }

    /// The device's stream ids.
    pub(crate) fn sids(&self) -> &[u32] {
        &self.sids
    }

    /// A nested domain of the same SMMU (`EINVAL` for another's); one
    /// whose guest stage 1 translates needs the device to have a virtual
    /// id in the domain's vIOMMU (`ENOENT`), as upstream requires.
    pub(crate) fn attach_nested(&self, domain: &NestedDomain) -> Result {
        if !core::ptr::eq(&*domain.viommu.smmu, &*self.smmu) {
            return Err(EINVAL);
        }
        if domain.translates() && !domain.viommu.has_vdevice(self) {
            return Err(ENOENT);
        }
        self.smmu.install(&self.sids, domain.ste())
    }

    /// A stage-2 domain of the same SMMU (`EINVAL` for another's).
    pub(crate) fn attach_s2(&self, domain: &S2Domain) -> Result {
        if !core::ptr::eq(&*domain.smmu, &*self.smmu) {
            return Err(EINVAL);
        }
        self.smmu.install(&self.sids, domain.ste())
    }
}

impl Drop for Master {
    fn drop(&mut self) {
        // Its stream ids may go to another device: no vIOMMU may name
        // them for this one any more.
        self.smmu.forget_master(self.id);
        // The core attached the release (blocked) domain already; make sure.
        let _ = self.smmu.install(&self.sids, Ste::Abort);
    }
}
