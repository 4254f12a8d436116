// SPDX-License-Identifier: GPL-2.0

//! Time slice extensions: the `PR_RSEQ_SLICE_EXTENSION` prctl, the body of
//! `rseq_slice_yield()` and the system call entry work that ends a grant.
//!
//! A v2 task that enabled time slice extensions with the prctl sets
//! `slice_ctrl.request` in its rseq area; the kernel may then grant it a
//! short extension instead of preempting it on the way out of an
//! interrupt. The task ends the grant with `rseq_slice_yield()` or any other
//! system call, whose entry work (here) cancels the timer and reschedules.
//!
//! C keeps the per-CPU timer (see the grant module), the syscall wrappers
//! and the inline gates; the decisions are here.

use kernel::{
    preempt::PreemptDisabled,
    prelude::*,
    rseq::{
        self,
        area,
        CurrentRseq,
        Stat,
        PR_RSEQ_SLICE_EXTENSION_GET,
        PR_RSEQ_SLICE_EXTENSION_SET,
        PR_RSEQ_SLICE_EXT_ENABLE,
        RSEQ_CS_FLAG_SLICE_EXT_AVAILABLE,
        RSEQ_CS_FLAG_SLICE_EXT_ENABLED, //
    },
    signal::{
        force_sig,
        Signal, //
    },
    task,
    uaccess::{
        UserAccess,
        UserPtr, //
    },
};

/// `struct rseq_slice_ctrl` with only `granted` set, as a `u32` (`all`).
pub(crate) const SLICE_CTRL_GRANTED: u32 = u32::from_ne_bytes([0, 1, 0, 0]);

/// A decoded `prctl(PR_RSEQ_SLICE_EXTENSION, arg2, arg3)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Prctl {
    /// `PR_RSEQ_SLICE_EXTENSION_GET`.
    Get,
    /// `PR_RSEQ_SLICE_EXTENSION_SET`, to enable or disable.
    Set(bool),
}

/// Decodes the prctl arguments: `EINVAL` for an unknown command, a `GET`
/// with an argument, or a `SET` with unknown bits.
pub(crate) fn decode(arg2: c_ulong, arg3: c_ulong) -> Result<Prctl> {
    match arg2 {
        PR_RSEQ_SLICE_EXTENSION_GET if arg3 != 0 => Err(EINVAL),
        PR_RSEQ_SLICE_EXTENSION_GET => Ok(Prctl::Get),
        PR_RSEQ_SLICE_EXTENSION_SET if arg3 & !PR_RSEQ_SLICE_EXT_ENABLE != 0 => Err(EINVAL),
        PR_RSEQ_SLICE_EXTENSION_SET => Ok(Prctl::Set(arg3 & PR_RSEQ_SLICE_EXT_ENABLE != 0)),
        _ => Err(EINVAL),
    }
}

/// The checks of a `SET` before it touches user memory, in C's order:
/// extensions off (`ENOTSUPP`), no registration (`ENXIO`), a legacy
/// registration (`ENOTSUPP`).
pub(crate) fn check_set(key_on: bool, registered: bool, v2: bool) -> Result {
    if !key_on {
        return Err(ENOTSUPP);
    }
    if !registered {
        return Err(ENXIO);
    }
    if !v2 {
        return Err(ENOTSUPP);
    }
    Ok(())
}

/// The new `flags` of the rseq area for a change of the enabled state, or
/// `None` if user space cleared a bit the kernel set (the task then gets
/// `SIGSEGV`).
pub(crate) fn new_flags(rflags: u32, was_enabled: bool, enable: bool) -> Option<u32> {
    let mut valid = RSEQ_CS_FLAG_SLICE_EXT_AVAILABLE;
    if was_enabled {
        valid |= RSEQ_CS_FLAG_SLICE_EXT_ENABLED;
    }
    if rflags & valid != valid {
        return None;
    }
    let mut flags = (rflags & !RSEQ_CS_FLAG_SLICE_EXT_ENABLED) | RSEQ_CS_FLAG_SLICE_EXT_AVAILABLE;
    if enable {
        flags |= RSEQ_CS_FLAG_SLICE_EXT_ENABLED;
    }
    Some(flags)
}

