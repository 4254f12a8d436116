// SPDX-License-Identifier: GPL-2.0

//! Restartable sequences, Rust implementation (`CONFIG_RSEQ_RUST`).
//!
//! This crate replaces the out-of-line parts of `kernel/rseq.c`: the
//! `sys_rseq()` registration logic, the exit to user space slow path, the
//! signal delivery fixup, the debug mode critical section checks, and the
//! logic of the boot parameters and the debugfs files. The inline hooks in
//! `include/linux/rseq.h` and `include/linux/rseq_entry.h`, the syscall
//! wrappers, static keys, per-CPU statistics and tracepoints, the
//! `__setup()` registrations and the debugfs file creation stay in C and
//! call into the functions exported here.
//!
//! The behavior matches the C implementation errno for errno and signal for
//! signal.

use kernel::{
    ffi::{
        c_char,
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
        RawSeqFile,
        RawTask,
        RawUserArea, //
    },
    seq_file::{
        seq_print,
        SeqFile, //
    },
    signal::Signal,
    uaccess::UserPtr,
};

mod control;
mod cs;
mod exit;
#[cfg(CONFIG_RSEQ_SLICE_EXTENSION)]
mod grant;
mod registration;
#[cfg(CONFIG_RSEQ_SLICE_EXTENSION)]
mod slice;
mod stats;

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

/// Converts a debugfs write's result into the value its C handler returns:
/// the bytes consumed (all of them) or a negative errno.
fn store_result(res: Result, count: usize) -> isize {
    match res {
        // CAST: A write's size is at most `MAX_RW_COUNT`, below `isize::MAX`.
        Ok(()) => count as isize,
        // CAST: An errno is a small negative `c_int`; the widening keeps it.
        Err(e) => e.to_errno() as isize,
    }
}

/// The `rseq_debug=` boot parameter.
///
/// Returns 1 if handled, `-EINVAL` if the value is no boolean.
///
/// # Safety
///
/// `arg` must point to a NUL-terminated string (the `__setup()` argument).
#[export]
pub unsafe extern "C" fn rseq_debug_param(arg: *mut c_char) -> c_int {
    // SAFETY: `arg` is a NUL-terminated string (function safety requirement).
    let s = unsafe { CStr::from_char_ptr(arg) };
    control::debug_param(s.to_bytes())
}

/// The `rseq_slice_ext=` boot parameter.
///
/// Returns 1 if handled, 0 if the value is no boolean.
///
/// # Safety
///
/// `arg` must point to a NUL-terminated string (the `__setup()` argument).
#[export]
pub unsafe extern "C" fn rseq_slice_ext_param(arg: *mut c_char) -> c_int {
    // SAFETY: `arg` is a NUL-terminated string (function safety requirement).
    let s = unsafe { CStr::from_char_ptr(arg) };
    control::slice_ext_param(s.to_bytes())
}

/// A write of `count` bytes at the user address `ubuf` to `rseq/debug`.
///
/// # Safety
///
/// Must be called from task context. `ubuf` is a user space address that is
/// only accessed through user access functions.
#[export]
pub unsafe extern "C" fn rseq_debug_store(ubuf: *const c_char, count: usize) -> isize {
    // CAST: The user address of the written bytes.
    let buf = UserPtr::from_ptr(ubuf.cast_mut().cast());
    store_result(control::debug_write(buf, count), count)
}

/// A write of `count` bytes at the user address `ubuf` to
/// `rseq/slice_ext_nsec`.
///
/// # Safety
///
/// Must be called from task context. `ubuf` is a user space address that is
/// only accessed through user access functions.
#[export]
pub unsafe extern "C" fn rseq_slice_ext_nsecs_store(ubuf: *const c_char, count: usize) -> isize {
    // CAST: The user address of the written bytes.
    let buf = UserPtr::from_ptr(ubuf.cast_mut().cast());
    store_result(control::slice_ext_nsecs_write(buf, count), count)
}

/// The text of `rseq/debug`: whether debug mode is on, as 0 or 1.
///
/// # Safety
///
/// `m` must point to the `seq_file` of the read, not accessed by anyone
/// else during the call.
#[export]
pub unsafe extern "C" fn rseq_debug_print(m: *mut RawSeqFile) {
    // SAFETY: `m` is the read's `seq_file`, ours for the call.
    let m = unsafe { SeqFile::from_raw(m) };
    seq_print!(m, "{}\n", u8::from(kernel::rseq::debug_enabled()));
}

/// The text of `rseq/slice_ext_nsec`: the extension's duration.
///
/// # Safety
///
/// `m` must point to the `seq_file` of the read, not accessed by anyone
/// else during the call.
#[export]
pub unsafe extern "C" fn rseq_slice_ext_nsecs_print(m: *mut RawSeqFile) {
    // SAFETY: `m` is the read's `seq_file`, ours for the call.
    let m = unsafe { SeqFile::from_raw(m) };
    seq_print!(m, "{}\n", kernel::rseq::slice_ext_nsecs());
}

