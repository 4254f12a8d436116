// SPDX-License-Identifier: GPL-2.0
/*
 * rseq ABI: time slice extension prctl errors and state, and the
 * grant / yield / revoke protocol with assertions on every step.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>

#include "abi_util.h"

#include "../kselftest_harness.h"

static struct rseq area __aligned(ABI_RSEQ_ALIGN);

#define SLICE_NSEC_FILE	ABI_DEBUGFS_DIR "/slice_ext_nsec"
#define STATS_FILE	ABI_DEBUGFS_DIR "/stats"

/* slice counters of /sys/kernel/debug/rseq/stats (root, RSEQ_STATS) */
struct sstats {
	unsigned long grant, expir, revok, yield, abort;
};

static bool read_sstats(struct sstats *s)
{
	char buf[2048], *p;
	static const char *const names[] = { "sgrant:", "sexpir:", "srevok:",
					     "syield:", "sabort:" };
	unsigned long *v[] = { &s->grant, &s->expir, &s->revok, &s->yield, &s->abort };
	int i;

	if (abi_read_file(STATS_FILE, buf, sizeof(buf)) <= 0)
		return false;
	for (i = 0; i < 5; i++) {
		p = strstr(buf, names[i]);
		if (!p || sscanf(p + strlen(names[i]), "%lu", v[i]) != 1)
			return false;
	}
	return true;
}

/*
 * 1: configured and key on; 0: not available (reason in *why);
 * -1: configured (rseq_slice_yield exists) but GET fails.
 */
static int slice_support(const char **why)
{
	long r;

	if (!abi_slice_configured()) {
		*why = "kernel without CONFIG_RSEQ_SLICE_EXTENSION";
		return 0;
	}
	errno = 0;
	r = abi_prctl_slice(PR_RSEQ_SLICE_EXTENSION_GET, 0, 0, 0);
	if (r != 0) {
		*why = "PR_RSEQ_SLICE_EXTENSION_GET failed although rseq_slice_yield exists";
		return -1;
	}
	if (sys_rseq(&area, 64, 0, ABI_RSEQ_SIG)) {
		*why = "v2 registration failed";
		return -1;
	}
	r = area.flags & RSEQ_CS_FLAG_SLICE_EXT_AVAILABLE;
	sys_rseq(&area, 64, RSEQ_FLAG_UNREGISTER, ABI_RSEQ_SIG);
	if (!abi_slice_expected()) {
		*why = "slice extension disabled (rseq_slice_ext= on the command line)";
		return 0;
	}
	if (!r) {
		*why = "v2 registration without RSEQ_CS_FLAG_SLICE_EXT_AVAILABLE";
		return -1;
	}
	return 1;
}

#define REQUIRE_SLICE() do {						\
	const char *__why = "";						\
	int __r;							\
	ABI_REQUIRE_OWN_RSEQ();						\
	__r = slice_support(&__why);					\
	ASSERT_GE(__r, 0) TH_LOG("%s", __why);				\
	if (!__r)							\
		SKIP(return, "%s", __why);				\
} while (0)

#define EXPECT_PRCTL_ERR(op, a3, a4, a5, e) do {			\
	errno = 0;							\
	ASSERT_EQ(abi_prctl_slice(op, a3, a4, a5), -1);			\
	ASSERT_EQ(errno, e);						\
} while (0)

TEST(prctl_arg4_arg5_nonzero_einval_on_every_config)
{
	ABI_REQUIRE_OWN_RSEQ();
	EXPECT_PRCTL_ERR(PR_RSEQ_SLICE_EXTENSION_GET, 0, 1, 0, EINVAL);
	EXPECT_PRCTL_ERR(PR_RSEQ_SLICE_EXTENSION_GET, 0, 0, 1, EINVAL);
	EXPECT_PRCTL_ERR(PR_RSEQ_SLICE_EXTENSION_SET, 1, 1, 0, EINVAL);
	EXPECT_PRCTL_ERR(PR_RSEQ_SLICE_EXTENSION_SET, 0, 0, 1, EINVAL);
}

