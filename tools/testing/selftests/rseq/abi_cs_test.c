// SPDX-License-Identifier: GPL-2.0
/*
 * rseq ABI: critical section evaluation with hand-written x86_64 and
 * arm64 critical sections (abi_cs_asm.h).
 *
 * Two critical sections are used:
 *
 *  abi_cs_sys: stores the descriptor, then executes one system call
 *  inside the CS. A signal sent to self by that system call is
 *  delivered with the IP exactly after the syscall instruction, which
 *  gives precise control of where the IP is relative to the descriptor
 *  (start, inside, post-commit). Returns 0 when the CS completed and 1
 *  when it was aborted.
 *
 *  abi_cs_spin: stores the descriptor, sets *inflag = 1 and spins
 *  forever inside the CS. It only returns through the abort handler,
 *  so it proves that an abort happened for an interrupt-driven event
 *  (timer signal, preemption, membarrier IPI). The cases that wait for
 *  one bound the wait with a safety net (spin_cs_net()).
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <setjmp.h>
#include <stdatomic.h>
#include <sys/time.h>
#include <ucontext.h>

#include "abi_util.h"

#include "../kselftest_harness.h"

#include "abi_cs_asm.h"

#ifdef ABI_HAVE_CS_ASM

static struct rseq area __aligned(ABI_RSEQ_ALIGN);
static struct rseq_cs desc;

static atomic_uint_least64_t sig_ip, sig_rseq_cs;
static atomic_int sig_count;

static void record_handler(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;

	sig_ip = ABI_UC_IP(uc);
	sig_rseq_cs = area.rseq_cs;
	sig_count++;
}

static void install_handler(int sig)
{
	struct sigaction sa = { .sa_sigaction = record_handler,
				.sa_flags = SA_SIGINFO | SA_RESTART };

	sigemptyset(&sa.sa_mask);
	sigaction(sig, &sa, NULL);
}

static void desc_sys(void)
{
	abi_cs_desc_sys(&desc);
}

static void desc_spin(void)
{
	abi_cs_desc_spin(&desc);
}

/* Run abi_cs_sys with a tgkill(self, SIGUSR1) inside the CS. */
static long cs_raise(void)
{
	sig_count = 0;
	sig_ip = 0;
	sig_rseq_cs = 0xdeadbeef;
	return abi_cs_sys(&area.rseq_cs, &desc, SYS_tgkill, getpid(),
			  syscall(SYS_gettid), SIGUSR1);
}

static void reg(struct __test_metadata *_metadata, uint32_t len, uint32_t sig)
{
	ASSERT_EQ(sys_rseq(&area, len, 0, sig), 0);
	install_handler(SIGUSR1);
}

/* Signal on syscall return inside the CS */
TEST(legacy_signal_from_syscall_inside_cs_aborts)
{
	ABI_REQUIRE_OWN_RSEQ();
	ABI_REQUIRE_DEBUG_OFF();
	reg(_metadata, 32, ABI_RSEQ_SIG);
	desc_sys();
	ASSERT_EQ(cs_raise(), 1);
	ASSERT_EQ(atomic_load(&sig_count), 1);
	ASSERT_EQ(atomic_load(&sig_ip), (uintptr_t)abi_cs_sys_abort);
	ASSERT_EQ(atomic_load(&sig_rseq_cs), 0);
	ASSERT_EQ(area.rseq_cs, 0);
}

TEST(v2_signal_from_syscall_inside_cs_not_evaluated)
{
	ABI_REQUIRE_OWN_RSEQ();
	ABI_REQUIRE_DEBUG_OFF();
	reg(_metadata, 64, ABI_RSEQ_SIG);
	desc_sys();
	ASSERT_EQ(cs_raise(), 0);
	ASSERT_EQ(atomic_load(&sig_count), 1);
	ASSERT_EQ(atomic_load(&sig_ip), (uintptr_t)abi_cs_sys_after);
	ASSERT_EQ(atomic_load(&sig_rseq_cs), (uintptr_t)&desc);
}

/* Boundaries */
TEST(legacy_ip_at_start_ip_is_inside)
{
	ABI_REQUIRE_OWN_RSEQ();
	ABI_REQUIRE_DEBUG_OFF();
	reg(_metadata, 32, ABI_RSEQ_SIG);
	desc_sys();
	desc.start_ip = (uintptr_t)abi_cs_sys_after;
	desc.post_commit_offset = abi_cs_sys_post - abi_cs_sys_after;
	ASSERT_EQ(cs_raise(), 1);
	ASSERT_EQ(atomic_load(&sig_ip), (uintptr_t)abi_cs_sys_abort);
	ASSERT_EQ(atomic_load(&sig_rseq_cs), 0);
}

