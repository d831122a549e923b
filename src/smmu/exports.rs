// SPDX-License-Identifier: GPL-2.0

//! The Rust functions `glue.c` calls (declared in `glue.h`): conversions
//! between the raw pointers the C side stores and the driver's objects.
//!
//! Ownership across the boundary: the SMMU is an `Arc<Smmu>` whose one
//! reference the C side holds from `smmu_rs_rs_init()` to
//! `smmu_rs_rs_fini()`, while [`SMMUS`] holds another.

use crate::ffi::{
    Hw,
    RawHw,
    SMMUS, //
};
use crate::smmu::Smmu;
use core::ptr::null_mut;
use kernel::ffi::{
    c_int,
    c_void, //
};
use kernel::prelude::*;
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
    let r = unsafe { Smmu::new(hw) }.and_then(|s| {
        // Found by `probe_device` and debugfs from now on.
        if let Err(e) = SMMUS.lock().push(s.clone(), GFP_KERNEL) {
            s.disable();
            return Err(e.into());
        }
        Ok(s)
    });
    match r {
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
    SMMUS.lock().retain(|e| !Arc::ptr_eq(e, &s));
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
