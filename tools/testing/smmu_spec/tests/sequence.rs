// SPDX-License-Identifier: GPL-2.0

//! The STE update sequence and the invalidation batches of
//! `src/smmu/sequence`, run against the fake SMMU of `src/fake.rs`, which
//! checks the ordering rules of `Documentation/smmu.rst` after every step:
//! every transition the driver makes holds every rule, and for each rule a
//! deliberately reordered sequence (a mutation) breaks it.

use smmu_spec::{
    command::{
        self,
        Command, //
    },
    fake::{
        FakeSmmu,
        Rule,
        Step,
        Timeout, //
    },
    sequence::{
        guest_invalidation,
        invalidation::{
            self,
            Failure, //
        },
        ste_update,
        CommandQueue,
        Invalidator,
        StreamTableAccess, //
    },
    ste::{
        vtcr,
        Stage2,
        Ste,
        STE_0_S1CTXPTR,
        STE_1_S1CIR,
        STE_1_S1COR,
        STE_1_S1CSH,
        STE_1_S1STALLD, //
    },
};

fn stage2(vmid: u16, ttb: u64, fwb: bool) -> Stage2 {
    Stage2 {
        vmid,
        vtcr: vtcr(44, 44, 1),
        ttb,
        fwb,
    }
}

/// A guest's stage-1 words (as `validate_vste` leaves them) with its
/// context descriptor table at `cd`.
fn s1(cd: u64, stalld: bool) -> [u64; 2] {
    [
        cd & STE_0_S1CTXPTR.mask(),
        STE_1_S1CIR.prep(1)
            | STE_1_S1COR.prep(1)
            | STE_1_S1CSH.prep(3)
            | STE_1_S1STALLD.prep(stalld.into()),
    ]
}

const S2_A: u16 = 1;
const S2_B: u16 = 2;

/// Every kind of STE the driver installs, and the configuration changes
/// between them it makes: abort (blocked domain, release), bypass
/// (identity), stage 2 of two domains and with FWB (a nest parent), and
/// nested over either parent with two guest stage 1s (a nested domain's
/// vSTE abort is `Abort`, its bypass the parent's stage 2).
fn catalogue() -> Vec<(&'static str, Ste)> {
    vec![
        ("abort", Ste::Abort),
        ("bypass", Ste::Bypass),
        ("s2 A", Ste::Stage2(stage2(S2_A, 0x4000_0000, false))),
        ("s2 A fwb", Ste::Stage2(stage2(S2_A, 0x4000_0000, true))),
        ("s2 B", Ste::Stage2(stage2(S2_B, 0x5000_0000, false))),
        (
            "nested A cd1",
            Ste::Nested {
                s2: stage2(S2_A, 0x4000_0000, true),
                s1: s1(0x8000_1000, false),
            },
        ),
        (
            "nested A cd2",
            Ste::Nested {
                s2: stage2(S2_A, 0x4000_0000, true),
                s1: s1(0x8000_2000, true),
            },
        ),
        (
            "nested B cd1",
            Ste::Nested {
                s2: stage2(S2_B, 0x5000_0000, true),
                s1: s1(0x8000_1000, false),
            },
        ),
    ]
}

fn find(name: &str) -> Ste {
    catalogue()
        .into_iter()
        .find(|(n, _)| *n == name)
        .map(|(_, s)| s)
        .unwrap()
}

/// Installs `ste` on `sids` of `smmu` through `table` (the fake itself or
/// a mutant over it), announcing the transition to the checker.
fn install_via<T: StreamTableAccess<Error = Timeout>>(
    table: &mut T,
    smmu: impl FnOnce(&mut T) -> &mut FakeSmmu,
    sids: &[u32],
    ste: Ste,
    attr_override: bool,
) -> Result<(), Timeout> {
    smmu(table).begin(sids, ste.words(attr_override));
    ste_update::install(table, sids, ste, attr_override)
}

fn install(smmu: &mut FakeSmmu, sids: &[u32], ste: Ste) {
    install_via(smmu, |s| s, sids, ste, false).unwrap();
    smmu.settle();
}

fn assert_clean(smmu: &FakeSmmu, what: &str) {
    assert!(
        smmu.violations().is_empty(),
        "{what}: {:#?}",
        smmu.violations()
    );
}

