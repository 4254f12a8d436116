// SPDX-License-Identifier: GPL-2.0

//! The `rseq/stats` debugfs file: the per-CPU statistics counters, summed
//! over all possible CPUs.
//!
//! C keeps the per-CPU variable, the increments at the call sites and the
//! file creation; the summing and the text are here.

use kernel::{
    cpu::CpuId,
    prelude::*,
    rseq::{
        cpu_stats,
        Stats, //
    },
    seq_file::{
        seq_print,
        SeqFile, //
    },
};

/// Adds one CPU's counters to `sum`. The counters wrap as C's `unsigned long`
/// do.
pub(crate) fn add(sum: &mut Stats, cpu: &Stats) {
    sum.exit = sum.exit.wrapping_add(cpu.exit);
    sum.signal = sum.signal.wrapping_add(cpu.signal);
    sum.slowpath = sum.slowpath.wrapping_add(cpu.slowpath);
    sum.fastpath = sum.fastpath.wrapping_add(cpu.fastpath);
    sum.ids = sum.ids.wrapping_add(cpu.ids);
    sum.cs = sum.cs.wrapping_add(cpu.cs);
    sum.clear = sum.clear.wrapping_add(cpu.clear);
    sum.fixup = sum.fixup.wrapping_add(cpu.fixup);
    if cfg!(CONFIG_RSEQ_SLICE_EXTENSION) {
        sum.s_granted = sum.s_granted.wrapping_add(cpu.s_granted);
        sum.s_expired = sum.s_expired.wrapping_add(cpu.s_expired);
        sum.s_revoked = sum.s_revoked.wrapping_add(cpu.s_revoked);
        sum.s_yielded = sum.s_yielded.wrapping_add(cpu.s_yielded);
        sum.s_aborted = sum.s_aborted.wrapping_add(cpu.s_aborted);
    }
}

/// The counters of all possible CPUs, summed.
pub(crate) fn sum() -> Stats {
    let mut sum = Stats::default();
    for cpu in (0..kernel::cpu::nr_cpu_ids()).filter_map(CpuId::from_u32) {
        if let Some(stats) = cpu_stats(cpu) {
            add(&mut sum, &stats);
        }
    }
    sum
}

/// Writes the `rseq/stats` text: one line per counter, the name padded to
/// eight columns and the value right-aligned in 16.
pub(crate) fn show(m: &SeqFile, s: &Stats) {
    seq_print!(m, "exit:   {:16}\n", s.exit);
    seq_print!(m, "signal: {:16}\n", s.signal);
    seq_print!(m, "slowp:  {:16}\n", s.slowpath);
    seq_print!(m, "fastp:  {:16}\n", s.fastpath);
    seq_print!(m, "ids:    {:16}\n", s.ids);
    seq_print!(m, "cs:     {:16}\n", s.cs);
    seq_print!(m, "clear:  {:16}\n", s.clear);
    seq_print!(m, "fixup:  {:16}\n", s.fixup);
    if cfg!(CONFIG_RSEQ_SLICE_EXTENSION) {
        seq_print!(m, "sgrant: {:16}\n", s.s_granted);
        seq_print!(m, "sexpir: {:16}\n", s.s_expired);
        seq_print!(m, "srevok: {:16}\n", s.s_revoked);
        seq_print!(m, "syield: {:16}\n", s.s_yielded);
        seq_print!(m, "sabort: {:16}\n", s.s_aborted);
    }
}

#[cfg(CONFIG_RSEQ_RUST_KUNIT_TEST)]
#[kunit_tests(rust_rseq_stats)]
mod tests {
    use super::*;

    #[test]
    fn sums_and_wraps() {
        let one = Stats {
            exit: 1,
            fixup: 8,
            s_aborted: 13,
            ..Stats::default()
        };
        let mut sum = Stats {
            exit: c_ulong::MAX,
            ..Stats::default()
        };
        add(&mut sum, &one);
        add(&mut sum, &one);
        assert_eq!(sum.exit, 1);
        assert_eq!(sum.fixup, 16);
        assert_eq!(
            sum.s_aborted,
            if cfg!(CONFIG_RSEQ_SLICE_EXTENSION) {
                26
            } else {
                0
            }
        );
    }
}
