// SPDX-License-Identifier: GPL-2.0

//! Upstream iommufd's rules for reading a command struct from userspace and
//! writing the answer back (`iommufd_fops_ioctl()` and
//! `copy_struct_from_user()` in Linux 7.3):
//!
//! - the leading `u32 size` is read first (`-EFAULT` if unreadable);
//! - `size` below the command's minimum is `-EINVAL`;
//! - a `size` larger than the struct this module knows is accepted only if
//!   every extra byte is zero (`-E2BIG` otherwise); a smaller one is
//!   zero-extended;
//! - only the bytes userspace declared are written back.

use core::{
    ffi::{
        c_ulong,
        c_void, //
    },
    mem::size_of, //
};
use kernel::{
    prelude::*,
    transmute::{
        AsBytes,
        FromBytes, //
    },
    uaccess::{
        UserPtr,
        UserSlice, //
    }, //
};

/// The largest command struct this module knows, in bytes.
const MAX_CMD_SIZE: usize = 128;

/// How many bytes of trailing data are checked for zero per user copy.
const ZERO_CHECK_CHUNK: usize = 64;

/// One command's user buffer: where it is and how large userspace says it is.
pub(crate) struct UserCmd {
    ptr: UserPtr,
    user_size: usize,
}

impl UserCmd {
    /// Reads the leading `size` field at `arg`.
    pub(crate) fn new(arg: usize) -> Result<Self> {
        let ptr = UserPtr::from_addr(arg);
        let user_size = UserSlice::new(ptr, size_of::<u32>())
            .reader()
            .read::<u32>()?;
        Ok(Self {
            ptr,
            user_size: user_size as usize,
        })
    }

    /// Reads the command struct `T` whose first `min_size` bytes are
    /// mandatory, applying the size rules in the module documentation.
    pub(crate) fn read<T: FromBytes>(&self, min_size: usize) -> Result<T> {
        const { assert!(size_of::<T>() <= MAX_CMD_SIZE) };
        if self.user_size < min_size {
            return Err(EINVAL);
        }
        let ksize = size_of::<T>();
        let mut reader = UserSlice::new(self.ptr, self.user_size).reader();
        // At least the struct this module knows (the usual case): one copy
        // straight into it. Shorter: zero-extended through a buffer.
        let value = if self.user_size >= ksize {
            reader.read::<T>()?
        } else {
            let mut buf = [0u8; MAX_CMD_SIZE];
            reader.read_slice(&mut buf[..self.user_size])?;
            T::from_bytes_copy(&buf[..ksize]).ok_or(EINVAL)?
        };

        // Bytes past what this module knows must be zero, so that a newer
        // userspace never has a request silently half-understood.
        let mut chunk = [0u8; ZERO_CHECK_CHUNK];
        while !reader.is_empty() {
            let n = reader.len().min(ZERO_CHECK_CHUNK);
            reader.read_slice(&mut chunk[..n])?;
            if chunk[..n].iter().any(|&b| b != 0) {
                return Err(E2BIG);
            }
        }
        Ok(value)
    }

    /// Writes `value` back, truncated to the size userspace declared.
    pub(crate) fn respond<T: AsBytes>(&self, value: &T) -> Result {
        let bytes = value.as_bytes();
        let n = bytes.len().min(self.user_size);
        UserSlice::new(self.ptr, n)
            .writer()
            .write_slice(&bytes[..n])
    }

    /// Writes back only the `len` bytes of `value` at `offset` (a field the
    /// minimum size always covers, as IOMMU_OPTION's `val64`).
    pub(crate) fn respond_field<T: AsBytes>(&self, value: &T, offset: usize, len: usize) -> Result {
        let bytes = value.as_bytes().get(offset..offset + len).ok_or(EINVAL)?;
        UserSlice::new(self.ptr.wrapping_byte_add(offset), len)
            .writer()
            .write_slice(bytes)
    }
}

extern "C" {
    fn iommufd_rs_clear_user(to: *mut c_void, n: c_ulong) -> c_ulong;
}

/// Zeroes `len` user bytes at `ptr` in one `clear_user()` (`-EFAULT` if
/// any of them cannot be written).
pub(crate) fn clear_user(ptr: UserPtr, len: usize) -> Result {
    if len == 0 {
        return Ok(());
    }
    let n = c_ulong::try_from(len).map_err(|_| EFAULT)?;
    // SAFETY: `clear_user()` checks `access_ok()` and copes with any user
    // address, faulting or not; no kernel memory is involved.
    let left = unsafe { iommufd_rs_clear_user(ptr.as_mut_ptr(), n) };
    if left != 0 {
        return Err(EFAULT);
    }
    Ok(())
}
