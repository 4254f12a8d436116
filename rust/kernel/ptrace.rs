// SPDX-License-Identifier: GPL-2.0

//! Saved register state of a task (`struct pt_regs`).
//!
//! C header: [`include/linux/ptrace.h`](srctree/include/linux/ptrace.h).

use crate::{bindings, types::NotThreadSafe};

/// The register state the kernel saved on entry from user space.
///
/// # Invariants
///
/// `regs` points to a valid `struct pt_regs` that nothing else accesses while the value
/// exists, and the value is only used from the context that created it (it is `!Send` and
/// `!Sync`).
///
/// # Examples
///
/// ```
/// use kernel::{bindings, ptrace::Regs};
///
/// // SAFETY: `struct pt_regs` is plain data, all zeroes is a valid value.
/// let mut raw: bindings::pt_regs = unsafe { core::mem::zeroed() };
/// // SAFETY: `raw` is valid and only accessed through `regs` below.
/// let mut regs = unsafe { Regs::from_raw_nonnull(&mut raw) };
/// regs.set_ip(0x1000);
/// assert_eq!(regs.ip(), 0x1000);
///
/// // SAFETY: NULL is allowed.
/// assert!(unsafe { Regs::from_raw(core::ptr::null_mut()) }.is_none());
/// ```
pub struct Regs {
    regs: *mut bindings::pt_regs,
    _not_send: NotThreadSafe,
}

impl Regs {
    /// Wraps a raw `struct pt_regs` pointer; returns `None` for NULL.
    ///
    /// # Safety
    ///
    /// A non-NULL `regs` must point to a valid `struct pt_regs` (usually the current task's user
    /// register state) that nothing else accesses while the returned value is in use.
    #[inline]
    pub unsafe fn from_raw(regs: *mut bindings::pt_regs) -> Option<Self> {
        if regs.is_null() {
            return None;
        }
        // SAFETY: Guaranteed by the caller.
        Some(unsafe { Self::from_raw_nonnull(regs) })
    }

    /// Wraps a raw `struct pt_regs` pointer that is never NULL.
    ///
    /// # Safety
    ///
    /// `regs` must point to a valid `struct pt_regs` that nothing else accesses while the returned
    /// value is in use.
    #[inline]
    pub unsafe fn from_raw_nonnull(regs: *mut bindings::pt_regs) -> Self {
        // INVARIANT: Guaranteed by the caller.
        Self {
            regs,
            _not_send: NotThreadSafe,
        }
    }

    /// Returns the instruction pointer (`instruction_pointer()`).
    #[inline]
    pub fn ip(&self) -> usize {
        // SAFETY: `self.regs` is valid per the type invariant.
        unsafe { bindings::instruction_pointer(self.regs) }
    }

    /// Sets the instruction pointer (`instruction_pointer_set()`).
    #[inline]
    pub fn set_ip(&mut self, ip: usize) {
        // SAFETY: `self.regs` is valid and not accessed elsewhere per the type invariant.
        unsafe { bindings::instruction_pointer_set(self.regs, ip) };
    }
}
