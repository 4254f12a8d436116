// SPDX-License-Identifier: GPL-2.0

//! Restartable sequences (rseq).
//!
//! Access to the rseq state embedded in `struct task_struct` and to the few
//! pieces of architecture and scheduler state the rseq core needs.
//!
//! The per-task state (`struct rseq_data`) stays defined in C because the
//! scheduler, the entry code, futex, ptrace and the tracepoints access it
//! directly. This module only hands out accessors for the current task, through
//! [`CurrentRseq`], whose constructors are `unsafe`: only the entry points called
//! by C know that they run in the current task's context.
//!
//! C headers: [`include/linux/rseq.h`](srctree/include/linux/rseq.h),
//! [`include/linux/rseq_types.h`](srctree/include/linux/rseq_types.h),
//! [`include/linux/rseq_entry.h`](srctree/include/linux/rseq_entry.h) and
//! [`include/uapi/linux/rseq.h`](srctree/include/uapi/linux/rseq.h).

use crate::{
    bindings,
    cpu::CpuId,
    ffi::{
        c_int,
        c_ulong, //
    },
    jump_label::StaticKey,
    sync::atomic::{
        Atomic,
        Relaxed, //
    },
    task::CurrentTask,
    types::NotThreadSafe,
    uaccess::UserPtr, //
};
use core::{
    mem::offset_of,
    ptr::addr_of_mut, //
};

/// Size of the original (legacy) `struct rseq` registration, including padding.
pub const ORIG_RSEQ_SIZE: u32 = 32;

/// `offsetof(struct rseq, end)`: the feature size reported through the
/// `AT_RSEQ_FEATURE_SIZE` auxiliary vector entry.
pub const RSEQ_FEATURE_SIZE: u32 = offset_of!(bindings::rseq, end) as u32;

/// The `flags` argument of `sys_rseq()` (`enum rseq_flags`).
///
/// Any bit pattern is representable, so unknown flags can be rejected with
/// the errno of the C implementation.
///
/// # Examples
///
/// ```
/// use kernel::rseq::Flags;
///
/// let f = Flags::from_raw(1);
/// assert!(f.contains(Flags::UNREGISTER));
/// assert!(f.without(Flags::UNREGISTER).is_empty());
/// assert!(!Flags::from_raw(-1).without(Flags::UNREGISTER).is_empty());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Flags(u32);

impl Flags {
    /// No flag.
    pub const NONE: Self = Self(0);
    /// `RSEQ_FLAG_UNREGISTER`.
    pub const UNREGISTER: Self = Self(bindings::rseq_flags_RSEQ_FLAG_UNREGISTER);
    /// `RSEQ_FLAG_SLICE_EXT_DEFAULT_ON`.
    pub const SLICE_EXT_DEFAULT_ON: Self =
        Self(bindings::rseq_flags_RSEQ_FLAG_SLICE_EXT_DEFAULT_ON);

    /// Converts the raw `int flags` argument of the system call.
    #[inline]
    pub fn from_raw(flags: c_int) -> Self {
        // CAST: The flags are a bit mask; keep every bit of the `int`.
        Self(flags as u32)
    }

    /// Whether all flags of `other` are set.
    #[inline]
    pub fn contains(self, other: Self) -> bool {
        self.0 & other.0 == other.0
    }

    /// `self` with the flags of `other` cleared.
    #[inline]
    pub fn without(self, other: Self) -> Self {
        Self(self.0 & !other.0)
    }

    /// Whether no flag is set.
    #[inline]
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }
}

impl core::ops::BitOr for Flags {
    type Output = Self;

    #[inline]
    fn bitor(self, rhs: Self) -> Self {
        Self(self.0 | rhs.0)
    }
}

/// The ABI version of a registration, as stored in `rseq_event::has_rseq`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum AbiVersion {
    /// The original ABI: a 32-byte registration whose IDs are rewritten after
    /// every context switch.
    Legacy = 1,
    /// The optimized ABI of registrations larger than 32 bytes.
    V2 = 2,
}

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
    /// Size of `struct rseq_cs`.
    pub const SIZE: usize = size_of::<bindings::rseq_cs>();
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

/// What [`CurrentRseq::activate`] installs.
#[derive(Clone, Copy)]
pub struct Activation {
    /// The user space `struct rseq`.
    pub area: UserPtr,
    /// Registered length.
    pub len: u32,
    /// Abort signature.
    pub sig: u32,
    /// ABI version.
    pub version: AbiVersion,
    /// Whether time slice extensions start enabled.
    pub slice_enabled: bool,
}

/// The rseq state of the current task.
///
/// # Invariants
///
/// `task` points to the `task_struct` of the current task, and the value is
/// only used from that task's context, never from hard interrupt or NMI
/// context (it is `!Send` and `!Sync`). Only this task writes the fields of
/// `task->rseq` other than the event bytes, which interrupts on this CPU may
/// also write.
///
/// # Examples
///
/// ```
/// use kernel::rseq::CurrentRseq;
///
/// // SAFETY: Doc tests run in the task context of a kernel thread.
/// let rs = unsafe { CurrentRseq::current() };
/// // Kernel threads never register an rseq area.
/// assert!(rs.area().is_none());
/// assert!(rs.area_ptr().as_const_ptr().is_null());
/// assert_eq!(rs.version(), None);
/// assert!(!rs.task().is_exiting());
/// ```
#[derive(Clone, Copy)]
pub struct CurrentRseq {
    task: *mut bindings::task_struct,
    _not_send: NotThreadSafe,
}

