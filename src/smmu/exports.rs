// SPDX-License-Identifier: GPL-2.0

//! The Rust functions `glue.c` calls (declared in `glue.h`): conversions
//! between the raw pointers the C side stores and the driver's objects.
//!
//! Ownership across the boundary: the SMMU is an `Arc<Smmu>` whose one
//! reference the C side holds from `smmu_rs_rs_init()` to
//! `smmu_rs_rs_fini()`; each stage-2 domain is listed (for debugfs) by its
//! `S2Domain`, which the domain keeps alive while it is listed.

use crate::cmdq::CommandCounts;
use crate::ffi::{
    Hw,
    RawHw, //
};
use crate::s2_domain::S2Domain;
use crate::smmu::Smmu;
use core::ptr::null_mut;
use kernel::ffi::{
    c_int,
    c_void, //
};
use kernel::sync::{
    Arc,
    ArcBorrow, //
};

/// # Safety
///
/// `p` came from `smmu_rs_rs_init()` and `smmu_rs_rs_fini()` has not run.
unsafe fn smmu<'a>(p: *mut c_void) -> ArcBorrow<'a, Smmu> {
    // SAFETY: guaranteed by the caller: `p` is a live `Arc<Smmu>` raw pointer.
    unsafe { ArcBorrow::from_raw(p.cast::<Smmu>()) }
}

/// # Safety
///
/// `p` came from `smmu_rs_rs_domain_alloc()` and is not freed.
unsafe fn domain<'a>(p: *mut c_void) -> ArcBorrow<'a, S2Domain> {
    // SAFETY: guaranteed by the caller.
    unsafe { ArcBorrow::from_raw(p.cast::<S2Domain>()) }
}

/// Probes and enables the SMMU; NULL with `*err` set on failure.
///
/// # Safety
///
/// `hw` is the `struct smmu_rs_hw` of a probing device, valid until
/// `smmu_rs_rs_fini()`; `err` is writable.
#[no_mangle]
pub(crate) unsafe extern "C" fn smmu_rs_rs_init(hw: *mut RawHw, err: *mut c_int) -> *mut c_void {
    // SAFETY: guaranteed by the caller.
    let hw = unsafe { Hw::new(hw) };
    // SAFETY: `glue.c` maps the registers with devm for the bound device and
    // calls `smmu_rs_rs_fini()` (which disables the SMMU and drops its
    // registers) on every path after a successful init, before remove or a
    // failed probe returns and devm unmaps them.
    match unsafe { Smmu::new(hw) } {
        Ok(s) => Arc::into_raw(s).cast_mut().cast(),
        Err(e) => {
            // SAFETY: `err` is writable (caller).
            unsafe { *err = e.to_errno() };
            null_mut()
        }
    }
}

/// Disables the SMMU and drops the C side's reference.
///
/// # Safety
///
/// `p` came from `smmu_rs_rs_init()`; called once, after the interrupts
/// are freed and the poll work is cancelled.
#[no_mangle]
pub(crate) unsafe extern "C" fn smmu_rs_rs_fini(p: *mut c_void) {
    // SAFETY: guaranteed by the caller: this takes back the reference
    // `smmu_rs_rs_init()` gave out.
    let s = unsafe { Arc::from_raw(p.cast::<Smmu>()) };
    s.disable();
}

/// Logs new events.
///
/// # Safety
///
/// `p` is NULL or as for `smmu()`.
#[no_mangle]
pub(crate) unsafe extern "C" fn smmu_rs_rs_service_events(p: *mut c_void) {
    if !p.is_null() {
        // SAFETY: guaranteed by the caller.
        unsafe { smmu(p) }.service_events();
    }
}

/// Logs and acknowledges global errors.
///
/// # Safety
///
/// `p` is NULL or as for `smmu()`.
#[no_mangle]
pub(crate) unsafe extern "C" fn smmu_rs_rs_service_gerror(p: *mut c_void) {
    if !p.is_null() {
        // SAFETY: guaranteed by the caller.
        unsafe { smmu(p) }.service_gerror();
    }
}

/// Fills `out` with the commands the SMMU has consumed so far, by kind.
///
/// # Safety
///
/// `p` as for `smmu()`; `out` is writable.
#[no_mangle]
pub(crate) unsafe extern "C" fn smmu_rs_rs_command_counts(p: *mut c_void, out: *mut CommandCounts) {
    // SAFETY: guaranteed by the caller.
    let counts = unsafe { smmu(p) }.command_counts();
    // SAFETY: writable (caller).
    unsafe { out.write(counts) };
}

/// `struct smmu_rs_domain_stats` of `glue.h`.
#[repr(C)]
pub(crate) struct DomainStats {
    vmid: u32,
    ias: u32,
    descriptors: u64,
    minimum: u64,
}

// The layout of `struct smmu_rs_domain_stats`; `glue.c` asserts the same.
const _: () = {
    assert!(core::mem::size_of::<DomainStats>() == 24);
    assert!(core::mem::offset_of!(DomainStats, vmid) == 0);
    assert!(core::mem::offset_of!(DomainStats, ias) == 4);
    assert!(core::mem::offset_of!(DomainStats, descriptors) == 8);
    assert!(core::mem::offset_of!(DomainStats, minimum) == 16);
};

/// Fills `stats` with the domain's VMID, input size, valid descriptors and
/// the fewest descriptors its translations need.
///
/// # Safety
///
/// `d` as for `domain()`; `stats` is writable.
#[no_mangle]
pub(crate) unsafe extern "C" fn smmu_rs_rs_domain_stats(d: *mut c_void, stats: *mut DomainStats) {
    // SAFETY: guaranteed by the caller.
    let d = unsafe { domain(d) };
    let (vmid, descriptors, minimum) = d.descriptor_stats();
    // SAFETY: writable (caller).
    unsafe {
        *stats = DomainStats {
            vmid: vmid.into(),
            ias: d.ias(),
            descriptors,
            minimum,
        }
    };
}
