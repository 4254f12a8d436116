// SPDX-License-Identifier: GPL-2.0
/*
 * rseq ABI: auxv, registration and unregistration effects, the sys_rseq
 * error rows, and how the registration length selects legacy or v2
 * mode.
 */
#define _GNU_SOURCE
#include "abi_util.h"

#include "../kselftest_harness.h"

/* 256 bytes, 256-aligned: room for large lengths and misaligned cases. */
static uint8_t area_buf[4096] __aligned(4096);

static struct rseq *area64(void)
{
	return (struct rseq *)area_buf;
}

static void fill(uint8_t pat)
{
	memset(area_buf, pat, sizeof(area_buf));
}

/* Decided independently of the registration under test. */
static bool slice_available(void)
{
	return abi_slice_expected();
}

/* prctl GET, or -errno; every sub-command is ENOTSUPP without the config */
static long slice_get(void)
{
	long r = abi_prctl_slice(PR_RSEQ_SLICE_EXTENSION_GET, 0, 0, 0);

	return r < 0 ? -errno : r;
}

/* The smallest v2 length and its alignment, as the kernel states them. */
static uint32_t feature_size(void)
{
	return getauxval(AT_RSEQ_FEATURE_SIZE);
}

static uint32_t feature_align(void)
{
	return getauxval(AT_RSEQ_ALIGN);
}

/* GET for a thread without the extension enabled */
static long slice_get_expect_off(void)
{
	return abi_slice_configured() ? 0 : -ABI_ENOTSUPP;
}

/*
 * The auxiliary vector: the feature size reaches at least the end of the
 * last field these headers know, and the alignment is the next power of
 * two of the feature size.
 */
TEST(auxv_feature_size_covers_known_fields)
{
	unsigned long size = getauxval(AT_RSEQ_FEATURE_SIZE);

	ASSERT_GE(size, ABI_RSEQ_FEATURE_SIZE);
}

TEST(auxv_align_is_next_power_of_two_of_feature_size)
{
	unsigned long size = getauxval(AT_RSEQ_FEATURE_SIZE);
	unsigned long align = getauxval(AT_RSEQ_ALIGN);

	ASSERT_GE(size, ABI_RSEQ_FEATURE_SIZE);
	ASSERT_EQ(align, ABI_POW2_CEIL(size));
}

TEST(probe_null_returns_einval_unregistered_and_registered)
{
	ABI_REQUIRE_OWN_RSEQ();
	errno = 0;
	ASSERT_EQ(sys_rseq(NULL, 0, 0, 0), -1);
	ASSERT_EQ(errno, EINVAL);
	ASSERT_EQ(sys_rseq(area64(), 64, 0, ABI_RSEQ_SIG), 0);
	errno = 0;
	ASSERT_EQ(sys_rseq(NULL, 0, 0, 0), -1);
	ASSERT_EQ(errno, EINVAL);
}

/*
 * An area at the top of user space whose struct rseq does not fit below
 * TASK_SIZE_MAX: 32 bytes at TASK_SIZE_MAX - 32 (mapped). The C
 * implementation opens its user access region over the whole struct rseq
 * (64 bytes): arm64 checks that range with access_ok() and says EFAULT;
 * x86_64 masks the address instead and touches only the 32 bytes, so the
 * registration succeeds. Every implementation must give its architecture's
 * answer. A 64-byte v2 area at TASK_SIZE_MAX - 64 fits on both.
 */
