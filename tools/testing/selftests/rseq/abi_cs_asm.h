/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Hand-written rseq critical sections for the ABI tests, for x86_64 and
 * arm64.
 *
 *  abi_cs_sys(&rseq->rseq_cs, desc, nr, a1, a2, a3): stores desc into
 *  rseq_cs, then executes system call nr(a1, a2, a3) as the first
 *  instruction of the CS (label abi_cs_sys_start), followed by a nop
 *  (abi_cs_sys_after) and the commit point abi_cs_sys_post. Returns 0
 *  when the sequence completed, 1 when it resumed at abi_cs_sys_abort.
 *  abi_cs_sys_abort_end follows the abort handler, so a descriptor can
 *  be made to cover the abort IP.
 *
 *  abi_cs_spin(&rseq->rseq_cs, desc, inflag): stores desc, sets
 *  *inflag = 1 inside the CS and spins forever; it only returns (1)
 *  through abi_cs_spin_abort.
 *
 * Both abort handlers are preceded by the 4-byte signature 0x53053053
 * (x86_64: as the displacement of a ud1 instruction, like librseq does;
 * arm64: a data word after the ret, never executed).
 *
 * ABI_UC_IP(uc) is the user IP a signal handler's ucontext holds.
 */
#ifndef _RSEQ_ABI_CS_ASM_H
#define _RSEQ_ABI_CS_ASM_H

#if defined(__x86_64__) || defined(__aarch64__)
#define ABI_HAVE_CS_ASM 1

long abi_cs_sys(__u64 *rseq_cs, struct rseq_cs *desc, long nr,
		long a1, long a2, long a3);
long abi_cs_spin(__u64 *rseq_cs, struct rseq_cs *desc,
		 atomic_int *inflag);
extern const char abi_cs_sys_start[], abi_cs_sys_after[], abi_cs_sys_post[],
	abi_cs_sys_abort[], abi_cs_sys_abort_end[];
extern const char abi_cs_spin_start[], abi_cs_spin_post[], abi_cs_spin_abort[];

#define ABI_CS_GLOBALS							\
	".globl abi_cs_sys\n\t.hidden abi_cs_sys\n\t"			\
	".globl abi_cs_sys_start\n\t.hidden abi_cs_sys_start\n\t"		\
	".globl abi_cs_sys_after\n\t.hidden abi_cs_sys_after\n\t"		\
	".globl abi_cs_sys_post\n\t.hidden abi_cs_sys_post\n\t"		\
	".globl abi_cs_sys_abort\n\t.hidden abi_cs_sys_abort\n\t"		\
	".globl abi_cs_sys_abort_end\n\t.hidden abi_cs_sys_abort_end\n\t"	\
	".globl abi_cs_spin\n\t.hidden abi_cs_spin\n\t"			\
	".globl abi_cs_spin_start\n\t.hidden abi_cs_spin_start\n\t"		\
	".globl abi_cs_spin_post\n\t.hidden abi_cs_spin_post\n\t"		\
	".globl abi_cs_spin_abort\n\t.hidden abi_cs_spin_abort\n\t"

#if defined(__x86_64__)
#define ABI_UC_IP(uc)	((uc)->uc_mcontext.gregs[REG_RIP])

asm(".pushsection .text\n\t"
	".p2align 4\n\t"
	ABI_CS_GLOBALS
	".type abi_cs_sys, @function\n"
	"abi_cs_sys:\n\t"
	"movq %rsi, (%rdi)\n\t"
	"movq %rdx, %rax\n\t"
	"movq %rcx, %rdi\n\t"
	"movq %r8, %rsi\n\t"
	"movq %r9, %rdx\n"
	"abi_cs_sys_start:\n\t"
	"syscall\n"
	"abi_cs_sys_after:\n\t"
	"nop\n"
	"abi_cs_sys_post:\n\t"
	"xorl %eax, %eax\n\t"
	"ret\n\t"
	ABI_SIG_INSN
	"\nabi_cs_sys_abort:\n\t"
	"movl $1, %eax\n\t"
	"ret\n"
	"abi_cs_sys_abort_end:\n\t"
	".size abi_cs_sys, . - abi_cs_sys\n\t"
	".p2align 4\n\t"
	".type abi_cs_spin, @function\n"
	"abi_cs_spin:\n\t"
	"movq %rsi, (%rdi)\n"
	"abi_cs_spin_start:\n\t"
	"movl $1, (%rdx)\n"
	"1:\n\t"
	"jmp 1b\n"
	"abi_cs_spin_post:\n\t"
	"xorl %eax, %eax\n\t"
	"ret\n\t"
	ABI_SIG_INSN
	"\nabi_cs_spin_abort:\n\t"
	"movl $1, %eax\n\t"
	"ret\n\t"
	".size abi_cs_spin, . - abi_cs_spin\n\t"
	".popsection\n");

#else /* __aarch64__ */
#define ABI_UC_IP(uc)	((uc)->uc_mcontext.pc)

/*
 * AAPCS64: the arguments arrive in x0..x5; the system call number goes in
 * x8, its arguments in x0..x2, and svc #0 returns to the next instruction.
 */
