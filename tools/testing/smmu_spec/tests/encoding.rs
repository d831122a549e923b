// SPDX-License-Identifier: GPL-2.0

//! The words the driver writes and the values it reads, exactly: every
//! command and STE kind it issues or installs, event decoding and IDR
//! parsing, with the expected words spelled out from the architecture's
//! field positions (IHI 0070 §4, §5.2, §6.3, §7.3).

use smmu_spec::{
    command::{
        self,
        RangeInvalidation, //
    },
    event::Event,
    idr::Features,
    regs,
    ste::{
        validate_vste,
        vtcr,
        NestedConfig,
        Stage2,
        Ste,
        VsteLimits, //
    },
    Field,
};

#[test]
fn field_is_genmask() {
    assert_eq!(Field::new(47, 32).mask(), 0x0000_ffff_0000_0000);
    assert_eq!(Field::new(63, 0).mask(), u64::MAX);
    assert_eq!(Field::bit(0).mask(), 1);
    assert_eq!(Field::new(25, 20).prep(0x3f), 0x03f0_0000);
    // A value wider than the field is cut, as FIELD_PREP's mask does.
    assert_eq!(Field::new(4, 0).prep(0x3f), 0x1f);
    assert_eq!(Field::new(30, 24).get32(0x7f00_0000 | 0xff), 0x7f);
}

#[test]
fn configuration_commands() {
    assert_eq!(command::cfgi_ste(0x1234), [0x0000_1234_0000_0003, 1]);
    assert_eq!(command::cfgi_ste(u32::MAX), [0xffff_ffff_0000_0003, 1]);
    assert_eq!(command::cfgi_cd_all(0x1234), [0x0000_1234_0000_0006, 0]);
    assert_eq!(command::cfgi_all(), [0x04, 31]);
    assert_eq!(command::cmd_sync(), [0x46, 0]);
}

#[test]
fn tlb_invalidation_commands() {
    assert_eq!(command::tlbi_nsnh_all(), [0x30, 0]);
    assert_eq!(command::tlbi_nh_all(7), [0x0000_0007_0000_0010, 0]);
    assert_eq!(command::tlbi_nh_all(0xffff), [0x0000_ffff_0000_0010, 0]);
    assert_eq!(command::tlbi_s12_vmall(0xabcd), [0x0000_abcd_0000_0028, 0]);
    // Without range: the entries holding one IPA, leaf and walk (LEAF 0).
    assert_eq!(
        command::tlbi_s2_ipa(5, 0x1234_5678_9000, None),
        [0x0000_0005_0000_002a, 0x1234_5678_9000]
    );
    // The IPA field is bits 51:12: offsets and bits above 51 are dropped.
    assert_eq!(
        command::tlbi_s2_ipa(1, 0xffff_0000_0000_0fff, None)[1],
        0x000f_0000_0000_0000
    );
    // Range: NUM at 16:12, SCALE at 25:20, TG 4 KiB (1) at 11:10.
    assert_eq!(
        command::tlbi_s2_ipa(3, 0x4000_0000, Some((30, 5))),
        [0x0000_0003_0051_e02a, 0x4000_0400]
    );
}

#[test]
fn range_invalidation_covers_exactly_the_pages() {
    for pages in [1u64, 2, 3, 31, 32, 33, 37, 64, 511, 512, 513, 100_000] {
        let iova = 0x8000_0000u64;
        let mut at = iova;
        let mut covered = 0;
        for cmd in RangeInvalidation::new(9, iova, pages) {
            assert_eq!(command::opcode(&cmd), command::OP_TLBI_S2_IPA);
            assert_eq!(command::TLBI_0_VMID.get(cmd[0]), 9);
            assert_eq!(command::TLBI_1_TG.get(cmd[1]), 1, "4 KiB granule");
            assert_eq!(
                cmd[1] & command::TLBI_1_IPA.mask(),
                at,
                "{pages} pages: contiguous"
            );
            let num = command::TLBI_0_NUM.get(cmd[0]) + 1;
            let scale = command::TLBI_0_SCALE.get(cmd[0]);
            assert!(num <= 31);
            assert!(
                num > 1 || scale > 0,
                "{pages} pages: never NUM 0 with SCALE 0"
            );
            covered += num << scale;
            at += (num << scale) * 4096;
        }
        // One page more where the count's low five bits are 1 (upstream's
        // errata rule), else exactly the pages.
        let want = if pages & 31 == 1 { pages + 1 } else { pages };
        assert_eq!(covered, want, "{pages} pages");
    }
}

