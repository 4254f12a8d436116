/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the rseq ABI conformance tests (abi_*_test.c).
 *
 * The tests deliberately do not use librseq: they register their own
 * areas with raw system calls so that every byte of the area, the
 * registration length and the signature are under test control.
 */
#ifndef _RSEQ_ABI_UTIL_H
#define _RSEQ_ABI_UTIL_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <assert.h>
#include <errno.h>
#include <pthread.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <asm/unistd.h>
#include <linux/auxvec.h>
#include <linux/bits.h>
#include <linux/compiler.h>
#include <linux/membarrier.h>
#include <linux/prctl.h>
#include <linux/rseq.h>

/* The signature the tests register with (the x86 selftests' RSEQ_SIG). */
#define ABI_RSEQ_SIG			0x53053053U

#define ABI_CPU_ID_UNINITIALIZED	((__u32)RSEQ_CPU_ID_UNINITIALIZED)

/* Kernel-internal ENOTSUPP leaks to user space with this value. */
#define ABI_ENOTSUPP			524

#define ABI_DEBUGFS_DIR			"/sys/kernel/debug/rseq"

/*
 * The rules of the ABI for a registration larger than the original 32
 * bytes, as these headers know it: the size must reach the end of the
 * last field (the kernel's AT_RSEQ_FEATURE_SIZE is at least that), and
 * the area must be aligned on the next power of two of that size
 * (AT_RSEQ_ALIGN).
 */
#define ABI_RSEQ_FEATURE_SIZE		offsetof(struct rseq, end)
#define ABI_POW2_CEIL(n)		(1U << (32 - __builtin_clz((unsigned int)(n) - 1)))
#define ABI_RSEQ_ALIGN			ABI_POW2_CEIL(ABI_RSEQ_FEATURE_SIZE)

/*
 * Registration areas are declared as struct rseq __aligned(ABI_RSEQ_ALIGN);
 * sizeof(struct rseq) is then a valid v2 registration length.
 */

static inline long sys_rseq(void *rseq, uint32_t len, int flags, uint32_t sig)
{
	return syscall(__NR_rseq, rseq, len, flags, sig);
}

static inline long sys_membarrier(int cmd, unsigned int flags, int cpu_id)
{
	return syscall(__NR_membarrier, cmd, flags, cpu_id);
}

static inline long sys_slice_yield(void)
{
	return syscall(__NR_rseq_slice_yield);
}

/*
 * Whether the kernel has CONFIG_RSEQ_SLICE_EXTENSION, decided by a
 * probe independent of the prctl under test: rseq_slice_yield() is a
 * sys_ni (ENOSYS) stub without it and returns 0 when nothing was granted.
 */
static inline bool abi_slice_configured(void)
{
	long r;

	errno = 0;
	r = syscall(__NR_rseq_slice_yield);
	return !(r == -1 && errno == ENOSYS);
}

static inline long abi_prctl_slice(unsigned long op, unsigned long arg3,
				   unsigned long arg4, unsigned long arg5)
{
	return prctl(PR_RSEQ_SLICE_EXTENSION, op, arg3, arg4, arg5);
}

/*
 * Return 0 when the calling thread has no rseq registration (the
 * tests need to own it), -ENOSYS when rseq is not available, or
 * -EBUSY when somebody (glibc) already registered this thread.
 */
static inline int abi_rseq_probe_unregistered(void)
{
	static struct rseq probe __aligned(ABI_RSEQ_ALIGN);

	if (sys_rseq(&probe, 32, 0, ABI_RSEQ_SIG) == 0) {
		if (sys_rseq(&probe, 32, RSEQ_FLAG_UNREGISTER, ABI_RSEQ_SIG))
			return -EIO;
		return 0;
	}
	if (errno == ENOSYS)
		return -ENOSYS;
	return -EBUSY;
}

/* SKIP() the current test unless the thread is free to register. */
#define ABI_REQUIRE_OWN_RSEQ() do {					\
	int __r = abi_rseq_probe_unregistered();			\
	if (__r == -ENOSYS)						\
		SKIP(return, "rseq syscall not available (ENOSYS)");	\
	if (__r)							\
		SKIP(return, "%s", "thread already registered (glibc?): " \
		     "run with GLIBC_TUNABLES=glibc.pthread.rseq=0");	\
} while (0)

