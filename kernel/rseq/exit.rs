// SPDX-License-Identifier: GPL-2.0

//! Exit to user space work: ID updates, the v2 read-only check, critical
//! section evaluation and the signal delivery fixup.
//!
//! Everything here tolerates running with page faults disabled: a fault
//! makes the operation fail, exactly like the C implementation, and leaves
//! the decision to retry or to kill to the caller.

use kernel::{
    prelude::*,
    rseq::{
        self,
        area,
        cs_desc,
        CurrentRseq,
        Ids,
        Regs,
        Stat, //
    },
};

use crate::{
    cs::{
        self,
        CsContext,
        CsSource,
        Verdict, //
    },
    user,
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

/// A critical section descriptor in user memory.
struct UserCs {
    addr: usize,
}

impl CsSource for UserCs {
    fn start_ip(&mut self) -> Result<u64> {
        user::get_u64(self.addr + cs_desc::START_IP)
    }

    fn post_commit_offset(&mut self) -> Result<u64> {
        user::get_u64(self.addr + cs_desc::POST_COMMIT_OFFSET)
    }

    fn abort_ip(&mut self) -> Result<u64> {
        user::get_u64(self.addr + cs_desc::ABORT_IP)
    }

    fn head(&mut self) -> Result<u64> {
        user::get_u64(self.addr + cs_desc::VERSION)
    }

    fn sig_before(&mut self, abort_ip: u64) -> Result<u32> {
        // `abort_ip` was checked to be at least 4 and below `TASK_SIZE`.
        user::get_u32((abort_ip - size_of::<u32>() as u64) as usize)
    }
}

/// Evaluates the critical section at `csaddr` and applies the verdict.
///
/// Returns `false` on a fault or on invalid data; `fatal` is set for the
/// latter. `csaddr` must be below `TASK_SIZE`.
fn apply_cs(rs: &CurrentRseq, regs: &mut Regs, csaddr: u64, debug: bool) -> bool {
    let ctx = CsContext {
        ip: regs.ip(),
        sig: rs.sig(),
        task_size: rseq::task_size(),
        user_irq: cfg!(CONFIG_GENERIC_IRQ_ENTRY).then(|| rs.user_irq()),
    };
    let mut src = UserCs {
        addr: csaddr as usize,
    };
    let verdict = if debug {
        cs::evaluate_debug(&mut src, &ctx)
    } else {
        cs::evaluate(&mut src, &ctx)
    };
    let clear_cs = || user::put_u64(rs.usrptr() + area::RSEQ_CS, 0).is_ok();

    match verdict {
        Err(_) => false,
        Ok(Verdict::Invalid) => {
            rs.set_fatal();
            false
        }
        Ok(Verdict::Clear) => {
            if !clear_cs() {
                return false;
            }
            rseq::stat_inc(Stat::Clear);
            true
        }
        Ok(Verdict::Abort {
            start_ip,
            offset,
            abort_ip,
        }) => {
            if !clear_cs() {
                return false;
            }
            regs.set_ip(abort_ip);
            rseq::stat_inc(Stat::Fixup);
            rseq::trace_ip_fixup(ctx.ip, start_ip, offset, abort_ip);
            true
        }
    }
}

/// Full critical section validation (`rseq_debug_update_user_cs()`).
///
/// `csaddr` must be below `TASK_SIZE`.
pub(crate) fn debug_update_user_cs(rs: &CurrentRseq, regs: &mut Regs, csaddr: u64) -> bool {
    apply_cs(rs, regs, csaddr, true)
}

/// Evaluates the critical section at `csaddr` (`rseq_update_user_cs()`).
pub(crate) fn update_user_cs(rs: &CurrentRseq, regs: &mut Regs, csaddr: u64) -> bool {
    rseq::stat_inc(Stat::Cs);

    if csaddr >= rseq::task_size() {
        rs.set_fatal();
        return false;
    }
    apply_cs(rs, regs, csaddr, rseq::debug_enabled())
}

/// Validates the read-only fields, writes the new IDs and returns the
/// current `rseq_cs` value (`rseq_set_ids_get_csaddr()`).
///
/// Returns `None` on a fault or on modified read-only fields; `fatal` is
/// set for the latter.
pub(crate) fn set_ids_get_csaddr(rs: &CurrentRseq, ids: &Ids) -> Option<u64> {
    let base = rs.usrptr();
    let v2 = rs.is_v2();

    if rseq::debug_enabled() || v2 {
        let [cpu_id_start, cpu_id] = user::get_u32_pair(base + area::CPU_ID_START).ok()?;
        let [node_id, mm_cid] = user::get_u32_pair(base + area::NODE_ID).ok()?;
        let found = UserIds {
            cpu_id_start,
            cpu_id,
            node_id,
            mm_cid,
        };
        if !ids_unmodified(&found, &rs.ids()) {
            rs.set_fatal();
            return None;
        }
    }

    user::put_u32_pair(base + area::CPU_ID_START, ids.cpu_id, ids.cpu_id).ok()?;
    user::put_u32_pair(base + area::NODE_ID, ids.node_id, ids.mm_cid).ok()?;
    let csaddr = user::get_u64(base + area::RSEQ_CS).ok()?;

    // Only v2 registrations own the slice control word.
    if v2 && rseq::slice_extension_enabled() {
        user::put_u32(base + area::SLICE_CTRL, 0).ok()?;
    }

    rs.slice_clear_grant();
    rs.set_ids(ids);
    rseq::stat_inc(Stat::Ids);
    Some(csaddr)
}

/// Writes new IDs and evaluates the critical section if needed
/// (`rseq_update_usr()`).
pub(crate) fn update_usr(rs: &CurrentRseq, regs: &mut Regs, ids: &Ids) -> bool {
    let Some(csaddr) = set_ids_get_csaddr(rs, ids) else {
        return false;
    };

    // With generic IRQ entry the critical section only needs evaluation when
    // the kernel was entered by an interrupt from user space.
    if cfg!(CONFIG_GENERIC_IRQ_ENTRY) && !rseq::debug_enabled() && !rs.user_irq() {
        return true;
    }
    if csaddr == 0 {
        return true;
    }
    update_user_cs(rs, regs, csaddr)
}

/// The exit to user space fast path (`rseq_exit_user_update()`).
///
/// Runs with interrupts and page faults disabled when `sched_switch` is
/// set. Returns `false` on a fault or on invalid data; the caller then
/// defers to the slow path, which repeats the work with faults enabled.
pub(crate) fn exit_user_update(mut regs: Regs) -> bool {
    let rs = CurrentRseq::get();

    // Only v2 registrations get here without `ids_changed`, and then only
    // after an interrupt from user space.
    if !rs.ids_changed() {
        let base = rs.usrptr();
        let Ok(csaddr) = user::get_u64(base + area::RSEQ_CS) else {
            return false;
        };
        if rs.is_v2()
            && rseq::slice_extension_enabled()
            && user::put_u32(base + area::SLICE_CTRL, 0).is_err()
        {
            return false;
        }
        rs.slice_clear_grant();

        if rseq::debug_enabled() || csaddr != 0 {
            return update_user_cs(&rs, &mut regs, csaddr);
        }
        return true;
    }

    let (cpu_id, mm_cid) = rs.cpu_and_cid();
    let ids = Ids {
        cpu_id,
        mm_cid,
        node_id: rseq::cpu_to_node(cpu_id),
    };
    update_usr(&rs, &mut regs, &ids)
}

/// The slow path, run from `resume_user_mode_work()` with interrupts
/// enabled (`__rseq_handle_slowpath()`).
pub(crate) fn handle_slowpath(regs: Option<Regs>) {
    // Hypervisors call this with no register state before entering the
    // guest; the update happens on the real exit to user space.
    let Some(mut regs) = regs else {
        return;
    };
    let rs = CurrentRseq::get();

    if rs.is_exiting() {
        return;
    }
    rseq::stat_inc(Stat::Slowpath);

    // Consume the event atomically with respect to the scheduler. If the task
    // is preempted after this, the event is raised again and the slow path
    // runs once more before returning to user space.
    let Some((cpu_id, mm_cid)) = rs.take_sched_event() else {
        return;
    };
    let ids = Ids {
        cpu_id,
        mm_cid,
        node_id: rseq::cpu_to_node(cpu_id),
    };

    if !update_usr(&rs, &mut regs, &ids) {
        rs.clear_error();
        rseq::force_sig_segv();
    }
}

/// Evaluates the critical section before a signal frame is set up
/// (`__rseq_signal_deliver()`).
pub(crate) fn signal_deliver(sig: i32, mut regs: Regs) {
    let rs = CurrentRseq::get();

    rseq::stat_inc(Stat::Signal);

    let ok = match user::get_u64(rs.usrptr() + area::RSEQ_CS) {
        Err(_) => false,
        Ok(0) => true,
        Ok(csaddr) => update_user_cs(&rs, &mut regs, csaddr),
    };
    if !ok {
        rs.clear_error();
        rseq::force_sigsegv(sig);
    }

    // Legacy registrations get their IDs rewritten before the handler runs.
    if !rs.is_v2() {
        rs.force_update();
    }
}

/// Kills the task if it returns from a syscall issued inside a critical
/// section (`__rseq_debug_syscall_return()`).
pub(crate) fn debug_syscall_return(mut regs: Regs) {
    let rs = CurrentRseq::get();

    if rs.has_rseq() == 0 {
        return;
    }
    let ok = match user::get_u64(rs.usrptr() + area::RSEQ_CS) {
        Err(_) => false,
        Ok(0) => return,
        Ok(csaddr) if csaddr >= rseq::task_size() => false,
        Ok(csaddr) => debug_update_user_cs(&rs, &mut regs, csaddr),
    };
    if !ok {
        rseq::force_sig_segv();
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
