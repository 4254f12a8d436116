// SPDX-License-Identifier: GPL-2.0
/*
 * rseq_bench: guest cost per operation of rseq-relevant kernel paths,
 * each without rseq, with a 32-byte (legacy, v1) registration and with a
 * registration of AT_RSEQ_FEATURE_SIZE bytes at AT_RSEQ_ALIGN (v2):
 *
 *   getppid       one system call
 *   pingpong      one round trip of 1 byte between two processes (pipes)
 *   csabort       one signal inside an rseq critical section: the critical
 *                 section executes ud2, the SIGILL is delivered with the
 *                 IP inside it, the kernel moves the IP to the abort
 *                 handler, the (empty) signal handler returns there
 *                 (norseq: the handler steps over the ud2 instead)
 *   wakeup        one preemption by a SCHED_FIFO sibling thread on the
 *                 same CPU, woken by its own hrtimer (clock_nanosleep)
 *                 while this thread spins in user space
 *   slice-yield   (v2) the same, but the spinning thread has requested a
 *                 time slice extension (slice_ctrl.request): the kernel
 *                 grants it on the interrupt's way out, the thread sees
 *                 slice_ctrl.granted and calls rseq_slice_yield()
 *   slice-revoke  (v2) the same, but the thread calls getppid() instead,
 *                 so the syscall entry revokes the grant. These three
 *                 rows time every iteration (TSC) and take the median
 *                 iteration of a repetition, not the mean; the rare
 *                 iteration without a grant (other work pending on that
 *                 interrupt exit) is left out of a slice row and counted
 *                 in BENCHINFO (more than 1 % is fatal)
 *   membarrier    one MEMBARRIER_CMD_PRIVATE_EXPEDITED_RSEQ call while a
 *                 sibling thread (registered the same way) runs on the
 *                 other CPU at SCHED_FIFO (needs 2 CPUs, else BENCHSKIP)
 *   param_test    (-b) one run of the upstream param_test_benchmark with
 *                 fixed arguments (-B), v1 (-L) and v2, from fork to exit,
 *                 with ASLR off and 3 x -r repetitions (a run varies by a
 *                 few %)
 *
 * Meant for QEMU with "-icount shift=0,sleep=off": one guest nanosecond
 * is then one guest instruction (of any vCPU), so the numbers are
 * instructions per operation. Time is CLOCK_MONOTONIC (use the tsc
 * clocksource: the jiffies one is far too coarse); the TSC, which under
 * -icount counts the same virtual nanoseconds, is read alongside as a
 * cross-check. The wakeup and slice rows wait for the timer in a spin
 * loop of exactly 3 instructions per turn; those instructions are
 * subtracted, so the rows count everything else (interrupt, wakeup,
 * grant, system calls, both context switches, the sibling's user code).
 * The whole program runs pinned to CPU 0; the membarrier sibling runs on
 * CPU 1 and spins with PAUSE, which hands the vCPU back to QEMU's
 * round-robin scheduler, so its spinning costs next to nothing.
 *
 * Registers its own areas with the raw syscall, so glibc's registration
 * must be off: GLIBC_TUNABLES=glibc.pthread.rseq=0. Any failure to get
 * the intended registration state is fatal (exit status 1). Build against
 * the kernel's installed UAPI headers (-isystem $BUILD/usr/include).
 *
 * Output, one line per measurement (value = median over the repetitions,
 * raw per operation, loop overhead included; see "BENCHINFO loop"):
 *   BENCH <op> <norseq|v1|v2> <ns-per-op>
 *   BENCHSPREAD <op> <variant> <min> <max> <reps>
 *   BENCHSKIP <op> <variant> <reason>
 *   BENCHINFO ...
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#include <asm/unistd.h>
#include <linux/auxvec.h>
#include <linux/membarrier.h>
#include <linux/prctl.h>
#include <linux/rseq.h>

#define RSEQ_SIG 0x53053053

/* glibc >= 2.35 exports the size of its own registration (0: none). */
extern const unsigned int __rseq_size __attribute__((weak));

enum variant { NORSEQ, V1, V2, NR_VARIANTS };
static const char *const variant_name[NR_VARIANTS] = { "norseq", "v1", "v2" };

