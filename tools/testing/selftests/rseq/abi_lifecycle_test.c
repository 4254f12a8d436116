// SPDX-License-Identifier: GPL-2.0
/*
 * rseq ABI: registration across fork, thread creation, vfork, CLONE_VM,
 * successful and failed execve, and PTRACE_GET_RSEQ_CONFIGURATION
 * (gaps G6 and G27 of the rseq specification).
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sys/ptrace.h>

#include "abi_util.h"

#include "../kselftest_harness.h"

#ifndef PTRACE_GET_RSEQ_CONFIGURATION
#define PTRACE_GET_RSEQ_CONFIGURATION	0x420f
#endif

struct abi_ptrace_rseq_conf {
	uint64_t rseq_abi_pointer;
	uint32_t rseq_abi_size;
	uint32_t signature;
	uint32_t flags;
	uint32_t pad;
};

#define EXEC_CHILD_ENV	"RSEQ_ABI_EXEC_CHILD"

static struct abi_rseq area;
static struct abi_rseq area2;

/*
 * When re-executed by the exec test, check that the new image starts
 * unregistered: a fresh registration must succeed.
 */
__attribute__((constructor)) static void exec_child_check(void)
{
	static struct abi_rseq fresh;

	if (!getenv(EXEC_CHILD_ENV))
		return;
	if (sys_rseq(&fresh, 64, 0, ABI_RSEQ_SIG))
		_exit(20 + (errno & 0x3f));
	if ((int)fresh.cpu_id != abi_cur_cpu())
		_exit(3);
	_exit(0);
}

/* G6: fork */
static int fork_child_inherits(void *arg)
{
	uint32_t len = (uintptr_t)arg;

	/* identical registration: EBUSY, i.e. still registered */
	if (sys_rseq(&area, len, 0, ABI_RSEQ_SIG) != -1 || errno != EBUSY)
		return 1;
	if (sys_rseq(&area, len, 0, ABI_RSEQ_SIG + 1) != -1 || errno != EPERM)
		return 2;
	if ((int)area.cpu_id != abi_cur_cpu() || area.cpu_id_start != area.cpu_id)
		return 3;
	if (sys_rseq(&area, len, ABI_FLAG_UNREGISTER, ABI_RSEQ_SIG))
		return 4;
	if (area.cpu_id != ABI_CPU_ID_UNINITIALIZED)
		return 5;
	return 0;
}

static void check_fork(struct __test_metadata *_metadata, uint32_t len)
{
	int st;

	ASSERT_EQ(sys_rseq(&area, len, 0, ABI_RSEQ_SIG), 0);
	st = abi_run_child(fork_child_inherits, (void *)(uintptr_t)len);
	ASSERT_TRUE(ABI_EXITED_OK(st)) TH_LOG("child status %#x", st);
	/* parent unaffected by the child's unregistration */
	errno = 0;
	ASSERT_EQ(sys_rseq(&area, len, 0, ABI_RSEQ_SIG), -1);
	ASSERT_EQ(errno, EBUSY);
	ASSERT_EQ((int)area.cpu_id, abi_cur_cpu());
}

TEST(fork_child_inherits_legacy_registration)
{
	ABI_REQUIRE_OWN_RSEQ();
	check_fork(_metadata, 32);
}

TEST(fork_child_inherits_v2_registration)
{
	ABI_REQUIRE_OWN_RSEQ();
	check_fork(_metadata, 64);
}

static int v2_mode_probe_child(void *arg)
{
	/* v2 mode is inherited: a read-only violation is detected. */
	area.mm_cid ^= 0x4000;
	abi_failed_exec();
	return 0;
}

TEST(fork_child_inherits_v2_mode)
{
	int st;

	ABI_REQUIRE_OWN_RSEQ();
	ASSERT_EQ(sys_rseq(&area, 64, 0, ABI_RSEQ_SIG), 0);
	st = abi_run_child(v2_mode_probe_child, NULL);
	ASSERT_TRUE(ABI_KILLED_BY_SEGV(st)) TH_LOG("child status %#x", st);
}

/*
 * The fork child's IDs are written on its first return to user space
 * (wake_up_new_task() marks them changed). For v2 that write validates
 * the inherited user values against the inherited kernel cache first.
 */
static int fork_first_return_child(void *arg)
{
	return (int)area.cpu_id_start == abi_cur_cpu() ? 0 : 1;
}

