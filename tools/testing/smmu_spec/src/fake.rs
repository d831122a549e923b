// SPDX-License-Identifier: GPL-2.0

//! A fake SMMU for the host tests of `src/smmu/sequence`: a stream table
//! and a command queue that record every STE word written and every batch
//! issued, and check the ordering rules of `Documentation/smmu.rst`
//! ("Ordering rules") after each step, as the `lpae` crate's fake memory
//! checks the page table's.
//!
//! The model of the SMMU is the one the rules are written against: it may
//! fetch any word of any STE at any time, each word alone (a 64-bit word
//! is single-copy atomic, the STE is not), and keep what it fetched until
//! a `CFGI_STE` of the stream (or `CFGI_ALL`) and the `CMD_SYNC` after it
//! complete. So between two such points the SMMU may see, for each word,
//! any value the word held since the last one, combined with any value of
//! every other word. A violation is recorded, not panicked on, so that a
//! test can show which rule a reordered sequence breaks.

use crate::command::{
    self,
    Command,
    OP_CFGI_ALL,
    OP_CFGI_STE,
    OP_TLBI_NSNH_ALL,
    OP_TLBI_S12_VMALL,
    OP_TLBI_S2_IPA, //
};
use crate::sequence::{
    invalidation::Failure,
    CommandQueue,
    Invalidator,
    StreamTableAccess, //
};
use crate::ste::{
    Ste,
    STE_0_CFG,
    STE_0_CFG_NESTED,
    STE_0_CFG_S2_TRANS,
    STE_0_V,
    STE_2_S2VMID,
    STE_WORDS, //
};
use std::collections::{
    BTreeMap,
    BTreeSet, //
};
use std::fmt;

/// The ordering rules the fake checks, each named for the test that
/// proves it (`tests/sequence.rs`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Rule {
    /// No fetch between two syncs can combine the words of a stream's STE
    /// into a live (valid, not abort) STE other than the old or the new
    /// one: every intermediate STE the SMMU can see is the old one, the
    /// new one, or aborts.
    NoTornSte,
    /// When the sequence returns, every stream's STE is the new one and a
    /// `CFGI_STE` of the stream and a `CMD_SYNC` have followed its last
    /// write: the SMMU can see nothing else.
    SyncedBeforeReturn,
    /// A stream whose STE the SMMU may see nested over a VMID is in the
    /// record of nested streams under that VMID, so that a stage-2 change
    /// of the VMID refetches its configuration.
    NestedRecordedWhileVisible,
    /// A stage-2 change of `[iova, iova + size)` is followed by TLB
    /// invalidations of the VMID covering every page of it.
    RangeCovered,
    /// For a nest parent, `TLBI_NH_ALL` of the VMID follows in a batch of
    /// its own, after the sync of the stage-2 invalidation.
    Stage1AfterStage2Sync,
    /// That batch carries `CFGI_STE` and `CFGI_CD_ALL` of every stream
    /// nested over the VMID.
    NestedConfigRefetched,
    /// A VMID is freed only when no STE the SMMU can see names it and a
    /// `TLBI_S12_VMALL` of it has completed since the last one could.
    VmidInvalidatedBeforeFree,
    /// No batch holds more commands than the limit set by
    /// [`FakeSmmu::limit_batches`] (a guest's: 63 and the `CMD_SYNC`).
    BatchWithinLimit,
    /// A guest's commands are carried out in order up to the first
    /// refused one, and none after it.
    GuestPrefixInOrder,
}

/// One broken rule, with what broke it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    /// The rule.
    pub rule: Rule,
    /// What the fake saw.
    pub detail: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}: {}", self.rule, self.detail)
    }
}

/// One thing the sequence did, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    /// STE word written.
    Write {
        /// The stream.
        sid: u32,
        /// The word.
        word: usize,
        /// The value.
        value: u64,
    },
    /// A batch issued (the commands; the fake adds the `CMD_SYNC`).
    Batch(Vec<Command>),
    /// Streams recorded as nested over a VMID.
    NoteNested(Vec<u32>, u16),
    /// Streams' older nested records dropped.
    ForgetNested(Vec<u32>, Option<u16>),
    /// A VMID freed.
    FreeVmid(u16),
}

