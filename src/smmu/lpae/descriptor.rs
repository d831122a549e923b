// SPDX-License-Identifier: GPL-2.0

//! VMSAv8-64 stage-2 descriptors for the 4 KiB granule (Arm ARM D8.3,
//! SMMUv3 §5.2 STE.S2TTB): what one 64-bit table entry means.
//!
//! Levels 0..=3 translate IOVA bits 47:39, 38:30, 29:21 and 20:12. Levels
//! 1 and 2 may hold blocks (1 GiB, 2 MiB), level 3 holds pages, level 0
//! holds only tables.

/// Bits of the IOVA one entry at `level` translates (log2 of its size).
pub const fn level_shift(level: u32) -> u32 {
    12 + 9 * (3 - level)
}

/// Bytes one entry at `level` translates.
pub const fn level_size(level: u32) -> u64 {
    1 << level_shift(level)
}

/// Entries in one table page.
pub const ENTRIES: usize = 512;

/// The sizes a leaf can map with the 4 KiB granule, as a bitmap of sizes
/// (the IOMMU core's `pgsize_bitmap`): pages at level 3, blocks at 2 and 1.
pub const PAGE_SIZES: u64 = level_size(3) | level_size(2) | level_size(1);

/// The output-address field of table, block and page descriptors (bits
/// 47:12; 52-bit addresses are not used).
pub const OA_MASK: u64 = 0x0000_ffff_ffff_f000;

const VALID: u64 = 1 << 0;
/// Bit 1: table (levels 0-2) or page (level 3) rather than block.
const TABLE_OR_PAGE: u64 = 1 << 1;
/// Stage-2 MemAttr[3:0], bits 5:2, without FWB.
const MEMATTR_SHIFT: u32 = 2;
const MEMATTR_MASK: u64 = 0xf << MEMATTR_SHIFT;
/// Normal memory, outer and inner write-back cacheable.
const MEMATTR_NORMAL_WB: u64 = 0xf;
/// With S2FWB (STE.S2FWB = 1): normal write-back whatever stage 1 says
/// (upstream's ARM_LPAE_PTE_MEMATTR_FWB_WB), so a guest's stage-1
/// attributes cannot make the device bypass the caches.
const MEMATTR_FWB_WB: u64 = 0x6;
/// Normal memory, outer and inner non-cacheable.
const MEMATTR_NORMAL_NC: u64 = 0x5;
/// Device-nGnRE: doorbells and other MMIO.
const MEMATTR_DEVICE_NGNRE: u64 = 0x1;
/// S2AP[1:0], bits 7:6: bit 6 read, bit 7 write.
const S2AP_READ: u64 = 1 << 6;
const S2AP_WRITE: u64 = 1 << 7;
/// SH[1:0], bits 9:8: inner shareable.
const SH_INNER: u64 = 3 << 8;
/// Access flag: set, so the first access does not fault.
const AF: u64 = 1 << 10;
/// XN[1:0], bits 54:53: execute-never for every agent.
const XN: u64 = 2 << 53;
/// Every attribute bit this format writes into a leaf.
const LEAF_ATTRS: u64 = MEMATTR_MASK | S2AP_READ | S2AP_WRITE | SH_INNER | AF | XN;

/// Access permissions and memory type of a mapping, in the IOMMU core's
/// terms (`IOMMU_READ`, `IOMMU_WRITE`, `IOMMU_CACHE`, `IOMMU_MMIO`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Prot {
    /// The device may read.
    pub read: bool,
    /// The device may write.
    pub write: bool,
    /// Normal write-back cacheable memory (else normal non-cacheable).
    pub cache: bool,
    /// Device memory (a doorbell); overrides `cache`.
    pub mmio: bool,
}

impl Prot {
    /// The `IOMMU_*` flag bits of `include/linux/iommu.h`.
    pub const IOMMU_READ: u32 = 1 << 0;
    /// See [`Prot::IOMMU_READ`].
    pub const IOMMU_WRITE: u32 = 1 << 1;
    /// See [`Prot::IOMMU_READ`].
    pub const IOMMU_CACHE: u32 = 1 << 2;
    /// See [`Prot::IOMMU_READ`].
    pub const IOMMU_MMIO: u32 = 1 << 4;