static inline int abi_cur_cpu(void)
{
	unsigned int cpu = 0, node = 0;

	if (syscall(SYS_getcpu, &cpu, &node, NULL))
		return -1;
	return cpu;
}

static inline int abi_cur_node(void)
{
	unsigned int cpu = 0, node = 0;

	if (syscall(SYS_getcpu, &cpu, &node, NULL))
		return -1;
	return node;
}

/* Pin the calling thread to @cpu. Returns 0 on success. */
static inline int abi_pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set);
}

/* Return the n-th CPU of the allowed set, or -1. */
static inline int abi_nth_allowed_cpu(int n)
{
	cpu_set_t set;
	int cpu;

	if (sched_getaffinity(0, sizeof(set), &set))
		return -1;
	for (cpu = 0; cpu < CPU_SETSIZE; cpu++) {
		if (!CPU_ISSET(cpu, &set))
			continue;
		if (n-- == 0)
			return cpu;
	}
	return -1;
}

static inline int abi_nr_allowed_cpus(void)
{
	cpu_set_t set;

	if (sched_getaffinity(0, sizeof(set), &set))
		return 1;
	return CPU_COUNT(&set);
}

/* Pin to the CPU we currently run on. Returns the CPU or -1. */
static inline int abi_pin_here(void)
{
	int cpu = abi_cur_cpu();

	if (cpu < 0 || abi_pin(cpu))
		return -1;
	return cpu;
}

static inline uint64_t abi_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/*
 * Same-CPU competition for the slice extension tests: a thread pinned to
 * noise->cpu that sleeps 100 us and spins 20 us until noise->stop is set.
 */
struct abi_noise {
	int cpu;
	atomic_int stop;
};

static inline void *abi_noise_thread(void *arg)
{
	struct abi_noise *noise = arg;
	struct timespec ts = { 0, 100000 };

	abi_pin(noise->cpu);
	while (!atomic_load(&noise->stop)) {
		uint64_t end = abi_now_ns() + 20000;

		nanosleep(&ts, NULL);
		while (abi_now_ns() < end)
			;
	}
	return NULL;
}

/* Start abi_noise_thread() on @cpu as *@t; returns pthread_create()'s result. */
static inline int abi_noise_start(struct abi_noise *noise, int cpu, pthread_t *t)
{
	atomic_store(&noise->stop, 0);
	noise->cpu = cpu;
	return pthread_create(t, NULL, abi_noise_thread, noise);
}

/* Stop the noise thread @t and wait for it. */
static inline void abi_noise_stop(struct abi_noise *noise, pthread_t t)
{
	atomic_store(&noise->stop, 1);
	pthread_join(t, NULL);
}

/*
 * A failed execve() that got as far as bprm_execve() (no binary format
 * recognizes the file: ENOEXEC) makes the kernel force a full rseq ID
 * update on the way back to user space. That is the only way to force
 * an ID update deterministically without migrating. Returns the errno
 * of the failed execve (ENOEXEC expected), or a negative value on setup
 * failure.
 */
static inline int abi_not_exec_fd(void)
{
	static int fd = -1;
	static const char junk[] = "\x01\x02\x03\x04 not an executable\n";

	if (fd < 0) {
		fd = syscall(SYS_memfd_create, "abi-not-exec", 0);
		if (fd < 0)
			return -1;
		if (write(fd, junk, sizeof(junk)) != sizeof(junk))
			return -2;
		fchmod(fd, 0755);
	}
	return fd;
}

static inline int abi_failed_exec(void)
{
	static const char * const argv[] = { "abi-not-exec", NULL };
	static const char * const envp[] = { NULL };
	int fd = abi_not_exec_fd();

	if (fd < 0)
		return fd;
	syscall(SYS_execveat, fd, "", argv, envp, AT_EMPTY_PATH);
	return errno;
}

