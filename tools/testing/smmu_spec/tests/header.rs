// SPDX-License-Identifier: GPL-2.0

//! Every field, bit, opcode and register offset of `src/smmu/spec` against
//! the definition of the same name in Linux 7.3's
//! `drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3.h`, read from the kernel
//! source the rig builds (`KSRC`, or the one `make deps` installed).

use smmu_spec::{
    command,
    event,
    guest_command,
    idr,
    regs,
    ste,
    Field, //
};
use std::collections::HashMap;

/// The header's `#define NAME value` lines whose value is a number, a bit
/// (`(1 << n)`, `(1UL << n)`) or a mask (`GENMASK(h, l)`,
/// `GENMASK_ULL(h, l)`), and its enumerators (`NAME = value,`), evaluated.
fn header() -> HashMap<String, u64> {
    let ksrc = std::env::var("KSRC").ok().or_else(|| {
        let home = std::env::var("HOME").ok()?;
        std::fs::read_to_string(format!("{home}/.cache/iommufd-rs/linux-src.version"))
            .ok()
            .map(|s| s.trim().to_string())
    });
    let ksrc = ksrc.expect("no kernel source: set KSRC or run 'make deps'");
    let path = format!("{ksrc}/drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3.h");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let mut defs = HashMap::new();
    for line in text.lines() {
        // Enumerators: "\tNAME = value,".
        if let Some((name, value)) = line
            .trim()
            .strip_suffix(',')
            .and_then(|l| l.split_once(" = "))
        {
            if name
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
            {
                let v = value.trim();
                let parsed = match v.strip_prefix("0x") {
                    Some(hex) => u64::from_str_radix(hex, 16).ok(),
                    None => v.parse().ok(),
                };
                if let Some(p) = parsed {
                    defs.insert(name.to_string(), p);
                }
            }
            continue;
        }
        let Some(rest) = line.strip_prefix("#define ") else {
            continue;
        };
        let mut it = rest.splitn(2, char::is_whitespace);
        let (Some(name), Some(value)) = (it.next(), it.next()) else {
            continue;
        };
        let v = value.trim();
        let parsed = if let Some(args) = v
            .strip_prefix("GENMASK_ULL(")
            .or_else(|| v.strip_prefix("GENMASK("))
        {
            let args = args.trim_end_matches(')');
            let mut hl = args.split(',').map(|a| a.trim().parse::<u32>());
            match (hl.next(), hl.next()) {
                (Some(Ok(h)), Some(Ok(l))) => Some(Field::new(h, l).mask()),
                _ => None,
            }
        } else if let Some(n) = v
            .strip_prefix("(1UL << ")
            .or_else(|| v.strip_prefix("(1U << "))
            .or_else(|| v.strip_prefix("(1 << "))
        {
            n.trim_end_matches(')')
                .trim()
                .parse::<u32>()
                .ok()
                .map(|n| 1u64 << n)
        } else if let Some(hex) = v.strip_prefix("0x") {
            u64::from_str_radix(hex, 16).ok()
        } else if let Some(dec) = v.strip_suffix("UL") {
            dec.parse().ok()
        } else {
            v.parse().ok()
        };
        if let Some(p) = parsed {
            defs.insert(name.to_string(), p);
        }
    }
    defs
}