/*
 * The intermediate process makes the violation and forks; it may itself
 * get an ID update while its cpu_id_start is modified (the fork can
 * reschedule it and change its MM CID), so it only reports the child's
 * fate: 10 killed by SIGSEGV, 11 clean exit, 12 other.
 */
static int fork_first_return_parent(void *arg)
{
	uint32_t len = (uintptr_t)arg, real;
	int st;

	if (abi_pin_here() < 0)
		return 20;
	if (sys_rseq(&area, len, 0, ABI_RSEQ_SIG))
		return 21;
	real = area.cpu_id_start;
	area.cpu_id_start = 0x7777;
	st = abi_run_child(fork_first_return_child, NULL);
	area.cpu_id_start = real;
	if (ABI_KILLED_BY_SEGV(st))
		return 10;
	if (ABI_EXITED_OK(st))
		return 11;
	return 12;
}

static void fork_first_return(struct __test_metadata *_metadata, uint32_t len)
{
	int st, tries;

	for (tries = 0; tries < 5; tries++) {
		st = abi_run_child(fork_first_return_parent, (void *)(uintptr_t)len);
		if (ABI_KILLED_BY_SEGV(st))
			continue;	/* the forking process got an update: retry */
		ASSERT_TRUE(WIFEXITED(st)) TH_LOG("status %#x", st);
		ASSERT_EQ(WEXITSTATUS(st), len == 32 ? 11 : 10);
		return;
	}
	ASSERT_TRUE(0) TH_LOG("forking process killed in every attempt");
}

TEST(legacy_fork_child_ids_rewritten_on_first_return)
{
	ABI_REQUIRE_OWN_RSEQ();
	ABI_REQUIRE_DEBUG_OFF();
	fork_first_return(_metadata, 32);
}

TEST(v2_fork_child_validates_inherited_ids_on_first_return)
{
	ABI_REQUIRE_OWN_RSEQ();
	fork_first_return(_metadata, 64);
}

/* G6: threads, vfork and CLONE_VM children start unregistered */
static void *thread_fn(void *arg)
{
	long r[3];

	/* parent's registration is not ours */
	r[0] = sys_rseq(&area, 64, ABI_FLAG_UNREGISTER, ABI_RSEQ_SIG) == -1 &&
	       errno == EINVAL;
	r[1] = sys_rseq(&area2, 64, 0, ABI_RSEQ_SIG) == 0 &&
	       (int)area2.cpu_id == abi_cur_cpu();
	r[2] = sys_rseq(&area2, 64, ABI_FLAG_UNREGISTER, ABI_RSEQ_SIG) == 0;
	return (void *)(r[0] | r[1] << 1 | r[2] << 2);
}

TEST(thread_starts_unregistered)
{
	pthread_t t;
	void *res;

	ABI_REQUIRE_OWN_RSEQ();
	ASSERT_EQ(sys_rseq(&area, 64, 0, ABI_RSEQ_SIG), 0);
	ASSERT_EQ(pthread_create(&t, NULL, thread_fn, NULL), 0);
	ASSERT_EQ(pthread_join(t, &res), 0);
	ASSERT_EQ((uintptr_t)res, 7);
	/* main thread still registered */
	errno = 0;
	ASSERT_EQ(sys_rseq(&area, 64, 0, ABI_RSEQ_SIG), -1);
	ASSERT_EQ(errno, EBUSY);
}

TEST(vfork_child_starts_unregistered)
{
	volatile int r_unreg = -1, r_reg = -1;
	int st;
	pid_t pid;

	ABI_REQUIRE_OWN_RSEQ();
	ASSERT_EQ(sys_rseq(&area, 64, 0, ABI_RSEQ_SIG), 0);
	pid = vfork();
	if (pid == 0) {
		long r = syscall(__NR_rseq, &area, 64, ABI_FLAG_UNREGISTER, ABI_RSEQ_SIG);

		r_unreg = r == -1 ? errno : 0;
		r = syscall(__NR_rseq, &area2, 64, 0, ABI_RSEQ_SIG);
		r_reg = r == -1 ? errno : 0;
		_exit(0);
	}
	ASSERT_GT(pid, 0);
	ASSERT_EQ(waitpid(pid, &st, 0), pid);
	ASSERT_EQ(r_unreg, EINVAL);
	ASSERT_EQ(r_reg, 0);
	errno = 0;
	ASSERT_EQ(sys_rseq(&area, 64, 0, ABI_RSEQ_SIG), -1);
	ASSERT_EQ(errno, EBUSY);
}