/*
 * For harness tests: run @fn(_metadata, @arg) in a forked child and
 * evaluate to its wait status (-1 if it could not be run). The child
 * checks with the harness's ASSERT_*() and EXPECT_*(), which log what
 * failed: a failed ASSERT ends it by SIGABRT, a failed EXPECT makes it
 * exit with KSFT_FAIL; otherwise it exits 0, or dies the way the test
 * expects it to.
 */
#define abi_run_child(_metadata, fn, arg) ({				\
	struct __test_metadata *__md = (_metadata);			\
	int __st = -1;							\
	pid_t __pid;							\
									\
	fflush(stdout);							\
	fflush(stderr);							\
	__pid = fork();							\
	if (__pid == 0) {						\
		fn(__md, arg);						\
		_exit(__md->exit_code);					\
	}								\
	if (__pid < 0 || waitpid(__pid, &__st, 0) != __pid)		\
		__st = -1;						\
	__st;								\
})

#define ABI_KILLED_BY_SEGV(st) ({					\
	int __st = (st);						\
	WIFSIGNALED(__st) && WTERMSIG(__st) == SIGSEGV;			\
})
#define ABI_EXITED_OK(st) ({						\
	int __st = (st);						\
	WIFEXITED(__st) && WEXITSTATUS(__st) == 0;			\
})

/* debugfs helpers: return -errno on failure. */
static inline int abi_read_file(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	if (n < 0) {
		n = -errno;
		close(fd);
		return n;
	}
	buf[n] = 0;
	close(fd);
	return n;
}

static inline int abi_write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, s, strlen(s));
	if (n < 0) {
		n = -errno;
		close(fd);
		return n;
	}
	close(fd);
	return 0;
}

/* Current debug key state: 0/1, or -errno if debugfs is unavailable. */
static inline int abi_debug_state(void)
{
	char buf[16];
	int r = abi_read_file(ABI_DEBUGFS_DIR "/debug", buf, sizeof(buf));

	if (r < 0)
		return r;
	return buf[0] == '1';
}

/*
 * SKIP() when the rseq debug key is on: debug mode validates the
 * read-only fields of legacy registrations too and evaluates the CS on
 * paths where it is skipped otherwise.
 */
#define ABI_REQUIRE_DEBUG_OFF() do {					\
	if (abi_debug_state() == 1)					\
		SKIP(return, "rseq debug mode is on (/sys/kernel/debug/rseq/debug)"); \
} while (0)

/*
 * Boot command line parameter @name ("rseq_debug="): copy its value
 * into @val and return 1, or return 0 when absent.
 */
static inline int abi_cmdline_param(const char *name, char *val, size_t len)
{
	char buf[4096], *p, *tok, *save;

	if (abi_read_file("/proc/cmdline", buf, sizeof(buf)) <= 0)
		return 0;
	for (tok = strtok_r(buf, "\t\n ", &save); tok;
	     tok = strtok_r(NULL, "\t\n ", &save)) {
		if (strncmp(tok, name, strlen(name)))
			continue;
		p = tok + strlen(name);
		snprintf(val, len, "%s", p);
		return 1;
	}
	return 0;
}

/* The kernel's kstrtobool(): 0/1 for a valid spelling, -1 otherwise. */
static inline int abi_kstrtobool(const char *s)
{
	switch (s[0]) {
	case 'y': case 'Y': case 't': case 'T': case '1':
		return 1;
	case 'n': case 'N': case 'f': case 'F': case '0':
		return 0;
	case 'o': case 'O':
		if (s[1] == 'n' || s[1] == 'N')
			return 1;
		if (s[1] == 'f' || s[1] == 'F')
			return 0;
		return -1;
	default:
		return -1;
	}
}

/*
 * Whether v2 registrations must get RSEQ_CS_FLAG_SLICE_EXT_AVAILABLE:
 * the extension is configured and not disabled on the command line.
 */
static inline bool abi_slice_expected(void)
{
	char val[64];

	if (!abi_slice_configured())
		return false;
	if (abi_cmdline_param("rseq_slice_ext=", val, sizeof(val)) &&
	    abi_kstrtobool(val) == 0)
		return false;
	return true;
}

/*
 * Whether the environment of init (pid 1) holds "@name@val": the kernel
 * passes command line parameters that no __setup() handler consumed to
 * init. Returns 1/0, or -1 if /proc/1/environ is not readable.
 */
