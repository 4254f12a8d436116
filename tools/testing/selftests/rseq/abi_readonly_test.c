// SPDX-License-Identifier: GPL-2.0
/*
 * rseq ABI: the v2 read-only fields (cpu_id_start, cpu_id, node_id,
 * mm_cid) are validated at the next ID update and a violation is
 * fatal, while legacy registrations silently get them rewritten.
 * Also the TCMalloc usage pattern of a legacy area, which
 * overlays a tagged pointer on cpu_id_start and relies on bytes 28-31
 * and everything past 32 bytes never being written by the kernel.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>

#include "abi_util.h"

#include "../kselftest_harness.h"

static struct rseq area __aligned(ABI_RSEQ_ALIGN);

enum field { F_CPU_ID_START, F_CPU_ID, F_NODE_ID, F_MM_CID };

static uint32_t *field_ptr(enum field f)
{
	switch (f) {
	case F_CPU_ID_START: return &area.cpu_id_start;
	case F_CPU_ID: return &area.cpu_id;
	case F_NODE_ID: return &area.node_id;
	default: return &area.mm_cid;
	}
}

struct ro_arg {
	uint32_t len;
	enum field f;
	int trigger;	/* 0: failed exec, 1: migration */
};

/* Move to another online CPU (the thread is pinned, so use the CPU count). */
static int migrate(void)
{
	int cur = abi_cur_cpu();
	int n = sysconf(_SC_NPROCESSORS_ONLN), other;

	for (other = 0; other < n; other++)
		if (other != cur && !abi_pin(other))
			break;
	if (other >= n)
		return -1;
	/* make sure we really run there before returning */
	while (abi_cur_cpu() != other)
		sched_yield();
	return 0;
}

static void ro_violation(struct __test_metadata *_metadata, void *p)
{
	struct ro_arg *a = p;

	ASSERT_GE(abi_pin_here(), 0);
	ASSERT_EQ(sys_rseq(&area, a->len, 0, ABI_RSEQ_SIG), 0);
	WRITE_ONCE(*field_ptr(a->f), READ_ONCE(*field_ptr(a->f)) ^ 0x100);
	/* force an ID update: a failed exec (0) or a migration (1) */
	if (a->trigger == 0)
		ASSERT_EQ(abi_failed_exec(), ENOEXEC);
	if (a->trigger == 1)
		ASSERT_EQ(migrate(), 0);
	/* survived: field must have been rewritten (legacy) */
	ASSERT_EQ((int)area.cpu_id, abi_cur_cpu());
	ASSERT_EQ(area.cpu_id_start, area.cpu_id);
	ASSERT_EQ((int)area.node_id, abi_cur_node());
	ASSERT_FALSE(a->f == F_MM_CID && area.mm_cid >= (uint32_t)sysconf(_SC_NPROCESSORS_CONF));
}

/* Runs as a TEST_SIGNAL(..., SIGSEGV) body: the kernel must kill the task. */
static void v2_death(struct __test_metadata *_metadata, enum field f, int trigger)
{
	struct ro_arg a = { .len = 64, .f = f, .trigger = trigger };

	if (trigger == 1 && abi_nr_allowed_cpus() < 2)
		SKIP(return, "migration trigger needs 2 CPUs");
	ro_violation(_metadata, &a);
}

static void legacy_tolerated(struct __test_metadata *_metadata, enum field f, int trigger)
{
	struct ro_arg a = { .len = 32, .f = f, .trigger = trigger };
	int st, dbg = abi_debug_state();

	if (dbg == 1)
		SKIP(return, "rseq debug mode is on: legacy is checked too");
	if (trigger == 1 && abi_nr_allowed_cpus() < 2)
		SKIP(return, "migration trigger needs 2 CPUs");
	st = abi_run_child(_metadata, ro_violation, &a);
	ASSERT_TRUE(ABI_EXITED_OK(st)) TH_LOG("child status %#x", st);
}

TEST_SIGNAL(v2_cpu_id_start_write_killed_at_forced_update, SIGSEGV)
{
	ABI_REQUIRE_OWN_RSEQ();
	v2_death(_metadata, F_CPU_ID_START, 0);
}

