#!/bin/bash
# SPDX-License-Identifier: GPL-2.0

# abi_compat_test registers its own rseq areas: keep glibc from registering
# one. When built as a 32-bit program it needs a kernel that runs those.
GLIBC_TUNABLES="${GLIBC_TUNABLES:-}:glibc.pthread.rseq=0" ./abi_compat_test "$@"
rc=$?
if [ "$rc" -eq 126 ]; then
	echo "# SKIP: cannot execute abi_compat_test: a 32-bit build needs CONFIG_IA32_EMULATION"
	exit 4
fi
exit "$rc"