static inline int abi_init_env_has(const char *name, const char *val)
{
	char buf[8192], want[256];
	int fd = open("/proc/1/environ", O_RDONLY);
	ssize_t n, off;

	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = 0;
	snprintf(want, sizeof(want), "%s%s", name, val);
	for (off = 0; off < n; off += strlen(buf + off) + 1)
		if (!strcmp(buf + off, want))
			return 1;
	return 0;
}

/*
 * Whether the running kernel has @opt=y: 1 yes, 0 no, -1 unknown (no
 * /proc/config.gz).
 */
static inline int abi_kconfig_enabled(const char *opt)
{
	char line[256], want[128];
	int found = -1;
	FILE *f;

	if (access("/proc/config.gz", R_OK))
		return -1;
	f = popen("zcat /proc/config.gz 2>/dev/null", "r");
	if (!f)
		return -1;
	snprintf(want, sizeof(want), "%s=y\n", opt);
	while (fgets(line, sizeof(line), f)) {
		if (found < 0)
			found = 0;
		if (!strcmp(line, want))
			found = 1;
	}
	pclose(f);
	return found;
}

/*
 * Whether the kernel's architecture uses the generic entry code
 * (GENERIC_ENTRY): x86_64 does, arm64 does not (it has GENERIC_IRQ_ENTRY
 * only). Without it there is no inline exit fast path (every ID update
 * and CS evaluation goes through the TIF_NOTIFY_RESUME slow path, which
 * checks the read-only ID fields of a v2 area each time), no time slice
 * extension, and system calls from inside a CS are checked in debug mode
 * only with CONFIG_DEBUG_RSEQ (rseq_syscall()).
 */
#if defined(__x86_64__)
#define ABI_GENERIC_ENTRY	1
#else
#define ABI_GENERIC_ENTRY	0
#endif

/*
 * The first address above user space: x86_64 with 4-level page tables
 * (TASK_SIZE_MAX is a page below it), arm64 with 48-bit virtual
 * addresses (TASK_SIZE_MAX, the lab's CONFIG_ARM64_VA_BITS_48).
 */
#if defined(__aarch64__)
#define ABI_USER_END	0x1000000000000ULL	/* 2^48 */
#else
#define ABI_USER_END	0x800000000000ULL	/* 2^47 */
#endif

/*
 * Map the last page of user space (read/write, zeroed) and return it, with
 * *end set to TASK_SIZE_MAX, the first address above it; MAP_FAILED if
 * no candidate could be mapped. A page this process (or the parent it
 * forked from) mapped there before is returned as it is. The largest address space is tried first:
 * x86_64 with 5-level page tables (QEMU's -cpu max has LA57; a fixed
 * mapping above 47 bits is allowed), arm64 with 52-bit virtual addresses,
 * then 4-level x86_64 and 48-bit arm64.
 */
static inline void *abi_map_top_page(uintptr_t *end)
{
	/* 2^56 - 4096, 2^47 - 4096; 2^52, 2^48; 0 ends the list */
#if defined(__x86_64__)
	static const uint64_t ends[] = { 0xfffffffffff000ULL, 0x7ffffffff000ULL, 0 };
#elif defined(__aarch64__)
	static const uint64_t ends[] = { 0x10000000000000ULL, 0x1000000000000ULL, 0 };
#else
	static const uint64_t ends[] = { 0 };
#endif
	unsigned int i;
	void *want, *p;

	for (i = 0; ends[i]; i++) {
		want = (void *)(uintptr_t)(ends[i] - 4096);
		p = mmap(want, 4096, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
		if (p == want || (p == MAP_FAILED && errno == EEXIST)) {
			*end = ends[i];
			return want;
		}
		if (p != MAP_FAILED)
			munmap(p, 4096);
	}
	return MAP_FAILED;
}

/* x86_64 "ud1 <sig>(%rip), %edi" encoding used as signature prefix. */
#define ABI_SIG_INSN	".byte 0x0f, 0xb9, 0x3d\n\t.long 0x53053053\n\t"

#endif /* _RSEQ_ABI_UTIL_H */
