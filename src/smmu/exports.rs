// SPDX-License-Identifier: GPL-2.0

//! The Rust functions `glue.c` calls (declared in `glue.h`): conversions
//! between the raw pointers the C side stores and the driver's objects.
//!
//! Ownership across the boundary: the SMMU is an `Arc<Smmu>` whose one
//! reference the C side holds from `smmu_rs_rs_init()` to
//! `smmu_rs_rs_fini()`; each domain an `Arc<S2Domain>` held from
//! `smmu_rs_rs_domain_alloc()` to `smmu_rs_rs_domain_free()`; each master a
//! `KBox<Master>` held from probe to release.

use crate::cmdq::CommandCounts;
use crate::ffi::{
    Hw,
    RawHw, //
};
use crate::master::Master;
use crate::s2_domain::S2Domain;
use crate::smmu::{
    Identification,
    Smmu, //
};
use core::ptr::null_mut;
use kernel::bindings;
use kernel::ffi::{
    c_int,
    c_uint,
    c_void, //
};
use kernel::prelude::*;
use kernel::sync::{
    Arc,
    ArcBorrow, //
};

fn errno(r: Result) -> c_int {
    match r {
        Ok(()) => 0,
        Err(e) => e.to_errno(),
    }
}

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

/// # Safety
///
/// `p` came from `smmu_rs_rs_master_probe()` and is not released.
unsafe fn master<'a>(p: *mut c_void) -> &'a Master {
    // SAFETY: guaranteed by the caller: a live `KBox<Master>` raw pointer.
    unsafe { &*p.cast::<Master>() }
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

/// A master for a device with `nsids` stream ids; NULL with `*err` set.
///
/// # Safety
///
/// `p` as for `smmu()`; `sids` points at `nsids` readable u32; `err` is
/// writable.
#[no_mangle]
pub(crate) unsafe extern "C" fn smmu_rs_rs_master_probe(
    p: *mut c_void,
    _dev: *mut c_void,
    sids: *const u32,
    nsids: c_uint,
    err: *mut c_int,
) -> *mut c_void {
    // SAFETY: guaranteed by the caller.
    let smmu: Arc<Smmu> = unsafe { smmu(p) }.into();
    // SAFETY: `sids` points at `nsids` u32 that live for the call (caller).
    let sids = unsafe { core::slice::from_raw_parts(sids, nsids as usize) };
    match Master::probe(&smmu, sids) {
        Ok(m) => KBox::into_raw(m).cast(),
        Err(e) => {
            // SAFETY: `err` is writable (caller).
            unsafe { *err = e.to_errno() };
            null_mut()
        }
    }
}

/// Releases a master (its STEs become abort).
///
/// # Safety
///
/// `m` came from `smmu_rs_rs_master_probe()`; called once.
#[no_mangle]
pub(crate) unsafe extern "C" fn smmu_rs_rs_master_release(m: *mut c_void) {
    if !m.is_null() {
        // SAFETY: guaranteed by the caller: takes back the box.
        drop(unsafe { KBox::from_raw(m.cast::<Master>()) });
    }
}

/// Attaches the identity domain.
///
/// # Safety
///
/// `m` as for `master()`.
#[no_mangle]
pub(crate) unsafe extern "C" fn smmu_rs_rs_attach_bypass(m: *mut c_void) -> c_int {
    // SAFETY: guaranteed by the caller.
    errno(unsafe { master(m) }.attach_bypass())
}

/// Attaches the blocked domain.
///
/// # Safety
///
/// `m` as for `master()`.
#[no_mangle]
pub(crate) unsafe extern "C" fn smmu_rs_rs_attach_abort(m: *mut c_void) -> c_int {
    // SAFETY: guaranteed by the caller.
    errno(unsafe { master(m) }.attach_abort())
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

/// Fills `out` with the SMMU's identification registers as probed, for
/// IOMMU_GET_HW_INFO.
///
/// # Safety
///
/// `p` as for `smmu()`; `out` is writable.
#[no_mangle]
pub(crate) unsafe extern "C" fn smmu_rs_rs_identification(
    p: *mut c_void,
    out: *mut Identification,
) {
    // SAFETY: guaranteed by the caller.
    let id = unsafe { smmu(p) }.id;
    // SAFETY: writable (caller).
    unsafe { out.write(id) };
}

/// The SW_MSI reserved region of every device: `*base`, `*size`.
///
/// # Safety
///
/// `base` and `size` are writable.
#[no_mangle]
pub(crate) unsafe extern "C" fn smmu_rs_rs_sw_msi_region(base: *mut u64, size: *mut u64) {
    let (b, s) = crate::smmu::SW_MSI_REGION;
    // SAFETY: writable (caller).
    unsafe {
        base.write(b);
        size.write(s);
    }
}

/// A new stage-2 domain of SMMU `p` for the core (`hw` is its `glue.c`
/// side); NULL with `*err` set.
///
/// # Safety
///
/// `p` as for `smmu()`; `hw` is the SMMU's; `err` is writable.
#[no_mangle]
pub(crate) unsafe extern "C" fn smmu_rs_rs_domain_alloc(
    p: *mut c_void,
    hw: *mut c_void,
    flags: u32,
    err: *mut c_int,
) -> *mut bindings::iommu_domain {
    // SAFETY: guaranteed by the caller.
    let smmu: Arc<Smmu> = unsafe { smmu(p) }.into();
    let nest_parent = flags & bindings::iommufd_hwpt_alloc_flags_IOMMU_HWPT_ALLOC_NEST_PARENT != 0;
    match crate::iommu::new_s2(&smmu, hw, nest_parent) {
        Ok(d) => d.as_ptr(),
        Err(e) => {
            // SAFETY: writable (caller).
            unsafe { *err = e.to_errno() };
            null_mut()
        }
    }
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
