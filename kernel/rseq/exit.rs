// SPDX-License-Identifier: GPL-2.0

//! Exit to user space work: ID updates, the v2 read-only check, critical
//! section evaluation and the signal delivery fixup.
//!
//! Everything here tolerates running with page faults disabled: a fault
//! makes the operation fail, exactly like the C implementation, and leaves
//! the decision to retry or to kill to the caller.

use kernel::{
    interrupt::local_interrupt_disable,
    prelude::*,
    ptrace::Regs,
    rseq::{
        self,
        area,
        cs_desc,
        CurrentRseq,
        Ids,
        RawUserArea,
        Stat, //
    },
    signal::{
        self,
        Signal, //
    },
    uaccess::{
        UserAccess,
        UserPtr, //
    },
};

use crate::cs::{
    self,
    CsContext,
    CsSource,
    Verdict, //
};

/// The ID fields user space must not modify, as read from the rseq area.
#[derive(Clone, Copy, Debug)]
pub(crate) struct UserIds {
    /// `rseq::cpu_id_start`.
    pub(crate) cpu_id_start: u32,
    /// `rseq::cpu_id`.
    pub(crate) cpu_id: u32,
    /// `rseq::node_id`.
    pub(crate) node_id: u32,
    /// `rseq::mm_cid`.
    pub(crate) mm_cid: u32,
}

/// Whether the read-only ID fields still hold what the kernel wrote last.
pub(crate) fn ids_unmodified(user: &UserIds, cache: &Ids) -> bool {
    user.cpu_id_start == cache.cpu_id
        && user.cpu_id == user.cpu_id_start
        && user.node_id == cache.node_id
        && user.mm_cid == cache.mm_cid
}

/// Size of the user space `struct rseq` that a region opens.
const AREA_SIZE: usize = size_of::<RawUserArea>();

/// A critical section descriptor, read through an open user access region.
struct UserCs<'a> {
    ua: &'a UserAccess,
    rs: &'a CurrentRseq,
}

impl CsSource for UserCs<'_> {
    #[inline(always)]
    fn start_ip(&mut self) -> Result<u64> {
        self.ua.get(cs_desc::START_IP)
    }

    #[inline(always)]
    fn post_commit_offset(&mut self) -> Result<u64> {
        self.ua.get(cs_desc::POST_COMMIT_OFFSET)
    }

    #[inline(always)]
    fn abort_ip(&mut self) -> Result<u64> {
        self.ua.get(cs_desc::ABORT_IP)
    }

    #[inline(always)]
    fn head(&mut self) -> Result<u64> {
        self.ua.get(cs_desc::VERSION)
    }

    #[inline(always)]
    fn sig_before(&mut self, abort_ip: u64) -> Result<u32> {
        // CAST: `abort_ip` was checked to be at least 4 and below `TASK_SIZE`,
        // so it fits in a `usize` and the subtraction does not wrap.
        let ptr = UserPtr::from_addr(abort_ip.wrapping_sub(size_of::<u32>() as u64) as usize);
        self.ua.get_at(ptr)
    }

    #[inline(always)]
    fn registered_sig(&mut self) -> u32 {
        self.rs.sig()
    }
}

/// Evaluates the descriptor at `csaddr` and clears `rseq_cs` unless the
/// descriptor is invalid, all in one user access region.
///
/// The task fields it needs (signature, area address) are read where they
/// are used, inside the region, as in C, rather than held in registers.
///
/// Returns the verdict and whether `rseq_cs` was cleared.
#[inline(always)]
fn evaluate_in_region(
    rs: &CurrentRseq,
    csaddr: usize,
    ctx: &CsContext,
    debug: bool,
) -> Result<(Verdict, bool)> {
    let ua = UserAccess::new(UserPtr::from_addr(csaddr), cs_desc::SIZE)?;
    let mut src = UserCs { ua: &ua, rs };
    let verdict = if debug {
        cs::evaluate_debug(&mut src, ctx)?
    } else {
        cs::evaluate(&mut src, ctx)?
    };
    let cleared = match verdict {
        Verdict::Invalid => false,
        Verdict::Clear | Verdict::Abort { .. } => ua
            .put_at(rs.area_ptr().wrapping_byte_add(area::RSEQ_CS), 0u64)
            .is_ok(),
    };
    Ok((verdict, cleared))
}