TEST(register_at_top_of_user_space)
{
	struct rseq *rs;
	uintptr_t end;
	int r, err;

	ABI_REQUIRE_OWN_RSEQ();
	if (abi_map_top_page(&end) == MAP_FAILED)
		SKIP(return, "cannot map the last page of user space");
	rs = (struct rseq *)(end - 32);
	errno = 0;
	r = sys_rseq(rs, 32, 0, ABI_RSEQ_SIG);
	err = errno;
	TH_LOG("32 bytes at TASK_SIZE_MAX %#lx - 32: %d, errno %d", (unsigned long)end, r, err);
#if defined(__aarch64__)
	ASSERT_EQ(r, -1);
	ASSERT_EQ(err, EFAULT);
#else
	ASSERT_EQ(r, 0);
	ASSERT_EQ(sys_rseq(rs, 32, RSEQ_FLAG_UNREGISTER, ABI_RSEQ_SIG), 0);
#endif
	rs = (struct rseq *)(end - 64);
	ASSERT_EQ(sys_rseq(rs, 64, 0, ABI_RSEQ_SIG), 0);
	ASSERT_EQ((int)rs->cpu_id, abi_cur_cpu());
	ASSERT_EQ(sys_rseq(rs, 64, RSEQ_FLAG_UNREGISTER, ABI_RSEQ_SIG), 0);
}

/* Registration side effects */
TEST(register_legacy_writes_fields_and_preserves_bytes_28_31)
{
	struct rseq *rs = area64();
	int i;

	ABI_REQUIRE_OWN_RSEQ();
	fill(0xa5);
	rs->rseq_cs = 0x1234;		/* stale pointer must be cleared */
	ASSERT_EQ(sys_rseq(rs, 32, 0, ABI_RSEQ_SIG), 0);
	ASSERT_EQ(rs->rseq_cs, 0);
	ASSERT_EQ(rs->flags, 0);
	ASSERT_EQ(rs->cpu_id_start, rs->cpu_id);
	ASSERT_EQ((int)rs->cpu_id, abi_cur_cpu());
	ASSERT_EQ((int)rs->node_id, abi_cur_node());
	ASSERT_LT(rs->mm_cid, (uint32_t)sysconf(_SC_NPROCESSORS_CONF));
	/* Legacy: bytes 28-31 and everything past 32 belong to user space. */
	for (i = 28; i < 32; i++)
		ASSERT_EQ(area_buf[i], 0xa5) TH_LOG("byte %d", i);
	for (i = 32; i < 256; i++)
		ASSERT_EQ(area_buf[i], 0xa5) TH_LOG("byte %d", i);
}

TEST(register_v2_writes_fields_and_zeroes_slice_ctrl)
{
	struct rseq *rs = area64();
	int i;

	ABI_REQUIRE_OWN_RSEQ();
	fill(0x5a);
	rs->rseq_cs = 0xdead0000;
	ASSERT_EQ(sys_rseq(rs, 64, 0, ABI_RSEQ_SIG), 0);
	ASSERT_EQ(rs->rseq_cs, 0);
	/* flags: AVAILABLE when the slice extension is configured and on */
	ASSERT_EQ(rs->flags, slice_available() ? RSEQ_CS_FLAG_SLICE_EXT_AVAILABLE : 0);
	ASSERT_EQ(rs->cpu_id_start, rs->cpu_id);
	ASSERT_EQ((int)rs->cpu_id, abi_cur_cpu());
	ASSERT_EQ((int)rs->node_id, abi_cur_node());
	ASSERT_LT(rs->mm_cid, (uint32_t)sysconf(_SC_NPROCESSORS_CONF));
	if (rs->flags & RSEQ_CS_FLAG_SLICE_EXT_AVAILABLE)
		ASSERT_EQ(rs->slice_ctrl.all, 0);
	/* bytes past 32 are never written */
	for (i = 32; i < 256; i++)
		ASSERT_EQ(area_buf[i], 0x5a) TH_LOG("byte %d", i);
}

TEST(register_large_len_leaves_bytes_past_32_untouched)
{
	struct rseq *rs = area64();
	int i;

	ABI_REQUIRE_OWN_RSEQ();
	fill(0x3c);
	ASSERT_EQ(sys_rseq(rs, 4096, 0, ABI_RSEQ_SIG), 0);
	for (i = 32; i < 4096; i++)
		ASSERT_EQ(area_buf[i], 0x3c) TH_LOG("byte %d", i);
	ASSERT_EQ(sys_rseq(rs, 4096, RSEQ_FLAG_UNREGISTER, ABI_RSEQ_SIG), 0);
}

