// SPDX-License-Identifier: GPL-2.0

//! The config space a user of a function's VFIO node sees: the hardware's,
//! with the registers that would let the user reprogram the host's view of
//! the function made virtual, as vfio-pci's `vfio_pci_config.c` does.
//!
//! A VMM writes every guest config write to the node first ("let the kernel
//! filter it", QEMU's `vfio_pci_write_config()`), so the guest's BAR
//! addresses, ROM sizing and MSI programming arrive here and must never
//! reach the function: its BARs are where the host placed them, and its MSI
//! capability is programmed by the host's MSI domain through
//! `SET_IRQS`. The rules, per byte of the standard header and the MSI
//! capability (everything else reads through and drops writes, stricter
//! than vfio-pci's raw access to unlisted registers):
//!
//! - COMMAND: bus master, parity and SERR go to the function; memory and
//!   I/O decode and INTx disable are virtual (decode stays on while a user
//!   holds the function, so an access never meets a disabled BAR; INTx
//!   stays off, the driver's rule).
//! - BARs and the expansion ROM: virtual, with vfio-pci's sizing (the
//!   register reads back the written address masked to the BAR's size, with
//!   the type bits); they start at address 0, not the host's. No ROM is
//!   exposed: its register reads 0.
//! - Interrupt line: virtual; interrupt pin: 0 (INTx is not offered).
//! - MSI capability: flags, address and data virtual (enable and queue size
//!   writable); the capability ID and next pointer read through.
//!
//! Safe Rust over [`ConfigHw`], the function's real config space; the same
//! file is built for the host (`tools/testing/vconfig`), whose tests run it
//! against a fake function.

#![forbid(unsafe_code)]
// Its items are `pub` for the host crate's tests; the module reaches them
// from its crate-private `vconfig` module only.
#![allow(unreachable_pub)]

/// The function's real config space.
pub trait ConfigHw {
    /// A byte of config space.
    fn read_byte(&self, off: u16) -> u8;
    /// Writes a byte of config space.
    fn write_byte(&self, off: u16, val: u8);
}

const COMMAND: usize = 0x04;
const BAR0: usize = 0x10;
const ROM: usize = 0x30;
const INTERRUPT_LINE: usize = 0x3c;
const INTERRUPT_PIN: usize = 0x3d;
/// COMMAND's virtual bits: I/O and memory decode (low byte), INTx disable
/// (bit 10, high byte).
const CMD_VIRT: [u8; 2] = [0x03, 0x04];
/// COMMAND's bits written to the function: bus master and parity (low
/// byte), SERR (high byte).
const CMD_HW: [u8; 2] = [0x44, 0x01];
/// MSI flags: enable and the queue size the user enables.
const MSI_FLAGS_WRITABLE: u8 = 0x71;
const MSI_FLAGS_64BIT: u16 = 0x80;
const MSI_FLAGS_MASKBIT: u16 = 0x100;
/// The standard header and capabilities: the part this layer virtualizes.
const HEADER_SIZE: usize = 256;

/// A function's virtual config space.
pub struct VirtConfig {
    /// The virtual bytes (only those [`Self::is_virtual`] says are used).
    shadow: [u8; HEADER_SIZE],
    /// Each BAR's length (a 64-bit BAR's upper half has its pair's).
    bar_len: [u64; 6],
    /// Each BAR's type bits (0 for an upper half or an absent BAR).
    bar_flags: [u32; 6],
    /// Whether a BAR register is the upper half of a 64-bit BAR.
    bar_upper: [bool; 6],
    /// The MSI capability's offset and end, or 0..0.
    msi: core::ops::Range<usize>,
}