/// The SMMU after `sids` went from `from` to `to`, and the batches the
/// second install issued.
fn transition(from: Ste, to: Ste, sids: &[u32]) -> (FakeSmmu, usize) {
    let mut smmu = FakeSmmu::new();
    install(&mut smmu, sids, from);
    let before = smmu.batches().len();
    install(&mut smmu, sids, to);
    let syncs = smmu.batches().len() - before;
    assert_clean(&smmu, "transition");
    for &sid in sids {
        assert_eq!(smmu.ste(sid), to.words(false));
    }
    (smmu, syncs)
}

#[test]
fn every_transition_holds_every_rule() {
    for attr_override in [false, true] {
        for sids in [&[7u32][..], &[7, 300, 301][..]] {
            for (from_name, from) in catalogue() {
                for (to_name, to) in catalogue() {
                    let mut smmu = FakeSmmu::new();
                    for ste in [from, to] {
                        install_via(&mut smmu, |s| s, sids, ste, attr_override).unwrap();
                        smmu.settle();
                    }
                    let what = format!(
                        "{from_name} -> {to_name}, sids {sids:?}, ATTR_TYPES_OVR {attr_override}"
                    );
                    assert_clean(&smmu, &what);
                    for &sid in sids {
                        assert_eq!(smmu.ste(sid), to.words(attr_override), "{what}");
                    }
                    // The record of nested streams holds exactly the new STE's.
                    let mut expect: Vec<(u32, u16)> = match to {
                        Ste::Nested { s2, .. } => sids.iter().map(|&sid| (sid, s2.vmid)).collect(),
                        _ => Vec::new(),
                    };
                    let mut record = smmu.nested_record().to_vec();
                    expect.sort();
                    record.sort();
                    assert_eq!(record, expect, "{what}");
                }
            }
        }
    }
}

/// The batches each transition the driver makes costs: three when a live
/// STE changes in words 1-7 too (as upstream's non-hitless update), fewer
/// when a step has nothing to write, none for the same STE.
#[test]
fn transitions_sync_counts() {
    let sids = [7];
    for (from, to, syncs) in [
        ("abort", "bypass", 1),
        ("abort", "s2 A", 2),
        ("bypass", "s2 A", 3),
        ("s2 A", "nested A cd1", 3),
        ("nested A cd1", "nested A cd2", 3),
        ("nested A cd1", "nested B cd1", 3),
        ("nested A cd1", "s2 A", 3),
        ("s2 A", "s2 B", 3),
        ("s2 A", "s2 A fwb", 3),
        ("s2 A", "abort", 2),
        ("nested A cd1", "abort", 2),
        ("bypass", "abort", 1),
        ("s2 A", "bypass", 3),
        ("s2 A", "s2 A", 0),
        ("abort", "abort", 0),
    ] {
        let (_, n) = transition(find(from), find(to), &sids);
        assert_eq!(n, syncs, "{from} -> {to}");
    }
}

/// The exact steps of one change, to pin the sequence the driver issues:
/// abort word 0, CFGI_STE + sync; words 1-7, CFGI_STE + sync; word 0,
/// CFGI_STE + sync; for both streams of the device in each batch.
#[test]
fn bypass_to_s2_exact_sequence() {
    let mut smmu = FakeSmmu::new();
    let sids = [7, 8];
    install(&mut smmu, &sids, Ste::Bypass);
    smmu.log.clear();
    let new = find("s2 A").words(false);
    install(&mut smmu, &sids, find("s2 A"));
    let abort = Ste::Abort.words(false)[0];
    let cfgi = Step::Batch(vec![command::cfgi_ste(7), command::cfgi_ste(8)]);
    let mut expect = vec![
        Step::Write {
            sid: 7,
            word: 0,
            value: abort,
        },
        Step::Write {
            sid: 8,
            word: 0,
            value: abort,
        },
        cfgi.clone(),
    ];
    for sid in sids {
        for (word, &value) in new.iter().enumerate().skip(1) {
            expect.push(Step::Write { sid, word, value });
        }
    }
    expect.push(cfgi.clone());
    for sid in sids {
        expect.push(Step::Write {
            sid,
            word: 0,
            value: new[0],
        });
    }
    expect.push(cfgi);
    expect.push(Step::ForgetNested(sids.to_vec(), None));
    assert_eq!(smmu.log, expect);
    assert_clean(&smmu, "bypass -> s2");
}

