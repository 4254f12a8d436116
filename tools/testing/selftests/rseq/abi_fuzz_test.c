// SPDX-License-Identifier: GPL-2.0
/*
 * rseq ABI: bounded randomized tester.
 *
 * Forked children feed random sys_rseq() arguments and random rseq_cs
 * descriptors to the kernel and then provoke event processing (signals
 * on syscall return, timer signals via interrupt, voluntary sleeps,
 * failed exec, membarrier, slice extension prctl/requests/yield). Every
 * outcome must be one of: a documented return value, a clean exit, or
 * death by SIGSEGV. Any other signal, an unexpected errno, a hang
 * (per-child watchdog) or a kernel crash fails the test.
 *
 * The run is bounded both by an iteration count and by wall time:
 * ABI_FUZZ_ITERS (default 1000) and ABI_FUZZ_SECONDS (default 60).
 * ABI_FUZZ_SEED selects the seed (default: time based, always logged).
 */
#define _GNU_SOURCE
#include <sys/time.h>

#include "abi_util.h"
#include "abi_cs_asm.h"

#include "../kselftest_harness.h"

static uint64_t rng_state;

static uint64_t rnd(void)
{
	/* xorshift64* */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dULL;
}

static uint64_t pick(const uint64_t *v, int n)
{
	return v[rnd() % n];
}

static uint8_t buf[8192] __aligned(4096);
static struct rseq_cs descs[4];

static void *rnd_ptr(void)
{
	static void *unmapped;
	uint64_t r = rnd() % 10;

	if (!unmapped) {
		unmapped = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		munmap(unmapped, 4096);
	}
	switch (r) {
	case 0: return NULL;
	case 1: return buf + (rnd() % 4096);		/* random alignment */
	case 2: return buf + 32 * (rnd() % 128);	/* 32-aligned */
	case 3: return unmapped;
	case 4: return (void *)(uintptr_t)pick((const uint64_t[]){
			0xffffffffff600000ULL, 1ULL << 47, ~0ULL & ~63ULL,
			0x7ffffffff000ULL - 64 }, 4);
	case 5: return (void *)(uintptr_t)(rnd() & ~31ULL);
	default: return buf + 64 * (rnd() % 64);		/* valid for any len */
	}
}

static uint32_t rnd_len(void)
{
	static const uint64_t lens[] = { 0, 1, 20, 31, 32, 33, 40, 63, 64, 65,
					 128, 1024, 4096, 8192, 0x10000,
					 0xffffffff };
	return rnd() % 4 ? pick(lens, 16) : (uint32_t)rnd();
}

static int rnd_flags(void)
{
	static const uint64_t f[] = { 0, 0, 0, 1, 2, 3, 4, 0x80000000, 0xffffffff };

	return rnd() % 8 ? (int)pick(f, 9) : (int)rnd();
}

static uint32_t rnd_sig(void)
{
	return rnd() % 4 ? ABI_RSEQ_SIG : (uint32_t)rnd();
}

static bool errno_allowed(int e)
{
	return e == EINVAL || e == EFAULT || e == EBUSY || e == EPERM;
}

static uint64_t rnd_addr_near(uint64_t base)
{
	switch (rnd() % 6) {
	case 0: return base;
	case 1: return base + (rnd() % 64) - 32;
	case 2: return rnd();
	case 3: return rnd() % 8;
	case 4: return 1ULL << 47;
	default: return (uintptr_t)buf + (rnd() % sizeof(buf));
	}
}

