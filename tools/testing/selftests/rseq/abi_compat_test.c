// SPDX-License-Identifier: GPL-2.0
/*
 * rseq ABI from a 32-bit (ia32 compat) task on a 64-bit kernel.
 *
 * The rseq_cs field is 64 bits wide for every ABI; a 32-bit task stores
 * its descriptor address in the low word. The kernel reads the whole
 * field and compares it with the task's TASK_SIZE (0xffffe000 for an
 * ia32 task), so a non-zero high word or an address at the top of the
 * 32-bit space is fatal, while a valid low word alone is evaluated
 * normally. Registration and its error rows go through the compat
 * system call entry.
 *
 * This program must be built with -m32 (the Makefile does so when the
 * compiler can link a static 32-bit program, e.g. with gcc-multilib) and
 * needs a kernel with CONFIG_IA32_EMULATION. Built natively, it skips
 * every test and says why.
 */
#define _GNU_SOURCE
#include "abi_util.h"

#include "../kselftest_harness.h"

#if defined(__aarch64__)
#define COMPAT_MISSING	"the ia32 compat ABI exists only on x86 (arm64 has no IA32 emulation)"
#else
#define COMPAT_MISSING	"needs the 32-bit build of this test (-m32: gcc-multilib) " \
			"and a kernel with CONFIG_IA32_EMULATION"
#endif

#if defined(__i386__)
#define REQUIRE_COMPAT() ABI_REQUIRE_OWN_RSEQ()
#else
#define REQUIRE_COMPAT()	SKIP(return, COMPAT_MISSING)
#endif

/* ia32 TASK_SIZE without the ADDR_LIMIT_3GB personality */
#define IA32_TASK_SIZE	0xffffe000ULL

static struct rseq area __aligned(ABI_RSEQ_ALIGN);
static struct rseq_cs desc;
/* the signature in front of an abort_ip that is never jumped to */
static const uint32_t sig_then_abort[2] = { ABI_RSEQ_SIG, 0 };

static void empty_handler(int sig)
{
}

TEST(compat_legacy_registration_writes_ids)
{
	REQUIRE_COMPAT();
	ASSERT_EQ(sizeof(void *), 4);
	area.rseq_cs = 1;
	ASSERT_EQ(sys_rseq(&area, 32, 0, ABI_RSEQ_SIG), 0);
	ASSERT_EQ(area.cpu_id, (uint32_t)abi_cur_cpu());
	ASSERT_EQ(area.cpu_id_start, area.cpu_id);
	ASSERT_EQ(area.node_id, (uint32_t)abi_cur_node());
	ASSERT_EQ(area.rseq_cs, 0);
	ASSERT_EQ(sys_rseq(&area, 32, 0, ABI_RSEQ_SIG), -1);
	ASSERT_EQ(errno, EBUSY);
	ASSERT_EQ(sys_rseq(&area, 32, RSEQ_FLAG_UNREGISTER, ABI_RSEQ_SIG), 0);
	ASSERT_EQ(area.cpu_id, ABI_CPU_ID_UNINITIALIZED);
}

TEST(compat_v2_registration_writes_ids)
{
	REQUIRE_COMPAT();
	ASSERT_EQ(sys_rseq(&area, sizeof(area), 0, ABI_RSEQ_SIG), 0);
	ASSERT_EQ(area.cpu_id, (uint32_t)abi_cur_cpu());
	ASSERT_EQ(area.cpu_id_start, area.cpu_id);
	ASSERT_EQ(sys_rseq(&area, sizeof(area), RSEQ_FLAG_UNREGISTER, ABI_RSEQ_SIG), 0);
}

TEST(compat_registration_error_rows)
{
	REQUIRE_COMPAT();
	ASSERT_EQ(sys_rseq(&area, 31, 0, ABI_RSEQ_SIG), -1);
	ASSERT_EQ(errno, EINVAL);
	ASSERT_EQ(sys_rseq((char *)&area + 4, 32, 0, ABI_RSEQ_SIG), -1);
	ASSERT_EQ(errno, EINVAL);
	ASSERT_EQ(sys_rseq(&area, 32, 0, ABI_RSEQ_SIG), 0);
	ASSERT_EQ(sys_rseq(&area, 32, RSEQ_FLAG_UNREGISTER, ABI_RSEQ_SIG + 1), -1);
	ASSERT_EQ(errno, EPERM);
	ASSERT_EQ(sys_rseq(&area, 64, RSEQ_FLAG_UNREGISTER, ABI_RSEQ_SIG), -1);
	ASSERT_EQ(errno, EINVAL);
	ASSERT_EQ(sys_rseq(&area, 32, RSEQ_FLAG_UNREGISTER, ABI_RSEQ_SIG), 0);
}

/*
 * Child: register a legacy area, store @rseq_cs and raise a signal. The
 * signal delivery evaluates rseq_cs. Passes if the task survived and
 * the kernel cleared rseq_cs (the IP is outside the descriptor's range,
 * which is otherwise valid even under the debug mode's full checks).
 */
static void raise_with_rseq_cs(struct __test_metadata *_metadata, void *arg)
{
	uint64_t rseq_cs = *(uint64_t *)arg;

	signal(SIGUSR1, empty_handler);
	ASSERT_EQ(sys_rseq(&area, 32, 0, ABI_RSEQ_SIG), 0);
	memset(&desc, 0, sizeof(desc));
	desc.start_ip = (uintptr_t)empty_handler;
	desc.post_commit_offset = 1;
	desc.abort_ip = (uintptr_t)&sig_then_abort[1];
	WRITE_ONCE(area.rseq_cs, rseq_cs);
	raise(SIGUSR1);
	ASSERT_EQ(READ_ONCE(area.rseq_cs), 0);
}

static int run_with_rseq_cs(struct __test_metadata *_metadata, uint64_t rseq_cs)
{
	return abi_run_child(_metadata, raise_with_rseq_cs, &rseq_cs);
}

TEST(compat_rseq_cs_low_word_is_evaluated_and_cleared)
{
	int st;

	REQUIRE_COMPAT();
	st = run_with_rseq_cs(_metadata, (uintptr_t)&desc);
	ASSERT_TRUE(ABI_EXITED_OK(st)) TH_LOG("wait status %#x", st);
}

TEST(compat_rseq_cs_high_word_set_kills)
{
	int st;

	REQUIRE_COMPAT();
	st = run_with_rseq_cs(_metadata, (1ULL << 32) | (uintptr_t)&desc);
	ASSERT_TRUE(ABI_KILLED_BY_SEGV(st)) TH_LOG("wait status %#x", st);
}

TEST(compat_rseq_cs_at_task_size_kills)
{
	int st;

	REQUIRE_COMPAT();
	st = run_with_rseq_cs(_metadata, IA32_TASK_SIZE);
	ASSERT_TRUE(ABI_KILLED_BY_SEGV(st)) TH_LOG("wait status %#x", st);
}

TEST_HARNESS_MAIN