/// Transitions in a pseudo-random order, over overlapping sets of
/// streams, with stage-2 changes of the parents and domain frees between
/// them.
#[test]
fn random_walk_holds_every_rule() {
    let cat = catalogue();
    let mut smmu = FakeSmmu::new();
    smmu.nest_parent(S2_A);
    smmu.nest_parent(S2_B);
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = |n: u64| {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x % n
    };
    let sid_sets: [&[u32]; 4] = [&[1], &[2], &[1, 2], &[3, 260]];
    for _ in 0..3000 {
        match next(8) {
            0 => {
                let vmid = [S2_A, S2_B][next(2) as usize];
                let iova = next(1 << 20) << 12;
                let size = (next(200) + 1) << 12;
                smmu.stage2_changed(vmid, iova, size);
                invalidation::invalidate_range(&mut smmu, next(2) == 1, vmid, iova, size, true)
                    .unwrap();
                smmu.settle();
            }
            _ => {
                let sids = sid_sets[next(4) as usize];
                let (_, ste) = cat[next(cat.len() as u64) as usize];
                install_via(&mut smmu, |s| s, sids, ste, next(2) == 1).unwrap();
                smmu.settle();
            }
        }
    }
    // Every stream leaves; both domains are freed.
    install(&mut smmu, &[1, 2, 3, 260], Ste::Abort);
    invalidation::release_vmid(&mut smmu, S2_A);
    invalidation::release_vmid(&mut smmu, S2_B);
    assert_eq!(smmu.freed, [S2_A, S2_B]);
    assert_clean(&smmu, "random walk");
}

#[test]
fn unmap_invalidation_covers_the_range() {
    for ril in [false, true] {
        for pages in [1u64, 2, 3, 31, 32, 33, 63, 64, 65, 100, 257, 1000] {
            let mut smmu = FakeSmmu::new();
            let iova = 0x1234_5000;
            smmu.stage2_changed(S2_A, iova, pages << 12);
            invalidation::invalidate_range(&mut smmu, ril, S2_A, iova, pages << 12, false).unwrap();
            smmu.settle();
            assert_clean(&smmu, &format!("{pages} pages, RIL {ril}"));
            assert_eq!(smmu.batches().len(), 1, "one batch, one sync");
        }
    }
}

#[test]
fn nest_parent_unmap_refetches_nested_streams() {
    let mut smmu = FakeSmmu::new();
    smmu.nest_parent(S2_A);
    install(&mut smmu, &[7], find("nested A cd1"));
    install(&mut smmu, &[9], find("nested B cd1"));
    install(&mut smmu, &[8], find("s2 A"));
    let before = smmu.batches().len();
    smmu.stage2_changed(S2_A, 0x10_0000, 0x3000);
    invalidation::invalidate_range(&mut smmu, false, S2_A, 0x10_0000, 0x3000, true).unwrap();
    smmu.settle();
    assert_clean(&smmu, "nest parent unmap");
    assert_eq!(
        &smmu.batches()[before..],
        &[
            (0..3)
                .map(|i| command::tlbi_s2_ipa(S2_A, 0x10_0000 + i * 4096, None))
                .collect::<Vec<_>>(),
            vec![
                command::tlbi_nh_all(S2_A),
                command::cfgi_ste(7),
                command::cfgi_cd_all(7),
            ],
        ]
    );
}

/// A stage-2 batch the SMMU did not confirm is reported, and the stage-1
/// batch still goes out: the caller keeps the pages either way.
#[test]
fn unconfirmed_stage2_batch_is_reported() {
    let mut smmu = FakeSmmu::new();
    smmu.nest_parent(S2_A);
    smmu.fail_batch(0);
    let r = invalidation::invalidate_range(&mut smmu, true, S2_A, 0, 0x1000, true);
    assert_eq!(r, Err(Timeout));
    assert_eq!(
        smmu.reports,
        [Failure::Range {
            vmid: S2_A,
            iova: 0
        }]
    );
    assert_eq!(smmu.batches(), &[vec![command::tlbi_nh_all(S2_A)]]);
}

#[test]
fn domain_free_invalidates_before_the_vmid_is_reused() {
    let mut smmu = FakeSmmu::new();
    install(&mut smmu, &[7], find("s2 A"));
    install(&mut smmu, &[7], Ste::Bypass);
    invalidation::release_vmid(&mut smmu, S2_A);
    assert_eq!(smmu.freed, [S2_A]);
    assert_eq!(
        smmu.batches().last().unwrap(),
        &vec![command::tlbi_s12_vmall(S2_A)]
    );
    assert_clean(&smmu, "domain free");
}

