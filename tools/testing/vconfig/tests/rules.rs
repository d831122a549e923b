// SPDX-License-Identifier: GPL-2.0

//! The virtual config space against a fake function: what the user sees,
//! and that nothing the user writes reaches the function but COMMAND's bus
//! master, parity and SERR bits.

use proptest::prelude::*;
use std::cell::RefCell;
use vconfig::vconfig::{
    ConfigHw,
    VirtConfig, //
};

/// A function's config space in memory, counting writes.
struct Fake {
    cfg: RefCell<[u8; 256]>,
}

impl ConfigHw for Fake {
    fn read_byte(&self, off: u16) -> u8 {
        self.cfg.borrow()[usize::from(off)]
    }

    fn write_byte(&self, off: u16, val: u8) {
        self.cfg.borrow_mut()[usize::from(off)] = val;
    }
}

const MSI: usize = 0x40;

/// An edu-like function: BAR0 32-bit memory (1 MiB) at 0x10000000, BAR1 an
/// I/O BAR (256 bytes) at 0x1000, BAR2/3 a 64-bit prefetchable BAR (16 KiB)
/// at 0x80_0000_0000, no ROM, INTx pin A, line 0x2b, a 64-bit MSI
/// capability at 0x40 (flags 0x0080) programmed by the host.
fn edu() -> Fake {
    let mut c = [0u8; 256];
    c[0..4].copy_from_slice(&0x11e8_1234u32.to_le_bytes());
    c[4..6].copy_from_slice(&0x0406u16.to_le_bytes());
    c[6] = 0x10;
    c[0x10..0x14].copy_from_slice(&0x1000_0000u32.to_le_bytes());
    c[0x14..0x18].copy_from_slice(&0x1001u32.to_le_bytes());
    c[0x18..0x1c].copy_from_slice(&0x0000_000cu32.to_le_bytes());
    c[0x1c..0x20].copy_from_slice(&0x80u32.to_le_bytes());
    c[0x34] = MSI as u8;
    c[0x3c] = 0x2b;
    c[0x3d] = 1;
    c[MSI] = 0x05;
    c[MSI + 2..MSI + 4].copy_from_slice(&0x0081u16.to_le_bytes());
    c[MSI + 4..MSI + 8].copy_from_slice(&0x0800_0040u32.to_le_bytes());
    c[MSI + 12..MSI + 14].copy_from_slice(&0x0021u16.to_le_bytes());
    Fake {
        cfg: RefCell::new(c),
    }
}

const LENS: [u64; 6] = [1 << 20, 256, 16 << 10, 0, 0, 0];

fn read32(v: &VirtConfig, hw: &Fake, off: usize) -> u32 {
    let mut b = [0u8; 4];
    v.read(hw, off, &mut b);
    u32::from_le_bytes(b)
}

fn write32(v: &mut VirtConfig, hw: &Fake, off: usize, val: u32) {
    v.write(hw, off, &val.to_le_bytes());
}

#[test]
fn the_user_first_sees_no_host_programming() {
    let hw = edu();
    let v = VirtConfig::new(&hw, LENS, MSI as u8);
    assert_eq!(read32(&v, &hw, 0), 0x11e8_1234);
    // BARs at 0 with their type bits; the 64-bit BAR's upper half 0.
    assert_eq!(read32(&v, &hw, 0x10), 0);
    assert_eq!(read32(&v, &hw, 0x14), 0x1);
    assert_eq!(read32(&v, &hw, 0x18), 0xc);
    assert_eq!(read32(&v, &hw, 0x1c), 0);
    assert_eq!(read32(&v, &hw, 0x30), 0);
    // Decode off, INTx-disable as the user set it (not yet), no pin.
    assert_eq!(read32(&v, &hw, 4) & 0x407, 0x4);
    assert_eq!(read32(&v, &hw, 0x3c) & 0xffff, 0);
    // MSI: the capability's kind, not the host's address, data or enable.
    assert_eq!(read32(&v, &hw, MSI), 0x0080_0005);
    assert_eq!(read32(&v, &hw, MSI + 4), 0);
    assert_eq!(read32(&v, &hw, MSI + 12) & 0xffff, 0);
}

