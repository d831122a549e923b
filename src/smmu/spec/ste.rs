// SPDX-License-Identifier: GPL-2.0

//! Stream table entries (IHI 0070 §5.2): the kinds this driver writes, as
//! `arm-smmu-v3.h` encodes them.

use super::Field;
use core::ffi::CStr;

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
/// STE.Config: stage 1 only (a guest's vSTE asks for it; the physical
/// STE is then [`STE_0_CFG_NESTED`]).
pub const STE_0_CFG_S1_TRANS: u64 = 5;
/// STE.Config: stage 2 only.
pub const STE_0_CFG_S2_TRANS: u64 = 6;
/// STE.Config: stage 1 then stage 2.
pub const STE_0_CFG_NESTED: u64 = 7;
/// STRTAB_STE_0_S1FMT: the layout of the context descriptor table.
pub const STE_0_S1FMT: Field = Field::new(5, 4);
/// S1Fmt value 3 is reserved.
pub const STE_0_S1FMT_RESERVED: u64 = 3;
/// STRTAB_STE_0_S1CTXPTR_MASK: the context descriptor table's address (an
/// IPA when nested), in place.
pub const STE_0_S1CTXPTR: Field = Field::new(51, 6);
/// STRTAB_STE_0_S1CDMAX: log2 of the number of context descriptors.
pub const STE_0_S1CDMAX: Field = Field::new(63, 59);
/// STRTAB_STE_1_S1DSS: what a transaction without substream id uses.
pub const STE_1_S1DSS: Field = Field::new(1, 0);
/// STRTAB_STE_1_S1CIR: inner cacheability of CD table walks.
pub const STE_1_S1CIR: Field = Field::new(3, 2);
/// STRTAB_STE_1_S1COR: outer cacheability of CD table walks.
pub const STE_1_S1COR: Field = Field::new(5, 4);
/// STRTAB_STE_1_S1CSH: shareability of CD table walks.
pub const STE_1_S1CSH: Field = Field::new(7, 6);
/// STRTAB_STE_1_MEV: the SMMU may merge similar events.
pub const STE_1_MEV: Field = Field::bit(19);
/// STRTAB_STE_1_S2FWB: stage 2 forces write-back attributes.
pub const STE_1_S2FWB: Field = Field::bit(25);
/// STRTAB_STE_1_S1STALLD: stage-1 faults never stall.
pub const STE_1_S1STALLD: Field = Field::bit(27);
/// STRTAB_STE_1_EATS: what ATS translation requests get.
pub const STE_1_EATS: Field = Field::new(29, 28);
/// EATS: ATS translation requests are aborted.
pub const STE_1_EATS_ABT: u64 = 0;
/// EATS: full ATS.
pub const STE_1_EATS_TRANS: u64 = 1;
/// STRTAB_STE_0_NESTING_ALLOWED: the word-0 bits a guest's vSTE may set.
pub const STE_0_NESTING_ALLOWED: u64 = STE_0_V.mask()
    | STE_0_CFG.mask()
    | STE_0_S1FMT.mask()
    | STE_0_S1CTXPTR.mask()
    | STE_0_S1CDMAX.mask();
/// STRTAB_STE_1_NESTING_ALLOWED: the word-1 bits a guest's vSTE may set.
pub const STE_1_NESTING_ALLOWED: u64 = STE_1_S1DSS.mask()
    | STE_1_S1CIR.mask()
    | STE_1_S1COR.mask()
    | STE_1_S1CSH.mask()
    | STE_1_S1STALLD.mask()
    | STE_1_EATS.mask();
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

/// A stage-2 configuration: what a stage-2 domain puts in words 2 and 3.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stage2 {
    /// The domain's VMID.
    pub vmid: u16,
    /// STE.S2VTCR: geometry of the table ([`vtcr`]).
    pub vtcr: u64,
    /// Physical address of the root table.
    pub ttb: u64,
    /// STE.S2FWB: the table's attributes force write-back.
    pub fwb: bool,
}