#[test]
fn unconfirmed_invalidation_leaks_the_vmid() {
    let mut smmu = FakeSmmu::new();
    install(&mut smmu, &[7], find("s2 A"));
    install(&mut smmu, &[7], Ste::Abort);
    smmu.fail_batch(0);
    invalidation::release_vmid(&mut smmu, S2_A);
    assert!(smmu.freed.is_empty());
    assert_eq!(smmu.reports, [Failure::Vmid { vmid: S2_A }]);
    assert_clean(&smmu, "leaked vmid");
}

/// A guest's command list: distinct TLBI_NH_ALL commands stand in for
/// what `convert_guest_command` accepts.
fn guest_commands(n: usize) -> Vec<Command> {
    (0..n as u64)
        .map(|i| command::tlbi_nh_all(i as u16 + 1))
        .collect()
}

/// A `convert` that takes commands as they are, up to the one equal to
/// `refused`.
fn take_until(
    refused: Option<Command>,
) -> impl FnMut(&[Command], &mut [Command; guest_invalidation::BATCH]) -> (usize, Option<&'static str>)
{
    move |chunk, batch| {
        for (n, cmd) in chunk.iter().enumerate() {
            if Some(*cmd) == refused {
                return (n, Some("refused"));
            }
            batch[n] = *cmd;
        }
        (chunk.len(), None)
    }
}

#[test]
fn guest_commands_go_in_bounded_batches_up_to_the_refused_one() {
    for n in [0usize, 1, 62, 63, 64, 126, 127, 200] {
        for refuse_at in [None, Some(0), Some(n / 2), Some(n.saturating_sub(1))] {
            let refuse_at = refuse_at.filter(|&i| i < n);
            let cmds = guest_commands(n);
            let refused = refuse_at.map(|i| cmds[i]);
            let prefix = refuse_at.unwrap_or(n);
            let mut smmu = FakeSmmu::new();
            smmu.limit_batches(63); // upstream: CMDQ_BATCH_ENTRIES - 1
            smmu.expect_commands(cmds[..prefix].to_vec());
            let (done, r) =
                guest_invalidation::issue_guest_commands(&mut smmu, &cmds, take_until(refused));
            smmu.settle();
            assert_clean(&smmu, &format!("{n} commands, refused at {refuse_at:?}"));
            assert_eq!(done, prefix);
            assert_eq!(r.is_err(), refuse_at.is_some());
            // One batch per chunk with something to carry out.
            assert_eq!(
                smmu.batches().len(),
                prefix.div_ceil(guest_invalidation::BATCH)
            );
        }
    }
}

#[test]
fn unconfirmed_guest_batch_stops_there() {
    let cmds = guest_commands(100);
    let mut smmu = FakeSmmu::new();
    smmu.fail_batch(1);
    let (done, r) = guest_invalidation::issue_guest_commands(&mut smmu, &cmds, take_until(None));
    assert_eq!(done, guest_invalidation::BATCH);
    assert_eq!(r, Err(guest_invalidation::Stopped::Queue(Timeout)));
}

// ---------------------------------------------------------------------
// Mutations: each breaks one rule, and the fake must say so.

/// How a mutant SMMU interface perturbs the sequence run through it.
#[derive(Clone, Copy, Debug)]
enum Mutation {
    /// The `n`th batch is reported complete but never issued: a missing
    /// CFGI_STE + CMD_SYNC (or TLBI + CMD_SYNC) step.
    SkipBatch(usize),
    /// CFGI_STE names the next stream id.
    CfgiWrongSid,
    /// The streams are recorded as nested only once their STE is written.
    NoteNestedLate,
    /// A stream's older nested record is dropped at its first write.
    ForgetNestedEarly,
    /// Every batch loses its last command.
    DropLastCommand,
    /// The first batch's commands go out with the second's, under one
    /// sync.
    MergeFirstTwoBatches,
    /// CFGI_CD_ALL is left out.
    NoCfgiCdAll,
}

struct Mutant<'a> {
    smmu: &'a mut FakeSmmu,
    mutation: Mutation,
    batches: usize,
    held: Vec<Command>,
    late_note: Option<(Vec<u32>, u16)>,
}

impl<'a> Mutant<'a> {
    fn new(smmu: &'a mut FakeSmmu, mutation: Mutation) -> Self {
        Self {
            smmu,
            mutation,
            batches: 0,
            held: Vec::new(),
            late_note: None,
        }
    }
}

