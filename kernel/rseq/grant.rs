// SPDX-License-Identifier: GPL-2.0

//! Time slice extensions on the way out to user space: the grant decision
//! when an interrupt asks the task to reschedule, and the arming of the
//! timer that bounds a grant.
//!
//! C keeps the inline gates (the static key, the task's enabled state and
//! the return from interrupt), the per-CPU timer and its cancel; the
//! decisions and the user space writes are here.

use kernel::{
    interrupt::LocalInterruptDisabled,
    prelude::*,
    rseq::{
        self,
        area,
        CurrentRseq, //
    },
    signal::{
        force_sig,
        Signal, //
    },
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
    let ua = UserAccess::new(rs.area_ptr(), area::SLICE_CTRL + 4)?;
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
            rseq::slice_stat_inc(rseq::SliceStat::Granted);
            rs.set_slice_granted(true);
            rs.set_slice_expires(
                u64::from(rseq::slice_ext_nsecs()).wrapping_add(rseq::mono_fast_ns()),
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
    if expired(expires, rseq::mono_fast_ns()) {
        rseq::set_need_resched_current_irqs_off(irq);
        return true;
    }
    rseq::slice_timer_start(expires, irq);
    rs.set_slice_syscall_work();
    false
}

#[cfg(CONFIG_RSEQ_RUST_KUNIT_TEST)]
#[kunit_tests(rust_rseq_slice_grant)]
mod tests {
    use super::*;

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
    fn duration_bounds() {
        assert!(!expired(1000, 999));
        assert!(!expired(1000, 1000));
        assert!(expired(1000, 1001));
        assert!(!expired(u64::MAX, 0));
    }
}
