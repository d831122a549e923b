// SPDX-License-Identifier: GPL-2.0

//! The TLB and configuration invalidations that follow a stage-2 change,
//! and the one that must precede a VMID's reuse.

use super::Invalidator;
use crate::spec::command::{
    self,
    Command,
    RangeInvalidation, //
};

/// A batch the SMMU did not confirm: the driver logs it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Failure {
    /// The stage-2 invalidation of a range, from `iova`.
    Range {
        /// The domain's VMID.
        vmid: u16,
        /// The first address of the range.
        iova: u64,
    },
    /// The invalidation of every entry of a VMID.
    Vmid {
        /// The VMID.
        vmid: u16,
    },
    /// The stage-1 invalidation of a nest parent's VMID.
    Stage1 {
        /// The VMID.
        vmid: u16,
    },
}

/// Pages beyond which a range without RIL is invalidated as a whole VMID.
pub const MAX_PAGE_COMMANDS: u64 = 64;

/// The commands that invalidate every TLB and walk-cache entry of `vmid`
/// for `[iova, iova + size)`: range commands where the SMMU has them
/// (`ril`), one command per 4 KiB page up to [`MAX_PAGE_COMMANDS`] pages,
/// the whole VMID beyond.
pub enum Stage2Commands {
    /// TLBI_S2_IPA range commands.
    Ranges(RangeInvalidation),
    /// One TLBI_S2_IPA per page.
    Pages {
        /// The VMID.
        vmid: u16,
        /// The next page's address.
        iova: u64,
        /// Pages left.
        left: u64,
    },
    /// TLBI_S12_VMALL, until taken.
    Vmid(Option<Command>),
}

impl Stage2Commands {
    /// The commands for `[iova, iova + size)` of `vmid`.
    pub fn new(ril: bool, vmid: u16, iova: u64, size: u64) -> Self {
        let pages = size.div_ceil(4096);
        if ril {
            Self::Ranges(RangeInvalidation::new(vmid, iova, pages))
        } else if pages <= MAX_PAGE_COMMANDS {
            Self::Pages {
                vmid,
                iova,
                left: pages,
            }
        } else {
            Self::Vmid(Some(command::tlbi_s12_vmall(vmid)))
        }
    }
}

impl Iterator for Stage2Commands {
    type Item = Command;

    fn next(&mut self) -> Option<Command> {
        match self {
            Self::Ranges(r) => r.next(),
            Self::Pages { vmid, iova, left } => {
                if *left == 0 {
                    return None;
                }
                let cmd = command::tlbi_s2_ipa(*vmid, *iova, None);
                *iova += 4096;
                *left -= 1;
                Some(cmd)
            }
            Self::Vmid(cmd) => cmd.take(),
        }
    }
}

/// The stage-1 batch of a nest parent's VMID: TLBI_NH_ALL, then CFGI_STE
/// and CFGI_CD_ALL of every stream in `nested` (stream id, VMID) whose
/// nested STE is over `vmid`.
pub fn stage1_commands(
    vmid: u16,
    nested: impl Iterator<Item = (u32, u16)>,
) -> impl Iterator<Item = Command> {
    let cfgi = nested
        .filter(move |&(_, v)| v == vmid)
        .flat_map(|(sid, _)| [command::cfgi_ste(sid), command::cfgi_cd_all(sid)]);
    core::iter::once(command::tlbi_nh_all(vmid)).chain(cfgi)
}

/// After a stage-2 change of `[iova, iova + size)` of `vmid`: the
/// [`Stage2Commands`] and a CMD_SYNC; then, for a nest parent, the
/// stage-1 batch ([`invalidate_stage1`]) in a batch of its own, so that
/// no walk between the two can refill a combined stage-1+2 entry from a
/// stale stage-2 entry. An error (reported) if the SMMU did not confirm
/// either: the old translations may still be cached.
pub fn invalidate_range<T: Invalidator>(
    smmu: &mut T,
    ril: bool,
    vmid: u16,
    iova: u64,
    size: u64,
    nest_parent: bool,
) -> Result<(), T::Error> {
    let r = smmu.issue(Stage2Commands::new(ril, vmid, iova, size));
    if r.is_err() {
        smmu.report(Failure::Range { vmid, iova });
    }
    let stage1 = if nest_parent {
        invalidate_stage1(smmu, vmid)
    } else {
        Ok(())
    };
    r.and(stage1)
}

/// After a stage-2 change of a nest parent: TLBI_S2_IPA leaves combined
/// stage-1+2 entries of the guest's ASIDs in place (SMMUv3 §3.17.4;
/// QEMU's model keeps them too), so a nested device could go on using a
/// page the IOAS has unpinned. TLBI_NH_ALL for the VMID drops them.
///
/// The guest's context descriptor and stage-1 tables sit at IPAs that
/// this stage 2 translates. An SMMU may keep a fetched configuration with
/// the output of those translations (QEMU keeps the CD's and the TTB's
/// physical addresses until a CFGI), and no TLBI drops a configuration
/// cache entry; so every stream with a nested STE over the VMID also gets
/// CFGI_STE and CFGI_CD_ALL in the same batch, and the SMMU refetches
/// through the new stage 2. Upstream does not do this; without it a user
/// who unmaps the IOAS page holding its CD could have the SMMU walk a page
/// that was freed. One batch ([`stage1_commands`]); an error (reported) as
/// for [`invalidate_range`].
pub fn invalidate_stage1<T: Invalidator>(smmu: &mut T, vmid: u16) -> Result<(), T::Error> {
    let r = smmu.issue_stage1(vmid);
    if r.is_err() {
        smmu.report(Failure::Stage1 { vmid });
    }
    r
}

/// Every entry of `vmid` (TLBI_S12_VMALL) and a CMD_SYNC. An error
/// (reported) as for [`invalidate_range`].
pub fn invalidate_vmid<T: Invalidator>(smmu: &mut T, vmid: u16) -> Result<(), T::Error> {
    let r = smmu.issue(core::iter::once(command::tlbi_s12_vmall(vmid)));
    if r.is_err() {
        smmu.report(Failure::Vmid { vmid });
    }
    r
}

/// A stage-2 domain is freed (no STE names `vmid` any more): its VMID's
/// entries are invalidated, then the VMID is free for a new domain; unless
/// the SMMU did not confirm the invalidation, when a later domain given
/// the VMID could hit this one's stale entries: it is leaked.
pub fn release_vmid<T: Invalidator>(smmu: &mut T, vmid: u16) {
    if invalidate_vmid(smmu, vmid).is_ok() {
        smmu.free_vmid(vmid);
    }
}
