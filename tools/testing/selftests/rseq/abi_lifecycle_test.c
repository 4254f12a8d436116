// SPDX-License-Identifier: GPL-2.0
/*
 * rseq ABI: registration across fork, thread creation, vfork, CLONE_VM,
 * successful and failed execve, and PTRACE_GET_RSEQ_CONFIGURATION.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sys/ptrace.h>

#include "abi_util.h"

#include "../kselftest_harness.h"

#define EXEC_CHILD_ENV	"RSEQ_ABI_EXEC_CHILD"

static struct rseq area __aligned(ABI_RSEQ_ALIGN);
static struct rseq area2 __aligned(ABI_RSEQ_ALIGN);

/*
 * When re-executed by the exec test, check that the new image starts
 * unregistered: a fresh registration must succeed and get the IDs. The
 * new image has no harness: it says what failed and exits 1.
 */
__attribute__((constructor)) static void exec_child_check(void)
{
	static struct rseq fresh __aligned(ABI_RSEQ_ALIGN);

	if (!getenv(EXEC_CHILD_ENV))
		return;
	if (sys_rseq(&fresh, 64, 0, ABI_RSEQ_SIG)) {
		printf("# exec child: registration failed: %s\n", strerror(errno));
		_exit(1);
	}
	if ((int)fresh.cpu_id != abi_cur_cpu()) {
		printf("# exec child: cpu_id %u, running on CPU %d\n",
		       fresh.cpu_id, abi_cur_cpu());
		_exit(1);
	}
	_exit(0);
}

/* Fork */
static void fork_child_inherits(struct __test_metadata *_metadata, void *arg)
{
	uint32_t len = (uintptr_t)arg;

	/* identical registration: EBUSY, i.e. still registered */
	ASSERT_EQ(sys_rseq(&area, len, 0, ABI_RSEQ_SIG), -1);
	ASSERT_EQ(errno, EBUSY);
	ASSERT_EQ(sys_rseq(&area, len, 0, ABI_RSEQ_SIG + 1), -1);
	ASSERT_EQ(errno, EPERM);
	ASSERT_EQ((int)area.cpu_id, abi_cur_cpu());
	ASSERT_EQ(area.cpu_id_start, area.cpu_id);
	ASSERT_EQ(sys_rseq(&area, len, RSEQ_FLAG_UNREGISTER, ABI_RSEQ_SIG), 0);
	ASSERT_EQ(area.cpu_id, ABI_CPU_ID_UNINITIALIZED);
}