TEST(prctl_without_config_is_enotsupp_for_every_subcommand)
{
	ABI_REQUIRE_OWN_RSEQ();
	if (abi_slice_configured())
		SKIP(return, "kernel has CONFIG_RSEQ_SLICE_EXTENSION");
	EXPECT_PRCTL_ERR(PR_RSEQ_SLICE_EXTENSION_GET, 0, 0, 0, ABI_ENOTSUPP);
	EXPECT_PRCTL_ERR(PR_RSEQ_SLICE_EXTENSION_GET, 1, 0, 0, ABI_ENOTSUPP);
	EXPECT_PRCTL_ERR(PR_RSEQ_SLICE_EXTENSION_SET, 1, 0, 0, ABI_ENOTSUPP);
	EXPECT_PRCTL_ERR(0, 0, 0, 0, ABI_ENOTSUPP);
	ASSERT_EQ(sys_rseq(&area, 64, RSEQ_FLAG_SLICE_EXT_DEFAULT_ON, ABI_RSEQ_SIG), 0);
	ASSERT_EQ(area.flags, 0);
	EXPECT_PRCTL_ERR(PR_RSEQ_SLICE_EXTENSION_SET, 1, 0, 0, ABI_ENOTSUPP);
}

TEST(prctl_errors)
{
	REQUIRE_SLICE();
	/* unregistered: GET works (0), SET is ENXIO */
	ASSERT_EQ(abi_prctl_slice(PR_RSEQ_SLICE_EXTENSION_GET, 0, 0, 0), 0);
	EXPECT_PRCTL_ERR(PR_RSEQ_SLICE_EXTENSION_GET, 1, 0, 0, EINVAL);
	EXPECT_PRCTL_ERR(PR_RSEQ_SLICE_EXTENSION_SET, 2, 0, 0, EINVAL);
	EXPECT_PRCTL_ERR(PR_RSEQ_SLICE_EXTENSION_SET, ~0UL, 0, 0, EINVAL);
	EXPECT_PRCTL_ERR(PR_RSEQ_SLICE_EXTENSION_SET, 1, 0, 0, ENXIO);
	EXPECT_PRCTL_ERR(PR_RSEQ_SLICE_EXTENSION_SET, 0, 0, 0, ENXIO);
	EXPECT_PRCTL_ERR(0, 0, 0, 0, EINVAL);
	EXPECT_PRCTL_ERR(3, 0, 0, 0, EINVAL);
	/* legacy: ENOTSUPP (524), not EINVAL as rseq.rst says */
	ASSERT_EQ(sys_rseq(&area, 32, 0, ABI_RSEQ_SIG), 0);
	EXPECT_PRCTL_ERR(PR_RSEQ_SLICE_EXTENSION_SET, 1, 0, 0, ABI_ENOTSUPP);
	EXPECT_PRCTL_ERR(PR_RSEQ_SLICE_EXTENSION_SET, 0, 0, 0, ABI_ENOTSUPP);
	EXPECT_PRCTL_ERR(PR_RSEQ_SLICE_EXTENSION_SET, 2, 0, 0, EINVAL);
	ASSERT_EQ(abi_prctl_slice(PR_RSEQ_SLICE_EXTENSION_GET, 0, 0, 0), 0);
}

TEST(prctl_toggle_updates_flags)
{
	REQUIRE_SLICE();
	ASSERT_EQ(sys_rseq(&area, 64, 0, ABI_RSEQ_SIG), 0);
	ASSERT_EQ(area.flags, RSEQ_CS_FLAG_SLICE_EXT_AVAILABLE);
	ASSERT_EQ(abi_prctl_slice(PR_RSEQ_SLICE_EXTENSION_GET, 0, 0, 0), 0);
	ASSERT_EQ(abi_prctl_slice(PR_RSEQ_SLICE_EXTENSION_SET, PR_RSEQ_SLICE_EXT_ENABLE, 0, 0), 0);
	ASSERT_EQ(area.flags, RSEQ_CS_FLAG_SLICE_EXT_AVAILABLE | RSEQ_CS_FLAG_SLICE_EXT_ENABLED);
	ASSERT_EQ(abi_prctl_slice(PR_RSEQ_SLICE_EXTENSION_GET, 0, 0, 0), 1);
	/* no change */
	ASSERT_EQ(abi_prctl_slice(PR_RSEQ_SLICE_EXTENSION_SET, PR_RSEQ_SLICE_EXT_ENABLE, 0, 0), 0);
	ASSERT_EQ(area.flags, RSEQ_CS_FLAG_SLICE_EXT_AVAILABLE | RSEQ_CS_FLAG_SLICE_EXT_ENABLED);
	/* other user bits in flags are preserved */
	area.flags |= 0x00ff0000;
	ASSERT_EQ(abi_prctl_slice(PR_RSEQ_SLICE_EXTENSION_SET, 0, 0, 0), 0);
	ASSERT_EQ(area.flags, 0x00ff0000 | RSEQ_CS_FLAG_SLICE_EXT_AVAILABLE);
	ASSERT_EQ(abi_prctl_slice(PR_RSEQ_SLICE_EXTENSION_GET, 0, 0, 0), 0);
	/* unregister wipes the state */
	ASSERT_EQ(abi_prctl_slice(PR_RSEQ_SLICE_EXTENSION_SET, 1, 0, 0), 0);
	ASSERT_EQ(sys_rseq(&area, 64, RSEQ_FLAG_UNREGISTER, ABI_RSEQ_SIG), 0);
	ASSERT_EQ(abi_prctl_slice(PR_RSEQ_SLICE_EXTENSION_GET, 0, 0, 0), 0);
}