#[test]
fn bars_size_as_vfio_bar_fixup() {
    let hw = edu();
    let mut v = VirtConfig::new(&hw, LENS, MSI as u8);
    for off in (0x10..0x28).step_by(4) {
        write32(&mut v, &hw, off, 0xffff_ffff);
    }
    assert_eq!(read32(&v, &hw, 0x10), 0xfff0_0000);
    assert_eq!(read32(&v, &hw, 0x14), 0xffff_ff01);
    assert_eq!(read32(&v, &hw, 0x18), 0xffff_c00c);
    assert_eq!(read32(&v, &hw, 0x1c), 0xffff_ffff);
    assert_eq!(read32(&v, &hw, 0x20), 0);
    write32(&mut v, &hw, 0x10, 0x4000_1234);
    assert_eq!(read32(&v, &hw, 0x10), 0x4000_0000);
    write32(&mut v, &hw, 0x30, 0xffff_f800);
    assert_eq!(read32(&v, &hw, 0x30), 0);
}

#[test]
fn msi_is_virtual_and_enable_only_virtual() {
    let hw = edu();
    let mut v = VirtConfig::new(&hw, LENS, MSI as u8);
    let before = *hw.cfg.borrow();
    write32(&mut v, &hw, MSI, 0x00f1_ffff);
    write32(&mut v, &hw, MSI + 4, 0xfee0_0000);
    write32(&mut v, &hw, MSI + 8, 0x1);
    write32(&mut v, &hw, MSI + 12, 0x4321);
    // Enable and queue size are writable, the 64-bit flag and the id not.
    assert_eq!(read32(&v, &hw, MSI), 0x00f1_0005);
    assert_eq!(read32(&v, &hw, MSI + 4), 0xfee0_0000);
    assert_eq!(read32(&v, &hw, MSI + 8), 1);
    assert_eq!(read32(&v, &hw, MSI + 12), 0x4321);
    assert_eq!(*hw.cfg.borrow(), before);
}

#[test]
fn command_passes_bus_master_and_keeps_decode_on() {
    let hw = edu();
    let mut v = VirtConfig::new(&hw, LENS, MSI as u8);
    v.write(&hw, 4, &0u16.to_le_bytes());
    assert_eq!(hw.read_byte(4), 0x02, "memory decode kept, bus master off");
    assert_eq!(hw.read_byte(5), 0x04, "INTx stays disabled");
    assert_eq!(read32(&v, &hw, 4) & 0x7, 0);
    v.write(&hw, 4, &0x0147u16.to_le_bytes());
    assert_eq!(hw.read_byte(4), 0x46);
    assert_eq!(hw.read_byte(5), 0x05);
    assert_eq!(read32(&v, &hw, 4) & 0x7, 0x7);
    // INTx disable as the user wrote it, in the virtual register only.
    assert_eq!(read32(&v, &hw, 4) & 0x400, 0);
}

/// The bits of COMMAND the user may change in the function.
fn may_change(off: usize) -> u8 {
    match off {
        4 => 0x44,
        5 => 0x01,
        _ => 0,
    }
}

proptest! {
    /// Any sequence of writes anywhere leaves the function as it was but
    /// for COMMAND's bus master, parity and SERR bits; and every byte that
    /// is not virtual reads as the function's.
    #[test]
    fn writes_reach_the_function_only_through_command(
        writes in proptest::collection::vec((0usize..256, proptest::collection::vec(any::<u8>(), 1..8)), 1..40)
    ) {
        let hw = edu();
        let before = *hw.cfg.borrow();
        let mut v = VirtConfig::new(&hw, LENS, MSI as u8);
        for (off, data) in &writes {
            let n = data.len().min(256 - off);
            v.write(&hw, *off, &data[..n]);
        }
        let after = *hw.cfg.borrow();
        for i in 0..256 {
            prop_assert_eq!(before[i] & !may_change(i), after[i] & !may_change(i), "byte {:#x}", i);
        }
        let mut seen = [0u8; 256];
        v.read(&hw, 0, &mut seen);
        let virt = |i: usize| (0x10..0x28).contains(&i) || (0x30..0x34).contains(&i)
            || i == 0x3c || i == 0x3d || (MSI + 2..MSI + 14).contains(&i) || i == 4 || i == 5;
        for i in (0..256).filter(|&i| !virt(i)) {
            prop_assert_eq!(seen[i], after[i], "byte {:#x}", i);
        }
    }
}
