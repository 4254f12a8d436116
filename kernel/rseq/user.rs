// SPDX-License-Identifier: GPL-2.0

//! Accessors for the user space `struct rseq` area and `struct rseq_cs`
//! descriptors.
//!
//! Every access is a single `copy_{from,to}_user()` of at most 8 bytes. A
//! fault is reported as `EFAULT`. All accesses tolerate running with page
//! faults disabled, which is how the exit fast path calls them.

use kernel::{
    prelude::*,
    uaccess::{
        UserPtr,
        UserSlice, //
    },
};

/// Reads a `u32` from user address `addr`.
pub(crate) fn get_u32(addr: usize) -> Result<u32> {
    UserSlice::new(UserPtr::from_addr(addr), size_of::<u32>())
        .reader()
        .read::<u32>()
}

/// Reads a `u64` from user address `addr`.
pub(crate) fn get_u64(addr: usize) -> Result<u64> {
    UserSlice::new(UserPtr::from_addr(addr), size_of::<u64>())
        .reader()
        .read::<u64>()
}

/// Writes a `u32` to user address `addr`.
pub(crate) fn put_u32(addr: usize, val: u32) -> Result {
    UserSlice::new(UserPtr::from_addr(addr), size_of::<u32>())
        .writer()
        .write(&val)
}

/// Writes a `u64` to user address `addr`.
pub(crate) fn put_u64(addr: usize, val: u64) -> Result {
    UserSlice::new(UserPtr::from_addr(addr), size_of::<u64>())
        .writer()
        .write(&val)
}

/// Writes two adjacent `u32` values to user address `addr` in one copy.
pub(crate) fn put_u32_pair(addr: usize, first: u32, second: u32) -> Result {
    let val: [u32; 2] = [first, second];
    UserSlice::new(UserPtr::from_addr(addr), size_of::<[u32; 2]>())
        .writer()
        .write(&val)
}

/// Reads two adjacent `u32` values from user address `addr` in one copy.
pub(crate) fn get_u32_pair(addr: usize) -> Result<[u32; 2]> {
    UserSlice::new(UserPtr::from_addr(addr), size_of::<[u32; 2]>())
        .reader()
        .read::<[u32; 2]>()
}
