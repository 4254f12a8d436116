// SPDX-License-Identifier: GPL-2.0

//! Restartable sequences (rseq).
//!
//! Access to the rseq state embedded in `struct task_struct` and to the few
//! pieces of architecture and scheduler state the rseq core needs.
//!
//! The per-task state (`struct rseq_data`) stays defined in C because the
//! scheduler, the entry code, futex, ptrace and the tracepoints access it
//! directly. This module only hands out safe accessors for the current task.
//!
//! C headers: [`include/linux/rseq.h`](srctree/include/linux/rseq.h),
//! [`include/linux/rseq_types.h`](srctree/include/linux/rseq_types.h),
//! [`include/linux/rseq_entry.h`](srctree/include/linux/rseq_entry.h) and
//! [`include/uapi/linux/rseq.h`](srctree/include/uapi/linux/rseq.h).

use crate::{
    bindings,
    ffi::c_int,
    types::NotThreadSafe, //
};
use core::{
    mem::offset_of,
    ptr::{
        addr_of_mut,
        read_volatile,
        write_volatile, //
    },
};

/// Size of the original (legacy) `struct rseq` registration, including padding.
pub const ORIG_RSEQ_SIZE: u32 = 32;

/// `offsetof(struct rseq, end)`: the feature size reported through the
/// `AT_RSEQ_FEATURE_SIZE` auxiliary vector entry.
pub const RSEQ_FEATURE_SIZE: u32 = offset_of!(bindings::rseq, end) as u32;

/// `RSEQ_FLAG_UNREGISTER` (`sys_rseq()` flag).
pub const RSEQ_FLAG_UNREGISTER: i32 = bindings::rseq_flags_RSEQ_FLAG_UNREGISTER as i32;

/// `RSEQ_FLAG_SLICE_EXT_DEFAULT_ON` (`sys_rseq()` flag).
pub const RSEQ_FLAG_SLICE_EXT_DEFAULT_ON: i32 =
    bindings::rseq_flags_RSEQ_FLAG_SLICE_EXT_DEFAULT_ON as i32;

/// `RSEQ_CS_FLAG_SLICE_EXT_AVAILABLE` (bit in `struct rseq::flags`).
pub const RSEQ_CS_FLAG_SLICE_EXT_AVAILABLE: u32 =
    bindings::rseq_cs_flags_RSEQ_CS_FLAG_SLICE_EXT_AVAILABLE;

/// `RSEQ_CS_FLAG_SLICE_EXT_ENABLED` (bit in `struct rseq::flags`).
pub const RSEQ_CS_FLAG_SLICE_EXT_ENABLED: u32 =
    bindings::rseq_cs_flags_RSEQ_CS_FLAG_SLICE_EXT_ENABLED;

/// `RSEQ_CPU_ID_UNINITIALIZED` as stored in the `u32` ID fields.
pub const RSEQ_CPU_ID_UNINITIALIZED: u32 =
    bindings::rseq_cpu_id_state_RSEQ_CPU_ID_UNINITIALIZED as u32;

/// Byte offsets of the fields of the user space `struct rseq`.
pub mod area {
    use super::*;

    /// Offset of `cpu_id_start`.
    pub const CPU_ID_START: usize = offset_of!(bindings::rseq, cpu_id_start);
    /// Offset of `cpu_id`.
    pub const CPU_ID: usize = offset_of!(bindings::rseq, cpu_id);
    /// Offset of `rseq_cs`.
    pub const RSEQ_CS: usize = offset_of!(bindings::rseq, rseq_cs);
    /// Offset of `flags`.
    pub const FLAGS: usize = offset_of!(bindings::rseq, flags);
    /// Offset of `node_id`.
    pub const NODE_ID: usize = offset_of!(bindings::rseq, node_id);
    /// Offset of `mm_cid`.
    pub const MM_CID: usize = offset_of!(bindings::rseq, mm_cid);
    /// Offset of `slice_ctrl`.
    pub const SLICE_CTRL: usize = offset_of!(bindings::rseq, slice_ctrl);
}

/// Byte offsets of the fields of the user space `struct rseq_cs`.
pub mod cs_desc {
    use super::*;