TEST(register_never_writes_registration_failed_value)
{
	struct rseq *rs = area64();

	ABI_REQUIRE_OWN_RSEQ();
	fill(0);
	ASSERT_EQ(sys_rseq(rs, 64, 0, ABI_RSEQ_SIG), 0);
	ASSERT_NE(rs->cpu_id, (uint32_t)-2);
	ASSERT_NE(rs->cpu_id, ABI_CPU_ID_UNINITIALIZED);
	ASSERT_EQ(sys_rseq(rs, 64, RSEQ_FLAG_UNREGISTER, ABI_RSEQ_SIG), 0);
	ASSERT_NE(rs->cpu_id, (uint32_t)-2);
}

/* Unregister results */
static void check_unregister(struct __test_metadata *_metadata, uint32_t len)
{
	struct rseq *rs = area64();

	fill(0x77);
	ASSERT_EQ(sys_rseq(rs, len, 0, ABI_RSEQ_SIG), 0);
	rs->rseq_cs = 0;	/* no CS; leave the value we can recognize */
	rs->slice_ctrl.all = 0x77777777;
	if (len == 32)
		rs->flags = 0x00770000;	/* legacy: flags never read */
	{
		uint32_t flags_before = rs->flags;
		uint64_t cs_before = rs->rseq_cs;

		ASSERT_EQ(sys_rseq(rs, len, RSEQ_FLAG_UNREGISTER, ABI_RSEQ_SIG), 0);
		ASSERT_EQ(rs->cpu_id_start, 0);
		ASSERT_EQ(rs->cpu_id, ABI_CPU_ID_UNINITIALIZED);
		ASSERT_EQ(rs->node_id, 0);
		ASSERT_EQ(rs->mm_cid, 0);
		ASSERT_EQ(rs->rseq_cs, cs_before);
		ASSERT_EQ(rs->flags, flags_before);
		ASSERT_EQ(rs->slice_ctrl.all, 0x77777777);
	}
	/* Nothing is written after unregistration. */
	usleep(1000);
	ASSERT_EQ(rs->cpu_id, ABI_CPU_ID_UNINITIALIZED);
	/* and the thread can register again, anywhere */
	ASSERT_EQ(sys_rseq(rs, 64, 0, ABI_RSEQ_SIG + 1), 0);
	ASSERT_EQ(sys_rseq(rs, 64, RSEQ_FLAG_UNREGISTER, ABI_RSEQ_SIG + 1), 0);
}

TEST(unregister_legacy_resets_ids_only)
{
	ABI_REQUIRE_OWN_RSEQ();
	check_unregister(_metadata, 32);
}

TEST(unregister_v2_resets_ids_only)
{
	ABI_REQUIRE_OWN_RSEQ();
	check_unregister(_metadata, 64);
}

/* Error rows */
#define EXPECT_RSEQ_ERR(p, l, f, s, e) do {				\
	errno = 0;							\
	ASSERT_EQ(sys_rseq(p, l, f, s), -1);				\
	ASSERT_EQ(errno, e);						\
} while (0)

TEST(register_unsupported_flag_is_einval)
{
	ABI_REQUIRE_OWN_RSEQ();
	EXPECT_RSEQ_ERR(area64(), 64, 1 << 2, ABI_RSEQ_SIG, EINVAL);
	EXPECT_RSEQ_ERR(area64(), 64, 1 << 31 & ~1, ABI_RSEQ_SIG, EINVAL);
	EXPECT_RSEQ_ERR(area64(), 32, 0x10, ABI_RSEQ_SIG, EINVAL);
}