asm(".pushsection .text\n\t"
	".p2align 4\n\t"
	ABI_CS_GLOBALS
	".type abi_cs_sys, %function\n"
	"abi_cs_sys:\n\t"
	"str x1, [x0]\n\t"
	"mov x8, x2\n\t"
	"mov x0, x3\n\t"
	"mov x1, x4\n\t"
	"mov x2, x5\n"
	"abi_cs_sys_start:\n\t"
	"svc #0\n"
	"abi_cs_sys_after:\n\t"
	"nop\n"
	"abi_cs_sys_post:\n\t"
	"mov x0, #0\n\t"
	"ret\n\t"
	".long 0x53053053\n"
	"abi_cs_sys_abort:\n\t"
	"mov x0, #1\n\t"
	"ret\n"
	"abi_cs_sys_abort_end:\n\t"
	".size abi_cs_sys, . - abi_cs_sys\n\t"
	".p2align 4\n\t"
	".type abi_cs_spin, %function\n"
	"abi_cs_spin:\n\t"
	"str x1, [x0]\n"
	"abi_cs_spin_start:\n\t"
	"mov w3, #1\n\t"
	"str w3, [x2]\n"
	"1:\n\t"
	"b 1b\n"
	"abi_cs_spin_post:\n\t"
	"mov x0, #0\n\t"
	"ret\n\t"
	".long 0x53053053\n"
	"abi_cs_spin_abort:\n\t"
	"mov x0, #1\n\t"
	"ret\n\t"
	".size abi_cs_spin, . - abi_cs_spin\n\t"
	".popsection\n");
#endif /* __aarch64__ */

/* Fill @d with the descriptor of abi_cs_sys. */
static inline void abi_cs_desc_sys(struct rseq_cs *d)
{
	memset(d, 0, sizeof(*d));
	d->start_ip = (uintptr_t)abi_cs_sys_start;
	d->post_commit_offset = abi_cs_sys_post - abi_cs_sys_start;
	d->abort_ip = (uintptr_t)abi_cs_sys_abort;
}

/* Fill @d with the descriptor of abi_cs_spin. */
static inline void abi_cs_desc_spin(struct rseq_cs *d)
{
	memset(d, 0, sizeof(*d));
	d->start_ip = (uintptr_t)abi_cs_spin_start;
	d->post_commit_offset = abi_cs_spin_post - abi_cs_spin_start;
	d->abort_ip = (uintptr_t)abi_cs_spin_abort;
}

#if defined(__x86_64__)
/*
 * abi_cs_bp(&rseq->rseq_cs, desc) (x86_64 only): abi_cs_bp_pre stores
 * desc into rseq_cs; the CS [abi_cs_bp_start, abi_cs_bp_post) is four
 * straight-line instructions (abi_cs_bp_start, _i2, _i3, _i4), so that
 * a breakpoint can stop it at each one; abi_cs_bp_post clears rseq_cs
 * and returns 6, the abort handler abi_cs_bp_abort returns 1 (an abort
 * has cleared rseq_cs). Clearing it at once leaves no window in which a
 * later interrupt or context switch would evaluate the descriptor again
 * (fatally, if it is invalid) at an IP outside the CS.
 */
#define ABI_HAVE_CS_BP 1

long abi_cs_bp(__u64 *rseq_cs, struct rseq_cs *desc);
extern const char abi_cs_bp_pre[], abi_cs_bp_start[], abi_cs_bp_i2[], abi_cs_bp_i3[],
	abi_cs_bp_i4[], abi_cs_bp_post[], abi_cs_bp_abort[];

asm(".pushsection .text\n\t"
	".p2align 4\n\t"
	".globl abi_cs_bp\n\t.hidden abi_cs_bp\n\t"
	".globl abi_cs_bp_pre\n\t.hidden abi_cs_bp_pre\n\t"
	".globl abi_cs_bp_start\n\t.hidden abi_cs_bp_start\n\t"
	".globl abi_cs_bp_i2\n\t.hidden abi_cs_bp_i2\n\t"
	".globl abi_cs_bp_i3\n\t.hidden abi_cs_bp_i3\n\t"
	".globl abi_cs_bp_i4\n\t.hidden abi_cs_bp_i4\n\t"
	".globl abi_cs_bp_post\n\t.hidden abi_cs_bp_post\n\t"
	".globl abi_cs_bp_abort\n\t.hidden abi_cs_bp_abort\n\t"
	".type abi_cs_bp, @function\n"
	"abi_cs_bp:\n"
	"abi_cs_bp_pre:\n\t"
	"movq %rsi, (%rdi)\n"
	"abi_cs_bp_start:\n\t"
	"xorl %eax, %eax\n"
	"abi_cs_bp_i2:\n\t"
	"addl $2, %eax\n"
	"abi_cs_bp_i3:\n\t"
	"nop\n"
	"abi_cs_bp_i4:\n\t"
	"addl $4, %eax\n"
	"abi_cs_bp_post:\n\t"
	"movq $0, (%rdi)\n\t"
	"ret\n\t"
	ABI_SIG_INSN
	"\nabi_cs_bp_abort:\n\t"
	"movl $1, %eax\n\t"
	"ret\n\t"
	".size abi_cs_bp, . - abi_cs_bp\n\t"
	".popsection\n");

static inline void abi_cs_desc_bp(struct rseq_cs *d)
{
	memset(d, 0, sizeof(*d));
	d->start_ip = (uintptr_t)abi_cs_bp_start;
	d->post_commit_offset = abi_cs_bp_post - abi_cs_bp_start;
	d->abort_ip = (uintptr_t)abi_cs_bp_abort;
}
#endif /* __x86_64__ */

#endif /* __x86_64__ || __aarch64__ */
#endif /* _RSEQ_ABI_CS_ASM_H */
