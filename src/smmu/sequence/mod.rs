// SPDX-License-Identifier: GPL-2.0

//! The order in which the driver changes what the SMMU sees: the STE
//! update sequence, the invalidation batches and the batching of a
//! guest's commands, written against the traits below rather than
//! against the hardware.
//!
//! Safe Rust with no kernel dependency, as `spec` is: the driver implements
//! the traits over its stream table and command queue (`smmu.rs`), and the
//! host crate `tools/testing/smmu_spec` compiles these very files with a
//! fake SMMU that records every STE word and every command and checks the
//! ordering rules of `Documentation/smmu.rst` after each step, as the
//! `lpae` host crate's fake memory checks the page table's.

#![forbid(unsafe_code)]
// A library shared with the host crate, which exports it to its tests; the
// driver reaches it from its crate-private `sequence` module only.
#![allow(unreachable_pub)]

pub mod guest_invalidation;
pub mod invalidation;
pub mod ste_update;

use crate::spec::command::Command;

/// An SMMU's command queue, as the sequences use it: one batch at a time.
pub trait CommandQueue {
    /// Why a batch did not complete (the kernel's `Error`).
    type Error;

    /// Issues `cmds` followed by one CMD_SYNC, and returns once the SMMU
    /// has consumed the sync: every command of the batch has taken effect,
    /// and every STE word written before the call was visible to the SMMU
    /// before any of them (the queue is published by an ordered register
    /// write). An error if the SMMU did not confirm the sync: what the
    /// batch should have dropped may still be cached.
    fn issue(&mut self, cmds: impl Iterator<Item = Command>) -> Result<(), Self::Error>;
}

/// The stream table of an SMMU, with its command queue and the record of
/// which streams have a nested STE (over which VMID).
pub trait StreamTableAccess: CommandQueue {
    /// Word `word` of the STE of `sid`.
    fn read(&mut self, sid: u32, word: usize) -> u64;

    /// Sets word `word` of the STE of `sid` with one single-copy-atomic
    /// 64-bit store: the SMMU may fetch the word at any time from then on,
    /// alone, with no order against the STE's other words until the next
    /// [`CommandQueue::issue`].
    fn write(&mut self, sid: u32, word: usize, value: u64);

    /// Records that `sids` get a nested STE over `vmid` (before any of it
    /// is written). A failure records nothing.
    fn note_nested(&mut self, sids: &[u32], vmid: u16) -> Result<(), Self::Error>;

    /// Forgets what `sids` were nested over, except `vmid` (their new STE's,
    /// if it is nested): called once their new STE is in place.
    fn forget_nested(&mut self, sids: &[u32], vmid: Option<u16>);
}

/// What the invalidation sequences need beyond the command queue.
pub trait Invalidator: CommandQueue {
    /// Issues, as one batch, [`invalidation::stage1_commands`] of `vmid`
    /// over the streams recorded as nested over it, holding the record so
    /// that no stream is added or dropped meanwhile.
    fn issue_stage1(&mut self, vmid: u16) -> Result<(), Self::Error>;

    /// Returns `vmid` to the allocator: a new domain may get it.
    fn free_vmid(&mut self, vmid: u16);

    /// A batch was not confirmed (logged by the driver).
    fn report(&mut self, failure: invalidation::Failure);
}
