// SPDX-License-Identifier: GPL-2.0
/*
 * rseq ABI: the values of node_id and mm_cid, in legacy and v2 mode.
 *
 * node_id must be the NUMA node that sysfs reports for cpu_id, after
 * registration and after every migration.
 *
 * mm_cid is a concurrency ID: the scheduler hands out IDs below
 * max_cids = min(opt + opt / 4, num_possible_cpus()), where
 * opt = min(CPUs allowed for the mm, tasks using the mm). The CPUs
 * allowed for an mm start as its first task's affinity and only grow.
 * While there are no more users than max_cids, each task owns its ID
 * (the first user gets 0, the next the lowest free one); beyond that
 * the IDs belong to the CPUs. When the bound shrinks, a task's ID
 * converges into it at its next schedule-in, and v2 registrations get
 * the new ID written even though the task did not migrate. exec()
 * starts a new mm whose only user has ID 0.
 *
 * The tests need two CPUs, CPUs on two NUMA nodes for node_id (the lab
 * boots with numa=fake=2), and CONFIG_SCHED_MM_CID for mm_cid (without
 * it mm_cid is the CPU number); each skips, saying why, otherwise.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <pthread.h>
#include <stdatomic.h>

#include "abi_util.h"

#include "../kselftest_harness.h"

#define IDS_EXEC_ARG	"--abi-ids-exec-child"
#define IDS_MAX_NODES	64

/* Every thread registers its own area. */
static __thread struct rseq tls_area __aligned(ABI_RSEQ_ALIGN);

static int reg_self(uint32_t len)
{
	return sys_rseq(&tls_area, len, 0, ABI_RSEQ_SIG) ? -errno : 0;
}

static uint32_t my_cid(void)
{
	return READ_ONCE(tls_area.mm_cid);
}

static uint32_t my_cpu(void)
{
	return READ_ONCE(tls_area.cpu_id);
}

/* Pin the calling thread to @cpu and return once it runs there. */
static int go_to(int cpu)
{
	if (abi_pin(cpu))
		return -1;
	while (abi_cur_cpu() != cpu)
		sched_yield();
	return 0;
}

/* The NUMA node of @cpu according to sysfs, or -1. */
static int sysfs_node_of(int cpu)
{
	char path[96];
	int node;

	for (node = 0; node < IDS_MAX_NODES; node++) {
		snprintf(path, sizeof(path), "/sys/devices/system/node/node%d/cpu%d", node, cpu);
		if (!access(path, F_OK))
			return node;
	}
	return -1;
}

/* Number of CPUs in a sysfs CPU list ("0-1,4"), or -1. */
static int sysfs_cpu_count(const char *path)
{
	char buf[256], *tok, *save;
	int n = 0, a, b, r;

	if (abi_read_file(path, buf, sizeof(buf)) <= 0)
		return -1;
	for (tok = strtok_r(buf, ",\n", &save); tok; tok = strtok_r(NULL, ",\n", &save)) {
		r = sscanf(tok, "%d-%d", &a, &b);
		switch (r) {
		case 1:
			n++;
			break;
		case 2:
			n += b - a + 1;
			break;
		default:
			return -1;
		}
	}
	return n;
}

/* The first two CPUs this thread may run on: *@a and *@b. */
static bool two_cpus(int *a, int *b)
{
	*a = abi_nth_allowed_cpu(0);
	*b = abi_nth_allowed_cpu(1);
	return *a >= 0 && *b >= 0;
}

#define REQUIRE_MM_CID(a, b) do {					\
	if (abi_kconfig_enabled("CONFIG_SCHED_MM_CID") == 0)		\
		SKIP(return, "kernel without CONFIG_SCHED_MM_CID: mm_cid is the CPU number"); \
	if (!two_cpus(a, b))						\
		SKIP(return, "needs 2 CPUs to tell mm_cid from the CPU number"); \
} while (0)