#[test]
fn ste_words_of_every_kind() {
    assert_eq!(Ste::Abort.words(false), [1, 0, 0, 0, 0, 0, 0, 0]);
    assert_eq!(Ste::Abort.words(true), [1, 0, 0, 0, 0, 0, 0, 0]);
    assert_eq!(Ste::Bypass.words(false), [0x9, 0, 0, 0, 0, 0, 0, 0]);
    // SHCFG = incoming (1) at 45:44 where attributes can be overridden.
    assert_eq!(Ste::Bypass.words(true), [0x9, 1 << 44, 0, 0, 0, 0, 0, 0]);
    let s2 = Ste::Stage2(Stage2 {
        vmid: 0x42,
        vtcr: 0x5_3590,
        ttb: 0xffff_8765_4321_0fff,
        fwb: false,
    });
    let w = s2.words(true);
    assert_eq!(w[0], 0xd, "V, Config stage 2 (6)");
    assert_eq!(w[1], 1 << 44);
    // VMID 15:0, VTCR 50:32, S2AA64 51, S2PTW 54, S2R 58.
    assert_eq!(
        w[2],
        0x42 | (0x5_3590 << 32) | (1 << 51) | (1 << 54) | (1 << 58)
    );
    assert_eq!(w[3], 0x000f_8765_4321_0ff0, "S2TTB is bits 51:4");
    assert_eq!(w[4..], [0; 4]);
}

#[test]
fn nested_ste_is_the_vste_over_the_parent() {
    let s2 = Stage2 {
        vmid: 7,
        vtcr: 0x5_3590,
        ttb: 0x4000_1000,
        fwb: false,
    };
    // The guest's CD at IPA 0x1234_5000, S1CIR/S1COR WBRA, S1CSH inner.
    let s1 = [0x1234_5000, (1 << 2) | (1 << 4) | (3 << 6)];
    let w = Ste::Nested { s2, s1 }.words(false);
    assert_eq!(w[0], 0x1234_5000 | (7 << 1) | 1, "V, Config nested (7)");
    assert_eq!(w[1], s1[1] | (1 << 19), "MEV set");
    assert_eq!(w[2..4], Ste::Stage2(s2).words(false)[2..4]);
    assert_eq!(w[4..], [0; 4]);
    let fwb = Ste::Nested {
        s2: Stage2 { fwb: true, ..s2 },
        s1,
    }
    .words(true);
    assert_eq!(
        fwb[1],
        s1[1] | (1 << 19) | (1 << 25) | (1 << 44),
        "S2FWB 25, SHCFG"
    );
    assert_eq!(
        Ste::Stage2(Stage2 { fwb: true, ..s2 }).words(false)[1],
        1 << 25
    );
}

const QEMU_LIMITS: VsteLimits = VsteLimits {
    ssid_bits: 0,
    stall: false,
    ias: 44,
};

#[test]
fn vste_validation_as_upstream() {
    let v = |w0: u64, w1: u64| validate_vste([w0, w1], QEMU_LIMITS);
    // Not valid: abort, whatever the rest says.
    assert_eq!(v(0xdead_0000_0000_0000, !0), Ok(NestedConfig::Abort));
    assert_eq!(v(1, 0), Ok(NestedConfig::Abort), "Config abort");
    assert_eq!(v(1 | (4 << 1), 0), Ok(NestedConfig::Bypass));
    let cd = 0x8000_0040;
    let w1 = (1 << 2) | (1 << 4) | (3 << 6);
    assert_eq!(
        v(cd | (5 << 1) | 1, w1 | (1 << 28)),
        Ok(NestedConfig::Translate {
            s1: [cd, w1],
            ats: true,
        }),
        "V and Config go, EATS goes and is remembered"
    );
    assert_eq!(
        v(cd | (5 << 1) | 1, w1),
        Ok(NestedConfig::Translate {
            s1: [cd, w1],
            ats: false,
        })
    );
    // Config stage 2 and nested are the host's.
    assert!(v(1 | (6 << 1), 0).is_err());
    assert!(v(1 | (7 << 1), 0).is_err());
    assert!(v(1 | (1 << 1), 0).is_err());
    // Fields outside the allowed sets, one bit each.
    for bit in [52, 53, 54, 55, 56, 57, 58] {
        assert!(v(1 | (5 << 1) | (1 << bit), 0).is_err(), "w0 bit {bit}");
    }
    for bit in [8, 19, 25, 30, 44, 63] {
        assert!(v(1 | (5 << 1), 1 << bit).is_err(), "w1 bit {bit}");
    }
    assert!(v(1 | (5 << 1), 2 << 28).is_err(), "EATS S1CHK");
    assert!(v(1 | (5 << 1), 3 << 28).is_err(), "EATS reserved");
    assert!(v(1, 2 << 28).is_err(), "EATS checked for abort too");
}

