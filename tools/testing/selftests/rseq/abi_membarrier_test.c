// SPDX-License-Identifier: GPL-2.0
/*
 * rseq ABI: membarrier PRIVATE_EXPEDITED_RSEQ error semantics and
 * what the RSEQ IPI does to legacy and v2 registrations. The abort of
 * a critical section by the IPI is tested in abi_cs_test.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>

#include "abi_util.h"

#include "../kselftest_harness.h"

/* Shorter names for the membarrier commands used throughout. */
#define MB_RSEQ		MEMBARRIER_CMD_PRIVATE_EXPEDITED_RSEQ
#define MB_REG_RSEQ	MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_RSEQ
#define MB_FLAG_CPU	MEMBARRIER_CMD_FLAG_CPU

static struct rseq area __aligned(ABI_RSEQ_ALIGN);

#define EXPECT_MB_ERR(c, f, id, e) do {					\
	errno = 0;							\
	ASSERT_EQ(sys_membarrier(c, f, id), -1);			\
	ASSERT_EQ(errno, e);						\
} while (0)

TEST(query_reports_rseq_commands)
{
	long mask = sys_membarrier(MEMBARRIER_CMD_QUERY, 0, 0);

	ASSERT_GE(mask, 0);
	ASSERT_EQ(mask & MB_RSEQ, MB_RSEQ);
	ASSERT_EQ(mask & MB_REG_RSEQ, MB_REG_RSEQ);
	ASSERT_EQ(mask & MEMBARRIER_CMD_GET_REGISTRATIONS, MEMBARRIER_CMD_GET_REGISTRATIONS);
}

TEST(rseq_command_unregistered_is_eperm)
{
	EXPECT_MB_ERR(MB_RSEQ, 0, 0, EPERM);
	EXPECT_MB_ERR(MB_RSEQ, MB_FLAG_CPU, 0, EPERM);
	ASSERT_EQ(sys_membarrier(MEMBARRIER_CMD_GET_REGISTRATIONS, 0, 0), 0);
}

TEST(bad_flags_are_einval)
{
	/* only FLAG_CPU, and only with the RSEQ command */
	EXPECT_MB_ERR(MB_RSEQ, 2, 0, EINVAL);
	EXPECT_MB_ERR(MB_RSEQ, 3, 0, EINVAL);
	EXPECT_MB_ERR(MB_REG_RSEQ, MB_FLAG_CPU, 0, EINVAL);
	EXPECT_MB_ERR(MEMBARRIER_CMD_PRIVATE_EXPEDITED, MB_FLAG_CPU, 0, EINVAL);
	EXPECT_MB_ERR(MEMBARRIER_CMD_QUERY, MB_FLAG_CPU, 0, EINVAL);
	/* flags are checked before the registration state */
	ASSERT_EQ(sys_membarrier(MB_REG_RSEQ, 0, 0), 0);
	EXPECT_MB_ERR(MB_RSEQ, 2, 0, EINVAL);
}

TEST(register_is_idempotent_and_reported)
{
	ASSERT_EQ(sys_membarrier(MB_REG_RSEQ, 0, 0), 0);
	ASSERT_EQ(sys_membarrier(MB_REG_RSEQ, 0, 0), 0);
	/*
	 * Oracle: the RSEQ registration also sets the PRIVATE_EXPEDITED
	 * state bit, so GET_REGISTRATIONS reports REGISTER_PRIVATE_EXPEDITED
	 * too, although the plain PRIVATE_EXPEDITED command stays EPERM.
	 */
	ASSERT_EQ(sys_membarrier(MEMBARRIER_CMD_GET_REGISTRATIONS, 0, 0),
		  MB_REG_RSEQ | MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED);
	EXPECT_MB_ERR(MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0, EPERM);
}

TEST(single_threaded_returns_zero)
{
	ASSERT_EQ(sys_membarrier(MB_REG_RSEQ, 0, 0), 0);
	ASSERT_EQ(sys_membarrier(MB_RSEQ, 0, 0), 0);
	ASSERT_EQ(sys_membarrier(MB_RSEQ, MB_FLAG_CPU, 0), 0);
	ASSERT_EQ(sys_membarrier(MB_RSEQ, MB_FLAG_CPU, 100000), 0);
}

static atomic_int stop;

static void *idle_thread(void *arg)
{
	while (!atomic_load(&stop))
		usleep(1000);
	return NULL;
}

TEST(bad_cpu_ids_return_zero_not_enxio)
{
	pthread_t t;
	int cpu;

	ASSERT_EQ(sys_membarrier(MB_REG_RSEQ, 0, 0), 0);
	atomic_store(&stop, 0);
	ASSERT_EQ(pthread_create(&t, NULL, idle_thread, NULL), 0);
	/* out of range or impossible CPUs: 0 (the ENXIO in param_test is dead) */
	ASSERT_EQ(sys_membarrier(MB_RSEQ, MB_FLAG_CPU, 100000), 0);
	ASSERT_EQ(sys_membarrier(MB_RSEQ, MB_FLAG_CPU, 4095), 0);
	ASSERT_EQ(sys_membarrier(MB_RSEQ, MB_FLAG_CPU, 0x7fffffff), 0);
	/* negative cpu_id with FLAG_CPU: treated as "all CPUs" */
	ASSERT_EQ(sys_membarrier(MB_RSEQ, MB_FLAG_CPU, -1), 0);
	/* every valid CPU, including our own and ones running other mms */
	for (cpu = 0; cpu < abi_nr_allowed_cpus(); cpu++)
		ASSERT_EQ(sys_membarrier(MB_RSEQ, MB_FLAG_CPU,
					 abi_nth_allowed_cpu(cpu)), 0);
	ASSERT_EQ(sys_membarrier(MB_RSEQ, 0, 0), 0);
	/* cpu_id is ignored without FLAG_CPU */
	ASSERT_EQ(sys_membarrier(MB_RSEQ, 0, 100000), 0);
	atomic_store(&stop, 1);
	pthread_join(t, NULL);
}