/// `&task->rseq.event.<field>` as an atomic byte, like `READ_ONCE()` and
/// `WRITE_ONCE()` on it in C.
macro_rules! event_byte {
    ($self:ident, $($field:tt)+) => {{
        let data = $self.data();
        // CAST: The event bytes are `u8` in C; `i8` has the same size and
        // alignment and every bit pattern is valid for both.
        // SAFETY: `data` is valid per the type invariant, so is the byte for as
        // long as `self` lives. Interrupts on this CPU access it only with
        // single byte loads and stores, like this atomic.
        unsafe {
            Atomic::<i8>::from_ptr(
                addr_of_mut!((*data).event.__bindgen_anon_1.$($field)+).cast::<i8>(),
            )
        }
    }};
}

impl CurrentRseq {
    /// Returns the rseq state of `task`.
    ///
    /// # Safety
    ///
    /// `task` must be the current task, the caller must run in its task
    /// context (a system call, the exit to user space work or signal
    /// delivery; not a hard interrupt or NMI handler), and the value must not
    /// outlive that context.
    #[inline]
    pub unsafe fn from_raw(task: *mut bindings::task_struct) -> Self {
        // INVARIANT: Guaranteed by the caller; `NotThreadSafe` keeps the value
        // in this context.
        Self {
            task,
            _not_send: NotThreadSafe,
        }
    }

    /// Returns the rseq state of the current task.
    ///
    /// # Safety
    ///
    /// The caller must run in task context (not a hard interrupt or NMI
    /// handler), and the value must not outlive that context.
    #[inline]
    pub unsafe fn current() -> Self {
        // SAFETY: `get_current()` is the current task; the context is
        // guaranteed by the caller.
        unsafe { Self::from_raw(bindings::get_current()) }
    }

    #[inline]
    fn data(&self) -> *mut bindings::rseq_data {
        // SAFETY: `self.task` is valid per the type invariant.
        unsafe { addr_of_mut!((*self.task).rseq) }
    }

    /// The registered user space area, `None` if not registered.
    #[inline]
    pub fn area(&self) -> Option<UserPtr> {
        // SAFETY: `data()` is valid; only this task writes `usrptr`.
        let ptr = unsafe { (*self.data()).usrptr };
        (!ptr.is_null()).then(|| UserPtr::from_ptr(ptr.cast()))
    }