TEST(legacy_ip_at_post_commit_is_outside_and_lazily_cleared)
{
	ABI_REQUIRE_OWN_RSEQ();
	ABI_REQUIRE_DEBUG_OFF();
	reg(_metadata, 32, ABI_RSEQ_SIG);
	desc_sys();
	desc.post_commit_offset = abi_cs_sys_after - abi_cs_sys_start;
	ASSERT_EQ(cs_raise(), 0);
	ASSERT_EQ(atomic_load(&sig_ip), (uintptr_t)abi_cs_sys_after);
	ASSERT_EQ(atomic_load(&sig_rseq_cs), 0);
}

TEST(legacy_ip_below_start_is_outside_and_lazily_cleared)
{
	ABI_REQUIRE_OWN_RSEQ();
	ABI_REQUIRE_DEBUG_OFF();
	reg(_metadata, 32, ABI_RSEQ_SIG);
	desc_sys();
	desc.start_ip = (uintptr_t)abi_cs_sys_post;
	desc.post_commit_offset = 2;
	ASSERT_EQ(cs_raise(), 0);
	ASSERT_EQ(atomic_load(&sig_ip), (uintptr_t)abi_cs_sys_after);
	ASSERT_EQ(atomic_load(&sig_rseq_cs), 0);
}

TEST(legacy_zero_length_cs_is_never_inside)
{
	ABI_REQUIRE_OWN_RSEQ();
	ABI_REQUIRE_DEBUG_OFF();
	reg(_metadata, 32, ABI_RSEQ_SIG);
	desc_sys();
	desc.start_ip = (uintptr_t)abi_cs_sys_after;
	desc.post_commit_offset = 0;
	ASSERT_EQ(cs_raise(), 0);
	ASSERT_EQ(atomic_load(&sig_ip), (uintptr_t)abi_cs_sys_after);
	ASSERT_EQ(atomic_load(&sig_rseq_cs), 0);
}

TEST(legacy_signal_outside_cs_lazily_clears_rseq_cs)
{
	ABI_REQUIRE_OWN_RSEQ();
	ABI_REQUIRE_DEBUG_OFF();
	reg(_metadata, 32, ABI_RSEQ_SIG);
	desc_sys();
	area.rseq_cs = (uintptr_t)&desc;
	sig_rseq_cs = 0xdead;
	ASSERT_EQ(raise(SIGUSR1), 0);
	ASSERT_EQ(atomic_load(&sig_rseq_cs), 0);
	ASSERT_EQ(area.rseq_cs, 0);
}

TEST(v2_signal_from_raise_outside_cs_leaves_rseq_cs)
{
	ABI_REQUIRE_OWN_RSEQ();
	ABI_REQUIRE_DEBUG_OFF();
	reg(_metadata, 64, ABI_RSEQ_SIG);
	desc_sys();
	area.rseq_cs = (uintptr_t)&desc;
	sig_rseq_cs = 0xdead;
	ASSERT_EQ(raise(SIGUSR1), 0);
	ASSERT_EQ(atomic_load(&sig_rseq_cs), (uintptr_t)&desc);
	area.rseq_cs = 0;
}

/*
 * Oracle (spec section 8.2): on GENERIC_IRQ_ENTRY kernels the exit path
 * evaluates the CS only after an interrupt from user mode, for legacy
 * registrations too. A voluntary sleep or a forced ID update from a
 * system call never looks at rseq_cs, so even a bogus value survives;
 * the same value is fatal at the next signal delivery (legacy).
 */
/*
 * Make one system call with area.rseq_cs set to @cs and return what the
 * kernel left in rseq_cs in *@after. The value is stored right before
 * the syscall instruction and cleared right after it: an interrupt that
 * preempts the task in user mode (which does evaluate the CS) would have
 * to land on one of those three instructions, so only the system call
 * itself sees the bogus descriptor.
 */
