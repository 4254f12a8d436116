// SPDX-License-Identifier: GPL-2.0
/*
 * Guest probe of the rseq lab: checks before the tests that the kernel
 * reports what the lab config asks for. A single-threaded process pinned
 * to CPU 1 registers an rseq area (v2 size) and prints the IDs the kernel
 * wrote: with CONFIG_SCHED_MM_CID its mm_cid is 0 (one user), without it
 * the CPU number; with two NUMA nodes its node_id is CPU 1's node.
 * Run with glibc's own registration off (GLIBC_TUNABLES=glibc.pthread.rseq=0).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/auxvec.h>
#include <linux/rseq.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/syscall.h>
#include <unistd.h>

#define PROBE_SIG 0x53053053

/* Room for the whole v2 area whatever sizeof(struct rseq) is. */
static union {
	struct rseq rseq;
	char bytes[256];
} u __attribute__((aligned(256)));

int main(void)
{
	unsigned long len = getauxval(AT_RSEQ_FEATURE_SIZE);
	cpu_set_t set;

	if (len <= 32 || len > sizeof(u))
		len = sizeof(u);
	CPU_ZERO(&set);
	CPU_SET(1, &set);
	if (sched_setaffinity(0, sizeof(set), &set)) {
		printf("RSEQ-LAB: probe: cannot pin to CPU 1: %s\n", strerror(errno));
		return 1;
	}
	if (syscall(__NR_rseq, &u.rseq, (unsigned int)len, 0, PROBE_SIG)) {
		printf("RSEQ-LAB: probe: rseq registration (%lu bytes) failed: %s\n", len, strerror(errno));
		return 1;
	}
	printf("RSEQ-LAB: probe: cpu_id %u node_id %u mm_cid %u (single thread pinned to CPU 1, %lu-byte area)\n",
	       u.rseq.cpu_id, u.rseq.node_id, u.rseq.mm_cid, len);
	return 0;
}