impl CommandQueue for Mutant<'_> {
    type Error = Timeout;

    fn issue(&mut self, cmds: impl Iterator<Item = Command>) -> Result<(), Timeout> {
        let n = self.batches;
        self.batches += 1;
        let mut cmds: Vec<Command> = cmds.collect();
        match self.mutation {
            Mutation::SkipBatch(skip) if skip == n => return Ok(()),
            Mutation::CfgiWrongSid => {
                for c in &mut cmds {
                    if command::opcode(c) == command::OP_CFGI_STE {
                        let sid = command::CFGI_0_SID.get(c[0]) as u32;
                        *c = command::cfgi_ste(sid + 1);
                    }
                }
            }
            Mutation::DropLastCommand => {
                cmds.pop();
            }
            Mutation::MergeFirstTwoBatches if n == 0 => {
                self.held = cmds;
                return Ok(());
            }
            Mutation::MergeFirstTwoBatches if n == 1 => {
                cmds.splice(0..0, self.held.drain(..));
            }
            Mutation::NoCfgiCdAll => cmds.retain(|c| command::opcode(c) != command::OP_CFGI_CD_ALL),
            _ => {}
        }
        self.smmu.issue(cmds.into_iter())
    }
}

impl StreamTableAccess for Mutant<'_> {
    fn read(&mut self, sid: u32, word: usize) -> u64 {
        self.smmu.read(sid, word)
    }

    fn write(&mut self, sid: u32, word: usize, value: u64) {
        if let Mutation::ForgetNestedEarly = self.mutation {
            self.smmu.forget_nested(&[sid], None);
        }
        self.smmu.write(sid, word, value)
    }

    fn note_nested(&mut self, sids: &[u32], vmid: u16) -> Result<(), Timeout> {
        if let Mutation::NoteNestedLate = self.mutation {
            self.late_note = Some((sids.to_vec(), vmid));
            return Ok(());
        }
        self.smmu.note_nested(sids, vmid)
    }

    fn forget_nested(&mut self, sids: &[u32], vmid: Option<u16>) {
        if let Some((sids, vmid)) = self.late_note.take() {
            self.smmu.note_nested(&sids, vmid).unwrap();
        }
        self.smmu.forget_nested(sids, vmid)
    }
}

impl Invalidator for Mutant<'_> {
    fn issue_stage1(&mut self, vmid: u16) -> Result<(), Timeout> {
        let nested = self.smmu.nested_record().to_vec();
        self.issue(invalidation::stage1_commands(vmid, nested.into_iter()))
    }

    fn free_vmid(&mut self, vmid: u16) {
        self.smmu.free_vmid(vmid)
    }

    fn report(&mut self, failure: Failure) {
        self.smmu.report(failure)
    }
}

/// Asserts that `smmu` broke `rule`, and prints what it saw.
fn assert_broke(smmu: &FakeSmmu, rule: Rule, mutation: &str) {
    for v in smmu.violations() {
        eprintln!("{mutation}: {v}");
    }
    assert!(
        smmu.broke(rule),
        "{mutation} did not break {rule:?}: {:#?}",
        smmu.violations()
    );
}

/// `from` then `to` on `sids`, the second install through a mutant.
fn mutated_transition(from: &str, to: &str, sids: &[u32], mutation: Mutation) -> FakeSmmu {
    let mut smmu = FakeSmmu::new();
    install(&mut smmu, sids, find(from));
    assert_clean(&smmu, "before the mutation");
    let mut m = Mutant::new(&mut smmu, mutation);
    install_via(&mut m, |m| &mut *m.smmu, sids, find(to), false).unwrap();
    smmu.settle();
    smmu
}

#[test]
fn mutation_skipped_abort_sync_breaks_no_torn_ste() {
    let smmu = mutated_transition("s2 A", "s2 B", &[7], Mutation::SkipBatch(0));
    assert_broke(&smmu, Rule::NoTornSte, "no sync after the abort word 0");
}

#[test]
fn mutation_skipped_middle_sync_breaks_no_torn_ste() {
    let smmu = mutated_transition("bypass", "nested A cd1", &[7], Mutation::SkipBatch(1));
    assert_broke(
        &smmu,
        Rule::NoTornSte,
        "no sync between words 1-7 and word 0",
    );
}