/// The text of `rseq/stats`: the statistics counters of all CPUs, summed.
///
/// # Safety
///
/// `m` must point to the `seq_file` of the read, not accessed by anyone
/// else during the call.
#[export]
pub unsafe extern "C" fn rseq_stats_print(m: *mut RawSeqFile) {
    // SAFETY: `m` is the read's `seq_file`, ours for the call.
    let m = unsafe { SeqFile::from_raw(m) };
    stats::show(m, &stats::sum());
}

/// `prctl(PR_RSEQ_SLICE_EXTENSION, arg2, arg3)`.
///
/// # Safety
///
/// Must be called from the `prctl()` system call of the current task.
#[cfg(CONFIG_RSEQ_SLICE_EXTENSION)]
#[export]
pub unsafe extern "C" fn rseq_slice_prctl(arg2: c_ulong, arg3: c_ulong) -> c_int {
    // SAFETY: A system call runs in the current task's context.
    let rs = unsafe { CurrentRseq::current() };
    match slice::prctl(&rs, arg2, arg3) {
        Ok(v) => v,
        Err(e) => e.to_errno(),
    }
}

/// The system call entry work of a task holding a time slice extension
/// grant (`SYSCALL_WORK_SYSCALL_RSEQ_SLICE`).
///
/// # Safety
///
/// Must be called from the system call entry work of the current task, with
/// interrupts enabled.
#[cfg(CONFIG_RSEQ_SLICE_EXTENSION)]
#[export]
pub unsafe extern "C" fn rseq_slice_syscall_enter(syscall: c_long) {
    // SAFETY: The system call entry work runs in the current task's context.
    let rs = unsafe { CurrentRseq::current() };
    slice::syscall_enter_work(&rs, syscall);
}

/// The body of `rseq_slice_yield()`.
///
/// # Safety
///
/// Must be called from the `rseq_slice_yield()` system call of the current
/// task.
#[cfg(CONFIG_RSEQ_SLICE_EXTENSION)]
#[export]
pub unsafe extern "C" fn do_rseq_slice_yield() -> c_long {
    // SAFETY: A system call runs in the current task's context.
    let rs = unsafe { CurrentRseq::current() };
    slice::yield_result(&rs)
}

/// The time slice extension grant decision on the way out of an interrupt
/// that asks the task to reschedule. Returns `true` for a grant.
///
/// # Safety
///
/// Must be called from the current task's exit to user space work, with
/// interrupts enabled, after the C gate (`__rseq_grant_slice_extension()`).
#[cfg(CONFIG_RSEQ_SLICE_EXTENSION)]
#[export]
pub unsafe extern "C" fn rseq_slice_grant(work_pending: bool) -> bool {
    // SAFETY: The exit to user space work runs in the current task's context.
    let rs = unsafe { CurrentRseq::current() };
    grant::grant(&rs, work_pending)
}

/// Arms the slice timer of a held grant on the last way out to user space.
/// Returns `true` if the grant is over already.
///
/// # Safety
///
/// Must be called from the current task's exit to user space path with
/// interrupts disabled.
#[cfg(CONFIG_RSEQ_SLICE_EXTENSION)]
#[export]
pub unsafe extern "C" fn rseq_slice_arm_timer() -> bool {
    // SAFETY: The exit to user space path runs in the current task's context.
    let rs = unsafe { CurrentRseq::current() };
    // SAFETY: Per this function's contract, C calls it only from
    // `rseq_arm_slice_extension_timer()` in `exit_to_user_mode_loop()`, which
    // runs with interrupts disabled (as `exit_to_user_mode_prepare()` and
    // the end of `__exit_to_user_mode_loop()` leave them) until the return
    // to user space; the token does not outlive this call. The constructor
    // checks it with `lockdep_assert_irqs_disabled()`, as C's
    // `__rseq_arm_slice_extension_timer()` does.
    let irq = unsafe { kernel::interrupt::LocalInterruptDisabled::assume_disabled() };
    grant::arm_timer(&rs, irq)
}

/// The expiry of this CPU's time slice extension timer, armed by `cookie`.
///
/// # Safety
///
/// Must be called from the slice timer's callback, which runs in hard
/// interrupt context (`HRTIMER_MODE_ABS_PINNED_HARD`), with `cookie` as
/// the timer's `struct rseq_slice_timer` holds it.
#[cfg(CONFIG_RSEQ_SLICE_EXTENSION)]
#[export]
pub unsafe extern "C" fn rseq_slice_timer_expired(cookie: *mut kernel::ffi::c_void) {
    // SAFETY: Per this function's contract, this is a hard interrupt
    // handler, which runs with interrupts disabled until it returns; the
    // token does not outlive this call.
    let irq = unsafe { kernel::interrupt::LocalInterruptDisabled::assume_disabled() };
    grant::timer_expired(kernel::rseq::SliceTimerCookie::from_raw(cookie), irq);
}