static long opt_getppid = 20000, opt_pingpong = 5000, opt_reps = 5;
static long opt_csabort = 2000, opt_wakeup = 200, opt_period = 10000, opt_membarrier = 1000;
static const char *opt_param_test, *opt_param_args = "-T s -t 2 -r 10000";

#define die(...)                                                  \
	do {                                                      \
		fprintf(stderr, "rseq_bench: FATAL: " __VA_ARGS__); \
		fputc('\n', stderr);                              \
		exit(1);                                          \
	} while (0)

#define ACCESS_ONCE(x) (*(volatile __typeof__(x) *)&(x))

static long sys_rseq(void *area, uint32_t len, int flags, uint32_t sig)
{
	return syscall(__NR_rseq, area, len, flags, sig);
}

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;

	asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

struct stamp {
	uint64_t ns;
	uint64_t tsc;
};

static struct stamp now(void)
{
	struct timespec ts;
	struct stamp s;

	if (clock_gettime(CLOCK_MONOTONIC, &ts))
		die("clock_gettime: %s", strerror(errno));
	s.tsc = rdtsc();
	s.ns = (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
	return s;
}

/* Totals over every timed region, for the clock cross-check. */
static uint64_t total_ns, total_tsc;

/* Cost per operation of a timed region, minus @sub ns spent spinning. */
static double per_op(struct stamp a, struct stamp b, long n, uint64_t sub)
{
	total_ns += b.ns - a.ns;
	total_tsc += b.tsc - a.tsc;
	return ((double)(b.ns - a.ns) - (double)sub) / n;
}

static void pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		die("cannot pin to CPU %d: %s", cpu, strerror(errno));
}

/*
 * Spin while *p == v: exactly 3 instructions per turn (inc, cmp, je).
 * Returns the number of turns.
 */
static inline uint64_t spin_while_eq(const uint32_t *p, uint32_t v)
{
	uint64_t n = 0;

	asm volatile("1:\n\t"
		     "incq %0\n\t"
		     "cmpl %2, %1\n\t"
		     "je 1b"
		     : "+r"(n)
		     : "m"(*(const volatile uint32_t *)p), "r"(v)
		     : "cc", "memory");
	return n;
}
#define SPIN_INSNS 3

/* ---- registration ---- */

/*
 * One registration: the area, its length and alignment. A variant's
 * process registers its main thread in @main_reg, a sibling thread in its
 * own.
 */
struct reg {
	struct rseq *area;
	uint32_t len;
	size_t align;
};

static struct reg main_reg;
/* Where the critical-section loop stores its descriptor (norseq: a dummy). */
static uint64_t dummy_rseq_cs;

static void register_variant(enum variant v, struct reg *r, const char *who)
{
	size_t size;
	void *p;

	memset(r, 0, sizeof(*r));
	if (v == NORSEQ)
		return;
	if (v == V1) {
		r->len = 32;
		r->align = 32;
	} else {
		r->len = getauxval(AT_RSEQ_FEATURE_SIZE);
		r->align = getauxval(AT_RSEQ_ALIGN);
		if (r->len <= 32)
			die("AT_RSEQ_FEATURE_SIZE is %u: the kernel offers no v2 (need > 32)",
			    r->len);
		if (r->align < 64)
			r->align = 64;
	}
	size = (r->len + r->align - 1) / r->align * r->align;
	if (size < sizeof(struct rseq))
		size = (sizeof(struct rseq) + r->align - 1) / r->align * r->align;
	if (posix_memalign(&p, r->align, size))
		die("posix_memalign");
	memset(p, 0, size);
	r->area = p;
	/* Written only before registration: v2 makes the IDs read-only. */
	r->area->cpu_id = RSEQ_CPU_ID_UNINITIALIZED;
	if (sys_rseq(r->area, r->len, 0, RSEQ_SIG))
		die("%s %s: rseq(%p, %u) failed: %s", who, variant_name[v], (void *)r->area, r->len,
		    strerror(errno));
	if (r->area->cpu_id == (uint32_t)RSEQ_CPU_ID_UNINITIALIZED)
		die("%s %s: registered but cpu_id was not written", who, variant_name[v]);
	printf("BENCHINFO register %s %s len=%u align=%zu cpu_id=%u flags=0x%x\n", who,
	       variant_name[v], r->len, r->align, r->area->cpu_id, r->area->flags);
}