fn check(defs: &HashMap<String, u64>, pairs: &[(&str, u64)]) {
    let mut wrong = vec![];
    for &(name, ours) in pairs {
        match defs.get(name) {
            Some(&theirs) if theirs == ours => {}
            Some(&theirs) => wrong.push(format!("{name}: ours {ours:#x}, header {theirs:#x}")),
            None => wrong.push(format!("{name}: not in the header")),
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn register_offsets_and_fields() {
    use regs::*;
    let d = header();
    check(
        &d,
        &[
            ("ARM_SMMU_IDR0", IDR0.into()),
            ("ARM_SMMU_IIDR", IIDR.into()),
            ("ARM_SMMU_AIDR", AIDR.into()),
            ("ARM_SMMU_CR0", CR0.into()),
            ("ARM_SMMU_CR0ACK", CR0ACK.into()),
            ("CR0_SMMUEN", CR0_SMMUEN.into()),
            ("CR0_EVTQEN", CR0_EVTQEN.into()),
            ("CR0_CMDQEN", CR0_CMDQEN.into()),
            ("ARM_SMMU_CR1", CR1.into()),
            ("CR1_TABLE_SH", CR1_TABLE_SH.mask()),
            ("CR1_TABLE_OC", CR1_TABLE_OC.mask()),
            ("CR1_TABLE_IC", CR1_TABLE_IC.mask()),
            ("CR1_QUEUE_SH", CR1_QUEUE_SH.mask()),
            ("CR1_QUEUE_OC", CR1_QUEUE_OC.mask()),
            ("CR1_QUEUE_IC", CR1_QUEUE_IC.mask()),
            ("CR1_CACHE_WB", CR1_CACHE_WB.into()),
            ("ARM_SMMU_SH_ISH", ARM_SMMU_SH_ISH.into()),
            ("ARM_SMMU_CR2", CR2.into()),
            ("CR2_PTM", CR2_PTM.into()),
            ("CR2_RECINVSID", CR2_RECINVSID.into()),
            ("ARM_SMMU_IRQ_CTRL", IRQ_CTRL.into()),
            ("ARM_SMMU_IRQ_CTRLACK", IRQ_CTRLACK.into()),
            ("IRQ_CTRL_GERROR_IRQEN", IRQ_CTRL_GERROR.into()),
            ("IRQ_CTRL_EVTQ_IRQEN", IRQ_CTRL_EVTQ.into()),
            ("ARM_SMMU_GERROR", GERROR.into()),
            ("ARM_SMMU_GERRORN", GERRORN.into()),
            ("GERROR_CMDQ_ERR", GERROR_CMDQ_ERR.into()),
            ("GERROR_ERR_MASK", GERROR_ERR_MASK.into()),
            ("ARM_SMMU_STRTAB_BASE", STRTAB_BASE.into()),
            ("ARM_SMMU_STRTAB_BASE_CFG", STRTAB_BASE_CFG.into()),
            ("STRTAB_BASE_RA", STRTAB_BASE_RA),
            ("STRTAB_BASE_ADDR_MASK", STRTAB_BASE_ADDR.mask()),
            ("STRTAB_BASE_CFG_FMT", STRTAB_BASE_CFG_FMT.mask()),
            ("STRTAB_BASE_CFG_FMT_2LVL", STRTAB_BASE_CFG_FMT_2LVL.into()),
            ("STRTAB_BASE_CFG_SPLIT", STRTAB_BASE_CFG_SPLIT.mask()),
            ("STRTAB_BASE_CFG_LOG2SIZE", STRTAB_BASE_CFG_LOG2SIZE.mask()),
            ("STRTAB_L1_DESC_L2PTR_MASK", STRTAB_L1_DESC_L2PTR.mask()),
            ("STRTAB_L1_DESC_SPAN", STRTAB_L1_DESC_SPAN.mask()),
            ("ARM_SMMU_CMDQ_BASE", CMDQ_BASE.into()),
            ("ARM_SMMU_CMDQ_PROD", CMDQ_PROD.into()),
            ("ARM_SMMU_CMDQ_CONS", CMDQ_CONS.into()),
            ("CMDQ_CONS_ERR", CMDQ_CONS_ERR.mask()),
            ("ARM_SMMU_EVTQ_BASE", EVTQ_BASE.into()),
            // The event queue's indices are in register page 1 (64 KiB up).
            ("ARM_SMMU_EVTQ_PROD", (EVTQ_PROD - 0x1_0000).into()),
            ("ARM_SMMU_EVTQ_CONS", (EVTQ_CONS - 0x1_0000).into()),
            ("Q_BASE_RWA", Q_BASE_RWA),
            ("Q_BASE_ADDR_MASK", Q_BASE_ADDR.mask()),
            ("Q_BASE_LOG2SIZE", Q_BASE_LOG2SIZE.mask()),
            ("Q_OVERFLOW_FLAG", Q_OVERFLOW.into()),
        ],
    );
}

#[test]
fn identification_fields() {
    use idr::*;
    let d = header();
    check(
        &d,
        &[
            ("IDR0_S2P", IDR0_S2P.mask()),
            ("IDR0_S1P", IDR0_S1P.mask()),
            ("IDR0_ASID16", IDR0_ASID16.mask()),
            ("IDR0_STALL_MODEL", IDR0_STALL_MODEL.mask()),
            ("IDR0_STALL_MODEL_STALL", IDR0_STALL_MODEL_STALL.into()),
            ("IDR0_STALL_MODEL_FORCE", IDR0_STALL_MODEL_FORCE.into()),
            ("IDR1_SSIDSIZE", IDR1_SSIDSIZE.mask()),
            ("IDR3_FWB", IDR3_FWB.mask()),
            ("IDR0_ATS", IDR0_ATS.mask()),
            ("IDR5_DS", IDR5_DS.mask()),
            ("IDR0_TTF", IDR0_TTF.mask()),
            ("IDR0_TTF_AARCH64", IDR0_TTF_AARCH64.into()),
            ("IDR0_COHACC", IDR0_COHACC.mask()),
            ("IDR0_VMID16", IDR0_VMID16.mask()),
            ("IDR0_TTENDIAN", IDR0_TTENDIAN.mask()),
            ("IDR0_TTENDIAN_BE", IDR0_TTENDIAN_BE.into()),
            ("IDR0_ST_LVL", IDR0_ST_LVL.mask()),
            ("IDR0_ST_LVL_2LVL", IDR0_ST_LVL_2LVL.into()),
            ("IDR1_SIDSIZE", IDR1_SIDSIZE.mask()),
            ("IDR1_EVTQS", IDR1_EVTQS.mask()),
            ("IDR1_CMDQS", IDR1_CMDQS.mask()),
            ("IDR1_ATTR_TYPES_OVR", IDR1_ATTR_TYPES_OVR.mask()),
            ("IDR1_QUEUES_PRESET", IDR1_QUEUES_PRESET.mask()),
            ("IDR1_TABLES_PRESET", IDR1_TABLES_PRESET.mask()),
            ("IDR3_RIL", IDR3_RIL.mask()),
            ("IDR3_BBM", IDR3_BBM.mask()),
            ("IDR5_OAS", IDR5_OAS.mask()),
            ("IDR5_GRAN4K", IDR5_GRAN4K.mask()),
        ],
    );
}

#[test]
fn command_fields_and_opcodes() {
    use command::*;
    let d = header();
    check(
        &d,
        &[
            ("CMDQ_0_OP", OP.mask()),
            ("CMDQ_OP_CFGI_STE", OP_CFGI_STE),
            ("CMDQ_OP_CFGI_CD_ALL", OP_CFGI_CD_ALL),
            ("CMDQ_OP_CFGI_ALL", OP_CFGI_ALL),
            ("CMDQ_OP_TLBI_NH_ALL", OP_TLBI_NH_ALL),
            ("CMDQ_OP_TLBI_S12_VMALL", OP_TLBI_S12_VMALL),
            ("CMDQ_OP_TLBI_S2_IPA", OP_TLBI_S2_IPA),
            ("CMDQ_OP_TLBI_NSNH_ALL", OP_TLBI_NSNH_ALL),
            ("CMDQ_OP_CMD_SYNC", OP_CMD_SYNC),
            ("CMDQ_CFGI_0_SID", CFGI_0_SID.mask()),
            ("CMDQ_CFGI_1_LEAF", CFGI_1_LEAF.mask()),
            ("CMDQ_CFGI_1_RANGE", CFGI_1_RANGE.mask()),
            ("CMDQ_TLBI_0_NUM", TLBI_0_NUM.mask()),
            ("CMDQ_TLBI_RANGE_NUM_MAX", TLBI_RANGE_NUM_MAX),
            ("CMDQ_TLBI_0_SCALE", TLBI_0_SCALE.mask()),
            ("CMDQ_TLBI_0_VMID", TLBI_0_VMID.mask()),
            ("CMDQ_TLBI_1_LEAF", TLBI_1_LEAF.mask()),
            ("CMDQ_TLBI_1_TG", TLBI_1_TG.mask()),
            ("CMDQ_TLBI_1_IPA_MASK", TLBI_1_IPA.mask()),
            ("CMDQ_SYNC_0_CS", SYNC_0_CS.mask()),
        ],
    );
}

#[test]
fn ste_fields() {
    use ste::*;
    let d = header();
    check(
        &d,
        &[
            ("STRTAB_STE_0_V", STE_0_V.mask()),
            ("STRTAB_STE_0_CFG", STE_0_CFG.mask()),
            ("STRTAB_STE_0_CFG_ABORT", STE_0_CFG_ABORT),
            ("STRTAB_STE_0_CFG_BYPASS", STE_0_CFG_BYPASS),
            ("STRTAB_STE_0_CFG_S2_TRANS", STE_0_CFG_S2_TRANS),
            ("STRTAB_STE_0_CFG_S1_TRANS", STE_0_CFG_S1_TRANS),
            ("STRTAB_STE_0_CFG_NESTED", STE_0_CFG_NESTED),
            ("STRTAB_STE_0_S1FMT", STE_0_S1FMT.mask()),
            ("STRTAB_STE_0_S1CTXPTR_MASK", STE_0_S1CTXPTR.mask()),
            ("STRTAB_STE_0_S1CDMAX", STE_0_S1CDMAX.mask()),
            ("STRTAB_STE_1_S1DSS", STE_1_S1DSS.mask()),
            ("STRTAB_STE_1_S1CIR", STE_1_S1CIR.mask()),
            ("STRTAB_STE_1_S1COR", STE_1_S1COR.mask()),
            ("STRTAB_STE_1_S1CSH", STE_1_S1CSH.mask()),
            ("STRTAB_STE_1_MEV", STE_1_MEV.mask()),
            ("STRTAB_STE_1_S2FWB", STE_1_S2FWB.mask()),
            ("STRTAB_STE_1_S1STALLD", STE_1_S1STALLD.mask()),
            ("STRTAB_STE_1_EATS", STE_1_EATS.mask()),
            ("STRTAB_STE_1_EATS_ABT", STE_1_EATS_ABT),
            ("STRTAB_STE_1_EATS_TRANS", STE_1_EATS_TRANS),
            ("STRTAB_STE_1_SHCFG", STE_1_SHCFG.mask()),
            ("STRTAB_STE_1_SHCFG_INCOMING", STE_1_SHCFG_INCOMING),
            ("STRTAB_STE_2_S2VMID", STE_2_S2VMID.mask()),
            ("STRTAB_STE_2_VTCR", STE_2_VTCR.mask()),
            ("STRTAB_STE_2_VTCR_S2T0SZ", VTCR_S2T0SZ.mask()),
            ("STRTAB_STE_2_VTCR_S2SL0", VTCR_S2SL0.mask()),
            ("STRTAB_STE_2_VTCR_S2IR0", VTCR_S2IR0.mask()),
            ("STRTAB_STE_2_VTCR_S2OR0", VTCR_S2OR0.mask()),
            ("STRTAB_STE_2_VTCR_S2SH0", VTCR_S2SH0.mask()),
            ("STRTAB_STE_2_VTCR_S2TG", VTCR_S2TG.mask()),
            ("STRTAB_STE_2_VTCR_S2PS", VTCR_S2PS.mask()),
            ("STRTAB_STE_2_S2AA64", STE_2_S2AA64.mask()),
            ("STRTAB_STE_2_S2PTW", STE_2_S2PTW.mask()),
            ("STRTAB_STE_2_S2R", STE_2_S2R.mask()),
            ("STRTAB_STE_3_S2TTB_MASK", STE_3_S2TTB.mask()),
        ],
    );
}

#[test]
fn guest_command_fields_and_opcodes() {
    use guest_command::*;
    let d = header();
    check(
        &d,
        &[
            ("CMDQ_OP_CFGI_CD", OP_CFGI_CD),
            ("CMDQ_OP_TLBI_NH_ASID", OP_TLBI_NH_ASID),
            ("CMDQ_OP_TLBI_NH_VA", OP_TLBI_NH_VA),
            ("CMDQ_OP_TLBI_NH_VAA", OP_TLBI_NH_VAA),
            ("CMDQ_OP_TLBI_NSNH_ALL", OP_TLBI_NSNH_ALL),
            ("CMDQ_OP_ATC_INV", OP_ATC_INV),
            ("CMDQ_0_SSV", CMD_0_SSV.mask()),
            ("CMDQ_TLBI_0_ASID", TLBI_0_ASID.mask()),
            ("CMDQ_TLBI_1_TTL", TLBI_1_TTL.mask()),
            ("CMDQ_TLBI_1_VA_MASK", TLBI_1_VA.mask()),
            ("CMDQ_CFGI_0_SSID", CFGI_0_SSID.mask()),
            ("CMDQ_ATC_0_SSID", ATC_0_SSID.mask()),
            ("CMDQ_ATC_0_SID", ATC_0_SID.mask()),
            ("CMDQ_ATC_0_GLOBAL", ATC_0_GLOBAL.mask()),
            ("CMDQ_ATC_1_SIZE", ATC_1_SIZE.mask()),
            ("CMDQ_ATC_1_ADDR_MASK", ATC_1_ADDR.mask()),
            ("ATC_INV_SIZE_ALL", ATC_INV_SIZE_ALL),
        ],
    );
}

#[test]
fn event_fields() {
    use event::*;
    let d = header();
    check(
        &d,
        &[
            ("EVTQ_0_ID", EVTQ_0_ID.mask()),
            ("EVTQ_0_SSV", EVTQ_0_SSV.mask()),
            ("EVTQ_0_SSID", EVTQ_0_SSID.mask()),
            ("EVTQ_0_SID", EVTQ_0_SID.mask()),
            ("EVTQ_1_RnW", EVTQ_1_RNW.mask()),
            ("EVTQ_1_S2", EVTQ_1_S2.mask()),
            ("EVTQ_1_STALL", EVTQ_1_STALL.mask()),
            ("EVTQ_3_IPA", EVTQ_3_IPA.mask()),
        ],
    );
    // The names the header gives numbers to.
    for (name, id) in [
        ("EVT_ID_BAD_STREAMID_CONFIG", "C_BAD_STREAMID"),
        ("EVT_ID_STE_FETCH_FAULT", "F_STE_FETCH"),
        ("EVT_ID_BAD_STE_CONFIG", "C_BAD_STE"),
        ("EVT_ID_STREAM_DISABLED_FAULT", "F_STREAM_DISABLED"),
        ("EVT_ID_BAD_SUBSTREAMID_CONFIG", "C_BAD_SUBSTREAMID"),
        ("EVT_ID_CD_FETCH_FAULT", "F_CD_FETCH"),
        ("EVT_ID_BAD_CD_CONFIG", "C_BAD_CD"),
        ("EVT_ID_TRANSLATION_FAULT", "F_TRANSLATION"),
        ("EVT_ID_ADDR_SIZE_FAULT", "F_ADDR_SIZE"),
        ("EVT_ID_ACCESS_FAULT", "F_ACCESS"),
        ("EVT_ID_PERMISSION_FAULT", "F_PERMISSION"),
        ("EVT_ID_VMS_FETCH_FAULT", "F_VMS_FETCH"),
    ] {
        let n = d[name];
        let ev = Event::decode(&[n, 0, 0, 0]);
        assert_eq!(ev.name().to_str().unwrap(), id, "{name}");
    }
}