/// A stage-2 change the test declared, awaiting its invalidation.
struct Stage2Change {
    vmid: u16,
    iova: u64,
    size: u64,
    /// Index in `batches` of the first batch after the change.
    first_batch: usize,
}

/// The fake SMMU.
#[derive(Default)]
pub struct FakeSmmu {
    /// The stream table in memory.
    table: BTreeMap<u32, [u64; STE_WORDS]>,
    /// Per stream and word, the values the SMMU may see now.
    visible: BTreeMap<u32, [Vec<u64>; STE_WORDS]>,
    /// Per stream, the STE before and after the transition under way.
    transitions: BTreeMap<u32, ([u64; STE_WORDS], [u64; STE_WORDS])>,
    /// The record of nested streams (stream id, VMID).
    nested: Vec<(u32, u16)>,
    /// VMIDs of nest parents.
    nest_parents: BTreeSet<u16>,
    /// VMIDs whose `TLBI_S12_VMALL` completed with no STE naming them
    /// since.
    clean_vmids: BTreeSet<u16>,
    /// Every batch issued and completed, without its `CMD_SYNC`.
    batches: Vec<Vec<Command>>,
    /// Batch numbers (counting every issue) whose sync the SMMU does not
    /// confirm.
    failing: BTreeSet<usize>,
    issued: usize,
    changes: Vec<Stage2Change>,
    /// Everything the sequences did.
    pub log: Vec<Step>,
    /// Failures the sequences reported.
    pub reports: Vec<Failure>,
    /// VMIDs freed.
    pub freed: Vec<u16>,
    violations: Vec<Violation>,
    /// The most commands a batch may hold.
    batch_limit: Option<usize>,
    /// The commands the batches issued from `.1` on must carry, in order.
    expected_commands: Option<(Vec<Command>, usize)>,
    /// Streams found torn since their last CFGI_STE.
    torn: BTreeSet<u32>,
}

/// The error of a batch the fake does not confirm.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timeout;

fn vmid_of(word2: u64) -> u16 {
    STE_2_S2VMID.get(word2) as u16
}

fn uses_stage2(word0: u64) -> bool {
    STE_0_V.get(word0) != 0 && matches!(STE_0_CFG.get(word0), STE_0_CFG_S2_TRANS | STE_0_CFG_NESTED)
}

fn is_nested(word0: u64) -> bool {
    STE_0_V.get(word0) != 0 && STE_0_CFG.get(word0) == STE_0_CFG_NESTED
}

/// The 4 KiB pages `[first, end)` a stage-2 TLBI of `vmid` covers, if it
/// is one; `None..` for every page.
fn tlbi_cover(cmd: &Command, vmid: u16) -> Option<(u64, u64)> {
    let op = command::opcode(cmd);
    let cmd_vmid = command::TLBI_0_VMID.get(cmd[0]) as u16;
    match op {
        OP_TLBI_NSNH_ALL => Some((0, u64::MAX)),
        OP_TLBI_S12_VMALL if cmd_vmid == vmid => Some((0, u64::MAX)),
        OP_TLBI_S2_IPA if cmd_vmid == vmid => {
            let first = (cmd[1] & command::TLBI_1_IPA.mask()) >> 12;
            let pages = if command::TLBI_1_TG.get(cmd[1]) == 0 {
                1
            } else {
                (command::TLBI_0_NUM.get(cmd[0]) + 1) << command::TLBI_0_SCALE.get(cmd[0])
            };
            Some((first, first + pages))
        }
        _ => None,
    }
}

impl FakeSmmu {
    /// An SMMU whose every STE is abort, as the driver's stream table
    /// starts.
    pub fn new() -> Self {
        Self::default()
    }

    /// Marks `vmid` as a nest parent's.
    pub fn nest_parent(&mut self, vmid: u16) {
        self.nest_parents.insert(vmid);
    }

    /// The `n`th batch issued from now on (0: the next) times out.
    pub fn fail_batch(&mut self, n: usize) {
        self.failing.insert(self.issued + n);
    }

    /// The STE of `sid` in memory.
    pub fn ste(&self, sid: u32) -> [u64; STE_WORDS] {
        self.table
            .get(&sid)
            .copied()
            .unwrap_or(Ste::Abort.words(false))
    }

