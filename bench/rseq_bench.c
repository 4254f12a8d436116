// SPDX-License-Identifier: GPL-2.0
/*
 * rseq_bench: guest cost per operation of getppid() and of a pipe
 * ping-pong between two processes, without rseq, with a 32-byte (legacy,
 * v1) registration and with a registration of AT_RSEQ_FEATURE_SIZE bytes
 * at AT_RSEQ_ALIGN (v2).
 *
 * Meant for QEMU with "-icount shift=0,sleep=off": one guest nanosecond
 * is then one guest instruction, so the numbers are instructions per
 * operation. Time is CLOCK_MONOTONIC (use the tsc clocksource: the
 * jiffies one is far too coarse); the TSC, which under -icount counts
 * the same virtual nanoseconds, is read alongside as a cross-check.
 *
 * Registers its own areas with the raw syscall, so glibc's registration
 * must be off: GLIBC_TUNABLES=glibc.pthread.rseq=0. Any failure to get
 * the intended registration state is fatal (exit status 1).
 *
 * Output, one line per measurement (value = median over the repetitions,
 * raw per operation, loop overhead included; see "BENCHINFO loop"):
 *   BENCH <getppid|pingpong> <norseq|v1|v2> <ns-per-op>
 *   BENCHSPREAD <op> <variant> <min> <max> <reps>
 *   BENCHINFO ...
 *
 * Usage: rseq_bench [-g getppid-iterations] [-p round-trips] [-r reps]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef __NR_rseq
#define __NR_rseq 334
#endif
#ifndef AT_RSEQ_FEATURE_SIZE
#define AT_RSEQ_FEATURE_SIZE 27
#endif
#ifndef AT_RSEQ_ALIGN
#define AT_RSEQ_ALIGN 28
#endif
#define RSEQ_SIG 0x53053053
#define RSEQ_FLAG_UNREGISTER 1
#define RSEQ_CPU_ID_UNINITIALIZED ((uint32_t)-1)

/* The fields of struct rseq that this program reads (uapi/linux/rseq.h). */
struct rseq_head {
	uint32_t cpu_id_start;
	uint32_t cpu_id;
	uint64_t rseq_cs;
	uint32_t flags;
	uint32_t node_id;
	uint32_t mm_cid;
};

/* glibc >= 2.35 exports the size of its own registration (0: none). */
extern const unsigned int __rseq_size __attribute__((weak));

enum variant { NORSEQ, V1, V2, NR_VARIANTS };
static const char *const variant_name[NR_VARIANTS] = { "norseq", "v1", "v2" };

static long opt_getppid = 20000, opt_pingpong = 5000, opt_reps = 5;

#define die(...)                                                  \
	do {                                                      \
		fprintf(stderr, "rseq_bench: FATAL: " __VA_ARGS__); \
		fputc('\n', stderr);                              \
		exit(1);                                          \
	} while (0)

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

static double per_op(struct stamp a, struct stamp b, long n)
{
	total_ns += b.ns - a.ns;
	total_tsc += b.tsc - a.tsc;
	return (double)(b.ns - a.ns) / n;
}

/* ---- registration ---- */

static struct rseq_head *area;
static uint32_t area_len;

