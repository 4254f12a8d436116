// SPDX-License-Identifier: GPL-2.0

//! Single-value access to user memory for the rseq area and critical
//! section descriptors (`get_user()`, `put_user()`).
//!
//! The rseq exit path touches a handful of naturally aligned `u32` and
//! `u64` fields on every context switch of a legacy registration. A
//! `get_user()`/`put_user()` per field costs a fraction of a
//! `copy_{from,to}_user()` through [`UserSlice`](crate::uaccess::UserSlice),
//! which is what the C implementation's masked user access region is
//! measured against.
//!
//! Every function checks the address range itself, reports a fault as
//! [`EFAULT`] and never sleeps when page faults are disabled, which is how
//! the exit fast path calls them.
//!
//! C header: [`include/linux/uaccess.h`](srctree/include/linux/uaccess.h).

use crate::{
    bindings,
    error::{
        code::EFAULT,
        Result, //
    },
};

/// Maps the result of `get_user()`/`put_user()` (0 or `-EFAULT`).
#[inline]
fn check(ret: crate::ffi::c_int) -> Result {
    if ret == 0 {
        Ok(())
    } else {
        Err(EFAULT)
    }
}

/// Reads the `u32` at user address `addr`.
#[inline]
pub fn get_u32(addr: usize) -> Result<u32> {
    let mut val = 0u32;
    // SAFETY: `get_user()` validates `addr` against the user address range
    // and handles faults through the exception table; `val` is a valid
    // destination for the value read.
    check(unsafe { bindings::rseq_get_user_u32(&mut val, addr as *const u32) })?;
    Ok(val)
}

/// Reads the `u64` at user address `addr`.
#[inline]
pub fn get_u64(addr: usize) -> Result<u64> {
    let mut val = 0u64;
    // SAFETY: As for `get_u32()`.
    check(unsafe { bindings::rseq_get_user_u64(&mut val, addr as *const u64) })?;
    Ok(val)
}

/// Writes `val` to the `u32` at user address `addr`.
#[inline]
pub fn put_u32(addr: usize, val: u32) -> Result {
    // SAFETY: `put_user()` validates `addr` against the user address range
    // and handles faults through the exception table.
    check(unsafe { bindings::rseq_put_user_u32(val, addr as *mut u32) })
}

/// Writes `val` to the `u64` at user address `addr`.
#[inline]
pub fn put_u64(addr: usize, val: u64) -> Result {
    // SAFETY: As for `put_u32()`.
    check(unsafe { bindings::rseq_put_user_u64(val, addr as *mut u64) })
}
