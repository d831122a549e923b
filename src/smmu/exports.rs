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
use crate::lpae::{
    Prot,
    PAGE_SIZES, //
};
use crate::master::Master;
use crate::nested::{
    MsiWindow,
    NestedDomain,
    Viommu, //
};
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

/// A new stage-2 domain (its geometry is
/// [`smmu_rs_rs_stage2_geometry`]'s); NULL with `*err` set.
///
/// # Safety
///
/// `p` as for `smmu()`; `err` is writable.
#[no_mangle]
pub(crate) unsafe extern "C" fn smmu_rs_rs_domain_alloc(
    p: *mut c_void,
    flags: u32,
    err: *mut c_int,
) -> *mut c_void {
    // SAFETY: guaranteed by the caller.
    let smmu: Arc<Smmu> = unsafe { smmu(p) }.into();
    let nest_parent = flags & bindings::iommufd_hwpt_alloc_flags_IOMMU_HWPT_ALLOC_NEST_PARENT != 0;
    match S2Domain::new(&smmu, nest_parent) {
        Ok(d) => Arc::into_raw(d).cast_mut().cast(),
        Err(e) => {
            // SAFETY: writable (caller).
            unsafe { *err = e.to_errno() };
            null_mut()
        }
    }
}

/// `struct iommufd_rs_geometry` of `iommufd_rs_driver.h`.
#[repr(C)]
pub(crate) struct Geometry {
    aperture_start: u64,
    aperture_end: u64,
    pgsize_bitmap: u64,
}

// The layout of `struct iommufd_rs_geometry`; `domain.c` asserts the same.
const _: () = {
    assert!(core::mem::size_of::<Geometry>() == 24);
    assert!(core::mem::offset_of!(Geometry, aperture_start) == 0);
    assert!(core::mem::offset_of!(Geometry, aperture_end) == 8);
    assert!(core::mem::offset_of!(Geometry, pgsize_bitmap) == 16);
};