/// Steps 2 and 3 swapped: the new word 0 is written before words 1-7.
fn install_word0_first<T: StreamTableAccess>(
    t: &mut T,
    sids: &[u32],
    ste: Ste,
) -> Result<(), T::Error> {
    let new = ste.words(false);
    let abort = Ste::Abort.words(false)[0];
    for &sid in sids {
        t.write(sid, 0, abort);
    }
    t.issue(sids.iter().map(|&s| command::cfgi_ste(s)))?;
    for &sid in sids {
        t.write(sid, 0, new[0]);
    }
    t.issue(sids.iter().map(|&s| command::cfgi_ste(s)))?;
    for &sid in sids {
        for (i, &w) in new.iter().enumerate().skip(1) {
            t.write(sid, i, w);
        }
    }
    t.issue(sids.iter().map(|&s| command::cfgi_ste(s)))
}

#[test]
fn mutation_word0_before_the_rest_breaks_no_torn_ste() {
    let mut smmu = FakeSmmu::new();
    install(&mut smmu, &[7], find("s2 A"));
    smmu.begin(&[7], find("s2 B").words(false));
    install_word0_first(&mut smmu, &[7], find("s2 B")).unwrap();
    smmu.settle();
    assert_broke(&smmu, Rule::NoTornSte, "word 0 written before words 1-7");
}

/// Every word written in place, one sync: the update upstream calls
/// hitless, which a change of VMID and table is not.
fn install_in_one_batch<T: StreamTableAccess>(
    t: &mut T,
    sids: &[u32],
    ste: Ste,
) -> Result<(), T::Error> {
    let new = ste.words(false);
    for &sid in sids {
        for (i, &w) in new.iter().enumerate() {
            t.write(sid, i, w);
        }
    }
    t.issue(sids.iter().map(|&s| command::cfgi_ste(s)))
}

#[test]
fn mutation_one_batch_update_breaks_no_torn_ste() {
    let mut smmu = FakeSmmu::new();
    install(&mut smmu, &[7], find("s2 A"));
    smmu.begin(&[7], find("s2 B").words(false));
    install_in_one_batch(&mut smmu, &[7], find("s2 B")).unwrap();
    smmu.settle();
    assert_broke(&smmu, Rule::NoTornSte, "every word in place, one sync");
}

#[test]
fn mutation_skipped_last_sync_breaks_synced_before_return() {
    let smmu = mutated_transition("bypass", "s2 A", &[7], Mutation::SkipBatch(2));
    assert_broke(
        &smmu,
        Rule::SyncedBeforeReturn,
        "no sync after the new word 0",
    );
}

#[test]
fn mutation_cfgi_of_another_stream_breaks_synced_before_return() {
    let smmu = mutated_transition("abort", "bypass", &[7], Mutation::CfgiWrongSid);
    assert_broke(&smmu, Rule::SyncedBeforeReturn, "CFGI_STE of sid + 1");
}

#[test]
fn mutation_nested_recorded_late_breaks_nested_recorded_while_visible() {
    let smmu = mutated_transition("s2 A", "nested A cd1", &[7], Mutation::NoteNestedLate);
    assert_broke(
        &smmu,
        Rule::NestedRecordedWhileVisible,
        "nested stream recorded after its STE",
    );
}

#[test]
fn mutation_nested_forgotten_early_breaks_nested_recorded_while_visible() {
    let smmu = mutated_transition("nested A cd1", "s2 A", &[7], Mutation::ForgetNestedEarly);
    assert_broke(
        &smmu,
        Rule::NestedRecordedWhileVisible,
        "nested record dropped at the first write",
    );
}

#[test]
fn mutation_range_one_page_short_breaks_range_covered() {
    let mut smmu = FakeSmmu::new();
    smmu.stage2_changed(S2_A, 0x10_0000, 0x3000);
    let mut m = Mutant::new(&mut smmu, Mutation::DropLastCommand);
    invalidation::invalidate_range(&mut m, false, S2_A, 0x10_0000, 0x3000, false).unwrap();
    smmu.settle();
    assert_broke(&smmu, Rule::RangeCovered, "last page's TLBI_S2_IPA dropped");
}

/// The stage-2 invalidation of a nest parent with one nested stream,
/// through `mutation`.
fn mutated_nest_parent_unmap(mutation: Mutation) -> FakeSmmu {
    let mut smmu = FakeSmmu::new();
    smmu.nest_parent(S2_A);
    install(&mut smmu, &[7], find("nested A cd1"));
    smmu.stage2_changed(S2_A, 0x10_0000, 0x2000);
    let mut m = Mutant::new(&mut smmu, mutation);
    invalidation::invalidate_range(&mut m, true, S2_A, 0x10_0000, 0x2000, true).unwrap();
    smmu.settle();
    smmu
}

