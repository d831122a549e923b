// SPDX-License-Identifier: GPL-2.0

//! Stage-2 paging domains: a VMID and an LPAE stage-2 table written by
//! [`crate::lpae`] over real pages, invalidated through the command queue.
//! Used for plain paging domains and for nest parents alike.

use crate::hw::table_page;
use crate::lpae::{
    Config,
    MapError,
    PageTable,
    Prot,
    TableMemory, //
};
use crate::smmu::Smmu;
use crate::spec::ste::{
    vtcr,
    Stage2,
    Ste, //
};
use kernel::alloc::KVec;
use kernel::new_mutex;
use kernel::prelude::*;
use kernel::sync::barrier::{
    dma_mb,
    Write, //
};
use kernel::sync::{
    Arc,
    Mutex, //
};

/// Table pages from the page allocator, invalidations through the SMMU.
pub(crate) struct KernelTables {
    smmu: Arc<Smmu>,
    vmid: u16,
    /// A nest parent: every stage-2 change also drops the VMID's stage-1
    /// entries (TLBI_NH_ALL), which may combine with the changed ones.
    nest_parent: bool,
    /// Unlinked tables waiting for the invalidation that makes them
    /// unreachable from the walk caches.
    retired: KVec<u64>,
    /// An invalidation since the last map or unmap began was not
    /// confirmed by the SMMU (a CMD_SYNC timed out): what it should have
    /// dropped may still be cached, so the unmap must not claim it is
    /// done, and no table it unlinked may be freed.
    invalidation_failed: bool,
}

impl TableMemory for KernelTables {
    fn alloc_table(&mut self) -> Option<u64> {
        table_page::alloc()
    }

    fn read(&self, table: u64, index: usize) -> u64 {
        // SAFETY: the format code passes only tables it allocated here and
        // has not freed (the `TableMemory` contract).
        unsafe { table_page::read(table, index) }
    }

    fn write(&mut self, table: u64, index: usize, value: u64) {
        // SAFETY: as in `read`.
        unsafe { table_page::write(table, index, value) }
    }

    fn free_table(&mut self, table: u64) {
        // SAFETY: the format code frees a table once, when the SMMU cannot
        // reach it (never linked, or the domain is gone from every STE).
        unsafe { table_page::free(table) }
    }

    fn retire_table(&mut self, table: u64) {
        if self.retired.push(table, GFP_KERNEL).is_err() {
            // No room to defer: make the table unreachable now.
            if self.smmu.invalidate_vmid(self.vmid).is_err() {
                // The walk caches may still hold it: leaked, never reused.
                self.invalidation_failed = true;
                return;
            }
            // SAFETY: unlinked by the caller and just invalidated from every
            // walk cache of this VMID.
            unsafe { table_page::free(table) }
        }
    }

    fn invalidate(&mut self, iova: u64, size: u64) {
        if self
            .smmu
            .invalidate_range(self.vmid, iova, size, self.nest_parent)
            .is_err()
        {
            self.invalidation_failed = true;
        }
    }

    fn order_before_link(&mut self) {
        dma_mb(Write);
    }

    fn free_retired(&mut self) {
        if self.invalidation_failed {
            // The walk caches may still hold them: leaked, never reused
            // (the SMMU did not confirm an invalidation, which only a
            // broken SMMU does).
            self.retired.clear();
            return;
        }
        while let Some(table) = self.retired.pop() {
            // SAFETY: retired tables are unlinked, and the format code calls
            // this only after an invalidation covering each one's range.
            unsafe { table_page::free(table) }
        }
    }
}

/// A stage-2 domain.
#[pin_data(PinnedDrop)]
pub(crate) struct S2Domain {
    pub(crate) smmu: Arc<Smmu>,
    vmid: u16,
    /// Words 2 and 3 of the STE of every attached stream, and of the
    /// nested STEs over this domain.
    stage2: Stage2,
    /// The stage 2 of nested translations (IOMMU_HWPT_ALLOC_NEST_PARENT).
    pub(crate) nest_parent: bool,
    /// Map, unmap and walk are serialised; callers may sleep.
    #[pin]
    table: Mutex<PageTable<KernelTables>>,
}

