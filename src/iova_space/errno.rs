// SPDX-License-Identifier: GPL-2.0

//! The errors the core reports, one per errno the UAPI documents.

/// An error of the IOAS core; [`Errno::to_errno`] gives the positive errno
/// the UAPI returns for it.
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
    /// `ENOSPC`: no free IOVA (or doorbell slot) fits.
    NoSpc,
    /// `ENOMEM`: allocation failed.
    NoMem,
    /// `ERANGE`: outside the domain's aperture.
    Range,
    /// `EBUSY`: in use.
    Busy,
}

impl Errno {
    /// The positive errno value.
    pub fn to_errno(self) -> i32 {
        match self {
            Errno::Inval => 22,
            Errno::Exist => 17,
            Errno::Overflow => 75,
            Errno::NoEnt => 2,
            Errno::AddrInUse => 98,
            Errno::NoSpc => 28,
            Errno::NoMem => 12,
            Errno::Range => 34,
            Errno::Busy => 16,
        }
    }
}

impl From<super::AllocError> for Errno {
    fn from(_: super::AllocError) -> Self {
        Errno::NoMem
    }
}