static volatile int clone_res[2];

static int clone_vm_fn(void *arg)
{
	long r = syscall(__NR_rseq, &area, 64, ABI_FLAG_UNREGISTER, ABI_RSEQ_SIG);

	clone_res[0] = r == -1 ? errno : 0;
	r = syscall(__NR_rseq, &area2, 64, 0, ABI_RSEQ_SIG);
	clone_res[1] = r == -1 ? errno : 0;
	return 0;
}

TEST(clone_vm_process_starts_unregistered)
{
	static char stack[65536] __aligned(16);
	int st;
	pid_t pid;

	ABI_REQUIRE_OWN_RSEQ();
	ASSERT_EQ(sys_rseq(&area, 64, 0, ABI_RSEQ_SIG), 0);
	clone_res[0] = -1;
	clone_res[1] = -1;
	pid = clone(clone_vm_fn, stack + sizeof(stack), CLONE_VM | SIGCHLD, NULL);
	ASSERT_GT(pid, 0);
	ASSERT_EQ(waitpid(pid, &st, 0), pid);
	ASSERT_TRUE(ABI_EXITED_OK(st));
	ASSERT_EQ(clone_res[0], EINVAL);
	ASSERT_EQ(clone_res[1], 0);
}

/* G6: exec */
static int exec_self_child(void *arg)
{
	static char * const argv[] = { "abi_lifecycle_test", NULL };
	static char * const envp[] = { EXEC_CHILD_ENV "=1",
				       "GLIBC_TUNABLES=glibc.pthread.rseq=0", NULL };

	if (sys_rseq(&area, (uintptr_t)arg, 0, ABI_RSEQ_SIG))
		return 50;
	execve("/proc/self/exe", argv, envp);
	return 51;
}

TEST(exec_resets_registration_legacy)
{
	int st;

	ABI_REQUIRE_OWN_RSEQ();
	st = abi_run_child(exec_self_child, (void *)32);
	ASSERT_TRUE(WIFEXITED(st));
	ASSERT_EQ(WEXITSTATUS(st), 0);
}

TEST(exec_resets_registration_v2)
{
	int st;

	ABI_REQUIRE_OWN_RSEQ();
	st = abi_run_child(exec_self_child, (void *)64);
	ASSERT_TRUE(WIFEXITED(st));
	ASSERT_EQ(WEXITSTATUS(st), 0);
}

/* G6: failed exec forces an ID update; a pre-bprm failure does not. */
static int failed_exec_v2_child(void *arg)
{
	if (abi_pin_here() < 0)
		return 40;
	if (sys_rseq(&area, 64, 0, ABI_RSEQ_SIG))
		return 41;
	area.cpu_id_start = 0x7777;
	if (abi_failed_exec() != ENOEXEC)
		return 42;
	return 43;	/* survived: no ID update was forced */
}

TEST(failed_exec_enoexec_forces_id_update_v2)
{
	int st;

	ABI_REQUIRE_OWN_RSEQ();
	st = abi_run_child(failed_exec_v2_child, NULL);
	ASSERT_TRUE(ABI_KILLED_BY_SEGV(st)) TH_LOG("child status %#x", st);
}

static int enoent_exec_v2_child(void *arg)
{
	static char * const argv[] = { "x", NULL };
	uint32_t saved;

	if (abi_pin_here() < 0)
		return 40;
	if (sys_rseq(&area, 64, 0, ABI_RSEQ_SIG))
		return 41;
	saved = area.cpu_id_start;
	area.cpu_id_start = 0x7777;
	execve("/nonexistent/rseq-abi", argv, NULL);
	if (errno != ENOENT)
		return 42;
	area.cpu_id_start = saved;
	/* a forced update now must pass the read-only check */
	if (abi_failed_exec() != ENOEXEC)
		return 43;
	return 0;
}

TEST(failed_exec_enoent_does_not_force_update_v2)
{
	int st;

	ABI_REQUIRE_OWN_RSEQ();
	st = abi_run_child(enoent_exec_v2_child, NULL);
	ASSERT_TRUE(ABI_EXITED_OK(st)) TH_LOG("child status %#x", st);
}