/*
 * After fork the child holds a copy of the parent's registration
 * (spec 2.5): the same area at the same address, in the COW copy.
 * Registering it again must therefore say EBUSY; anything else means the
 * child is not registered the way we think.
 */
static void check_inherited(enum variant v)
{
	long ret;

	if (v == NORSEQ)
		return;
	ret = sys_rseq(main_reg.area, main_reg.len, 0, RSEQ_SIG);
	if (ret == 0 || errno != EBUSY)
		die("%s child: re-registering the inherited area gave %ld (%s), want EBUSY",
		    variant_name[v], ret, ret ? strerror(errno) : "success");
	if (main_reg.area->cpu_id == (uint32_t)RSEQ_CPU_ID_UNINITIALIZED)
		die("%s child: cpu_id not set", variant_name[v]);
}

/* ---- measuring ---- */

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Set by a loop that times its own iterations: its cost per operation. */
static double loop_result = -1;

/*
 * Warm up, then time reps runs of fn(n); print the median and spread.
 * fn returns the ns of its region that are not the operation (spinning
 * while waiting), which are subtracted.
 */
static void measure_reps(const char *op, enum variant v, uint64_t (*fn)(long), long n, long reps)
{
	double r[3 * 64];

	fn(n / 10 + 1);
	loop_result = -1;
	for (long i = 0; i < reps; i++) {
		struct stamp a = now();
		uint64_t sub = fn(n);

		r[i] = per_op(a, now(), n, sub);
		if (loop_result >= 0)
			r[i] = loop_result;
		loop_result = -1;
	}
	qsort(r, reps, sizeof(r[0]), cmp_double);
	printf("BENCH %s %s %.1f\n", op, variant_name[v], r[reps / 2]);
	printf("BENCHSPREAD %s %s %.1f %.1f %ld\n", op, variant_name[v], r[0], r[reps - 1], reps);
}

static void measure(const char *op, enum variant v, uint64_t (*fn)(long), long n)
{
	measure_reps(op, v, fn, n, opt_reps);
}

static void skip(const char *op, enum variant v, const char *why)
{
	printf("BENCHSKIP %s %s %s\n", op, variant_name[v], why);
}

/* ---- getppid, pipe ping-pong ---- */

static uint64_t loop_empty(long n)
{
	for (long i = 0; i < n; i++)
		asm volatile("" ::: "memory");
	return 0;
}

static uint64_t loop_getppid(long n)
{
	for (long i = 0; i < n; i++)
		getppid();
	return 0;
}

static int p2c[2], c2p[2];

static void xwrite(int fd)
{
	char c = 'x';

	if (write(fd, &c, 1) != 1)
		die("write: %s", strerror(errno));
}

static int xread(int fd)
{
	char c;
	ssize_t r = read(fd, &c, 1);

	if (r < 0)
		die("read: %s", strerror(errno));
	return r;
}

static uint64_t loop_pingpong(long n)
{
	for (long i = 0; i < n; i++) {
		xwrite(p2c[1]);
		if (xread(c2p[0]) != 1)
			die("echo child went away");
	}
	return 0;
}

static void run_pingpong(enum variant v)
{
	pid_t child;
	int status;

	if (pipe(p2c) || pipe(c2p))
		die("pipe: %s", strerror(errno));
	fflush(stdout);
	child = fork();
	if (child < 0)
		die("fork: %s", strerror(errno));
	if (child == 0) {
		close(p2c[1]);
		close(c2p[0]);
		check_inherited(v);
		while (xread(p2c[0]) == 1)
			xwrite(c2p[1]);
		_exit(0);
	}
	close(p2c[0]);
	close(c2p[1]);
	measure("pingpong", v, loop_pingpong, opt_pingpong);
	close(p2c[1]);
	if (waitpid(child, &status, 0) != child)
		die("waitpid: %s", strerror(errno));
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		die("%s: echo child failed (status 0x%x)", variant_name[v], status);
	close(c2p[0]);
}