    /// Offset of `version` (followed by `flags`, read together as a `u64`).
    pub const VERSION: usize = offset_of!(bindings::rseq_cs, version);
    /// Offset of `start_ip`.
    pub const START_IP: usize = offset_of!(bindings::rseq_cs, start_ip);
    /// Offset of `post_commit_offset`.
    pub const POST_COMMIT_OFFSET: usize = offset_of!(bindings::rseq_cs, post_commit_offset);
    /// Offset of `abort_ip`.
    pub const ABORT_IP: usize = offset_of!(bindings::rseq_cs, abort_ip);
}

/// The IDs the kernel last wrote to user space (mirror of `struct rseq_ids`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ids {
    /// CPU number.
    pub cpu_id: u32,
    /// Memory map concurrency ID.
    pub mm_cid: u32,
    /// NUMA node of `cpu_id`.
    pub node_id: u32,
}

/// The rseq state of the current task.
///
/// # Invariants
///
/// `task` points to the `task_struct` of the current task, and the value is
/// only used from that task's context (it is `!Send` and `!Sync`).
pub struct CurrentRseq {
    task: *mut bindings::task_struct,
    _not_send: NotThreadSafe,
}

/// Reads a field of `struct rseq_event` once, like `READ_ONCE()`.
macro_rules! event_read {
    ($self:ident, $($field:tt)+) => {{
        let data = $self.data();
        // SAFETY: `data` is valid per the type invariant. The event bytes are
        // only modified by this task or by interrupts on this CPU, so a
        // volatile byte read observes a consistent value.
        unsafe { read_volatile(addr_of_mut!((*data).event.__bindgen_anon_1.$($field)+)) }
    }};
}

/// Writes a field of `struct rseq_event` once, like `WRITE_ONCE()`.
macro_rules! event_write {
    ($self:ident, $val:expr, $($field:tt)+) => {{
        let data = $self.data();
        // SAFETY: `data` is valid per the type invariant. Concurrent writers
        // are interrupts on this CPU; they only set bits this task's exit
        // path clears, exactly as the C implementation does.
        unsafe { write_volatile(addr_of_mut!((*data).event.__bindgen_anon_1.$($field)+), $val) }
    }};
}

impl CurrentRseq {
    /// Returns the rseq state of the current task.
    #[inline]
    pub fn get() -> Self {
        // INVARIANT: `get_current()` returns the current task, and the
        // `NotThreadSafe` marker keeps the value in this task's context.
        Self {
            // SAFETY: Calling `get_current()` is always safe in task context.
            task: unsafe { bindings::get_current() },
            _not_send: NotThreadSafe,
        }
    }

    #[inline]
    fn data(&self) -> *mut bindings::rseq_data {
        // SAFETY: `self.task` is valid per the type invariant.
        unsafe { addr_of_mut!((*self.task).rseq) }
    }

    /// Address of the registered user space area, 0 if not registered.
    #[inline]
    pub fn usrptr(&self) -> usize {
        // SAFETY: `data()` is valid; only this task writes `usrptr`.
        unsafe { (*self.data()).usrptr as usize }
    }

    /// Registered length of the user space area.
    #[inline]
    pub fn rseq_len(&self) -> u32 {
        // SAFETY: `data()` is valid; only this task writes `len`.
        unsafe { (*self.data()).len }
    }

    /// Registered abort signature.
    #[inline]
    pub fn sig(&self) -> u32 {
        // SAFETY: `data()` is valid; only this task writes `sig`.
        unsafe { (*self.data()).sig }
    }

    /// Registered ABI version (`rseq_event::has_rseq`): 0 when unregistered,
    /// 1 for legacy and 2 for the optimized v2 ABI.
    #[inline]
    pub fn has_rseq(&self) -> u8 {
        event_read!(self, __bindgen_anon_1.has_rseq)
    }

    /// Whether the task uses the optimized v2 ABI (`rseq_v2()`).
    #[inline]
    pub fn is_v2(&self) -> bool {
        // SAFETY: `self.task` is valid per the type invariant.
        unsafe { bindings::rseq_v2(self.task) }
    }

    /// Whether the kernel was entered by an interrupt from user mode.
    #[inline]
    pub fn user_irq(&self) -> bool {
        event_read!(
            self,
            __bindgen_anon_1.__bindgen_anon_1.__bindgen_anon_1.user_irq
        ) != 0
    }

