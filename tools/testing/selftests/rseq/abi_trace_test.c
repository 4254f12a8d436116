// SPDX-License-Identifier: GPL-2.0
/*
 * rseq ABI: the rseq:rseq_update and rseq:rseq_ip_fixup tracepoints,
 * root only.
 *
 * Each test records into a tracefs instance of its own, filtered on its
 * own pid, and checks what the events carry against what the kernel
 * wrote into the rseq area or the critical section descriptor:
 *
 *  - rseq_update fires for every ID write: at registration (legacy and
 *    v2), after every context switch of a legacy registration, never
 *    after a v2 sleep on the same CPU, and after a v2 migration, with
 *    the IDs the area shows;
 *  - rseq_ip_fixup fires once per abort with the interrupted IP and the
 *    descriptor's start_ip, post_commit_offset and abort_ip.
 *
 * The kernel needs CONFIG_FTRACE and a tracer that selects TRACING (for
 * example CONFIG_ENABLE_DEFAULT_TRACERS); tracefs is mounted at
 * /sys/kernel/tracing if it is not there yet.
 */
#define _GNU_SOURCE
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/time.h>

#include <linux/sizes.h>

#include "abi_util.h"
#include "abi_cs_asm.h"

#include "../kselftest_harness.h"

#define TRACEFS		"/sys/kernel/tracing"
#define TRACE_BUF_SIZE	SZ_1M
#define MAX_EVENTS	256

static struct rseq area __aligned(ABI_RSEQ_ALIGN);
static struct rseq_cs desc;
static atomic_int sig_count;

struct update_event {
	int cpu_id;
	int node_id;
	int mm_cid;
};

struct fixup_event {
	unsigned long regs_ip;
	unsigned long start_ip;
	unsigned long post_commit_offset;
	unsigned long abort_ip;
};

/* @path = "@dir/@file" */
static void instance_path(char *path, size_t len, const char *dir,
			  const char *file)
{
	snprintf(path, len, "%s/%s", dir, file);
}

static int instance_write(const char *dir, const char *file, const char *s)
{
	char path[256];

	instance_path(path, sizeof(path), dir, file);
	return abi_write_file(path, s);
}

/* Drop what the instance recorded so far. */
static int instance_clear(const char *dir)
{
	char path[256];
	int fd;

	instance_path(path, sizeof(path), dir, "trace");
	fd = open(path, O_WRONLY | O_TRUNC);
	if (fd < 0)
		return -errno;
	close(fd);
	return 0;
}