/* Results that outlive a child process. */
static void *shared_page(void)
{
	void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

/*
 * The bound on mm_cid for @users tasks of an mm allowed on @allowed
 * CPUs, as the scheduler computes it.
 */
static unsigned int max_cids(unsigned int users, unsigned int allowed)
{
	unsigned int opt = users < allowed ? users : allowed;
	unsigned int max = opt + opt / 4;
	int possible = sysfs_cpu_count("/sys/devices/system/cpu/possible");

	if (possible > 0 && max > (unsigned int)possible)
		max = possible;
	return max;
}

FIXTURE(ids) {
	int cpu_a, cpu_b;
	unsigned int allowed;	/* CPUs allowed for the test's mm */
};

FIXTURE_VARIANT(ids) {
	uint32_t len;
};

FIXTURE_VARIANT_ADD(ids, legacy) {
	.len = 32,
};

FIXTURE_VARIANT_ADD(ids, v2) {
	.len = sizeof(struct rseq),
};

FIXTURE_SETUP(ids)
{
	ABI_REQUIRE_OWN_RSEQ();
	self->cpu_a = abi_nth_allowed_cpu(0);
	self->cpu_b = abi_nth_allowed_cpu(1);
	self->allowed = abi_nr_allowed_cpus();
}

FIXTURE_TEARDOWN(ids)
{
}

TEST_F(ids, node_id_is_node_of_cpu_id)
{
	int cpus[CPU_SETSIZE], n = 0, i, cpu, here, node0;
	bool two_nodes = false;

	for (cpu = abi_nth_allowed_cpu(n); cpu >= 0; cpu = abi_nth_allowed_cpu(++n))
		cpus[n] = cpu;
	node0 = sysfs_node_of(cpus[0]);
	for (i = 1; i < n; i++)
		two_nodes |= sysfs_node_of(cpus[i]) != node0;
	if (node0 < 0 || !two_nodes)
		SKIP(return, "allowed CPUs not on two NUMA nodes (CONFIG_NUMA, numa=fake=2)");

	here = abi_pin_here();
	ASSERT_GE(here, 0);
	ASSERT_EQ(reg_self(variant->len), 0);
	/* Registration writes the IDs of the CPU the task runs on. */
	EXPECT_EQ(my_cpu(), (uint32_t)here);
	EXPECT_EQ(tls_area.node_id, (uint32_t)sysfs_node_of(here));
	for (i = 0; i < 2 * n; i++) {
		cpu = cpus[i % n];
		ASSERT_EQ(go_to(cpu), 0);
		ASSERT_EQ(my_cpu(), (uint32_t)cpu);
		ASSERT_EQ(tls_area.cpu_id_start, (uint32_t)cpu);
		ASSERT_EQ(tls_area.node_id, (uint32_t)sysfs_node_of(cpu))
			TH_LOG("after migrating to CPU %d", cpu);
	}
}

/* One user: max_cids is 1, so the only ID is 0 on every CPU. */
TEST_F(ids, mm_cid_single_thread_is_zero)
{
	int cpu, n;

	REQUIRE_MM_CID(&self->cpu_a, &self->cpu_b);
	ASSERT_EQ(max_cids(1, self->allowed), 1U);
	ASSERT_EQ(reg_self(variant->len), 0);
	for (n = 0; n < 4; n++) {
		cpu = n % 2 ? self->cpu_b : self->cpu_a;
		ASSERT_EQ(go_to(cpu), 0);
		ASSERT_EQ(my_cpu(), (uint32_t)cpu);
		ASSERT_EQ(my_cid(), 0U) TH_LOG("single-threaded on CPU %d", cpu);
	}
}

/* A thread that registers on @cpu and records its IDs while its peers run. */
struct peer {
	int cpu;
	uint32_t len;
	atomic_int *ready;	/* shared count of threads that got their IDs */
	int total;		/* threads to wait for */
	int err;
	uint32_t cid, cpu_id;
};

static void *peer_thread(void *p)
{
	struct peer *pe = p;

	if (go_to(pe->cpu) || reg_self(pe->len)) {
		pe->err = errno ? errno : EINVAL;
		atomic_fetch_add(pe->ready, 1);
		return NULL;
	}
	atomic_fetch_add(pe->ready, 1);
	/* Spin, so that all peers run at the same time. */
	while (atomic_load(pe->ready) < pe->total)
		;
	pe->cid = my_cid();
	pe->cpu_id = my_cpu();
	return NULL;
}

/*
 * Two users of an mm allowed on two CPUs: max_cids is 2 and each task
 * owns its ID, the first user 0 and the second 1, wherever they run.
 */
TEST_F(ids, mm_cid_two_threads_own_distinct_ids)
{
	atomic_int ready = 0;
	struct peer t = { .len = variant->len, .ready = &ready, .total = 2 };
	pthread_t th;

	REQUIRE_MM_CID(&self->cpu_a, &self->cpu_b);
	ASSERT_EQ(max_cids(2, self->allowed), 2U);
	/* The first user on the second CPU: its ID is not the CPU number. */
	ASSERT_EQ(go_to(self->cpu_b), 0);
	ASSERT_EQ(reg_self(variant->len), 0);
	ASSERT_EQ(my_cid(), 0U);
	t.cpu = self->cpu_a;
	ASSERT_EQ(pthread_create(&th, NULL, peer_thread, &t), 0);
	atomic_fetch_add(&ready, 1);
	while (atomic_load(&ready) < 2)
		;
	EXPECT_EQ(my_cid(), 0U);
	EXPECT_EQ(my_cpu(), (uint32_t)self->cpu_b);
	pthread_join(th, NULL);
	ASSERT_EQ(t.err, 0);
	EXPECT_EQ(t.cpu_id, (uint32_t)self->cpu_a);
	EXPECT_EQ(t.cid, 1U) TH_LOG("second user of the mm");
}

/*
 * Three users on two CPUs: more users than max_cids (2), so the IDs
 * belong to the CPUs. Threads running at the same time on different
 * CPUs hold different IDs below max_cids.
 */
TEST_F(ids, mm_cid_concurrent_threads_hold_distinct_ids)
{
	atomic_int ready = 0;
	struct peer t[2];
	pthread_t th[2];
	int i, round;

	REQUIRE_MM_CID(&self->cpu_a, &self->cpu_b);
	for (round = 0; round < 5; round++) {
		atomic_store(&ready, 0);
		for (i = 0; i < 2; i++) {
			t[i] = (struct peer){
				.cpu = i ? self->cpu_b : self->cpu_a,
				.len = variant->len, .ready = &ready, .total = 2,
			};
			ASSERT_EQ(pthread_create(&th[i], NULL, peer_thread, &t[i]), 0);
		}
		for (i = 0; i < 2; i++) {
			pthread_join(th[i], NULL);
			ASSERT_EQ(t[i].err, 0);
			ASSERT_EQ(t[i].cpu_id, (uint32_t)t[i].cpu);
			ASSERT_LT(t[i].cid, max_cids(3, self->allowed))
				TH_LOG("round %d thread %d", round, i);
		}
		ASSERT_NE(t[0].cid, t[1].cid) TH_LOG("round %d: both hold %u", round, t[0].cid);
	}
}

static void *idle_peer(void *p)
{
	struct peer *pe = p;

	if (reg_self(pe->len))
		pe->err = errno;
	pe->cid = my_cid();
	pe->cpu_id = my_cpu();
	return NULL;
}

/*
 * An mm whose tasks may only run on one CPU: max_cids is 1, so two
 * threads of it both read ID 0, on a CPU other than CPU 0.
 */
static void one_cpu_child(struct __test_metadata *_metadata, void *arg)
{
	uint32_t *res = arg, len = res[0];
	struct peer t = { .len = len };
	pthread_t th;

	ASSERT_EQ(reg_self(len), 0);
	ASSERT_EQ(pthread_create(&th, NULL, idle_peer, &t), 0);
	pthread_join(th, NULL);
	ASSERT_EQ(t.err, 0);
	/* The main thread schedules in after the join: converged too. */
	usleep(1000);
	res[1] = my_cid();
	res[2] = t.cid;
	res[3] = my_cpu();
	res[4] = t.cpu_id;
}

TEST_F(ids, mm_cid_one_allowed_cpu_gives_zero)
{
	uint32_t *res = shared_page();
	int st;

	REQUIRE_MM_CID(&self->cpu_a, &self->cpu_b);
	ASSERT_NE(res, NULL);
	ASSERT_EQ(max_cids(2, 1), 1U);
	res[0] = variant->len;
	/* The child's mm starts with the CPUs its first task may use. */
	ASSERT_EQ(go_to(self->cpu_b), 0);
	st = abi_run_child(_metadata, one_cpu_child, res);
	ASSERT_TRUE(ABI_EXITED_OK(st)) TH_LOG("child status %#x", st);
	EXPECT_EQ(res[3], (uint32_t)self->cpu_b);
	EXPECT_EQ(res[4], (uint32_t)self->cpu_b);
	EXPECT_EQ(res[1], 0U) TH_LOG("main thread");
	EXPECT_EQ(res[2], 0U) TH_LOG("second thread");
	munmap(res, 4096);
}

/*
 * Sibling exit: the second user (ID 1) stays on its CPU while the first
 * user exits. max_cids drops to 1 and the survivor's ID converges to 0
 * at a later schedule-in, without a migration.
 */
struct converge {
	struct __test_metadata *metadata;	/* the survivor asserts */
	uint32_t len;
	int cpu;
	atomic_int phase;
	pid_t leader;
	uint32_t before, after, cpu_before, cpu_after;
	int sleeps;
};

static bool leader_is_zombie(pid_t pid)
{
	char path[64], buf[256], *p;

	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", pid);
	if (abi_read_file(path, buf, sizeof(buf)) <= 0)
		return true;
	p = strrchr(buf, ')');
	return p && (p[2] == 'Z' || p[2] == 'X');
}

static void *survivor(void *arg)
{
	struct converge *c = arg;
	struct __test_metadata *_metadata = c->metadata;
	struct timespec ms = { 0, 1000000 };

	ASSERT_EQ(go_to(c->cpu), 0);
	ASSERT_EQ(reg_self(c->len), 0);
	c->before = my_cid();
	c->cpu_before = my_cpu();
	atomic_store(&c->phase, 1);
	while (!leader_is_zombie(c->leader))
		sched_yield();
	for (c->sleeps = 1; c->sleeps <= 200; c->sleeps++) {
		nanosleep(&ms, NULL);
		if (my_cid() != c->before)
			break;
	}
	c->after = my_cid();
	c->cpu_after = my_cpu();
	/* no migration */
	ASSERT_EQ(abi_cur_cpu(), c->cpu);
	exit(0);
}

static void converge_child(struct __test_metadata *_metadata, void *arg)
{
	struct converge *c = arg;
	pthread_t th;

	c->metadata = _metadata;
	c->leader = getpid();
	ASSERT_EQ(pthread_create(&th, NULL, survivor, c), 0);
	while (atomic_load(&c->phase) < 1)
		sched_yield();
	/* End only this thread, without glibc's unwinding (libgcc_s). */
	syscall(SYS_exit, 0);
}

TEST_F(ids, mm_cid_converges_after_sibling_exit)
{
	struct converge *c = shared_page();
	int st;

	REQUIRE_MM_CID(&self->cpu_a, &self->cpu_b);
	ASSERT_NE(c, NULL);
	c->len = variant->len;
	c->cpu = self->cpu_b;
	st = abi_run_child(_metadata, converge_child, c);
	ASSERT_TRUE(ABI_EXITED_OK(st)) TH_LOG("child status %#x", st);
	EXPECT_EQ(c->before, 1U) TH_LOG("second user of the mm");
	EXPECT_EQ(c->cpu_before, (uint32_t)self->cpu_b);
	/* No migration, yet the new ID was written. */
	EXPECT_EQ(c->cpu_after, (uint32_t)self->cpu_b);
	EXPECT_EQ(c->after, 0U) TH_LOG("after %d sleeps", c->sleeps);
	munmap(c, 4096);
}

/*
 * exec() from a thread that holds ID 1: the new program's mm has a
 * single user, ID 0.
 */
struct exec_res {
	struct __test_metadata *metadata;	/* the exec thread asserts */
	uint32_t len;
	int cpu;
	int shm_fd;
	uint32_t before, cpu_before;
	uint32_t after, cpu_after;
	int exec_err, child_err;
};

static void *exec_thread(void *arg)
{
	struct exec_res *r = arg;
	struct __test_metadata *_metadata = r->metadata;
	char fd_arg[16];
	char *const argv[] = { "abi_ids_test", IDS_EXEC_ARG, fd_arg, NULL };

	ASSERT_EQ(go_to(r->cpu), 0);
	ASSERT_EQ(reg_self(r->len), 0);
	r->before = my_cid();
	r->cpu_before = my_cpu();
	snprintf(fd_arg, sizeof(fd_arg), "%d", r->shm_fd);
	execv("/proc/self/exe", argv);
	r->exec_err = errno;
	ASSERT_TRUE(0) TH_LOG("execv: %s", strerror(r->exec_err));
	return NULL;
}

static void exec_parent(struct __test_metadata *_metadata, void *arg)
{
	struct exec_res *r = arg;
	pthread_t th;

	r->metadata = _metadata;
	ASSERT_EQ(pthread_create(&th, NULL, exec_thread, r), 0);
	pthread_join(th, NULL);	/* exec() ends this thread */
	ASSERT_TRUE(0) TH_LOG("exec did not replace the process");
}

/*
 * The program started by exec_thread(): report the IDs of its new mm.
 * It has no harness: it says what failed and exits 1.
 */
static int exec_child(int fd)
{
	struct exec_res *r = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

	if (r == MAP_FAILED) {
		printf("# exec child: mmap: %s\n", strerror(errno));
		return 1;
	}
	if (reg_self(r->len)) {
		r->child_err = errno;
		printf("# exec child: registration: %s\n", strerror(errno));
		return 1;
	}
	r->after = my_cid();
	r->cpu_after = my_cpu();
	return 0;
}

TEST_F(ids, mm_cid_restarts_after_exec)
{
	struct exec_res *r;
	int fd, st;

	REQUIRE_MM_CID(&self->cpu_a, &self->cpu_b);
	fd = syscall(SYS_memfd_create, "abi-ids", 0);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(ftruncate(fd, 4096), 0);
	r = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_NE(r, MAP_FAILED);
	r->len = variant->len;
	r->cpu = self->cpu_b;
	r->shm_fd = fd;
	st = abi_run_child(_metadata, exec_parent, r);
	ASSERT_TRUE(ABI_EXITED_OK(st))
		TH_LOG("child status %#x, exec errno %d, rseq errno %d",
		       st, r->exec_err, r->child_err);
	EXPECT_EQ(r->before, 1U) TH_LOG("second user before exec");
	EXPECT_EQ(r->cpu_before, (uint32_t)self->cpu_b);
	EXPECT_EQ(r->cpu_after, (uint32_t)self->cpu_b);
	EXPECT_EQ(r->after, 0U) TH_LOG("only user after exec");
	munmap(r, 4096);
	close(fd);
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], IDS_EXEC_ARG))
		return exec_child(atoi(argv[2]));
	return test_harness_run(argc, argv);
}
