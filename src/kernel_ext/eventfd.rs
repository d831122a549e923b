// SPDX-License-Identifier: GPL-2.0

//! eventfd contexts a driver signals (`include/linux/eventfd.h`): taken
//! from a user's descriptor, signalled from any context, put on drop.

use core::ptr::NonNull;
use kernel::{
    bindings,
    error::from_err_ptr,
    prelude::*, //
};

/// A reference to an eventfd context.
///
/// # Invariants
///
/// `ctx` is a live eventfd context this value holds a reference on.
pub(crate) struct EventFd {
    ctx: NonNull<bindings::eventfd_ctx>,
}

// SAFETY: an eventfd context may be signalled and put from any task or
// interrupt; it has its own lock.
unsafe impl Send for EventFd {}
// SAFETY: see `Send`; `signal` takes the context's own lock.
unsafe impl Sync for EventFd {}

impl EventFd {
    /// The context of the eventfd open as `fd` in the caller's files
    /// (`eventfd_ctx_fdget()`): `EBADF` if `fd` is not open, `EINVAL` if it
    /// is no eventfd.
    pub(crate) fn from_fd(fd: i32) -> Result<Self> {
        // SAFETY: looks `fd` up in the caller's table; a non-error answer
        // is a reference.
        let ctx = from_err_ptr(unsafe { bindings::eventfd_ctx_fdget(fd) })?;
        // INVARIANT: the reference just taken.
        Ok(Self {
            ctx: NonNull::new(ctx).ok_or(EINVAL)?,
        })
    }

    /// Adds one to the counter and wakes its readers (`eventfd_signal()`,
    /// a static inline over `eventfd_signal_mask()`); callable from a hard
    /// interrupt handler.
    pub(crate) fn signal(&self) {
        // SAFETY: a live context (type invariant); mask 0 is plain
        // `eventfd_signal()`.
        unsafe { bindings::eventfd_signal_mask(self.ctx.as_ptr(), 0) }
    }
}

impl Drop for EventFd {
    fn drop(&mut self) {
        // SAFETY: the reference this value holds (type invariant).
        unsafe { bindings::eventfd_ctx_put(self.ctx.as_ptr()) }
    }
}
