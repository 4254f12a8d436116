// SPDX-License-Identifier: GPL-2.0

//! Restartable sequences, Rust implementation (`CONFIG_RSEQ_RUST`).
//!
//! This crate replaces the out-of-line parts of `kernel/rseq.c`: the
//! `sys_rseq()` registration logic, the exit to user space slow path, the
//! signal delivery fixup and the debug mode critical section checks. The
//! inline hooks in `include/linux/rseq.h` and `include/linux/rseq_entry.h`,
//! the syscall wrappers, static keys, statistics and tracepoints stay in C
//! and call into the functions exported here.
//!
//! The behavior matches the C implementation errno for errno and signal for
//! signal.

use kernel::{
    ffi::{
        c_int,
        c_long,
        c_ulong, //
    },
    prelude::*,
    ptrace::Regs,
    rseq::{
        CurrentRseq,
        Flags,
        RawRegs,
        RawTask,
        RawUserArea, //
    },
    signal::Signal,
};

mod cs;
mod exit;
mod registration;

/// Registers or unregisters the rseq area of the current task.
///
/// Called by the C `sys_rseq()` syscall wrapper.
///
/// # Safety
///
/// Must be called from the `rseq()` system call of the current task. `rseq`
/// is a user space address that is only accessed through user access
/// functions.
// Required to be unsafe due to the `#[export]` annotation.
#[export]
pub unsafe extern "C" fn do_rseq(
    rseq: *mut RawUserArea,
    rseq_len: u32,
    flags: c_int,
    sig: u32,
) -> c_long {
    // SAFETY: A system call runs in the current task's context.
    let rs = unsafe { CurrentRseq::current() };
    let req = registration::Request {
        // CAST: The user address as an integer, for the argument checks.
        addr: rseq as usize,
        len: rseq_len,
        flags: Flags::from_raw(flags),
        sig,
    };
    match registration::sys_rseq(&rs, &req) {
        Ok(()) => 0,
        Err(e) => e.to_errno() as c_long,
    }
}

/// Exit to user space fast path, called when `rseq_event::sched_switch` is
/// set.
///
/// Returns `false` if the user memory access faulted or the data is invalid;
/// the caller then defers to the slow path.
///
/// # Safety
///
/// Must be called from the current task's exit to user space path with
/// interrupts and page faults disabled. `t` must be the current task and
/// `regs` must point to its user register state.
#[cfg(CONFIG_GENERIC_ENTRY)]
#[export]
pub unsafe extern "C" fn __rseq_exit_user_update(regs: *mut RawRegs, t: *mut RawTask) -> bool {
    // SAFETY: `t` is the current task and this is its exit to user space
    // path (function safety requirement).
    let rs = unsafe { CurrentRseq::from_raw(t) };
    // SAFETY: `regs` is the task's user register state, never NULL on the
    // exit to user space path.
    let regs = unsafe { Regs::from_raw_nonnull(regs) };
    exit::exit_user_update(regs, rs)
}

/// Exit to user space slow path, invoked from `resume_user_mode_work()`.
///
/// # Safety
///
/// Must be called from the current task's context with interrupts enabled.
/// `regs` is either NULL or points to the task's user register state.
#[export]
pub unsafe extern "C" fn __rseq_handle_slowpath(regs: *mut RawRegs) {
    // SAFETY: The exit to user space work runs in the current task's context.
    let rs = unsafe { CurrentRseq::current() };
    // SAFETY: `regs` is NULL or the task's user register state.
    let regs = unsafe { Regs::from_raw(regs) };
    exit::handle_slowpath(&rs, regs);
}

/// Critical section fixup before a signal frame is set up.
///
/// # Safety
///
/// Must be called from the current task's context with interrupts enabled,
/// and `regs` must point to the task's user register state.
#[export]
pub unsafe extern "C" fn __rseq_signal_deliver(sig: c_int, regs: *mut RawRegs) {
    // SAFETY: Signal delivery runs in the current task's context.
    let rs = unsafe { CurrentRseq::current() };
    // SAFETY: `regs` is the task's user register state, never NULL here.
    let regs = unsafe { Regs::from_raw_nonnull(regs) };
    // Signal delivery only delivers valid signal numbers.
    if let Some(sig) = Signal::from_raw(sig) {
        exit::signal_deliver(&rs, sig, regs);
    }
}

/// Debug mode check on syscall return.
///
/// # Safety
///
/// Must be called from the current task's context, and `regs` must point to
/// the task's user register state.
#[export]
pub unsafe extern "C" fn __rseq_debug_syscall_return(regs: *mut RawRegs) {
    // SAFETY: The system call exit work runs in the current task's context.
    let rs = unsafe { CurrentRseq::current() };
    // SAFETY: `regs` is the task's user register state.
    if let Some(regs) = unsafe { Regs::from_raw(regs) } {
        exit::debug_syscall_return(&rs, regs);
    }
}

/// Debug mode critical section evaluation.
///
/// Called from the inline exit path with interrupts and page faults
/// disabled, and from task context.
///
/// # Safety
///
/// `t` must be the current task and the caller must run in its context,
/// `regs` must point to its user register state, and `csaddr` must be below
/// `TASK_SIZE`.
#[export]
pub unsafe extern "C" fn rseq_debug_update_user_cs(
    t: *mut RawTask,
    regs: *mut RawRegs,
    csaddr: c_ulong,
) -> bool {
    // SAFETY: `t` is the current task and this is its context.
    let rs = unsafe { CurrentRseq::from_raw(t) };
    // SAFETY: `regs` is the task's user register state.
    match unsafe { Regs::from_raw(regs) } {
        // `unsigned long` is `usize` in the kernel.
        Some(regs) => exit::debug_update_user_cs(rs, regs, csaddr),
        None => false,
    }
}