/// The geometry of the SMMU's stage-2 domains: every IPA below its input
/// size, in the sizes the table format maps.
///
/// # Safety
///
/// `p` as for `smmu()`; `out` is writable.
#[no_mangle]
pub(crate) unsafe extern "C" fn smmu_rs_rs_stage2_geometry(p: *mut c_void, out: *mut Geometry) {
    // SAFETY: guaranteed by the caller.
    let ias = unsafe { smmu(p) }.features.ias;
    let geo = Geometry {
        aperture_start: 0,
        aperture_end: (1u64 << ias) - 1,
        pgsize_bitmap: PAGE_SIZES,
    };
    // SAFETY: writable (caller).
    unsafe { out.write(geo) };
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

/// Frees a domain no device is attached to.
///
/// # Safety
///
/// `d` came from `smmu_rs_rs_domain_alloc()`; called once.
#[no_mangle]
pub(crate) unsafe extern "C" fn smmu_rs_rs_domain_free(d: *mut c_void) {
    // SAFETY: guaranteed by the caller: takes back the reference.
    drop(unsafe { Arc::from_raw(d.cast::<S2Domain>()) });
}

/// Attaches a stage-2 domain.
///
/// # Safety
///
/// `d` as for `domain()`, `m` as for `master()`.
#[no_mangle]
pub(crate) unsafe extern "C" fn smmu_rs_rs_attach_s2(d: *mut c_void, m: *mut c_void) -> c_int {
    // SAFETY: guaranteed by the caller.
    let (d, m) = unsafe { (domain(d), master(m)) };
    errno(m.attach_s2(&d))
}

/// Maps a range; 0 or -EEXIST, -ENOMEM, -EINVAL with nothing mapped.
///
/// # Safety
///
/// `d` as for `domain()`.
#[no_mangle]
pub(crate) unsafe extern "C" fn smmu_rs_rs_map(
    d: *mut c_void,
    iova: u64,
    pa: u64,
    size: u64,
    prot: c_int,
) -> c_int {
    // SAFETY: guaranteed by the caller.
    let d = unsafe { domain(d) };
    // The IOMMU_* bits are all positive.
    errno(d.map(iova, pa, size, prot as u32))
}

/// Unmaps a range; returns the bytes unmapped.
///
/// # Safety
///
/// `d` as for `domain()`.
#[no_mangle]
pub(crate) unsafe extern "C" fn smmu_rs_rs_unmap(d: *mut c_void, iova: u64, size: u64) -> u64 {
    // SAFETY: guaranteed by the caller.
    unsafe { domain(d) }.unmap(iova, size)
}

/// Output address of `iova` and its leaf size (both 0 if unmapped).
///
/// # Safety
///
/// `d` as for `domain()`; `leaf` is writable.
#[no_mangle]
pub(crate) unsafe extern "C" fn smmu_rs_rs_translate(
    d: *mut c_void,
    iova: u64,
    leaf: *mut u64,
) -> u64 {
    // SAFETY: guaranteed by the caller.
    let (pa, size) = unsafe { domain(d) }.translate(iova).unwrap_or((0, 0));
    // SAFETY: writable (caller).
    unsafe { *leaf = size };
    pa
}

/// The visitor `smmu_rs_rs_for_each_leaf` calls: the leaf's IOVA, output
/// address, size and IOMMU_* prot; non-zero stops the walk.
type LeafFn =
    unsafe extern "C" fn(arg: *mut c_void, iova: u64, pa: u64, size: u64, prot: u32) -> c_int;

/// Calls `f` with every leaf of the domain, in IOVA order, under the
/// table lock; returns the first non-zero answer of `f`, or 0.
///
/// # Safety
///
/// `d` as for `domain()`; `f` may be called with `arg` and must not map or
/// unmap in this domain.
#[no_mangle]
pub(crate) unsafe extern "C" fn smmu_rs_rs_for_each_leaf(
    d: *mut c_void,
    f: LeafFn,
    arg: *mut c_void,
) -> c_int {
    // SAFETY: guaranteed by the caller.
    let dom = unsafe { domain(d) };
    let visit = &mut |iova: u64, pa: u64, size: u64, prot: Prot| {
        let bits = [
            (prot.read, Prot::IOMMU_READ),
            (prot.write, Prot::IOMMU_WRITE),
            (prot.cache, Prot::IOMMU_CACHE),
            (prot.mmio, Prot::IOMMU_MMIO),
        ]
        .iter()
        .filter(|(on, _)| *on)
        .fold(0, |acc, (_, bit)| acc | bit);
        // SAFETY: the caller's visitor, with the caller's argument.
        match unsafe { f(arg, iova, pa, size, bits) } {
            0 => Ok(()),
            e => Err(e),
        }
    };
    match dom.for_each_leaf(visit) {
        Ok(()) => 0,
        Err(e) => e,
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

/// Invalidates everything the domain's VMID may have cached.
///
/// # Safety
///
/// `d` as for `domain()`.
#[no_mangle]
pub(crate) unsafe extern "C" fn smmu_rs_rs_flush_all(d: *mut c_void) {
    // SAFETY: guaranteed by the caller.
    unsafe { domain(d) }.flush_all();
}

/// # Safety
///
/// `p` came from `smmu_rs_rs_viommu_alloc()` and is not freed.
unsafe fn viommu<'a>(p: *mut c_void) -> ArcBorrow<'a, Viommu> {
    // SAFETY: guaranteed by the caller: a live `Arc<Viommu>` raw pointer.
    unsafe { ArcBorrow::from_raw(p.cast::<Viommu>()) }
}

/// # Safety
///
/// `p` came from `smmu_rs_rs_nested_alloc()` and is not freed.
unsafe fn nested<'a>(p: *mut c_void) -> &'a NestedDomain {
    // SAFETY: guaranteed by the caller: a live `KBox<NestedDomain>`.
    unsafe { &*p.cast::<NestedDomain>() }
}

/// Writes `e` to `err` and returns NULL.
///
/// # Safety
///
/// `err` is writable.
unsafe fn fail(err: *mut c_int, e: Error) -> *mut c_void {
    // SAFETY: guaranteed by the caller.
    unsafe { *err = e.to_errno() };
    null_mut()
}

/// Whether SMMU `p` can have vIOMMUs: 0, or `-EOPNOTSUPP` (logged with
/// what it lacks, see [`crate::nested::nesting_refusal`]). `coherent`: the
/// administrator asserted a fully coherent platform.
///
/// # Safety
///
/// `p` as for `smmu()`.
#[no_mangle]
pub(crate) unsafe extern "C" fn smmu_rs_rs_nesting_supported(
    p: *mut c_void,
    coherent: bool,
) -> c_int {
    // SAFETY: guaranteed by the caller.
    let smmu = unsafe { smmu(p) };
    match crate::nested::nesting_refusal(&smmu, coherent) {
        None => 0,
        Some(missing) => {
            smmu.hw.log_refusal(c"no vIOMMU: nesting needs", missing);
            EOPNOTSUPP.to_errno()
        }
    }
}

/// A vIOMMU over the nest-parent domain `d`, for the device of master
/// `m`; NULL with `*err` set (`-EINVAL` for a domain that is no nest
/// parent of the device's SMMU, `-EOPNOTSUPP` for an SMMU that cannot
/// nest safely, see [`crate::nested::nesting_refusal`]). `coherent`: the
/// administrator asserted a fully coherent platform.
///
/// # Safety
///
/// `d` as for `domain()`, `m` as for `master()`; `err` is writable.
#[no_mangle]
pub(crate) unsafe extern "C" fn smmu_rs_rs_viommu_alloc(
    d: *mut c_void,
    m: *mut c_void,
    coherent: bool,
    err: *mut c_int,
) -> *mut c_void {
    // SAFETY: guaranteed by the caller.
    let parent: Arc<S2Domain> = unsafe { domain(d) }.into();
    // SAFETY: guaranteed by the caller.
    match Viommu::new(&parent, unsafe { master(m) }, coherent) {
        Ok(v) => Arc::into_raw(v).cast_mut().cast(),
        // SAFETY: `err` is writable (caller).
        Err(e) => unsafe { fail(err, e) },
    }
}

/// Drops the C side's reference to a vIOMMU (nested domains hold their
/// own).
///
/// # Safety
///
/// `v` came from `smmu_rs_rs_viommu_alloc()`; called once.
#[no_mangle]
pub(crate) unsafe extern "C" fn smmu_rs_rs_viommu_free(v: *mut c_void) {
    // SAFETY: guaranteed by the caller: takes back the reference.
    let v = unsafe { Arc::from_raw(v.cast::<Viommu>()) };
    v.smmu.remove_viommu(&v);
}

/// Sets where vIOMMU `v` reports guest events (`q`, a vEVENTQ of the
/// front end), or nowhere (NULL); 0 or `-EEXIST`.
///
/// # Safety
///
/// `v` as for `viommu()`; `q` is NULL or a vEVENTQ that stays live until
/// this is called again with NULL.
#[no_mangle]
pub(crate) unsafe extern "C" fn smmu_rs_rs_viommu_set_event_queue(
    v: *mut c_void,
    q: *mut c_void,
) -> c_int {
    // SAFETY: guaranteed by the caller.
    errno(unsafe { viommu(v) }.set_event_queue(core::ptr::NonNull::new(q)))
}

/// Whether master `m` is behind vIOMMU `v`'s SMMU.
///
/// # Safety
///
/// `v` as for `viommu()`, `m` as for `master()`.
#[no_mangle]
pub(crate) unsafe extern "C" fn smmu_rs_rs_viommu_has_master_smmu(
    v: *mut c_void,
    m: *mut c_void,
) -> bool {
    // SAFETY: guaranteed by the caller.
    let (v, m) = unsafe { (viommu(v), master(m)) };
    v.same_smmu(m)
}

/// Gives master `m` the virtual stream id `vsid` in vIOMMU `v`; `*token`
/// is what `smmu_rs_rs_vdevice_remove()` takes back.
///
/// # Safety
///
/// `v` as for `viommu()`, `m` as for `master()`; `token` is writable.
#[no_mangle]
pub(crate) unsafe extern "C" fn smmu_rs_rs_vdevice_add(
    v: *mut c_void,
    m: *mut c_void,
    vsid: u64,
    token: *mut u64,
) -> c_int {
    // SAFETY: guaranteed by the caller.
    let (v, m) = unsafe { (viommu(v), master(m)) };
    match v.add_vdevice(m, vsid) {
        Ok(t) => {
            // SAFETY: writable (caller).
            unsafe { token.write(t) };
            0
        }
        Err(e) => e.to_errno(),
    }
}

/// Takes back the virtual stream id `token` names (its master may be gone).
///
/// # Safety
///
/// `v` as for `viommu()`.
#[no_mangle]
pub(crate) unsafe extern "C" fn smmu_rs_rs_vdevice_remove(v: *mut c_void, token: u64) {
    // SAFETY: guaranteed by the caller.
    unsafe { viommu(v) }.remove_vdevice(token);
}

/// Master `m`'s device left its user: every virtual id it has is
/// forgotten and its events go to no guest.
///
/// # Safety
///
/// `m` as for `master()`.
#[no_mangle]
pub(crate) unsafe extern "C" fn smmu_rs_rs_master_leave_user(m: *mut c_void) {
    // SAFETY: guaranteed by the caller.
    unsafe { master(m) }.leave_user();
}

/// A nested domain on vIOMMU `v` from the guest's vSTE (`ste[2]`, as
/// `struct iommu_hwpt_arm_smmuv3`, little-endian words); NULL with
/// `*err` set (`-EIO` for a vSTE that is refused).
///
/// # Safety
///
/// `v` as for `viommu()`; `ste` points at two readable u64; `err` is
/// writable.
#[no_mangle]
pub(crate) unsafe extern "C" fn smmu_rs_rs_nested_alloc(
    v: *mut c_void,
    ste: *const u64,
    err: *mut c_int,
) -> *mut c_void {
    // SAFETY: guaranteed by the caller.
    let v: Arc<Viommu> = unsafe { viommu(v) }.into();
    // SAFETY: two readable words (caller).
    let words = unsafe { [ste.read(), ste.add(1).read()] };
    match NestedDomain::new(&v, words.map(u64::from_le)) {
        Ok(n) => KBox::into_raw(n).cast(),
        // SAFETY: `err` is writable (caller).
        Err(e) => unsafe { fail(err, e) },
    }
}

/// Frees a nested domain no device is attached to.
///
/// # Safety
///
/// `n` came from `smmu_rs_rs_nested_alloc()`; called once.
#[no_mangle]
pub(crate) unsafe extern "C" fn smmu_rs_rs_nested_free(n: *mut c_void) {
    // SAFETY: guaranteed by the caller: takes back the box.
    drop(unsafe { KBox::from_raw(n.cast::<NestedDomain>()) });
}

/// Attaches master `m` to nested domain `n`.
///
/// # Safety
///
/// `n` as for `nested()`, `m` as for `master()`.
#[no_mangle]
pub(crate) unsafe extern "C" fn smmu_rs_rs_attach_nested(n: *mut c_void, m: *mut c_void) -> c_int {
    // SAFETY: guaranteed by the caller.
    let (n, m) = unsafe { (nested(n), master(m)) };
    errno(m.attach_nested(n))
}

/// Carries out `n` guest invalidation commands at `cmds` (two host-endian
/// words each) on vIOMMU `v`; `*done` is how many were. 0, `-EIO` for the
/// command at `*done`, which was refused, or the queue's error.
///
/// # Safety
///
/// `v` as for `viommu()`; `cmds` points at `2 * n` readable u64; `done`
/// is writable.
#[no_mangle]
pub(crate) unsafe extern "C" fn smmu_rs_rs_viommu_invalidate(
    v: *mut c_void,
    cmds: *const u64,
    n: u32,
    done: *mut u32,
) -> c_int {
    // SAFETY: `2 * n` readable words, as `n` two-word commands (caller).
    let cmds = unsafe { core::slice::from_raw_parts(cmds.cast::<[u64; 2]>(), n as usize) };
    // SAFETY: guaranteed by the caller.
    let (count, r) = unsafe { viommu(v) }.invalidate(cmds);
    // SAFETY: writable (caller); `count <= n`, a u32.
    unsafe { done.write(count as u32) };
    errno(r)
}

/// Places nested domain `n`'s MSI doorbells (see
/// [`crate::nested::MsiWindow`]); 0 or `-EINVAL`.
///
/// # Safety
///
/// `n` as for `nested()`.
#[no_mangle]
pub(crate) unsafe extern "C" fn smmu_rs_rs_nested_msi_window(
    n: *mut c_void,
    giova: u64,
    ipa: u64,
    size: u64,
) -> c_int {
    // SAFETY: guaranteed by the caller.
    let n = unsafe { nested(n) };
    errno(n.set_msi_window(MsiWindow { giova, ipa, size }))
}

/// Maps a doorbell the MSI cookie of nested domain `n` placed at `iova`
/// into its parent's stage 2; 0 or an errno.
///
/// # Safety
///
/// `n` as for `nested()`.
#[no_mangle]
pub(crate) unsafe extern "C" fn smmu_rs_rs_nested_map(
    n: *mut c_void,
    iova: u64,
    pa: u64,
    size: u64,
    prot: c_int,
) -> c_int {
    // SAFETY: guaranteed by the caller.
    let n = unsafe { nested(n) };
    errno(n.map_doorbell(iova, pa, size, prot as u32))
}