#if defined(__x86_64__)
static long syscall_with_rseq_cs(uint64_t cs, uint64_t *after, long nr,
				 long a1, long a2, long a3, long a4, long a5)
{
	register long r10 __asm__("r10") = a4;
	register long r8 __asm__("r8") = a5;
	long ret;

	__asm__ __volatile__("movq %[cs], %[slot]\n\t"
			     "syscall\n\t"
			     "movq %[slot], %[after]\n\t"
			     "movq $0, %[slot]\n\t"
			     : "=a" (ret), [slot] "+m" (area.rseq_cs),
			       [after] "=r" (*after)
			     : "0" (nr), "D" (a1), "S" (a2), "d" (a3),
			       "r" (r10), "r" (r8), [cs] "r" (cs)
			     : "rcx", "r11", "memory");
	return ret;
}
#else /* __aarch64__ */
static long syscall_with_rseq_cs(uint64_t cs, uint64_t *after, long nr,
				 long a1, long a2, long a3, long a4, long a5)
{
	register long x8 __asm__("x8") = nr;
	register long x0 __asm__("x0") = a1;
	register long x1 __asm__("x1") = a2;
	register long x2 __asm__("x2") = a3;
	register long x3 __asm__("x3") = a4;
	register long x4 __asm__("x4") = a5;
	uint64_t left;

	__asm__ __volatile__("str %[cs], %[slot]\n\t"
			     "svc #0\n\t"
			     "ldr %[after], %[slot]\n\t"
			     "str xzr, %[slot]\n\t"
			     : "+r" (x0), [slot] "+m" (area.rseq_cs),
			       [after] "=&r" (left)
			     : "r" (x8), "r" (x1), "r" (x2), "r" (x3), "r" (x4),
			       [cs] "r" (cs)
			     : "memory");
	*after = left;
	return x0;
}
#endif

static void bogus_cs_sleep_child(struct __test_metadata *_metadata, void *p)
{
	struct timespec ts = { .tv_nsec = 500 * 1000 };
	static const char * const argv[] = { "abi-not-exec", NULL };
	static const char * const envp[] = { NULL };
	uint32_t len = (uintptr_t)p;
	uint64_t after;
	int fd, i;

	ASSERT_GE(abi_pin_here(), 0);
	fd = abi_not_exec_fd();
	ASSERT_GE(fd, 0);
	ASSERT_EQ(sys_rseq(&area, len, 0, ABI_RSEQ_SIG), 0);
	for (i = 0; i < 5; i++) {
		ASSERT_EQ(syscall_with_rseq_cs(~0ULL, &after, SYS_nanosleep,
					       (long)&ts, 0, 0, 0, 0), 0);
		ASSERT_EQ(after, ~0ULL);
	}
	ASSERT_EQ(syscall_with_rseq_cs(~0ULL, &after, SYS_execveat, fd, (long)"",
				       (long)argv, (long)envp, AT_EMPTY_PATH), -ENOEXEC);
	ASSERT_EQ(after, ~0ULL);
}

TEST(legacy_sleep_and_forced_update_do_not_evaluate_cs)
{
	int st;

	ABI_REQUIRE_OWN_RSEQ();
	ABI_REQUIRE_DEBUG_OFF();
	st = abi_run_child(_metadata, bogus_cs_sleep_child, (void *)32);
	ASSERT_TRUE(ABI_EXITED_OK(st)) TH_LOG("child status %#x", st);
}

TEST(v2_sleep_and_forced_update_do_not_evaluate_cs)
{
	int st;

	ABI_REQUIRE_OWN_RSEQ();
	ABI_REQUIRE_DEBUG_OFF();
	st = abi_run_child(_metadata, bogus_cs_sleep_child, (void *)64);
	ASSERT_TRUE(ABI_EXITED_OK(st)) TH_LOG("child status %#x", st);
}

/* Non-debug tolerance of sloppy descriptors */
TEST(legacy_nonzero_version_tolerated_without_debug)
{
	ABI_REQUIRE_OWN_RSEQ();
	ABI_REQUIRE_DEBUG_OFF();
	reg(_metadata, 32, ABI_RSEQ_SIG);
	desc_sys();
	desc.version = 1;
	ASSERT_EQ(cs_raise(), 1);
	ASSERT_EQ(atomic_load(&sig_ip), (uintptr_t)abi_cs_sys_abort);
}

TEST(legacy_nonzero_cs_flags_tolerated_without_debug)
{
	ABI_REQUIRE_OWN_RSEQ();
	ABI_REQUIRE_DEBUG_OFF();
	reg(_metadata, 32, ABI_RSEQ_SIG);
	desc_sys();
	desc.flags = 0x7;	/* historical NO_RESTART_ON_* bits */
	ASSERT_EQ(cs_raise(), 1);
	ASSERT_EQ(atomic_load(&sig_ip), (uintptr_t)abi_cs_sys_abort);
}

TEST(legacy_abort_ip_inside_cs_tolerated_without_debug)
{
	ABI_REQUIRE_OWN_RSEQ();
	ABI_REQUIRE_DEBUG_OFF();
	reg(_metadata, 32, ABI_RSEQ_SIG);
	desc_sys();
	desc.post_commit_offset = abi_cs_sys_abort_end - abi_cs_sys_start;
	ASSERT_EQ(cs_raise(), 1);
	ASSERT_EQ(atomic_load(&sig_ip), (uintptr_t)abi_cs_sys_abort);
}