static void check_fork(struct __test_metadata *_metadata, uint32_t len)
{
	int st;

	ASSERT_EQ(sys_rseq(&area, len, 0, ABI_RSEQ_SIG), 0);
	st = abi_run_child(_metadata, fork_child_inherits, (void *)(uintptr_t)len);
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

static void v2_mode_probe_child(struct __test_metadata *_metadata, void *arg)
{
	/* v2 mode is inherited: a read-only violation is detected. */
	area.mm_cid ^= 0x4000;
	abi_failed_exec();
}

TEST(fork_child_inherits_v2_mode)
{
	int st;

	ABI_REQUIRE_OWN_RSEQ();
	ASSERT_EQ(sys_rseq(&area, 64, 0, ABI_RSEQ_SIG), 0);
	st = abi_run_child(_metadata, v2_mode_probe_child, NULL);
	ASSERT_TRUE(ABI_KILLED_BY_SEGV(st)) TH_LOG("child status %#x", st);
}

/*
 * The fork child's IDs are written on its first return to user space
 * (wake_up_new_task() marks them changed). For v2 that write validates
 * the inherited user values against the inherited kernel cache first.
 */
static void fork_first_return_child(struct __test_metadata *_metadata, void *arg)
{
	ASSERT_EQ((int)area.cpu_id_start, abi_cur_cpu());
}

/*
 * The intermediate process makes the violation and forks; it may itself
 * get an ID update while its cpu_id_start is modified (the fork can
 * reschedule it and change its MM CID) and die by SIGSEGV itself, which
 * the caller retries. It checks the child's fate: a legacy child finds
 * its IDs rewritten, a v2 child is killed.
 */
static void fork_first_return_parent(struct __test_metadata *_metadata, void *arg)
{
	uint32_t len = (uintptr_t)arg, real;
	int st;

	ASSERT_GE(abi_pin_here(), 0);
	ASSERT_EQ(sys_rseq(&area, len, 0, ABI_RSEQ_SIG), 0);
	real = area.cpu_id_start;
	area.cpu_id_start = 0x7777;
	st = abi_run_child(_metadata, fork_first_return_child, NULL);
	area.cpu_id_start = real;
	/* legacy: the IDs were rewritten; v2: the child was killed */
	ASSERT_TRUE(len == 32 ? ABI_EXITED_OK(st) : ABI_KILLED_BY_SEGV(st))
		TH_LOG("%s child status %#x", len == 32 ? "legacy" : "v2", st);
}

static void fork_first_return(struct __test_metadata *_metadata, uint32_t len)
{
	int st, tries;

	for (tries = 0; tries < 5; tries++) {
		st = abi_run_child(_metadata, fork_first_return_parent, (void *)(uintptr_t)len);
		if (ABI_KILLED_BY_SEGV(st))
			continue;	/* the forking process got an update: retry */
		ASSERT_TRUE(ABI_EXITED_OK(st)) TH_LOG("status %#x", st);
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

/* Threads, vfork and CLONE_VM children start unregistered */
static void *thread_fn(void *arg)
{
	long r[3];

	/* parent's registration is not ours */
	r[0] = sys_rseq(&area, 64, RSEQ_FLAG_UNREGISTER, ABI_RSEQ_SIG) == -1 &&
	       errno == EINVAL;
	r[1] = sys_rseq(&area2, 64, 0, ABI_RSEQ_SIG) == 0 &&
	       (int)area2.cpu_id == abi_cur_cpu();
	r[2] = sys_rseq(&area2, 64, RSEQ_FLAG_UNREGISTER, ABI_RSEQ_SIG) == 0;
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

/* Static: the vfork child writes them, the parent reads them afterwards. */
static atomic_int r_unreg, r_reg;

TEST(vfork_child_starts_unregistered)
{
	int st;
	pid_t pid;

	ABI_REQUIRE_OWN_RSEQ();
	atomic_store(&r_unreg, -1);
	atomic_store(&r_reg, -1);
	ASSERT_EQ(sys_rseq(&area, 64, 0, ABI_RSEQ_SIG), 0);
	pid = vfork();
	if (pid == 0) {
		long r = syscall(__NR_rseq, &area, 64, RSEQ_FLAG_UNREGISTER, ABI_RSEQ_SIG);

		r_unreg = r == -1 ? errno : 0;
		r = syscall(__NR_rseq, &area2, 64, 0, ABI_RSEQ_SIG);
		r_reg = r == -1 ? errno : 0;
		_exit(0);
	}
	ASSERT_GT(pid, 0);
	ASSERT_EQ(waitpid(pid, &st, 0), pid);
	ASSERT_EQ(atomic_load(&r_unreg), EINVAL);
	ASSERT_EQ(atomic_load(&r_reg), 0);
	errno = 0;
	ASSERT_EQ(sys_rseq(&area, 64, 0, ABI_RSEQ_SIG), -1);
	ASSERT_EQ(errno, EBUSY);
}

static atomic_int clone_res[2];

static int clone_vm_fn(void *arg)
{
	long r = syscall(__NR_rseq, &area, 64, RSEQ_FLAG_UNREGISTER, ABI_RSEQ_SIG);

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
	ASSERT_EQ(atomic_load(&clone_res[0]), EINVAL);
	ASSERT_EQ(atomic_load(&clone_res[1]), 0);
}

/* Exec */
static void exec_self_child(struct __test_metadata *_metadata, void *arg)
{
	static char * const argv[] = { "abi_lifecycle_test", NULL };
	static char * const envp[] = { EXEC_CHILD_ENV "=1",
				       "GLIBC_TUNABLES=glibc.pthread.rseq=0", NULL };

	ASSERT_EQ(sys_rseq(&area, (uintptr_t)arg, 0, ABI_RSEQ_SIG), 0);
	execve("/proc/self/exe", argv, envp);
	ASSERT_TRUE(0) TH_LOG("execve: %s", strerror(errno));
}

TEST(exec_resets_registration_legacy)
{
	int st;

	ABI_REQUIRE_OWN_RSEQ();
	st = abi_run_child(_metadata, exec_self_child, (void *)32);
	ASSERT_TRUE(ABI_EXITED_OK(st)) TH_LOG("child status %#x", st);
}

TEST(exec_resets_registration_v2)
{
	int st;

	ABI_REQUIRE_OWN_RSEQ();
	st = abi_run_child(_metadata, exec_self_child, (void *)64);
	ASSERT_TRUE(ABI_EXITED_OK(st)) TH_LOG("child status %#x", st);
}

/* Failed exec forces an ID update; a pre-bprm failure does not. */
static void failed_exec_v2_child(struct __test_metadata *_metadata, void *arg)
{
	ASSERT_GE(abi_pin_here(), 0);
	ASSERT_EQ(sys_rseq(&area, 64, 0, ABI_RSEQ_SIG), 0);
	area.cpu_id_start = 0x7777;
	ASSERT_EQ(abi_failed_exec(), ENOEXEC);
	/* survived (the parent sees exit 0, not SIGSEGV): no ID update was forced */
}

TEST(failed_exec_enoexec_forces_id_update_v2)
{
	int st;

	ABI_REQUIRE_OWN_RSEQ();
	st = abi_run_child(_metadata, failed_exec_v2_child, NULL);
	ASSERT_TRUE(ABI_KILLED_BY_SEGV(st)) TH_LOG("child status %#x", st);
}

static void enoent_exec_v2_child(struct __test_metadata *_metadata, void *arg)
{
	static char * const argv[] = { "x", NULL };
	uint32_t saved;

	ASSERT_GE(abi_pin_here(), 0);
	ASSERT_EQ(sys_rseq(&area, 64, 0, ABI_RSEQ_SIG), 0);
	saved = area.cpu_id_start;
	area.cpu_id_start = 0x7777;
	execve("/nonexistent/rseq-abi", argv, NULL);
	ASSERT_EQ(errno, ENOENT);
	area.cpu_id_start = saved;
	/* a forced update now must pass the read-only check */
	ASSERT_EQ(abi_failed_exec(), ENOEXEC);
}

TEST(failed_exec_enoent_does_not_force_update_v2)
{
	int st;

	ABI_REQUIRE_OWN_RSEQ();
	st = abi_run_child(_metadata, enoent_exec_v2_child, NULL);
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

/* PTRACE_GET_RSEQ_CONFIGURATION */
/* A child that registers (if @reg) and stops for its tracer. */
static pid_t start_traced_child(struct __test_metadata *_metadata, uint32_t len,
				uint32_t sig, bool reg)
{
	pid_t pid = fork();

	if (pid == 0) {
		ASSERT_EQ(ptrace(PTRACE_TRACEME, 0, 0, 0), 0);
		if (reg)
			ASSERT_EQ(sys_rseq(&area, len, 0, sig), 0);
		raise(SIGSTOP);
		_exit(0);
	}
	return pid;
}

static void check_ptrace_conf(struct __test_metadata *_metadata, uint32_t len,
			      uint32_t sig, bool reg)
{
	struct __ptrace_rseq_configuration conf;
	int st;
	pid_t pid = start_traced_child(_metadata, len, sig, reg);

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
	struct __ptrace_rseq_configuration conf;
	int st;
	pid_t pid;

	ABI_REQUIRE_OWN_RSEQ();
	ASSERT_EQ(sys_rseq(&area, 64, 0, 0x12345678), 0);
	pid = start_traced_child(_metadata, 0, 0, false);
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