#[test]
fn vste_validation_against_the_smmu() {
    let s1 = 1 | (5 << 1);
    let v = |w0: u64, w1: u64, l| validate_vste([w0, w1], l);
    // QEMU: one CD per stream, no stalls.
    assert!(v(s1 | (1 << 59), 0, QEMU_LIMITS).is_err(), "S1CDMax 1");
    assert!(v(s1, 1 << 27, QEMU_LIMITS).is_err(), "S1STALLD");
    let big = VsteLimits {
        ssid_bits: 20,
        stall: true,
        ias: 48,
    };
    assert!(v(s1 | (20 << 59), 1 << 27, big).is_ok());
    assert!(v(s1 | (21 << 59), 0, big).is_err());
    assert!(v(s1 | (1 << 59) | (3 << 4), 0, big).is_err(), "S1Fmt 3");
    assert!(v(s1 | (3 << 4), 0, big).is_ok(), "S1Fmt unused with one CD");
    // The CD must be an IPA of the parent.
    assert!(v(s1 | ((1 << 44) - 64), 0, QEMU_LIMITS).is_ok());
    assert!(v(s1 | (1 << 44), 0, QEMU_LIMITS).is_err());
}

#[test]
fn ste_liveness() {
    assert!(!Ste::is_live(Ste::Abort.words(false)[0]));
    assert!(Ste::is_live(Ste::Bypass.words(false)[0]));
    assert!(Ste::is_live(0xd));
    assert!(!Ste::is_live(0xc), "not valid");
    assert!(!Ste::is_live(0));
}

#[test]
fn vtcr_of_stage2_tables() {
    // 48-bit IPA from level 0, 48-bit PA: T0SZ 16, SL0 2, IRGN/ORGN WBWA,
    // SH inner, TG 4 KiB, PS 48-bit (5).
    assert_eq!(vtcr(48, 48, 0), 0x5_3590);
    // 40-bit IPA from level 1, 40-bit PA: T0SZ 24, SL0 1, PS 40-bit (2).
    assert_eq!(vtcr(40, 40, 1), 0x2_3558);
    // 44-bit IPA, 44-bit PA (QEMU's virt SMMU): from level 0.
    assert_eq!(vtcr(44, 44, 0), 0x4_3594);
}

#[test]
fn base_registers() {
    assert_eq!(
        regs::queue_base(0x1_2345_6780, 8),
        (1 << 62) | 0x1_2345_6780 | 8
    );
    // Address bits below 5 are not part of Q_BASE.ADDR.
    assert_eq!(regs::queue_base(0x1f, 0), 1 << 62);
    assert_eq!(regs::strtab_base(0x8_0000_0040), (1 << 62) | 0x8_0000_0040);
    assert_eq!(regs::strtab_base_cfg(16, None), 16);
    assert_eq!(
        regs::strtab_base_cfg(16, Some(8)),
        (1 << 16) | (8 << 6) | 16
    );
    assert_eq!(regs::l1_desc(0x4_0000_1000, 8), 0x4_0000_1000 | 9);
    // Tables and queues: inner shareable, write-back (as the in-tree driver).
    assert_eq!(regs::cr1_wb_ish(), 0xd75);
}

#[test]
fn event_records() {
    // F_TRANSLATION by stream 8 writing IOVA 0x102000, a stage-2 fault.
    let w = [0x0000_0008_0000_0010, 1 << 39, 0x10_2000, 0x10_2abc];
    let ev = Event::decode(&w);
    assert_eq!(ev.id, 0x10);
    assert_eq!(ev.name().to_str(), Ok("F_TRANSLATION"));
    assert_eq!(ev.sid, 8);
    assert_eq!(ev.ssid, None);
    assert_eq!(ev.addr, 0x10_2000);
    assert_eq!(ev.ipa, 0x10_2000, "IPA is bits 51:12");
    assert!(!ev.read);
    assert!(ev.stage2);
    // RnW is bit 35; bit 34 (InD) says nothing about the stage.
    let ev = Event::decode(&[0x10, (1 << 35) | (1 << 34), 0, 0]);
    assert!(ev.read);
    assert!(!ev.stage2);
    // A substream is named only with SSV (bit 11); SSID is 31:12.
    let ev = Event::decode(&[0x10 | (1 << 11) | (0x1_2345 << 12), 0, 0, 0]);
    assert_eq!(ev.ssid, Some(0x1_2345));
    assert_eq!(Event::decode(&[0xff, 0, 0, 0]).name().to_str(), Ok("?"));
}