    /// The batches issued so far, without their `CMD_SYNC`s.
    pub fn batches(&self) -> &[Vec<Command>] {
        &self.batches
    }

    /// The record of nested streams: (stream id, VMID).
    pub fn nested_record(&self) -> &[(u32, u16)] {
        &self.nested
    }

    /// The rules broken so far.
    pub fn violations(&self) -> &[Violation] {
        &self.violations
    }

    /// Whether `rule` was broken.
    pub fn broke(&self, rule: Rule) -> bool {
        self.violations.iter().any(|v| v.rule == rule)
    }

    fn violate(&mut self, rule: Rule, detail: String) {
        self.violations.push(Violation { rule, detail });
    }

    fn visible_of(&mut self, sid: u32) -> &mut [Vec<u64>; STE_WORDS] {
        let ste = self.ste(sid);
        self.visible
            .entry(sid)
            .or_insert_with(|| ste.map(|w| vec![w]))
    }

    /// The test announces that `sids` are about to get `new`: the torn-STE
    /// check allows the STE they hold now and `new`.
    pub fn begin(&mut self, sids: &[u32], new: [u64; STE_WORDS]) {
        for &sid in sids {
            let old = self.ste(sid);
            self.transitions.insert(sid, (old, new));
        }
    }

    /// From now on, a batch of more than `limit` commands breaks
    /// [`Rule::BatchWithinLimit`].
    pub fn limit_batches(&mut self, limit: usize) {
        self.batch_limit = Some(limit);
    }

    /// The test announces that the batches issued from now on must carry
    /// exactly `cmds`, in order ([`Rule::GuestPrefixInOrder`], checked by
    /// [`Self::settle`]).
    pub fn expect_commands(&mut self, cmds: Vec<Command>) {
        self.expected_commands = Some((cmds, self.batches.len()));
    }

    /// The test announces a stage-2 change of `[iova, iova + size)` of
    /// `vmid`: [`Self::settle`] checks the batches issued after it.
    pub fn stage2_changed(&mut self, vmid: u16, iova: u64, size: u64) {
        self.changes.push(Stage2Change {
            vmid,
            iova,
            size,
            first_batch: self.batches.len(),
        });
    }

    /// After a sequence returned: checks [`Rule::SyncedBeforeReturn`] for
    /// the transitions announced by [`Self::begin`], and the invalidation
    /// rules for the changes announced by [`Self::stage2_changed`].
    pub fn settle(&mut self) {
        for (sid, (_, new)) in core::mem::take(&mut self.transitions) {
            let now = self.ste(sid);
            let visible = self.visible_of(sid).clone();
            if now != new {
                self.violate(
                    Rule::SyncedBeforeReturn,
                    format!("sid {sid}: STE in memory is {now:x?}, not the new {new:x?}"),
                );
            } else if visible.iter().any(|w| w.len() > 1) {
                self.violate(
                    Rule::SyncedBeforeReturn,
                    format!("sid {sid}: no CFGI_STE + CMD_SYNC after the last write; the SMMU may still see {visible:x?}"),
                );
            }
        }
        for change in core::mem::take(&mut self.changes) {
            self.check_change(&change);
        }
        if let Some((expected, first)) = self.expected_commands.take() {
            let issued: Vec<Command> = self.batches[first..].concat();
            if issued != expected {
                self.violate(
                    Rule::GuestPrefixInOrder,
                    format!("issued {issued:x?}, not {expected:x?}"),
                );
            }
        }
    }

