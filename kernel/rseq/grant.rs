// SPDX-License-Identifier: GPL-2.0

//! Time slice extensions on the way out to user space: the grant decision
//! when an interrupt asks the task to reschedule, and the timer that bounds
//! a grant: when to arm it, what its expiry does and when to cancel it.
//!
//! C keeps the inline gates (the static key, the task's enabled state and
//! the return from interrupt) and the per-CPU timer itself: its storage,
//! its setup, and accessors that start it, read its cookie and cancel it,
//! as Rust has no per-CPU abstraction. The decisions and the user space
//! writes are here.

use kernel::{
    interrupt::LocalInterruptDisabled,
    preempt::PreemptDisabled,
    prelude::*,
    rseq::{
        self,
        area,
        CurrentRseq,
        SliceTimerCookie,
        Stat, //
    },
    signal::{
        force_sig,
        Signal, //
    },
    task,
    time::ktime_get_mono_fast_ns,
    uaccess::UserAccess,
};

/// What the exit to user space does with the task's `slice_ctrl`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Decision {
    /// Other work is pending or a grant is already held: clear
    /// `slice_ctrl` and the grant, reschedule.
    Revoke,
    /// No request: reschedule.
    NoRequest,
    /// Grant: write this `slice_ctrl` (request cleared, granted set).
    Grant(u32),
}

/// The decision before reading user memory: `None` means read `slice_ctrl`
/// and call [`decide_ctrl`].
#[inline(always)]
pub(crate) fn decide_state(work_pending: bool, granted: bool) -> Option<Decision> {
    (work_pending || granted).then_some(Decision::Revoke)
}

/// The decision on the `slice_ctrl` user space wrote.
#[inline(always)]
pub(crate) fn decide_ctrl(ctrl: u32) -> Decision {
    let mut bytes = ctrl.to_ne_bytes();
    // `struct rseq_slice_ctrl`: byte 0 is `request`, byte 1 `granted`.
    if bytes[0] == 0 {
        return Decision::NoRequest;
    }
    bytes[0] = 0;
    bytes[1] = 1;
    Decision::Grant(u32::from_ne_bytes(bytes))
}

/// Reads and updates `slice_ctrl` in one user access region, as the
/// decision says.
fn update_ctrl(rs: &CurrentRseq, work_pending: bool, granted: bool) -> Result<Decision> {
    let ua = UserAccess::new(rs.area_ptr(), area::SLICE_CTRL + size_of::<u32>())?;
    let decision = match decide_state(work_pending, granted) {
        Some(d) => d,
        None => decide_ctrl(ua.get::<u32>(area::SLICE_CTRL)?),
    };
    match decision {
        Decision::Revoke => ua.put(area::SLICE_CTRL, 0u32)?,
        Decision::NoRequest => {}
        Decision::Grant(ctrl) => ua.put(area::SLICE_CTRL, ctrl)?,
    }
    Ok(decision)
}

/// Decides whether the task gets a time slice extension instead of being
/// rescheduled; the C gate already checked that extensions are on, that
/// the task enabled them or holds a grant, and that this is a return from
/// an interrupt. Returns `true` for a grant.
pub(crate) fn grant(rs: &CurrentRseq, work_pending: bool) -> bool {
    match update_ctrl(rs, work_pending, rs.slice_granted()) {
        Err(_) => {
            force_sig(Signal::SIGSEGV);
            false
        }
        Ok(Decision::Revoke) => {
            rs.slice_clear_grant();
            false
        }
        Ok(Decision::NoRequest) => false,
        Ok(Decision::Grant(_)) => {
            rseq::stat_inc(Stat::SliceGranted);
            rs.set_slice_granted(true);
            rs.set_slice_expires(
                u64::from(rseq::slice_ext_nsecs()).wrapping_add(ktime_get_mono_fast_ns()),
            );
            rseq::clear_need_resched_current();
            true
        }
    }
}

/// Whether a grant that expires at `expires` is over at `now`.
pub(crate) fn expired(expires: u64, now: u64) -> bool {
    expires < now
}

/// Arms the timer of a held grant on the last way out to user space, with
/// interrupts disabled (`irq`). Returns `true` if the grant is over
/// already: the task reschedules instead.
pub(crate) fn arm_timer(rs: &CurrentRseq, irq: &LocalInterruptDisabled) -> bool {
    let expires = rs.slice_expires();
    if expired(expires, ktime_get_mono_fast_ns()) {
        task::set_need_resched_current(irq);
        return true;
    }
    rseq::slice_timer_start(SliceTimerCookie::current(), expires, irq);
    rs.set_slice_syscall_work();
    false
}

/// Whether the expiry of a CPU's slice timer, armed by `armed_by`, ends the
/// grant of the task it interrupted, `current`: only if that task armed it
/// and still holds the grant. It may have been scheduled out without
/// cancelling the timer. `granted` is only asked if the task armed it.
pub(crate) fn expiry_ends_grant(
    armed_by: SliceTimerCookie,
    current: SliceTimerCookie,
    granted: impl FnOnce() -> bool,
) -> bool {
    armed_by == current && granted()
}

