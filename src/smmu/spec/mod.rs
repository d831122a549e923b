// SPDX-License-Identifier: GPL-2.0

//! The SMMUv3 architecture's encodings this driver uses (Arm IHI 0070):
//! register fields, commands, stream table entries, event records and the
//! identification registers, as pure functions of their inputs.
//!
//! Safe Rust with no kernel dependency: the same files are compiled into
//! the driver and into the host crate `tools/testing/smmu_spec`, whose
//! tests check every bit position against `arm-smmu-v3.h` of Linux 7.3.

#![forbid(unsafe_code)]
// The encodings are a library: their items are `pub` because the host
// crate exports them to its tests, while the driver reaches them from its
// crate-private `spec` module only.
#![allow(unreachable_pub)]

pub mod command;
pub mod event;
pub mod guest_command;
pub mod idr;
pub mod regs;
pub mod ste;

/// A contiguous bit field `[high:low]` of a register or descriptor word:
/// the kernel's `GENMASK`, `FIELD_PREP` and `FIELD_GET`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Field {
    high: u32,
    low: u32,
}

impl Field {
    /// Bits `high` down to `low` (`high >= low`, both below 64).
    pub const fn new(high: u32, low: u32) -> Self {
        Self { high, low }
    }

    /// One bit.
    pub const fn bit(n: u32) -> Self {
        Self { high: n, low: n }
    }

    /// The mask of the field's bits in the word.
    pub const fn mask(self) -> u64 {
        (u64::MAX >> (63 - self.high)) & (u64::MAX << self.low)
    }

    /// `value` placed in the field; bits beyond its width are dropped.
    pub const fn prep(self, value: u64) -> u64 {
        (value << self.low) & self.mask()
    }

    /// The field's value in `word`.
    pub const fn get(self, word: u64) -> u64 {
        (word & self.mask()) >> self.low
    }

    /// The field's value in a 32-bit register.
    pub const fn get32(self, word: u32) -> u32 {
        self.get(word as u64) as u32
    }

    /// `value` placed in the field of a 32-bit register.
    pub const fn prep32(self, value: u32) -> u32 {
        self.prep(value as u64) as u32
    }
}
