// SPDX-License-Identifier: GPL-2.0
/*
 * rseq ABI: behavior controlled or observed through debugfs (root):
 *
 *  - /sys/kernel/debug/rseq/debug: format and input validation,
 *    read-only enforcement for legacy registrations, the full
 *    critical section validation and the slice syscall-entry
 *    validation that only run in debug mode.
 *  - /sys/kernel/debug/rseq/stats: the counters move as the events
 *    happen, v2 does not write IDs after a plain sleep while legacy
 *    does, and a fault in the inline fast path falls back to the slow
 *    path with identical results.
 *  - /sys/kernel/debug/rseq/slice_ext_nsec bounds.
 *
 * Every test that flips the debug key restores the previous value.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <ucontext.h>

#include "abi_util.h"
#include "abi_cs_asm.h"

#include "../kselftest_harness.h"

#define DEBUG_FILE	ABI_DEBUGFS_DIR "/debug"
#define STATS_FILE	ABI_DEBUGFS_DIR "/stats"
#define NSEC_FILE	ABI_DEBUGFS_DIR "/slice_ext_nsec"

static struct rseq area __aligned(ABI_RSEQ_ALIGN);
static struct rseq_cs desc;

#define REQUIRE_FILE(path) do {						\
	const char *__path = (path);					\
	if (geteuid() != 0)						\
		SKIP(return, "needs root for debugfs");			\
	if (access(__path, F_OK))					\
		SKIP(return, "%s missing (debugfs not mounted or feature not configured)", \
		     __path);						\
} while (0)

static bool debugfs_mounted(void)
{
	char buf[8192];

	if (abi_read_file("/proc/mounts", buf, sizeof(buf)) <= 0)
		return false;
	return strstr(buf, " /sys/kernel/debug debugfs ");
}

/* The rseq debugfs directory and its debug file always exist. */
TEST(debugfs_rseq_debug_file_exists)
{
	if (geteuid() != 0)
		SKIP(return, "needs root for debugfs");
	if (!debugfs_mounted())
		SKIP(return, "debugfs not mounted at /sys/kernel/debug");
	ASSERT_EQ(access(ABI_DEBUGFS_DIR, F_OK), 0);
	ASSERT_EQ(access(DEBUG_FILE, R_OK | W_OK), 0);
}

/* ---- debug key fixture ---- */

FIXTURE(dbg)
{
	int saved;
};

FIXTURE_SETUP(dbg)
{
	self->saved = -1;
	REQUIRE_FILE(DEBUG_FILE);
	ABI_REQUIRE_OWN_RSEQ();
	self->saved = abi_debug_state();
	ASSERT_GE(self->saved, 0);
	ASSERT_EQ(abi_write_file(DEBUG_FILE, "1"), 0);
	ASSERT_EQ(abi_debug_state(), 1);
}

FIXTURE_TEARDOWN(dbg)
{
	if (self->saved >= 0)
		abi_write_file(DEBUG_FILE, self->saved ? "1" : "0");
}

TEST_F(dbg, debugfs_format_and_bad_input)
{
	char buf[16];

	ASSERT_EQ(abi_read_file(DEBUG_FILE, buf, sizeof(buf)), 2);
	ASSERT_STREQ(buf, "1\n");
	ASSERT_EQ(abi_write_file(DEBUG_FILE, "0"), 0);
	ASSERT_EQ(abi_read_file(DEBUG_FILE, buf, sizeof(buf)), 2);
	ASSERT_STREQ(buf, "0\n");
	ASSERT_EQ(abi_write_file(DEBUG_FILE, "junk"), -EINVAL);
	ASSERT_EQ(abi_write_file(DEBUG_FILE, "2"), -EINVAL);
	ASSERT_EQ(abi_debug_state(), 0);
	/* kstrtobool spellings */
	ASSERT_EQ(abi_write_file(DEBUG_FILE, "y"), 0);
	ASSERT_EQ(abi_debug_state(), 1);
	ASSERT_EQ(abi_write_file(DEBUG_FILE, "off"), 0);
	ASSERT_EQ(abi_debug_state(), 0);
	ASSERT_EQ(abi_write_file(DEBUG_FILE, "on"), 0);
	ASSERT_EQ(abi_debug_state(), 1);
	ASSERT_EQ(abi_write_file(DEBUG_FILE, "N\n"), 0);
	ASSERT_EQ(abi_debug_state(), 0);
}