/// Evaluates the critical section at `csaddr` and applies the verdict.
///
/// Returns `false` on a fault or on invalid data; `fatal` is set for the
/// latter. `csaddr` must be below `task_size`.
#[inline(always)]
fn apply_cs(rs: CurrentRseq, mut regs: Regs, csaddr: usize, task_size: u64, debug: bool) -> bool {
    let ctx = CsContext {
        // CAST: `unsigned long` fits in a `u64`.
        ip: regs.ip() as u64,
        task_size,
        // Only the debug evaluation looks at it: no load otherwise.
        user_irq: (debug && cfg!(CONFIG_GENERIC_IRQ_ENTRY)).then(|| rs.user_irq()),
    };

    match evaluate_in_region(&rs, csaddr, &ctx, debug) {
        Err(_) => false,
        Ok((Verdict::Invalid, _)) => {
            rs.set_fatal();
            false
        }
        Ok((_, false)) => false,
        Ok((Verdict::Clear, true)) => {
            rseq::stat_inc(Stat::Clear);
            true
        }
        Ok((
            Verdict::Abort {
                start_ip,
                offset,
                abort_ip,
            },
            true,
        )) => {
            // CAST: `abort_ip` is below `TASK_SIZE`, so it fits in an `unsigned long`.
            regs.set_ip(abort_ip as usize);
            rseq::stat_inc(Stat::Fixup);
            rseq::trace_ip_fixup(ctx.ip, start_ip, offset, abort_ip);
            true
        }
    }
}

/// `TASK_SIZE` of the task, as a `u64` like the descriptor fields.
#[inline(always)]
fn task_size(rs: &CurrentRseq) -> u64 {
    // CAST: `usize` fits in a `u64`.
    rs.task().task_size() as u64
}

/// Full critical section validation (`rseq_debug_update_user_cs()`).
///
/// `csaddr` must be below `TASK_SIZE`.
#[inline(always)]
pub(crate) fn debug_update_user_cs(rs: CurrentRseq, regs: Regs, csaddr: usize) -> bool {
    debug_update_cs(rs, regs, csaddr, task_size(&rs))
}

/// [`debug_update_user_cs`] for callers that already know `task_size`.
#[inline(never)]
fn debug_update_cs(rs: CurrentRseq, regs: Regs, csaddr: usize, task_size: u64) -> bool {
    apply_cs(rs, regs, csaddr, task_size, true)
}

/// Evaluates the critical section at `csaddr` (`rseq_update_user_cs()`).
///
/// Like C, which passes the address as an `unsigned long`, this sees only the
/// low word of `rseq_cs` on 32-bit kernels. Out of line, as the C slow path
/// has it: only a critical section that may need an abort gets here. The
/// arguments come in the order of [`exit_user_update`]'s, which tail-calls it.
#[inline(never)]
pub(crate) fn update_user_cs(regs: Regs, rs: CurrentRseq, csaddr: u64) -> bool {
    // CAST: Truncates to `unsigned long` on 32-bit, as in C.
    let csaddr = csaddr as usize;
    let task_size = task_size(&rs);

    rseq::stat_inc(Stat::Cs);

    // CAST: `usize` fits in a `u64`.
    if csaddr as u64 >= task_size {
        rs.set_fatal();
        return false;
    }
    if rseq::debug_enabled() {
        return debug_update_cs(rs, regs, csaddr, task_size);
    }
    apply_cs(rs, regs, csaddr, task_size, false)
}