#[test]
fn mutation_stage1_in_the_stage2_batch_breaks_stage1_after_stage2_sync() {
    let smmu = mutated_nest_parent_unmap(Mutation::MergeFirstTwoBatches);
    assert_broke(
        &smmu,
        Rule::Stage1AfterStage2Sync,
        "TLBI_NH_ALL in the stage-2 batch",
    );
}

#[test]
fn mutation_skipped_stage1_batch_breaks_stage1_after_stage2_sync() {
    let smmu = mutated_nest_parent_unmap(Mutation::SkipBatch(1));
    assert_broke(&smmu, Rule::Stage1AfterStage2Sync, "no stage-1 batch");
}

#[test]
fn mutation_no_cfgi_cd_all_breaks_nested_config_refetched() {
    let smmu = mutated_nest_parent_unmap(Mutation::NoCfgiCdAll);
    assert_broke(&smmu, Rule::NestedConfigRefetched, "CFGI_CD_ALL left out");
}

#[test]
fn mutation_skipped_vmall_breaks_vmid_invalidated_before_free() {
    let mut smmu = FakeSmmu::new();
    install(&mut smmu, &[7], find("s2 A"));
    install(&mut smmu, &[7], Ste::Abort);
    let mut m = Mutant::new(&mut smmu, Mutation::SkipBatch(0));
    invalidation::release_vmid(&mut m, S2_A);
    assert_broke(
        &smmu,
        Rule::VmidInvalidatedBeforeFree,
        "TLBI_S12_VMALL never issued",
    );
}

/// The VMID freed before its entries are invalidated.
fn release_vmid_free_first<T: Invalidator>(t: &mut T, vmid: u16) {
    t.free_vmid(vmid);
    let _ = invalidation::invalidate_vmid(t, vmid);
}

#[test]
fn mutation_vmid_freed_first_breaks_vmid_invalidated_before_free() {
    let mut smmu = FakeSmmu::new();
    install(&mut smmu, &[7], find("s2 A"));
    install(&mut smmu, &[7], Ste::Abort);
    release_vmid_free_first(&mut smmu, S2_A);
    assert_broke(
        &smmu,
        Rule::VmidInvalidatedBeforeFree,
        "VMID freed before TLBI_S12_VMALL",
    );
}

#[test]
fn mutation_vmid_freed_while_attached_breaks_vmid_invalidated_before_free() {
    let mut smmu = FakeSmmu::new();
    install(&mut smmu, &[7], find("nested A cd1"));
    invalidation::release_vmid(&mut smmu, S2_A);
    assert_broke(
        &smmu,
        Rule::VmidInvalidatedBeforeFree,
        "domain freed with a stream still on it",
    );
}

#[test]
fn mutation_merged_guest_batches_break_batch_within_limit() {
    let cmds = guest_commands(100);
    let mut smmu = FakeSmmu::new();
    smmu.limit_batches(63); // upstream: CMDQ_BATCH_ENTRIES - 1
    let mut m = Mutant::new(&mut smmu, Mutation::MergeFirstTwoBatches);
    let _ = guest_invalidation::issue_guest_commands(&mut m, &cmds, take_until(None));
    assert_broke(
        &smmu,
        Rule::BatchWithinLimit,
        "two guest batches under one sync",
    );
}

#[test]
fn mutation_guest_commands_past_a_refused_one_break_guest_prefix_in_order() {
    let cmds = guest_commands(10);
    let mut smmu = FakeSmmu::new();
    smmu.expect_commands(cmds[..4].to_vec());
    // A convert that skips the refused command and goes on.
    let skip_refused = |chunk: &[Command], batch: &mut [Command; guest_invalidation::BATCH]| {
        let mut n = 0;
        for cmd in chunk.iter().filter(|&&c| c != cmds[4]) {
            batch[n] = *cmd;
            n += 1;
        }
        (n, None::<&str>)
    };
    let _ = guest_invalidation::issue_guest_commands(&mut smmu, &cmds, skip_refused);
    smmu.settle();
    assert_broke(
        &smmu,
        Rule::GuestPrefixInOrder,
        "commands after the refused one issued",
    );
}