/* Legacy read-only enforcement in debug mode */
static void legacy_ro_child(struct __test_metadata *_metadata, void *p)
{
	ASSERT_GE(abi_pin_here(), 0);
	ASSERT_EQ(sys_rseq(&area, 32, 0, ABI_RSEQ_SIG), 0);
	area.cpu_id_start ^= 0x100;
	abi_failed_exec();
	/* survived: the parent sees exit 0, not SIGSEGV */
}

TEST_F(dbg, legacy_readonly_violation_killed_in_debug)
{
	int st = abi_run_child(_metadata, legacy_ro_child, NULL);

	ASSERT_TRUE(ABI_KILLED_BY_SEGV(st)) TH_LOG("child status %#x", st);
}

#ifdef ABI_HAVE_CS_ASM
static void desc_sys(void)
{
	abi_cs_desc_sys(&desc);
}

static void desc_spin(void)
{
	abi_cs_desc_spin(&desc);
}

static void nop_handler(int sig)
{
}

enum dkill {
	DK_VERSION, DK_FLAGS, DK_ABORT_INSIDE, DK_END_OVERFLOW,
	DK_START_BEYOND, DK_SYSCALL_IN_CS,
};

struct dkill_arg {
	enum dkill kind;
	uint32_t len;
};

/*
 * Uses the timer-signal path (interrupt from user mode) so that the
 * kill comes from the descriptor check and not from the
 * "syscall inside a CS" rule, except for DK_SYSCALL_IN_CS.
 */
static void dkill_child(struct __test_metadata *_metadata, void *p)
{
	static atomic_int inflag;
	struct dkill_arg *a = p;
	struct itimerval it = { .it_value = { 0, 20000 } };

	ASSERT_EQ(sys_rseq(&area, a->len, 0, ABI_RSEQ_SIG), 0);
	signal(SIGALRM, nop_handler);
	signal(SIGUSR1, nop_handler);
	switch (a->kind) {
	case DK_SYSCALL_IN_CS:
		desc_sys();
		abi_cs_sys(&area.rseq_cs, &desc, SYS_getppid, 0, 0, 0);
		return;	/* survived: the parent sees exit 0, not SIGSEGV */
	case DK_START_BEYOND:
		/* start_ip >= TASK_SIZE dies even with the IP outside */
		desc_sys();
		desc.start_ip = 0xffff800000000000ULL;	/* >= TASK_SIZE, 4 or 5 levels */
		area.rseq_cs = (uintptr_t)&desc;
		setitimer(ITIMER_REAL, &it, NULL);
		for (;;)
			;
	default:
		break;
	}
	desc_spin();
	switch (a->kind) {
	case DK_VERSION:
		desc.version = 1;
		break;
	case DK_FLAGS:
		desc.flags = 1;
		break;
	case DK_ABORT_INSIDE:
		desc.post_commit_offset = abi_cs_spin_abort + 4 - abi_cs_spin_start;
		break;
	case DK_END_OVERFLOW:
		desc.post_commit_offset = ~0ULL - 16;
		break;
	default:
		break;
	}
	setitimer(ITIMER_REAL, &it, NULL);
	abi_cs_spin(&area.rseq_cs, &desc, &inflag);
	/* survived: the parent sees exit 0, not SIGSEGV */
}

static void expect_dkill(struct __test_metadata *_metadata, enum dkill k, uint32_t len)
{
	struct dkill_arg a = { k, len };
	int st = abi_run_child(_metadata, dkill_child, &a);

	ASSERT_TRUE(ABI_KILLED_BY_SEGV(st)) TH_LOG("child status %#x", st);
}