/// The user accesses of the ID update, in one region: the read-only check
/// against `cache` if given, the four ID stores, the `rseq_cs` load and, if
/// `clear_slice`, the `slice_ctrl` store.
///
/// Returns `Ok(None)` if the read-only fields were modified.
#[inline(always)]
fn update_ids_in_region(
    area: UserPtr,
    cache: Option<Ids>,
    ids: &Ids,
    clear_slice: bool,
) -> Result<Option<u64>> {
    let ua = UserAccess::new(area, AREA_SIZE)?;
    if let Some(cache) = cache {
        let found = UserIds {
            cpu_id_start: ua.get(area::CPU_ID_START)?,
            cpu_id: ua.get(area::CPU_ID)?,
            node_id: ua.get(area::NODE_ID)?,
            mm_cid: ua.get(area::MM_CID)?,
        };
        if !ids_unmodified(&found, &cache) {
            return Ok(None);
        }
    }
    ua.put(area::CPU_ID_START, ids.cpu_id)?;
    ua.put(area::CPU_ID, ids.cpu_id)?;
    ua.put(area::NODE_ID, ids.node_id)?;
    ua.put(area::MM_CID, ids.mm_cid)?;
    let csaddr = ua.get(area::RSEQ_CS)?;
    if clear_slice {
        ua.put(area::SLICE_CTRL, 0u32)?;
    }
    Ok(Some(csaddr))
}

/// Validates the read-only fields, writes the new IDs and returns the
/// current `rseq_cs` value (`rseq_set_ids_get_csaddr()`).
///
/// Returns `None` on a fault or on modified read-only fields; `fatal` is
/// set for the latter. The caller emits the `rseq_update` tracepoint.
#[inline(always)]
pub(crate) fn set_ids_get_csaddr(rs: &CurrentRseq, ids: &Ids) -> Option<u64> {
    let v2 = rs.is_v2();
    // Legacy registrations skip the check unless in debug mode: read the
    // cache only when needed.
    let check = rseq::debug_enabled() || v2;
    // Only v2 registrations own the slice control word.
    let clear_slice = v2 && rseq::slice_extension_enabled();
    set_ids_get_csaddr_as(rs, ids, check, clear_slice)
}

/// [`set_ids_get_csaddr`] with the read-only check and the slice control
/// store chosen by the caller.
#[inline(always)]
fn set_ids_get_csaddr_as(
    rs: &CurrentRseq,
    ids: &Ids,
    check: bool,
    clear_slice: bool,
) -> Option<u64> {
    let area = rs.area_ptr();
    let check = check.then(|| rs.ids());

    match update_ids_in_region(area, check, ids, clear_slice) {
        Err(_) => None,
        Ok(None) => {
            rs.set_fatal();
            None
        }
        Ok(Some(csaddr)) => {
            rs.slice_clear_grant();
            rs.set_ids(ids);
            rseq::stat_inc(Stat::Ids);
            Some(csaddr)
        }
    }
}

/// The part of [`update_usr`] after the ID update: evaluates the critical
/// section if needed.
#[inline(always)]
fn update_usr_cs(regs: Regs, rs: CurrentRseq, csaddr: u64) -> bool {
    // With generic IRQ entry the critical section only needs evaluation when
    // the kernel was entered by an interrupt from user space.
    if cfg!(CONFIG_GENERIC_IRQ_ENTRY) && !rseq::debug_enabled() && !rs.user_irq() {
        return true;
    }
    if csaddr == 0 {
        return true;
    }
    update_user_cs(regs, rs, csaddr)
}

/// Emits the `rseq_update` tracepoint, then finishes [`update_usr`].
///
/// Out of line, so that the fast path makes no call while the tracepoint is
/// off and needs no callee-saved register. It takes everything by value: the
/// fast path tail-calls it and keeps nothing on the stack.
#[cold]
#[inline(never)]
fn update_usr_cs_traced(regs: Regs, rs: CurrentRseq, csaddr: u64) -> bool {
    rs.trace_update();
    update_usr_cs(regs, rs, csaddr)
}