    fn check_change(&mut self, c: &Stage2Change) {
        let batches = &self.batches[c.first_batch..];
        // The last batch needed to cover the range.
        let mut covered: Vec<(u64, u64)> = Vec::new();
        let first = c.iova >> 12;
        let end = (c.iova + c.size).div_ceil(4096);
        let mut covering = None;
        for (i, b) in batches.iter().enumerate() {
            let before = covered.len();
            covered.extend(b.iter().filter_map(|cmd| tlbi_cover(cmd, c.vmid)));
            if covered.len() > before {
                covering = Some(i);
            }
        }
        let missing = (first..end).find(|p| !covered.iter().any(|&(a, b)| a <= *p && *p < b));
        if let Some(p) = missing {
            self.violate(
                Rule::RangeCovered,
                format!(
                    "vmid {}: page {:#x} of [{:#x}, {:#x}) not invalidated by {:x?}",
                    c.vmid,
                    p << 12,
                    c.iova,
                    c.iova + c.size,
                    batches
                ),
            );
            return;
        }
        if !self.nest_parents.contains(&c.vmid) {
            return;
        }
        let Some(covering) = covering else { return };
        let nh_all = command::tlbi_nh_all(c.vmid);
        let stage1 = batches
            .iter()
            .enumerate()
            .position(|(i, b)| i > covering && b.first() == Some(&nh_all));
        let Some(stage1) = stage1 else {
            let where_ = batches.iter().position(|b| b.contains(&nh_all));
            self.violate(
                Rule::Stage1AfterStage2Sync,
                format!(
                    "vmid {}: no batch starting with TLBI_NH_ALL after the sync of the stage-2 invalidation (batch {covering}); TLBI_NH_ALL in batch {where_:?} of {batches:x?}",
                    c.vmid
                ),
            );
            return;
        };
        let stage1 = &batches[stage1];
        let missing: Vec<u32> = self
            .nested
            .iter()
            .filter(|&&(_, v)| v == c.vmid)
            .map(|&(sid, _)| sid)
            .filter(|&sid| {
                !stage1.contains(&command::cfgi_ste(sid))
                    || !stage1.contains(&command::cfgi_cd_all(sid))
            })
            .collect();
        if !missing.is_empty() {
            self.violate(
                Rule::NestedConfigRefetched,
                format!(
                    "vmid {}: streams {missing:?} nested over it lack CFGI_STE or CFGI_CD_ALL in the stage-1 batch {stage1:x?}",
                    c.vmid
                ),
            );
        }
    }

    /// [`Rule::NoTornSte`] for `sid`: every combination of the values the
    /// SMMU may see whose word 0 is live must be the old or the new STE.
    fn check_torn(&mut self, sid: u32) {
        let now = self.ste(sid);
        let (old, new) = self.transitions.get(&sid).copied().unwrap_or((now, now));
        let visible = self.visible_of(sid).clone();
        for &w0 in visible[0].iter().filter(|&&w0| Ste::is_live(w0)) {
            let combinations = visible[1..]
                .iter()
                .fold(1usize, |n, w| n.saturating_mul(w.len()));
            let mut safe = vec![old];
            if new != old {
                safe.push(new);
            }
            let reachable = safe
                .iter()
                .filter(|s| s[0] == w0 && (1..STE_WORDS).all(|i| visible[i].contains(&s[i])))
                .count();
            if combinations > reachable {
                // Once per stream and sync: the next writes tear it further.
                if !self.torn.insert(sid) {
                    return;
                }
                self.violate(
                    Rule::NoTornSte,
                    format!(
                        "sid {sid}: the SMMU may combine live word 0 {w0:#x} with words {:x?} (old {old:x?}, new {new:x?})",
                        &visible[1..]
                    ),
                );
                return;
            }
        }
    }

    /// [`Rule::NestedRecordedWhileVisible`] for `sid`.
    fn check_nested_record(&mut self, sid: u32) {
        let visible = self.visible_of(sid).clone();
        if !visible[0].iter().any(|&w0| is_nested(w0)) {
            return;
        }
        for &w2 in &visible[2] {
            let vmid = vmid_of(w2);
            if !self.nested.contains(&(sid, vmid)) {
                self.violate(
                    Rule::NestedRecordedWhileVisible,
                    format!(
                        "sid {sid}: the SMMU may see it nested over vmid {vmid}, which the record {:?} lacks",
                        self.nested
                    ),
                );
                return;
            }
        }
    }

    /// VMIDs an STE the SMMU may see uses.
    fn vmids_in_use(&mut self) -> BTreeSet<u16> {
        let sids: Vec<u32> = self.table.keys().copied().collect();
        let mut used = BTreeSet::new();
        for sid in sids {
            let visible = self.visible_of(sid).clone();
            if visible[0].iter().any(|&w0| uses_stage2(w0)) {
                used.extend(visible[2].iter().map(|&w2| vmid_of(w2)));
            }
        }
        used
    }
}