/* Read the instance's trace file, NUL terminated; NULL on failure. */
static char *instance_read(const char *dir)
{
	char path[256], *buf;
	size_t len = 0;
	ssize_t n;
	int fd;

	instance_path(path, sizeof(path), dir, "trace");
	buf = malloc(TRACE_BUF_SIZE);
	fd = open(path, O_RDONLY);
	if (!buf || fd < 0) {
		free(buf);
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	while (len < TRACE_BUF_SIZE - 1 &&
	       (n = read(fd, buf + len, TRACE_BUF_SIZE - 1 - len)) > 0)
		len += n;
	close(fd);
	buf[len] = 0;
	return buf;
}

/* The fields after the next " @event: " in the trace text @p, or NULL. */
static const char *next_event(const char *p, const char *event)
{
	char key[64];

	snprintf(key, sizeof(key), " %s: ", event);
	p = strstr(p, key);
	return p ? p + strlen(key) : NULL;
}

/* Parse the rseq_update events of @buf; returns how many there were. */
static int parse_updates(const char *buf, struct update_event *ev, int max)
{
	const char *p = buf;
	int n;

	for (n = 0; (p = next_event(p, "rseq_update")); n++) {
		struct update_event e;

		if (sscanf(p, "cpu_id=%d node_id=%d mm_cid=%d",
			   &e.cpu_id, &e.node_id, &e.mm_cid) != 3)
			return -1;
		if (n < max)
			ev[n] = e;
	}
	return n;
}

/* Parse the rseq_ip_fixup events of @buf; returns how many there were. */
static int parse_fixups(const char *buf, struct fixup_event *ev, int max)
{
	const char *p = buf;
	int n;

	for (n = 0; (p = next_event(p, "rseq_ip_fixup")); n++) {
		struct fixup_event e;

		if (sscanf(p, "regs_ip=0x%lx start_ip=0x%lx post_commit_offset=%lu abort_ip=0x%lx",
			   &e.regs_ip, &e.start_ip, &e.post_commit_offset,
			   &e.abort_ip) != 4)
			return -1;
		if (n < max)
			ev[n] = e;
	}
	return n;
}

static bool tracefs_has_rseq_events(void)
{
	if (access(TRACEFS "/instances", F_OK))
		mount("tracefs", TRACEFS, "tracefs", 0, NULL);
	return !access(TRACEFS "/events/rseq/rseq_update", F_OK);
}

/*
 * A tracefs instance with both rseq events enabled and filtered on the
 * test's pid (the test process is single threaded: pid == tid).
 */
FIXTURE(trace)
{
	char dir[128];
	bool created;
	struct update_event updates[MAX_EVENTS];
	struct fixup_event fixups[MAX_EVENTS];
	int nr_updates;
	int nr_fixups;
};

FIXTURE_SETUP(trace)
{
	static const char * const events[] = { "rseq_update", "rseq_ip_fixup" };
	char file[128], filter[64];
	unsigned int i;

	self->created = false;
	if (geteuid() != 0)
		SKIP(return, "needs root for tracefs");
	if (!tracefs_has_rseq_events())
		SKIP(return, "no rseq events in tracefs (kernel without CONFIG_FTRACE/TRACING?)");
	ABI_REQUIRE_OWN_RSEQ();
	snprintf(self->dir, sizeof(self->dir), TRACEFS "/instances/rseq_abi_%d",
		 getpid());
	ASSERT_EQ(mkdir(self->dir, 0700), 0) TH_LOG("%s: %s", self->dir, strerror(errno));
	self->created = true;
	snprintf(filter, sizeof(filter), "common_pid == %d", getpid());
	for (i = 0; i < ARRAY_SIZE(events); i++) {
		snprintf(file, sizeof(file), "events/rseq/%s/filter", events[i]);
		ASSERT_EQ(instance_write(self->dir, file, filter), 0);
		snprintf(file, sizeof(file), "events/rseq/%s/enable", events[i]);
		ASSERT_EQ(instance_write(self->dir, file, "1"), 0);
	}
	ASSERT_EQ(instance_write(self->dir, "tracing_on", "1"), 0);
}

FIXTURE_TEARDOWN(trace)
{
	if (!self->created)
		return;
	instance_write(self->dir, "tracing_on", "0");
	instance_write(self->dir, "events/enable", "0");
	if (rmdir(self->dir))
		TH_LOG("rmdir %s: %s", self->dir, strerror(errno));
}

/* Start recording from an empty buffer. */
static void trace_start(struct __test_metadata *_metadata,
			FIXTURE_DATA(trace) *self)
{
	ASSERT_EQ(instance_write(self->dir, "tracing_on", "0"), 0);
	ASSERT_EQ(instance_clear(self->dir), 0);
	ASSERT_EQ(instance_write(self->dir, "tracing_on", "1"), 0);
}

/* Stop recording and parse what was recorded into @self. */
static void trace_stop(struct __test_metadata *_metadata,
		       FIXTURE_DATA(trace) *self)
{
	char *buf;

	ASSERT_EQ(instance_write(self->dir, "tracing_on", "0"), 0);
	buf = instance_read(self->dir);
	ASSERT_NE(buf, NULL);
	self->nr_updates = parse_updates(buf, self->updates, MAX_EVENTS);
	self->nr_fixups = parse_fixups(buf, self->fixups, MAX_EVENTS);
	free(buf);
	ASSERT_GE(self->nr_updates, 0) TH_LOG("unparsable rseq_update line");
	ASSERT_GE(self->nr_fixups, 0) TH_LOG("unparsable rseq_ip_fixup line");
	ASSERT_LE(self->nr_updates, MAX_EVENTS);
	ASSERT_LE(self->nr_fixups, MAX_EVENTS);
}

/* Every recorded rseq_update carries the IDs the area shows now. */
static void assert_updates_match_area(struct __test_metadata *_metadata,
				      FIXTURE_DATA(trace) *self, int cpu)
{
	int i;

	for (i = 0; i < self->nr_updates; i++) {
		ASSERT_EQ(self->updates[i].cpu_id, cpu) TH_LOG("event %d", i);
		ASSERT_EQ(self->updates[i].cpu_id, (int)area.cpu_id);
		ASSERT_EQ(self->updates[i].node_id, (int)area.node_id);
		ASSERT_EQ(self->updates[i].mm_cid, (int)area.mm_cid);
	}
}

static void registration_emits_update(struct __test_metadata *_metadata,
				      FIXTURE_DATA(trace) *self, uint32_t len)
{
	int cpu = abi_pin_here();

	ASSERT_GE(cpu, 0);
	trace_start(_metadata, self);
	ASSERT_EQ(sys_rseq(&area, len, 0, ABI_RSEQ_SIG), 0);
	trace_stop(_metadata, self);
	ASSERT_EQ(area.cpu_id, (uint32_t)cpu);
	ASSERT_GE(self->nr_updates, 1) TH_LOG("no rseq_update for the registration");
	assert_updates_match_area(_metadata, self, cpu);
	ASSERT_EQ(self->nr_fixups, 0);
}

TEST_F(trace, legacy_registration_emits_update_with_area_ids)
{
	registration_emits_update(_metadata, self, 32);
}

TEST_F(trace, v2_registration_emits_update_with_area_ids)
{
	registration_emits_update(_metadata, self, 64);
}

static long voluntary_switches(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_THREAD, &ru))
		return -1;
	return ru.ru_nvcsw;
}