TEST_F(dbg, v2_nonzero_cs_version_killed)
{
	expect_dkill(_metadata, DK_VERSION, 64);
}

TEST_F(dbg, v2_nonzero_cs_flags_killed)
{
	expect_dkill(_metadata, DK_FLAGS, 64);
}

TEST_F(dbg, legacy_nonzero_cs_flags_killed)
{
	expect_dkill(_metadata, DK_FLAGS, 32);
}

TEST_F(dbg, v2_abort_ip_inside_cs_killed)
{
	expect_dkill(_metadata, DK_ABORT_INSIDE, 64);
}

TEST_F(dbg, v2_cs_end_overflow_killed)
{
	expect_dkill(_metadata, DK_END_OVERFLOW, 64);
}

TEST_F(dbg, v2_start_ip_beyond_task_size_killed_with_ip_outside)
{
	expect_dkill(_metadata, DK_START_BEYOND, 64);
}

/*
 * Without GENERIC_ENTRY (arm64) the system call exit checks the CS only
 * in kernels with CONFIG_DEBUG_RSEQ (rseq_syscall()), whatever the key.
 */
#define NO_SYSCALL_CHECK \
	"no GENERIC_ENTRY: syscalls inside a CS are checked only with CONFIG_DEBUG_RSEQ"

static bool syscall_check_exists(void)
{
	return ABI_GENERIC_ENTRY || abi_kconfig_enabled("CONFIG_DEBUG_RSEQ") == 1;
}

TEST_F(dbg, v2_syscall_inside_cs_killed)
{
	if (!syscall_check_exists())
		SKIP(return, NO_SYSCALL_CHECK);
	expect_dkill(_metadata, DK_SYSCALL_IN_CS, 64);
}

TEST_F(dbg, legacy_syscall_inside_cs_killed)
{
	if (!syscall_check_exists())
		SKIP(return, NO_SYSCALL_CHECK);
	expect_dkill(_metadata, DK_SYSCALL_IN_CS, 32);
}

/* Positive control: a valid descriptor still aborts in debug mode. */
static atomic_uint_least64_t alrm_ip;

static void alrm_handler(int sig, siginfo_t *si, void *ucv)
{
	alrm_ip = ABI_UC_IP((ucontext_t *)ucv);
}

static void valid_child(struct __test_metadata *_metadata, void *p)
{
	struct itimerval it = { .it_value = { 0, 20000 } };
	struct sigaction sa = { .sa_sigaction = alrm_handler, .sa_flags = SA_SIGINFO };
	static atomic_int inflag;
	int round;

	ASSERT_EQ(sys_rseq(&area, (uintptr_t)p, 0, ABI_RSEQ_SIG), 0);
	sigaction(SIGALRM, &sa, NULL);
	for (round = 0; round < 10; round++) {
		alrm_ip = 0;
		desc_spin();
		setitimer(ITIMER_REAL, &it, NULL);
		ASSERT_EQ(abi_cs_spin(&area.rseq_cs, &desc, &inflag), 1);
		while (!alrm_ip)
			;
		if (alrm_ip == (uintptr_t)abi_cs_spin_abort) {
			ASSERT_EQ(area.rseq_cs, 0);
			return;
		}
	}
	ASSERT_LT(round, 10) TH_LOG("no timer signal aborted the CS in 10 rounds");
}

TEST_F(dbg, v2_valid_cs_aborts_on_irq_signal)
{
	int st = abi_run_child(_metadata, valid_child, (void *)64);

	ASSERT_TRUE(ABI_EXITED_OK(st)) TH_LOG("child status %#x", st);
}

TEST_F(dbg, legacy_valid_cs_aborts_on_irq_signal)
{
	int st = abi_run_child(_metadata, valid_child, (void *)32);

	ASSERT_TRUE(ABI_EXITED_OK(st)) TH_LOG("child status %#x", st);
}

