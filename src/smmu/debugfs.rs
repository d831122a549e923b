// SPDX-License-Identifier: GPL-2.0

//! `/sys/kernel/debug/smmu_rs`, through `kernel::debugfs`: what smmu_rs
//! holds and what its SMMUs did, so that tests can show that unload and
//! teardown leave nothing behind, that a fault happened even when the log
//! suppressed it, and what a change cost in commands.

use crate::hw::{
    DOMAINS,
    SMMUS, //
};
use core::{
    fmt,
    sync::atomic::{
        AtomicI64,
        Ordering, //
    },
};
use kernel::{
    debugfs::{
        Dir,
        File, //
    },
    prelude::*,
};

/// Page-table pages allocated (`table_pages`).
pub(crate) static TABLE_PAGES: AtomicI64 = AtomicI64::new(0);
/// Coherent DMA memory allocated, in bytes (`dma_bytes`).
pub(crate) static DMA_BYTES: AtomicI64 = AtomicI64::new(0);
/// Event records the host logged (every one not handed to a guest),
/// before rate limiting (`host_events`).
pub(crate) static HOST_EVENTS: AtomicI64 = AtomicI64::new(0);
/// The stage-2 faults among them (`stage2_faults`).
pub(crate) static STAGE2_FAULTS: AtomicI64 = AtomicI64::new(0);
/// Live vIOMMUs (`viommus`).
pub(crate) static VIOMMUS: AtomicI64 = AtomicI64::new(0);
/// Live nested domains (`nested_domains`).
pub(crate) static NESTED_DOMAINS: AtomicI64 = AtomicI64::new(0);

/// Adds `delta` to `counter`.
pub(crate) fn count(counter: &AtomicI64, delta: i64) {
    counter.fetch_add(delta, Ordering::Relaxed);
}

/// The directory and its files, while the module is loaded.
pub(crate) struct Debugfs {
    _files: KVec<Pin<KBox<File<()>>>>,
    _dir: Dir,
}

/// `domains`: one line per live stage-2 domain with its table's valid
/// descriptors and the fewest its translations need, so that a benchmark
/// can show the table uses every block it could.
fn show_domains(_: &(), f: &mut fmt::Formatter<'_>) -> fmt::Result {
    for d in DOMAINS.lock().iter() {
        let (vmid, descriptors, minimum) = d.descriptor_stats();
        writeln!(
            f,
            "{} vmid {} ias {} descriptors {} minimum {}",
            d.smmu.hw.device().name().to_str().unwrap_or("?"),
            vmid,
            d.ias(),
            descriptors,
            minimum
        )?;
    }
    Ok(())
}

/// `commands`: per SMMU, the commands it has consumed by kind, so that a
/// test can see a nest parent's stage-2 unmap followed by TLBI_NH_ALL, and
/// a benchmark what a map costs in commands.
fn show_commands(_: &(), f: &mut fmt::Formatter<'_>) -> fmt::Result {
    for s in SMMUS.lock().iter() {
        let c = s.smmu.command_counts();
        writeln!(
            f,
            "{} cfgi {} tlbi_s2_ipa {} tlbi_s12_vmall {} tlbi_nh_all {} tlbi_nsnh_all {} sync {}",
            s.smmu.hw.device().name().to_str().unwrap_or("?"),
            c.cfgi,
            c.tlbi_s2_ipa,
            c.tlbi_s12_vmall,
            c.tlbi_nh_all,
            c.tlbi_nsnh_all,
            c.sync
        )?;
    }
    Ok(())
}

/// Defines `$show`, which prints `$counter`.
macro_rules! counter_show {
    ($show:ident, $counter:ident) => {
        fn $show(_: &(), f: &mut fmt::Formatter<'_>) -> fmt::Result {
            writeln!(f, "{}", $counter.load(Ordering::Relaxed))
        }
    };
}
counter_show!(show_table_pages, TABLE_PAGES);
counter_show!(show_dma_bytes, DMA_BYTES);
counter_show!(show_viommus, VIOMMUS);
counter_show!(show_host_events, HOST_EVENTS);
counter_show!(show_stage2_faults, STAGE2_FAULTS);
counter_show!(show_nested_domains, NESTED_DOMAINS);

/// Adds file `name` of `dir`, whose contents `show` prints, to `files`.
fn add<F>(files: &mut KVec<Pin<KBox<File<()>>>>, dir: &Dir, name: &CStr, show: &'static F) -> Result
where
    F: Fn(&(), &mut fmt::Formatter<'_>) -> fmt::Result + Send + Sync,
{
    let file = KBox::pin_init(dir.read_callback_file(name, (), show), GFP_KERNEL)?;
    files.push(file, GFP_KERNEL)?;
    Ok(())
}

impl Debugfs {
    /// Creates the directory and its files. A debugging aid only: without
    /// debugfs, nothing is created and nothing fails but allocation.
    pub(crate) fn new() -> Result<Self> {
        let dir = Dir::new(c"smmu_rs");
        let mut files = KVec::with_capacity(8, GFP_KERNEL)?;
        add(&mut files, &dir, c"domains", &show_domains)?;
        add(&mut files, &dir, c"commands", &show_commands)?;
        add(&mut files, &dir, c"table_pages", &show_table_pages)?;
        add(&mut files, &dir, c"dma_bytes", &show_dma_bytes)?;
        add(&mut files, &dir, c"viommus", &show_viommus)?;
        add(&mut files, &dir, c"host_events", &show_host_events)?;
        add(&mut files, &dir, c"stage2_faults", &show_stage2_faults)?;
        add(&mut files, &dir, c"nested_domains", &show_nested_domains)?;
        Ok(Self {
            _files: files,
            _dir: dir,
        })
    }
}
