// SPDX-License-Identifier: GPL-2.0

//! Stream table entries (IHI 0070 §5.2): the kinds this driver writes, as
//! `arm-smmu-v3.h` encodes them.

use super::Field;

/// Words in one STE.
pub const STE_WORDS: usize = 8;

/// STRTAB_STE_0_V.
pub const STE_0_V: Field = Field::bit(0);
/// STRTAB_STE_0_CFG.
pub const STE_0_CFG: Field = Field::new(3, 1);
/// STE.Config: abort every transaction.
pub const STE_0_CFG_ABORT: u64 = 0;
/// STE.Config: bypass.
pub const STE_0_CFG_BYPASS: u64 = 4;
/// STE.Config: stage 2 only.
pub const STE_0_CFG_S2_TRANS: u64 = 6;
/// STRTAB_STE_1_SHCFG.
pub const STE_1_SHCFG: Field = Field::new(45, 44);
/// SHCFG: use the incoming shareability.
pub const STE_1_SHCFG_INCOMING: u64 = 1;
/// STRTAB_STE_2_S2VMID.
pub const STE_2_S2VMID: Field = Field::new(15, 0);
/// STRTAB_STE_2_VTCR.
pub const STE_2_VTCR: Field = Field::new(50, 32);
/// STRTAB_STE_2_S2AA64: AArch64 stage-2 tables.
pub const STE_2_S2AA64: Field = Field::bit(51);
/// STRTAB_STE_2_S2PTW: stage-1 walks to Device memory fault.
pub const STE_2_S2PTW: Field = Field::bit(54);
/// STRTAB_STE_2_S2R: record stage-2 faults.
pub const STE_2_S2R: Field = Field::bit(58);
/// STRTAB_STE_3_S2TTB_MASK, in place.
pub const STE_3_S2TTB: Field = Field::new(51, 4);

/// STRTAB_STE_2_VTCR_S2T0SZ: 64 minus the input size.
pub const VTCR_S2T0SZ: Field = Field::new(5, 0);
/// STRTAB_STE_2_VTCR_S2SL0: the start level (4 KiB granule: 2 - level).
pub const VTCR_S2SL0: Field = Field::new(7, 6);
/// STRTAB_STE_2_VTCR_S2IR0: inner cacheability of walks.
pub const VTCR_S2IR0: Field = Field::new(9, 8);
/// STRTAB_STE_2_VTCR_S2OR0: outer cacheability of walks.
pub const VTCR_S2OR0: Field = Field::new(11, 10);
/// STRTAB_STE_2_VTCR_S2SH0: shareability of walks.
pub const VTCR_S2SH0: Field = Field::new(13, 12);
/// STRTAB_STE_2_VTCR_S2TG: granule (0: 4 KiB).
pub const VTCR_S2TG: Field = Field::new(15, 14);
/// STRTAB_STE_2_VTCR_S2PS: output size.
pub const VTCR_S2PS: Field = Field::new(18, 16);
/// Write-back, read- and write-allocate (VTCR IR0/OR0).
pub const VTCR_RGN_WBWA: u64 = 1;
/// Inner shareable (VTCR SH0).
pub const VTCR_SH_IS: u64 = 3;

/// What a stream does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ste {
    /// Every transaction is terminated, silently.
    Abort,
    /// Transactions pass untranslated (identity domains).
    Bypass,
    /// Stage-2 translation by a table.
    Stage2 {
        /// The domain's VMID.
        vmid: u16,
        /// STE.S2VTCR: geometry of the table ([`vtcr`]).
        vtcr: u64,
        /// Physical address of the root table.
        ttb: u64,
    },
}

impl Ste {
    /// The STE's words. `attr_override`: SMMU_IDR1.ATTR_TYPES_OVR, where
    /// SHCFG must say "use the incoming shareability".
    pub const fn words(self, attr_override: bool) -> [u64; STE_WORDS] {
        let mut w = [0u64; STE_WORDS];
        let shcfg = if attr_override {
            STE_1_SHCFG.prep(STE_1_SHCFG_INCOMING)
        } else {
            0
        };
        match self {
            Self::Abort => w[0] = STE_0_V.prep(1) | STE_0_CFG.prep(STE_0_CFG_ABORT),
            Self::Bypass => {
                w[0] = STE_0_V.prep(1) | STE_0_CFG.prep(STE_0_CFG_BYPASS);
                w[1] = shcfg;
            }
            Self::Stage2 { vmid, vtcr, ttb } => {
                w[0] = STE_0_V.prep(1) | STE_0_CFG.prep(STE_0_CFG_S2_TRANS);
                w[1] = shcfg;
                // Faults are recorded (S2R) so the event queue sees them.
                w[2] = STE_2_S2VMID.prep(vmid as u64)
                    | STE_2_VTCR.prep(vtcr)
                    | STE_2_S2AA64.prep(1)
                    | STE_2_S2PTW.prep(1)
                    | STE_2_S2R.prep(1);
                w[3] = ttb & STE_3_S2TTB.mask();
            }
        }
        w
    }

    /// Whether the STE in `word0` is valid and not abort: the SMMU may be
    /// using it, so changing it must go through abort first.
    pub const fn is_live(word0: u64) -> bool {
        STE_0_V.get(word0) != 0 && STE_0_CFG.get(word0) != STE_0_CFG_ABORT
    }
}

/// The S2PS encoding of an output size in bits (the IDR5.OAS encoding).
pub const fn ps_encoding(oas: u32) -> u64 {
    match oas {
        32 => 0,
        36 => 1,
        40 => 2,
        42 => 3,
        44 => 4,
        _ => 5,
    }
}

/// STE.S2VTCR for a 4 KiB-granule table with `ias` input bits starting at
/// `start_level`, with `oas` output bits; walks are inner shareable and
/// write-back cacheable.
pub const fn vtcr(ias: u32, oas: u32, start_level: u32) -> u64 {
    let sl0 = 2 - if start_level < 2 { start_level } else { 2 };
    VTCR_S2T0SZ.prep(64 - ias as u64)
        | VTCR_S2SL0.prep(sl0 as u64)
        | VTCR_S2IR0.prep(VTCR_RGN_WBWA)
        | VTCR_S2OR0.prep(VTCR_RGN_WBWA)
        | VTCR_S2SH0.prep(VTCR_SH_IS)
        | VTCR_S2TG.prep(0)
        | VTCR_S2PS.prep(ps_encoding(oas))
}