    /// Whether a scheduler event is pending (`rseq_event::sched_switch`).
    #[inline]
    pub fn sched_switch(&self) -> bool {
        event_read!(
            self,
            __bindgen_anon_1
                .__bindgen_anon_1
                .__bindgen_anon_1
                .sched_switch
        ) != 0
    }

    /// Whether the IDs must be updated (`rseq_event::ids_changed`).
    #[inline]
    pub fn ids_changed(&self) -> bool {
        event_read!(
            self,
            __bindgen_anon_1
                .__bindgen_anon_1
                .__bindgen_anon_1
                .ids_changed
        ) != 0
    }

    /// Marks the user space data as invalid (`rseq_event::fatal`).
    #[inline]
    pub fn set_fatal(&self) {
        event_write!(
            self,
            1,
            __bindgen_anon_1.__bindgen_anon_2.__bindgen_anon_1.fatal
        );
    }

    /// Clears `rseq_event::error` (`fatal` and `slowpath`).
    #[inline]
    pub fn clear_error(&self) {
        event_write!(self, 0, __bindgen_anon_1.__bindgen_anon_2.error);
    }

    /// Whether the current task is exiting (`PF_EXITING`).
    #[inline]
    pub fn is_exiting(&self) -> bool {
        // SAFETY: `self.task` is valid; `flags` is only written by the task
        // itself.
        let flags = unsafe { (*self.task).flags };
        flags & bindings::PF_EXITING != 0
    }

    /// Returns the IDs cached in `rseq_data::ids`.
    #[inline]
    pub fn ids(&self) -> Ids {
        let data = self.data();
        // SAFETY: `data` is valid; the cache is only written by this task.
        let ids = unsafe { (*data).ids };
        // SAFETY: Both views of the `cpu_cid` union are plain integers.
        let cpu_cid = unsafe { ids.__bindgen_anon_1.__bindgen_anon_1 };
        Ids {
            cpu_id: cpu_cid.cpu_id,
            mm_cid: cpu_cid.mm_cid,
            node_id: ids.node_id,
        }
    }

    /// Stores `ids` in the `rseq_data::ids` cache and emits the
    /// `rseq_update` tracepoint.
    #[inline]
    pub fn set_ids(&self, ids: &Ids) {
        let data = self.data();
        // SAFETY: `data` is valid; the cache is only written by this task.
        unsafe {
            (*data).ids.__bindgen_anon_1.__bindgen_anon_1.cpu_id = ids.cpu_id;
            (*data).ids.__bindgen_anon_1.__bindgen_anon_1.mm_cid = ids.mm_cid;
            (*data).ids.node_id = ids.node_id;
        }
        // SAFETY: `self.task` and the embedded `ids` are valid.
        unsafe { bindings::rseq_trace_update(self.task, addr_of_mut!((*data).ids)) };
    }

    /// Activates a registration and forces an ID update on return to user
    /// space.
    ///
    /// `version` is stored in `rseq_event::has_rseq` and must be 1 or 2.
    pub fn activate(&self, usrptr: usize, len: u32, sig: u32, version: u8, slice_enabled: bool) {
        let data = self.data();
        // SAFETY: `data` is valid and these fields are only written by the
        // task itself.
        unsafe {
            (*data).usrptr = usrptr as *mut bindings::rseq;
            (*data).len = len;
            (*data).sig = sig;
        }
        #[cfg(CONFIG_RSEQ_SLICE_EXTENSION)]
        // SAFETY: `data` is valid; `slice.state.enabled` is only written by
        // the task itself.
        unsafe {
            (*data).slice.state.__bindgen_anon_1.enabled = u8::from(slice_enabled);
        }
        #[cfg(not(CONFIG_RSEQ_SLICE_EXTENSION))]
        let _ = slice_enabled;
        event_write!(self, version, __bindgen_anon_1.has_rseq);
        // SAFETY: Called from the current task.
        unsafe { bindings::rseq_force_update() };
    }

    /// Forces an ID update on the next return to user space
    /// (`rseq_force_update()`).
    #[inline]
    pub fn force_update(&self) {
        // SAFETY: Called from the current task.
        unsafe { bindings::rseq_force_update() };
    }

