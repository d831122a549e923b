// SPDX-License-Identifier: GPL-2.0

//! A guest's invalidation commands (IOMMU_HWPT_INVALIDATE on a vIOMMU,
//! `struct iommu_viommu_arm_smmuv3_invalidate`): which ones and which
//! fields a guest may issue, and their rewriting onto the host's queue, as
//! upstream's `arm_vsmmu_validate_user_cmd` and `arm_vsmmu_convert_user_cmd`
//! (Linux 7.3 `arm-smmu-v3-iommufd.c`) do it.
//!
//! A guest command reaches the host's command queue, which every device of
//! the SMMU shares: any bit a guest may not set (a RES0 or Secure bit, a
//! range encoding the architecture reserves) is refused before it could
//! raise CERROR_ILL there. The VMID is forced to the vIOMMU's, and virtual
//! stream ids are replaced by physical ones.
//!
//! Stricter than upstream: an SSID beyond SMMU_IDR1.SSIDSIZE in CFGI_CD or
//! ATC_INV is refused. Upstream lets all 20 bits through, as the
//! architecture leaves an out-of-range SSID CONSTRAINED UNPREDICTABLE
//! rather than making it a command error; no guest has a reason to send
//! one, and refusing it keeps what the shared queue does with it from
//! depending on the implementation.

use super::command::{
    Command,
    CFGI_0_SID,
    CFGI_1_LEAF,
    OP,
    OP_CFGI_CD_ALL,
    OP_TLBI_NH_ALL,
    TLBI_0_NUM,
    TLBI_0_SCALE,
    TLBI_0_VMID,
    TLBI_1_LEAF,
    TLBI_1_TG, //
};
use super::Field;
use core::ffi::CStr;

/// CMDQ_OP_CFGI_CD.
pub const OP_CFGI_CD: u64 = 0x05;
/// CMDQ_OP_TLBI_NH_ASID.
pub const OP_TLBI_NH_ASID: u64 = 0x11;
/// CMDQ_OP_TLBI_NH_VA.
pub const OP_TLBI_NH_VA: u64 = 0x12;
/// CMDQ_OP_TLBI_NH_VAA.
pub const OP_TLBI_NH_VAA: u64 = 0x13;
/// CMDQ_OP_TLBI_NSNH_ALL.
pub const OP_TLBI_NSNH_ALL: u64 = 0x30;
/// CMDQ_OP_ATC_INV.
pub const OP_ATC_INV: u64 = 0x40;

/// CMDQ_0_SSV: the command names a substream.
pub const CMD_0_SSV: Field = Field::bit(11);
/// CMDQ_TLBI_0_ASID.
pub const TLBI_0_ASID: Field = Field::new(63, 48);
/// CMDQ_TLBI_1_TTL: the level of the leaf a range invalidation hits.
pub const TLBI_1_TTL: Field = Field::new(9, 8);
/// CMDQ_TLBI_1_VA_MASK, in place.
pub const TLBI_1_VA: Field = Field::new(63, 12);
/// CMDQ_CFGI_0_SSID.
pub const CFGI_0_SSID: Field = Field::new(31, 12);
/// CMDQ_ATC_0_SSID.
pub const ATC_0_SSID: Field = Field::new(31, 12);
/// CMDQ_ATC_0_SID.
pub const ATC_0_SID: Field = Field::new(63, 32);
/// CMDQ_ATC_0_GLOBAL.
pub const ATC_0_GLOBAL: Field = Field::bit(9);
/// CMDQ_ATC_1_SIZE.
pub const ATC_1_SIZE: Field = Field::new(5, 0);
/// CMDQ_ATC_1_ADDR_MASK, in place.
pub const ATC_1_ADDR: Field = Field::new(63, 12);
/// ATC_INV_SIZE_ALL: the largest ATC_INV size, invalidating everything.
pub const ATC_INV_SIZE_ALL: u64 = 52;

/// What the SMMU offers that decides which guest commands are legal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GuestCommandLimits {
    /// ASID bits (8 or 16): the upper 8 are RES0 on an 8-bit SMMU.
    pub asid_bits: u32,
    /// Range invalidation (IDR3.RIL): NUM, SCALE, TG and TTL.
    pub ril: bool,
    /// IDR5.DS: SCALE above 31, and TTL 1 with a 16 KiB granule.
    pub ds: bool,
    /// ATS (IDR0.ATS): ATC_INV.
    pub ats: bool,
    /// Substream id bits.
    pub ssid_bits: u32,
}

/// Whether the SSID field of a CFGI_CD or ATC_INV (bits 31:12 in both)
/// names a substream the SMMU does not have (SMMU_IDR1.SSIDSIZE).
const fn ssid_beyond(cmd0: u64, l: GuestCommandLimits) -> bool {
    CFGI_0_SSID.get(cmd0) >> l.ssid_bits != 0
}

/// Refuses the range encodings the architecture reserves.
const fn validate_range(cmd: &Command, l: GuestCommandLimits) -> Result<(), &'static CStr> {
    let range = cmd[0] & (TLBI_0_NUM.mask() | TLBI_0_SCALE.mask()) != 0;
    let ttl = TLBI_1_TTL.get(cmd[1]);
    let tg = TLBI_1_TG.get(cmd[1]);
    if tg == 0 {
        // NUM, SCALE and TTL are RES0 without a granule.
        return if range || ttl != 0 {
            Err(c"a range or TTL without TG")
        } else {
            Ok(())
        };
    }
    if tg == 2 && ttl == 1 && !l.ds {
        return Err(c"TTL 1 with a 16 KiB granule (needs IDR5.DS)");
    }
    if !range && ttl == 0 {
        return Err(c"the reserved NUM 0, SCALE 0, TTL 0 range");
    }
    Ok(())
}