impl CommandQueue for FakeSmmu {
    type Error = Timeout;

    fn issue(&mut self, cmds: impl Iterator<Item = Command>) -> Result<(), Timeout> {
        let batch: Vec<Command> = cmds.collect();
        self.log.push(Step::Batch(batch.clone()));
        if let Some(limit) = self.batch_limit {
            if batch.len() > limit {
                self.violate(
                    Rule::BatchWithinLimit,
                    format!("a batch of {} commands, over {limit}", batch.len()),
                );
            }
        }
        let n = self.issued;
        self.issued += 1;
        if self.failing.contains(&n) {
            // Not confirmed: the fake takes it as not carried out.
            return Err(Timeout);
        }
        for cmd in &batch {
            match command::opcode(cmd) {
                OP_CFGI_STE => {
                    let sid = command::CFGI_0_SID.get(cmd[0]) as u32;
                    let ste = self.ste(sid);
                    self.visible.insert(sid, ste.map(|w| vec![w]));
                    self.torn.remove(&sid);
                }
                OP_CFGI_ALL => {
                    self.visible.clear();
                    self.torn.clear();
                }
                _ => {}
            }
        }
        let in_use = self.vmids_in_use();
        for cmd in &batch {
            let vmid = command::TLBI_0_VMID.get(cmd[0]) as u16;
            if command::opcode(cmd) == OP_TLBI_S12_VMALL && !in_use.contains(&vmid) {
                self.clean_vmids.insert(vmid);
            }
        }
        self.batches.push(batch);
        Ok(())
    }
}

impl StreamTableAccess for FakeSmmu {
    fn read(&mut self, sid: u32, word: usize) -> u64 {
        self.ste(sid)[word]
    }

    fn write(&mut self, sid: u32, word: usize, value: u64) {
        self.log.push(Step::Write { sid, word, value });
        let mut ste = self.ste(sid);
        self.visible_of(sid);
        ste[word] = value;
        self.table.insert(sid, ste);
        let seen = &mut self.visible_of(sid)[word];
        if !seen.contains(&value) {
            seen.push(value);
        }
        self.check_torn(sid);
        self.check_nested_record(sid);
        for vmid in self.vmids_in_use() {
            self.clean_vmids.remove(&vmid);
        }
    }

    fn note_nested(&mut self, sids: &[u32], vmid: u16) -> Result<(), Timeout> {
        self.log.push(Step::NoteNested(sids.to_vec(), vmid));
        for &sid in sids {
            if !self.nested.contains(&(sid, vmid)) {
                self.nested.push((sid, vmid));
            }
        }
        Ok(())
    }

    fn forget_nested(&mut self, sids: &[u32], vmid: Option<u16>) {
        self.log.push(Step::ForgetNested(sids.to_vec(), vmid));
        self.nested
            .retain(|e| !sids.contains(&e.0) || Some(e.1) == vmid);
        for &sid in sids {
            self.check_nested_record(sid);
        }
    }
}

impl Invalidator for FakeSmmu {
    fn issue_stage1(&mut self, vmid: u16) -> Result<(), Timeout> {
        let nested = self.nested.clone();
        self.issue(crate::sequence::invalidation::stage1_commands(
            vmid,
            nested.into_iter(),
        ))
    }

    fn free_vmid(&mut self, vmid: u16) {
        self.log.push(Step::FreeVmid(vmid));
        if self.vmids_in_use().contains(&vmid) {
            self.violate(
                Rule::VmidInvalidatedBeforeFree,
                format!("vmid {vmid} freed while an STE the SMMU may see names it"),
            );
        } else if !self.clean_vmids.contains(&vmid) {
            self.violate(
                Rule::VmidInvalidatedBeforeFree,
                format!("vmid {vmid} freed with no completed TLBI_S12_VMALL of it since an STE last named it"),
            );
        }
        self.clean_vmids.remove(&vmid);
        self.freed.push(vmid);
    }

    fn report(&mut self, failure: Failure) {
        self.reports.push(failure);
    }
}