/* ---- critical-section abort ---- */

/*
 * bench_cs_loop(n, rseq_cs): n times, point *rseq_cs at the descriptor and
 * enter the critical section [bench_cs_start, bench_cs_end), whose only
 * instruction is ud2. The SIGILL is delivered with the IP inside the
 * critical section, so a registered thread continues at bench_cs_abort
 * (after the signal handler). The signature sits right before the abort
 * handler, in the bytes of an ud1 instruction, as upstream does on x86.
 */
asm(".pushsection .text\n"
    ".globl bench_cs_loop, bench_cs_start, bench_cs_end, bench_cs_abort\n"
    ".type bench_cs_loop, @function\n"
    "bench_cs_loop:\n"
    "	leaq bench_cs_desc(%rip), %rax\n"
    "1:	movq %rax, (%rsi)\n"
    "bench_cs_start:\n"
    "	ud2\n"
    "bench_cs_end:\n"
    "	jmp bench_cs_abort\n"
    "	.byte 0x0f, 0xb9, 0x3d\n"
    "	.long 0x53053053\n"
    "bench_cs_abort:\n"
    "	decq %rdi\n"
    "	jnz 1b\n"
    "	ret\n"
    ".size bench_cs_loop, .-bench_cs_loop\n"
    ".popsection\n"
    ".pushsection .data\n"
    ".balign 32\n"
    "bench_cs_desc:\n"
    "	.long 0, 0\n"
    "	.quad bench_cs_start, bench_cs_end - bench_cs_start, bench_cs_abort\n"
    ".popsection\n");
void bench_cs_loop(long n, uint64_t *rseq_cs);
extern const char bench_cs_start[], bench_cs_end[], bench_cs_abort[];

static volatile long cs_aborted, cs_stepped, cs_stray;

static void on_sigill(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;
	greg_t *ip = &uc->uc_mcontext.gregs[REG_RIP];

	(void)sig;
	(void)si;
	if (*ip == (greg_t)bench_cs_abort) {
		cs_aborted++;
	} else if (*ip == (greg_t)bench_cs_start) {
		/* not registered: step over the ud2 */
		*ip += 2;
		cs_stepped++;
	} else {
		cs_stray++;
	}
}

static uint64_t *cs_field;

static uint64_t loop_csabort(long n)
{
	bench_cs_loop(n, cs_field);
	return 0;
}

static void run_csabort(enum variant v)
{
	struct sigaction sa = { .sa_sigaction = on_sigill, .sa_flags = SA_SIGINFO };
	long total = opt_csabort / 10 + 1 + opt_csabort * opt_reps;

	if (sigaction(SIGILL, &sa, NULL))
		die("sigaction: %s", strerror(errno));
	cs_field = v == NORSEQ ? &dummy_rseq_cs : (uint64_t *)&main_reg.area->rseq_cs;
	cs_aborted = cs_stepped = cs_stray = 0;
	measure("csabort", v, loop_csabort, opt_csabort);
	signal(SIGILL, SIG_DFL);
	ACCESS_ONCE(*cs_field) = 0;
	printf("BENCHINFO csabort %s signals=%ld aborted=%ld stepped=%ld stray=%ld\n",
	       variant_name[v], total, cs_aborted, cs_stepped, cs_stray);
	if (cs_stray || (v == NORSEQ ? cs_stepped : cs_aborted) != total)
		die("csabort %s: %ld signals, %ld aborted, %ld stepped over, %ld elsewhere: "
		    "not every signal %s", variant_name[v], total, cs_aborted, cs_stepped, cs_stray,
		    v == NORSEQ ? "was stepped over" : "aborted the critical section");
}

/* ---- wakeup by a SCHED_FIFO sibling, slice grant + yield / revoke ---- */

static uint32_t wk_count;
static atomic_int wk_stop, wk_ready;
static int wk_err;

