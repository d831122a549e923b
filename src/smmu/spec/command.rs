// SPDX-License-Identifier: GPL-2.0

//! The commands this driver issues (IHI 0070 §4), as `arm-smmu-v3.h`
//! encodes them: two 64-bit words each.

use super::Field;

/// One command: two 64-bit words.
pub type Command = [u64; 2];

/// CMDQ_0_OP.
pub const OP: Field = Field::new(7, 0);
/// CMD_CFGI_STE.
pub const OP_CFGI_STE: u64 = 0x03;
/// CMD_CFGI_ALL.
pub const OP_CFGI_ALL: u64 = 0x04;
/// CMD_CFGI_CD_ALL.
pub const OP_CFGI_CD_ALL: u64 = 0x06;
/// CMD_TLBI_NH_ALL.
pub const OP_TLBI_NH_ALL: u64 = 0x10;
/// CMD_TLBI_S12_VMALL.
pub const OP_TLBI_S12_VMALL: u64 = 0x28;
/// CMD_TLBI_S2_IPA.
pub const OP_TLBI_S2_IPA: u64 = 0x2a;
/// CMD_TLBI_NSNH_ALL.
pub const OP_TLBI_NSNH_ALL: u64 = 0x30;
/// CMD_SYNC.
pub const OP_CMD_SYNC: u64 = 0x46;

/// CMDQ_CFGI_0_SID.
pub const CFGI_0_SID: Field = Field::new(63, 32);
/// CMDQ_CFGI_1_LEAF: the STE only, not a level-1 descriptor.
pub const CFGI_1_LEAF: Field = Field::bit(0);
/// CMDQ_CFGI_1_RANGE: log2 of the stream ids covered, 31 for all.
pub const CFGI_1_RANGE: Field = Field::new(4, 0);
/// CMDQ_TLBI_0_NUM: range invalidation, pages - 1 in units of `SCALE`.
pub const TLBI_0_NUM: Field = Field::new(16, 12);
/// CMDQ_TLBI_0_SCALE.
pub const TLBI_0_SCALE: Field = Field::new(25, 20);
/// CMDQ_TLBI_0_VMID.
pub const TLBI_0_VMID: Field = Field::new(47, 32);
/// CMDQ_TLBI_1_LEAF: leaf entries only (walk caches kept).
pub const TLBI_1_LEAF: Field = Field::bit(0);
/// CMDQ_TLBI_1_TG: translation granule of a range (1: 4 KiB).
pub const TLBI_1_TG: Field = Field::new(11, 10);
/// CMDQ_TLBI_1_IPA_MASK, in place.
pub const TLBI_1_IPA: Field = Field::new(51, 12);
/// CMDQ_SYNC_0_CS: completion signal (0: none, observed through CONS).
pub const SYNC_0_CS: Field = Field::new(13, 12);

/// The most pages one range command covers in one `SCALE` step.
pub const TLBI_RANGE_NUM_MAX: u64 = 31;

/// The opcode of `cmd`.
pub const fn opcode(cmd: &Command) -> u64 {
    OP.get(cmd[0])
}

/// CMD_CFGI_STE for `sid` (leaf: only the STE, not a level-1 descriptor).
pub const fn cfgi_ste(sid: u32) -> Command {
    [
        OP.prep(OP_CFGI_STE) | CFGI_0_SID.prep(sid as u64),
        CFGI_1_LEAF.prep(1),
    ]
}

/// CMD_CFGI_CD_ALL for `sid`: every context descriptor cached for the
/// stream.
pub const fn cfgi_cd_all(sid: u32) -> Command {
    [OP.prep(OP_CFGI_CD_ALL) | CFGI_0_SID.prep(sid as u64), 0]
}

/// CMD_CFGI_ALL: every cached configuration.
pub const fn cfgi_all() -> Command {
    [OP.prep(OP_CFGI_ALL), CFGI_1_RANGE.prep(31)]
}

/// CMD_TLBI_NSNH_ALL: every non-secure, non-hyp TLB entry.
pub const fn tlbi_nsnh_all() -> Command {
    [OP.prep(OP_TLBI_NSNH_ALL), 0]
}

/// CMD_TLBI_NH_ALL for `vmid`: every stage-1 entry of the VMID, combined
/// stage-1+2 entries included, which TLBI_S2_IPA leaves in place.
pub const fn tlbi_nh_all(vmid: u16) -> Command {
    [OP.prep(OP_TLBI_NH_ALL) | TLBI_0_VMID.prep(vmid as u64), 0]
}

/// CMD_TLBI_S12_VMALL: every entry of `vmid`.
pub const fn tlbi_s12_vmall(vmid: u16) -> Command {
    [
        OP.prep(OP_TLBI_S12_VMALL) | TLBI_0_VMID.prep(vmid as u64),
        0,
    ]
}

/// CMD_TLBI_S2_IPA, leaf and walk entries (LEAF = 0). With `range`
/// (`num`, `scale`) the command covers `(num + 1) << scale` 4 KiB pages
/// from `ipa` (RIL); without, the entries holding `ipa`.
pub const fn tlbi_s2_ipa(vmid: u16, ipa: u64, range: Option<(u64, u64)>) -> Command {
    let (num, scale, tg) = match range {
        Some((n, s)) => (n, s, 1),
        None => (0, 0, 0),
    };
    [
        OP.prep(OP_TLBI_S2_IPA)
            | TLBI_0_NUM.prep(num)
            | TLBI_0_SCALE.prep(scale)
            | TLBI_0_VMID.prep(vmid as u64),
        TLBI_1_LEAF.prep(0) | TLBI_1_TG.prep(tg) | (ipa & TLBI_1_IPA.mask()),
    ]
}

/// CMD_SYNC with no completion signal: completion is observed through
/// CMDQ_CONS.
pub const fn cmd_sync() -> Command {
    [OP.prep(OP_CMD_SYNC) | SYNC_0_CS.prep(0), 0]
}

/// The TLBI_S2_IPA range commands covering `pages` 4 KiB pages from
/// `iova`: each covers `num << scale` pages, `scale` being the lowest set
/// bit of what is left, as the in-tree driver splits them.
pub struct RangeInvalidation {
    /// The VMID.
    vmid: u16,
    /// The next IPA.
    iova: u64,
    /// Pages left.
    pages: u64,
}

impl RangeInvalidation {
    /// The commands for `pages` pages from `iova` of `vmid`. A count whose
    /// low five bits are 1 would start with NUM = 0 and SCALE = 0 in a
    /// non-leaf (TTL = 0) command; like upstream (errata), one more page is
    /// invalidated instead.
    pub const fn new(vmid: u16, iova: u64, pages: u64) -> Self {
        let pages = if pages & TLBI_RANGE_NUM_MAX == 1 {
            pages + 1
        } else {
            pages
        };
        Self { vmid, iova, pages }
    }
}

impl Iterator for RangeInvalidation {
    type Item = Command;

    fn next(&mut self) -> Option<Command> {
        if self.pages == 0 {
            return None;
        }
        let scale = u64::from(self.pages.trailing_zeros());
        let num = (self.pages >> scale) & TLBI_RANGE_NUM_MAX;
        let cmd = tlbi_s2_ipa(self.vmid, self.iova, Some((num - 1, scale)));
        self.pages -= num << scale;
        self.iova += (num << scale) * 4096;
        Some(cmd)
    }
}