/*
 * A struct rseq_cs at the top of user space, evaluated in debug mode
 * after a timer interrupt with the IP outside the CS: at TASK_SIZE_MAX - 32
 * the whole descriptor is mapped and below TASK_SIZE_MAX (it is read and
 * rseq_cs cleared); at TASK_SIZE_MAX - 24 its last field, abort_ip, is
 * not. The C implementation opens one user access region over the whole
 * struct rseq_cs and, with the IP outside the CS, reads start_ip and
 * post_commit_offset only: x86_64 masks the address and the reads succeed
 * (rseq_cs is cleared, the task lives); arm64 checks the 32 bytes with access_ok(), which fails
 * (the task is killed). Every implementation must answer as its
 * architecture's C build does.
 */
static void top_cs_child(struct __test_metadata *_metadata, void *p)
{
	struct itimerval it = { .it_value = { 0, 20000 } };
	struct rseq_cs *top;
	uintptr_t end;
	unsigned long i;

	ASSERT_NE(abi_map_top_page(&end), MAP_FAILED);
	top = (struct rseq_cs *)(end - (uintptr_t)p);
	desc_spin();
	memcpy(top, &desc, (uintptr_t)p < sizeof(desc) ? (uintptr_t)p : sizeof(desc));
	ASSERT_EQ(sys_rseq(&area, 64, 0, ABI_RSEQ_SIG), 0);
	alrm_ip = 0;
	signal(SIGALRM, nop_handler);
	area.rseq_cs = (uintptr_t)top;
	setitimer(ITIMER_REAL, &it, NULL);
	/* no system calls: the timer interrupt makes the kernel look */
	for (i = 0; area.rseq_cs && i < (1UL << 34); i++)
		asm volatile("" ::: "memory");
	ASSERT_EQ(area.rseq_cs, 0) TH_LOG("descriptor at %p never evaluated", top);
}

TEST_F(dbg, v2_cs_at_top_of_user_space_read_and_cleared)
{
	int st;

	if (abi_map_top_page(&(uintptr_t){ 0 }) == MAP_FAILED)
		SKIP(return, "cannot map the last page of user space");
	st = abi_run_child(_metadata, top_cs_child, (void *)32);
	ASSERT_TRUE(ABI_EXITED_OK(st)) TH_LOG("child status %#x", st);
}

TEST_F(dbg, v2_cs_crossing_task_size_max_ip_outside)
{
	int st;

	if (abi_map_top_page(&(uintptr_t){ 0 }) == MAP_FAILED)
		SKIP(return, "cannot map the last page of user space");
	st = abi_run_child(_metadata, top_cs_child, (void *)24);
#if defined(__aarch64__)
	ASSERT_TRUE(ABI_KILLED_BY_SEGV(st)) TH_LOG("child status %#x", st);
#else
	ASSERT_TRUE(ABI_EXITED_OK(st)) TH_LOG("child status %#x", st);
#endif
}
#endif /* ABI_HAVE_CS_ASM */

/* Debug mode evaluates rseq_cs on every ID update, not only after IRQs. */
static void bogus_cs_update_child(struct __test_metadata *_metadata, void *p)
{
	ASSERT_GE(abi_pin_here(), 0);
	ASSERT_EQ(sys_rseq(&area, (uintptr_t)p, 0, ABI_RSEQ_SIG), 0);
	area.rseq_cs = ~0ULL;
	abi_failed_exec();
	usleep(500);
	area.rseq_cs = 0;
	/* survived: the parent sees exit 0, not SIGSEGV */
}

TEST_F(dbg, legacy_forced_update_evaluates_bogus_rseq_cs)
{
	int st = abi_run_child(_metadata, bogus_cs_update_child, (void *)32);

	ASSERT_TRUE(ABI_KILLED_BY_SEGV(st)) TH_LOG("child status %#x", st);
}

TEST_F(dbg, v2_forced_update_evaluates_bogus_rseq_cs)
{
	int st = abi_run_child(_metadata, bogus_cs_update_child, (void *)64);

	ASSERT_TRUE(ABI_KILLED_BY_SEGV(st)) TH_LOG("child status %#x", st);
}