/// The IDRs of QEMU 10's virt SMMU (hw/arm/smmuv3.c smmuv3_init_regs with
/// stage=nested): S1P, S2P, TTF AArch64, COHACC, ASID16, VMID16, two-level
/// stream tables, 16-bit SIDs, 2^19-entry queues, RIL, BBML2, 44-bit OAS,
/// 4 KiB and 64 KiB granules.
const QEMU_IDR: [u32; 6] = [
    (1 << 0)
        | (1 << 1)
        | (2 << 2)
        | (1 << 4)
        | (1 << 12)
        | (1 << 18)
        | (1 << 24)
        | (1 << 26)
        | (1 << 27),
    16 | (19 << 16) | (19 << 21),
    0,
    (1 << 10) | (2 << 11),
    0,
    4 | (1 << 4) | (1 << 6),
];

#[test]
fn identification_of_a_usable_smmu() {
    let f = Features::parse(&QEMU_IDR).unwrap();
    assert_eq!(
        f,
        Features {
            ias: 44,
            oas: 44,
            vmid_bits: 16,
            ril: true,
            bbml2: true,
            attr_override: false,
            sid_bits: 16,
            ssid_bits: 0,
            nesting: true,
            s2fwb: false,
            stall: false,
            stall_forced: false,
            asid_bits: 16,
            ats: false,
            ds: false,
            two_level: true,
            cmdq_log2: 8,
            evtq_log2: 7,
        }
    );
    let mut idr = QEMU_IDR;
    idr[0] &= !(1 << 18);
    idr[0] &= !(1 << 27);
    idr[1] = (idr[1] & !0x3f) | 8 | (1 << 27);
    idr[1] = (idr[1] & !(0x1f << 21)) | (5 << 21);
    idr[3] = 1 << 11;
    idr[5] = (idr[5] & !7) | 6;
    let f = Features::parse(&idr).unwrap();
    assert_eq!(f.vmid_bits, 8);
    assert!(!f.two_level);
    assert_eq!(f.sid_bits, 8);
    assert!(f.attr_override);
    assert_eq!(f.cmdq_log2, 5, "a smaller queue than the driver's cap");
    assert!(!f.ril);
    assert!(!f.bbml2, "BBML1");
    assert_eq!((f.ias, f.oas), (48, 48), "52-bit output used as 48-bit");
    let mut idr = QEMU_IDR;
    idr[0] &= !((1 << 1) | (1 << 12) | (3 << 24));
    idr[1] |= 5 << 6;
    idr[3] |= 1 << 8;
    let f = Features::parse(&idr).unwrap();
    assert!(!f.nesting, "no S1P");
    assert_eq!(f.asid_bits, 8);
    assert!(f.stall, "STALL_MODEL 0");
    assert!(!f.stall_forced);
    idr[0] |= 2 << 24;
    assert!(Features::parse(&idr).unwrap().stall_forced, "STALL_MODEL 2");
    assert_eq!(f.ssid_bits, 5);
    assert!(f.s2fwb);
}

#[test]
fn identification_of_unusable_smmus() {
    let refuse = |f: &dyn Fn(&mut [u32; 6])| {
        let mut idr = QEMU_IDR;
        f(&mut idr);
        Features::parse(&idr).unwrap_err()
    };
    assert!(refuse(&|i| i[0] &= !1).contains("IDR0.S2P"));
    assert!(refuse(&|i| i[0] &= !(3 << 2)).contains("IDR0.TTF"));
    assert!(refuse(&|i| i[0] = (i[0] & !(3 << 2)) | (1 << 2)).contains("IDR0.TTF"));
    assert!(Features::parse(&{
        let mut i = QEMU_IDR;
        i[0] |= 3 << 2;
        i
    })
    .is_ok());
    assert!(refuse(&|i| i[0] |= 3 << 21).contains("IDR0.TTENDIAN"));
    assert!(refuse(&|i| i[5] &= !(1 << 4)).contains("IDR5.GRAN4K"));
    assert!(refuse(&|i| i[0] &= !(1 << 4)).contains("IDR0.COHACC"));
    assert!(refuse(&|i| i[1] |= 1 << 30).contains("PRESET"));
    assert!(refuse(&|i| i[1] |= 1 << 29).contains("PRESET"));
}