/// Reads the `flags` of the rseq area at `area`.
fn get_flags(area: UserPtr) -> Result<u32> {
    UserAccess::new(area.wrapping_byte_add(area::FLAGS), size_of::<u32>())?.get(0)
}

/// Writes the `flags` of the rseq area at `area`.
fn put_flags(area: UserPtr, flags: u32) -> Result {
    UserAccess::new(area.wrapping_byte_add(area::FLAGS), size_of::<u32>())?.put(0, flags)
}

/// `prctl(PR_RSEQ_SLICE_EXTENSION, arg2, arg3)`: returns the value of the
/// system call.
pub(crate) fn prctl(rs: &CurrentRseq, arg2: c_ulong, arg3: c_ulong) -> Result<c_int> {
    let enable = match decode(arg2, arg3)? {
        Prctl::Get => {
            return Ok(if rs.slice_enabled() {
                // CAST: `PR_RSEQ_SLICE_EXT_ENABLE` is 1.
                PR_RSEQ_SLICE_EXT_ENABLE as c_int
            } else {
                0
            });
        }
        Prctl::Set(enable) => enable,
    };
    check_set(
        rseq::slice_extension_enabled(),
        rs.area().is_some(),
        rs.is_v2(),
    )?;
    let was_enabled = rs.slice_enabled();
    if enable == was_enabled {
        return Ok(0);
    }
    let area = rs.area_ptr();
    let updated = get_flags(area)
        .ok()
        .and_then(|rflags| new_flags(rflags, was_enabled, enable))
        .map(|flags| put_flags(area, flags).is_ok());
    if updated != Some(true) {
        force_sig(Signal::SIGSEGV);
        return Err(EFAULT);
    }
    rs.set_slice_enabled(enable);
    Ok(0)
}

/// The body of `rseq_slice_yield()`: 1 if the system call's entry work
/// ended a grant by yielding, 0 otherwise. Clears the indication.
pub(crate) fn yield_result(rs: &CurrentRseq) -> c_long {
    c_long::from(rs.take_slice_yielded())
}

/// Debug mode: `slice_ctrl` must hold what the kernel last wrote.
fn validate_ctrl(rs: &CurrentRseq, expected: u32) {
    let ctrl = UserAccess::new(
        rs.area_ptr().wrapping_byte_add(area::SLICE_CTRL),
        size_of::<u32>(),
    )
    .and_then(|ua| ua.get::<u32>(0));
    if ctrl != Ok(expected) {
        force_sig(Signal::SIGSEGV);
    }
}

/// What the system call entry work does with a grant that is still held.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum EndOfGrant {
    /// The task was scheduled out since: the grant is over already.
    AlreadyRescheduled,
    /// `rseq_slice_yield()`: reschedule, report the yield.
    Yielded,
    /// Any other system call: reschedule.
    Aborted,
}

/// Decides how a system call ends a grant.
pub(crate) fn end_of_grant(sched_switch: bool, syscall: c_long) -> EndOfGrant {
    if sched_switch {
        EndOfGrant::AlreadyRescheduled
    } else if syscall == rseq::NR_RSEQ_SLICE_YIELD {
        EndOfGrant::Yielded
    } else {
        EndOfGrant::Aborted
    }
}