TEST(negative_flags_take_unregister_branch)
{
	ABI_REQUIRE_OWN_RSEQ();
	/* -1 has bit 0: unregister branch, other bits set: EINVAL */
	EXPECT_RSEQ_ERR(area64(), 32, -1, ABI_RSEQ_SIG, EINVAL);
	ASSERT_EQ(sys_rseq(area64(), 32, 0, ABI_RSEQ_SIG), 0);
	EXPECT_RSEQ_ERR(area64(), 32, -1, ABI_RSEQ_SIG, EINVAL);
	/* still registered */
	EXPECT_RSEQ_ERR(area64(), 32, 0, ABI_RSEQ_SIG, EBUSY);
}

TEST(unregister_with_extra_flag_is_einval_and_keeps_registration)
{
	ABI_REQUIRE_OWN_RSEQ();
	ASSERT_EQ(sys_rseq(area64(), 64, 0, ABI_RSEQ_SIG), 0);
	EXPECT_RSEQ_ERR(area64(), 64, RSEQ_FLAG_UNREGISTER | RSEQ_FLAG_SLICE_EXT_DEFAULT_ON,
			ABI_RSEQ_SIG, EINVAL);
	EXPECT_RSEQ_ERR(area64(), 64, 0, ABI_RSEQ_SIG, EBUSY);
}

TEST(unregister_when_unregistered_is_einval)
{
	ABI_REQUIRE_OWN_RSEQ();
	EXPECT_RSEQ_ERR(area64(), 64, RSEQ_FLAG_UNREGISTER, ABI_RSEQ_SIG, EINVAL);
	EXPECT_RSEQ_ERR(NULL, 64, RSEQ_FLAG_UNREGISTER, ABI_RSEQ_SIG, EINVAL);
}

TEST(unregister_wrong_pointer_len_sig)
{
	struct rseq *rs = area64();

	ABI_REQUIRE_OWN_RSEQ();
	ASSERT_EQ(sys_rseq(rs, 64, 0, ABI_RSEQ_SIG), 0);
	EXPECT_RSEQ_ERR(rs + 1, 64, RSEQ_FLAG_UNREGISTER, ABI_RSEQ_SIG, EINVAL);
	EXPECT_RSEQ_ERR(rs, 32, RSEQ_FLAG_UNREGISTER, ABI_RSEQ_SIG, EINVAL);
	EXPECT_RSEQ_ERR(rs, 128, RSEQ_FLAG_UNREGISTER, ABI_RSEQ_SIG, EINVAL);
	/* pointer/len checked before sig */
	EXPECT_RSEQ_ERR(rs, 32, RSEQ_FLAG_UNREGISTER, ABI_RSEQ_SIG + 1, EINVAL);
	EXPECT_RSEQ_ERR(rs, 64, RSEQ_FLAG_UNREGISTER, ABI_RSEQ_SIG + 1, EPERM);
	/* the failures above did not reset the IDs */
	ASSERT_EQ((int)rs->cpu_id, abi_cur_cpu());
	ASSERT_EQ(sys_rseq(rs, 64, RSEQ_FLAG_UNREGISTER, ABI_RSEQ_SIG), 0);
}

TEST(reregister_rows)
{
	struct rseq *rs = area64();

	ABI_REQUIRE_OWN_RSEQ();
	ASSERT_EQ(sys_rseq(rs, 64, 0, ABI_RSEQ_SIG), 0);
	EXPECT_RSEQ_ERR(rs, 64, 0, ABI_RSEQ_SIG, EBUSY);
	EXPECT_RSEQ_ERR(rs, 64, 0, ABI_RSEQ_SIG + 1, EPERM);
	EXPECT_RSEQ_ERR(rs + 1, 64, 0, ABI_RSEQ_SIG, EINVAL);
	EXPECT_RSEQ_ERR(rs, 32, 0, ABI_RSEQ_SIG, EINVAL);
	/* re-registration is checked before length/alignment validity */
	EXPECT_RSEQ_ERR(rs, 8, 0, ABI_RSEQ_SIG, EINVAL);
	EXPECT_RSEQ_ERR((char *)rs + 1, 64, 0, ABI_RSEQ_SIG + 1, EINVAL);
	/* ...and before the access_ok() check */
	EXPECT_RSEQ_ERR((void *)0xffffffffff600000UL, 64, 0, ABI_RSEQ_SIG, EINVAL);
	/* unsupported flag is checked before re-registration */
	EXPECT_RSEQ_ERR(rs, 64, 4, ABI_RSEQ_SIG, EINVAL);
	/* DEFAULT_ON is a valid flag: identical registration is EBUSY */
	EXPECT_RSEQ_ERR(rs, 64, RSEQ_FLAG_SLICE_EXT_DEFAULT_ON, ABI_RSEQ_SIG, EBUSY);
}