TEST_SIGNAL(v2_cpu_id_write_killed_at_forced_update, SIGSEGV)
{
	ABI_REQUIRE_OWN_RSEQ();
	v2_death(_metadata, F_CPU_ID, 0);
}

TEST_SIGNAL(v2_node_id_write_killed_at_forced_update, SIGSEGV)
{
	ABI_REQUIRE_OWN_RSEQ();
	v2_death(_metadata, F_NODE_ID, 0);
}

TEST_SIGNAL(v2_mm_cid_write_killed_at_forced_update, SIGSEGV)
{
	ABI_REQUIRE_OWN_RSEQ();
	v2_death(_metadata, F_MM_CID, 0);
}

TEST_SIGNAL(v2_cpu_id_start_write_killed_at_migration, SIGSEGV)
{
	ABI_REQUIRE_OWN_RSEQ();
	v2_death(_metadata, F_CPU_ID_START, 1);
}

TEST_SIGNAL(v2_mm_cid_write_killed_at_migration, SIGSEGV)
{
	ABI_REQUIRE_OWN_RSEQ();
	v2_death(_metadata, F_MM_CID, 1);
}

TEST(legacy_cpu_id_start_write_rewritten)
{
	ABI_REQUIRE_OWN_RSEQ();
	legacy_tolerated(_metadata, F_CPU_ID_START, 0);
}

TEST(legacy_cpu_id_write_rewritten)
{
	ABI_REQUIRE_OWN_RSEQ();
	legacy_tolerated(_metadata, F_CPU_ID, 0);
}

TEST(legacy_node_id_write_rewritten)
{
	ABI_REQUIRE_OWN_RSEQ();
	legacy_tolerated(_metadata, F_NODE_ID, 0);
}

TEST(legacy_mm_cid_write_rewritten)
{
	ABI_REQUIRE_OWN_RSEQ();
	legacy_tolerated(_metadata, F_MM_CID, 0);
}

TEST(legacy_cpu_id_start_write_rewritten_at_migration)
{
	ABI_REQUIRE_OWN_RSEQ();
	legacy_tolerated(_metadata, F_CPU_ID_START, 1);
}

/* Writes to fields that are not read-only are never detected. */
static void v2_non_ro_fields_child(struct __test_metadata *_metadata, void *p)
{
	ASSERT_GE(abi_pin_here(), 0);
	ASSERT_EQ(sys_rseq(&area, 64, 0, ABI_RSEQ_SIG), 0);
	area.flags ^= 0x00010000;
	((uint8_t *)&area)[32] ^= 0xff;
	((uint8_t *)&area)[52] ^= 0xff;
	ASSERT_EQ(abi_failed_exec(), ENOEXEC);
	ASSERT_EQ((int)area.cpu_id, abi_cur_cpu());
}

TEST(v2_flags_and_reserved_writes_not_checked)
{
	int st;

	ABI_REQUIRE_OWN_RSEQ();
	st = abi_run_child(_metadata, v2_non_ro_fields_child, NULL);
	ASSERT_TRUE(ABI_EXITED_OK(st)) TH_LOG("child status %#x", st);
}

/*
 * No ID update: a v2 violation that is undone in time goes unnoticed.
 *
 * The kernel may still have new IDs to write inside that window: the MM
 * CID of the new child can change at a context switch (mm_cid_schedin()
 * sets ids_changed), and catching the violation is right then. A kernel
 * that checks without an ID update catches it in every run; the test
 * runs a child that was killed again, up to UNDETECTED_RUNS runs.
 */
#define UNDETECTED_RUNS	5

static void v2_undetected_child(struct __test_metadata *_metadata, void *p)
{
	uint32_t saved;
	int i;

	ASSERT_GE(abi_pin_here(), 0);
	ASSERT_EQ(sys_rseq(&area, 64, 0, ABI_RSEQ_SIG), 0);
	saved = area.mm_cid;
	area.mm_cid = saved ^ 0x100;
	for (i = 0; i < 20; i++) {
		getppid();
		usleep(100);	/* voluntary sleep: no v2 event processing */
	}
	area.mm_cid = saved;
	/* A forced update now validates and succeeds. */
	ASSERT_EQ(abi_failed_exec(), ENOEXEC);
}