/// The system call entry work of a task that was granted an extension
/// (`SYSCALL_WORK_SYSCALL_RSEQ_SLICE`).
pub(crate) fn syscall_enter_work(rs: &CurrentRseq, syscall: c_long) {
    let granted = rs.slice_granted();
    rs.clear_slice_syscall_work();
    if rseq::debug_enabled() {
        validate_ctrl(rs, if granted { SLICE_CTRL_GRANTED } else { 0 });
    }
    // The kernel might have revoked the grant and updated user space, but
    // kept the work set.
    if !granted {
        return;
    }
    {
        // Stabilizes the per-CPU timer and makes the resched request
        // correct on PREEMPT(_RT); leaving the scope reschedules on the
        // FULL, LAZY and RT preemption models.
        let preempt = PreemptDisabled::disable();
        crate::grant::cancel_timer(&preempt);
        match end_of_grant(rs.sched_switch(), syscall) {
            EndOfGrant::AlreadyRescheduled => {}
            end => {
                rseq::slice_set_need_resched(&preempt);
                if end == EndOfGrant::Yielded {
                    rseq::stat_inc(Stat::SliceYielded);
                    rs.set_slice_yielded();
                } else {
                    rseq::stat_inc(Stat::SliceAborted);
                }
            }
        }
    }
    // Reschedule on the NONE and VOLUNTARY preemption models.
    task::cond_resched();

    rs.set_slice_granted(false);
    let cleared = UserAccess::new(
        rs.area_ptr().wrapping_byte_add(area::SLICE_CTRL),
        size_of::<u32>(),
    )
    .and_then(|ua| ua.put(0, 0u32));
    if cleared.is_err() {
        force_sig(Signal::SIGSEGV);
    }
}

#[cfg(CONFIG_RSEQ_RUST_KUNIT_TEST)]
#[kunit_tests(rust_rseq_slice)]
mod tests {
    use super::*;

    #[test]
    fn prctl_decode() {
        let (get, set, on) = (
            PR_RSEQ_SLICE_EXTENSION_GET,
            PR_RSEQ_SLICE_EXTENSION_SET,
            PR_RSEQ_SLICE_EXT_ENABLE,
        );
        assert_eq!(decode(get, 0), Ok(Prctl::Get));
        assert_eq!(decode(get, 1), Err(EINVAL));
        assert_eq!(decode(set, on), Ok(Prctl::Set(true)));
        assert_eq!(decode(set, 0), Ok(Prctl::Set(false)));
        assert_eq!(decode(set, 2), Err(EINVAL));
        assert_eq!(decode(set, on | 4), Err(EINVAL));
        assert_eq!(decode(0, 0), Err(EINVAL));
        assert_eq!(decode(3, 0), Err(EINVAL));
        assert_eq!(decode(c_ulong::MAX, 0), Err(EINVAL));
    }

    #[test]
    fn prctl_set_order() {
        // (key on, registered, v2) -> result, in C's order.
        assert_eq!(check_set(false, false, false), Err(ENOTSUPP));
        assert_eq!(check_set(false, true, true), Err(ENOTSUPP));
        assert_eq!(check_set(true, false, false), Err(ENXIO));
        assert_eq!(check_set(true, false, true), Err(ENXIO));
        assert_eq!(check_set(true, true, false), Err(ENOTSUPP));
        assert_eq!(check_set(true, true, true), Ok(()));
    }

    #[test]
    fn prctl_flags() {
        let (avail, en) = (
            RSEQ_CS_FLAG_SLICE_EXT_AVAILABLE,
            RSEQ_CS_FLAG_SLICE_EXT_ENABLED,
        );
        assert_eq!(new_flags(avail, false, true), Some(avail | en));
        assert_eq!(new_flags(avail | en, true, false), Some(avail));
        assert_eq!(
            new_flags(avail | 0x8000, false, true),
            Some(avail | en | 0x8000)
        );
        // User space cleared a bit the kernel set.
        assert_eq!(new_flags(0, false, true), None);
        assert_eq!(new_flags(avail, true, false), None);
        // A stale ENABLED bit while disabled is fine and gets cleared.
        assert_eq!(new_flags(avail | en, false, false), Some(avail));
    }

    #[test]
    fn grant_end() {
        let y = rseq::NR_RSEQ_SLICE_YIELD;
        assert_eq!(end_of_grant(true, y), EndOfGrant::AlreadyRescheduled);
        assert_eq!(end_of_grant(true, 39), EndOfGrant::AlreadyRescheduled);
        assert_eq!(end_of_grant(false, y), EndOfGrant::Yielded);
        assert_eq!(end_of_grant(false, 39), EndOfGrant::Aborted);
        assert_eq!(end_of_grant(false, -1), EndOfGrant::Aborted);
        assert_eq!(SLICE_CTRL_GRANTED.to_ne_bytes(), [0, 1, 0, 0]);
    }
}
