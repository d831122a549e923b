// SPDX-License-Identifier: GPL-2.0

//! VMIDs: one per stage-2 domain, so invalidations of one domain never
//! touch another's TLB entries. VMID 0 is never handed out.

use kernel::alloc::KVec;
use kernel::prelude::*;

/// A bitmap of VMIDs in use.
pub(crate) struct VmidAllocator {
    words: KVec<u64>,
    /// Where the next search starts, so freed VMIDs are reused last.
    next: usize,
}

impl VmidAllocator {
    /// All `1 << bits` VMIDs free except 0.
    pub(crate) fn new(bits: u32) -> Result<Self> {
        let n = (1usize << bits) / 64;
        let mut words = KVec::with_capacity(n, GFP_KERNEL)?;
        for _ in 0..n {
            words.push(0u64, GFP_KERNEL)?;
        }
        words[0] = 1;
        Ok(Self { words, next: 1 })
    }

    /// A free VMID, or `ENOSPC`.
    pub(crate) fn alloc(&mut self) -> Result<u16> {
        let total = self.words.len() * 64;
        for k in 0..total {
            let v = (self.next + k) % total;
            if self.words[v / 64] & (1 << (v % 64)) == 0 {
                self.words[v / 64] |= 1 << (v % 64);
                self.next = v + 1;
                return u16::try_from(v).map_err(|_| ENOSPC);
            }
        }
        Err(ENOSPC)
    }

    /// Returns `vmid`.
    pub(crate) fn free(&mut self, vmid: u16) {
        let v = usize::from(vmid);
        if v != 0 && v / 64 < self.words.len() {
            self.words[v / 64] &= !(1 << (v % 64));
        }
    }
}