/*
 * Sleep @n times on one CPU; return the number of voluntary context
 * switches the sleeps caused (a sleep whose timer expired before the
 * task scheduled out does not switch).
 */
static long sleep_on_one_cpu(struct __test_metadata *_metadata,
			     FIXTURE_DATA(trace) *self, uint32_t len, int n)
{
	long before, after;
	int cpu = abi_pin_here();
	int i;

	ASSERT_GE(cpu, 0);
	ASSERT_EQ(sys_rseq(&area, len, 0, ABI_RSEQ_SIG), 0);
	usleep(1000);
	trace_start(_metadata, self);
	before = voluntary_switches();
	for (i = 0; i < n; i++)
		usleep(500);
	after = voluntary_switches();
	trace_stop(_metadata, self);
	ASSERT_GE(before, 0);
	assert_updates_match_area(_metadata, self, cpu);
	ASSERT_EQ(self->nr_fixups, 0);
	return after - before;
}

TEST_F(trace, legacy_sleeps_emit_an_update_per_switch)
{
	long switches = sleep_on_one_cpu(_metadata, self, 32, 20);

	ASSERT_GE(switches, 10) TH_LOG("the sleeps did not switch");
	ASSERT_GE(self->nr_updates, switches);
}

TEST_F(trace, v2_sleeps_on_one_cpu_emit_no_update)
{
	long switches;

	ABI_REQUIRE_DEBUG_OFF();
	switches = sleep_on_one_cpu(_metadata, self, 64, 20);
	ASSERT_GE(switches, 10) TH_LOG("the sleeps did not switch");
	ASSERT_EQ(self->nr_updates, 0);
}

TEST_F(trace, v2_migration_emits_update_with_new_cpu)
{
	int from = abi_nth_allowed_cpu(0), to = abi_nth_allowed_cpu(1);

	if (to < 0)
		SKIP(return, "needs two CPUs");
	ASSERT_EQ(abi_pin(from), 0);
	ASSERT_EQ(sys_rseq(&area, 64, 0, ABI_RSEQ_SIG), 0);
	ASSERT_EQ(area.cpu_id, (uint32_t)from);
	trace_start(_metadata, self);
	ASSERT_EQ(abi_pin(to), 0);
	trace_stop(_metadata, self);
	ASSERT_EQ(area.cpu_id, (uint32_t)to);
	ASSERT_GE(self->nr_updates, 1) TH_LOG("no rseq_update for the migration");
	assert_updates_match_area(_metadata, self, to);
}