impl VirtConfig {
    /// The virtual config space of a function whose BARs have `bar_len`
    /// bytes (0: not implemented) and whose MSI capability is at `msi_cap`
    /// (0: none), read from `hw` as the user finds it first: BARs at 0,
    /// decode off, MSI off and unprogrammed.
    pub fn new(hw: &impl ConfigHw, bar_len: [u64; 6], msi_cap: u8) -> Self {
        let mut shadow = [0u8; HEADER_SIZE];
        for (i, b) in shadow.iter_mut().enumerate() {
            *b = hw.read_byte(i as u16);
        }
        let dword = |s: &[u8; HEADER_SIZE], at: usize| {
            u32::from_le_bytes([s[at], s[at + 1], s[at + 2], s[at + 3]])
        };
        let mut this = Self {
            shadow,
            bar_len,
            bar_flags: [0; 6],
            bar_upper: [false; 6],
            msi: 0..0,
        };
        for (i, &len) in bar_len.iter().enumerate() {
            if this.bar_upper[i] || len == 0 {
                continue;
            }
            let raw = dword(&this.shadow, BAR0 + 4 * i);
            if raw & 1 != 0 {
                this.bar_flags[i] = raw & 0x3;
            } else {
                this.bar_flags[i] = raw & 0xf;
                if raw & 0x6 == 0x4 && i < 5 {
                    this.bar_upper[i + 1] = true;
                    this.bar_len[i + 1] = len;
                }
            }
        }
        for i in 0..6 {
            let v = if this.bar_upper[i] {
                0
            } else {
                this.bar_flags[i]
            };
            this.shadow[BAR0 + 4 * i..BAR0 + 4 * i + 4].copy_from_slice(&v.to_le_bytes());
        }
        this.shadow[ROM..ROM + 4].fill(0);
        this.shadow[COMMAND] &= !CMD_VIRT[0];
        this.shadow[COMMAND + 1] &= !CMD_VIRT[1];
        this.shadow[INTERRUPT_LINE] = 0;
        this.shadow[INTERRUPT_PIN] = 0;
        let m = usize::from(msi_cap);
        if m != 0 && m + 4 <= HEADER_SIZE {
            let flags = u16::from_le_bytes([this.shadow[m + 2], this.shadow[m + 3]]);
            let mut len = if flags & MSI_FLAGS_64BIT != 0 { 14 } else { 10 };
            if flags & MSI_FLAGS_MASKBIT != 0 {
                len += 10;
            }
            let end = (m + len).min(HEADER_SIZE);
            this.shadow[m + 2] &= !MSI_FLAGS_WRITABLE;
            this.shadow[m + 4..end].fill(0);
            this.msi = m..end;
        }
        this
    }

    /// Whether byte `off` is wholly virtual.
    fn is_virtual(&self, off: usize) -> bool {
        (BAR0..BAR0 + 24).contains(&off)
            || (ROM..ROM + 4).contains(&off)
            || off == INTERRUPT_LINE
            || off == INTERRUPT_PIN
            || (off >= self.msi.start + 2 && off < self.msi.end)
    }

    /// Reads `out.len()` bytes at `off` (the caller checked the range
    /// against the config space's size).
    pub fn read(&self, hw: &impl ConfigHw, off: usize, out: &mut [u8]) {
        for (i, b) in out.iter_mut().enumerate() {
            let at = off + i;
            *b = if at >= HEADER_SIZE {
                hw.read_byte(at as u16)
            } else if at == COMMAND || at == COMMAND + 1 {
                let m = CMD_VIRT[at - COMMAND];
                (hw.read_byte(at as u16) & !m) | (self.shadow[at] & m)
            } else if self.is_virtual(at) {
                self.shadow[at]
            } else {
                hw.read_byte(at as u16)
            };
        }
    }

    /// Writes `data` at `off` under the rules above (the caller checked
    /// the range against the config space's size).
    pub fn write(&mut self, hw: &impl ConfigHw, off: usize, data: &[u8]) {
        let mut bars = [false; 6];
        for (i, &v) in data.iter().enumerate() {
            let at = off + i;
            if at >= HEADER_SIZE {
                continue;
            }
            if at == COMMAND || at == COMMAND + 1 {
                let k = at - COMMAND;
                self.shadow[at] = (self.shadow[at] & !CMD_VIRT[k]) | (v & CMD_VIRT[k]);
                let cur = hw.read_byte(at as u16);
                let new = (cur & !CMD_HW[k]) | (v & CMD_HW[k]);
                if new != cur {
                    hw.write_byte(at as u16, new);
                }
            } else if (BAR0..BAR0 + 24).contains(&at) {
                self.shadow[at] = v;
                bars[(at - BAR0) / 4] = true;
            } else if at == INTERRUPT_LINE || at >= self.msi.start + 4 && at < self.msi.end {
                self.shadow[at] = v;
            } else if self.msi.start != 0 && at == self.msi.start + 2 {
                self.shadow[at] =
                    (self.shadow[at] & !MSI_FLAGS_WRITABLE) | (v & MSI_FLAGS_WRITABLE);
            }
            // Everything else, the ROM register included, is read-only.
        }
        for (i, _) in bars.iter().enumerate().filter(|(_, b)| **b) {
            self.fix_bar(i);
        }
    }

    /// A written BAR register reads back as the BAR's size allows:
    /// `vfio_bar_fixup()`.
    fn fix_bar(&mut self, i: usize) {
        let at = BAR0 + 4 * i;
        let s = &self.shadow;
        let v = u32::from_le_bytes([s[at], s[at + 1], s[at + 2], s[at + 3]]);
        let len = self.bar_len[i];
        let size_mask = !len.wrapping_sub(1);
        let fixed = if len == 0 {
            0
        } else if self.bar_upper[i] {
            v & (size_mask >> 32) as u32
        } else if self.bar_flags[i] & 1 != 0 {
            (v & size_mask as u32 & !0x3) | self.bar_flags[i]
        } else {
            (v & size_mask as u32 & !0xf) | self.bar_flags[i]
        };
        self.shadow[at..at + 4].copy_from_slice(&fixed.to_le_bytes());
    }
}