static void rnd_desc(struct rseq_cs *d)
{
#ifdef ABI_HAVE_CS_ASM
	uint64_t start = (uintptr_t)(rnd() & 1 ? abi_cs_spin_start : abi_cs_sys_start);
	uint64_t abort = (uintptr_t)(rnd() & 1 ? abi_cs_spin_abort : abi_cs_sys_abort);
#else
	uint64_t start = (uintptr_t)buf, abort = (uintptr_t)buf + 64;
#endif
	d->version = rnd() % 4 ? 0 : (uint32_t)rnd();
	d->flags = rnd() % 4 ? 0 : (uint32_t)rnd();
	d->start_ip = rnd_addr_near(start);
	d->post_commit_offset = rnd() % 4 ? rnd() % 64 : rnd();
	d->abort_ip = rnd_addr_near(abort);
	/*
	 * A huge CS can cover C code; an abort to a valid handler from
	 * there would wreck the control flow of the child (a legitimate
	 * outcome, but not one this test can classify). Keep huge CSs
	 * with an invalid abort IP, which must kill.
	 */
	if (d->post_commit_offset >= 64)
		d->abort_ip = (uintptr_t)buf + 4 + (rnd() % 64);
}

static void nop_handler(int sig)
{
}

/* Child body: an undocumented result fails an assertion (SIGABRT). */
static void fuzz_child(struct __test_metadata *_metadata, uint64_t seed)
{
	struct itimerval it = { .it_value = { 0, 2000 } };
	int i, nr_ops;

	rng_state = seed ? seed : 1;
	signal(SIGUSR1, nop_handler);
	signal(SIGALRM, nop_handler);
	nr_ops = 1 + rnd() % 6;
	for (i = 0; i < nr_ops; i++) {
		struct rseq *rs = rnd_ptr();
		uint32_t len = rnd_len(), sig = rnd_sig();
		int flags = rnd_flags();
		long r;

		if (rnd() % 2) {	/* mostly-valid registration */
			rs = (struct rseq *)(buf + 64 * (rnd() % 64));
			len = rnd() & 1 ? 32 : 64;
			flags &= 3;
		}
		memset(descs, 0, sizeof(descs));
		r = sys_rseq(rs, len, flags, sig);
		ASSERT_FALSE(r != 0 && r != -1) TH_LOG("sys_rseq() returned %ld", r);
		ASSERT_FALSE(r == -1 && !errno_allowed(errno)) TH_LOG("errno %d", errno);
		/* a registration must lie in the only valid memory */
		if (r == 0 && !(flags & 1)) {
			ASSERT_GE((uintptr_t)rs, (uintptr_t)buf);
			ASSERT_LT((uintptr_t)rs, (uintptr_t)buf + sizeof(buf));
		}
		if (r != 0 || (flags & 1))
			continue;

		/* registered: random descriptor, then provoke events */
		rnd_desc(&descs[0]);
		switch (rnd() % 4) {
		case 0:
			rs->rseq_cs = (uintptr_t)&descs[0];
			break;
		case 1:
			rs->rseq_cs = rnd_addr_near((uintptr_t)&descs[0]);
			break;
		case 2:
			rs->rseq_cs = 0;
			break;
		default:
			rs->rseq_cs = rnd();
			break;
		}
		if (rnd() % 8 == 0) {	/* read-only violation */
			uint32_t *w = (uint32_t *)rs + rnd() % 8;
			uint32_t bit = 1U << (rnd() % 32);

			WRITE_ONCE(*w, READ_ONCE(*w) ^ bit);
		}
		switch (rnd() % 7) {
		case 0:
			raise(SIGUSR1);
			break;
		case 1:
			usleep(rnd() % 200);
			break;
		case 2:
			abi_failed_exec();
			break;
		case 3:
			setitimer(ITIMER_REAL, &it, NULL);
			{
				uint64_t end = abi_now_ns() + 5000000;

				while (abi_now_ns() < end)
					;
			}
			break;
#ifdef ABI_HAVE_CS_ASM
		case 4: {
			long ret;

			descs[1] = descs[0];
			descs[1].start_ip = (uintptr_t)abi_cs_sys_start;
			if (rnd() & 1)
				descs[1].abort_ip = (uintptr_t)abi_cs_sys_abort;
			ret = abi_cs_sys(&rs->rseq_cs, &descs[1], SYS_getppid, 0, 0, 0);
			ASSERT_FALSE(ret != 0 && ret != 1);
			break;
		}
#endif
		case 5: {
			/* slice extension: random prctl, control word, yield */
			unsigned long j;
			long pr;

			pr = abi_prctl_slice(rnd() % 4, rnd() % 3, rnd() % 8 == 0, 0);
			ASSERT_FALSE(pr == -1 && errno != EINVAL && errno != ENXIO &&
				     errno != ABI_ENOTSUPP && errno != EFAULT)
				TH_LOG("errno %d", errno);
			ASSERT_FALSE(pr != -1 && pr != 0 && pr != 1);
			rs->slice_ctrl.all = rnd() % 4 ? 1 : (uint32_t)rnd();
			for (j = 0; j < 200000; j++)
				asm volatile("" ::: "memory");
			pr = sys_slice_yield();
			ASSERT_FALSE(pr != 0 && pr != 1 && !(pr == -1 && errno == ENOSYS));
			break;
		}
		default:
			sys_membarrier(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_RSEQ, 0, 0);
			sys_membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED_RSEQ, rnd() & 1, rnd() % 4);
			break;
		}
		rs->rseq_cs = 0;
		if (rnd() & 1) {
			r = sys_rseq(rs, len, RSEQ_FLAG_UNREGISTER, sig);
			ASSERT_FALSE(r == -1 && !errno_allowed(errno));
		}
	}
}

