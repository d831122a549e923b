// SPDX-License-Identifier: GPL-2.0

//! What the module needs from the kernel and Linux 7.3's kernel crate does
//! not have yet, one abstraction per file, each shaped as it could be
//! proposed for `rust/kernel/`: safe types over the generated bindings, and
//! over the module's C shims (`src/iommufd/helpers.c`, for static inlines and
//! macros) and GUP loops (`src/iommufd/gup.c`) where bindgen cannot reach. The
//! `unsafe` these need lives here, not in the files that use them.

pub(crate) mod anon_file;
pub(crate) mod capability;
pub(crate) mod gup;
pub(crate) mod locked_vm;
pub(crate) mod memfd;
pub(crate) mod sched;
pub(crate) mod uaccess;
pub(crate) mod user;