/// What a stream does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ste {
    /// Every transaction is terminated, silently.
    Abort,
    /// Transactions pass untranslated (identity domains).
    Bypass,
    /// Stage-2 translation by a table.
    Stage2(Stage2),
    /// A guest's stage 1 (its context descriptor at an IPA) followed by
    /// a stage 2: the vSTE's stage-1 fields over the parent's stage 2, as
    /// upstream's `arm_smmu_make_nested_cd_table_ste` builds it.
    Nested {
        /// The nest parent.
        s2: Stage2,
        /// The vSTE's words 0 and 1 as [`validate_vste`] accepted them
        /// (no V, Config or EATS).
        s1: [u64; 2],
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
            Self::Stage2(s2) => {
                w[0] = STE_0_V.prep(1) | STE_0_CFG.prep(STE_0_CFG_S2_TRANS);
                w[1] = shcfg;
                s2.fill(&mut w);
            }
            Self::Nested { s2, s1 } => {
                w[0] = STE_0_V.prep(1) | STE_0_CFG.prep(STE_0_CFG_NESTED) | s1[0];
                // Similar events merge: a guest cannot flood the host's
                // event queue with one fault repeated (upstream does the
                // same, "DoS mitigation").
                w[1] = shcfg | s1[1] | STE_1_MEV.prep(1);
                s2.fill(&mut w);
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

impl Stage2 {
    /// Words 1 (S2FWB), 2 and 3 of a stage-2 or nested STE.
    const fn fill(self, w: &mut [u64; STE_WORDS]) {
        if self.fwb {
            w[1] |= STE_1_S2FWB.prep(1);
        }
        // Faults are recorded (S2R) so the event queue sees them; a stage-1
        // walk that lands on Device memory faults (S2PTW).
        w[2] = STE_2_S2VMID.prep(self.vmid as u64)
            | STE_2_VTCR.prep(self.vtcr)
            | STE_2_S2AA64.prep(1)
            | STE_2_S2PTW.prep(1)
            | STE_2_S2R.prep(1);
        w[3] = self.ttb & STE_3_S2TTB.mask();
    }
}

/// What a guest's vSTE (`struct iommu_hwpt_arm_smmuv3`) asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NestedConfig {
    /// Not valid, or Config abort: every transaction is terminated.
    Abort,
    /// Config bypass: stage 1 is bypassed, stage 2 translates.
    Bypass,
    /// Config stage-1 translate: the guest's context descriptor, then stage 2.
    Translate {
        /// The vSTE's words without V, Config and EATS.
        s1: [u64; 2],
        /// The guest asked for ATS (EATS = full).
        ats: bool,
    },
}

/// What the SMMU in front of a vSTE can carry out, beyond what upstream's
/// `arm_smmu_validate_vste` checks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VsteLimits {
    /// Substream id bits: S1CDMax above them names descriptors the SMMU
    /// cannot index (C_BAD_STE later).
    pub ssid_bits: u32,
    /// Whether stage-1 stalls exist: without them, S1STALLD is refused
    /// (an SMMU that cannot stall treats it as a bad STE, as QEMU does).
    pub stall: bool,
    /// IPA bits of the parent: a context descriptor above them is out of
    /// the stage 2 that must translate its address.
    pub ias: u32,
}

/// Validates a guest's vSTE as upstream's `arm_smmu_validate_vste` does
/// (V = 0 is abort; only [`STE_0_NESTING_ALLOWED`] and
/// [`STE_1_NESTING_ALLOWED`] bits; Config abort, bypass or stage-1
/// translate; EATS abort or full, taken out), then against `limits`.
/// On refusal, the reason (the caller answers `-EIO`, upstream's errno
/// for invalid STE data).
pub const fn validate_vste(
    ste: [u64; 2],
    limits: VsteLimits,
) -> Result<NestedConfig, &'static CStr> {
    let (w0, w1) = (ste[0], ste[1]);
    if STE_0_V.get(w0) == 0 {
        return Ok(NestedConfig::Abort);
    }
    if w0 & !STE_0_NESTING_ALLOWED != 0 || w1 & !STE_1_NESTING_ALLOWED != 0 {
        return Err(c"a field a guest may not set");
    }
    let eats = STE_1_EATS.get(w1);
    if eats != STE_1_EATS_ABT && eats != STE_1_EATS_TRANS {
        return Err(c"EATS other than abort or full ATS");
    }
    match STE_0_CFG.get(w0) {
        STE_0_CFG_ABORT => return Ok(NestedConfig::Abort),
        STE_0_CFG_BYPASS => return Ok(NestedConfig::Bypass),
        STE_0_CFG_S1_TRANS => {}
        _ => return Err(c"Config other than abort, bypass or stage-1 translate"),
    }
    let cdmax = STE_0_S1CDMAX.get(w0);
    if cdmax > limits.ssid_bits as u64 {
        return Err(c"S1CDMax beyond the SMMU's substream id bits");
    }
    if cdmax != 0 && STE_0_S1FMT.get(w0) == STE_0_S1FMT_RESERVED {
        return Err(c"a reserved S1Fmt");
    }
    if !limits.stall && STE_1_S1STALLD.get(w1) != 0 {
        return Err(c"S1STALLD on an SMMU without stalls");
    }
    if limits.ias < 64 && (w0 & STE_0_S1CTXPTR.mask()) >> limits.ias != 0 {
        return Err(c"a context descriptor address beyond the IPA size");
    }
    Ok(NestedConfig::Translate {
        s1: [
            w0 & !(STE_0_V.mask() | STE_0_CFG.mask()),
            w1 & !STE_1_EATS.mask(),
        ],
        ats: eats == STE_1_EATS_TRANS,
    })
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