TEST(prctl_no_change_shortcut_does_not_read_flags)
{
	REQUIRE_SLICE();
	ASSERT_EQ(sys_rseq(&area, 64, 0, ABI_RSEQ_SIG), 0);
	area.flags = 0;		/* user cleared AVAILABLE */
	ASSERT_EQ(abi_prctl_slice(PR_RSEQ_SLICE_EXTENSION_SET, 0, 0, 0), 0);
	ASSERT_EQ(area.flags, 0);
}

static atomic_int segv_seen;

static void segv_handler(int sig)
{
	segv_seen++;
}

static void prctl_fault_child(struct __test_metadata *_metadata, void *p)
{
	long mode = (long)p, r;
	int e;

	signal(SIGSEGV, segv_handler);
	ASSERT_EQ(sys_rseq(&area, 64, mode == 1 ? RSEQ_FLAG_SLICE_EXT_DEFAULT_ON : 0,
			   ABI_RSEQ_SIG), 0);
	if (mode == 0) {
		area.flags &= ~RSEQ_CS_FLAG_SLICE_EXT_AVAILABLE;
		r = abi_prctl_slice(PR_RSEQ_SLICE_EXTENSION_SET, 1, 0, 0);
	} else {
		/* enabled, user cleared ENABLED: disabling needs it present */
		area.flags &= ~RSEQ_CS_FLAG_SLICE_EXT_ENABLED;
		r = abi_prctl_slice(PR_RSEQ_SLICE_EXTENSION_SET, 0, 0, 0);
	}
	e = errno;
	ASSERT_EQ(r, -1);
	ASSERT_EQ(e, EFAULT);
	ASSERT_EQ(atomic_load(&segv_seen), 1);
	/* state unchanged */
	ASSERT_EQ(abi_prctl_slice(PR_RSEQ_SLICE_EXTENSION_GET, 0, 0, 0), mode);
}

TEST(prctl_set_with_user_cleared_available_sigsegv_efault)
{
	int st;

	REQUIRE_SLICE();
	st = abi_run_child(_metadata, prctl_fault_child, (void *)0);
	ASSERT_TRUE(ABI_EXITED_OK(st)) TH_LOG("child status %#x", st);
}

TEST(prctl_clear_with_user_cleared_enabled_sigsegv_efault)
{
	int st;

	REQUIRE_SLICE();
	st = abi_run_child(_metadata, prctl_fault_child, (void *)1);
	ASSERT_TRUE(ABI_EXITED_OK(st)) TH_LOG("child status %#x", st);
}

static void prctl_fault_kill_child(struct __test_metadata *_metadata, void *p)
{
	ASSERT_EQ(sys_rseq(&area, 64, 0, ABI_RSEQ_SIG), 0);
	area.flags = 0;
	abi_prctl_slice(PR_RSEQ_SLICE_EXTENSION_SET, 1, 0, 0);
	/* survived: the parent sees exit 0, not SIGSEGV */
}

TEST(prctl_set_inconsistent_flags_kills_without_handler)
{
	int st;

	REQUIRE_SLICE();
	st = abi_run_child(_metadata, prctl_fault_kill_child, NULL);
	ASSERT_TRUE(ABI_KILLED_BY_SEGV(st)) TH_LOG("child status %#x", st);
}