mod guest_commands {
    use smmu_spec::guest_command::{
        convert_guest_command,
        validate_guest_command,
        GuestCommandLimits, //
    };

    /// QEMU 10's SMMU: 16-bit ASIDs, RIL, no DS, no ATS, no substreams.
    const QEMU: GuestCommandLimits = GuestCommandLimits {
        asid_bits: 16,
        ril: true,
        ds: false,
        ats: false,
        ssid_bits: 0,
    };
    const VMID: u16 = 0x21;

    fn convert(cmd: [u64; 2]) -> Result<[u64; 2], String> {
        convert_guest_command(cmd, QEMU, VMID, |vsid| (vsid == 0x99).then_some(0x8))
            .map_err(|e| e.to_str().unwrap().to_string())
    }

    #[test]
    fn tlbis_get_the_vmid_of_the_viommu() {
        // NH_VA: ASID 5, a bogus VMID 7, leaf, VA 0x4000000.
        let va = [0x12 | (7 << 32) | (5 << 48), 0x400_0000 | 1];
        assert_eq!(
            convert(va).unwrap(),
            [0x12 | (0x21 << 32) | (5 << 48), 0x400_0000 | 1]
        );
        // NH_VAA: any ASID, so the ASID field is not the guest's to set.
        assert_eq!(
            convert([0x13, 0x400_0000]).unwrap(),
            [0x13 | (0x21 << 32), 0x400_0000]
        );
        assert!(convert([0x13 | (5 << 48), 0]).is_err());
        assert_eq!(
            convert([0x11 | (5 << 48), 0]).unwrap(),
            [0x11 | (0x21 << 32) | (5 << 48), 0]
        );
        assert_eq!(
            convert([0x10 | (3 << 32), 0]).unwrap(),
            [0x10 | (0x21 << 32), 0]
        );
        // NSNH_ALL is the guest's "everything": its VMID's stage 1.
        assert_eq!(convert([0x30, 0]).unwrap(), [0x10 | (0x21 << 32), 0]);
        assert!(
            convert([0x30 | (1 << 32), 0]).is_err(),
            "NSNH_ALL takes no field"
        );
    }

    #[test]
    fn stream_commands_get_the_physical_sid() {
        assert_eq!(
            convert([0x05 | (0x99 << 32), 1]).unwrap(),
            [0x05 | (0x8 << 32), 1]
        );
        assert_eq!(
            convert([0x06 | (0x99 << 32), 0]).unwrap(),
            [0x06 | (0x8 << 32), 0]
        );
        assert!(convert([0x05 | (0x98 << 32), 1])
            .unwrap_err()
            .contains("virtual stream id"));
        assert!(
            convert([0x06 | (0x99 << 32), 1]).is_err(),
            "CFGI_CD_ALL takes no LEAF"
        );
        assert!(
            convert([0x05 | (0x99 << 32) | (1 << 12), 1]).is_err(),
            "SSID without substreams"
        );
        let ssids = GuestCommandLimits {
            ssid_bits: 20,
            ..QEMU
        };
        assert!(validate_guest_command(&[0x05 | (1 << 12), 1], ssids).is_ok());
        assert!(validate_guest_command(&[0x05 | (0xfffff << 12), 1], ssids).is_ok());
    }

    #[test]
    fn ssids_beyond_the_smmus_ssidsize_are_refused() {
        // SMMU_IDR1.SSIDSIZE 5: SSIDs 0..=31. CFGI_CD takes its SSID
        // whatever SSV says; ATC_INV (with ATS) the same field.
        let l = GuestCommandLimits {
            ssid_bits: 5,
            ats: true,
            ..QEMU
        };
        let cfgi_cd = |ssid: u64| [0x05 | (0x99 << 32) | (ssid << 12), 1];
        let atc_inv = |ssid: u64| [0x40 | (0x99 << 32) | (1 << 11) | (ssid << 12), 0];
        for cmd in [cfgi_cd(0), cfgi_cd(31), atc_inv(0), atc_inv(31)] {
            assert!(validate_guest_command(&cmd, l).is_ok(), "{cmd:x?}");
        }
        for cmd in [cfgi_cd(32), cfgi_cd(0x80000), atc_inv(32), atc_inv(0xfffff)] {
            assert!(
                validate_guest_command(&cmd, l)
                    .unwrap_err()
                    .to_str()
                    .unwrap()
                    .contains("SSIDSIZE"),
                "{cmd:x?}"
            );
        }
        // Converted, the refusal is the same.
        assert!(
            convert_guest_command(cfgi_cd(32), l, VMID, |_| Some(8)).is_err(),
            "convert validates"
        );
    }

