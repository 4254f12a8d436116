// SPDX-License-Identifier: GPL-2.0
/*
 * rseq ABI: differential soak tester.
 *
 * One process group per ABI mode (legacy: a 32-byte registration, v2: a
 * registration of sizeof(struct rseq) at ABI_RSEQ_ALIGN) runs a
 * seeded random mix of operations in two sub-processes:
 *
 *  - the deterministic process, pinned to one CPU, whose operations do
 *    not depend on timing: registration and unregistration with random
 *    and boundary arguments, critical section descriptors evaluated at
 *    a fixed IP (a signal sent from inside the CS), on x86_64 a SIGTRAP
 *    from a hardware breakpoint at every instruction of a small CS
 *    (valid and boundary descriptors) and nested signals (a signal
 *    whose handler takes another one inside its own CS or outside any
 *    CS), membarrier and slice extension argument handling, ID values
 *    after a forced update, and, in forked children, descriptors that
 *    may be fatal (also swept with breakpoints), registrations of
 *    unmapped or read-only memory, read-only field tampering,
 *    fork/exec/thread-exit state and a clone(CLONE_VM) child. Each
 *    operation appends one line to the outcome log (return values,
 *    errno, the fields the kernel wrote, what a signal handler saw, how
 *    a child ended). A breakpoint case that was context switched (the
 *    only other CS evaluation) runs again, at most 8 times; retries are
 *    counted but not logged. For the same seed the log must be
 *    identical on every correct kernel: compare the block hashes;
 *
 *  - the timing process, checked against invariants only: a peer thread
 *    spinning in a CS must abort (on its abort IP, rseq_cs cleared) after
 *    each signal and membarrier RSEQ fence; after a migration the IDs
 *    match getcpu() and the sysfs node of the CPU; slice extension
 *    requests, grants and yields return documented values; threads
 *    exit while registered.
 *
 * Usage: abi_soak [-s SEED] [-n OPS] [-t TIMING_OPS] [-b BLOCK] [-d BLOCK]
 *                 [-m legacy|v2|both] [-l LOG_PREFIX]
 * or the environment SOAK_SEED, SOAK_OPS, SOAK_TOPS, SOAK_BLOCK,
 * SOAK_DUMP, SOAK_MODE, SOAK_LOG. OPS is the number of deterministic
 * operations per mode, TIMING_OPS (default OPS / 100, at least 100) the
 * number of timing operations per mode. Output lines:
 *
 *   SOAK <mode> block <k> ops <n> hash <h>   hash of the lines of block k
 *   SOAKLOG <mode> <line>                    the lines of block -d K
 *   SOAK <mode> det|timing: ... ops/s        rates (det: and retried cases)
 *   SOAK FAIL ... seed ... op ...            a failure, replayable
 *   N passed, N failed
 *
 * glibc must not register rseq: run with GLIBC_TUNABLES=glibc.pthread.rseq=0.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <getopt.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <ucontext.h>
#include <linux/hw_breakpoint.h>
#include <linux/perf_event.h>

#include "abi_util.h"
#include "abi_cs_asm.h"

/* Shorter names for the membarrier commands used throughout. */
#define MB_RSEQ		MEMBARRIER_CMD_PRIVATE_EXPEDITED_RSEQ
#define MB_REG_RSEQ	MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_RSEQ
#define MB_FLAG_CPU	MEMBARRIER_CMD_FLAG_CPU

#ifndef ABI_HAVE_CS_ASM
int main(void)
{
	printf("abi_soak: needs the x86_64 critical sections\n0 passed, 0 failed\n");
	return 4;	/* KSFT_SKIP */
}
#else

struct soak_mode {
	const char *name;
	uint32_t len;
};

static const struct soak_mode soak_modes[] = {
	{ "legacy", 32 },
	{ "v2", sizeof(struct rseq) },
};

static struct {
	uint64_t seed;
	unsigned long ops, tops, block;
	long dump;
	int modes;		/* bit 0 legacy, bit 1 v2 */
	const char *log;
} opt = { .seed = 1, .ops = 100000, .block = 1000, .dump = -1, .modes = 3 };

/* Results of one mode, shared with the forked processes. */
struct mode_result {
	unsigned long det_done, t_done, cur_op;
	unsigned long fails, retries;
	uint64_t hash;
	double det_s, t_s;
	char first_fail[256];
};

static struct mode_result *res;
static const struct soak_mode *mode;
static int mode_idx;
static const char *phase = "setup";

/* splitmix64 */
static uint64_t rng;