TEST(slice_yield_without_grant_returns_0)
{
	ABI_REQUIRE_OWN_RSEQ();
	errno = 0;
	if (sys_slice_yield() < 0 && errno == ENOSYS)
		SKIP(return, "rseq_slice_yield not available (ENOSYS)");
	ASSERT_EQ(sys_slice_yield(), 0);
	ASSERT_EQ(sys_rseq(&area, 64, RSEQ_FLAG_SLICE_EXT_DEFAULT_ON, ABI_RSEQ_SIG), 0);
	ASSERT_EQ(sys_slice_yield(), 0);
	ASSERT_EQ(sys_slice_yield(), 0);
}

/* Grant / yield / revoke, driven by a same-CPU noise thread. */
static struct abi_noise noise;

static char saved_nsec[32];

static void set_long_slice(void)
{
	if (abi_read_file(SLICE_NSEC_FILE, saved_nsec, sizeof(saved_nsec)) > 0)
		abi_write_file(SLICE_NSEC_FILE, "50000");
	else
		saved_nsec[0] = 0;
}

static void restore_slice(void)
{
	if (saved_nsec[0])
		abi_write_file(SLICE_NSEC_FILE, saved_nsec);
}

struct grant_stats {
	int grants, revoked_before_grant, yield_ok, yield_zero, bad;
	char why[128];
	bool have_stats;
	struct sstats before, after;
};

/*
 * One request: set request, spin in user mode until the kernel acts.
 * Returns 1 when granted (slice_ctrl == {request 0, granted 1}),
 * 0 when the request was dropped by event processing, -1 on timeout,
 * -2 on an inconsistent value.
 */
static int request_and_wait(uint64_t timeout_ns)
{
	uint64_t end = abi_now_ns() + timeout_ns;
	unsigned long i;
	uint32_t v;

	/*
	 * Spin without system calls (clock_gettime may not be a vDSO call
	 * under emulation): a syscall would revoke a grant.
	 */
	WRITE_ONCE(area.slice_ctrl.request, 1);
	for (i = 1;; i++) {
		v = READ_ONCE(area.slice_ctrl.all);
		if (v != 1)
			break;
		if (!(i & 0xfffff) && abi_now_ns() > end)
			return -1;
	}
	if (v == 0)
		return 0;
	/* granted: request cleared by the kernel, granted set */
	if (v == (1U << 8))
		return 1;
	return -2;
}

enum after_grant { AG_YIELD, AG_OTHER_SYSCALL, AG_SPIN };

static void grant_loop(struct __test_metadata *_metadata, enum after_grant ag,
		       struct grant_stats *gs)
{
	uint64_t end = abi_now_ns() + 4000000000ULL;
	pthread_t t;
	int cpu;

	memset(gs, 0, sizeof(*gs));
	cpu = abi_pin_here();
	ASSERT_GE(cpu, 0);
	ASSERT_EQ(sys_rseq(&area, 64, RSEQ_FLAG_SLICE_EXT_DEFAULT_ON, ABI_RSEQ_SIG), 0);
	ASSERT_EQ(area.flags, RSEQ_CS_FLAG_SLICE_EXT_AVAILABLE | RSEQ_CS_FLAG_SLICE_EXT_ENABLED);
	ASSERT_EQ(abi_noise_start(&noise, cpu, &t), 0);
	gs->have_stats = read_sstats(&gs->before);