    /// The registered user space area, a NULL user pointer if not registered.
    ///
    /// For the exit paths, which only run for registered tasks: every access
    /// through a NULL user pointer faults, so no separate check is needed.
    #[inline]
    pub fn area_ptr(&self) -> UserPtr {
        // SAFETY: `data()` is valid; only this task writes `usrptr`.
        UserPtr::from_ptr(unsafe { (*self.data()).usrptr }.cast())
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

    /// The ABI version of the registration (`rseq_event::has_rseq`), `None`
    /// when unregistered.
    #[inline]
    pub fn version(&self) -> Option<AbiVersion> {
        match event_byte!(self, __bindgen_anon_1.has_rseq).load(Relaxed) {
            0 => None,
            1 => Some(AbiVersion::Legacy),
            _ => Some(AbiVersion::V2),
        }
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
        event_byte!(
            self,
            __bindgen_anon_1.__bindgen_anon_1.__bindgen_anon_1.user_irq
        )
        .load(Relaxed)
            != 0
    }

    /// Whether a scheduler event is pending (`rseq_event::sched_switch`).
    #[inline]
    pub fn sched_switch(&self) -> bool {
        event_byte!(
            self,
            __bindgen_anon_1
                .__bindgen_anon_1
                .__bindgen_anon_1
                .sched_switch
        )
        .load(Relaxed)
            != 0
    }

    /// Whether the IDs must be updated (`rseq_event::ids_changed`).
    #[inline]
    pub fn ids_changed(&self) -> bool {
        event_byte!(
            self,
            __bindgen_anon_1
                .__bindgen_anon_1
                .__bindgen_anon_1
                .ids_changed
        )
        .load(Relaxed)
            != 0
    }

    /// Marks the user space data as invalid (`rseq_event::fatal`).
    #[inline]
    pub fn set_fatal(&self) {
        event_byte!(
            self,
            __bindgen_anon_1.__bindgen_anon_2.__bindgen_anon_1.fatal
        )
        .store(1, Relaxed);
    }

    /// Clears `rseq_event::error` (`fatal` and `slowpath`).
    #[inline]
    pub fn clear_error(&self) {
        event_byte!(
            self,
            __bindgen_anon_1.__bindgen_anon_2.__bindgen_anon_1.fatal
        )
        .store(0, Relaxed);
        event_byte!(
            self,
            __bindgen_anon_1.__bindgen_anon_2.__bindgen_anon_1.slowpath
        )
        .store(0, Relaxed);
    }

    /// Clears all event and error bits except `has_rseq` and, if
    /// `keep_user_irq`, `user_irq`.
    ///
    /// Must be called with interrupts disabled, so that the scheduler and
    /// IPIs on this CPU cannot set bits concurrently.
    pub fn clear_events(&self, keep_user_irq: bool) {
        let version = event_byte!(self, __bindgen_anon_1.has_rseq).load(Relaxed);
        let data = self.data();
        // SAFETY: `data` is valid per the type invariant; interrupts access
        // `all` only with single loads and stores of its parts.
        unsafe { Atomic::<u64>::from_ptr(addr_of_mut!((*data).event.__bindgen_anon_1.all)) }
            .store(0, Relaxed);
        event_byte!(self, __bindgen_anon_1.has_rseq).store(version, Relaxed);
        event_byte!(
            self,
            __bindgen_anon_1.__bindgen_anon_1.__bindgen_anon_1.user_irq
        )
        .store(i8::from(keep_user_irq), Relaxed);
    }

    /// The current task.
    #[inline]
    pub fn task(&self) -> &CurrentTask {
        // CAST: `CurrentTask` is a transparent wrapper of `struct task_struct`.
        // SAFETY: `self.task` is the current task, and the reference cannot leave its context:
        // it borrows `self`, which is `!Send` and used only in that context (type invariant).
        unsafe { &*self.task.cast::<CurrentTask>() }
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

    /// Stores `ids` in the `rseq_data::ids` cache.
    #[inline]
    pub fn set_ids(&self, ids: &Ids) {
        let data = self.data();
        // SAFETY: `data` is valid; the cache is only written by this task.
        unsafe {
            (*data).ids.__bindgen_anon_1.__bindgen_anon_1.cpu_id = ids.cpu_id;
            (*data).ids.__bindgen_anon_1.__bindgen_anon_1.mm_cid = ids.mm_cid;
            (*data).ids.node_id = ids.node_id;
        }
    }

    /// Emits the `rseq_update` tracepoint with the cached IDs, if it is
    /// enabled (`rseq_trace_update()`).
    #[inline]
    pub fn trace_update(&self) {
        let data = self.data();
        // SAFETY: `self.task` and the embedded `ids` are valid.
        unsafe { bindings::rseq_trace_update(self.task, addr_of_mut!((*data).ids)) };
    }

    /// Installs a registration.
    pub fn activate(&self, act: &Activation) {
        let data = self.data();
        // SAFETY: `data` is valid and these fields are only written by the
        // task itself.
        unsafe {
            (*data).usrptr = act.area.as_mut_ptr().cast();
            (*data).len = act.len;
            (*data).sig = act.sig;
        }
        #[cfg(CONFIG_RSEQ_SLICE_EXTENSION)]
        // SAFETY: `data` is valid; `slice.state.enabled` is only written by
        // the task itself.
        unsafe {
            (*data).slice.state.__bindgen_anon_1.enabled = u8::from(act.slice_enabled);
        }
        // CAST: `AbiVersion` is `repr(u8)` with values 1 and 2.
        event_byte!(self, __bindgen_anon_1.has_rseq).store(act.version as i8, Relaxed);
    }

    /// Forces an ID update on the next return to user space
    /// (`rseq_force_update()`).
    #[inline]
    pub fn force_update(&self) {
        // SAFETY: `self` is the current task's state (type invariant).
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

    /// Returns the CPU the task runs on (`task_cpu()`).
    ///
    /// The value is only stable while interrupts are disabled.
    #[inline]
    pub fn cpu(&self) -> CpuId {
        // SAFETY: `self.task` is valid per the type invariant.
        let cpu = unsafe { bindings::task_cpu(self.task) };
        // SAFETY: `task_cpu()` is a valid CPU number.
        unsafe { CpuId::from_u32_unchecked(cpu) }
    }

    /// Returns the MM concurrency ID of the task (`task_mm_cid()`).
    ///
    /// The value is only stable while interrupts are disabled.
    #[inline]
    pub fn mm_cid(&self) -> u32 {
        // SAFETY: `self.task` is valid per the type invariant.
        let cid = unsafe { bindings::task_mm_cid(self.task) };
        // CAST: The C code stores the `int` in a `u32` field.
        cid as u32
    }
}

/// The alignment required for registrations larger than [`ORIG_RSEQ_SIZE`]
/// (`rseq_alloc_align()`).
///
/// # Examples
///
/// ```
/// use kernel::rseq::{alloc_align, ORIG_RSEQ_SIZE};
///
/// assert!(alloc_align().is_power_of_two());
/// assert!(alloc_align() >= ORIG_RSEQ_SIZE);
/// ```
#[inline]
pub fn alloc_align() -> u32 {
    // SAFETY: Pure computation on constants.
    unsafe { bindings::rseq_alloc_align() }
}

/// Whether time slice extensions are enabled (`rseq_slice_extension_enabled()`).
///
/// # Examples
///
/// ```
/// use kernel::rseq::slice_extension_enabled;
///
/// if !cfg!(CONFIG_RSEQ_SLICE_EXTENSION) {
///     assert!(!slice_extension_enabled());
/// }
/// ```
#[inline]
pub fn slice_extension_enabled() -> bool {
    #[cfg(CONFIG_RSEQ_SLICE_EXTENSION)]
    {
        // SAFETY: `rseq_slice_extension_key` is a static key defined by C with
        // `DEFINE_STATIC_KEY_TRUE()`.
        unsafe { crate::jump_label::static_branch_likely!(bindings::rseq_slice_extension_key) }
    }
    #[cfg(not(CONFIG_RSEQ_SLICE_EXTENSION))]
    {
        false
    }
}

/// Whether rseq debug mode is enabled (`rseq_debug_enabled` static key).
///
/// # Examples
///
/// ```
/// use kernel::rseq::debug_enabled;
///
/// // Debug mode is switched at run time through debugfs; both values are valid.
/// let _ = debug_enabled();
/// ```
#[inline]
pub fn debug_enabled() -> bool {
    #[cfg(not(CONFIG_RSEQ_DEBUG_DEFAULT_ENABLE))]
    {
        // SAFETY: `rseq_debug_enabled` is a static key defined by C with
        // `DEFINE_STATIC_KEY_FALSE()` in this configuration.
        unsafe { crate::jump_label::static_branch_unlikely!(bindings::rseq_debug_enabled) }
    }
    #[cfg(CONFIG_RSEQ_DEBUG_DEFAULT_ENABLE)]
    {
        // SAFETY: `rseq_debug_enabled` is a static key defined by C with
        // `DEFINE_STATIC_KEY_TRUE()` in this configuration.
        unsafe { crate::jump_label::static_branch_likely!(bindings::rseq_debug_enabled) }
    }
}

/// Whether the `rseq_update` tracepoint is enabled (a static branch).
///
/// # Examples
///
/// ```
/// use kernel::rseq::trace_update_enabled;
///
/// if !cfg!(CONFIG_TRACEPOINTS) {
///     assert!(!trace_update_enabled());
/// }
/// ```
#[inline]
pub fn trace_update_enabled() -> bool {
    // SAFETY: Only reads the tracepoint's static key.
    unsafe { bindings::rseq_trace_update_enabled() }
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
///
/// See [`stat_inc`] for an example.
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
    /// Time slice extensions granted (`s_granted`).
    #[cfg(CONFIG_RSEQ_SLICE_EXTENSION)]
    SliceGranted,
    /// Time slice extensions that ran out (`s_expired`).
    #[cfg(CONFIG_RSEQ_SLICE_EXTENSION)]
    SliceExpired,
    /// Time slice extensions ended by `rseq_slice_yield()` (`s_yielded`).
    #[cfg(CONFIG_RSEQ_SLICE_EXTENSION)]
    SliceYielded,
    /// Time slice extensions ended by another system call (`s_aborted`).
    #[cfg(CONFIG_RSEQ_SLICE_EXTENSION)]
    SliceAborted,
}

/// Increments a per-CPU statistics counter (no-op without
/// `CONFIG_RSEQ_STATS`).
///
/// # Examples
///
/// ```
/// use kernel::rseq::{stat_inc, Stat};
///
/// // A call in a place that is no rseq path only skews the statistics.
/// stat_inc(Stat::Slowpath);
/// ```
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
            #[cfg(CONFIG_RSEQ_SLICE_EXTENSION)]
            Stat::SliceGranted => bindings::rseq_stat_inc_s_granted(),
            #[cfg(CONFIG_RSEQ_SLICE_EXTENSION)]
            Stat::SliceExpired => bindings::rseq_stat_inc_s_expired(),
            #[cfg(CONFIG_RSEQ_SLICE_EXTENSION)]
            Stat::SliceYielded => bindings::rseq_stat_inc_s_yielded(),
            #[cfg(CONFIG_RSEQ_SLICE_EXTENSION)]
            Stat::SliceAborted => bindings::rseq_stat_inc_s_aborted(),
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

/// The rseq statistics counters of one CPU, or their sum (`struct rseq_stats`).
///
/// # Examples
///
/// ```
/// use kernel::rseq::Stats;
///
/// let s = Stats { exit: 2, ..Stats::default() };
/// assert_eq!(s.exit, 2);
/// assert_eq!(s.s_granted, 0);
/// ```
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Exits to user space with rseq work.
    pub exit: c_ulong,
    /// Signal deliveries processed.
    pub signal: c_ulong,
    /// Slow path invocations.
    pub slowpath: c_ulong,
    /// Fast path invocations with a pending event.
    pub fastpath: c_ulong,
    /// ID updates.
    pub ids: c_ulong,
    /// Critical section evaluations.
    pub cs: c_ulong,
    /// Lazy critical section clears.
    pub clear: c_ulong,
    /// Aborts to the abort IP.
    pub fixup: c_ulong,
    /// Time slice extensions granted.
    pub s_granted: c_ulong,
    /// Time slice extensions that ran out.
    pub s_expired: c_ulong,
    /// Time slice extensions revoked on the way out to user space.
    pub s_revoked: c_ulong,
    /// Time slice extensions ended by `rseq_slice_yield()`.
    pub s_yielded: c_ulong,
    /// Time slice extensions ended by another system call.
    pub s_aborted: c_ulong,
}

/// Reads the statistics counters of `cpu`.
///
/// The read races with the increments, as the C readers' `data_race()` does.
/// Returns `None` for a CPU that is not possible and without
/// `CONFIG_RSEQ_STATS`.
///
/// # Examples
///
/// ```
/// use kernel::{cpu::CpuId, rseq::cpu_stats};
///
/// // CPU 0 is always possible.
/// let cpu0 = CpuId::from_u32(0).unwrap();
/// assert_eq!(cpu_stats(cpu0).is_some(), cfg!(CONFIG_RSEQ_STATS));
/// ```
pub fn cpu_stats(cpu: CpuId) -> Option<Stats> {
    #[cfg(CONFIG_RSEQ_STATS)]
    {
        let mut stats = Stats::default();
        // SAFETY: `stats` is valid for writes of a `struct rseq_stats`: both
        // are 13 `unsigned long` counters in the same order (checked by the helper at build
        // time). `cpu` is below `nr_cpu_ids` (type invariant).
        let possible =
            unsafe { bindings::rseq_stats_read_cpu(cpu.as_u32(), addr_of_mut!(stats).cast()) };
        possible.then_some(stats)
    }
    #[cfg(not(CONFIG_RSEQ_STATS))]
    {
        let _ = cpu;
        None
    }
}

/// Switches rseq debug mode on or off (`rseq_debug_enabled` static key).
///
/// Takes the CPU hotplug and jump label locks: task context only.
///
/// # Examples
///
/// ```
/// use kernel::rseq::{debug_enabled, set_debug_enabled};
///
/// // Writing the current state back changes nothing.
/// let on = debug_enabled();
/// set_debug_enabled(on);
/// assert_eq!(debug_enabled(), on);
/// ```
pub fn set_debug_enabled(on: bool) {
    // SAFETY: `rseq_debug_enabled` is a static key defined and initialized
    // by C, never freed. Only its address is taken.
    let key = unsafe { StaticKey::from_raw(addr_of_mut!(bindings::rseq_debug_enabled.key)) };
    if on {
        key.enable();
    } else {
        key.disable();
    }
}

/// Turns time slice extensions off (`rseq_slice_extension_key` static key).
///
/// Takes the CPU hotplug and jump label locks: task context only. A no-op
/// without `CONFIG_RSEQ_SLICE_EXTENSION`.
///
/// # Examples
///
/// ```
/// use kernel::rseq::{disable_slice_extension, slice_extension_enabled};
///
/// // What `rseq_slice_ext=0` does. Not called here: nothing turns
/// // extensions back on.
/// fn slice_ext_param(on: bool) {
///     if !on {
///         disable_slice_extension();
///         assert!(!slice_extension_enabled());
///     }
/// }
/// # let _ = slice_ext_param;
/// ```
pub fn disable_slice_extension() {
    #[cfg(CONFIG_RSEQ_SLICE_EXTENSION)]
    // SAFETY: `rseq_slice_extension_key` is a static key defined and
    // initialized by C, never freed. Only its address is taken.
    unsafe { StaticKey::from_raw(addr_of_mut!(bindings::rseq_slice_extension_key.key)) }.disable();
}

/// The duration of a time slice extension in nanoseconds
/// (`rseq_slice_ext_nsecs`), 0 without `CONFIG_RSEQ_SLICE_EXTENSION`.
///
/// # Examples
///
/// ```
/// use kernel::rseq::slice_ext_nsecs;
///
/// let set = slice_ext_nsecs() != 0;
/// assert_eq!(set, cfg!(CONFIG_RSEQ_SLICE_EXTENSION));
/// ```
#[inline]
pub fn slice_ext_nsecs() -> u32 {
    #[cfg(CONFIG_RSEQ_SLICE_EXTENSION)]
    {
        // SAFETY: Reads a global `unsigned int` once.
        unsafe { bindings::rseq_slice_ext_nsecs_get() }
    }
    #[cfg(not(CONFIG_RSEQ_SLICE_EXTENSION))]
    {
        0
    }
}

/// Sets the duration of a time slice extension in nanoseconds
/// (`rseq_slice_ext_nsecs`). The caller validates the value. A no-op without
/// `CONFIG_RSEQ_SLICE_EXTENSION`.
///
/// # Examples
///
/// ```
/// use kernel::rseq::{set_slice_ext_nsecs, slice_ext_nsecs};
///
/// // Writing the current value back changes nothing.
/// let nsecs = slice_ext_nsecs();
/// set_slice_ext_nsecs(nsecs);
/// assert_eq!(slice_ext_nsecs(), nsecs);
/// ```
#[inline]
pub fn set_slice_ext_nsecs(nsecs: u32) {
    #[cfg(CONFIG_RSEQ_SLICE_EXTENSION)]
    // SAFETY: Writes a global `unsigned int` once; its readers tolerate
    // the race (`data_race()`).
    unsafe {
        bindings::rseq_slice_ext_nsecs_set(nsecs)
    };
    #[cfg(not(CONFIG_RSEQ_SLICE_EXTENSION))]
    let _ = nsecs;
}

/// The C `struct seq_file` type, for `#[export]` signatures only.
pub type RawSeqFile = bindings::seq_file;

/// `PR_RSEQ_SLICE_EXTENSION_GET`: the `arg2` of the prctl that reads the state.
///
/// # Examples
///
/// ```
/// use kernel::rseq::{PR_RSEQ_SLICE_EXTENSION_GET, PR_RSEQ_SLICE_EXTENSION_SET};
///
/// assert_ne!(PR_RSEQ_SLICE_EXTENSION_GET, PR_RSEQ_SLICE_EXTENSION_SET);
/// ```
// CAST: A small UAPI constant; `prctl()` passes it as an `unsigned long`.
pub const PR_RSEQ_SLICE_EXTENSION_GET: c_ulong =
    crate::uapi::PR_RSEQ_SLICE_EXTENSION_GET as c_ulong;

/// `PR_RSEQ_SLICE_EXTENSION_SET`: the `arg2` of the prctl that changes it.
///
/// See [`PR_RSEQ_SLICE_EXTENSION_GET`] for an example.
// CAST: A small UAPI constant; `prctl()` passes it as an `unsigned long`.
pub const PR_RSEQ_SLICE_EXTENSION_SET: c_ulong =
    crate::uapi::PR_RSEQ_SLICE_EXTENSION_SET as c_ulong;

/// `PR_RSEQ_SLICE_EXT_ENABLE`: time slice extensions are (to be) enabled.
///
/// # Examples
///
/// ```
/// use kernel::rseq::PR_RSEQ_SLICE_EXT_ENABLE;
///
/// // A single bit: any other bit in a `SET` is `EINVAL`.
/// assert!(PR_RSEQ_SLICE_EXT_ENABLE.is_power_of_two());
/// ```
// CAST: A small UAPI constant; `prctl()` passes it as an `unsigned long`.
pub const PR_RSEQ_SLICE_EXT_ENABLE: c_ulong = crate::uapi::PR_RSEQ_SLICE_EXT_ENABLE as c_ulong;

/// The system call number of `rseq_slice_yield()`.
///
/// # Examples
///
/// ```
/// use kernel::rseq::NR_RSEQ_SLICE_YIELD;
///
/// assert!(NR_RSEQ_SLICE_YIELD > 0);
/// ```
#[cfg(CONFIG_RSEQ_SLICE_EXTENSION)]
// CAST: System call numbers are small.
pub const NR_RSEQ_SLICE_YIELD: crate::ffi::c_long =
    bindings::__NR_rseq_slice_yield as crate::ffi::c_long;

/// `&task->rseq.slice.state.granted` as an atomic byte, like `READ_ONCE()`
/// and `WRITE_ONCE()` on it in C.
///
/// # Safety
///
/// `task` must point to a valid `task_struct` for `'a`.
#[cfg(CONFIG_RSEQ_SLICE_EXTENSION)]
#[inline]
unsafe fn slice_granted_byte<'a>(task: *mut bindings::task_struct) -> &'a Atomic<i8> {
    // CAST: `granted` is a `u8` in C; `i8` has the same size and alignment
    // and every bit pattern is valid for both.
    // SAFETY: `task` is valid for `'a` (function contract), so is the byte.
    // Only the task itself writes it; the slice timer's callback (hard
    // interrupt on the task's CPU) reads it. Both access it only with single
    // byte loads and stores, like this atomic.
    unsafe {
        Atomic::<i8>::from_ptr(
            addr_of_mut!((*task).rseq.slice.state.__bindgen_anon_1.granted).cast::<i8>(),
        )
    }
}

/// Time slice extension state of the current task (`task->rseq.slice`).
#[cfg(CONFIG_RSEQ_SLICE_EXTENSION)]
impl CurrentRseq {
    /// Whether the task enabled time slice extensions.
    ///
    /// # Examples
    ///
    /// ```
    /// use kernel::rseq::CurrentRseq;
    ///
    /// // SAFETY: Doc tests run in the task context of a kernel thread.
    /// let rs = unsafe { CurrentRseq::current() };
    /// // Kernel threads cannot use the prctl.
    /// assert!(!rs.slice_enabled());
    /// ```
    #[inline]
    pub fn slice_enabled(&self) -> bool {
        // SAFETY: `data()` is valid; only this task writes `enabled`.
        unsafe { (*self.data()).slice.state.__bindgen_anon_1.enabled != 0 }
    }

    /// Enables or disables time slice extensions for the task.
    ///
    /// # Examples
    ///
    /// ```
    /// use kernel::rseq::CurrentRseq;
    ///
    /// // SAFETY: Doc tests run in the task context of a kernel thread.
    /// let rs = unsafe { CurrentRseq::current() };
    /// let was = rs.slice_enabled();
    /// rs.set_slice_enabled(!was);
    /// assert_eq!(rs.slice_enabled(), !was);
    /// rs.set_slice_enabled(was);
    /// ```
    #[inline]
    pub fn set_slice_enabled(&self, on: bool) {
        // SAFETY: `data()` is valid; only this task writes `enabled`.
        unsafe { (*self.data()).slice.state.__bindgen_anon_1.enabled = u8::from(on) };
    }

    /// The `granted` byte of the task's slice state, as an atomic: the
    /// slice timer's hard interrupt callback on this CPU reads it.
    #[inline]
    fn slice_granted_byte(&self) -> &Atomic<i8> {
        // SAFETY: `self.task` is valid per the type invariant for as long as
        // `self` lives, which bounds the returned reference.
        unsafe { slice_granted_byte(self.task) }
    }

    /// Whether the task holds a time slice extension grant.
    ///
    /// # Examples
    ///
    /// ```
    /// use kernel::rseq::CurrentRseq;
    ///
    /// // SAFETY: Doc tests run in the task context of a kernel thread.
    /// let rs = unsafe { CurrentRseq::current() };
    /// // Grants happen on the way out to user space only.
    /// assert!(!rs.slice_granted());
    /// ```
    #[inline]
    pub fn slice_granted(&self) -> bool {
        self.slice_granted_byte().load(Relaxed) != 0
    }

    /// Sets or clears the grant in the kernel's state.
    ///
    /// # Examples
    ///
    /// ```
    /// use kernel::rseq::CurrentRseq;
    ///
    /// // What the system call entry work does once it ended a grant.
    /// fn end_grant(rs: &CurrentRseq) {
    ///     rs.set_slice_granted(false);
    ///     assert!(!rs.slice_granted());
    /// }
    /// # let _ = end_grant;
    /// ```
    #[inline]
    pub fn set_slice_granted(&self, granted: bool) {
        self.slice_granted_byte().store(i8::from(granted), Relaxed);
    }

    /// Notes that the task ended its grant with `rseq_slice_yield()`.
    ///
    /// # Examples
    ///
    /// ```
    /// use kernel::rseq::CurrentRseq;
    ///
    /// // SAFETY: Doc tests run in the task context of a kernel thread.
    /// let rs = unsafe { CurrentRseq::current() };
    /// rs.set_slice_yielded();
    /// assert!(rs.take_slice_yielded());
    /// ```
    #[inline]
    pub fn set_slice_yielded(&self) {
        // SAFETY: `data()` is valid; only this task writes `yielded`.
        unsafe { (*self.data()).slice.yielded = 1 };
    }

    /// Returns and clears the note of [`Self::set_slice_yielded`].
    ///
    /// # Examples
    ///
    /// ```
    /// use kernel::rseq::CurrentRseq;
    ///
    /// // SAFETY: Doc tests run in the task context of a kernel thread.
    /// let rs = unsafe { CurrentRseq::current() };
    /// rs.set_slice_yielded();
    /// assert!(rs.take_slice_yielded());
    /// // The note is gone: `rseq_slice_yield()` reports it once.
    /// assert!(!rs.take_slice_yielded());
    /// ```
    #[inline]
    pub fn take_slice_yielded(&self) -> bool {
        let data = self.data();
        // SAFETY: `data` is valid; only this task accesses `yielded`.
        unsafe {
            let yielded = (*data).slice.yielded != 0;
            (*data).slice.yielded = 0;
            yielded
        }
    }

    /// When the task's grant expires, in `CLOCK_MONOTONIC` nanoseconds.
    ///
    /// # Examples
    ///
    /// ```
    /// use kernel::rseq::CurrentRseq;
    ///
    /// // SAFETY: Doc tests run in the task context of a kernel thread.
    /// let rs = unsafe { CurrentRseq::current() };
    /// let expires = rs.slice_expires();
    /// rs.set_slice_expires(expires);
    /// assert_eq!(rs.slice_expires(), expires);
    /// ```
    #[inline]
    pub fn slice_expires(&self) -> u64 {
        // SAFETY: `data()` is valid; only this task writes `expires`.
        unsafe { (*self.data()).slice.expires }
    }

    /// Sets when the task's grant expires.
    ///
    /// # Examples
    ///
    /// ```
    /// use kernel::{
    ///     rseq::{slice_ext_nsecs, CurrentRseq},
    ///     time::ktime_get_mono_fast_ns,
    /// };
    ///
    /// // What a grant does. Not called here: a kernel thread gets no grant.
    /// fn grant(rs: &CurrentRseq) {
    ///     let nsecs = u64::from(slice_ext_nsecs());
    ///     rs.set_slice_expires(nsecs.wrapping_add(ktime_get_mono_fast_ns()));
    /// }
    /// # let _ = grant;
    /// ```
    #[inline]
    pub fn set_slice_expires(&self, expires: u64) {
        // SAFETY: `data()` is valid; only this task writes `expires`.
        unsafe { (*self.data()).slice.expires = expires };
    }

    /// Arms the task's time slice extension syscall entry work
    /// (`set_task_syscall_work(t, SYSCALL_RSEQ_SLICE)`).
    ///
    /// # Examples
    ///
    /// ```
    /// use kernel::rseq::CurrentRseq;
    ///
    /// // What arming the slice timer does. Not called here: a kernel thread
    /// // makes no system calls.
    /// fn arm(rs: &CurrentRseq) {
    ///     rs.set_slice_syscall_work();
    /// }
    /// # let _ = arm;
    /// ```
    #[inline]
    pub fn set_slice_syscall_work(&self) {
        // SAFETY: `self.task` is valid per the type invariant; the work bits
        // are changed atomically.
        unsafe { bindings::set_task_syscall_work_rseq_slice(self.task) };
    }

    /// Clears the task's time slice extension syscall entry work
    /// (`clear_task_syscall_work(t, SYSCALL_RSEQ_SLICE)`).
    ///
    /// # Examples
    ///
    /// ```
    /// use kernel::rseq::CurrentRseq;
    ///
    /// // The first thing the system call entry work does.
    /// fn syscall_enter_work(rs: &CurrentRseq) {
    ///     rs.clear_slice_syscall_work();
    /// }
    /// # let _ = syscall_enter_work;
    /// ```
    #[inline]
    pub fn clear_slice_syscall_work(&self) {
        // SAFETY: `self.task` is valid per the type invariant; the work bits
        // are changed atomically.
        unsafe { bindings::clear_task_syscall_work_rseq_slice(self.task) };
    }
}

/// Requests a reschedule of the current task, with interrupts disabled
/// around the request as `rseq_slice_set_need_resched()` does. The
/// caller's interrupt state is saved and restored, not changed.
///
/// # Examples
///
/// ```
/// use kernel::{preempt::PreemptDisabled, rseq::slice_set_need_resched};
///
/// // The end of a grant in the system call entry work: the reschedule
/// // happens when preemption is enabled again.
/// slice_set_need_resched(&PreemptDisabled::disable());
/// ```
#[cfg(CONFIG_RSEQ_SLICE_EXTENSION)]
#[inline]
pub fn slice_set_need_resched(_preempt: &crate::preempt::PreemptDisabled) {
    // SAFETY: Preemption is disabled (the guard), as required; the helper
    // restores the interrupt state it found.
    unsafe { bindings::rseq_slice_set_need_resched() };
}

/// The task that armed a CPU's time slice extension timer (`struct
/// rseq_slice_timer::cookie`).
///
/// Only an address to compare, never dereferenced: the task may have exited
/// since it armed the timer.
///
/// # Examples
///
/// ```
/// use kernel::rseq::SliceTimerCookie;
///
/// let me = SliceTimerCookie::current();
/// assert_eq!(me, SliceTimerCookie::current());
/// // A CPU whose timer was never armed holds a NULL cookie.
/// assert_ne!(me, SliceTimerCookie::from_raw(core::ptr::null_mut()));
/// ```
#[cfg(CONFIG_RSEQ_SLICE_EXTENSION)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SliceTimerCookie(*mut crate::ffi::c_void);

#[cfg(CONFIG_RSEQ_SLICE_EXTENSION)]
impl SliceTimerCookie {
    /// The cookie of the current task. Any context: in an interrupt handler
    /// it is the interrupted task's.
    #[inline]
    pub fn current() -> Self {
        Self(crate::task::Task::current_raw().cast())
    }

    /// A cookie as C stored it.
    #[inline]
    pub fn from_raw(cookie: *mut crate::ffi::c_void) -> Self {
        Self(cookie)
    }
}

/// Whether the current task holds a time slice extension grant, read as
/// the slice timer's callback does: any context, including the hard
/// interrupt that interrupted the task.
///
/// # Examples
///
/// ```
/// use kernel::rseq::current_slice_granted;
///
/// // Kernel threads never get a time slice extension.
/// assert!(!current_slice_granted());
/// ```
#[cfg(CONFIG_RSEQ_SLICE_EXTENSION)]
#[inline]
pub fn current_slice_granted() -> bool {
    // SAFETY: The current task is valid for as long as this function runs,
    // in any context.
    unsafe { slice_granted_byte(crate::task::Task::current_raw()) }.load(Relaxed) != 0
}

/// Starts this CPU's time slice extension timer, armed by `cookie`, to
/// expire at `expires` (`CLOCK_MONOTONIC` nanoseconds, absolute).
///
/// Only on the exit to user space; `_irq` proves that interrupts are
/// disabled.
///
/// # Examples
///
/// ```
/// use kernel::{
///     interrupt::LocalInterruptDisabled,
///     rseq::{slice_timer_start, CurrentRseq, SliceTimerCookie},
/// };
///
/// // How the exit to user space arms the timer of a held grant. Not called
/// // here: a kernel thread holds no grant.
/// fn arm(rs: &CurrentRseq, irq: &LocalInterruptDisabled) {
///     slice_timer_start(SliceTimerCookie::current(), rs.slice_expires(), irq);
/// }
/// # let _ = arm;
/// ```
#[cfg(CONFIG_RSEQ_SLICE_EXTENSION)]
#[inline]
pub fn slice_timer_start(
    cookie: SliceTimerCookie,
    expires: u64,
    _irq: &crate::interrupt::LocalInterruptDisabled,
) {
    // SAFETY: Interrupts are disabled (the token), so this CPU is not in
    // the timer's callback, which runs in hard interrupt context and reads
    // the cookie, and the CPU cannot change under `this_cpu_ptr()`.
    unsafe { bindings::rseq_slice_timer_start(cookie.0, expires) };
}

/// The cookie of this CPU's time slice extension timer: the task that last
/// armed it, NULL if none did.
///
/// # Examples
///
/// ```
/// use kernel::{
///     preempt::PreemptDisabled,
///     rseq::{slice_timer_cookie, SliceTimerCookie},
/// };
///
/// let preempt = PreemptDisabled::disable();
/// // Kernel threads never arm the timer.
/// assert_ne!(slice_timer_cookie(&preempt), SliceTimerCookie::current());
/// ```
#[cfg(CONFIG_RSEQ_SLICE_EXTENSION)]
#[inline]
pub fn slice_timer_cookie(_preempt: &crate::preempt::PreemptDisabled) -> SliceTimerCookie {
    // SAFETY: Preemption is disabled (the token), so the CPU is stable and
    // no other task can arm its timer, which writes the cookie, meanwhile.
    SliceTimerCookie(unsafe { bindings::rseq_slice_timer_cookie() })
}

/// Cancels this CPU's time slice extension timer if it is queued and its
/// callback is not running (`hrtimer_try_to_cancel()`).
///
/// # Examples
///
/// ```
/// use kernel::{
///     preempt::PreemptDisabled,
///     rseq::{slice_timer_cookie, slice_timer_try_cancel, SliceTimerCookie},
/// };
///
/// // Cancel the timer only if the current task armed it, as the system call
/// // entry work does.
/// let preempt = PreemptDisabled::disable();
/// if slice_timer_cookie(&preempt) == SliceTimerCookie::current() {
///     slice_timer_try_cancel(&preempt);
/// }
/// ```
#[cfg(CONFIG_RSEQ_SLICE_EXTENSION)]
#[inline]
pub fn slice_timer_try_cancel(_preempt: &crate::preempt::PreemptDisabled) {
    // SAFETY: Preemption is disabled (the token), so the CPU cannot change
    // under `this_cpu_ptr()`. `hrtimer_try_to_cancel()` takes the timer
    // base lock with interrupts saved and does not wait for the callback.
    unsafe { bindings::rseq_slice_timer_try_cancel() };
}

/// Withdraws the current task's reschedule request, with interrupts
/// disabled around it (`clear_tsk_need_resched()` and
/// `clear_preempt_need_resched()`), for a granted extension. The caller's
/// interrupt state is saved and restored, not changed.
///
/// # Examples
///
/// ```
/// use kernel::rseq::clear_need_resched_current;
///
/// // What a grant does. Not called here: it would drop a pending
/// // reschedule of this thread.
/// fn grant() {
///     clear_need_resched_current();
/// }
/// # let _ = grant;
/// ```
#[cfg(CONFIG_RSEQ_SLICE_EXTENSION)]
#[inline]
pub fn clear_need_resched_current() {
    // SAFETY: Only clears the current task's and CPU's resched bits; the
    // helper restores the interrupt state it found.
    unsafe { bindings::rseq_slice_clear_need_resched() };
}