TEST(failed_exec_legacy_rewrites_ids)
{
	ABI_REQUIRE_OWN_RSEQ();
	ABI_REQUIRE_DEBUG_OFF();
	ASSERT_EQ(sys_rseq(&area, 32, 0, ABI_RSEQ_SIG), 0);
	area.cpu_id_start = 0x7777;
	area.cpu_id = 0x7777;
	ASSERT_EQ(abi_failed_exec(), ENOEXEC);
	ASSERT_EQ((int)area.cpu_id, abi_cur_cpu());
	ASSERT_EQ(area.cpu_id_start, area.cpu_id);
	/* still registered after the failed exec */
	errno = 0;
	ASSERT_EQ(sys_rseq(&area, 32, 0, ABI_RSEQ_SIG), -1);
	ASSERT_EQ(errno, EBUSY);
}

/* G27: PTRACE_GET_RSEQ_CONFIGURATION */
static pid_t start_traced_child(uint32_t len, uint32_t sig, bool reg)
{
	pid_t pid = fork();

	if (pid == 0) {
		if (ptrace(PTRACE_TRACEME, 0, 0, 0))
			_exit(1);
		if (reg && sys_rseq(&area, len, 0, sig))
			_exit(2);
		raise(SIGSTOP);
		_exit(0);
	}
	return pid;
}

static void check_ptrace_conf(struct __test_metadata *_metadata, uint32_t len,
			      uint32_t sig, bool reg)
{
	struct abi_ptrace_rseq_conf conf;
	int st;
	pid_t pid = start_traced_child(len, sig, reg);

	ASSERT_GT(pid, 0);
	ASSERT_EQ(waitpid(pid, &st, 0), pid);
	ASSERT_TRUE(WIFSTOPPED(st)) TH_LOG("status %#x", st);

	memset(&conf, 0xcc, sizeof(conf));
	ASSERT_EQ(ptrace(PTRACE_GET_RSEQ_CONFIGURATION, pid, sizeof(conf), &conf),
		  sizeof(conf));
	ASSERT_EQ(conf.rseq_abi_pointer, reg ? (uintptr_t)&area : 0);
	ASSERT_EQ(conf.rseq_abi_size, reg ? len : 0);
	ASSERT_EQ(conf.signature, reg ? sig : 0);
	ASSERT_EQ(conf.flags, 0);
	ASSERT_EQ(conf.pad, 0);

	/* truncated copy: returns full size, copies only what fits */
	memset(&conf, 0xcc, sizeof(conf));
	ASSERT_EQ(ptrace(PTRACE_GET_RSEQ_CONFIGURATION, pid, 8, &conf), sizeof(conf));
	ASSERT_EQ(conf.rseq_abi_pointer, reg ? (uintptr_t)&area : 0);
	ASSERT_EQ(conf.rseq_abi_size, 0xccccccccU);
	ASSERT_EQ(conf.signature, 0xccccccccU);

	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
}

TEST(ptrace_rseq_config_legacy)
{
	ABI_REQUIRE_OWN_RSEQ();
	check_ptrace_conf(_metadata, 32, ABI_RSEQ_SIG, true);
}

TEST(ptrace_rseq_config_v2_flags_zero)
{
	ABI_REQUIRE_OWN_RSEQ();
	check_ptrace_conf(_metadata, 64, 0xabcdef01, true);
}

TEST(ptrace_rseq_config_unregistered_is_zero)
{
	ABI_REQUIRE_OWN_RSEQ();
	check_ptrace_conf(_metadata, 0, 0, false);
}

TEST(ptrace_rseq_config_of_fork_child_matches_parent)
{
	struct abi_ptrace_rseq_conf conf;
	int st;
	pid_t pid;

	ABI_REQUIRE_OWN_RSEQ();
	ASSERT_EQ(sys_rseq(&area, 64, 0, 0x12345678), 0);
	pid = start_traced_child(0, 0, false);
	ASSERT_GT(pid, 0);
	ASSERT_EQ(waitpid(pid, &st, 0), pid);
	ASSERT_TRUE(WIFSTOPPED(st));
	ASSERT_EQ(ptrace(PTRACE_GET_RSEQ_CONFIGURATION, pid, sizeof(conf), &conf),
		  sizeof(conf));
	ASSERT_EQ(conf.rseq_abi_pointer, (uintptr_t)&area);
	ASSERT_EQ(conf.rseq_abi_size, 64);
	ASSERT_EQ(conf.signature, 0x12345678);
	ASSERT_EQ(conf.flags, 0);
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
}

TEST_HARNESS_MAIN
