// SPDX-License-Identifier: GPL-2.0

//! Event queue records (IHI 0070 §7.3): what a fault or a configuration
//! error says, decoded as `arm-smmu-v3.h` lays it out.

use super::Field;
use core::ffi::CStr;

/// EVTQ_0_ID.
pub const EVTQ_0_ID: Field = Field::new(7, 0);
/// EVTQ_0_SSV: the record names a substream.
pub const EVTQ_0_SSV: Field = Field::bit(11);
/// EVTQ_0_SSID.
pub const EVTQ_0_SSID: Field = Field::new(31, 12);
/// EVTQ_0_SID.
pub const EVTQ_0_SID: Field = Field::new(63, 32);
/// EVTQ_1_STALL: the transaction is stalled, waiting for a resume.
pub const EVTQ_1_STALL: Field = Field::bit(31);
/// EVTQ_1_RnW: the transaction was a read.
pub const EVTQ_1_RNW: Field = Field::bit(35);
/// EVTQ_1_S2: the fault is a stage-2 one.
pub const EVTQ_1_S2: Field = Field::bit(39);
/// EVTQ_3_IPA, in place.
pub const EVTQ_3_IPA: Field = Field::new(51, 12);

/// One decoded event record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Event {
    /// The event number (EVT_ID).
    pub id: u8,
    /// The stream that caused it.
    pub sid: u32,
    /// Its substream, when the record names one.
    pub ssid: Option<u32>,
    /// The input address of the transaction.
    pub addr: u64,
    /// The intermediate physical address, for stage-2 faults.
    pub ipa: u64,
    /// The transaction was a read (else a write).
    pub read: bool,
    /// A stage-2 fault.
    pub stage2: bool,
}

impl Event {
    /// Decodes a record's four words.
    pub const fn decode(w: &[u64; 4]) -> Self {
        Self {
            id: EVTQ_0_ID.get(w[0]) as u8,
            sid: EVTQ_0_SID.get(w[0]) as u32,
            ssid: if EVTQ_0_SSV.get(w[0]) != 0 {
                Some(EVTQ_0_SSID.get(w[0]) as u32)
            } else {
                None
            },
            addr: w[2],
            ipa: w[3] & EVTQ_3_IPA.mask(),
            read: EVTQ_1_RNW.get(w[1]) != 0,
            stage2: EVTQ_1_S2.get(w[1]) != 0,
        }
    }

    /// The record as a guest sees it, if it is one a guest gets: the ids
    /// upstream's `arm_smmu_handle_event` forwards to a vIOMMU (C_BAD_STE,
    /// F_STREAM_DISABLED, C_BAD_SUBSTREAMID, C_BAD_CD, F_TRANSLATION,
    /// F_ADDR_SIZE, F_ACCESS, F_PERMISSION), not stalled and not stage 2
    /// (stage-2 faults are the host's: they stay in its log), with the
    /// physical stream id replaced by the virtual one `vsid`; the other
    /// words are the guest's own (its addresses).
    pub const fn for_guest(w: &[u64; 4], vsid: u32) -> Option<[u64; 4]> {
        match EVTQ_0_ID.get(w[0]) {
            0x04 | 0x06 | 0x08 | 0x0a | 0x10 | 0x11 | 0x12 | 0x13 => {}
            _ => return None,
        }
        if EVTQ_1_STALL.get(w[1]) != 0 || EVTQ_1_S2.get(w[1]) != 0 {
            return None;
        }
        let w0 = (w[0] & !EVTQ_0_SID.mask()) | EVTQ_0_SID.prep(vsid as u64);
        Some([w0, w[1], w[2], w[3]])
    }

    /// The architecture's name of the event, or `"?"`.
    pub const fn name(&self) -> &'static CStr {
        match self.id {
            0x01 => c"F_UUT",
            0x02 => c"C_BAD_STREAMID",
            0x03 => c"F_STE_FETCH",
            0x04 => c"C_BAD_STE",
            0x05 => c"F_BAD_ATS_TREQ",
            0x06 => c"F_STREAM_DISABLED",
            0x07 => c"F_TRANSL_FORBIDDEN",
            0x08 => c"C_BAD_SUBSTREAMID",
            0x09 => c"F_CD_FETCH",
            0x0a => c"C_BAD_CD",
            0x0b => c"F_WALK_EABT",
            0x10 => c"F_TRANSLATION",
            0x11 => c"F_ADDR_SIZE",
            0x12 => c"F_ACCESS",
            0x13 => c"F_PERMISSION",
            0x20 => c"F_TLB_CONFLICT",
            0x21 => c"F_CFG_CONFLICT",
            0x24 => c"E_PAGE_REQUEST",
            0x25 => c"F_VMS_FETCH",
            _ => c"?",
        }
    }
}
