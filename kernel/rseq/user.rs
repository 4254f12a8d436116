// SPDX-License-Identifier: GPL-2.0

//! Accessors for the user space `struct rseq` area and `struct rseq_cs`
//! descriptors.
//!
//! Every access is a single `get_user()` or `put_user()` of a naturally
//! aligned field; a pair of adjacent `u32` fields is two accesses, like the
//! C implementation's `unsafe_{get,put}_user()` pairs. A fault is reported
//! as `EFAULT`. All accesses tolerate running with page faults disabled,
//! which is how the exit fast path calls them.

use kernel::prelude::*;

pub(crate) use kernel::rseq::user::{
    get_u32,
    get_u64,
    put_u32,
    put_u64, //
};

/// Writes two adjacent `u32` fields starting at user address `addr`.
#[inline]
pub(crate) fn put_u32_pair(addr: usize, first: u32, second: u32) -> Result {
    put_u32(addr, first)?;
    put_u32(addr + size_of::<u32>(), second)
}

/// Reads two adjacent `u32` fields starting at user address `addr`.
#[inline]
pub(crate) fn get_u32_pair(addr: usize) -> Result<[u32; 2]> {
    Ok([get_u32(addr)?, get_u32(addr + size_of::<u32>())?])
}