/* Debug slice syscall-entry validation */
static struct abi_noise noise;

/* Spin with request set until granted. 0 on grant, 1 if none in time. */
static int get_grant(void)
{
	uint64_t end = abi_now_ns() + 4000000000ULL;
	unsigned long i;

	while (abi_now_ns() < end) {
		WRITE_ONCE(area.slice_ctrl.request, 1);
		for (i = 1; READ_ONCE(area.slice_ctrl.all) == 1; i++)
			if (!(i & 0xfffff) && abi_now_ns() > end)
				return 1;
		if (READ_ONCE(area.slice_ctrl.all) == (1U << 8))
			return 0;
	}
	return 1;
}

static void slice_debug_child(struct __test_metadata *_metadata, void *p)
{
	long mode = (long)p;
	pthread_t t;
	int cpu, tries;

	cpu = abi_pin_here();
	ASSERT_EQ(sys_rseq(&area, 64, RSEQ_FLAG_SLICE_EXT_DEFAULT_ON, ABI_RSEQ_SIG), 0);
	if (!(area.flags & RSEQ_CS_FLAG_SLICE_EXT_ENABLED)) {
		ASSERT_FALSE(abi_slice_expected())
			TH_LOG("DEFAULT_ON did not enable the extension");
		SKIP(return, "slice extension not available");
	}
	ASSERT_EQ(abi_noise_start(&noise, cpu, &t), 0);
	for (tries = 0; tries < 50; tries++) {
		if (get_grant())
			break;
		/* granted: corrupt the control word, then make a syscall */
		if (mode == 0)
			WRITE_ONCE(area.slice_ctrl.request, 1);
		else
			WRITE_ONCE(area.slice_ctrl.all, 0);
		/*
		 * If the grant expired in between, the kernel already
		 * revoked it and rewrote the word: no check, retry.
		 */
		syscall(SYS_getppid);
		if (mode == 0)
			WRITE_ONCE(area.slice_ctrl.all, 0);
	}
	abi_noise_stop(&noise, t);
	if (!tries)
		SKIP(return, "no slice grant observed in 4s");
	/* survived a grant (the parent sees exit 0, not SIGSEGV) */
}

static void slice_debug(struct __test_metadata *_metadata, long mode)
{
	int st = abi_run_child(_metadata, slice_debug_child, (void *)mode);

	if (WIFEXITED(st) && WEXITSTATUS(st) == KSFT_SKIP) {
		/* the child's SKIP() recorded the reason with the harness */
		_metadata->exit_code = KSFT_SKIP;
		return;
	}
	ASSERT_TRUE(ABI_KILLED_BY_SEGV(st)) TH_LOG("child status %#x", st);
}

TEST_F(dbg, slice_request_set_while_granted_then_syscall_killed)
{
	if (access(NSEC_FILE, F_OK))
		SKIP(return, "slice extension not configured");
	slice_debug(_metadata, 0);
}

TEST_F(dbg, slice_granted_cleared_by_user_then_syscall_killed)
{
	if (access(NSEC_FILE, F_OK))
		SKIP(return, "slice extension not configured");
	slice_debug(_metadata, 1);
}

/*
 * The rseq_debug= parameter on the boot command line. Only meaningful when the
 * guest was booted with it (e.g. GUEST_APPEND="rseq_debug=1" in the
 * lab); SKIPs otherwise. A valid value sets the key; an invalid one is
 * still consumed by the handler (it returns -EINVAL, which __setup
 * treats as handled), so it is not passed on to init.
 */
TEST(boot_param_rseq_debug)
{
	char val[64];
	int b;

	if (!abi_cmdline_param("rseq_debug=", val, sizeof(val)))
		SKIP(return, "booted without rseq_debug= on the command line");
	REQUIRE_FILE(DEBUG_FILE);
	b = abi_kstrtobool(val);
	if (b >= 0)
		ASSERT_EQ(abi_debug_state(), b);
	ASSERT_EQ(abi_init_env_has("rseq_debug=", val), 0);
}