    /// Decodes the IOMMU core's `prot` argument; unknown bits are ignored.
    pub fn from_iommu(prot: u32) -> Self {
        Self {
            read: prot & Self::IOMMU_READ != 0,
            write: prot & Self::IOMMU_WRITE != 0,
            cache: prot & Self::IOMMU_CACHE != 0,
            mmio: prot & Self::IOMMU_MMIO != 0,
        }
    }

    /// The leaf attribute bits for this protection; `fwb`: the table is
    /// used with STE.S2FWB.
    fn attrs(self, fwb: bool) -> u64 {
        let memattr = if self.mmio {
            MEMATTR_DEVICE_NGNRE
        } else if self.cache {
            if fwb {
                MEMATTR_FWB_WB
            } else {
                MEMATTR_NORMAL_WB
            }
        } else {
            MEMATTR_NORMAL_NC
        };
        let mut bits = (memattr << MEMATTR_SHIFT) | SH_INNER | AF | XN;
        if self.read {
            bits |= S2AP_READ;
        }
        if self.write {
            bits |= S2AP_WRITE;
        }
        bits
    }

    fn from_attrs(bits: u64) -> Self {
        let memattr = (bits & MEMATTR_MASK) >> MEMATTR_SHIFT;
        Self {
            read: bits & S2AP_READ != 0,
            write: bits & S2AP_WRITE != 0,
            cache: memattr == MEMATTR_NORMAL_WB || memattr == MEMATTR_FWB_WB,
            mmio: memattr == MEMATTR_DEVICE_NGNRE,
        }
    }
}

/// One decoded table entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entry {
    /// Translation fault.
    Invalid,
    /// A next-level table at this physical address.
    Table(u64),
    /// A block (levels 1-2) or page (level 3) mapping.
    Leaf {
        /// Output address of the first byte.
        pa: u64,
        /// Permissions and memory type.
        prot: Prot,
    },
}

impl Entry {
    /// Decodes `raw` found at `level`. A block at level 0 (reserved for the
    /// 4 KiB granule) reads as invalid, and so does a level-3 entry with
    /// bit 1 clear: the SMMU faults on both.
    pub fn decode(raw: u64, level: u32) -> Self {
        if raw & VALID == 0 {
            return Self::Invalid;
        }
        let table_or_page = raw & TABLE_OR_PAGE != 0;
        match (level, table_or_page) {
            (3, true) | (1..=2, false) => Self::Leaf {
                pa: raw & OA_MASK,
                prot: Prot::from_attrs(raw),
            },
            (0..=2, true) => Self::Table(raw & OA_MASK),
            _ => Self::Invalid,
        }
    }

    /// Encodes this entry for `level`. `pa` must be aligned to the entry's
    /// size (leaves) or to 4 KiB (tables); a leaf at level 0 is not encodable
    /// and the caller never asks for one.
    pub fn encode(self, level: u32) -> u64 {
        self.encode_for(level, false)
    }

    /// As [`Self::encode`], for a table used with STE.S2FWB (`fwb`): a
    /// cacheable leaf forces write-back.
    pub fn encode_for(self, level: u32, fwb: bool) -> u64 {
        match self {
            Self::Invalid => 0,
            Self::Table(pa) => (pa & OA_MASK) | TABLE_OR_PAGE | VALID,
            Self::Leaf { pa, prot } => {
                let kind = if level == 3 { TABLE_OR_PAGE } else { 0 };
                (pa & OA_MASK) | (prot.attrs(fwb) & LEAF_ATTRS) | kind | VALID
            }
        }
    }
}

/// Whether a leaf may sit at `level` with the 4 KiB granule.
pub const fn level_has_leaves(level: u32) -> bool {
    level >= 1
}