static void register_variant(enum variant v)
{
	size_t align, size;
	void *p;

	if (v == NORSEQ)
		return;
	if (v == V1) {
		area_len = 32;
		align = 32;
	} else {
		area_len = getauxval(AT_RSEQ_FEATURE_SIZE);
		align = getauxval(AT_RSEQ_ALIGN);
		if (area_len <= 32)
			die("AT_RSEQ_FEATURE_SIZE is %u: the kernel offers no v2 (need > 32)",
			    area_len);
		if (align < 64)
			align = 64;
	}
	size = (area_len + align - 1) / align * align;
	if (posix_memalign(&p, align, size))
		die("posix_memalign");
	memset(p, 0, size);
	area = p;
	/* Written only before registration: v2 makes the IDs read-only. */
	area->cpu_id = RSEQ_CPU_ID_UNINITIALIZED;
	if (sys_rseq(area, area_len, 0, RSEQ_SIG))
		die("%s: rseq(%p, %u) failed: %s", variant_name[v], (void *)area, area_len,
		    strerror(errno));
	if (area->cpu_id == RSEQ_CPU_ID_UNINITIALIZED)
		die("%s: registered but cpu_id was not written", variant_name[v]);
	printf("BENCHINFO register %s len=%u align=%zu cpu_id=%u flags=0x%x\n", variant_name[v],
	       area_len, align, area->cpu_id, area->flags);
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
	ret = sys_rseq(area, area_len, 0, RSEQ_SIG);
	if (ret == 0 || errno != EBUSY)
		die("%s child: re-registering the inherited area gave %ld (%s), want EBUSY",
		    variant_name[v], ret, ret ? strerror(errno) : "success");
	if (area->cpu_id == RSEQ_CPU_ID_UNINITIALIZED)
		die("%s child: cpu_id not set", variant_name[v]);
}

/* ---- the operations ---- */

static void loop_empty(long n)
{
	for (long i = 0; i < n; i++)
		asm volatile("" ::: "memory");
}

static void loop_getppid(long n)
{
	for (long i = 0; i < n; i++)
		getppid();
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

static void loop_pingpong(long n)
{
	for (long i = 0; i < n; i++) {
		xwrite(p2c[1]);
		if (xread(c2p[0]) != 1)
			die("echo child went away");
	}
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Warm up, then time reps runs of fn(n); print the median and spread. */
static void measure(const char *op, enum variant v, void (*fn)(long), long n)
{
	double r[64];
	long reps = opt_reps;

	fn(n / 10 + 1);
	for (long i = 0; i < reps; i++) {
		struct stamp a = now();

		fn(n);
		r[i] = per_op(a, now(), n);
	}
	qsort(r, reps, sizeof(r[0]), cmp_double);
	printf("BENCH %s %s %.1f\n", op, variant_name[v], r[reps / 2]);
	printf("BENCHSPREAD %s %s %.1f %.1f %ld\n", op, variant_name[v], r[0], r[reps - 1], reps);
}

static void run_variant(enum variant v)
{
	pid_t child;
	int status;

	register_variant(v);
	measure("getppid", v, loop_getppid, opt_getppid);

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

int main(int argc, char **argv)
{
	struct stamp a, b;
	int c;

	while ((c = getopt(argc, argv, "g:p:r:")) != -1) {
		switch (c) {
		case 'g':
			opt_getppid = parse_count(optarg, c);
			break;
		case 'p':
			opt_pingpong = parse_count(optarg, c);
			break;
		case 'r':
			opt_reps = parse_count(optarg, c);
			if (opt_reps > 64)
				die("-r is at most 64");
			break;
		default:
			fprintf(stderr, "usage: %s [-g getppid-iterations] [-p round-trips] [-r reps]\n",
				argv[0]);
			return 2;
		}
	}
	setvbuf(stdout, NULL, _IOLBF, 0);

	if (&__rseq_size && __rseq_size)
		die("glibc registered rseq itself (__rseq_size %u): run with GLIBC_TUNABLES=glibc.pthread.rseq=0",
		    __rseq_size);
	/* Nothing may be registered yet: unregistering must say EINVAL. */
	{
		static struct rseq_head probe __attribute__((aligned(32)));

		if (sys_rseq(&probe, 32, RSEQ_FLAG_UNREGISTER, RSEQ_SIG) == 0 || errno != EINVAL)
			die("this thread already has an rseq registration: run with GLIBC_TUNABLES=glibc.pthread.rseq=0");
	}

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
	printf("BENCHINFO params getppid=%ld pingpong=%ld reps=%ld\n", opt_getppid, opt_pingpong,
	       opt_reps);

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
	printf("BENCHINFO clockcheck monotonic_ns=%llu tsc=%llu ratio=%.4f\n",
	       (unsigned long long)total_ns, (unsigned long long)total_tsc,
	       total_tsc ? (double)total_ns / total_tsc : 0.0);
	printf("BENCHINFO done\n");
	return 0;
}