/* ---- slice_ext_nsec ---- */
TEST(slice_ext_nsec_bounds)
{
	char saved[32], buf[32];

	REQUIRE_FILE(NSEC_FILE);
	ASSERT_GT(abi_read_file(NSEC_FILE, saved, sizeof(saved)), 0);
	ASSERT_EQ(abi_write_file(NSEC_FILE, "4999"), -ERANGE);
	ASSERT_EQ(abi_write_file(NSEC_FILE, "50001"), -ERANGE);
	ASSERT_EQ(abi_write_file(NSEC_FILE, "0"), -ERANGE);
	ASSERT_EQ(abi_write_file(NSEC_FILE, "junk"), -EINVAL);
	ASSERT_EQ(abi_write_file(NSEC_FILE, "-5000"), -EINVAL);
	ASSERT_EQ(abi_write_file(NSEC_FILE, "5000"), 0);
	ASSERT_GT(abi_read_file(NSEC_FILE, buf, sizeof(buf)), 0);
	ASSERT_STREQ(buf, "5000\n");
	ASSERT_EQ(abi_write_file(NSEC_FILE, "50000"), 0);
	ASSERT_GT(abi_read_file(NSEC_FILE, buf, sizeof(buf)), 0);
	ASSERT_STREQ(buf, "50000\n");
	ASSERT_EQ(abi_write_file(NSEC_FILE, saved), 0);
}

/* ---- Stats ---- */
#define NSTATS 13
static const char *const stat_names[NSTATS] = {
	"exit", "signal", "slowp", "fastp", "ids", "cs", "clear", "fixup",
	"sgrant", "sexpir", "srevok", "syield", "sabort",
};

enum { S_EXIT, S_SIGNAL, S_SLOWP, S_FASTP, S_IDS, S_CS, S_CLEAR, S_FIXUP };

struct stats {
	unsigned long v[NSTATS];
	bool present[NSTATS];
};

static int read_stats(struct stats *s)
{
	char buf[2048], *line, *save;
	int i;

	memset(s, 0, sizeof(*s));
	if (abi_read_file(STATS_FILE, buf, sizeof(buf)) <= 0)
		return -1;
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char name[16];
		unsigned long val;

		if (sscanf(line, "%15[^:]: %lu", name, &val) != 2)
			return -2;
		for (i = 0; i < NSTATS; i++) {
			if (!strcmp(name, stat_names[i])) {
				s->v[i] = val;
				s->present[i] = true;
			}
		}
	}
	return 0;
}

#define DELTA(a, b, i) ({						\
	int __i = (i);							\
	(b).v[__i] - (a).v[__i];					\
})

TEST(stats_format_lists_all_counters)
{
	char buf[2048];
	struct stats s;
	int i, n = 8;

	REQUIRE_FILE(STATS_FILE);
	ASSERT_EQ(read_stats(&s), 0);
	if (!access(NSEC_FILE, F_OK))
		n = NSTATS;
	for (i = 0; i < NSTATS; i++)
		ASSERT_EQ(s.present[i], i < n) TH_LOG("counter #%d", i);
	/* "label:" padded to 8 columns, value right aligned in 16 */
	ASSERT_GT(abi_read_file(STATS_FILE, buf, sizeof(buf)), 0);
	ASSERT_EQ(strncmp(buf, "exit:   ", 8), 0);
	ASSERT_EQ(strchr(buf, '\n') - buf, 8 + 16);
	ASSERT_GT(s.v[S_EXIT], 0);
}

static void stats_sig(int sig)
{
}