/* Abort-IP and descriptor validation kills */
struct kill_case {
	uint32_t len;
	uint32_t reg_sig;
	int mode;		/* 0: tweak desc, raise in CS; 1: bogus rseq_cs, raise outside */
	uint64_t abort_ip;	/* 0: keep */
	uint64_t rseq_cs;
};

/* Runs as a TEST_SIGNAL(..., SIGSEGV) body: the kernel must kill the task. */
static void run_kill_case(struct __test_metadata *_metadata, const struct kill_case *k)
{
	ASSERT_EQ(sys_rseq(&area, k->len, 0, k->reg_sig), 0);
	install_handler(SIGUSR1);
	desc_sys();
	if (k->mode == 0) {
		if (k->abort_ip)
			desc.abort_ip = k->abort_ip;
		cs_raise();
		return;	/* survived: the harness sees an exit, not SIGSEGV */
	}
	area.rseq_cs = k->rseq_cs;
	raise(SIGUSR1);
	area.rseq_cs = 0;
}

static void *unmapped_page(void)
{
	void *p = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	munmap(p, 4096);
	return p;
}

TEST_SIGNAL(legacy_signature_mismatch_kills, SIGSEGV)
{
	ABI_REQUIRE_OWN_RSEQ();
	run_kill_case(_metadata, &(struct kill_case){ 32, ABI_RSEQ_SIG + 1, 0, 0, 0 });
}

TEST_SIGNAL(legacy_abort_ip_at_task_size_kills, SIGSEGV)
{
	ABI_REQUIRE_OWN_RSEQ();
	run_kill_case(_metadata, &(struct kill_case){ 32, ABI_RSEQ_SIG, 0, ABI_USER_END, 0 });
}

TEST_SIGNAL(legacy_abort_ip_kernel_address_kills, SIGSEGV)
{
	ABI_REQUIRE_OWN_RSEQ();
	run_kill_case(_metadata,
		      &(struct kill_case){ 32, ABI_RSEQ_SIG, 0, 0xffffffff81000000ULL, 0 });
}

TEST_SIGNAL(legacy_abort_ip_below_4_kills, SIGSEGV)
{
	ABI_REQUIRE_OWN_RSEQ();
	run_kill_case(_metadata, &(struct kill_case){ 32, ABI_RSEQ_SIG, 0, 3, 0 });
}

TEST_SIGNAL(legacy_abort_ip_unmapped_signature_kills, SIGSEGV)
{
	struct kill_case k = { 32, ABI_RSEQ_SIG, 0, (uintptr_t)unmapped_page() + 64, 0 };

	ABI_REQUIRE_OWN_RSEQ();
	run_kill_case(_metadata, &k);
}

TEST_SIGNAL(legacy_rseq_cs_at_task_size_kills, SIGSEGV)
{
	ABI_REQUIRE_OWN_RSEQ();
	run_kill_case(_metadata, &(struct kill_case){ 32, ABI_RSEQ_SIG, 1, 0, ABI_USER_END });
}

TEST_SIGNAL(legacy_rseq_cs_all_ones_kills, SIGSEGV)
{
	ABI_REQUIRE_OWN_RSEQ();
	run_kill_case(_metadata, &(struct kill_case){ 32, ABI_RSEQ_SIG, 1, 0, ~0ULL });
}

TEST_SIGNAL(legacy_rseq_cs_unmapped_descriptor_kills, SIGSEGV)
{
	struct kill_case k = { 32, ABI_RSEQ_SIG, 1, 0, (uintptr_t)unmapped_page() };

	ABI_REQUIRE_OWN_RSEQ();
	run_kill_case(_metadata, &k);
}

TEST_SIGNAL(legacy_registered_sig_zero_mismatch_kills, SIGSEGV)
{
	/* sig 0 is accepted at registration; the code carries 0x53053053 */
	ABI_REQUIRE_OWN_RSEQ();
	run_kill_case(_metadata, &(struct kill_case){ 32, 0, 0, 0, 0 });
}

/* Interrupt-driven aborts */
static atomic_int inflag;
static atomic_int cs_done;

static void arm_timer(long usec)
{
	struct itimerval it = { .it_value = { .tv_sec = usec / 1000000,
					      .tv_usec = usec % 1000000 } };

	setitimer(ITIMER_REAL, &it, NULL);
}

