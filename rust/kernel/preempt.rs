// SPDX-License-Identifier: GPL-2.0

//! Preemption control.
//!
//! C header: [`include/linux/preempt.h`](srctree/include/linux/preempt.h).

use crate::types::NotThreadSafe;

/// A guard that disables preemption on the current CPU until it is dropped.
///
/// [`PreemptDisabled::disable`] calls `preempt_disable()`, the drop calls
/// `preempt_enable()`, which reschedules if that was requested meanwhile.
/// While the guard exists, the current task stays on the current CPU and no
/// other task runs there, so per-CPU state that only task context changes is
/// stable. Interrupts stay enabled. Guards nest, like the C calls.
///
/// Functions that need preemption disabled take a `&PreemptDisabled` as
/// proof.
///
/// # Invariants
///
/// Preemption is disabled on the current CPU for as long as an object of this
/// type exists. It cannot be sent to another thread.
///
/// # Examples
///
/// ```
/// use kernel::preempt::PreemptDisabled;
///
/// fn on_this_cpu(_preempt: &PreemptDisabled) {
///     // The CPU cannot change under this function.
/// }
///
/// {
///     let preempt = PreemptDisabled::disable();
///     on_this_cpu(&preempt);
/// } // Preemption is enabled again here.
/// ```
#[must_use = "preemption is enabled again when the guard is dropped"]
pub struct PreemptDisabled(NotThreadSafe);

impl PreemptDisabled {
    /// Disables preemption (`preempt_disable()`), in any context.
    #[inline]
    pub fn disable() -> Self {
        // SAFETY: `preempt_disable()` can be called in any context; the drop
        // of the returned guard calls the matching `preempt_enable()`.
        unsafe { bindings::preempt_disable() };
        // INVARIANT: Preemption was just disabled, and only the drop of this
        // object enables it again.
        Self(NotThreadSafe)
    }
}

impl Drop for PreemptDisabled {
    #[inline]
    fn drop(&mut self) {
        // SAFETY: By the type invariant, preemption was disabled by this
        // object's `disable()`; this is the matching `preempt_enable()`.
        unsafe { bindings::preempt_enable() };
    }
}
