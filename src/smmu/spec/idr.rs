// SPDX-License-Identifier: GPL-2.0

//! The identification registers (IHI 0070 §6.3.1-6): what an SMMU offers,
//! and whether this driver can drive it.

use super::Field;

/// IDR0.S2P: stage-2 translation.
pub const IDR0_S2P: Field = Field::bit(0);
/// IDR0.S1P: stage-1 translation (with S2P: nesting).
pub const IDR0_S1P: Field = Field::bit(1);
/// IDR0.ATS: PCIe ATS.
pub const IDR0_ATS: Field = Field::bit(10);
/// IDR0.ASID16: 16-bit ASIDs.
pub const IDR0_ASID16: Field = Field::bit(12);
/// IDR0.STALL_MODEL: whether faulting transactions can stall.
pub const IDR0_STALL_MODEL: Field = Field::new(25, 24);
/// STALL_MODEL: stall and terminate are both supported.
pub const IDR0_STALL_MODEL_STALL: u32 = 0;
/// STALL_MODEL: every faulting transaction stalls.
pub const IDR0_STALL_MODEL_FORCE: u32 = 2;
/// IDR0.TTF: translation table formats.
pub const IDR0_TTF: Field = Field::new(3, 2);
/// TTF: AArch64 only.
pub const IDR0_TTF_AARCH64: u32 = 2;
/// TTF: AArch32 and AArch64.
pub const IDR0_TTF_BOTH: u32 = 3;
/// IDR0.COHACC: coherent table and queue access.
pub const IDR0_COHACC: Field = Field::bit(4);
/// IDR0.VMID16: 16-bit VMIDs.
pub const IDR0_VMID16: Field = Field::bit(18);
/// IDR0.TTENDIAN: table walk endianness.
pub const IDR0_TTENDIAN: Field = Field::new(22, 21);
/// TTENDIAN: big-endian only.
pub const IDR0_TTENDIAN_BE: u32 = 3;
/// IDR0.ST_LVL: stream table levels.
pub const IDR0_ST_LVL: Field = Field::new(28, 27);
/// ST_LVL: two-level stream tables.
pub const IDR0_ST_LVL_2LVL: u32 = 1;
/// IDR1.SIDSIZE: stream id bits.
pub const IDR1_SIDSIZE: Field = Field::new(5, 0);
/// IDR1.EVTQS: log2 of the largest event queue.
pub const IDR1_EVTQS: Field = Field::new(20, 16);
/// IDR1.CMDQS: log2 of the largest command queue.
pub const IDR1_CMDQS: Field = Field::new(25, 21);
/// IDR1.ATTR_TYPES_OVR: STE attribute overrides.
pub const IDR1_ATTR_TYPES_OVR: Field = Field::bit(27);
/// IDR1.QUEUES_PRESET: queues at fixed addresses.
pub const IDR1_QUEUES_PRESET: Field = Field::bit(29);
/// IDR1.TABLES_PRESET: tables at fixed addresses.
pub const IDR1_TABLES_PRESET: Field = Field::bit(30);
/// IDR1.SSIDSIZE: substream id bits.
pub const IDR1_SSIDSIZE: Field = Field::new(10, 6);
/// IDR3.FWB: stage 2 can force the write-back attribute (S2FWB).
pub const IDR3_FWB: Field = Field::bit(8);
/// IDR3.RIL: range invalidation.
pub const IDR3_RIL: Field = Field::bit(10);
/// IDR3.BBM: break-before-make level.
pub const IDR3_BBM: Field = Field::new(12, 11);
/// IDR5.OAS: output address size.
pub const IDR5_OAS: Field = Field::new(2, 0);
/// IDR5.DS: 52-bit addresses with 4 and 16 KiB granules.
pub const IDR5_DS: Field = Field::bit(7);
/// IDR5.GRAN4K: the 4 KiB granule.
pub const IDR5_GRAN4K: Field = Field::bit(4);

/// The largest queues this driver makes (log2 of entries).
pub const CMDQ_MAX_LOG2: u32 = 8;
/// See [`CMDQ_MAX_LOG2`].
pub const EVTQ_MAX_LOG2: u32 = 7;