static long spin_cs(void)
{
	long r;

	inflag = 0;
	sig_count = 0;
	sig_ip = 0;
	desc_spin();
	r = abi_cs_spin(&area.rseq_cs, &desc, &inflag);
	atomic_store(&cs_done, 1);
	return r;
}

/*
 * The safety net of the cases that wait for an interrupt-driven abort:
 * if none ends the CS in time, SIGALRM leaves it through siglongjmp(),
 * so that a kernel that never aborts it (arm64 without
 * rseq_note_user_irq_entry()) fails the case by its own assertions
 * instead of leaving it spinning until the harness's timeout.
 */
static sigjmp_buf net_jmp;
/* static, not automatic: it must survive the siglongjmp() */
static int net_aborts;

static void net_handler(int sig)
{
	sig_count++;
	/* out of the CS: nothing is left for the kernel to abort */
	area.rseq_cs = 0;
	siglongjmp(net_jmp, 1);
}

/*
 * Up to @rounds runs of spin_cs() under one safety net of @usec: returns
 * how many ended in the abort handler with rseq_cs cleared. sig_count is
 * 1 when the net ended the wait. Sets cs_done either way.
 */
static int spin_cs_net(int rounds, long usec)
{
	struct sigaction sa = { .sa_handler = net_handler };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, NULL);
	sig_count = 0;
	net_aborts = 0;
	if (!sigsetjmp(net_jmp, 1)) {
		arm_timer(usec);
		while (net_aborts < rounds && spin_cs() == 1 && !area.rseq_cs)
			net_aborts++;
	}
	arm_timer(0);
	atomic_store(&cs_done, 1);
	return net_aborts;
}

static bool ip_in_spin_cs(uint64_t ip)
{
	return ip >= (uintptr_t)abi_cs_spin_start && ip < (uintptr_t)abi_cs_spin_post;
}

/*
 * A timer signal arriving while the thread spins inside the CS must be
 * delivered with the CS already aborted: the handler sees IP ==
 * abort_ip and rseq_cs == 0. If something else (a preemption) aborted
 * the CS before the signal came, the round is inconclusive and retried.
 */
static void itimer_abort(struct __test_metadata *_metadata, uint32_t len)
{
	int round;

	ABI_REQUIRE_DEBUG_OFF();
	ASSERT_EQ(sys_rseq(&area, len, 0, ABI_RSEQ_SIG), 0);
	install_handler(SIGALRM);
	for (round = 0; round < 10; round++) {
		uint64_t end;

		arm_timer(20000);
		ASSERT_EQ(spin_cs(), 1);
		end = abi_now_ns() + 2000000000ULL;
		while (!sig_count && abi_now_ns() < end)
			;
		ASSERT_EQ(atomic_load(&sig_count), 1);
		ASSERT_FALSE(ip_in_spin_cs(atomic_load(&sig_ip)))
			TH_LOG("signal delivered inside the CS");
		if (sig_ip != (uintptr_t)abi_cs_spin_abort) {
			TH_LOG("round %d: signal IP %#lx, abort at %p: inconclusive",
			       round, (unsigned long)sig_ip, abi_cs_spin_abort);
			continue;
		}	/* aborted earlier by preemption */

		ASSERT_EQ(atomic_load(&sig_rseq_cs), 0);
		ASSERT_EQ(area.rseq_cs, 0);
		return;
	}
	ASSERT_TRUE(0) TH_LOG("no round had the timer signal abort the CS");
}

TEST(v2_timer_signal_via_irq_aborts_cs_before_frame)
{
	ABI_REQUIRE_OWN_RSEQ();
	itimer_abort(_metadata, 64);
}

TEST(legacy_timer_signal_via_irq_aborts_cs_before_frame)
{
	ABI_REQUIRE_OWN_RSEQ();
	itimer_abort(_metadata, 32);
}

/*
 * Spec section 3.14, "signal arriving via IRQ while in the CS": both
 * modes abort, legacy rewrites the IDs before the handler runs, v2 does
 * not touch them (a modified cpu_id_start survives: writing IDs would
 * have validated it first and killed the task).
 */
static atomic_uint_least32_t handler_cpu_id_start;

static void ids_handler(int sig, siginfo_t *si, void *ucv)
{
	record_handler(sig, si, ucv);
	handler_cpu_id_start = area.cpu_id_start;
}