/*
 * Oracle: the membarrier state lives in the mm and dup_mm() copies it,
 * so a fork child starts with the parent's registrations (exec resets
 * them).
 */
TEST(fork_child_inherits_registration)
{
	int st;
	pid_t pid;

	ASSERT_EQ(sys_membarrier(MB_REG_RSEQ, 0, 0), 0);
	pid = fork();
	if (pid == 0) {
		ASSERT_EQ(sys_membarrier(MEMBARRIER_CMD_GET_REGISTRATIONS, 0, 0),
			  MB_REG_RSEQ |
			  MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED);
		ASSERT_EQ(sys_membarrier(MB_RSEQ, 0, 0), 0);
		_exit(_metadata->exit_code);
	}
	ASSERT_EQ(waitpid(pid, &st, 0), pid);
	ASSERT_TRUE(ABI_EXITED_OK(st)) TH_LOG("child status %#x", st);
}

/*
 * The IPI rewrites the IDs of a legacy thread spinning in user
 * mode, but does not write the IDs of a v2 thread whose IDs did not
 * change (so a v2 thread with a modified cpu_id_start survives, while
 * any ID update would kill it). For v2 the IPI still clears a pending
 * slice request when the slice extension is on.
 */
static atomic_int phase;

struct fence_arg {
	int cpu;
	int target;
	int rounds;
};

static void *fence_thread(void *p)
{
	struct fence_arg *fa = p;
	int i;

	abi_pin(fa->cpu);
	for (i = 0; i < fa->rounds; i++) {
		while (atomic_load(&phase) != 2 * i + 1)
			;
		sys_membarrier(MB_RSEQ, MB_FLAG_CPU, fa->target);
		atomic_store(&phase, 2 * i + 2);
	}
	return NULL;
}

static void ipi_child(struct __test_metadata *_metadata, void *p)
{
	uint32_t len = (uintptr_t)p;
	struct fence_arg fa;
	pthread_t t;
	int c0 = abi_nth_allowed_cpu(0), c1 = abi_nth_allowed_cpu(1), i;
	bool slice;

	ASSERT_EQ(abi_pin(c0), 0);
	ASSERT_EQ(sys_rseq(&area, len, 0, ABI_RSEQ_SIG), 0);
	slice = area.flags & RSEQ_CS_FLAG_SLICE_EXT_AVAILABLE;
	ASSERT_EQ(sys_membarrier(MB_REG_RSEQ, 0, 0), 0);
	fa = (struct fence_arg){ .cpu = c1, .target = c0, .rounds = 5 };
	atomic_store(&phase, 0);
	ASSERT_EQ(pthread_create(&t, NULL, fence_thread, &fa), 0);
	for (i = 0; i < fa.rounds; i++) {
		uint32_t real = area.cpu_id_start;

		area.cpu_id_start = 0x4242;
		if (slice)
			area.slice_ctrl.request = 1;
		atomic_store(&phase, 2 * i + 1);
		while (atomic_load(&phase) != 2 * i + 2)
			;
		if (len == 32) {
			ASSERT_EQ(area.cpu_id_start, real);
		} else {
			ASSERT_EQ(area.cpu_id_start, 0x4242);
			ASSERT_FALSE(slice && area.slice_ctrl.all != 0);
			area.cpu_id_start = real;
		}
	}
	pthread_join(t, NULL);
}

TEST(legacy_ipi_rewrites_ids)
{
	int st;

	ABI_REQUIRE_OWN_RSEQ();
	ABI_REQUIRE_DEBUG_OFF();
	if (abi_nr_allowed_cpus() < 2)
		SKIP(return, "needs 2 CPUs");
	st = abi_run_child(_metadata, ipi_child, (void *)32);
	ASSERT_TRUE(ABI_EXITED_OK(st)) TH_LOG("child status %#x", st);
}

TEST(v2_ipi_does_not_rewrite_unchanged_ids)
{
	int st;

	ABI_REQUIRE_OWN_RSEQ();
	if (abi_debug_state() == 1)
		SKIP(return, "rseq debug mode is on");
	if (abi_nr_allowed_cpus() < 2)
		SKIP(return, "needs 2 CPUs");
	st = abi_run_child(_metadata, ipi_child, (void *)64);
	/*
	 * Without GENERIC_ENTRY (arm64) the fence's forced update goes
	 * through the slow path, which checks the read-only IDs: the
	 * modified cpu_id_start is fatal there (the C build's answer).
	 */
	if (!ABI_GENERIC_ENTRY) {
		ASSERT_TRUE(ABI_KILLED_BY_SEGV(st)) TH_LOG("child status %#x", st);
		return;
	}
	ASSERT_TRUE(ABI_EXITED_OK(st)) TH_LOG("child status %#x", st);
}

TEST_HARNESS_MAIN