	while (abi_now_ns() < end && gs->grants < 10 && !gs->bad) {
		int r = request_and_wait(1000000000ULL);
		long y;

		if (r == -1) {
			snprintf(gs->why, sizeof(gs->why), "no kernel action within 1s");
			gs->bad = 1;
			break;
		}
		if (r == -2) {
			snprintf(gs->why, sizeof(gs->why), "slice_ctrl %#x",
				 area.slice_ctrl.all);
			gs->bad = 1;
			break;
		}
		if (r == 0) {
			gs->revoked_before_grant++;
			continue;
		}
		gs->grants++;
		switch (ag) {
		case AG_YIELD:
			y = sys_slice_yield();
			if (y == 1)
				gs->yield_ok++;
			else if (y == 0)
				gs->yield_zero++;	/* expired before the syscall */
			else
				gs->bad = 1;
			break;
		case AG_OTHER_SYSCALL:
			getppid();
			/* not a yield: the next yield reports nothing */
			if (sys_slice_yield() != 0) {
				snprintf(gs->why, sizeof(gs->why), "yield after getppid != 0");
				gs->bad = 1;
			}
			break;
		case AG_SPIN: {
			/* the expiry timer forces a reschedule, which revokes */
			/*
			 * No system call at all here (clock_gettime is not
			 * a vDSO call with every clocksource): a syscall
			 * would end the grant instead of the timer. The
			 * bound is only a safety net (seconds under TCG).
			 */
			unsigned long i;

			for (i = 1; READ_ONCE(area.slice_ctrl.all) != 0; i++)
				if (i > (1UL << 32))
					break;
			if (area.slice_ctrl.all != 0) {
				snprintf(gs->why, sizeof(gs->why), "grant not revoked within 1s");
				gs->bad = 1;
			}
			break;
		}
		}
		/* whatever happened, the kernel cleared the user control word */
		if (!gs->bad && area.slice_ctrl.all != 0) {
			snprintf(gs->why, sizeof(gs->why), "slice_ctrl %#x after revoke",
				 area.slice_ctrl.all);
			gs->bad = 1;
		}
	}
	abi_noise_stop(&noise, t);
	if (gs->have_stats)
		gs->have_stats = read_sstats(&gs->after);
}

/* How much each slice counter moved over the run. */
static struct sstats sdelta(const struct grant_stats *gs)
{
	return (struct sstats){
		.grant = gs->after.grant - gs->before.grant,
		.expir = gs->after.expir - gs->before.expir,
		.revok = gs->after.revok - gs->before.revok,
		.yield = gs->after.yield - gs->before.yield,
		.abort = gs->after.abort - gs->before.abort,
	};
}

TEST(grant_then_yield_returns_1_and_clears)
{
	struct grant_stats gs;

	REQUIRE_SLICE();
	set_long_slice();
	grant_loop(_metadata, AG_YIELD, &gs);
	restore_slice();
	TH_LOG("grants %d dropped %d yield1 %d yield0 %d", gs.grants,
	       gs.revoked_before_grant, gs.yield_ok, gs.yield_zero);
	ASSERT_EQ(gs.bad, 0) TH_LOG("%s", gs.why);
	ASSERT_GT(gs.grants, 0);
	ASSERT_GT(gs.yield_ok, 0);
	if (gs.have_stats) {
		/* stats: sgrant per grant, syield per successful yield */
		ASSERT_GE(sdelta(&gs).grant, gs.grants);
		ASSERT_GE(sdelta(&gs).yield, gs.yield_ok);
	}
}

TEST(grant_then_other_syscall_revokes)
{
	struct grant_stats gs;

	REQUIRE_SLICE();
	set_long_slice();
	grant_loop(_metadata, AG_OTHER_SYSCALL, &gs);
	restore_slice();
	TH_LOG("grants %d dropped %d", gs.grants, gs.revoked_before_grant);
	ASSERT_EQ(gs.bad, 0) TH_LOG("%s", gs.why);
	ASSERT_GT(gs.grants, 0);
	if (gs.have_stats) {
		/*
		 * A syscall other than rseq_slice_yield that finds the
		 * grant still active counts sabort. A grant whose timer
		 * expired before the syscall (sexpir; seen with a precise
		 * clocksource under TCG) ended with a reschedule instead.
		 */
		TH_LOG("sabort %lu sexpir %lu", sdelta(&gs).abort, sdelta(&gs).expir);
		ASSERT_GE(sdelta(&gs).grant, gs.grants);
		ASSERT_GT(sdelta(&gs).abort, 0);
		ASSERT_GE(sdelta(&gs).abort + sdelta(&gs).expir, gs.grants);
	}
}

TEST(grant_expires_without_syscall)
{
	struct grant_stats gs;

	REQUIRE_SLICE();
	grant_loop(_metadata, AG_SPIN, &gs);
	TH_LOG("grants %d dropped %d", gs.grants, gs.revoked_before_grant);
	ASSERT_EQ(gs.bad, 0) TH_LOG("%s", gs.why);
	ASSERT_GT(gs.grants, 0);
	if (gs.have_stats) {
		/* Each grant ends revoked in the kernel (srevok) */
		TH_LOG("sexpir %lu srevok %lu", sdelta(&gs).expir, sdelta(&gs).revok);
		ASSERT_GE(sdelta(&gs).grant, gs.grants);
		ASSERT_GE(sdelta(&gs).revok, gs.grants);
	}
}