static void *waker(void *arg)
{
	struct sched_param sp = { .sched_priority = 1 };
	struct timespec ts = { 0, opt_period };

	(void)arg;
	/* SCHED_FIFO: always preempts the spinner, and no timer slack. */
	wk_err = pthread_setschedparam(pthread_self(), SCHED_FIFO, &sp);
	atomic_store(&wk_ready, 1);
	if (wk_err)
		return NULL;
	while (!atomic_load(&wk_stop)) {
		clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, NULL);
		__atomic_fetch_add(&wk_count, 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

enum slice_how { SL_NONE, SL_YIELD, SL_REVOKE };
static enum slice_how sl_how;
static long sl_granted, sl_yielded, sl_other, sl_calls, sl_measured_misses;
/* Where the first iterations without a grant were: "call:iteration". */
static char sl_misses[128];

/*
 * One iteration per wakeup of the sibling; the waiting is subtracted.
 * Each iteration is timed with the TSC (virtual nanoseconds under
 * -icount, like CLOCK_MONOTONIC); the value of a repetition is the median
 * iteration, so that the odd timer tick does not move it, and an
 * iteration without a grant (rare: other pending work on that interrupt
 * exit) is left out of a slice row.
 */
static uint64_t loop_wakeup(long n)
{
	struct rseq *rs = main_reg.area;
	double *cost = calloc(n, sizeof(*cost));
	uint64_t t, prev;
	long good = 0;

	if (!cost)
		die("out of memory");

	sl_calls++;
	prev = rdtsc();
	for (long i = 0; i < n; i++) {
		uint32_t c = ACCESS_ONCE(wk_count);
		uint64_t spins;
		int ok = 1;

		if (sl_how == SL_NONE) {
			spins = spin_while_eq(&wk_count, c);
		} else {
			ACCESS_ONCE(rs->slice_ctrl.request) = 1;
			spins = spin_while_eq(&rs->slice_ctrl.all, 1);
			if (ACCESS_ONCE(rs->slice_ctrl.all) == 1u << 8) {
				sl_granted++;
				if (sl_how == SL_YIELD) {
					if (syscall(__NR_rseq_slice_yield) == 1)
						sl_yielded++;
				} else {
					getppid();
				}
			} else {
				size_t l = strlen(sl_misses);

				ok = 0;
				/* call 1 is the warm-up: it may start in any phase */
				if (sl_calls > 1)
					sl_measured_misses++;
				if (sl_other++ < 4 && l < sizeof(sl_misses) - 32)
					snprintf(sl_misses + l, sizeof(sl_misses) - l, " %ld:%ld",
						 sl_calls - 1, i);
			}
			/* the sibling has run (with a grant: during the system call) */
			spins += spin_while_eq(&wk_count, c);
		}
		t = rdtsc();
		if (ok)
			cost[good++] = (double)(t - prev) - (double)(spins * SPIN_INSNS);
		prev = t;
	}
	/* the median iteration: a timer tick or other noise lands in few */
	qsort(cost, good, sizeof(*cost), cmp_double);
	loop_result = good ? cost[good / 2] : -1;
	free(cost);
	return 0;
}

static void run_wakeup(enum variant v)
{
	static const char *const op_name[] = { "wakeup", "slice-yield", "slice-revoke" };
	pthread_t t;

	atomic_store(&wk_stop, 0);
	atomic_store(&wk_ready, 0);
	if (pthread_create(&t, NULL, waker, NULL))
		die("pthread_create: %s", strerror(errno));
	while (!atomic_load(&wk_ready))
		sched_yield();
	if (wk_err) {
		pthread_join(t, NULL);
		die("the waker thread cannot be SCHED_FIFO: %s (run as root)", strerror(wk_err));
	}
	sl_how = SL_NONE;
	measure("wakeup", v, loop_wakeup, opt_wakeup);

	if (v == V2) {
		struct rseq *rs = main_reg.area;
		long total = opt_wakeup / 10 + 1 + opt_wakeup * opt_reps;

		if (prctl(PR_RSEQ_SLICE_EXTENSION, PR_RSEQ_SLICE_EXTENSION_SET,
			  PR_RSEQ_SLICE_EXT_ENABLE, 0, 0)) {
			char why[128];

			snprintf(why, sizeof(why), "PR_RSEQ_SLICE_EXTENSION_SET: %s", strerror(errno));
			skip("slice-yield", v, why);
			skip("slice-revoke", v, why);
		} else {
			if (!(rs->flags & RSEQ_CS_FLAG_SLICE_EXT_ENABLED))
				die("slice extension enabled but flags 0x%x", rs->flags);
			for (int how = SL_YIELD; how <= SL_REVOKE; how++) {
				sl_how = how;
				sl_granted = sl_yielded = sl_other = sl_calls = sl_measured_misses = 0;
				sl_misses[0] = '\0';
				measure(op_name[how], v, loop_wakeup, opt_wakeup);
				printf("BENCHINFO %s iterations=%ld granted=%ld yield_returned_1=%ld not_granted=%ld%s%s\n",
				       op_name[how], total, sl_granted, sl_yielded, sl_other,
				       sl_other ? " (call:iteration, call 0 = warm-up)" : "", sl_misses);
				/* left out of the row; a few per thousand are normal */
				if (sl_measured_misses * 100 > total ||
				    (how == SL_YIELD && sl_yielded != sl_granted))
					die("%s: %ld of %ld iterations granted (%ld misses after the warm-up), "
					    "%ld yields returned 1: too many wakeups without a grant",
					    op_name[how], sl_granted, total, sl_measured_misses, sl_yielded);
			}
			if (prctl(PR_RSEQ_SLICE_EXTENSION, PR_RSEQ_SLICE_EXTENSION_SET, 0, 0, 0))
				die("cannot disable the slice extension: %s", strerror(errno));
		}
	}
	atomic_store(&wk_stop, 1);
	pthread_join(t, NULL);
}

/* ---- membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED_RSEQ) ---- */

static atomic_int mb_stop, mb_ready;
static int mb_cpu;

static void *mb_sibling(void *arg)
{
	enum variant v = (enum variant)(long)arg;
	struct sched_param sp = { .sched_priority = 1 };
	struct reg r;

	pin(1);
	/*
	 * SCHED_FIFO, so that no kernel thread takes CPU 1 from it: the
	 * command only interrupts CPUs whose current task is in our mm.
	 */
	errno = pthread_setschedparam(pthread_self(), SCHED_FIFO, &sp);
	if (errno)
		die("membarrier sibling: SCHED_FIFO: %s (run as root)", strerror(errno));
	register_variant(v, &r, "sibling");
	mb_cpu = sched_getcpu();
	atomic_store(&mb_ready, 1);
	/* PAUSE makes QEMU's round robin run the other vCPU. */
	while (!atomic_load_explicit(&mb_stop, memory_order_relaxed))
		__builtin_ia32_pause();
	if (v != NORSEQ && sys_rseq(r.area, r.len, RSEQ_FLAG_UNREGISTER, RSEQ_SIG))
		die("sibling: unregister: %s", strerror(errno));
	return NULL;
}

static uint64_t loop_membarrier(long n)
{
	for (long i = 0; i < n; i++)
		if (syscall(__NR_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED_RSEQ, 0, 0))
			die("membarrier: %s", strerror(errno));
	return 0;
}

/* Function-call IPIs received by CPU 1 so far ("CAL:" in /proc/interrupts). */
static long cpu1_call_ipis(void)
{
	char line[512];
	long v0, v1 = -1;
	FILE *f = fopen("/proc/interrupts", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, " CAL: %ld %ld", &v0, &v1) == 2)
			break;
	fclose(f);
	return v1;
}

static void run_membarrier(enum variant v)
{
	long ipis, total = opt_membarrier / 10 + 1 + opt_membarrier * opt_reps;
	pthread_t t;

	if (sysconf(_SC_NPROCESSORS_ONLN) < 2) {
		skip("membarrier", v, "one CPU: the command has no other CPU to interrupt");
		return;
	}
	if (syscall(__NR_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_RSEQ, 0, 0))
		die("membarrier register rseq: %s", strerror(errno));
	atomic_store(&mb_stop, 0);
	atomic_store(&mb_ready, 0);
	if (pthread_create(&t, NULL, mb_sibling, (void *)(long)v))
		die("pthread_create: %s", strerror(errno));
	while (!atomic_load(&mb_ready))
		sched_yield();
	if (mb_cpu != 1 || sched_getcpu() != 0)
		die("membarrier: sibling on CPU %d, measuring thread on CPU %d (want 1 and 0)",
		    mb_cpu, sched_getcpu());
	ipis = cpu1_call_ipis();
	measure("membarrier", v, loop_membarrier, opt_membarrier);
	if (ipis >= 0) {
		ipis = cpu1_call_ipis() - ipis;
		printf("BENCHINFO membarrier %s calls=%ld call_ipis_on_cpu1=%ld\n", variant_name[v],
		       total, ipis);
		if (ipis < total)
			die("membarrier %s: %ld calls but only %ld IPIs reached CPU 1: the command "
			    "returned early", variant_name[v], total, ipis);
	}
	atomic_store(&mb_stop, 1);
	pthread_join(t, NULL);
}

/* ---- param_test_benchmark ---- */

static char *pt_argv[32];
static int pt_legacy;

static uint64_t run_param_test_once(long n)
{
	for (long i = 0; i < n; i++) {
		int status;
		pid_t pid;

		fflush(stdout);
		pid = fork();
		if (pid < 0)
			die("fork: %s", strerror(errno));
		if (pid == 0) {
			int fd = open("/dev/null", O_WRONLY);

			if (fd >= 0)
				dup2(fd, 1);
			/* the same address space layout every run: fewer instructions vary */
			personality(ADDR_NO_RANDOMIZE);
			execv(pt_argv[0], pt_argv);
			die("exec %s: %s", pt_argv[0], strerror(errno));
		}
		if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status))
			die("%s failed (status 0x%x)", pt_argv[0], status);
	}
	return 0;
}

