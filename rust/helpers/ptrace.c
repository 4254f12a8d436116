// SPDX-License-Identifier: GPL-2.0

#include <linux/ptrace.h>

__rust_helper unsigned long rust_helper_instruction_pointer(struct pt_regs *regs)
{
	return instruction_pointer(regs);
}

__rust_helper void rust_helper_instruction_pointer_set(struct pt_regs *regs, unsigned long val)
{
	instruction_pointer_set(regs, val);
}