    #[test]
    fn host_commands_are_refused() {
        for op in [
            0x01u64, 0x03, 0x04, 0x0c, 0x20, 0x28, 0x2a, 0x46, 0x41, 0x44, 0xff,
        ] {
            assert!(convert([op, 0]).is_err(), "opcode {op:#x}");
        }
        // ATC_INV only with ATS, and then only sizes up to 52.
        assert!(convert([0x40 | (0x99 << 32), 0])
            .unwrap_err()
            .contains("ATS"));
        let ats = GuestCommandLimits { ats: true, ..QEMU };
        assert!(validate_guest_command(&[0x40, 52], ats).is_ok());
        assert!(validate_guest_command(&[0x40, 53], ats).is_err());
        assert!(
            validate_guest_command(&[0x40 | (1 << 11), 0], ats).is_err(),
            "SSV"
        );
    }

    #[test]
    fn reserved_bits_and_ranges_are_refused() {
        assert!(convert([0x12 | (1 << 11), 0]).is_err(), "SSV on a TLBI");
        assert!(convert([0x12, 1 << 2]).is_err(), "a RES0 bit of word 1");
        // TG 0: no NUM, SCALE or TTL.
        assert!(convert([0x12 | (1 << 12), 0]).is_err());
        assert!(convert([0x12, 1 << 8]).is_err());
        // TG 4 KiB with TTL 3: fine; NUM 0, SCALE 0, TTL 0: reserved.
        assert!(convert([0x12, (1 << 10) | (3 << 8)]).is_ok());
        assert!(convert([0x12, 1 << 10]).is_err());
        assert!(convert([0x12 | (3 << 12), 1 << 10]).is_ok(), "NUM 3");
        // SCALE above 31 needs DS; TTL 1 with 16 KiB too.
        assert!(convert([0x12 | (32 << 20), 1 << 10]).is_err());
        assert!(convert([0x12, (2 << 10) | (1 << 8)]).is_err());
        let ds = GuestCommandLimits { ds: true, ..QEMU };
        assert!(validate_guest_command(&[0x12 | (32 << 20), 1 << 10], ds).is_ok());
        // Without RIL, no range field at all.
        let no_ril = GuestCommandLimits { ril: false, ..QEMU };
        assert!(validate_guest_command(&[0x12, (1 << 10) | (3 << 8)], no_ril).is_err());
        assert!(validate_guest_command(&[0x12, 0x1000], no_ril).is_ok());
        // 8-bit ASIDs: the upper ASID byte is RES0.
        let asid8 = GuestCommandLimits {
            asid_bits: 8,
            ..QEMU
        };
        assert!(validate_guest_command(&[0x11 | (0xff << 48), 0], asid8).is_ok());
        assert!(validate_guest_command(&[0x11 | (0x100 << 48), 0], asid8).is_err());
    }
}

#[test]
fn events_a_guest_gets() {
    // F_TRANSLATION on stream 8 at 0x4200000, a write, stage 1.
    let ev = [0x0000_0008_0000_0010, 0x0000_0200_0000_0000, 0x420_0000, 0];
    assert_eq!(
        Event::for_guest(&ev, 0x99),
        Some([0x0000_0099_0000_0010, ev[1], ev[2], ev[3]]),
        "the virtual stream id replaces the physical one, nothing else changes"
    );
    for id in [0x04u64, 0x06, 0x08, 0x0a, 0x10, 0x11, 0x12, 0x13] {
        assert!(
            Event::for_guest(&[(8 << 32) | id, 0, 0, 0], 1).is_some(),
            "{id:#x}"
        );
    }
    for id in [
        0x01u64, 0x02, 0x03, 0x05, 0x07, 0x09, 0x0b, 0x20, 0x21, 0x24, 0x25,
    ] {
        assert!(
            Event::for_guest(&[(8 << 32) | id, 0, 0, 0], 1).is_none(),
            "{id:#x}"
        );
    }
    // Stage-2 faults and stalled transactions stay the host's.
    assert!(Event::for_guest(&[ev[0], ev[1] | (1 << 39), 0, 0], 1).is_none());
    assert!(Event::for_guest(&[ev[0], ev[1] | (1 << 31), 0, 0], 1).is_none());
}