static void run_param_test(void)
{
	static char args[256];
	char *dir, *slash, *save;
	int argc = 0;

	if (!opt_param_test)
		return;
	/* It finds librseq.so through "-rpath=./": run it in its directory. */
	dir = strdup(opt_param_test);
	slash = strrchr(dir, '/');
	if (slash) {
		*slash = '\0';
		if (chdir(*dir ? dir : "/"))
			die("chdir %s: %s", dir, strerror(errno));
	}
	pt_argv[argc++] = (char *)opt_param_test;
	snprintf(args, sizeof(args), "%s", opt_param_args);
	for (char *w = strtok_r(args, " ", &save); w && argc < 28; w = strtok_r(NULL, " ", &save))
		pt_argv[argc++] = w;
	printf("BENCHINFO param_test %s %s\n", opt_param_test, opt_param_args);
	for (pt_legacy = 1; pt_legacy >= 0; pt_legacy--) {
		pt_argv[argc] = pt_legacy ? "-L" : NULL;
		pt_argv[argc + 1] = NULL;
		/* one run varies by a few %: three times the repetitions */
		measure_reps("param_test", pt_legacy ? V1 : V2, run_param_test_once, 1, 3 * opt_reps);
	}
}

/* ---- one process per variant ---- */

static void run_variant(enum variant v)
{
	register_variant(v, &main_reg, "main");
	measure("getppid", v, loop_getppid, opt_getppid);
	run_pingpong(v);
	run_csabort(v);
	run_wakeup(v);
	run_membarrier(v);
	fflush(stdout);
}