/* Not enabled: the kernel never grants; preemption just drops the request. */
TEST(request_without_enable_is_dropped_never_granted)
{
	uint64_t end;
	pthread_t t;
	int cpu, dropped = 0;

	REQUIRE_SLICE();
	cpu = abi_pin_here();
	ASSERT_EQ(sys_rseq(&area, 64, 0, ABI_RSEQ_SIG), 0);
	ASSERT_EQ(abi_noise_start(&noise, cpu, &t), 0);
	end = abi_now_ns() + 2000000000ULL;
	while (abi_now_ns() < end && dropped < 5) {
		int r = request_and_wait(1000000000ULL);

		ASSERT_NE(r, 1) TH_LOG("granted although not enabled");
		ASSERT_NE(r, -2);
		if (r == 0)
			dropped++;
	}
	abi_noise_stop(&noise, t);
	ASSERT_GT(dropped, 0);
}

/* Legacy: bytes 28-31 are user memory, even with the same values. */
TEST(legacy_slice_bytes_never_touched)
{
	uint64_t end;
	pthread_t t;
	int cpu, i;

	ABI_REQUIRE_OWN_RSEQ();
	cpu = abi_pin_here();
	area.slice_ctrl.all = 0x5a000001;	/* looks like a request */
	ASSERT_EQ(sys_rseq(&area, 32, RSEQ_FLAG_SLICE_EXT_DEFAULT_ON, ABI_RSEQ_SIG), 0);
	ASSERT_EQ(abi_noise_start(&noise, cpu, &t), 0);
	end = abi_now_ns() + 500000000ULL;
	for (i = 0; abi_now_ns() < end; i++) {
		ASSERT_EQ(READ_ONCE(area.slice_ctrl.all), 0x5a000001);
		if (!(i & 0xfff))
			sys_slice_yield();
	}
	abi_noise_stop(&noise, t);
	ASSERT_EQ(area.slice_ctrl.all, 0x5a000001);
}

/*
 * The rseq_slice_ext= parameter on the boot command line (SKIPs unless the guest
 * was booted with it). false turns the static key off: v2 registrations
 * get no slice bits even with DEFAULT_ON and SET is ENOTSUPP before the
 * registration check. An invalid value is not consumed by the handler
 * (it returns 0), so the kernel passes it on to init's environment, and
 * the key stays on.
 */
TEST(boot_param_rseq_slice_ext)
{
	char val[64];
	int b, env;

	ABI_REQUIRE_OWN_RSEQ();
	if (!abi_cmdline_param("rseq_slice_ext=", val, sizeof(val)))
		SKIP(return, "booted without rseq_slice_ext= on the command line");
	if (access(SLICE_NSEC_FILE, F_OK) && geteuid() == 0)
		SKIP(return, "kernel without CONFIG_RSEQ_SLICE_EXTENSION");
	b = abi_kstrtobool(val);
	env = abi_init_env_has("rseq_slice_ext=", val);
	if (env >= 0)
		ASSERT_EQ(env, b < 0);
	if (b == 0) {
		EXPECT_PRCTL_ERR(PR_RSEQ_SLICE_EXTENSION_SET, 1, 0, 0, ABI_ENOTSUPP);
		ASSERT_EQ(sys_rseq(&area, 64, RSEQ_FLAG_SLICE_EXT_DEFAULT_ON, ABI_RSEQ_SIG), 0);
		ASSERT_EQ(area.flags, 0);
		ASSERT_EQ(abi_prctl_slice(PR_RSEQ_SLICE_EXTENSION_GET, 0, 0, 0), 0);
		EXPECT_PRCTL_ERR(PR_RSEQ_SLICE_EXTENSION_SET, 1, 0, 0, ABI_ENOTSUPP);
	} else {
		ASSERT_EQ(sys_rseq(&area, 64, RSEQ_FLAG_SLICE_EXT_DEFAULT_ON, ABI_RSEQ_SIG), 0);
		ASSERT_EQ(area.flags,
			  RSEQ_CS_FLAG_SLICE_EXT_AVAILABLE | RSEQ_CS_FLAG_SLICE_EXT_ENABLED);
	}
}

TEST_HARNESS_MAIN