TEST(v2_violation_not_detected_without_id_update)
{
	int st, runs = 1;

	ABI_REQUIRE_OWN_RSEQ();
	st = abi_run_child(_metadata, v2_undetected_child, NULL);
	while (ABI_KILLED_BY_SEGV(st) && runs < UNDETECTED_RUNS) {
		TH_LOG("run %d: violation caught (an ID update in the window?), again",
		       runs);
		st = abi_run_child(_metadata, v2_undetected_child, NULL);
		runs++;
	}
	ASSERT_TRUE(ABI_EXITED_OK(st)) TH_LOG("child status %#x in run %d", st, runs);
}

/* The kill is a plain force_sig(SIGSEGV): catchable, si_code SI_KERNEL */
static atomic_int segv_code = -1;

static void segv_handler(int sig, siginfo_t *si, void *uc)
{
	segv_code = si->si_code;
	/* undo the violation so that the retried update succeeds */
	area.cpu_id_start = area.cpu_id;
}

/*
 * SA_NODEFER: an ID update between the kill and the handler (the MM CID
 * can change at that context switch) checks the fields again and sends
 * another SIGSEGV; with SIGSEGV blocked in the handler, force_sig() would
 * make that one fatal. Unblocked, it runs the handler once more.
 */
static void v2_catchable_child(struct __test_metadata *_metadata, void *p)
{
	struct sigaction sa = { .sa_sigaction = segv_handler,
				.sa_flags = SA_SIGINFO | SA_NODEFER };

	ASSERT_GE(abi_pin_here(), 0);
	sigaction(SIGSEGV, &sa, NULL);
	ASSERT_EQ(sys_rseq(&area, 64, 0, ABI_RSEQ_SIG), 0);
	area.cpu_id_start ^= 0x100;
	abi_failed_exec();
	ASSERT_EQ(atomic_load(&segv_code), SI_KERNEL);
	/* the registration is still active */
	ASSERT_EQ(sys_rseq(&area, 64, 0, ABI_RSEQ_SIG), -1);
	ASSERT_EQ(errno, EBUSY);
}

TEST(v2_violation_sigsegv_is_si_kernel_and_catchable)
{
	int st;

	ABI_REQUIRE_OWN_RSEQ();
	st = abi_run_child(_metadata, v2_catchable_child, NULL);
	ASSERT_TRUE(ABI_EXITED_OK(st)) TH_LOG("child status %#x", st);
}

/*
 * TCMalloc pattern: a 32-byte legacy area at offset 32 of a 64-byte
 * aligned line. A u64 covering line bytes 28..35 holds a pointer with
 * the tag in bit 63, which lands in the top bit of cpu_id_start. The
 * kernel writing cpu_id_start (a small CPU number) clears the tag.
 */
static uint8_t line[192] __aligned(64);
#define TC_AREA		((struct rseq *)(line + 32))
#define TC_SLABS	((uint64_t *)(line + 28))
#define TC_TAG		BIT_ULL(63)
#define TC_PATTERN	0xc3

static void tc_set_tag(void)
{
	WRITE_ONCE(*TC_SLABS, TC_TAG | 0x0000000012345678ULL);
}

static bool tc_tag_cleared(void)
{
	return !(READ_ONCE(*TC_SLABS) & TC_TAG);
}

static void tc_check_untouched(struct __test_metadata *_metadata)
{
	int i;

	/* low half of the slabs word: user-owned, below the area */
	ASSERT_EQ((uint32_t)READ_ONCE(*TC_SLABS), 0x12345678);
	for (i = 0; i < 28; i++)
		ASSERT_EQ(line[i], TC_PATTERN) TH_LOG("byte %d of the line", i);
	/* area bytes 28..31 (v2 slice_ctrl) */
	for (i = 32 + 28; i < 32 + 32; i++)
		ASSERT_EQ(line[i], TC_PATTERN) TH_LOG("byte %d of the line", i);
	/* anything past the 32-byte area */
	for (i = 64; i < (int)sizeof(line); i++)
		ASSERT_EQ(line[i], TC_PATTERN) TH_LOG("byte %d of the line", i);
}