TEST(stats_count_signals_ids_exits)
{
	struct stats a, b;
	int i;

	REQUIRE_FILE(STATS_FILE);
	ABI_REQUIRE_OWN_RSEQ();
	signal(SIGUSR1, stats_sig);
	ASSERT_EQ(sys_rseq(&area, 32, 0, ABI_RSEQ_SIG), 0);
	ASSERT_EQ(read_stats(&a), 0);
	for (i = 0; i < 20; i++)
		raise(SIGUSR1);
	for (i = 0; i < 20; i++)
		ASSERT_EQ(abi_failed_exec(), ENOEXEC);
	for (i = 0; i < 100; i++)
		getppid();
	ASSERT_EQ(read_stats(&b), 0);
	ASSERT_GE(DELTA(a, b, S_SIGNAL), 20);
	ASSERT_GE(DELTA(a, b, S_IDS), 20);
	ASSERT_GE(DELTA(a, b, S_EXIT), 140);
	/* Without GENERIC_ENTRY (arm64) there is no inline fast path. */
	if (!ABI_GENERIC_ENTRY) {
		ASSERT_EQ(DELTA(a, b, S_FASTP), 0);
		return;
	}
	ASSERT_GE(DELTA(a, b, S_FASTP), 20);
}

#ifdef ABI_HAVE_CS_ASM
TEST(stats_count_cs_fixup_and_clear)
{
	struct stats a, b;
	int i;

	REQUIRE_FILE(STATS_FILE);
	ABI_REQUIRE_OWN_RSEQ();
	if (abi_debug_state() == 1)
		SKIP(return, "rseq debug mode is on");
	signal(SIGUSR1, stats_sig);
	ASSERT_EQ(sys_rseq(&area, 32, 0, ABI_RSEQ_SIG), 0);
	ASSERT_EQ(read_stats(&a), 0);
	for (i = 0; i < 10; i++) {
		desc_sys();
		ASSERT_EQ(abi_cs_sys(&area.rseq_cs, &desc, SYS_tgkill, getpid(),
				     syscall(SYS_gettid), SIGUSR1), 1);
	}
	for (i = 0; i < 10; i++) {
		area.rseq_cs = (uintptr_t)&desc;
		raise(SIGUSR1);
		ASSERT_EQ(area.rseq_cs, 0);
	}
	ASSERT_EQ(read_stats(&b), 0);
	ASSERT_GE(DELTA(a, b, S_FIXUP), 10);
	ASSERT_GE(DELTA(a, b, S_CLEAR), 10);
	ASSERT_GE(DELTA(a, b, S_CS), 20);
}
#endif

/*
 * v2 writes IDs only when they changed; legacy on every switch.
 * Sleep @n times on one CPU and return the ids: counter delta; *switches
 * receives the voluntary context switches the sleeps caused (a sleep
 * whose timer expired before the task scheduled out does not switch).
 */
static unsigned long ids_over_sleeps(struct __test_metadata *_metadata,
				     uint32_t len, int n, long *switches)
{
	struct rusage ru_a, ru_b;
	struct stats a, b;
	int i;

	ASSERT_GE(abi_pin_here(), 0);
	ASSERT_EQ(sys_rseq(&area, len, 0, ABI_RSEQ_SIG), 0);
	usleep(1000);
	ASSERT_EQ(read_stats(&a), 0);
	ASSERT_EQ(getrusage(RUSAGE_THREAD, &ru_a), 0);
	for (i = 0; i < n; i++)
		usleep(500);
	ASSERT_EQ(getrusage(RUSAGE_THREAD, &ru_b), 0);
	ASSERT_EQ(read_stats(&b), 0);
	*switches = ru_b.ru_nvcsw - ru_a.ru_nvcsw;
	return DELTA(a, b, S_IDS);
}

TEST(stats_legacy_sleep_rewrites_ids)
{
	unsigned long d;
	long switches;

	REQUIRE_FILE(STATS_FILE);
	ABI_REQUIRE_OWN_RSEQ();
	d = ids_over_sleeps(_metadata, 32, 50, &switches);
	ASSERT_GE(switches, 25) TH_LOG("the sleeps did not switch");
	/* every switch of this task wrote the IDs; other tasks add more */
	ASSERT_GE(d, switches);
}