    /// Drops the registration and resets all state (`rseq_reset()`).
    #[inline]
    pub fn reset(&self) {
        // SAFETY: `self.task` is valid per the type invariant.
        unsafe { bindings::rseq_reset(self.task) };
    }

    /// Clears a granted time slice extension (`rseq_slice_clear_grant()`).
    #[inline]
    pub fn slice_clear_grant(&self) {
        // SAFETY: `self.task` is valid per the type invariant.
        unsafe { bindings::rseq_slice_clear_grant(self.task) };
    }

    /// Consumes the pending scheduler event for the slow path.
    ///
    /// With interrupts disabled, reads `sched_switch`, clears all event and
    /// error bits except `has_rseq` and `user_irq`, and snapshots the CPU and
    /// MM CID. Returns `None` if no scheduler event was pending.
    pub fn take_sched_event(&self) -> Option<(u32, u32)> {
        let _irq = crate::interrupt::local_interrupt_disable();
        let event = self.sched_switch();
        let keep_irq = self.user_irq();
        let data = self.data();
        // SAFETY: `data` is valid, and interrupts are disabled so the scheduler
        // and IPIs cannot modify the event concurrently on this CPU.
        unsafe {
            let ev = addr_of_mut!((*data).event.__bindgen_anon_1);
            let has_rseq = read_volatile(addr_of_mut!((*ev).__bindgen_anon_1.has_rseq));
            write_volatile(addr_of_mut!((*ev).all), 0);
            write_volatile(addr_of_mut!((*ev).__bindgen_anon_1.has_rseq), has_rseq);
            write_volatile(
                addr_of_mut!(
                    (*ev)
                        .__bindgen_anon_1
                        .__bindgen_anon_1
                        .__bindgen_anon_1
                        .user_irq
                ),
                u8::from(keep_irq),
            );
        }
        let (cpu, cid) = self.cpu_and_cid();
        event.then_some((cpu, cid))
    }

    /// Returns the CPU the task runs on and its MM CID (`task_cpu()`,
    /// `task_mm_cid()`).
    ///
    /// The values are only stable while interrupts are disabled.
    #[inline]
    pub fn cpu_and_cid(&self) -> (u32, u32) {
        // SAFETY: `self.task` is valid per the type invariant.
        let cpu = unsafe { bindings::task_cpu(self.task) };
        // SAFETY: `self.task` is valid per the type invariant.
        let cid = unsafe { bindings::task_mm_cid(self.task) } as u32;
        (cpu, cid)
    }
}

/// Register state of the interrupted user context.
///
/// # Invariants
///
/// `regs` points to the valid `struct pt_regs` of the current task's user
/// context for the lifetime of the value, and is only used from that task.
pub struct Regs {
    regs: *mut bindings::pt_regs,
    _not_send: NotThreadSafe,
}

impl Regs {
    /// Wraps a raw `struct pt_regs` pointer; returns `None` for NULL.
    ///
    /// # Safety
    ///
    /// A non-NULL `regs` must point to the current task's user register state
    /// and stay valid while the returned value is in use.
    #[inline]
    pub unsafe fn from_raw(regs: *mut bindings::pt_regs) -> Option<Self> {
        if regs.is_null() {
            return None;
        }
        // INVARIANT: Guaranteed by the caller.
        Some(Self {
            regs,
            _not_send: NotThreadSafe,
        })
    }

    /// Returns the user instruction pointer.
    #[inline]
    pub fn ip(&self) -> u64 {
        // SAFETY: `self.regs` is valid per the type invariant.
        unsafe { bindings::instruction_pointer(self.regs) as u64 }
    }

    /// Sets the user instruction pointer.
    #[inline]
    pub fn set_ip(&mut self, ip: u64) {
        // SAFETY: `self.regs` is valid per the type invariant.
        unsafe { bindings::instruction_pointer_set(self.regs, ip as usize) };
    }
}

/// Returns whether `[addr, addr + len)` is a valid user range (`access_ok()`).
#[inline]
pub fn access_ok(addr: usize, len: usize) -> bool {
    // SAFETY: `access_ok()` only checks the range, it does not access it.
    unsafe { bindings::rseq_access_ok(addr as *const _, len) }
}