static void tc_setup(struct __test_metadata *_metadata)
{
	memset(line, TC_PATTERN, sizeof(line));
	TC_AREA->rseq_cs = 0;
	tc_set_tag();
	ASSERT_EQ(sys_rseq(TC_AREA, 32, 0, ABI_RSEQ_SIG), 0);
	/* registration itself writes cpu_id_start: tag cleared */
	ASSERT_TRUE(tc_tag_cleared());
	tc_check_untouched(_metadata);
}

TEST(tcmalloc_tag_cleared_by_context_switch)
{
	int i;

	ABI_REQUIRE_OWN_RSEQ();
	ABI_REQUIRE_DEBUG_OFF();
	tc_setup(_metadata);
	for (i = 0; i < 5; i++) {
		tc_set_tag();
		usleep(1000);
		ASSERT_TRUE(tc_tag_cleared());
		ASSERT_EQ((int)TC_AREA->cpu_id_start, abi_cur_cpu());
		tc_check_untouched(_metadata);
	}
}

static atomic_uint_least64_t tc_seen_in_handler;

static void tc_sig(int sig)
{
	tc_seen_in_handler = READ_ONCE(*TC_SLABS);
}

TEST(tcmalloc_tag_cleared_before_signal_handler)
{
	int i;

	ABI_REQUIRE_OWN_RSEQ();
	ABI_REQUIRE_DEBUG_OFF();
	tc_setup(_metadata);
	ASSERT_TRUE(signal(SIGUSR1, tc_sig) != SIG_ERR);
	for (i = 0; i < 5; i++) {
		tc_set_tag();
		tc_seen_in_handler = TC_TAG;
		ASSERT_EQ(raise(SIGUSR1), 0);
		ASSERT_FALSE(atomic_load(&tc_seen_in_handler) & TC_TAG);
		ASSERT_TRUE(tc_tag_cleared());
		tc_check_untouched(_metadata);
	}
}

static atomic_int tc_phase;

static void *tc_fence_thread(void *arg)
{
	int cpu = (intptr_t)arg, i;

	abi_pin(cpu);
	for (i = 0; i < 5; i++) {
		while (atomic_load(&tc_phase) != 2 * i + 1)
			;
		sys_membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED_RSEQ, 0, 0);
		atomic_store(&tc_phase, 2 * i + 2);
	}
	return NULL;
}

TEST(tcmalloc_tag_cleared_by_membarrier_rseq_fence)
{
	int c0, c1, i;
	pthread_t t;

	ABI_REQUIRE_OWN_RSEQ();
	ABI_REQUIRE_DEBUG_OFF();
	if (abi_nr_allowed_cpus() < 2)
		SKIP(return, "membarrier RSEQ IPIs need 2 CPUs");
	c0 = abi_nth_allowed_cpu(0);
	c1 = abi_nth_allowed_cpu(1);
	ASSERT_EQ(abi_pin(c0), 0);
	ASSERT_EQ(sys_membarrier(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_RSEQ, 0, 0), 0);
	tc_setup(_metadata);
	atomic_store(&tc_phase, 0);
	ASSERT_EQ(pthread_create(&t, NULL, tc_fence_thread, (void *)(intptr_t)c1), 0);
	for (i = 0; i < 5; i++) {
		tc_set_tag();
		atomic_store(&tc_phase, 2 * i + 1);
		/* spin in user mode: only the IPI (or a switch) clears it */
		while (atomic_load(&tc_phase) != 2 * i + 2)
			;
		ASSERT_TRUE(tc_tag_cleared()) TH_LOG("round %d", i);
		tc_check_untouched(_metadata);
	}
	pthread_join(t, NULL);
}

TEST_HARNESS_MAIN