/// Writes new IDs and evaluates the critical section if needed
/// (`rseq_update_usr()`).
///
/// Inlined into the fast path, as in C: it runs after every context switch
/// of a legacy registration.
#[inline(always)]
pub(crate) fn update_usr(rs: &CurrentRseq, regs: Regs, ids: &Ids) -> bool {
    let Some(csaddr) = set_ids_get_csaddr(rs, ids) else {
        return false;
    };
    update_usr_tail(regs, *rs, csaddr)
}

/// The rest of [`update_usr`] after the ID update.
#[inline(always)]
fn update_usr_tail(regs: Regs, rs: CurrentRseq, csaddr: u64) -> bool {
    if rseq::trace_update_enabled() {
        return update_usr_cs_traced(regs, rs, csaddr);
    }
    update_usr_cs(regs, rs, csaddr)
}

/// [`update_usr`] for a legacy registration without debug mode: no
/// read-only check and no slice control word. This is the update after
/// every context switch of a legacy task, so it stays inline in the fast
/// path, where it needs only call-clobbered registers.
#[inline(always)]
fn update_usr_legacy(regs: Regs, rs: CurrentRseq, ids: &Ids) -> bool {
    let Some(csaddr) = set_ids_get_csaddr_as(&rs, ids, false, false) else {
        return false;
    };
    update_usr_tail(regs, rs, csaddr)
}

/// The `rseq_cs` load and, if `may_clear_slice` and the registration owns
/// the slice control word (v2, slice extensions enabled), the `slice_ctrl`
/// store, in one region.
///
/// The slice condition is tested inside the region, as in C: a byte load
/// and a static branch, no call, and no flag kept in a register.
#[inline(always)]
fn get_csaddr_in_region(rs: &CurrentRseq, may_clear_slice: bool) -> Result<u64> {
    let ua = UserAccess::new(rs.area_ptr(), AREA_SIZE)?;
    let csaddr = ua.get(area::RSEQ_CS)?;
    if may_clear_slice && rs.is_v2() && rseq::slice_extension_enabled() {
        ua.put(area::SLICE_CTRL, 0u32)?;
    }
    Ok(csaddr)
}

/// The IDs of the CPU the task runs on.
///
/// Interrupts must be disabled for a consistent snapshot.
fn current_ids(rs: &CurrentRseq) -> Ids {
    let cpu = rs.cpu();
    Ids {
        cpu_id: cpu.as_u32(),
        mm_cid: rs.mm_cid(),
        // CAST: The C code stores the `int` node in a `u32` field.
        node_id: cpu.to_node() as u32,
    }
}

/// The exit to user space fast path (`rseq_exit_user_update()`).
///
/// Runs with interrupts and page faults disabled when `sched_switch` is
/// set. Returns `false` on a fault or on invalid data; the caller then
/// defers to the slow path, which repeats the work with faults enabled.
#[inline(always)]
pub(crate) fn exit_user_update(regs: Regs, rs: CurrentRseq) -> bool {
    // Only v2 registrations get here without `ids_changed`, and then only
    // after an interrupt from user space.
    if !rs.ids_changed() {
        let Ok(csaddr) = get_csaddr_in_region(&rs, true) else {
            return false;
        };
        rs.slice_clear_grant();

        if rseq::debug_enabled() || csaddr != 0 {
            return update_user_cs(regs, rs, csaddr);
        }
        return true;
    }

    // Legacy registrations get here after every context switch. Without
    // debug mode they need neither the read-only check nor the slice control
    // word, which keeps this path small enough for call-clobbered registers.
    if rs.is_v2() || rseq::debug_enabled() {
        return exit_ids_changed(regs, rs);
    }
    update_usr_legacy(regs, rs, &current_ids(&rs))
}

/// The checked ID update of [`exit_user_update`] (v2, or debug mode), out of
/// line.
///
/// Keeps the register pressure of the read-only check out of the caller, so
/// that the other paths save no register.
#[inline(never)]
fn exit_ids_changed(regs: Regs, rs: CurrentRseq) -> bool {
    update_usr(&rs, regs, &current_ids(&rs))
}