/// The alignment required for registrations larger than [`ORIG_RSEQ_SIZE`]
/// (`rseq_alloc_align()`).
#[inline]
pub fn alloc_align() -> u32 {
    // SAFETY: Pure computation on constants.
    unsafe { bindings::rseq_alloc_align() }
}

/// Whether the time slice extension static key is enabled.
#[inline]
pub fn slice_extension_enabled() -> bool {
    // SAFETY: Reading a static key is always safe.
    unsafe { bindings::rseq_slice_extension_enabled() }
}

/// Whether rseq debug mode is enabled (`rseq_debug_enabled` static key).
#[inline]
pub fn debug_enabled() -> bool {
    // SAFETY: Reading a static key is always safe.
    unsafe { bindings::rseq_debug_is_enabled() }
}

/// The user address space limit of the current task (`TASK_SIZE`).
#[inline]
pub fn task_size() -> u64 {
    // SAFETY: `TASK_SIZE` only reads the current task's personality.
    unsafe { bindings::rseq_task_size() as u64 }
}

/// NUMA node of `cpu` (`cpu_to_node()`).
#[inline]
pub fn cpu_to_node(cpu: u32) -> u32 {
    // SAFETY: `cpu` comes from `task_cpu()` and is a valid CPU number.
    unsafe { bindings::rseq_cpu_to_node(cpu as c_int) as u32 }
}

/// Sends `SIGSEGV` to the current task (`force_sig(SIGSEGV)`).
#[inline]
pub fn force_sig_segv() {
    // SAFETY: Sending a signal to the current task is always safe.
    unsafe { bindings::force_sig(bindings::SIGSEGV as c_int) };
}

/// Forces `SIGSEGV` while delivering signal `sig` (`force_sigsegv()`).
#[inline]
pub fn force_sigsegv(sig: i32) {
    // SAFETY: Sending a signal to the current task is always safe.
    unsafe { bindings::force_sigsegv(sig) };
}

/// Emits the `rseq_ip_fixup` tracepoint if enabled.
#[inline]
pub fn trace_ip_fixup(ip: u64, start_ip: u64, offset: u64, abort_ip: u64) {
    // SAFETY: The tracepoint only records the values.
    unsafe {
        bindings::rseq_trace_ip_fixup(
            ip as usize,
            start_ip as usize,
            offset as usize,
            abort_ip as usize,
        )
    };
}

/// rseq statistics counters (`struct rseq_stats`).
#[derive(Clone, Copy, Debug)]
pub enum Stat {
    /// Signal deliveries processed.
    Signal,
    /// Slow path invocations.
    Slowpath,
    /// Fast path invocations with a pending event.
    Fastpath,
    /// ID updates.
    Ids,
    /// Critical section evaluations.
    Cs,
    /// Lazy critical section clears.
    Clear,
    /// Aborts to the abort IP.
    Fixup,
}

/// Increments a per-CPU statistics counter (no-op without
/// `CONFIG_RSEQ_STATS`).
#[inline]
pub fn stat_inc(stat: Stat) {
    #[cfg(CONFIG_RSEQ_STATS)]
    // SAFETY: `this_cpu_inc()` on a per-CPU counter is safe in any context.
    unsafe {
        match stat {
            Stat::Signal => bindings::rseq_stat_inc_signal(),
            Stat::Slowpath => bindings::rseq_stat_inc_slowpath(),
            Stat::Fastpath => bindings::rseq_stat_inc_fastpath(),
            Stat::Ids => bindings::rseq_stat_inc_ids(),
            Stat::Cs => bindings::rseq_stat_inc_cs(),
            Stat::Clear => bindings::rseq_stat_inc_clear(),
            Stat::Fixup => bindings::rseq_stat_inc_fixup(),
        }
    }
    #[cfg(not(CONFIG_RSEQ_STATS))]
    let _ = stat;
}

/// The C `struct rseq` user area type, for `#[export]` signatures only.
pub type RawUserArea = bindings::rseq;

/// The C `struct pt_regs` type, for `#[export]` signatures only.
pub type RawRegs = bindings::pt_regs;

/// The C `struct task_struct` type, for `#[export]` signatures only.
pub type RawTask = bindings::task_struct;