TEST(length_and_alignment_rows)
{
	uint8_t *b = area_buf;

	ABI_REQUIRE_OWN_RSEQ();
	EXPECT_RSEQ_ERR(b, 0, 0, ABI_RSEQ_SIG, EINVAL);
	EXPECT_RSEQ_ERR(b, 31, 0, ABI_RSEQ_SIG, EINVAL);
	EXPECT_RSEQ_ERR(b + 16, 32, 0, ABI_RSEQ_SIG, EINVAL);
	EXPECT_RSEQ_ERR(b + 4, 32, 0, ABI_RSEQ_SIG, EINVAL);
	/* len > 32 needs AT_RSEQ_ALIGN (64 or more): 32-aligned is not enough */
	EXPECT_RSEQ_ERR(b + 32, feature_size(), 0, ABI_RSEQ_SIG, EINVAL);
	EXPECT_RSEQ_ERR(b + 32, 40, 0, ABI_RSEQ_SIG, EINVAL);
	EXPECT_RSEQ_ERR(b + 32, 64, 0, ABI_RSEQ_SIG, EINVAL);
	EXPECT_RSEQ_ERR(b + 96, 128, 0, ABI_RSEQ_SIG, EINVAL);
}

static void reg_unreg(struct __test_metadata *_metadata, void *p, uint32_t len,
		      uint32_t sig)
{
	ASSERT_EQ(sys_rseq(p, len, 0, sig), 0) TH_LOG("len %u", len);
	ASSERT_EQ(sys_rseq(p, len, RSEQ_FLAG_UNREGISTER, sig), 0);
}

TEST(valid_lengths_register)
{
	uint8_t *b = area_buf;

	ABI_REQUIRE_OWN_RSEQ();
	reg_unreg(_metadata, b + 32, 32, ABI_RSEQ_SIG);	/* 32-aligned, legacy */
	reg_unreg(_metadata, b + feature_align(), feature_size(), ABI_RSEQ_SIG);
	reg_unreg(_metadata, b + 2 * feature_align(), feature_size() + 7, ABI_RSEQ_SIG);
	reg_unreg(_metadata, b + feature_align(), feature_align(), ABI_RSEQ_SIG);
	reg_unreg(_metadata, b + 3 * feature_align(), feature_align() + 1, ABI_RSEQ_SIG);
	reg_unreg(_metadata, b, 1024, ABI_RSEQ_SIG);
	reg_unreg(_metadata, b, 4096, ABI_RSEQ_SIG);
	/* signature is never validated */
	reg_unreg(_metadata, b, 64, 0);
	reg_unreg(_metadata, b, 64, 0xffffffff);
}

TEST(kernel_address_is_efault)
{
	ABI_REQUIRE_OWN_RSEQ();
	/* access_ok() covers the whole range: kernel addresses fail */
	EXPECT_RSEQ_ERR((void *)-256L, 64, 0, ABI_RSEQ_SIG, EFAULT);
	EXPECT_RSEQ_ERR((void *)0xffffffffff600000UL, 64, 0, ABI_RSEQ_SIG, EFAULT);
	EXPECT_RSEQ_ERR((void *)-4096L, 32, 0, ABI_RSEQ_SIG, EFAULT);
}