static uint64_t rnd(void)
{
	uint64_t z = (rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t rnd_of(const uint64_t *v, size_t n)
{
	return v[rnd() % n];
}

#define RND_OF(...) rnd_of((const uint64_t[]){ __VA_ARGS__ }, \
	sizeof((const uint64_t[]){ __VA_ARGS__ }) / sizeof(uint64_t))

static void fail(const char *fmt, ...)
{
	char msg[200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (res->fails >= 10) {		/* keep the console readable */
		res->fails++;
		return;
	}
	printf("SOAK FAIL %s %s seed=%#llx op=%lu: %s (replay: abi_soak -m %s -s %#llx -n %lu)\n",
	       mode->name, phase, (unsigned long long)opt.seed, res->cur_op, msg,
	       mode->name, (unsigned long long)opt.seed, opt.ops);
	fflush(stdout);
	if (!res->fails++)
		snprintf(res->first_fail, sizeof(res->first_fail), "op %lu: %s",
			 res->cur_op, msg);
}

/* ------------------------------------------------------------------ */
/* Memory the operations point the kernel at. */

static struct rseq area __aligned(ABI_RSEQ_ALIGN);	/* the canonical registration */
static uint8_t arena[4 * 4096] __aligned(4096);	/* other valid memory */
static struct rseq_cs desc;
static uint8_t *ro_page, *unmapped_page;

/* Shared with the forked children: what they saw before they ended. */
static struct soak_shared {
	char bp[64];
	long cl[8];
} *shm;

static void setup_bp(void);

static void nop_handler(int sig)
{
}

static void setup_memory(void)
{
	ro_page = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	unmapped_page = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	shm = mmap(NULL, sizeof(*shm), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (ro_page == MAP_FAILED || unmapped_page == MAP_FAILED || shm == MAP_FAILED) {
		perror("mmap");
		exit(2);
	}
	/* A valid descriptor of abi_cs_sys, in memory the task cannot write. */
	abi_cs_desc_sys((struct rseq_cs *)ro_page);
	mprotect(ro_page, 4096, PROT_READ);
	munmap(unmapped_page, 4096);
	signal(SIGUSR1, nop_handler);
	setup_bp();
}

static long canon_reg(void)
{
	return sys_rseq(&area, mode->len, 0, ABI_RSEQ_SIG);
}

/* ------------------------------------------------------------------ */
/* The outcome log of the deterministic process. */

static char line[1024];
static size_t line_len;
static FILE *log_file;
static uint64_t block_hash;

static void out(const char *fmt, ...)
{
	va_list ap;
	int n;

	if (line_len >= sizeof(line) - 1)
		return;
	va_start(ap, fmt);
	n = vsnprintf(line + line_len, sizeof(line) - line_len, fmt, ap);
	va_end(ap);
	if (n > 0)
		line_len += n;
	if (line_len >= sizeof(line))
		line_len = sizeof(line) - 1;
}

/* "r=RET" or "r=-1/ERRNO" of a system call that returned @r. */
static void out_ret(const char *what, long r)
{
	if (r == -1)
		out(" %s=-1/%d", what, errno);
	else
		out(" %s=%ld", what, r);
}

static struct rseq_cs cs_fixed;

/* rseq_cs by name: addresses of mappings differ from boot to boot. */
static const char *cs_name(uint64_t v)
{
	if (!v)
		return "0";
	if (v == (uintptr_t)&cs_fixed)
		return "fixed";
	if (v == (uintptr_t)ro_page)
		return "ro";
	return "other";
}

static void out_ids(void)
{
	out(" ids=%x,%x,%x,%x,%x,%s", area.cpu_id_start, area.cpu_id,
	    area.node_id, area.mm_cid, area.flags, cs_name(area.rseq_cs));
}

static void end_line(unsigned long i)
{
	const unsigned char *p;

	for (p = (const unsigned char *)line; p < (const unsigned char *)line + line_len; p++)
		block_hash = (block_hash ^ *p) * 0x100000001b3ULL;
	block_hash = (block_hash ^ '\n') * 0x100000001b3ULL;
	if (log_file)
		fprintf(log_file, "%s\n", line);
	if (opt.dump >= 0 && i / opt.block == (unsigned long)opt.dump)
		printf("SOAKLOG %s %s\n", mode->name, line);
	line_len = 0;
	line[0] = 0;
}

/* ------------------------------------------------------------------ */
/* Deterministic operations. Each starts and ends registered canonically. */

struct reg_args {
	void *p;
	uint32_t len;
	int flags;
	uint32_t sig;
};

static void rnd_reg_args(struct reg_args *a, bool risky)
{
	switch (rnd() % (risky ? 9 : 6)) {
	case 0:
		a->p = &area; break;
	case 1:
		a->p = (uint8_t *)&area + 1 + rnd() % 63; break;
	case 2:
		a->p = arena + 64 * (rnd() % 128); break;
	case 3:
		a->p = arena + 32 * (rnd() % 256); break;
	case 4:
		a->p = (void *)(uintptr_t)RND_OF(0xffff800000000000ULL,
			1ULL << 47, ~63ULL, 0x7ffffffff000ULL + 4064); break;
	case 5:
		a->p = arena + rnd() % 8192; break;
	case 6:
		a->p = NULL; break;
	case 7:
		a->p = unmapped_page; break;
	default:
		a->p = ro_page + 64 * (rnd() % 8); break;
	}
	a->len = rnd() % 8 ? RND_OF(0, 1, 31, 32, 32, 33, 63, 64, 64, 65, 128,
				    4096, 0x10000, 0xffffffff, mode->len, mode->len)
			   : (uint32_t)rnd();
	a->flags = rnd() % 8 ? (int)RND_OF(0, 0, 0, 1, 2, 3, 4, 0x80000000)
			     : (int)rnd();
	a->sig = rnd() % 4 ? ABI_RSEQ_SIG
			   : (uint32_t)RND_OF(0, ~ABI_RSEQ_SIG, ABI_RSEQ_SIG ^ 1, rnd());
	if (!risky && (a->len > 8192 || (a->flags & 1)) &&
	    (uint8_t *)a->p >= arena && (uint8_t *)a->p < arena + sizeof(arena))
		a->len = RND_OF(32, 64, 33);	/* stay inside the arena */
}

/*
 * Back to the canonical registration after an operation that may have
 * left another one (@cur, if @have) or none.
 */
static void restore(bool registered, struct reg_args *cur, bool have)
{
	if (have) {
		out_ret(" undo", sys_rseq(cur->p, cur->len, RSEQ_FLAG_UNREGISTER, cur->sig));
		registered = false;
	}
	if (!registered)
		out_ret(" rereg", canon_reg());
}

static void op_register(void)
{
	struct reg_args a;
	bool first_unreg = rnd() & 1;
	long r;

	rnd_reg_args(&a, false);
	out("reg p=%s%lx len=%x fl=%x sig=%x", a.p >= (void *)arena &&
	    a.p < (void *)(arena + sizeof(arena)) ? "arena+" : "",
	    a.p >= (void *)arena && a.p < (void *)(arena + sizeof(arena)) ?
	    (unsigned long)((uint8_t *)a.p - arena) :
	    a.p == (void *)&area ? 0xa0a0UL :
	    (uint8_t *)a.p > (uint8_t *)&area && (uint8_t *)a.p < (uint8_t *)&area + 64 ?
	    0xa000UL + ((uint8_t *)a.p - (uint8_t *)&area) : (unsigned long)a.p,
	    a.len, a.flags, a.sig);
	if (first_unreg)
		out_ret(" unreg", sys_rseq(&area, mode->len, RSEQ_FLAG_UNREGISTER, ABI_RSEQ_SIG));
	r = sys_rseq(a.p, a.len, a.flags, a.sig);
	out_ret(" r", r);
	if (r == 0 && !(a.flags & 1)) {
		struct rseq *rs = a.p;

		out(" new=%x,%x,%x,%x", rs->cpu_id_start, rs->cpu_id,
		    rs->node_id, rs->mm_cid);
	}
	out_ids();
	/*
	 * A successful registration (not unregistration) leaves @a; a
	 * successful unregistration leaves none.
	 */
	if (r == 0 && (a.flags & 1))
		restore(false, NULL, false);
	else if (r == 0)
		restore(false, &a, true);
	else
		restore(!first_unreg, NULL, false);
}

static void op_unregister(void)
{
	struct reg_args a = { &area, mode->len, RSEQ_FLAG_UNREGISTER, ABI_RSEQ_SIG };
	long r;

	switch (rnd() % 6) {
	case 0:
		a.p = (uint8_t *)&area + RND_OF(1, 4, 32, 64, -64); break;
	case 1:
		a.len = RND_OF(0, 31, 32, 33, 64, 128, 0xffffffff); break;
	case 2:
		a.flags = RND_OF(1, 3, 0x80000001, 0x101, 5, (uint32_t)rnd() | 1); break;
	case 3:
		a.sig = rnd() % 2 ? ABI_RSEQ_SIG ^ 0x100 : (uint32_t)rnd(); break;
	case 4:
		break;	/* the valid one */
	default:
		a.p = (uint8_t *)&area + RND_OF(0, 8);
		a.len = RND_OF(32, 33, 64);
		a.sig = RND_OF(ABI_RSEQ_SIG, 0);
		break;
	}
	r = sys_rseq(a.p, a.len, a.flags, a.sig);
	out("unreg p=a%+ld len=%x fl=%x sig=%x", (long)((uint8_t *)a.p - (uint8_t *)&area),
	    a.len, a.flags, a.sig);
	out_ret(" r", r);
	out_ids();
	restore(r != 0, NULL, false);
}

/* A descriptor evaluated by a signal sent from inside abi_cs_sys. */
static void op_cs_fixed(void)
{
	int variant = rnd() % 6;
	uint64_t before, after;
	long r;

	abi_cs_desc_sys(&cs_fixed);
	switch (variant) {
	case 0:
		break;	/* covers the IP: abort */
	case 1:
		cs_fixed.start_ip = (uintptr_t)abi_cs_sys_after; break;	/* starts at the IP */
	case 2:
		cs_fixed.post_commit_offset = 0; break;			/* empty CS */
	case 3:	/* ends right at the IP */
		cs_fixed.post_commit_offset = abi_cs_sys_after - abi_cs_sys_start;
		break;
	case 4:
		cs_fixed.start_ip = (uintptr_t)abi_cs_spin_start; break;	/* elsewhere */
	default:
		break;
	}
	before = area.rseq_cs;
	if (variant == 5)
		r = abi_cs_sys(&area.rseq_cs, (struct rseq_cs *)ro_page, SYS_tgkill,
			       getpid(), gettid(), SIGUSR1);
	else
		r = abi_cs_sys(&area.rseq_cs, &cs_fixed, SYS_tgkill, getpid(), gettid(), SIGUSR1);
	after = area.rseq_cs;
	area.rseq_cs = 0;
	/*
	 * Invariants: legacy evaluates the CS before a signal from a system
	 * call, so a covering descriptor aborts on abort_ip and is cleared;
	 * v2 does not evaluate it there: the CS completes. In v2 any user
	 * interrupt after the CS may clear rseq_cs, so it is not logged.
	 */
	out("cs v=%d before=%s", variant, cs_name(before));
	if (mode->len == 32)
		out(" r=%ld after=%s", r, cs_name(after));
	out_ids();
	if ((variant <= 1 || variant == 5) && mode->len == 32 && (r != 1 || after))
		fail("legacy: covering CS at a signal: r=%ld rseq_cs=%s", r, cs_name(after));
	/*
	 * v2 aborts only if a user interrupt hit the one instruction of the
	 * CS after the system call (rare, timing): never for a CS that does
	 * not cover that IP.
	 */
	if (mode->len > 32 && (r != 0 && !(r == 1 && (variant <= 1 || variant == 5))))
		fail("v2: CS aborted at a signal from a syscall: variant %d r=%ld", variant, r);
	area.rseq_cs = 0;
}

static void op_ids(void)
{
	int e = abi_failed_exec();

	out("ids exec=%d", e);
	out_ids();
	if (area.cpu_id != (uint32_t)abi_cur_cpu() || area.cpu_id_start != area.cpu_id ||
	    area.node_id != (uint32_t)abi_cur_node())
		fail("IDs after a forced update: cpu %u/%u node %u, getcpu %d/%d",
		     area.cpu_id_start, area.cpu_id, area.node_id, abi_cur_cpu(),
		     abi_cur_node());
}

static void op_membarrier(void)
{
	int cmd = RND_OF(MEMBARRIER_CMD_QUERY, MB_REG_RSEQ, MB_RSEQ,
			 MB_RSEQ, MEMBARRIER_CMD_GET_REGISTRATIONS,
			 MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED,
			 MEMBARRIER_CMD_PRIVATE_EXPEDITED,
			 1 << 12, 3, MB_REG_RSEQ | MB_RSEQ);
	unsigned int flags = rnd() % 4 ? RND_OF(0, MB_FLAG_CPU) : (uint32_t)rnd();
	int cpu = RND_OF(0, 1, -1, 1000, 0x7fffffff);
	long r = sys_membarrier(cmd, flags, cpu);

	out("mb cmd=%x fl=%x cpu=%d", cmd, flags, cpu);
	out_ret(" r", r);
	out_ids();
}

static void op_slice(void)
{
	unsigned long op = RND_OF(0, PR_RSEQ_SLICE_EXTENSION_GET, PR_RSEQ_SLICE_EXTENSION_SET,
				  PR_RSEQ_SLICE_EXTENSION_SET, 3);
	unsigned long a3 = rnd() % 4 ? RND_OF(0, PR_RSEQ_SLICE_EXT_ENABLE, 2) : rnd();
	unsigned long a4 = rnd() % 8 == 0, a5 = rnd() % 8 == 0;

	out("slice op=%lu a=%lx,%lx,%lx", op, a3, a4, a5);
	out_ret(" r", abi_prctl_slice(op, a3, a4, a5));
	out_ret(" get", abi_prctl_slice(PR_RSEQ_SLICE_EXTENSION_GET, 0, 0, 0));
	out_ret(" yield", sys_slice_yield());
	out_ids();
}

/* Forked children. Exit codes are part of the outcome. */

static int child_reg_risky(void)
{
	struct reg_args a;
	long r;

	rnd_reg_args(&a, true);
	if (sys_rseq(&area, mode->len, RSEQ_FLAG_UNREGISTER, ABI_RSEQ_SIG))
		return 100;
	r = sys_rseq(a.p, a.len, a.flags, a.sig);
	syscall(SYS_getppid);
	return r == 0 ? 0 : 1 + (errno & 63);
}

static uint64_t rnd_ip_near(const char *base)
{
	switch (rnd() % 6) {
	case 0:
	case 1:
		return (uintptr_t)base;
	case 2:
		return (uintptr_t)base + rnd() % 16 - 8;
	case 3:
		return RND_OF(0, 1ULL << 47, ~0ULL, 0xffffffff80000000ULL);
	case 4:
		return (uintptr_t)unmapped_page;
	default:
		return (uintptr_t)abi_cs_spin_abort;
	}
}

/*
 * Random fields and placement for the valid descriptor in desc of the CS
 * at @start with abort handler @abort: post_commit_offset mostly below
 * @pco_max, and an abort IP sometimes drawn by @in_cs (one at or next to
 * the CS, which must be refused). Returns desc, an unmapped, misaligned
 * or kernel address.
 */
static struct rseq_cs *rnd_desc_from(const char *start, const char *abort,
				     unsigned int pco_max, uint64_t (*in_cs)(const char *start))
{
	static uint8_t descbuf[96] __aligned(32);
	struct rseq_cs *d = &desc;

	if (rnd() % 4 == 0)
		d->version = RND_OF(1, 0x100, (uint32_t)rnd());
	if (rnd() % 4 == 0)
		d->flags = RND_OF(1, 2, 4, 0x80000000, (uint32_t)rnd());
	if (rnd() % 3 == 0)
		d->start_ip = rnd_ip_near(start);
	if (rnd() % 3 == 0)
		d->post_commit_offset = rnd() % 4 ? rnd() % pco_max :
			RND_OF(rnd(), ~0ULL, 1ULL << 47);
	if (rnd() % 3 == 0)
		d->abort_ip = rnd() % 3 ? rnd_ip_near(abort) : in_cs(start);
	switch (rnd() % 8) {
	case 0:
		d = (struct rseq_cs *)unmapped_page; break;
	case 1:	/* misaligned copy */
		d = (struct rseq_cs *)(descbuf + 1 + rnd() % 31);
		memcpy(d, &desc, sizeof(desc));
		break;
	case 2:
		d = (struct rseq_cs *)(uintptr_t)RND_OF(1ULL << 47, ~31ULL); break;
	default:
		break;
	}
	return d;
}

/* One of the first 8 bytes of the CS at @start. */
static uint64_t rnd_ip_in_bytes(const char *start)
{
	return (uintptr_t)start + rnd() % 8;
}

/* A mostly valid random descriptor of abi_cs_sys (@spin: abi_cs_spin). */
static struct rseq_cs *rnd_desc(bool spin)
{
	if (spin) {
		abi_cs_desc_spin(&desc);
		return rnd_desc_from(abi_cs_spin_start, abi_cs_spin_abort, 32, rnd_ip_in_bytes);
	}
	abi_cs_desc_sys(&desc);
	return rnd_desc_from(abi_cs_sys_start, abi_cs_sys_abort, 32, rnd_ip_in_bytes);
}

static int child_cs_random(void)
{
	long r = abi_cs_sys(&area.rseq_cs, rnd_desc(false), SYS_tgkill, getpid(),
			    gettid(), SIGUSR1);

	/* v2: not evaluated here, and a later user interrupt may clear it */
	return (r & 1) | (mode->len == 32 && area.rseq_cs ? 2 : 0);
}

/*
 * A timer signal from an interrupt while spinning in abi_cs_spin: both
 * modes evaluate the descriptor at the spin loop's IP. A CS that was not
 * aborted leaves the handler through siglongjmp().
 */
static sigjmp_buf irq_jmp;

static void irq_handler(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;
	uintptr_t ip = ABI_UC_IP(uc);

	if (ip >= (uintptr_t)abi_cs_spin_start && ip < (uintptr_t)abi_cs_spin_post)
		siglongjmp(irq_jmp, 1);
}

static int child_cs_irq(void)
{
	struct sigaction sa = { .sa_sigaction = irq_handler, .sa_flags = SA_SIGINFO };
	/* Periodic: a tick that lands before the CS must not end the test. */
	struct itimerval it = { .it_value = { 0, 1000 }, .it_interval = { 0, 1000 } };
	struct rseq_cs *d = rnd_desc(true);
	atomic_int in = 0;
	long r;

	sigaction(SIGALRM, &sa, NULL);
	if (sigsetjmp(irq_jmp, 1))
		return 4 | (area.rseq_cs ? 2 : 0);	/* not aborted */
	setitimer(ITIMER_REAL, &it, NULL);
	r = abi_cs_spin(&area.rseq_cs, d, &in);
	return (r & 1) | (area.rseq_cs ? 2 : 0);
}

/* The tampering of child_ro_tamper(), drawn from @seed (the parent redraws it). */
static void ro_tamper_draw(uint64_t seed, int *f, uint32_t *bit)
{
	static const int fields[] = { 0, 1, 5, 6 };	/* u32 index: start, cpu, node, mm_cid */
	uint64_t saved = rng;

	rng = seed;
	*f = fields[rnd() % 4];
	*bit = rnd() % 3 ? 1U << (rnd() % 32) : 0;	/* 0: no change */
	rng = saved;
}

static int child_ro_tamper(uint64_t seed)
{
	uint32_t bit;
	int f, ret;

	ro_tamper_draw(seed, &f, &bit);
	ret = bit ? 10 : 20;

	WRITE_ONCE(((uint32_t *)&area)[f], READ_ONCE(((uint32_t *)&area)[f]) ^ bit);
	if (abi_failed_exec() != ENOEXEC)
		return 99;
	if (area.cpu_id != (uint32_t)abi_cur_cpu() || area.cpu_id_start != area.cpu_id ||
	    area.node_id != (uint32_t)abi_cur_node())
		return ret + 1;
	return ret;
}

/* ------------------------------------------------------------------ */
/*
 * Signals at every instruction of a small CS (x86_64). A hardware
 * execution breakpoint (perf_event_open() of PERF_TYPE_BREAKPOINT with
 * attr.sigtrap) on one instruction of the calling thread makes the
 * kernel send a synchronous SIGTRAP (TRAP_PERF) with the IP on that
 * instruction. The thread enters the kernel through a debug exception
 * from user space, so both modes evaluate the CS on signal delivery.
 *
 * The CS is abi_cs_bp of abi_cs_asm.h.
 */
#ifdef ABI_HAVE_CS_BP
#define SOAK_HAVE_BP	1

#ifndef TRAP_PERF
#define TRAP_PERF	6
#endif

/* Every instruction from the one before start_ip to the post-commit one. */
#define BP_NPOS		6
static const char * const bp_ips[BP_NPOS] = {
	abi_cs_bp_pre, abi_cs_bp_start, abi_cs_bp_i2, abi_cs_bp_i3, abi_cs_bp_i4,
	abi_cs_bp_post,
};

#define BP_TAG		0x50a4b000ULL	/* attr.sig_data: BP_TAG + nesting level */
#define BP_RETRIES	8

/* An execution breakpoint at @ip on the calling thread, user space only. */
static void bp_attr(struct perf_event_attr *a, const void *ip)
{
	memset(a, 0, sizeof(*a));
	a->type = PERF_TYPE_BREAKPOINT;
	a->size = sizeof(*a);
	a->bp_type = HW_BREAKPOINT_X;
	a->bp_addr = (uintptr_t)ip;
	a->bp_len = sizeof(long);
	a->exclude_kernel = 1;
	a->exclude_hv = 1;
}

/* A breakpoint on the calling thread that sends SIGTRAP with @tag. */
static int bp_open(const void *ip, uint64_t tag)
{
	struct perf_event_attr a;

	bp_attr(&a, ip);
	a.sample_period = 1;
	a.sample_type = PERF_SAMPLE_ADDR;
	a.sigtrap = 1;
	a.remove_on_exec = 1;
	a.sig_data = tag;
	return syscall(SYS_perf_event_open, &a, 0, -1, -1, PERF_FLAG_FD_CLOEXEC);
}

/*
 * A task-bound perf event turns the scheduler's perf_sched_events static
 * key on, and off again a second after the last one is closed. Each
 * flip patches __schedule() through int3; under QEMU TCG with two CPUs
 * that crashed the guest once ("Oops: int3" in __schedule on both CPUs,
 * both kernels alike). One disabled breakpoint held from the start to
 * the end of the run keeps the key on, so the cases' events never flip
 * it.
 */
static int bp_keep(void)
{
	struct perf_event_attr a;

	bp_attr(&a, abi_cs_bp_abort);
	a.disabled = 1;
	return syscall(SYS_perf_event_open, &a, 0, -1, -1, 0);
}

/* si_perf_data: the union member after si_addr (older libc lacks the name). */
static uint64_t si_perf_data(const siginfo_t *si)
{
	uint64_t v;

	memcpy(&v, (const char *)si + offsetof(siginfo_t, si_addr) + sizeof(void *),
	       sizeof(v));
	return v;
}

/*
 * What the signal handler saw, per nesting level: the signal, its perf
 * tag, the interrupted IP (after the kernel's CS evaluation) and
 * rseq_cs as the handler found it.
 */
static struct {
	bool nest;		/* level 0 runs nest_inner() */
	int depth, variant, q, fd_outer;
	int hits[2], sig[2];
	uint64_t tag[2], cs[2];
	uintptr_t ip[2], expect[2];
	long rin;
} hs;

static struct rseq_cs cs_bpd, cs_outer, cs_inner;
static const void *cs_case;	/* the descriptor of the case that runs */
static __u64 cs_scratch;

static void nest_inner(void);

static void bp_handler(int sig, siginfo_t *si, void *ucv)
{
	uint64_t cs = READ_ONCE(area.rseq_cs);	/* first: what delivery left */
	int lvl = hs.depth++;

	if (lvl < 2) {
		hs.hits[lvl]++;
		hs.sig[lvl] = sig;
		hs.tag[lvl] = si->si_code == TRAP_PERF ? si_perf_data(si) : 0;
		hs.ip[lvl] = ABI_UC_IP((ucontext_t *)ucv);
		hs.cs[lvl] = cs;
	}
	if (lvl == 0 && hs.nest)
		nest_inner();
	hs.depth--;
}

static bool bp_ok;

static void setup_bp(void)
{
	struct sigaction sa = { .sa_sigaction = bp_handler,
				.sa_flags = SA_SIGINFO | SA_NODEFER };
	int fd = bp_open(abi_cs_bp_post, BP_TAG);

	sigaction(SIGTRAP, &sa, NULL);
	sigaction(SIGUSR2, &sa, NULL);
	bp_ok = fd >= 0;
	if (fd >= 0)
		close(fd);
}

/* Context switches of the thread: the only other CS evaluations. */
static long nr_switches(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_THREAD, &ru))
		return -1;
	return ru.ru_nvcsw + ru.ru_nivcsw;
}

/* One character per observation, the same on every correct kernel. */
static char sig_char(int lvl)
{
	if (!hs.hits[lvl])
		return '-';
	if (hs.hits[lvl] > 1)
		return 'M';
	if (hs.sig[lvl] == SIGTRAP)
		return hs.tag[lvl] == BP_TAG + lvl ? 'T' : '?';
	return hs.sig[lvl] == SIGUSR2 ? 'U' : '?';
}

/* a: on an abort IP, b: on the expected IP (not aborted), o: elsewhere */
static char ip_char(int lvl)
{
	uintptr_t ip = hs.ip[lvl];

	if (!hs.hits[lvl])
		return '-';
	if (ip == (uintptr_t)abi_cs_bp_abort || ip == (uintptr_t)abi_cs_sys_abort)
		return 'a';
	return ip == hs.expect[lvl] ? 'b' : 'o';
}

static char cs_char(int lvl)
{
	uint64_t v = hs.cs[lvl];

	if (!hs.hits[lvl])
		return '-';
	if (!v)
		return '0';
	if (v == (uintptr_t)cs_case)
		return 'd';
	if (v == (uintptr_t)&cs_outer)
		return 'o';
	return v == (uintptr_t)&cs_inner ? 'i' : 'x';
}

/* 'c': committed (abi_cs_bp 6, abi_cs_sys 0), 'a': aborted (1). */
static char ret_char(long r, bool sys)
{
	if (r == 1)
		return 'a';
	return r == (sys ? 0 : 6) ? 'c' : '?';
}

/*
 * One case: SIGTRAP at bp_ips[@pos] while abi_cs_bp runs with @d.
 * Writes 4 characters to @o: signal, IP, rseq_cs in the handler,
 * return. False when the run was disturbed (a context switch, a second
 * SIGTRAP, or an abort that no SIGTRAP explains): the caller runs it
 * again.
 */
static bool bp_case(struct rseq_cs *d, int pos, char *o)
{
	bool disturbed;
	long sw, r;
	int fd;

	memset(&hs, 0, sizeof(hs));
	hs.expect[0] = (uintptr_t)bp_ips[pos];
	cs_case = d;
	area.rseq_cs = 0;
	fd = bp_open(bp_ips[pos], BP_TAG);
	if (fd < 0) {
		memcpy(o, "E---", 4);
		return true;
	}
	sw = nr_switches();
	r = abi_cs_bp(&area.rseq_cs, d);
	disturbed = nr_switches() != sw;
	close(fd);
	area.rseq_cs = 0;
	o[0] = sig_char(0);
	o[1] = ip_char(0);
	o[2] = cs_char(0);
	o[3] = ret_char(r, false);
	return !disturbed && hs.hits[0] < 2 && !(r == 1 && (!hs.hits[0] || o[1] == 'b'));
}

/* The outcomes at every position, "TICR,TICR,...", into @o. */
static void bp_sweep(struct rseq_cs *d, char *o, char *shared)
{
	int pos, n;

	for (pos = 0; pos < BP_NPOS; pos++) {
		for (n = 0; !bp_case(d, pos, o + 5 * pos) && n < BP_RETRIES; n++)
			res->retries++;
		o[5 * pos + 4] = pos + 1 < BP_NPOS ? ',' : 0;
		if (shared)	/* a forked child: what it saw before it died */
			memcpy(shared, o, 5 * pos + 5);
	}
}

/*
 * A valid descriptor or a boundary one that is valid in debug mode too:
 * v=1 starts at instruction k and ends at post, v=2 starts at start and
 * ends at instruction k (k=0: one byte after post, covering it), v=3
 * starts one byte off instruction k (1..4) and ends at post.
 */
static void op_cs_bp(void)
{
	int v = rnd() % 4, k = rnd() % BP_NPOS, pos;
	char o[BP_NPOS * 5];
	uint64_t start, off;

	abi_cs_desc_bp(&cs_bpd);
	switch (v) {
	case 1:
		cs_bpd.start_ip = (uintptr_t)bp_ips[k];
		cs_bpd.post_commit_offset = abi_cs_bp_post - bp_ips[k];
		break;
	case 2:
		cs_bpd.post_commit_offset = k ? bp_ips[k] - abi_cs_bp_start :
			abi_cs_bp_post + 1 - abi_cs_bp_start;
		break;
	case 3:
		k = 1 + k % 4;
		cs_bpd.start_ip = (uintptr_t)bp_ips[k] + (rnd() % 2 ? 1 : -1);
		cs_bpd.post_commit_offset = (uintptr_t)abi_cs_bp_post - cs_bpd.start_ip;
		break;
	default:
		break;
	}
	out("bp v=%d k=%d start=%+ld pco=%llu", v, k,
	    (long)(cs_bpd.start_ip - (uintptr_t)abi_cs_bp_start),
	    (unsigned long long)cs_bpd.post_commit_offset);
	if (!bp_ok) {
		out(" unavailable");
		return;
	}
	bp_sweep(&cs_bpd, o, NULL);
	out(" %s", o);
	out_ids();
	/* Invariant: abort exactly when the IP is inside (rseq_cs is set after pre). */
	start = cs_bpd.start_ip;
	off = cs_bpd.post_commit_offset;
	for (pos = 0; pos < BP_NPOS; pos++) {
		bool in = pos && (uintptr_t)bp_ips[pos] - start < off;

		if (memcmp(o + 5 * pos, in ? "Ta0a" : "Tb0c", 4))
			fail("breakpoint at position %d (v=%d k=%d): %.4s, expected %s",
			     pos, v, k, o + 5 * pos, in ? "Ta0a" : "Tb0c");
	}
}

/*
 * Nested signals. The outer signal arrives inside a CS: SIGTRAP from a
 * breakpoint at bp_ips[p] of abi_cs_bp, or SIGUSR2 from the system call
 * of abi_cs_sys (v2 does not evaluate the CS there). Its handler, with
 * the outer context interrupted, takes a second signal:
 *  v=0 SIGTRAP at bp_ips[q] of its own CS (abi_cs_bp),
 *  v=1 SIGUSR2 from the system call of its own CS (abi_cs_sys),
 *  v=2 SIGTRAP at bp_ips[q] outside any CS (abi_cs_bp with another
 *      rseq_cs pointer, so the area's rseq_cs is left as it is),
 *  v=3 SIGUSR2 from a plain system call, outside any CS.
 */
static void nest_inner(void)
{
	int fd = -1;

	if (hs.fd_outer >= 0)
		ioctl(hs.fd_outer, PERF_EVENT_IOC_DISABLE, 0);
	switch (hs.variant) {
	case 0:
	case 2:
		abi_cs_desc_bp(&cs_inner);
		hs.expect[1] = (uintptr_t)bp_ips[hs.q];
		fd = bp_open(bp_ips[hs.q], BP_TAG + 1);
		hs.rin = abi_cs_bp(hs.variant ? &cs_scratch : &area.rseq_cs, &cs_inner);
		break;
	case 1:
		abi_cs_desc_sys(&cs_inner);
		hs.expect[1] = (uintptr_t)abi_cs_sys_after;
		hs.rin = abi_cs_sys(&area.rseq_cs, &cs_inner, SYS_tgkill, getpid(),
				    gettid(), SIGUSR2);
		break;
	default: {
		pid_t pid = getpid(), tid = gettid();

		/*
		 * v2 evaluates neither at this system call nor at the
		 * one that sent the outer signal, so rseq_cs is what the
		 * outer handler found, unless an interrupt in this
		 * handler has evaluated (and cleared) it since. Store it
		 * again right before the call: that leaves a window of a
		 * few instructions, as at the outer level.
		 */
		WRITE_ONCE(area.rseq_cs, hs.cs[0]);
		hs.rin = syscall(SYS_tgkill, pid, tid, SIGUSR2);
		break;
	}
	}
	if (fd >= 0)
		close(fd);
}

static void op_cs_nested(void)
{
	bool sys = rnd() % 3 == 0, v2 = mode->len > 32, ok;
	int p = rnd() % BP_NPOS, v = rnd() % 4, q = rnd() % BP_NPOS, n;
	char o[4], in[4];
	long rout;

	out("nest %s p=%d v=%d q=%d", sys ? "sys" : "bp", p, v, q);
	if (!bp_ok) {
		out(" unavailable");
		return;
	}
	for (n = 0; ; n++) {
		bool disturbed;
		long sw;

		memset(&hs, 0, sizeof(hs));
		hs.nest = true;
		hs.variant = v;
		hs.q = q;
		hs.fd_outer = -1;
		hs.rin = -2;
		cs_case = NULL;
		area.rseq_cs = 0;
		if (sys) {
			abi_cs_desc_sys(&cs_outer);
			hs.expect[0] = (uintptr_t)abi_cs_sys_after;
		} else {
			abi_cs_desc_bp(&cs_outer);
			hs.expect[0] = (uintptr_t)bp_ips[p];
			hs.fd_outer = bp_open(bp_ips[p], BP_TAG);
		}
		sw = nr_switches();
		if (sys)
			rout = abi_cs_sys(&area.rseq_cs, &cs_outer, SYS_tgkill, getpid(),
					  gettid(), SIGUSR2);
		else
			rout = abi_cs_bp(&area.rseq_cs, &cs_outer);
		disturbed = nr_switches() != sw;
		if (hs.fd_outer >= 0)
			close(hs.fd_outer);
		hs.nest = false;
		area.rseq_cs = 0;
		o[0] = sig_char(0);
		o[1] = ip_char(0);
		o[2] = cs_char(0);
		o[3] = ret_char(rout, sys);
		in[0] = sig_char(1);
		in[1] = ip_char(1);
		in[2] = cs_char(1);
		in[3] = v == 3 ? (hs.rin ? '?' : 'c') : ret_char(hs.rin, v == 1);
		/* Disturbed: a switch, a missing or repeated signal, an unexplained abort. */
		ok = !disturbed && hs.hits[0] == 1 && hs.hits[1] == 1 &&
		     !(rout == 1 && o[1] == 'b') && !(hs.rin == 1 && in[1] == 'b');
		if (ok || n == BP_RETRIES)
			break;
		res->retries++;
	}
	out(" s1=%.4s s2=%.4s", o, in);
	out_ids();
	/*
	 * Invariants. The outer CS is aborted by its signal when it was
	 * evaluated there with the IP inside; the inner signal aborts the
	 * handler's CS likewise; a breakpoint's evaluation always leaves
	 * rseq_cs cleared.
	 */
	{
		bool out_in = sys ? !v2 : p >= 1 && p <= 4;
		bool in_in = v == 0 ? q >= 1 && q <= 4 : v == 1 && !v2;

		if (o[0] != (sys ? 'U' : 'T') || o[1] != (out_in ? 'a' : 'b') ||
		    o[3] != (out_in ? 'a' : 'c'))
			fail("nested: outer %s p=%d: %.4s", sys ? "sys" : "bp", p, o);
		if (!sys && o[2] != '0')
			fail("nested: rseq_cs not cleared at the outer SIGTRAP: %.4s", o);
		if (in[0] != (v % 2 ? 'U' : 'T') || (v <= 1 && in[1] != (in_in ? 'a' : 'b')) ||
		    (v <= 1 && in[3] != (in_in ? 'a' : 'c')))
			fail("nested: inner v=%d q=%d: %.4s", v, q, in);
		if (v % 2 == 0 && in[2] != '0')
			fail("nested: rseq_cs not cleared at the inner SIGTRAP: %.4s", in);
	}
}

/* One of the instruction addresses of abi_cs_bp's sweep. */
static uint64_t rnd_bp_ip(const char *start)
{
	return (uintptr_t)bp_ips[rnd() % BP_NPOS];
}

/* A random descriptor of abi_cs_bp, possibly fatal: in a forked child. */
static int child_cs_bp_random(void)
{
	struct rseq_cs *d;
	char o[BP_NPOS * 5];

	abi_cs_desc_bp(&desc);
	d = rnd_desc_from(abi_cs_bp_start, abi_cs_bp_abort, 24, rnd_bp_ip);
	if (!bp_ok)
		return 90;
	bp_sweep(d, o, shm->bp);
	return 0;
}

#else /* !ABI_HAVE_CS_BP: no breakpoint operations */
static void op_cs_bp(void)
{
	op_cs_fixed();
}

static void op_cs_nested(void)
{
	op_cs_fixed();
}

static void setup_bp(void)
{
}

static int child_cs_bp_random(void)
{
	return child_cs_irq();
}

static int bp_keep(void)
{
	return -1;
}
#endif /* ABI_HAVE_CS_BP */

static int child_fork_state(void)
{
	/* Registered across fork: a second registration is busy. */
	if (canon_reg() == 0)
		return 50;
	if (errno != EBUSY)
		return 51;
	if (area.cpu_id != (uint32_t)abi_cur_cpu())
		return 52;
	return 0;
}

static int child_exec_state(void)
{
	static char len_s[16];
	char *const argv[] = { "abi_soak", "--exec-probe", len_s, NULL };
	char *const envp[] = { "GLIBC_TUNABLES=glibc.pthread.rseq=0", NULL };

	snprintf(len_s, sizeof(len_s), "%u", mode->len);
	execve("/proc/self/exe", argv, envp);
	return 60;
}

/* After exec the task starts unregistered: registering must work. */
static int exec_probe(const char *len_s)
{
	if (sys_rseq(&area, strtoul(len_s, NULL, 0), 0, ABI_RSEQ_SIG))
		return 61;
	if (area.cpu_id == ABI_CPU_ID_UNINITIALIZED)
		syscall(SYS_getppid);
	return area.cpu_id == (uint32_t)abi_cur_cpu() ? 0 : 62;
}

static void *exiting_thread(void *arg)
{
	static __thread struct rseq t_area __aligned(ABI_RSEQ_ALIGN);

	if (sys_rseq(&t_area, mode->len, 0, ABI_RSEQ_SIG))
		return (void *)1L;
	return NULL;	/* exits registered */
}

static int child_thread_exit(void)
{
	pthread_t t;
	void *r = (void *)2L;

	if (pthread_create(&t, NULL, exiting_thread, NULL) || pthread_join(t, &r))
		return 70;
	return (long)r;
}

/*
 * clone(CLONE_VM) without CLONE_THREAD: a process that shares this
 * (forked) child's mm. rseq's fork hook resets the registration for
 * CLONE_VM, so it starts unregistered: unregistering the parent's area
 * fails, it can register its own, whose IDs the kernel writes. It
 * reports through shm->cl; errno lands in the parent's TLS, which is
 * waiting.
 */
static struct rseq clone_area __aligned(ABI_RSEQ_ALIGN);

static long ret_errno(long r)
{
	return r == -1 ? -errno : r;
}

static int clone_vm_fn(void *arg)
{
	long *cl = shm->cl;

	cl[0] = ret_errno(sys_rseq(&area, mode->len, RSEQ_FLAG_UNREGISTER, ABI_RSEQ_SIG));
	cl[1] = ret_errno(sys_rseq(&clone_area, mode->len, 0, ABI_RSEQ_SIG));
	cl[2] = clone_area.cpu_id_start;
	cl[3] = clone_area.cpu_id;
	cl[4] = clone_area.node_id;
	cl[5] = clone_area.mm_cid < CPU_SETSIZE && clone_area.cpu_id == (uint32_t)abi_cur_cpu();
	cl[6] = ret_errno(sys_rseq(&clone_area, mode->len, RSEQ_FLAG_UNREGISTER, ABI_RSEQ_SIG));
	return 0;
}

static int child_clone_vm(void)
{
	static char stack[64 * 1024] __aligned(16);
	pid_t pid;
	int st;

	pid = clone(clone_vm_fn, stack + sizeof(stack), CLONE_VM | SIGCHLD, NULL);
	if (pid < 0)
		return 80;
	if (waitpid(pid, &st, 0) != pid)
		return 81;
	/* This process is still registered: a second registration is busy. */
	shm->cl[7] = ret_errno(canon_reg());
	return WIFSIGNALED(st) ? 100 + WTERMSIG(st) : WEXITSTATUS(st);
}

/* waitpid() with a 30 s watchdog; returns -1 (child killed) on timeout. */
static int wait_child(pid_t pid, int *st)
{
	uint64_t end = abi_now_ns() + 30000000000ULL;
	struct timespec ts = { 0, 20000 };

	for (;;) {
		pid_t r = waitpid(pid, st, WNOHANG);

		if (r == pid)
			return 0;
		if (r < 0 || abi_now_ns() > end) {
			kill(pid, SIGKILL);
			waitpid(pid, st, 0);
			return -1;
		}
		nanosleep(&ts, NULL);
		if (ts.tv_nsec < 1000000)
			ts.tv_nsec *= 2;
	}
}

static void op_fork(void)
{
	static const char * const names[] = { "risky-reg", "cs-random", "ro-tamper",
					       "fork-state", "exec-state", "thread-exit",
					       "cs-irq", "cs-irq", "cs-bp-random", "clone-vm" };
	int kind = rnd() % 10, st;
	uint64_t cseed = rnd();
	pid_t pid;

	fflush(stdout);
	if (log_file)
		fflush(log_file);
	memset(shm, 0, sizeof(*shm));
	pid = fork();
	if (pid < 0) {
		fail("fork: %s", strerror(errno));
		return;
	}
	if (pid == 0) {
		rng = cseed;
		switch (kind) {
		case 0:
			_exit(child_reg_risky());
		/* v2 does not evaluate the CS at a signal from a syscall */
		case 1:
			_exit(mode->len == 32 ? child_cs_random() : child_cs_irq());
		case 2:
			_exit(child_ro_tamper(cseed));
		case 3:
			_exit(child_fork_state());
		case 4:
			_exit(child_exec_state());
		case 5:
			_exit(child_thread_exit());
		case 8:
			_exit(child_cs_bp_random());
		case 9:
			_exit(child_clone_vm());
		default:
			_exit(child_cs_irq());
		}
	}
	if (wait_child(pid, &st)) {
		fail("%s child hung (killed after 30 s)", names[kind]);
		out("fork %s hung", names[kind]);
		return;
	}
	out("fork %s", names[kind]);
	if (WIFSIGNALED(st))
		out(" sig=%d", WTERMSIG(st));
	else
		out(" exit=%d", WEXITSTATUS(st));
	out_ids();
	/* Invariants. */
	if (WIFSIGNALED(st) && WTERMSIG(st) != SIGSEGV)
		fail("%s child killed by signal %d", names[kind], WTERMSIG(st));
	if (kind == 2) {
		bool v2 = mode->len > 32;
		bool killed = WIFSIGNALED(st);
		int code = killed ? -1 : WEXITSTATUS(st), f;
		uint32_t bit;

		ro_tamper_draw(cseed, &f, &bit);
		out(" field=%d bit=%x", f, bit);
		/* v2: killed exactly when a field changed; legacy: rewritten. */
		if (v2 && killed != !!bit)
			fail("read-only check: field %d bit %x, killed=%d exit=%d",
			     f, bit, killed, code);
		if (v2 && !killed && code != 20)
			fail("read-only: untouched fields wrong, exit=%d", code);
		if (!v2 && code != 10 && code != 20)
			fail("legacy tamper: exit=%d (status %#x)", code, st);
	}
	if ((kind == 3 || kind == 4 || kind == 5) && !ABI_EXITED_OK(st))
		fail("%s child: status %#x", names[kind], st);
	if (kind == 8)
		out(" bp=%.*s", (int)sizeof(shm->bp), shm->bp);
	if (kind == 9) {
		long *cl = shm->cl;

		if (cl[6] || cl[7] != -EBUSY)
			fail("clone(CLONE_VM): own unregistration %ld, parent's registration %ld",
			     cl[6], cl[7]);
		out(" unreg=%ld reg=%ld new=%lx,%lx,%lx cid_ok=%ld unreg2=%ld busy=%ld",
		    cl[0], cl[1], cl[2], cl[3], cl[4], cl[5], cl[6], cl[7]);
		if (!ABI_EXITED_OK(st) || cl[0] != -EINVAL || cl[1] || cl[2] != cl[3] ||
		    cl[3] != abi_cur_cpu() || cl[4] != abi_cur_node() || cl[5] != 1)
			fail("clone(CLONE_VM): status %#x unreg %ld reg %ld ids %lx,%lx,%lx,%ld",
			     st, cl[0], cl[1], cl[2], cl[3], cl[4], cl[5]);
	}
}

static void det_run(void)
{
	unsigned long i;
	uint64_t t0 = abi_now_ns();
	char path[512];

	phase = "det";
	rng = opt.seed ^ (0x1000ULL * (mode_idx + 1));
	/* The first allowed CPU: the IDs in the log must not vary by boot. */
	if (abi_pin(abi_nth_allowed_cpu(0)) || sched_yield() ||
	    abi_cur_cpu() != abi_nth_allowed_cpu(0)) {
		fail("cannot pin to the first allowed CPU");
		return;
	}
	if (opt.log) {
		snprintf(path, sizeof(path), "%s-%s.log", opt.log, mode->name);
		log_file = fopen(path, "w");
		if (!log_file)
			fail("cannot write %s", path);
	}
	if (canon_reg()) {
		fail("canonical registration: %s", strerror(errno));
		return;
	}
	block_hash = 0xcbf29ce484222325ULL;
	for (i = 0; i < opt.ops; i++) {
		unsigned int w = rnd() % 100;

		res->cur_op = i;
		out("%lu ", i);
		if (w < 28)
			op_register();
		else if (w < 45)
			op_unregister();
		else if (w < 62)
			op_cs_fixed();
		else if (w < 67)
			op_cs_bp();
		else if (w < 70)
			op_cs_nested();
		else if (w < 74)
			op_ids();
		else if (w < 86)
			op_membarrier();
		else if (w < 98)
			op_slice();
		else
			op_fork();
		end_line(i);
		if ((i + 1) % opt.block == 0 || i + 1 == opt.ops) {
			printf("SOAK %s block %lu ops %lu hash %016llx\n", mode->name,
			       i / opt.block, i + 1, (unsigned long long)block_hash);
			fflush(stdout);
			res->hash ^= block_hash + i;
			block_hash = 0xcbf29ce484222325ULL;
		}
		res->det_done = i + 1;
	}
	res->det_s = (abi_now_ns() - t0) / 1e9;
	if (log_file)
		fclose(log_file);
}

/* ------------------------------------------------------------------ */
/* Timing-dependent operations, checked against invariants. */

static struct rseq peer_area __aligned(ABI_RSEQ_ALIGN);
static atomic_ulong peer_aborts, peer_bad;
static atomic_int peer_stop, peer_in;
static atomic_int peer_tid;
static int node_of_cpu[CPU_SETSIZE];
static int online_cpus[CPU_SETSIZE], nr_online;

static void read_node_map(void)
{
	char path[64];
	int cpu, node;

	for (cpu = 0; cpu < CPU_SETSIZE; cpu++)
		node_of_cpu[cpu] = -1;
	for (node = 0; node < 64; node++) {
		DIR *d;
		struct dirent *e;

		snprintf(path, sizeof(path), "/sys/devices/system/node/node%d", node);
		d = opendir(path);
		if (!d)
			continue;
		while ((e = readdir(d)))
			if (sscanf(e->d_name, "cpu%d", &cpu) == 1 && cpu >= 0 && cpu < CPU_SETSIZE)
				node_of_cpu[cpu] = node;
		closedir(d);
	}
}

static void *peer_thread(void *arg)
{
	static struct rseq_cs cs;
	atomic_int in;

	atomic_store(&peer_tid, gettid());
	if (sys_rseq(&peer_area, mode->len, 0, ABI_RSEQ_SIG)) {
		atomic_fetch_add(&peer_bad, 1000000);
		return NULL;
	}
	abi_cs_desc_spin(&cs);
	while (!atomic_load(&peer_stop)) {
		in = 0;
		atomic_store(&peer_in, 1);
		/* Only returns through the abort handler. */
		if (abi_cs_spin(&peer_area.rseq_cs, &cs, &in) != 1 || !in ||
		    peer_area.rseq_cs)
			atomic_fetch_add(&peer_bad, 1);
		peer_area.rseq_cs = 0;
		atomic_store(&peer_in, 0);
		atomic_fetch_add(&peer_aborts, 1);
	}
	return NULL;
}

/* Wait until the peer aborted its CS at least once after @before. */
static bool peer_progress(unsigned long before)
{
	uint64_t end = abi_now_ns() + 10000000000ULL;

	while (atomic_load(&peer_aborts) == before) {
		if (abi_now_ns() > end)
			return false;
		sched_yield();
	}
	return true;
}

static void t_signal(void)
{
	unsigned long before = atomic_load(&peer_aborts);

	if (syscall(SYS_tgkill, getpid(), atomic_load(&peer_tid), SIGUSR1))
		fail("tgkill peer: %s", strerror(errno));
	if (!peer_progress(before))
		fail("peer did not abort within 10 s of a signal");
}

static void t_membarrier(void)
{
	unsigned long before = atomic_load(&peer_aborts);
	long r = sys_membarrier(MB_RSEQ, 0, 0);

	if (r)
		fail("membarrier RSEQ fence: %ld/%d", r, errno);
	if (!peer_progress(before))
		fail("peer did not abort within 10 s of a membarrier fence");
}

static void t_migrate(void)
{
	int cpu = online_cpus[rnd() % nr_online];

	if (abi_pin(cpu)) {
		fail("pin to cpu %d", cpu);
		return;
	}
	if (area.cpu_id != (uint32_t)abi_cur_cpu() || area.cpu_id_start != area.cpu_id)
		fail("after migration to %d: cpu_id %u/%u, getcpu %d", cpu,
		     area.cpu_id_start, area.cpu_id, abi_cur_cpu());
	if (node_of_cpu[area.cpu_id % CPU_SETSIZE] >= 0 &&
	    area.node_id != (uint32_t)node_of_cpu[area.cpu_id % CPU_SETSIZE])
		fail("after migration: node_id %u, sysfs node of cpu %u is %d",
		     area.node_id, area.cpu_id, node_of_cpu[area.cpu_id % CPU_SETSIZE]);
	if (area.mm_cid >= (uint32_t)sysconf(_SC_NPROCESSORS_CONF))
		fail("after migration: mm_cid %u", area.mm_cid);
}

static bool slice_ok;

static void t_slice(void)
{
	unsigned long j;
	long y;

	if (!slice_ok)
		return;
	area.slice_ctrl.request = 1;
	for (j = 0; j < 20000; j++)
		asm volatile("" ::: "memory");
	if (area.slice_ctrl.granted > 1)
		fail("slice granted=%u", area.slice_ctrl.granted);
	area.slice_ctrl.request = 0;
	if (area.slice_ctrl.granted) {
		y = sys_slice_yield();
		if (y != 0 && y != 1)
			fail("slice yield after grant: %ld/%d", y, errno);
	}
	if (area.slice_ctrl.__reserved)
		fail("slice reserved bits %x", area.slice_ctrl.__reserved);
}

static void *short_thread(void *arg)
{
	static __thread struct rseq t_area __aligned(ABI_RSEQ_ALIGN);

	if (sys_rseq(&t_area, mode->len, 0, ABI_RSEQ_SIG))
		return (void *)1L;
	syscall(SYS_getppid);
	return t_area.cpu_id == (uint32_t)abi_cur_cpu() ? NULL : (void *)2L;
}

static void t_thread(void)
{
	pthread_t t;
	void *r = NULL;

	if (pthread_create(&t, NULL, short_thread, NULL) || pthread_join(t, &r))
		fail("thread create/join");
	else if (r)
		fail("thread exiting registered: %ld", (long)r);
}

static void timing_run(void)
{
	pthread_t peer;
	unsigned long i;
	uint64_t t0 = abi_now_ns();
	bool v2 = mode->len > 32;

	phase = "timing";
	rng = opt.seed ^ (0x2000ULL * (mode_idx + 1));
	read_node_map();
	for (nr_online = 0; nr_online < CPU_SETSIZE; nr_online++) {
		online_cpus[nr_online] = abi_nth_allowed_cpu(nr_online);
		if (online_cpus[nr_online] < 0)
			break;
	}
	if (canon_reg()) {
		fail("timing: canonical registration: %s", strerror(errno));
		return;
	}
	if (sys_membarrier(MB_REG_RSEQ, 0, 0))
		fail("membarrier register: %s", strerror(errno));
	slice_ok = v2 && abi_slice_expected() &&
		   abi_prctl_slice(PR_RSEQ_SLICE_EXTENSION_SET,
				   PR_RSEQ_SLICE_EXT_ENABLE, 0, 0) == 0;
	if (pthread_create(&peer, NULL, peer_thread, NULL)) {
		fail("peer thread");
		return;
	}
	while (!atomic_load(&peer_tid))
		sched_yield();
	for (i = 0; i < opt.tops; i++) {
		unsigned int w = rnd() % 100;

		res->cur_op = i;
		if (w < 30)
			t_signal();
		else if (w < 50)
			t_membarrier();
		else if (w < 75)
			t_migrate();
		else if (w < 95)
			t_slice();
		else
			t_thread();
		res->t_done = i + 1;
		if (res->fails > 20)
			break;
	}
	atomic_store(&peer_stop, 1);
	for (i = 0; pthread_tryjoin_np(peer, NULL) == EBUSY; i++) {
		if (i == 10000) {
			fail("peer thread does not stop");
			return;
		}
		syscall(SYS_tgkill, getpid(), atomic_load(&peer_tid), SIGUSR1);
		usleep(1000);
	}
	if (atomic_load(&peer_bad))
		fail("peer: %lu CS exits not through abort_ip with rseq_cs cleared",
		     atomic_load(&peer_bad));
	res->t_s = (abi_now_ns() - t0) / 1e9;
}

/* ------------------------------------------------------------------ */

static unsigned long env_or(const char *name, unsigned long def)
{
	const char *s = getenv(name);

	return s && *s ? strtoul(s, NULL, 0) : def;
}

static int run_sub(void (*fn)(void), const char *what)
{
	pid_t pid;
	int st;

	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		setup_memory();
		fn();
		fflush(stdout);
		_exit(0);
	}
	if (waitpid(pid, &st, 0) != pid)
		return -1;
	if (!ABI_EXITED_OK(st)) {
		fail("%s process ended with status %#x at op %lu", what, st, res->cur_op);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	int c, m, passed = 0, failed = 0;

	if (argc == 3 && !strcmp(argv[1], "--exec-probe"))
		return exec_probe(argv[2]);
	setvbuf(stdout, NULL, _IOLBF, 0);
	opt.seed = env_or("SOAK_SEED", opt.seed);
	opt.ops = env_or("SOAK_OPS", opt.ops);
	opt.tops = env_or("SOAK_TOPS", 0);
	opt.block = env_or("SOAK_BLOCK", opt.block);
	opt.dump = getenv("SOAK_DUMP") && *getenv("SOAK_DUMP") ? (long)env_or("SOAK_DUMP", 0) : -1;
	opt.log = getenv("SOAK_LOG");
	if (getenv("SOAK_MODE"))
		opt.modes = !strcmp(getenv("SOAK_MODE"), "legacy") ? 1 :
			    !strcmp(getenv("SOAK_MODE"), "v2") ? 2 : 3;
	while ((c = getopt(argc, argv, "s:n:t:b:d:m:l:")) != -1) {
		switch (c) {
		case 's':
			opt.seed = strtoull(optarg, NULL, 0); break;
		case 'n':
			opt.ops = strtoul(optarg, NULL, 0); break;
		case 't':
			opt.tops = strtoul(optarg, NULL, 0); break;
		case 'b':
			opt.block = strtoul(optarg, NULL, 0); break;
		case 'd':
			opt.dump = strtol(optarg, NULL, 0); break;
		case 'm':
			opt.modes = !strcmp(optarg, "legacy") ? 1 :
				    !strcmp(optarg, "v2") ? 2 : 3;
			break;
		case 'l':
			opt.log = optarg; break;
		default:
			fprintf(stderr, "usage: %s [-s seed] [-n ops] [-t timing_ops]", argv[0]);
			fprintf(stderr, " [-b block] [-d dump_block]");
			fprintf(stderr, " [-m legacy|v2|both] [-l log_prefix]\n");
			return 2;
		}
	}
	if (!opt.block)
		opt.block = 1000;
	if (!opt.tops)
		opt.tops = opt.ops / 100 > 100 ? opt.ops / 100 : 100;
	if (abi_rseq_probe_unregistered()) {
		printf("abi_soak: the thread is already registered or rseq is missing; "
		       "run with GLIBC_TUNABLES=glibc.pthread.rseq=0\n0 passed, 1 failed\n");
		return 1;
	}
	res = mmap(NULL, sizeof(*res) * 2, PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (res == MAP_FAILED)
		return 2;
	bp_keep();	/* held until exit */
	printf("SOAK start seed=%#llx ops=%lu timing_ops=%lu block=%lu cpus=%d\n",
	       (unsigned long long)opt.seed, opt.ops, opt.tops, opt.block,
	       abi_nr_allowed_cpus());
	for (m = 0; m < 2; m++) {
		struct mode_result *base = res;
		pid_t leader;
		int st;
		bool ok;

		if (!(opt.modes & (1 << m)))
			continue;
		mode = &soak_modes[m];
		mode_idx = m;
		res = &base[m];
		memset(res, 0, sizeof(*res));
		fflush(stdout);
		/* One process group per mode: its leader runs both processes. */
		leader = fork();
		if (leader == 0) {
			setpgid(0, 0);
			run_sub(det_run, "deterministic");
			res->cur_op = 0;
			run_sub(timing_run, "timing");
			_exit(0);
		}
		waitpid(leader, &st, 0);
		if (!ABI_EXITED_OK(st))
			fail("mode leader status %#x", st);
		printf("SOAK %s det: %lu ops in %.1f s, %.0f ops/s, log hash %016llx",
		       mode->name, res->det_done, res->det_s,
		       res->det_s > 0 ? res->det_done / res->det_s : 0.0,
		       (unsigned long long)res->hash);
		printf(", %lu retries\n", res->retries);
		printf("SOAK %s timing: %lu ops in %.1f s, %.0f ops/s\n", mode->name,
		       res->t_done, res->t_s, res->t_s > 0 ? res->t_done / res->t_s : 0.0);
		ok = !res->fails && res->det_done == opt.ops && res->t_done == opt.tops;
		printf("%s %s (%lu failures%s%s)\n", ok ? "ok" : "not ok", mode->name,
		       res->fails, res->fails ? ", first: " : "", res->first_fail);
		if (ok)
			passed++;
		else
			failed++;
		res = base;
	}
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
#endif /* ABI_HAVE_CS_ASM */