static long parse_count(const char *s, char opt)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (*s == '\0' || *end != '\0' || v <= 0)
		die("-%c wants a positive number, got '%s'", opt, s);
	return v;
}

static void usage(const char *argv0)
{
	fprintf(stderr,
		"usage: %s [-g getppid-iterations] [-p round-trips] [-c cs-aborts]\n"
		"          [-w wakeups] [-d wakeup-period-ns] [-m membarrier-calls] [-r reps]\n"
		"          [-b param_test_benchmark] [-B 'its arguments']\n",
		argv0);
	exit(2);
}

int main(int argc, char **argv)
{
	struct stamp a, b;
	int c;

	while ((c = getopt(argc, argv, "g:p:c:w:d:m:r:b:B:")) != -1) {
		switch (c) {
		case 'g':
			opt_getppid = parse_count(optarg, c);
			break;
		case 'p':
			opt_pingpong = parse_count(optarg, c);
			break;
		case 'c':
			opt_csabort = parse_count(optarg, c);
			break;
		case 'w':
			opt_wakeup = parse_count(optarg, c);
			break;
		case 'd':
			opt_period = parse_count(optarg, c);
			if (opt_period >= 1000000000)
				die("-d is below one second");
			break;
		case 'm':
			opt_membarrier = parse_count(optarg, c);
			break;
		case 'r':
			opt_reps = parse_count(optarg, c);
			if (opt_reps > 64)
				die("-r is at most 64");
			break;
		case 'b':
			opt_param_test = optarg;
			break;
		case 'B':
			opt_param_args = optarg;
			break;
		default:
			usage(argv[0]);
		}
	}
	if (optind != argc)
		usage(argv[0]);
	setvbuf(stdout, NULL, _IOLBF, 0);

	if (&__rseq_size && __rseq_size)
		die("glibc registered rseq itself (__rseq_size %u): run with GLIBC_TUNABLES=glibc.pthread.rseq=0",
		    __rseq_size);
	/* Nothing may be registered yet: unregistering must say EINVAL. */
	{
		static struct rseq probe;

		if (sys_rseq(&probe, 32, RSEQ_FLAG_UNREGISTER, RSEQ_SIG) == 0 || errno != EINVAL)
			die("this thread already has an rseq registration: run with GLIBC_TUNABLES=glibc.pthread.rseq=0");
	}
	/* Everything runs on CPU 0; CPU 1 (if any) only for membarrier. */
	pin(0);
	printf("BENCHINFO cpus online=%ld, measuring on CPU %d\n", sysconf(_SC_NPROCESSORS_ONLN),
	       sched_getcpu());

	/* Clock: its granularity and the loop overhead. */
	a = now();
	do
		b = now();
	while (b.ns == a.ns);
	printf("BENCHINFO clock CLOCK_MONOTONIC step=%llu ns\n", (unsigned long long)(b.ns - a.ns));
	if (b.ns - a.ns > 10000)
		die("CLOCK_MONOTONIC steps by %llu ns: too coarse (boot with tsc=reliable clocksource=tsc)",
		    (unsigned long long)(b.ns - a.ns));
	a = now();
	loop_empty(opt_getppid);
	b = now();
	printf("BENCHINFO loop %.2f ns/iteration (not subtracted)\n",
	       (double)(b.ns - a.ns) / opt_getppid);
	printf("BENCHINFO params getppid=%ld pingpong=%ld csabort=%ld wakeup=%ld period=%ld "
	       "membarrier=%ld reps=%ld\n", opt_getppid, opt_pingpong, opt_csabort, opt_wakeup,
	       opt_period, opt_membarrier, opt_reps);

	/* One process per variant, so each starts unregistered. */
	for (int v = 0; v < NR_VARIANTS; v++) {
		pid_t pid;
		int status;
		int fds[2];
		uint64_t t[2];

		if (pipe(fds))
			die("pipe: %s", strerror(errno));
		fflush(stdout);
		pid = fork();
		if (pid < 0)
			die("fork: %s", strerror(errno));
		if (pid == 0) {
			close(fds[0]);
			run_variant(v);
			t[0] = total_ns;
			t[1] = total_tsc;
			if (write(fds[1], t, sizeof(t)) != sizeof(t))
				die("write: %s", strerror(errno));
			_exit(0);
		}
		close(fds[1]);
		if (read(fds[0], t, sizeof(t)) == sizeof(t)) {
			total_ns += t[0];
			total_tsc += t[1];
		}
		close(fds[0]);
		if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status))
			die("variant %s failed", variant_name[v]);
	}
	run_param_test();
	printf("BENCHINFO clockcheck monotonic_ns=%llu tsc=%llu ratio=%.4f\n",
	       (unsigned long long)total_ns, (unsigned long long)total_tsc,
	       total_tsc ? (double)total_ns / total_tsc : 0.0);
	printf("BENCHINFO done\n");
	return 0;
}