#ifdef ABI_HAVE_CS_ASM
static void count_signal(int sig)
{
	sig_count++;
}

static void assert_fixup_matches_desc(struct __test_metadata *_metadata,
				      const struct fixup_event *f)
{
	ASSERT_EQ(f->start_ip, desc.start_ip);
	ASSERT_EQ(f->post_commit_offset, desc.post_commit_offset);
	ASSERT_EQ(f->abort_ip, desc.abort_ip);
}

/*
 * A signal raised by the system call inside the CS aborts it on the way
 * out (legacy evaluates the CS before delivering any signal): one fixup
 * with the IP right after the syscall instruction.
 */
TEST_F(trace, legacy_abort_emits_ip_fixup_with_descriptor)
{
	long r = 0;
	int tries;

	ABI_REQUIRE_DEBUG_OFF();
	signal(SIGUSR1, count_signal);
	ASSERT_EQ(sys_rseq(&area, 32, 0, ABI_RSEQ_SIG), 0);
	/* an interrupt between storing rseq_cs and the syscall clears it */
	for (tries = 0; tries < 5 && r != 1; tries++) {
		abi_cs_desc_sys(&desc);
		trace_start(_metadata, self);
		r = abi_cs_sys(&area.rseq_cs, &desc, SYS_tgkill, getpid(),
			       syscall(SYS_gettid), SIGUSR1);
		trace_stop(_metadata, self);
	}
	ASSERT_EQ(r, 1);
	ASSERT_EQ(area.rseq_cs, 0);
	ASSERT_EQ(self->nr_fixups, 1);
	ASSERT_EQ(self->fixups[0].regs_ip, (uintptr_t)abi_cs_sys_after);
	assert_fixup_matches_desc(_metadata, &self->fixups[0]);
}

/*
 * A completed CS emits no fixup. A timer interrupt that hits the CS
 * after the syscall aborts it legitimately: that round is retried.
 */
TEST_F(trace, completed_cs_emits_no_ip_fixup)
{
	long r = 1;
	int tries;

	ABI_REQUIRE_DEBUG_OFF();
	ASSERT_EQ(sys_rseq(&area, 32, 0, ABI_RSEQ_SIG), 0);
	for (tries = 0; tries < 5 && r != 0; tries++) {
		abi_cs_desc_sys(&desc);
		trace_start(_metadata, self);
		r = abi_cs_sys(&area.rseq_cs, &desc, SYS_getppid, 0, 0, 0);
		trace_stop(_metadata, self);
	}
	ASSERT_EQ(r, 0);
	ASSERT_EQ(self->nr_fixups, 0);
}

/*
 * A v2 CS spinning until a timer interrupt or a preemption aborts it:
 * one fixup with an IP inside the CS.
 */
TEST_F(trace, v2_interrupt_abort_emits_ip_fixup_inside_cs)
{
	struct itimerval it = { .it_value = { .tv_usec = 20000 } };
	static atomic_int inflag;
	uint64_t end;

	signal(SIGALRM, count_signal);
	ASSERT_EQ(sys_rseq(&area, 64, 0, ABI_RSEQ_SIG), 0);
	abi_cs_desc_spin(&desc);
	trace_start(_metadata, self);
	ASSERT_EQ(setitimer(ITIMER_REAL, &it, NULL), 0);
	ASSERT_EQ(abi_cs_spin(&area.rseq_cs, &desc, &inflag), 1);
	end = abi_now_ns() + 2000000000ULL;
	while (!sig_count && abi_now_ns() < end)
		;
	trace_stop(_metadata, self);
	ASSERT_EQ(atomic_load(&sig_count), 1);
	ASSERT_EQ(self->nr_fixups, 1);
	ASSERT_GE(self->fixups[0].regs_ip, (uintptr_t)abi_cs_spin_start);
	ASSERT_LT(self->fixups[0].regs_ip, (uintptr_t)abi_cs_spin_post);
	assert_fixup_matches_desc(_metadata, &self->fixups[0]);
}
#endif

TEST_HARNESS_MAIN
