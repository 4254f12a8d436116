// SPDX-License-Identifier: GPL-2.0

//! Critical section evaluation.
//!
//! Decides whether the interrupted user instruction pointer lies inside the
//! critical section described by a `struct rseq_cs`, and whether the
//! descriptor is acceptable. The descriptor is read lazily through
//! [`CsSource`] in exactly the order of the C implementation, so faults and
//! verdicts match it field for field.
//!
//! The evaluation runs inside an open user access region, so it is inlined
//! into its caller and contains no call and no arithmetic that can panic.

use kernel::prelude::*;

/// Size of the signature that precedes the abort IP.
const SIG_SIZE: u64 = size_of::<u32>() as u64;

/// Reads the fields of one critical section descriptor.
///
/// Each method returns `Err` if the read faults.
pub(crate) trait CsSource {
    /// `rseq_cs::start_ip`.
    fn start_ip(&mut self) -> Result<u64>;
    /// `rseq_cs::post_commit_offset`.
    fn post_commit_offset(&mut self) -> Result<u64>;
    /// `rseq_cs::abort_ip`.
    fn abort_ip(&mut self) -> Result<u64>;
    /// `rseq_cs::version` and `rseq_cs::flags`, read as one `u64`.
    fn head(&mut self) -> Result<u64>;
    /// The `u32` signature stored right before `abort_ip`.
    fn sig_before(&mut self, abort_ip: u64) -> Result<u32>;
    /// The signature the task registered, which must match [`Self::sig_before`].
    ///
    /// Read only when needed, so that the common paths do not keep it in a
    /// register.
    fn registered_sig(&mut self) -> u32;
}

/// The state against which a descriptor is evaluated.
#[derive(Clone, Copy, Debug)]
pub(crate) struct CsContext {
    /// The interrupted user instruction pointer.
    pub(crate) ip: u64,
    /// `TASK_SIZE` of the task.
    pub(crate) task_size: u64,
    /// `Some(user_irq)` when `CONFIG_GENERIC_IRQ_ENTRY` tracks how the kernel
    /// was entered, `None` otherwise. Only [`evaluate_debug`] reads it.
    pub(crate) user_irq: Option<bool>,
}

/// The outcome of evaluating a descriptor.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// The IP is outside the critical section: clear `rseq_cs`.
    Clear,
    /// The IP is inside: clear `rseq_cs` and continue at `abort_ip`.
    Abort {
        /// `rseq_cs::start_ip`.
        start_ip: u64,
        /// `rseq_cs::post_commit_offset`.
        offset: u64,
        /// `rseq_cs::abort_ip`.
        abort_ip: u64,
    },
    /// The descriptor is invalid; the task must be terminated.
    Invalid,
}

/// Whether `ip` lies in `[start_ip, start_ip + offset)`, computed like the C
/// code with wrapping arithmetic (an IP below `start_ip` is outside).
pub(crate) fn ip_inside(ip: u64, start_ip: u64, offset: u64) -> bool {
    ip.wrapping_sub(start_ip) < offset
}

/// Whether `abort_ip` is a user address that leaves room for the signature.
pub(crate) fn abort_ip_valid(abort_ip: u64, task_size: u64) -> bool {
    abort_ip < task_size && abort_ip >= SIG_SIZE
}

/// Minimal evaluation (`rseq_update_user_cs()` with debug mode off).
///
/// Only checks that the abort IP is a user address preceded by the
/// signature. The caller has already checked that the descriptor address
/// is below `TASK_SIZE`.
#[inline(always)]
pub(crate) fn evaluate(src: &mut impl CsSource, ctx: &CsContext) -> Result<Verdict> {
    let start_ip = src.start_ip()?;
    let offset = src.post_commit_offset()?;
    let abort_ip = src.abort_ip()?;

    if !ip_inside(ctx.ip, start_ip, offset) {
        return Ok(Verdict::Clear);
    }
    if !abort_ip_valid(abort_ip, ctx.task_size) {
        return Ok(Verdict::Invalid);
    }
    if src.sig_before(abort_ip)? != src.registered_sig() {
        return Ok(Verdict::Invalid);
    }
    Ok(Verdict::Abort {
        start_ip,
        offset,
        abort_ip,
    })
}