TEST(unmapped_area_is_efault_and_not_registered)
{
	void *p;

	ABI_REQUIRE_OWN_RSEQ();
	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(p, MAP_FAILED);
	ASSERT_EQ(munmap(p, 4096), 0);
	EXPECT_RSEQ_ERR(p, 64, 0, ABI_RSEQ_SIG, EFAULT);
	EXPECT_RSEQ_ERR(p, 32, 0, ABI_RSEQ_SIG, EFAULT);
	/* Not activated: a new registration works */
	reg_unreg(_metadata, area64(), 64, ABI_RSEQ_SIG);
}

TEST(readonly_area_is_efault_and_not_registered)
{
	void *p;

	ABI_REQUIRE_OWN_RSEQ();
	p = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(p, MAP_FAILED);
	EXPECT_RSEQ_ERR(p, 64, 0, ABI_RSEQ_SIG, EFAULT);
	EXPECT_RSEQ_ERR(p, 64, RSEQ_FLAG_UNREGISTER, ABI_RSEQ_SIG, EINVAL);
	reg_unreg(_metadata, area64(), 64, ABI_RSEQ_SIG);
	munmap(p, 4096);
}

/*
 * U5: unregistration whose reset writes fault sends SIGSEGV, returns
 * EFAULT and leaves the registration active. v2 is used because legacy
 * would re-fault on every context switch while the area is read-only.
 */
static atomic_int segv_count;
static void *segv_page;

static void segv_restore(int sig)
{
	segv_count++;
	mprotect(segv_page, 4096, PROT_READ | PROT_WRITE);
}

/*
 * SA_NODEFER: until the handler has restored the page, an ID update (the
 * MM CID can change at a context switch) faults on it again and sends
 * another SIGSEGV, which force_sig() makes fatal while SIGSEGV is blocked.
 */
static void unregister_fault_child(struct __test_metadata *_metadata, void *arg)
{
	struct sigaction sa = { .sa_handler = segv_restore, .sa_flags = SA_NODEFER };
	int tries;

	segv_page = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(segv_page, MAP_FAILED);
	sigaction(SIGSEGV, &sa, NULL);
	abi_pin_here();
	for (tries = 0; tries < 20; tries++) {
		long r;
		int err;

		ASSERT_EQ(sys_rseq(segv_page, 64, 0, ABI_RSEQ_SIG), 0);
		segv_count = 0;
		mprotect(segv_page, 4096, PROT_READ);
		r = sys_rseq(segv_page, 64, RSEQ_FLAG_UNREGISTER, ABI_RSEQ_SIG);
		err = errno;
		if (r == 0)	/* an event restored the page first; retry */
			continue;
		ASSERT_EQ(err, EFAULT);
		ASSERT_GE(atomic_load(&segv_count), 1);
		/* still registered */
		ASSERT_EQ(sys_rseq(segv_page, 64, 0, ABI_RSEQ_SIG), -1);
		ASSERT_EQ(errno, EBUSY);
		ASSERT_EQ(sys_rseq(segv_page, 64, RSEQ_FLAG_UNREGISTER, ABI_RSEQ_SIG), 0);
		return;
	}
	ASSERT_LT(tries, 20) TH_LOG("no unregistration faulted in 20 tries");
}

TEST(unregister_fault_sigsegv_efault_registration_kept)
{
	int st;

	ABI_REQUIRE_OWN_RSEQ();
	st = abi_run_child(_metadata, unregister_fault_child, NULL);
	ASSERT_TRUE(ABI_EXITED_OK(st)) TH_LOG("child status %#x", st);
}

