// SPDX-License-Identifier: GPL-2.0

#include <linux/hrtimer.h>
#include <linux/rseq.h>
#include <linux/rseq_entry.h>

#ifdef CONFIG_RSEQ

__rust_helper void rust_helper_rseq_force_update(void)
{
	rseq_force_update();
}

__rust_helper void rust_helper_rseq_reset(struct task_struct *t)
{
	rseq_reset(t);
}

__rust_helper bool rust_helper_rseq_v2(struct task_struct *t)
{
	return rseq_v2(t);
}

__rust_helper unsigned int rust_helper_rseq_alloc_align(void)
{
	return rseq_alloc_align();
}

__rust_helper void rust_helper_rseq_slice_clear_grant(struct task_struct *t)
{
	rseq_slice_clear_grant(t);
}

__rust_helper void rust_helper_rseq_trace_update(struct task_struct *t, struct rseq_ids *ids)
{
	rseq_trace_update(t, ids);
}

__rust_helper bool rust_helper_rseq_trace_update_enabled(void)
{
#ifdef CONFIG_TRACEPOINTS
	return tracepoint_enabled(rseq_update);
#else
	return false;
#endif
}

__rust_helper void rust_helper_rseq_trace_ip_fixup(unsigned long ip, unsigned long start_ip,
						   unsigned long offset, unsigned long abort_ip)
{
	rseq_trace_ip_fixup(ip, start_ip, offset, abort_ip);
}

__rust_helper unsigned int rust_helper_task_cpu(const struct task_struct *p)
{
	return task_cpu(p);
}

__rust_helper int rust_helper_task_mm_cid(struct task_struct *t)
{
	return task_mm_cid(t);
}

#ifdef CONFIG_RSEQ_STATS
__rust_helper void rust_helper_rseq_stat_inc_signal(void)
{
	this_cpu_inc(rseq_stats.signal);
}

__rust_helper void rust_helper_rseq_stat_inc_slowpath(void)
{
	this_cpu_inc(rseq_stats.slowpath);
}

__rust_helper void rust_helper_rseq_stat_inc_fastpath(void)
{
	this_cpu_inc(rseq_stats.fastpath);
}

__rust_helper void rust_helper_rseq_stat_inc_ids(void)
{
	this_cpu_inc(rseq_stats.ids);
}

__rust_helper void rust_helper_rseq_stat_inc_cs(void)
{
	this_cpu_inc(rseq_stats.cs);
}

__rust_helper void rust_helper_rseq_stat_inc_clear(void)
{
	this_cpu_inc(rseq_stats.clear);
}

__rust_helper void rust_helper_rseq_stat_inc_fixup(void)
{
	this_cpu_inc(rseq_stats.fixup);
}
#endif /* CONFIG_RSEQ_STATS */

#ifdef CONFIG_RSEQ_STATS
__rust_helper bool rust_helper_rseq_stats_read_cpu(unsigned int cpu, unsigned long *out)
{
	struct rseq_stats stats;

	/* Rust's kernel::rseq::Stats: 13 counters, in this order */
	BUILD_BUG_ON(sizeof(stats) != 13 * sizeof(unsigned long));
	BUILD_BUG_ON(offsetof(struct rseq_stats, exit) != 0 * sizeof(unsigned long));
	BUILD_BUG_ON(offsetof(struct rseq_stats, signal) != 1 * sizeof(unsigned long));
	BUILD_BUG_ON(offsetof(struct rseq_stats, slowpath) != 2 * sizeof(unsigned long));
	BUILD_BUG_ON(offsetof(struct rseq_stats, fastpath) != 3 * sizeof(unsigned long));
	BUILD_BUG_ON(offsetof(struct rseq_stats, ids) != 4 * sizeof(unsigned long));
	BUILD_BUG_ON(offsetof(struct rseq_stats, cs) != 5 * sizeof(unsigned long));
	BUILD_BUG_ON(offsetof(struct rseq_stats, clear) != 6 * sizeof(unsigned long));
	BUILD_BUG_ON(offsetof(struct rseq_stats, fixup) != 7 * sizeof(unsigned long));
	BUILD_BUG_ON(offsetof(struct rseq_stats, s_granted) != 8 * sizeof(unsigned long));
	BUILD_BUG_ON(offsetof(struct rseq_stats, s_expired) != 9 * sizeof(unsigned long));
	BUILD_BUG_ON(offsetof(struct rseq_stats, s_revoked) != 10 * sizeof(unsigned long));
	BUILD_BUG_ON(offsetof(struct rseq_stats, s_yielded) != 11 * sizeof(unsigned long));
	BUILD_BUG_ON(offsetof(struct rseq_stats, s_aborted) != 12 * sizeof(unsigned long));
	if (!cpu_possible(cpu))
		return false;
	/* Racy against the increments, like the C reader rseq_stats_show() */
	stats = data_race(*per_cpu_ptr(&rseq_stats, cpu));
	memcpy(out, &stats, sizeof(stats));
	return true;
}
#endif /* CONFIG_RSEQ_STATS */