static void irq_signal_ids_child(struct __test_metadata *_metadata, void *p)
{
	struct sigaction sa = { .sa_sigaction = ids_handler, .sa_flags = SA_SIGINFO };
	uint32_t len = (uintptr_t)p, real;
	int round;

	ASSERT_GE(abi_pin_here(), 0);
	ASSERT_EQ(sys_rseq(&area, len, 0, ABI_RSEQ_SIG), 0);
	sigaction(SIGALRM, &sa, NULL);
	for (round = 0; round < 10; round++) {
		real = area.cpu_id_start;
		area.cpu_id_start = 0x5151;
		arm_timer(20000);
		ASSERT_EQ(spin_cs(), 1);
		while (!sig_count)
			;
		if (sig_ip != (uintptr_t)abi_cs_spin_abort) {
			area.cpu_id_start = real;
			continue;	/* aborted by something else first */
		}
		/* legacy rewrote the IDs before the handler, v2 did not */
		ASSERT_EQ(atomic_load(&handler_cpu_id_start), len == 32 ? real : 0x5151);
		area.cpu_id_start = real;
		return;
	}
	ASSERT_LT(round, 10) TH_LOG("no timer signal aborted the CS in 10 rounds");
}

TEST(legacy_irq_signal_in_cs_rewrites_ids_before_handler)
{
	int st;

	ABI_REQUIRE_OWN_RSEQ();
	ABI_REQUIRE_DEBUG_OFF();
	st = abi_run_child(_metadata, irq_signal_ids_child, (void *)32);
	ASSERT_TRUE(ABI_EXITED_OK(st)) TH_LOG("child status %#x", st);
}

TEST(v2_irq_signal_in_cs_leaves_ids_untouched)
{
	int st;

	ABI_REQUIRE_OWN_RSEQ();
	ABI_REQUIRE_DEBUG_OFF();
	st = abi_run_child(_metadata, irq_signal_ids_child, (void *)64);
	/*
	 * Without GENERIC_ENTRY (arm64) the IDs are checked by the slow path
	 * on the way out to user space, and only after a context switch:
	 * the modified cpu_id_start is fatal if anything else ran on the
	 * CPU while the child spun (a kworker, ksoftirqd), else the round
	 * ends as on x86. Both are the C build's answers; which one depends
	 * on the timing.
	 */
	if (!ABI_GENERIC_ENTRY) {
		ASSERT_TRUE(ABI_KILLED_BY_SEGV(st) || ABI_EXITED_OK(st))
			TH_LOG("child status %#x", st);
		return;
	}
	ASSERT_TRUE(ABI_EXITED_OK(st)) TH_LOG("child status %#x", st);
}

/*
 * A hog: a thread pinned to the CPU of the task under test that spins
 * until *stop is set, so that the task is preempted by it on every tick.
 */
struct hog_arg {
	atomic_int *stop;
	int cpu;
	pthread_t thread;
};

static void *hog(void *p)
{
	struct hog_arg *h = p;

	abi_pin(h->cpu);
	while (!atomic_load(h->stop))
		;
	return NULL;
}

/*
 * Pins the caller to the CPU it runs on, registers @len bytes of area
 * and starts a hog on that CPU with *@h->stop cleared. @h must live
 * until stop_hog().
 */
static void start_same_cpu_hog(struct __test_metadata *_metadata, uint32_t len,
			       struct hog_arg *h)
{
	h->cpu = abi_pin_here();
	ASSERT_GE(h->cpu, 0);
	ASSERT_EQ(sys_rseq(&area, len, 0, ABI_RSEQ_SIG), 0);
	atomic_store(h->stop, 0);
	ASSERT_EQ(pthread_create(&h->thread, NULL, hog, h), 0);
}

static void stop_hog(struct hog_arg *h)
{
	atomic_store(h->stop, 1);
	pthread_join(h->thread, NULL);
}

/*
 * v2 preemption from a user interrupt on the same CPU evaluates the CS
 * but does not write the IDs when they did not change (same CPU, same
 * MM CID): a modified cpu_id_start survives being preempted many times.
 */
static atomic_int hog_stop;

static void v2_preempt_ids_child(struct __test_metadata *_metadata, void *p)
{
	struct hog_arg h = { .stop = &hog_stop };
	uint32_t real, v;
	unsigned long i;
	uint64_t end;
	bool slice;

	start_same_cpu_hog(_metadata, 64, &h);
	slice = area.flags & RSEQ_CS_FLAG_SLICE_EXT_AVAILABLE;
	/* let the hog start and settle the MM CIDs */
	usleep(10000);
	real = area.cpu_id_start;
	area.cpu_id_start = 0x6161;
	if (slice)
		area.slice_ctrl.request = 1;
	/*
	 * Spin without syscalls until preempted (request cleared) or bound:
	 * at most 2^31 turns and 300 ms (clock_gettime() is a vDSO call),
	 * many preemptions by the hog.
	 */
	end = abi_now_ns() + 300000000ULL;
	for (i = 0; i < (1UL << 31) && abi_now_ns() < end; i++) {
		v = READ_ONCE(area.slice_ctrl.all);
		if (slice && !v)
			break;
	}
	v = area.cpu_id_start;
	area.cpu_id_start = real;
	stop_hog(&h);
	ASSERT_EQ(v, 0x6161);
	ASSERT_FALSE(slice && area.slice_ctrl.all);	/* never preempted within the bound */
}