TEST(stats_v2_sleep_does_not_rewrite_ids)
{
	unsigned long d;
	long switches;

	REQUIRE_FILE(STATS_FILE);
	ABI_REQUIRE_OWN_RSEQ();
	if (abi_debug_state() == 1)
		SKIP(return, "rseq debug mode is on");
	d = ids_over_sleeps(_metadata, 64, 50, &switches);
	ASSERT_GE(switches, 25) TH_LOG("the sleeps did not switch");
	/* other registered tasks may add a few; half would be every sleep */
	ASSERT_LT(d, switches / 2);
}

/*
 * An rseq area whose page table entry is gone (a shared memfd page
 * mapped again; the contents survive in the page cache) makes
 * the inline fast path fault with page faults disabled. The slow path
 * must produce the same results: IDs written, v2 read-only check.
 */
static int shared_fd = -1;

static struct rseq *shared_area(void)
{
	void *p;

	shared_fd = syscall(SYS_memfd_create, "rseq-area", 0);
	if (shared_fd < 0 || ftruncate(shared_fd, 4096))
		return NULL;
	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, shared_fd, 0);
	return p == MAP_FAILED ? NULL : p;
}

/*
 * Drop the page table entry but keep the contents: map the same file
 * page again over the old mapping (works without CONFIG_ADVISE_SYSCALLS,
 * which MADV_DONTNEED would need).
 */
static int drop_pte(struct rseq *rs)
{
	void *p = mmap(rs, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED,
		       shared_fd, 0);

	return p == (void *)rs ? 0 : -1;
}

TEST(fastpath_fault_falls_back_to_slowpath)
{
	struct rseq *rs = shared_area();
	struct stats a, b;
	bool have_stats;
	int i;

	ABI_REQUIRE_OWN_RSEQ();
	ASSERT_NE(rs, NULL);
	ASSERT_GE(abi_pin_here(), 0);
	ASSERT_EQ(sys_rseq(rs, 64, 0, ABI_RSEQ_SIG), 0);
	/*
	 * In debug mode the syscall-return check reads rseq_cs with faults
	 * enabled first, which maps the page again before the fast path
	 * runs: only the results can be compared then, not the path.
	 */
	have_stats = geteuid() == 0 && abi_debug_state() == 0 && read_stats(&a) == 0;
	for (i = 0; i < 10; i++) {
		ASSERT_EQ(drop_pte(rs), 0);
		ASSERT_EQ(abi_failed_exec(), ENOEXEC);
		ASSERT_EQ((int)rs->cpu_id, abi_cur_cpu());
		ASSERT_EQ(rs->cpu_id_start, rs->cpu_id);
	}
	if (have_stats) {
		ASSERT_EQ(read_stats(&b), 0);
		ASSERT_GE(DELTA(a, b, S_SLOWP), 10);
		ASSERT_GE(DELTA(a, b, S_IDS), 10);
	}
	ASSERT_EQ(sys_rseq(rs, 64, RSEQ_FLAG_UNREGISTER, ABI_RSEQ_SIG), 0);
}

static void slowpath_ro_child(struct __test_metadata *_metadata, void *p)
{
	struct rseq *rs = shared_area();

	ASSERT_NE(rs, NULL);
	ASSERT_GE(abi_pin_here(), 0);
	ASSERT_EQ(sys_rseq(rs, 64, 0, ABI_RSEQ_SIG), 0);
	rs->node_id ^= 0x10;
	ASSERT_EQ(drop_pte(rs), 0);
	abi_failed_exec();
	/* survived: the parent sees exit 0, not SIGSEGV */
}

TEST(slowpath_enforces_v2_readonly_after_fastpath_fault)
{
	int st;

	ABI_REQUIRE_OWN_RSEQ();
	st = abi_run_child(_metadata, slowpath_ro_child, NULL);
	ASSERT_TRUE(ABI_KILLED_BY_SEGV(st)) TH_LOG("child status %#x", st);
}

TEST_HARNESS_MAIN