/// Full evaluation (`rseq_debug_update_user_cs()`).
///
/// Validates the whole descriptor and, on generic IRQ entry
/// architectures, rejects a critical section that was interrupted by a
/// syscall instead of an interrupt.
#[inline(always)]
pub(crate) fn evaluate_debug(src: &mut impl CsSource, ctx: &CsContext) -> Result<Verdict> {
    let task_size = ctx.task_size;

    let start_ip = src.start_ip()?;
    if start_ip >= task_size {
        return Ok(Verdict::Invalid);
    }
    if ctx.ip < start_ip {
        return Ok(Verdict::Clear);
    }

    let offset = src.post_commit_offset()?;
    let cs_end = start_ip.wrapping_add(offset);
    if cs_end >= task_size || cs_end < start_ip {
        return Ok(Verdict::Invalid);
    }
    if ctx.ip >= cs_end {
        return Ok(Verdict::Clear);
    }

    let abort_ip = src.abort_ip()?;
    if !abort_ip_valid(abort_ip, task_size) {
        return Ok(Verdict::Invalid);
    }
    // The abort IP must not lie inside the critical section.
    if abort_ip.wrapping_sub(start_ip) < offset {
        return Ok(Verdict::Invalid);
    }
    // `version` and `flags` must be zero.
    if src.head()? != 0 {
        return Ok(Verdict::Invalid);
    }
    if src.sig_before(abort_ip)? != src.registered_sig() {
        return Ok(Verdict::Invalid);
    }
    // A syscall issued from inside a critical section is a bug.
    if ctx.user_irq == Some(false) {
        return Ok(Verdict::Invalid);
    }
    Ok(Verdict::Abort {
        start_ip,
        offset,
        abort_ip,
    })
}

#[cfg(CONFIG_RSEQ_RUST_KUNIT_TEST)]
#[kunit_tests(rust_rseq_cs)]
mod tests {
    use super::*;

    const SIG: u32 = 0x53053053;
    const TASK_SIZE: u64 = 0x7fff_ffff_f000;

    /// An in-memory descriptor that records which fields were read.
    struct Desc {
        head: u64,
        start_ip: u64,
        offset: u64,
        abort_ip: u64,
        sig: u32,
        fault_sig: bool,
        reads: u32,
    }

    impl Desc {
        fn new(start_ip: u64, offset: u64, abort_ip: u64) -> Self {
            Self {
                head: 0,
                start_ip,
                offset,
                abort_ip,
                sig: SIG,
                fault_sig: false,
                reads: 0,
            }
        }
    }

    impl CsSource for Desc {
        fn start_ip(&mut self) -> Result<u64> {
            self.reads += 1;
            Ok(self.start_ip)
        }
        fn post_commit_offset(&mut self) -> Result<u64> {
            self.reads += 1;
            Ok(self.offset)
        }
        fn abort_ip(&mut self) -> Result<u64> {
            self.reads += 1;
            Ok(self.abort_ip)
        }
        fn head(&mut self) -> Result<u64> {
            self.reads += 1;
            Ok(self.head)
        }
        fn sig_before(&mut self, _abort_ip: u64) -> Result<u32> {
            self.reads += 1;
            if self.fault_sig {
                Err(EFAULT)
            } else {
                Ok(self.sig)
            }
        }
        fn registered_sig(&mut self) -> u32 {
            SIG
        }
    }

    fn ctx(ip: u64, user_irq: Option<bool>) -> CsContext {
        CsContext {
            ip,
            task_size: TASK_SIZE,
            user_irq,
        }
    }

    fn abort(start_ip: u64, offset: u64, abort_ip: u64) -> Verdict {
        Verdict::Abort {
            start_ip,
            offset,
            abort_ip,
        }
    }

    #[test]
    fn range_boundaries() {
        assert!(ip_inside(0x1000, 0x1000, 0x10));
        assert!(ip_inside(0x100f, 0x1000, 0x10));
        assert!(!ip_inside(0x1010, 0x1000, 0x10));
        assert!(!ip_inside(0xfff, 0x1000, 0x10));
        assert!(!ip_inside(0x1000, 0x1000, 0));
    }

    #[test]
    fn abort_ip_checks() {
        assert!(!abort_ip_valid(0, TASK_SIZE));
        assert!(!abort_ip_valid(3, TASK_SIZE));
        assert!(abort_ip_valid(4, TASK_SIZE));
        assert!(!abort_ip_valid(TASK_SIZE, TASK_SIZE));
        assert!(abort_ip_valid(TASK_SIZE - 1, TASK_SIZE));
    }

