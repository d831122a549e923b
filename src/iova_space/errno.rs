// SPDX-License-Identifier: GPL-2.0

//! The errors the core reports, one per errno the UAPI documents.

/// An error of the IOAS core, named after the errno the UAPI returns for it.
/// The module turns it into the kernel's own code (`kernel::error::code`),
/// so no errno number is written here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Errno {
    /// `EINVAL`: malformed request (bad alignment, zero length, reserved IOVA).
    Inval,
    /// `EEXIST`: an area already covers part of the range.
    Exist,
    /// `EOVERFLOW`: the range wraps around the address space.
    Overflow,
    /// `ENOENT`: nothing there, or only part of an area.
    NoEnt,
    /// `EADDRINUSE`: a reserved range collides with an area or allowed range.
    AddrInUse,
    /// `ENOSPC`: no free IOVA fits.
    NoSpc,
    /// `ENOMEM`: allocation failed.
    NoMem,
    /// `ERANGE`: outside the domain's aperture.
    Range,
}

impl From<super::AllocError> for Errno {
    fn from(_: super::AllocError) -> Self {
        Errno::NoMem
    }
}