static unsigned long env_ul(const char *name, unsigned long def)
{
	const char *s = getenv(name);

	return s ? strtoul(s, NULL, 0) : def;
}

FIXTURE(fuzz)
{
};

FIXTURE_SETUP(fuzz)
{
}

FIXTURE_TEARDOWN(fuzz)
{
}

/* Wait for @pid for at most @ns; kill it on timeout. */
static int wait_bounded(pid_t pid, uint64_t ns, bool *timed_out)
{
	uint64_t end = abi_now_ns() + ns;
	int st = 0;

	*timed_out = false;
	for (;;) {
		pid_t r = waitpid(pid, &st, WNOHANG);

		if (r == pid)
			return st;
		if (r < 0)
			return -1;
		if (abi_now_ns() > end) {
			*timed_out = true;
			kill(pid, SIGKILL);
			waitpid(pid, &st, 0);
			return st;
		}
		usleep(1000);
	}
}

TEST_F_TIMEOUT(fuzz, random_args_and_descriptors_only_return_or_sigsegv, 180)
{
	unsigned long iters = env_ul("ABI_FUZZ_ITERS", 1000);
	unsigned long secs = env_ul("ABI_FUZZ_SECONDS", 60);
	uint64_t seed = env_ul("ABI_FUZZ_SEED", 0);
	uint64_t end = abi_now_ns() + secs * 1000000000ULL;
	unsigned long i, ok = 0, segv = 0;

	ABI_REQUIRE_OWN_RSEQ();
	if (!seed)
		seed = abi_now_ns() ^ getpid();
	TH_LOG("seed %#llx, %lu iterations, %lu seconds max",
	       (unsigned long long)seed, iters, secs);
	rng_state = seed;
	for (i = 0; i < iters && abi_now_ns() < end; i++) {
		uint64_t cseed = rnd();
		bool timed_out;
		int st;
		pid_t pid = fork();

		ASSERT_GE(pid, 0);
		if (pid == 0) {
			fuzz_child(_metadata, cseed);
			_exit(_metadata->exit_code);
		}
		st = wait_bounded(pid, 30000000000ULL, &timed_out);
		ASSERT_FALSE(timed_out) TH_LOG("child seed %#llx hung",
					       (unsigned long long)cseed);
		if (ABI_EXITED_OK(st)) {
			ok++;
			continue;
		}
		if (ABI_KILLED_BY_SEGV(st)) {
			segv++;
			continue;
		}
		ASSERT_TRUE(0) TH_LOG("child seed %#llx: status %#x",
				      (unsigned long long)cseed, st);
	}
	TH_LOG("%lu children: %lu clean exits, %lu SIGSEGV", i, ok, segv);
	ASSERT_GT(i, 0);
	ASSERT_GT(ok, 0);
}

TEST_HARNESS_MAIN