impl S2Domain {
    /// A new empty domain on `smmu`; a `nest_parent` is the stage 2 of
    /// nested translations.
    pub(crate) fn new(smmu: &Arc<Smmu>, nest_parent: bool) -> Result<Arc<Self>> {
        let f = smmu.features;
        let vmid = smmu.vmids.lock().alloc()?;
        let mem = KernelTables {
            smmu: smmu.clone(),
            vmid,
            nest_parent,
            retired: KVec::new(),
            invalidation_failed: false,
        };
        let config = Config {
            ias: f.ias,
            oas: f.oas,
            live_resize: f.bbml2,
            // A nest parent on an SMMU that can force write-back does, so
            // that a guest's stage 1 cannot make accesses non-cacheable.
            fwb: nest_parent && f.s2fwb,
        };
        let Some(table) = PageTable::new(mem, config) else {
            smmu.vmids.lock().free(vmid);
            return Err(ENOMEM);
        };
        let stage2 = Stage2 {
            vmid,
            vtcr: vtcr(f.ias, f.oas, table.start_level()),
            ttb: table.root(),
            fwb: config.fwb,
        };
        Arc::pin_init(
            pin_init!(Self {
                smmu: smmu.clone(),
                vmid,
                stage2,
                nest_parent,
                table <- new_mutex!(table, "smmu_rs::S2Domain::table"),
            }),
            GFP_KERNEL,
        )
    }

    /// The domain's VMID.
    pub(crate) fn vmid(&self) -> u16 {
        self.vmid
    }

    /// Input address bits (the aperture).
    pub(crate) fn ias(&self) -> u32 {
        self.smmu.features.ias
    }

    /// The STE for streams attached to this domain.
    pub(crate) fn ste(&self) -> Ste {
        Ste::Stage2(self.stage2)
    }

    /// The stage-2 part of STEs that use this domain.
    pub(crate) fn stage2(&self) -> Stage2 {
        self.stage2
    }

    /// Maps `[iova, iova + size)` to `pa` with IOMMU_* `prot`. A doorbell
    /// page (`IOMMU_MMIO`) already mapped there to the same page is fine:
    /// the parent's own MSI cookie and a nested domain's over it place the
    /// same doorbell in the same slot of the SW_MSI window.
    pub(crate) fn map(&self, iova: u64, pa: u64, size: u64, prot: u32) -> Result {
        if prot & Prot::IOMMU_MMIO != 0 {
            if let Some((p, _)) = self.translate(iova) {
                if p == pa && size == 4096 {
                    return Ok(());
                }
            }
        }
        self.table
            .lock()
            .map(iova, pa, size, Prot::from_iommu(prot))
            .map_err(|e| match e {
                MapError::Exists => EEXIST,
                MapError::NoMemory => ENOMEM,
                MapError::Range => EINVAL,
            })
    }

    /// Unmaps; returns the bytes unmapped (invalidated on return).
    /// 0 if the SMMU did not confirm the invalidation (a CMD_SYNC timed
    /// out): the entries are gone from the table but may still be cached,
    /// so the caller must keep the pages (upstream's arm-smmu-v3 only logs
    /// the timeout).
    pub(crate) fn unmap(&self, iova: u64, size: u64) -> u64 {
        let mut table = self.table.lock();
        table.memory_mut().invalidation_failed = false;
        let n = table.unmap(iova, size);
        if table.memory_mut().invalidation_failed {
            0
        } else {
            n
        }
    }

    /// Output address and leaf size of `iova`.
    pub(crate) fn translate(&self, iova: u64) -> Option<(u64, u64)> {
        self.table.lock().walk(iova).map(|t| (t.pa, t.leaf_size))
    }

    /// Calls `f` with every leaf (its IOVA, output address, size and
    /// permissions), in IOVA order, with the table locked; stops at the
    /// first error `f` returns.
    pub(crate) fn for_each_leaf<E>(
        &self,
        f: &mut impl FnMut(u64, u64, u64, Prot) -> core::result::Result<(), E>,
    ) -> core::result::Result<(), E> {
        self.table
            .lock()
            .for_each_leaf(&mut |iova, t| f(iova, t.pa, t.leaf_size, t.prot))
    }

    /// The VMID, the valid descriptors the table holds and the fewest any
    /// table needs for the same translations (for debugfs and `make bench`).
    pub(crate) fn descriptor_stats(&self) -> (u16, u64, u64) {
        let table = self.table.lock();
        (
            self.vmid,
            table.descriptor_count(),
            table.min_descriptor_count(),
        )
    }

    /// Invalidates everything this domain's VMID may have cached.
    pub(crate) fn flush_all(&self) {
        // Logged on failure; nothing is freed on the strength of it.
        let _ = self.smmu.invalidate_vmid(self.vmid);
    }
}

#[pinned_drop]
impl PinnedDrop for S2Domain {
    fn drop(self: Pin<&mut Self>) {
        // No STE uses the domain any more (the core detaches every device
        // before freeing it): drop what the TLBs hold, then the tables go
        // with the `table` field and the VMID is free for reuse, unless
        // the SMMU did not confirm the invalidation: a later domain given
        // the VMID could hit this one's stale entries, so it is leaked.
        self.smmu.release_vmid(self.vmid);
    }
}