/* Mode selection observable through prctl and flags */
TEST(mode_len32_is_legacy_feature_size_is_v2)
{
	uint8_t *b = area_buf;
	struct rseq *rs = (struct rseq *)b;

	ABI_REQUIRE_OWN_RSEQ();
	if (!slice_available())
		SKIP(return, "no slice extension: mode only seen by read-only tests");

	fill(0);
	ASSERT_EQ(sys_rseq(rs, 32, 0, ABI_RSEQ_SIG), 0);
	ASSERT_EQ(rs->flags, 0);
	errno = 0;
	ASSERT_EQ(abi_prctl_slice(PR_RSEQ_SLICE_EXTENSION_SET, PR_RSEQ_SLICE_EXT_ENABLE, 0, 0), -1);
	ASSERT_EQ(errno, ABI_ENOTSUPP);
	ASSERT_EQ(sys_rseq(rs, 32, RSEQ_FLAG_UNREGISTER, ABI_RSEQ_SIG), 0);

	fill(0);
	ASSERT_EQ(sys_rseq(rs, feature_size(), 0, ABI_RSEQ_SIG), 0);
	ASSERT_EQ(rs->flags, RSEQ_CS_FLAG_SLICE_EXT_AVAILABLE);
	ASSERT_EQ(abi_prctl_slice(PR_RSEQ_SLICE_EXTENSION_SET, PR_RSEQ_SLICE_EXT_ENABLE, 0, 0), 0);
	ASSERT_EQ(rs->flags, RSEQ_CS_FLAG_SLICE_EXT_AVAILABLE | RSEQ_CS_FLAG_SLICE_EXT_ENABLED);
	ASSERT_EQ(sys_rseq(rs, feature_size(), RSEQ_FLAG_UNREGISTER, ABI_RSEQ_SIG), 0);
}

/* RSEQ_FLAG_SLICE_EXT_DEFAULT_ON */
TEST(default_on_enables_in_v2)
{
	struct rseq *rs = area64();

	ABI_REQUIRE_OWN_RSEQ();
	if (!slice_available())
		SKIP(return, "slice extension not available (not configured or rseq_slice_ext=0)");
	fill(0);
	ASSERT_EQ(sys_rseq(rs, 64, RSEQ_FLAG_SLICE_EXT_DEFAULT_ON, ABI_RSEQ_SIG), 0);
	ASSERT_EQ(rs->flags, RSEQ_CS_FLAG_SLICE_EXT_AVAILABLE | RSEQ_CS_FLAG_SLICE_EXT_ENABLED);
	ASSERT_EQ(abi_prctl_slice(PR_RSEQ_SLICE_EXTENSION_GET, 0, 0, 0), 1);
	ASSERT_EQ(sys_rseq(rs, 64, RSEQ_FLAG_UNREGISTER, ABI_RSEQ_SIG), 0);
	/* unregister wipes the kernel slice state */
	ASSERT_EQ(abi_prctl_slice(PR_RSEQ_SLICE_EXTENSION_GET, 0, 0, 0), 0);
}

TEST(default_on_ignored_in_legacy)
{
	struct rseq *rs = area64();

	ABI_REQUIRE_OWN_RSEQ();
	fill(0xee);
	ASSERT_EQ(sys_rseq(rs, 32, RSEQ_FLAG_SLICE_EXT_DEFAULT_ON, ABI_RSEQ_SIG), 0);
	ASSERT_EQ(rs->flags, 0);
	ASSERT_EQ(rs->slice_ctrl.all, 0xeeeeeeee);
	ASSERT_EQ(slice_get(), slice_get_expect_off());
}

TEST(default_on_accepted_without_slice_support)
{
	struct rseq *rs = area64();

	ABI_REQUIRE_OWN_RSEQ();
	/* Flag is accepted on every config, even when it has no effect. */
	ASSERT_EQ(sys_rseq(rs, 64, RSEQ_FLAG_SLICE_EXT_DEFAULT_ON, ABI_RSEQ_SIG), 0);
	if (!slice_available()) {
		ASSERT_EQ(rs->flags, 0);
		/* 0 with the key off; ENOTSUPP without CONFIG_RSEQ_SLICE_EXTENSION */
		ASSERT_EQ(slice_get(), slice_get_expect_off());
	} else {
		ASSERT_EQ(abi_prctl_slice(PR_RSEQ_SLICE_EXTENSION_GET, 0, 0, 0), 1);
	}
}

TEST_HARNESS_MAIN
