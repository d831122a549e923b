// SPDX-License-Identifier: GPL-2.0

//! A device behind the SMMU ("master"): its stream ids, from the firmware
//! (`iommu-map` / `iommus`), and the STE each domain type gives them.

use crate::s2_domain::S2Domain;
use crate::smmu::Smmu;
use crate::spec::ste::Ste;
use kernel::alloc::KVec;
use kernel::prelude::*;
use kernel::sync::Arc;

/// One probed device.
pub(crate) struct Master {
    pub(crate) smmu: Arc<Smmu>,
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
        // The core attached the release (blocked) domain already; make sure.
        let _ = self.smmu.install(&self.sids, Ste::Abort);
    }
}