/// The slow path, run from `resume_user_mode_work()` with interrupts
/// enabled (`__rseq_handle_slowpath()`).
pub(crate) fn handle_slowpath(rs: &CurrentRseq, regs: Option<Regs>) {
    // Hypervisors call this with no register state before entering the
    // guest; the update happens on the real exit to user space.
    let Some(regs) = regs else {
        return;
    };

    if rs.task().is_exiting() {
        return;
    }
    rseq::stat_inc(Stat::Slowpath);

    // Consume the event atomically with respect to the scheduler. If the task
    // is preempted after this, the event is raised again and the slow path
    // runs once more before returning to user space.
    let (event, ids) = {
        let _irq = local_interrupt_disable();
        let event = rs.sched_switch();
        rs.clear_events(rs.user_irq());
        (event, current_ids(rs))
    };
    if !event {
        return;
    }

    if !update_usr(rs, regs, &ids) {
        rs.clear_error();
        signal::force_sig(Signal::SIGSEGV);
    }
}

/// Reads `rseq_cs` of the registered area.
fn get_csaddr(rs: &CurrentRseq) -> Result<u64> {
    get_csaddr_in_region(rs, false)
}

/// Evaluates the critical section before a signal frame is set up
/// (`__rseq_signal_deliver()`).
pub(crate) fn signal_deliver(rs: &CurrentRseq, sig: Signal, regs: Regs) {
    rseq::stat_inc(Stat::Signal);

    let ok = match get_csaddr(rs) {
        Err(_) => false,
        Ok(0) => true,
        Ok(csaddr) => update_user_cs(regs, *rs, csaddr),
    };
    if !ok {
        rs.clear_error();
        signal::force_sigsegv(sig);
    }

    // Legacy registrations get their IDs rewritten before the handler runs.
    if !rs.is_v2() {
        rs.force_update();
    }
}

/// Kills the task if it returns from a syscall issued inside a critical
/// section (`__rseq_debug_syscall_return()`).
pub(crate) fn debug_syscall_return(rs: &CurrentRseq, regs: Regs) {
    if rs.version().is_none() {
        return;
    }
    let ok = match get_csaddr(rs) {
        Err(_) => false,
        Ok(0) => return,
        Ok(csaddr) => {
            let task_size = task_size(rs);
            // The range check sees all 64 bits, as in C.
            // CAST: Truncates to `unsigned long` on 32-bit, as in C.
            csaddr < task_size && debug_update_cs(*rs, regs, csaddr as usize, task_size)
        }
    };
    if !ok {
        signal::force_sig(Signal::SIGSEGV);
    }
}

#[cfg(CONFIG_RSEQ_RUST_KUNIT_TEST)]
#[kunit_tests(rust_rseq_readonly)]
mod tests {
    use super::*;

    const CACHE: Ids = Ids {
        cpu_id: 3,
        mm_cid: 1,
        node_id: 0,
    };

    fn found(cpu_id_start: u32, cpu_id: u32, node_id: u32, mm_cid: u32) -> UserIds {
        UserIds {
            cpu_id_start,
            cpu_id,
            node_id,
            mm_cid,
        }
    }

    #[test]
    fn readonly_fields() {
        assert!(ids_unmodified(&found(3, 3, 0, 1), &CACHE));
        assert!(!ids_unmodified(&found(u32::MAX, 3, 0, 1), &CACHE));
        assert!(!ids_unmodified(&found(3, 4, 0, 1), &CACHE));
        assert!(!ids_unmodified(&found(3, 3, 1, 1), &CACHE));
        assert!(!ids_unmodified(&found(3, 3, 0, 0), &CACHE));
    }

    #[test]
    fn readonly_after_registration() {
        // Registration writes -1/-1/0/0 and the reset cache matches it.
        let reset = Ids {
            cpu_id: u32::MAX,
            mm_cid: 0,
            node_id: 0,
        };
        assert!(ids_unmodified(&found(u32::MAX, u32::MAX, 0, 0), &reset));
    }
}