    #[test]
    fn minimal_evaluation() {
        let mut d = Desc::new(0x1000, 0x10, 0x2004);
        assert_eq!(
            evaluate(&mut d, &ctx(0x1008, None)),
            Ok(abort(0x1000, 0x10, 0x2004))
        );
        let mut d = Desc::new(0x1000, 0x10, 0x2004);
        assert_eq!(evaluate(&mut d, &ctx(0x1010, None)), Ok(Verdict::Clear));
        // Abort IP below 4 or in kernel space kills.
        let mut d = Desc::new(0x1000, 0x10, 2);
        assert_eq!(evaluate(&mut d, &ctx(0x1000, None)), Ok(Verdict::Invalid));
        let mut d = Desc::new(0x1000, 0x10, TASK_SIZE);
        assert_eq!(evaluate(&mut d, &ctx(0x1000, None)), Ok(Verdict::Invalid));
        // Signature mismatch kills, a fault is reported as such.
        let mut d = Desc::new(0x1000, 0x10, 0x2004);
        d.sig = SIG + 1;
        assert_eq!(evaluate(&mut d, &ctx(0x1000, None)), Ok(Verdict::Invalid));
        let mut d = Desc::new(0x1000, 0x10, 0x2004);
        d.fault_sig = true;
        assert_eq!(evaluate(&mut d, &ctx(0x1000, None)), Err(EFAULT));
        // Non-debug mode tolerates what debug mode rejects.
        let mut d = Desc::new(0x1000, 0x10, 0x1008);
        d.head = 1;
        assert_eq!(
            evaluate(&mut d, &ctx(0x1000, Some(false))),
            Ok(abort(0x1000, 0x10, 0x1008))
        );
    }

    #[test]
    fn debug_evaluation() {
        // start_ip in kernel space dies even with the IP outside.
        let mut d = Desc::new(TASK_SIZE, 0x10, 0x2004);
        assert_eq!(
            evaluate_debug(&mut d, &ctx(0x10, Some(true))),
            Ok(Verdict::Invalid)
        );
        // IP below start: clear after reading start_ip only.
        let mut d = Desc::new(0x1000, 0x10, 0x2004);
        assert_eq!(
            evaluate_debug(&mut d, &ctx(0xfff, Some(true))),
            Ok(Verdict::Clear)
        );
        assert_eq!(d.reads, 1);
        // Wrapping end dies.
        let mut d = Desc::new(0x1000, u64::MAX, 0x2004);
        assert_eq!(
            evaluate_debug(&mut d, &ctx(0x1000, Some(true))),
            Ok(Verdict::Invalid)
        );
        // IP at the post-commit IP is outside.
        let mut d = Desc::new(0x1000, 0x10, 0x2004);
        assert_eq!(
            evaluate_debug(&mut d, &ctx(0x1010, Some(true))),
            Ok(Verdict::Clear)
        );
        // Abort IP inside the critical section dies.
        let mut d = Desc::new(0x1000, 0x10, 0x1008);
        assert_eq!(
            evaluate_debug(&mut d, &ctx(0x1000, Some(true))),
            Ok(Verdict::Invalid)
        );
        // Non-zero version/flags die.
        let mut d = Desc::new(0x1000, 0x10, 0x2004);
        d.head = 1 << 32;
        assert_eq!(
            evaluate_debug(&mut d, &ctx(0x1000, Some(true))),
            Ok(Verdict::Invalid)
        );
        // A syscall inside the critical section dies on generic IRQ entry.
        let mut d = Desc::new(0x1000, 0x10, 0x2004);
        assert_eq!(
            evaluate_debug(&mut d, &ctx(0x1000, Some(false))),
            Ok(Verdict::Invalid)
        );
        let mut d = Desc::new(0x1000, 0x10, 0x2004);
        assert_eq!(
            evaluate_debug(&mut d, &ctx(0x1000, None)),
            Ok(abort(0x1000, 0x10, 0x2004))
        );
        let mut d = Desc::new(0x1000, 0x10, 0x2004);
        assert_eq!(
            evaluate_debug(&mut d, &ctx(0x1000, Some(true))),
            Ok(abort(0x1000, 0x10, 0x2004))
        );
    }
}