TEST(v2_preemption_same_cpu_does_not_write_ids)
{
	int st;

	ABI_REQUIRE_OWN_RSEQ();
	ABI_REQUIRE_DEBUG_OFF();
	st = abi_run_child(_metadata, v2_preempt_ids_child, NULL);
	/*
	 * Without GENERIC_ENTRY (arm64) the update after a preemption goes
	 * through the slow path, which checks the read-only IDs: the
	 * modified cpu_id_start is fatal there (the C build's answer).
	 */
	if (!ABI_GENERIC_ENTRY) {
		ASSERT_TRUE(ABI_KILLED_BY_SEGV(st)) TH_LOG("child status %#x", st);
		return;
	}
	ASSERT_TRUE(ABI_EXITED_OK(st)) TH_LOG("child status %#x", st);
}

static void v2_irq_sig_mismatch(struct __test_metadata *_metadata, void *p)
{
	ASSERT_EQ(sys_rseq(&area, 64, 0, ABI_RSEQ_SIG ^ 1), 0);
	install_handler(SIGALRM);
	arm_timer(20000);
	spin_cs();
	/* survived: an exit, not SIGSEGV */
}

TEST_SIGNAL(v2_signature_mismatch_kills_on_irq_signal, SIGSEGV)
{
	ABI_REQUIRE_OWN_RSEQ();
	v2_irq_sig_mismatch(_metadata, NULL);
}

static void v2_irq_bogus_rseq_cs(struct __test_metadata *_metadata, void *p)
{
	unsigned long i;

	ASSERT_EQ(sys_rseq(&area, 64, 0, ABI_RSEQ_SIG), 0);
	install_handler(SIGALRM);
	sig_count = 0;
	area.rseq_cs = (uintptr_t)p;
	arm_timer(20000);
	/* no system calls: the signal must arrive by interrupt */
	for (i = 0; !sig_count && i < (1UL << 34); i++)
		asm volatile("" ::: "memory");
	/* survived: an exit, not SIGSEGV */
}

TEST_SIGNAL(v2_unmapped_descriptor_kills_on_irq_signal, SIGSEGV)
{
	void *p = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	ABI_REQUIRE_OWN_RSEQ();
	ASSERT_NE(p, MAP_FAILED);
	munmap(p, 4096);
	v2_irq_bogus_rseq_cs(_metadata, p);
}

TEST_SIGNAL(v2_rseq_cs_beyond_user_space_kills_on_irq_signal, SIGSEGV)
{
	ABI_REQUIRE_OWN_RSEQ();
	v2_irq_bogus_rseq_cs(_metadata, (void *)0xffff800000000000UL);
}

/*
 * Preemption from a user IRQ by a same-CPU hog aborts the CS. The hog
 * stops when the CS is done (cs_done, set by spin_cs_net()).
 */
static void preempt_abort(struct __test_metadata *_metadata, uint32_t len)
{
	struct hog_arg h = { .stop = &cs_done };
	int aborts;

	ABI_REQUIRE_DEBUG_OFF();
	start_same_cpu_hog(_metadata, len, &h);
	aborts = spin_cs_net(1, 10000000);	/* safety net: 10s */
	stop_hog(&h);
	ASSERT_EQ(atomic_load(&sig_count), 0)
		TH_LOG("not aborted by preemption before the safety timer");
	ASSERT_EQ(aborts, 1);
	ASSERT_EQ(area.rseq_cs, 0);
}

TEST(v2_preemption_from_user_irq_aborts_cs)
{
	ABI_REQUIRE_OWN_RSEQ();
	preempt_abort(_metadata, 64);
}

TEST(legacy_preemption_from_user_irq_aborts_cs)
{
	ABI_REQUIRE_OWN_RSEQ();
	preempt_abort(_metadata, 32);
}

/*
 * Every preemption from a user interrupt aborts the CS, counted: a v2
 * task spins in a CS on one CPU, a sibling thread pinned to the same CPU
 * hogs it, and each of ABORT_ROUNDS rounds must end through the abort
 * handler because of a preemption (the task's involuntary context
 * switches), never through the safety timer's signal. This is what
 * arm64 lost from 6.19 until "arm64/entry: Fix arm64-specific rseq
 * brokenness": without rseq_note_user_irq_entry() on its interrupt entry,
 * a v2 CS was aborted on migration only.
 */