/// What the SMMU offers, as this driver uses it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Features {
    /// Stage-2 input size in bits (the IPA size, at most 48).
    pub ias: u32,
    /// Output address size in bits (at most 48).
    pub oas: u32,
    /// VMID bits: 8 or 16.
    pub vmid_bits: u32,
    /// Range invalidation (SMMU_IDR3.RIL).
    pub ril: bool,
    /// Block size may change without break-before-make (IDR3.BBML == 2).
    pub bbml2: bool,
    /// SMMU_IDR1.ATTR_TYPES_OVR.
    pub attr_override: bool,
    /// Stream id bits.
    pub sid_bits: u32,
    /// Substream id bits (0: one context descriptor per stream).
    pub ssid_bits: u32,
    /// Stage 1 as well as stage 2: nested translation (IDR0.S1P).
    pub nesting: bool,
    /// Stage 2 can force write-back memory attributes (IDR3.FWB).
    pub s2fwb: bool,
    /// Transactions can stall on a fault (IDR0.STALL_MODEL == 0).
    pub stall: bool,
    /// Every faulting transaction stalls (IDR0.STALL_MODEL == 2).
    pub stall_forced: bool,
    /// ASID bits: 8 or 16.
    pub asid_bits: u32,
    /// PCIe ATS (IDR0.ATS).
    pub ats: bool,
    /// IDR5.DS.
    pub ds: bool,
    /// Two-level stream tables.
    pub two_level: bool,
    /// log2 of the command and event queue sizes used.
    pub cmdq_log2: u32,
    /// See `cmdq_log2`.
    pub evtq_log2: u32,
}

/// The output address size in bits of an IDR5.OAS value; 52-bit outputs
/// are used as 48-bit ones.
pub const fn oas_bits(field: u32) -> u32 {
    match field {
        0 => 32,
        1 => 36,
        2 => 40,
        3 => 42,
        4 => 44,
        _ => 48,
    }
}

const fn min(a: u32, b: u32) -> u32 {
    if a < b {
        a
    } else {
        b
    }
}

impl Features {
    /// What IDR0-5 say, or what is missing for this driver (as a phrase
    /// naming the feature and its register field).
    pub const fn parse(idr: &[u32; 6]) -> Result<Self, &'static str> {
        let (idr0, idr1, idr3, idr5) = (idr[0], idr[1], idr[3], idr[5]);
        let ttf = IDR0_TTF.get32(idr0);
        if IDR0_S2P.get32(idr0) == 0 {
            return Err("stage-2 translation (IDR0.S2P)");
        }
        if ttf != IDR0_TTF_AARCH64 && ttf != IDR0_TTF_BOTH {
            return Err("AArch64 translation tables (IDR0.TTF)");
        }
        if IDR0_TTENDIAN.get32(idr0) == IDR0_TTENDIAN_BE {
            return Err("little-endian table walks (IDR0.TTENDIAN)");
        }
        if IDR5_GRAN4K.get32(idr5) == 0 {
            return Err("the 4 KiB granule (IDR5.GRAN4K)");
        }
        if IDR0_COHACC.get32(idr0) == 0 {
            return Err("coherent table and queue access (IDR0.COHACC)");
        }
        if IDR1_TABLES_PRESET.get32(idr1) != 0 || IDR1_QUEUES_PRESET.get32(idr1) != 0 {
            return Err("software-placed tables and queues (IDR1.*_PRESET)");
        }
        let oas = oas_bits(IDR5_OAS.get32(idr5));
        Ok(Self {
            ias: oas,
            oas,
            vmid_bits: if IDR0_VMID16.get32(idr0) != 0 { 16 } else { 8 },
            ril: IDR3_RIL.get32(idr3) != 0,
            bbml2: IDR3_BBM.get32(idr3) == 2,
            attr_override: IDR1_ATTR_TYPES_OVR.get32(idr1) != 0,
            sid_bits: IDR1_SIDSIZE.get32(idr1),
            ssid_bits: IDR1_SSIDSIZE.get32(idr1),
            nesting: IDR0_S1P.get32(idr0) != 0,
            s2fwb: IDR3_FWB.get32(idr3) != 0,
            stall: IDR0_STALL_MODEL.get32(idr0) == IDR0_STALL_MODEL_STALL,
            stall_forced: IDR0_STALL_MODEL.get32(idr0) == IDR0_STALL_MODEL_FORCE,
            asid_bits: if IDR0_ASID16.get32(idr0) != 0 { 16 } else { 8 },
            ats: IDR0_ATS.get32(idr0) != 0,
            ds: IDR5_DS.get32(idr5) != 0,
            two_level: IDR0_ST_LVL.get32(idr0) == IDR0_ST_LVL_2LVL,
            cmdq_log2: min(IDR1_CMDQS.get32(idr1), CMDQ_MAX_LOG2),
            evtq_log2: min(IDR1_EVTQS.get32(idr1), EVTQ_MAX_LOG2),
        })
    }
}
