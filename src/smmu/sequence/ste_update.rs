// SPDX-License-Identifier: GPL-2.0

//! The STE update sequence: how a device's STEs change while it may be
//! issuing DMA.

use super::StreamTableAccess;
use crate::spec::ste::{
    Ste,
    STE_WORDS, //
};

/// Installs `ste` for every stream id in `sids`, safely while the devices
/// issue DMA, in at most three batches of CFGI_STE + CMD_SYNC whatever the
/// number of stream ids (as upstream's `arm_smmu_write_entry` for an
/// update that is not hitless):
///
/// 1. every live STE that changes becomes abort (word 0), and the SMMU
///    drops what it cached of the old words;
/// 2. words 1-7 take their new values while word 0 keeps the STE abort or
///    invalid, and the SMMU drops what it cached of them, so no fetch can
///    combine a new word 0 with old words;
/// 3. word 0 makes each new configuration valid.
///
/// A step with nothing to write issues nothing; STEs that already hold
/// `ste` see no write. A nested STE's streams are recorded as nested
/// before any word is written, and what they were nested over before is
/// forgotten only once the new STEs are in place, so that a stage-2 change
/// meanwhile is followed by their CFGI ([`super::invalidation`]).
/// `attr_override`: SMMU_IDR1.ATTR_TYPES_OVR (see [`Ste::words`]).
pub fn install<T: StreamTableAccess>(
    table: &mut T,
    sids: &[u32],
    ste: Ste,
    attr_override: bool,
) -> Result<(), T::Error> {
    let new = ste.words(attr_override);
    let abort = Ste::Abort.words(false)[0];
    let nested_vmid = match ste {
        Ste::Nested { s2, .. } => Some(s2.vmid),
        _ => None,
    };
    if let Some(vmid) = nested_vmid {
        table.note_nested(sids, vmid)?;
    }
    let words =
        |table: &mut T, sid| -> [u64; STE_WORDS] { core::array::from_fn(|i| table.read(sid, i)) };
    let cfgi_all =
        |table: &mut T| table.issue(sids.iter().map(|&sid| crate::spec::command::cfgi_ste(sid)));
    let mut aborted = false;
    for &sid in sids {
        let cur = words(table, sid);
        if cur != new && Ste::is_live(cur[0]) {
            table.write(sid, 0, abort);
            aborted = true;
        }
    }
    if aborted {
        cfgi_all(table)?;
    }
    let mut rest = false;
    for &sid in sids {
        let cur = words(table, sid);
        if cur[1..] != new[1..] {
            for (i, &w) in new.iter().enumerate().skip(1) {
                table.write(sid, i, w);
            }
            rest = true;
        }
    }
    if rest {
        cfgi_all(table)?;
    }
    let mut valid = false;
    for &sid in sids {
        if table.read(sid, 0) != new[0] {
            table.write(sid, 0, new[0]);
            valid = true;
        }
    }
    if valid {
        cfgi_all(table)?;
    }
    table.forget_nested(sids, nested_vmid);
    Ok(())
}