#define ABORT_ROUNDS	20

static long nonvoluntary_switches(void)
{
	char path[64], line[128];
	long n = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/task/%ld/status", syscall(SYS_gettid));
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "nonvoluntary_ctxt_switches: %ld", &n) == 1)
			break;
	fclose(f);
	return n;
}

static void preempt_abort_count(struct __test_metadata *_metadata, uint32_t len)
{
	struct hog_arg h = { .stop = &hog_stop };
	long before, preemptions;
	int aborts;

	ABI_REQUIRE_DEBUG_OFF();
	start_same_cpu_hog(_metadata, len, &h);
	before = nonvoluntary_switches();
	ASSERT_GE(before, 0);
	/* safety net: 5 s for all rounds */
	aborts = spin_cs_net(ABORT_ROUNDS, 5000000);
	preemptions = nonvoluntary_switches() - before;
	stop_hog(&h);
	TH_LOG("%d of %d rounds aborted by preemption, %ld preemptions",
	       aborts, ABORT_ROUNDS, preemptions);
	ASSERT_EQ(atomic_load(&sig_count), 0)
		TH_LOG("a CS survived preemptions until the safety timer's signal");
	ASSERT_EQ(aborts, ABORT_ROUNDS);
	ASSERT_GE(preemptions, ABORT_ROUNDS);
}

TEST(v2_every_same_cpu_preemption_aborts_cs)
{
	ABI_REQUIRE_OWN_RSEQ();
	preempt_abort_count(_metadata, 64);
}

/* membarrier PRIVATE_EXPEDITED_RSEQ IPI aborts a CS running in user mode */
struct fence_arg {
	int cpu;
	int flags;
	int target;
	long ret;
};

static void *fence_thread(void *p)
{
	struct fence_arg *fa = p;
	uint64_t end = abi_now_ns() + 5000000000ULL;

	abi_pin(fa->cpu);
	while (!inflag && abi_now_ns() < end)
		;
	fa->ret = sys_membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED_RSEQ, fa->flags, fa->target);
	return NULL;
}

static void membarrier_abort(struct __test_metadata *_metadata, uint32_t len,
			     bool per_cpu)
{
	struct fence_arg fa;
	int c0, c1, aborts;
	pthread_t t;

	ABI_REQUIRE_DEBUG_OFF();
	if (abi_nr_allowed_cpus() < 2)
		SKIP(return, "membarrier RSEQ IPIs need 2 CPUs");
	c0 = abi_nth_allowed_cpu(0);
	c1 = abi_nth_allowed_cpu(1);
	ASSERT_EQ(abi_pin(c0), 0);
	ASSERT_EQ(sys_rseq(&area, len, 0, ABI_RSEQ_SIG), 0);
	ASSERT_EQ(sys_membarrier(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_RSEQ, 0, 0), 0);
	inflag = 0;
	fa = (struct fence_arg){ .cpu = c1, .flags = per_cpu ? MEMBARRIER_CMD_FLAG_CPU : 0,
				 .target = c0, .ret = -100 };
	ASSERT_EQ(pthread_create(&t, NULL, fence_thread, &fa), 0);
	aborts = spin_cs_net(1, 10000000);	/* safety net: 10s */
	pthread_join(t, NULL);
	ASSERT_EQ(fa.ret, 0);
	ASSERT_EQ(atomic_load(&sig_count), 0)
		TH_LOG("not aborted by the IPI before the safety timer");
	ASSERT_EQ(aborts, 1);
	ASSERT_EQ(area.rseq_cs, 0);
}

TEST(v2_membarrier_rseq_per_cpu_ipi_aborts_cs)
{
	ABI_REQUIRE_OWN_RSEQ();
	membarrier_abort(_metadata, 64, true);
}

TEST(v2_membarrier_rseq_all_cpus_ipi_aborts_cs)
{
	ABI_REQUIRE_OWN_RSEQ();
	membarrier_abort(_metadata, 64, false);
}

TEST(legacy_membarrier_rseq_per_cpu_ipi_aborts_cs)
{
	ABI_REQUIRE_OWN_RSEQ();
	membarrier_abort(_metadata, 32, true);
}

TEST_HARNESS_MAIN

#else /* !ABI_HAVE_CS_ASM */

TEST(cs_tests_need_cs_asm)
{
	SKIP(return, "hand-written critical sections exist only for x86_64 and arm64");
}

TEST_HARNESS_MAIN

#endif