/// The expiry of this CPU's slice timer, armed by `armed_by`, in its hard
/// interrupt callback (`irq`): if the interrupted task's grant is over, it
/// is counted and the task reschedules, on the return from this interrupt
/// if it is in user space, else in the system call entry work.
pub(crate) fn timer_expired(armed_by: SliceTimerCookie, irq: &LocalInterruptDisabled) {
    if expiry_ends_grant(
        armed_by,
        SliceTimerCookie::current(),
        rseq::current_slice_granted,
    ) {
        rseq::stat_inc(Stat::SliceExpired);
        task::set_need_resched_current(irq);
    }
}

/// Whether the system call entry work cancels this CPU's slice timer,
/// armed by `armed_by`: only if the current task armed it. Otherwise it
/// belongs to a task that was scheduled out, and its expiry does nothing.
pub(crate) fn cancel_needed(armed_by: SliceTimerCookie, current: SliceTimerCookie) -> bool {
    armed_by == current
}

/// Cancels this CPU's slice timer if the current task armed it, with
/// preemption disabled (`preempt`), which keeps the CPU and its timer's
/// cookie stable.
///
/// The timer is most probably the first to expire, so the cancel
/// reprograms the hardware, which is still cheaper than an interrupt for
/// nothing. A try-cancel is enough: the timer is CPU local, and its
/// callback cannot be running once the hrtimer code disabled interrupts.
pub(crate) fn cancel_timer(preempt: &PreemptDisabled) {
    if cancel_needed(
        rseq::slice_timer_cookie(preempt),
        SliceTimerCookie::current(),
    ) {
        rseq::slice_timer_try_cancel(preempt);
    }
}

#[cfg(CONFIG_RSEQ_RUST_KUNIT_TEST)]
#[kunit_tests(rust_rseq_slice_grant)]
mod tests {
    use super::*;
    use core::cell::Cell;

    fn ctrl(request: u8, granted: u8, reserved: u16) -> u32 {
        let r = reserved.to_ne_bytes();
        u32::from_ne_bytes([request, granted, r[0], r[1]])
    }

    #[test]
    fn grant_table() {
        // (work pending, granted) before user memory is read.
        assert_eq!(decide_state(true, false), Some(Decision::Revoke));
        assert_eq!(decide_state(false, true), Some(Decision::Revoke));
        assert_eq!(decide_state(true, true), Some(Decision::Revoke));
        assert_eq!(decide_state(false, false), None);
        // slice_ctrl as user space left it.
        assert_eq!(decide_ctrl(0), Decision::NoRequest);
        assert_eq!(decide_ctrl(ctrl(0, 1, 0)), Decision::NoRequest);
        assert_eq!(decide_ctrl(ctrl(0, 0, 0xffff)), Decision::NoRequest);
        assert_eq!(decide_ctrl(ctrl(1, 0, 0)), Decision::Grant(ctrl(0, 1, 0)));
        assert_eq!(
            decide_ctrl(ctrl(0x80, 0, 0)),
            Decision::Grant(ctrl(0, 1, 0))
        );
        // The reserved bytes are written back as they were.
        assert_eq!(
            decide_ctrl(ctrl(1, 1, 0x1234)),
            Decision::Grant(ctrl(0, 1, 0x1234))
        );
    }

    #[test]
    fn timer_expiry() {
        let (a, b) = (0u8, 0u8);
        let task_a = SliceTimerCookie::from_raw(core::ptr::from_ref(&a).cast_mut().cast());
        let task_b = SliceTimerCookie::from_raw(core::ptr::from_ref(&b).cast_mut().cast());
        let never = SliceTimerCookie::from_raw(core::ptr::null_mut());
        // (armed by, interrupted task, granted) -> the grant ends.
        assert!(expiry_ends_grant(task_a, task_a, || true));
        assert!(!expiry_ends_grant(task_a, task_a, || false));
        // Another task armed it: `granted` is not even read, as with C's &&.
        let read = Cell::new(false);
        let granted = || {
            read.set(true);
            true
        };
        assert!(!expiry_ends_grant(task_b, task_a, granted));
        assert!(!expiry_ends_grant(never, task_a, granted));
        assert!(!read.get());
        // The system call entry work cancels only the timer its task armed.
        assert!(cancel_needed(task_a, task_a));
        assert!(!cancel_needed(task_b, task_a));
        assert!(!cancel_needed(never, task_a));
        // This kernel thread never armed this CPU's timer.
        let preempt = PreemptDisabled::disable();
        assert!(!cancel_needed(
            rseq::slice_timer_cookie(&preempt),
            SliceTimerCookie::current()
        ));
    }

    #[test]
    fn duration_bounds() {
        assert!(!expired(1000, 999));
        assert!(!expired(1000, 1000));
        assert!(expired(1000, 1001));
        assert!(!expired(u64::MAX, 0));
    }
}
