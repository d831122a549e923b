// SPDX-License-Identifier: GPL-2.0

//! The SW_MSI window rules (Documentation/uapi.rst, "SW_MSI options").
//!
//! A device's driver reports typed reserved regions, among them at most one
//! `IOMMU_RESV_SW_MSI` window where MSI doorbells get mapped. The user may
//! move that window with IOMMU_OPTION SW_MSI_START / SW_MSI_SIZE. At attach,
//! [`attach_regions`] says what gets reserved in the IOAS and which window
//! is in force; MSI doorbells must then land inside it ([`Window::contains`]).
//!
//! Doorbell placement is the kernel's MSI cookie's: it puts the doorbell
//! pages one after another from the window start, in the order vectors are
//! made. A device's vectors are made again, in the same order, whenever it
//! moves to another domain (see `device.rs`), and every domain's cookie
//! sits at the start of the same window, so a doorbell keeps its IOVA in
//! every domain the device moves through.

use super::{
    Alloc,
    AllocError,
    Errno,
    Storage, //
};

/// 1 MiB: the unit and alignment of the user window.
pub const MIB: u64 = 1 << 20;

/// The kinds of reserved region (`enum iommu_resv_type` of Linux).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum ResvType {
    /// Identity-mapped, must stay so (RMR).
    Direct = 0,
    /// Identity-mapped but may be given up when the device is assigned.
    DirectRelaxable = 1,
    /// Never mapped.
    Reserved = 2,
    /// Hardware MSI window (the device's doorbells, untranslated).
    Msi = 3,
    /// Software MSI window: doorbells are mapped here by the OS.
    SwMsi = 4,
}

/// One typed region `[start, last]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ResvRegion {
    /// First IOVA.
    pub start: u64,
    /// Last IOVA (inclusive).
    pub last: u64,
    /// Its kind.
    pub kind: ResvType,
    /// Whether this is the user's SW_MSI window rather than the driver's.
    pub user_window: bool,
}

/// A user SW_MSI window `[start, start + size)` set through IOMMU_OPTION.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Window {
    /// First IOVA (1 MiB aligned).
    pub start: u64,
    /// Size in bytes (a non-zero multiple of 1 MiB).
    pub size: u64,
}

impl Window {
    /// Last IOVA of the window.
    pub fn last(&self) -> u64 {
        self.start + (self.size - 1)
    }

    /// The window as a reserved region, flagged as the user's.
    pub fn region(&self) -> ResvRegion {
        ResvRegion {
            start: self.start,
            last: self.last(),
            kind: ResvType::SwMsi,
            user_window: true,
        }
    }

    /// Whether a doorbell at `iova` lies inside the window.
    pub fn contains(&self, iova: u64) -> bool {
        iova >= self.start && iova <= self.last()
    }
}

/// Validates SW_MSI_START: 1 MiB aligned (`-EINVAL`).
pub fn check_start(start: u64) -> Result<(), Errno> {
    if start % MIB != 0 {
        return Err(Errno::Inval);
    }
    Ok(())
}

/// Validates SW_MSI_SIZE (in MiB) against a START: at least 1 and the
/// window must not wrap (`-EOVERFLOW`). Returns the window.
pub fn make_window(start: u64, size_mib: u64) -> Result<Window, Errno> {
    check_start(start)?;
    if size_mib == 0 {
        return Err(Errno::Inval);
    }
    let size = size_mib.checked_mul(MIB).ok_or(Errno::Overflow)?;
    start.checked_add(size - 1).ok_or(Errno::Overflow)?;
    Ok(Window { start, size })
}

/// Whether `w` may replace the driver's SW_MSI window of a device with
/// `regions`: it must not overlap any region other than SW_MSI and
/// DIRECT_RELAXABLE ones (`-EADDRINUSE`).
pub fn check_window(regions: &[ResvRegion], w: &Window) -> Result<(), Errno> {
    let clash = regions.iter().any(|r| {
        !matches!(r.kind, ResvType::SwMsi | ResvType::DirectRelaxable)
            && r.start <= w.last()
            && r.last >= w.start
    });
    if clash {
        return Err(Errno::AddrInUse);
    }
    Ok(())
}

/// The window must lie inside the domain aperture `[ap_start, ap_last]`
/// (`-ERANGE`).
pub fn check_aperture(w: &Window, ap_start: u64, ap_last: u64) -> Result<(), Errno> {
    if w.start < ap_start || w.last() > ap_last {
        return Err(Errno::Range);
    }
    Ok(())
}

/// What attach reserves in the IOAS for a device with `regions`: every
/// region except DIRECT_RELAXABLE ones, with the driver's SW_MSI region
/// replaced by the user window when there is one. Also returns the window
/// in force, where the domain's MSI cookie maps the doorbells: the user's,
/// else the driver's SW_MSI region, else the driver's first hardware MSI
/// region (`IOMMU_RESV_MSI`, e.g. the ITS doorbell frame virtio-iommu lets
/// through untranslated; the kernel gives a module no way to leave an MSI
/// untranslated on a paging domain, and the cookie then maps the doorbell
/// 1:1 where the device would reach it anyway). Without any of them no
/// doorbell may be made.
pub fn attach_regions<A: Alloc>(
    regions: &[ResvRegion],
    user: Option<Window>,
) -> Result<(A::Vec<ResvRegion>, Option<Window>), AllocError> {
    let mut out = A::Vec::<ResvRegion>::default();
    out.reserve(regions.len() + 1)?;
    let mut in_force = user;
    for r in regions {
        match r.kind {
            ResvType::DirectRelaxable => {}
            ResvType::SwMsi if user.is_some() => {}
            ResvType::SwMsi => {
                in_force.get_or_insert(Window {
                    start: r.start,
                    size: r.last - r.start + 1,
                });
                out.push(*r)?;
            }
            _ => out.push(*r)?,
        }
    }
    if in_force.is_none() {
        in_force = regions
            .iter()
            .find(|r| r.kind == ResvType::Msi)
            .map(|r| Window {
                start: r.start,
                size: r.last - r.start + 1,
            });
    }
    if let Some(w) = user {
        out.push(w.region())?;
    }
    Ok((out, in_force))
}

/// The regions IOMMU_DEVICE_GET_RESV_REGIONS shows for a device with
/// `regions`: the driver's, with its SW_MSI window replaced by the user's
/// (flagged) when there is one.
pub fn user_view<A: Alloc>(
    regions: &[ResvRegion],
    user: Option<Window>,
) -> Result<A::Vec<ResvRegion>, AllocError> {
    let mut out = A::Vec::<ResvRegion>::default();
    out.reserve(regions.len() + 1)?;
    for r in regions {
        if user.is_none() || r.kind != ResvType::SwMsi {
            out.push(*r)?;
        }
    }
    if let Some(w) = user {
        out.push(w.region())?;
    }
    Ok(out)
}
