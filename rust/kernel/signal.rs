// SPDX-License-Identifier: GPL-2.0

//! Signals sent by the kernel to the current task.
//!
//! C header: [`include/linux/sched/signal.h`](srctree/include/linux/sched/signal.h).

use crate::{bindings, ffi::c_int};

/// A signal number, in `1..=_NSIG`.
///
/// # Invariants
///
/// The value is a valid signal number.
///
/// # Examples
///
/// ```
/// use kernel::signal::Signal;
///
/// assert_eq!(Signal::from_raw(11), Some(Signal::SIGSEGV));
/// assert_eq!(Signal::SIGSEGV.as_raw(), 11);
/// assert_eq!(Signal::from_raw(0), None);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Signal(c_int);

impl Signal {
    /// `SIGSEGV`, an invalid memory reference.
    // INVARIANT: `SIGSEGV` is a valid signal number.
    pub const SIGSEGV: Self = Self(bindings::SIGSEGV as c_int);

    /// Converts a raw signal number, `None` if it is not in `1..=_NSIG`.
    #[inline]
    pub fn from_raw(sig: c_int) -> Option<Self> {
        // CAST: `_NSIG` is a small positive constant.
        // INVARIANT: Checked here.
        (1..=bindings::_NSIG as c_int)
            .contains(&sig)
            .then_some(Self(sig))
    }

    /// Returns the raw signal number.
    #[inline]
    pub fn as_raw(self) -> c_int {
        self.0
    }
}

/// Sends `sig` to the current task, even if the task blocks or ignores it (`force_sig()`).
///
/// Used when the kernel finds the task's state unusable, e.g. after a fault it cannot resolve on
/// the task's behalf; the signal is delivered on the next return to user space.
///
/// # Examples
///
/// ```
/// use kernel::signal::{force_sig, Signal};
///
/// /// Kills the current task for invalid user space data.
/// fn kill_current() {
///     force_sig(Signal::SIGSEGV);
/// }
/// # let _ = kill_current;
/// ```
#[inline]
pub fn force_sig(sig: Signal) {
    // SAFETY: `force_sig()` acts on the current task, which is valid in any context that has one,
    // and `sig` is a valid signal number (type invariant).
    unsafe { bindings::force_sig(sig.as_raw()) };
}

/// Sends `SIGSEGV` to the current task because setting up the delivery of `sig` failed
/// (`force_sigsegv()`).
///
/// If `sig` itself is `SIGSEGV`, its handler is reset to the default first, so that the task
/// dies instead of looping.
///
/// # Examples
///
/// ```
/// use kernel::signal::{force_sigsegv, Signal};
///
/// /// Gives up on delivering `sig` to the current task.
/// fn delivery_failed(sig: Signal) {
///     force_sigsegv(sig);
/// }
/// # let _ = delivery_failed;
/// ```
#[inline]
pub fn force_sigsegv(sig: Signal) {
    // SAFETY: `force_sigsegv()` acts on the current task, and `sig` is a valid signal number
    // (type invariant).
    unsafe { bindings::force_sigsegv(sig.as_raw()) };
}