/// Whether a guest may issue `cmd` on this SMMU: its opcode is one of
/// TLBI_NSNH_ALL, TLBI_NH_{ALL,ASID,VA,VAA}, CFGI_CD, CFGI_CD_ALL (and
/// ATC_INV with ATS), and it sets only the fields that opcode takes here.
pub const fn validate_guest_command(
    cmd: &Command,
    l: GuestCommandLimits,
) -> Result<(), &'static CStr> {
    let asid = TLBI_0_ASID.prep((1 << l.asid_bits) - 1);
    let mut allowed = [OP.mask(), 0];
    match OP.get(cmd[0]) {
        OP_TLBI_NSNH_ALL => {}
        op @ (OP_TLBI_NH_VA | OP_TLBI_NH_VAA) => {
            if op == OP_TLBI_NH_VA {
                allowed[0] |= asid;
            }
            if l.ril {
                if let Err(e) = validate_range(cmd, l) {
                    return Err(e);
                }
                allowed[0] |= TLBI_0_NUM.mask() | TLBI_0_SCALE.mask();
                allowed[1] |= TLBI_1_TG.mask() | TLBI_1_TTL.mask();
                if !l.ds {
                    // SCALE above 31 is RES0 without DS.
                    allowed[0] &= !TLBI_0_SCALE.prep(1 << 5);
                }
            }
            allowed[0] |= TLBI_0_VMID.mask();
            allowed[1] |= TLBI_1_LEAF.mask() | TLBI_1_VA.mask();
        }
        op @ (OP_TLBI_NH_ASID | OP_TLBI_NH_ALL) => {
            if op == OP_TLBI_NH_ASID {
                allowed[0] |= asid;
            }
            allowed[0] |= TLBI_0_VMID.mask();
        }
        OP_ATC_INV => {
            if !l.ats {
                return Err(c"ATC_INV on an SMMU without ATS");
            }
            if ATC_1_SIZE.get(cmd[1]) > ATC_INV_SIZE_ALL {
                return Err(c"an ATC_INV size above 52");
            }
            if l.ssid_bits != 0 {
                if ssid_beyond(cmd[0], l) {
                    return Err(c"an SSID beyond the SMMU's SSIDSIZE");
                }
                allowed[0] |= CMD_0_SSV.mask() | ATC_0_SSID.mask() | ATC_0_GLOBAL.mask();
            }
            allowed[0] |= ATC_0_SID.mask();
            allowed[1] |= ATC_1_SIZE.mask() | ATC_1_ADDR.mask();
        }
        op @ (OP_CFGI_CD | OP_CFGI_CD_ALL) => {
            if op == OP_CFGI_CD {
                if l.ssid_bits != 0 {
                    if ssid_beyond(cmd[0], l) {
                        return Err(c"an SSID beyond the SMMU's SSIDSIZE");
                    }
                    allowed[0] |= CFGI_0_SSID.mask();
                }
                allowed[1] |= CFGI_1_LEAF.mask();
            }
            allowed[0] |= CFGI_0_SID.mask();
        }
        _ => return Err(c"an opcode a guest may not issue"),
    }
    if cmd[0] & !allowed[0] != 0 || cmd[1] & !allowed[1] != 0 {
        return Err(c"a field this opcode does not take here");
    }
    Ok(())
}

/// The host's form of a guest command [`validate_guest_command`] accepts:
/// TLBI_NSNH_ALL becomes TLBI_NH_ALL of `vmid` (the guest's "everything"
/// is its VMID's stage 1), every other TLBI gets `vmid`, and the virtual
/// stream id of CFGI_CD, CFGI_CD_ALL and ATC_INV becomes the physical one
/// `sid_of` gives (`None`: an unknown virtual id, refused).
pub fn convert_guest_command(
    cmd: Command,
    l: GuestCommandLimits,
    vmid: u16,
    sid_of: impl FnOnce(u32) -> Option<u32>,
) -> Result<Command, &'static CStr> {
    validate_guest_command(&cmd, l)?;
    let mut c = cmd;
    match OP.get(c[0]) {
        OP_TLBI_NSNH_ALL => {
            c = [
                OP.prep(OP_TLBI_NH_ALL) | TLBI_0_VMID.prep(u64::from(vmid)),
                0,
            ];
        }
        OP_TLBI_NH_VA | OP_TLBI_NH_VAA | OP_TLBI_NH_ALL | OP_TLBI_NH_ASID => {
            c[0] = (c[0] & !TLBI_0_VMID.mask()) | TLBI_0_VMID.prep(u64::from(vmid));
        }
        _ => {
            // CFGI_CD, CFGI_CD_ALL and ATC_INV: SID is bits 63:32 in each.
            let vsid = CFGI_0_SID.get(c[0]) as u32;
            let sid = sid_of(vsid).ok_or(c"a virtual stream id the vIOMMU does not have")?;
            c[0] = (c[0] & !CFGI_0_SID.mask()) | CFGI_0_SID.prep(u64::from(sid));
        }
    }
    Ok(c)
}