#ifdef CONFIG_RSEQ_SLICE_EXTENSION
__rust_helper unsigned int rust_helper_rseq_slice_ext_nsecs_get(void)
{
	/* Racy against a debugfs write, like the C reader in the grant */
	return data_race(rseq_slice_ext_nsecs);
}

__rust_helper void rust_helper_rseq_slice_ext_nsecs_set(unsigned int nsecs)
{
	WRITE_ONCE(rseq_slice_ext_nsecs, nsecs);
}

__rust_helper void rust_helper_clear_task_syscall_work_rseq_slice(struct task_struct *t)
{
	clear_task_syscall_work(t, SYSCALL_RSEQ_SLICE);
}

/*
 * As rseq_slice_set_need_resched() in kernel/rseq.c, but saving and
 * restoring the interrupt state: the Rust caller may already run with
 * interrupts disabled. No scoped_guard() here, its static class variable
 * cannot be used in an inline helper.
 */
__rust_helper void rust_helper_rseq_slice_set_need_resched(void)
{
	unsigned long flags;

	local_irq_save(flags);
	set_need_resched_current();
	local_irq_restore(flags);
}

__rust_helper void rust_helper_set_task_syscall_work_rseq_slice(struct task_struct *t)
{
	set_task_syscall_work(t, SYSCALL_RSEQ_SLICE);
}

/*
 * This CPU's slice timer, struct rseq_slice_timer in <linux/rseq_entry.h>.
 * The callers keep the CPU stable with preemption disabled, and start the
 * timer with interrupts disabled: its callback reads the cookie.
 */
__rust_helper void rust_helper_rseq_slice_timer_start(void *cookie, u64 expires)
{
	struct rseq_slice_timer *st = this_cpu_ptr(&rseq_slice_timer);

	st->cookie = cookie;
	hrtimer_start(&st->timer, expires, HRTIMER_MODE_ABS_PINNED_HARD);
}

__rust_helper void *rust_helper_rseq_slice_timer_cookie(void)
{
	return __this_cpu_read(rseq_slice_timer.cookie);
}

__rust_helper void rust_helper_rseq_slice_timer_try_cancel(void)
{
	hrtimer_try_to_cancel(this_cpu_ptr(&rseq_slice_timer.timer));
}

/*
 * As the grant in __rseq_grant_slice_extension() in <linux/rseq_entry.h>,
 * but saving and restoring the interrupt state, see above.
 */
__rust_helper void rust_helper_rseq_slice_clear_need_resched(void)
{
	unsigned long flags;

	local_irq_save(flags);
	clear_tsk_need_resched(current);
	clear_preempt_need_resched();
	local_irq_restore(flags);
}

#ifdef CONFIG_RSEQ_STATS
__rust_helper void rust_helper_rseq_stat_inc_s_granted(void)
{
	this_cpu_inc(rseq_stats.s_granted);
}

__rust_helper void rust_helper_rseq_stat_inc_s_expired(void)
{
	this_cpu_inc(rseq_stats.s_expired);
}

__rust_helper void rust_helper_rseq_stat_inc_s_yielded(void)
{
	this_cpu_inc(rseq_stats.s_yielded);
}

__rust_helper void rust_helper_rseq_stat_inc_s_aborted(void)
{
	this_cpu_inc(rseq_stats.s_aborted);
}
#endif /* CONFIG_RSEQ_STATS */
#endif /* CONFIG_RSEQ_SLICE_EXTENSION */

#endif /* CONFIG_RSEQ */
