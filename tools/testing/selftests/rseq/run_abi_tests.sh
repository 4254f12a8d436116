#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Run the rseq ABI conformance tests (abi_*_test). They register their
# own rseq areas, so glibc must not register one: disable it with the
# tunable, like the other rseq scripts do.
#
# Usage: run_abi_tests.sh [program...]   (default: every abi_*_test here)
#
# Exit status: 1 if any program failed, 4 (kselftest skip) if every
# program skipped entirely, 0 otherwise.

ksft_skip=4
progs=("$@")
if [ ${#progs[@]} -eq 0 ]; then
	for p in abi_*_test; do
		[ -e "$p" ] && progs+=("$p")
	done
fi
if [ ${#progs[@]} -eq 0 ]; then
	echo "# no abi_*_test programs found"
	exit 1
fi

export GLIBC_TUNABLES="${GLIBC_TUNABLES:-}:glibc.pthread.rseq=0"

fail=0
ran=0
for p in "${progs[@]}"; do
	if [ ! -x "./$p" ]; then
		echo "# $p: not built"
		fail=1
		continue
	fi
	echo "# ---- $p"
	start=$(date +%s)
	"./$p"
	rc=$?
	echo "# ---- $p: exit $rc, $(($(date +%s) - start)) s"
	case $rc in
	0) ran=1 ;;
	"$ksft_skip") ;;
	126)
		# exec failed: a 32-bit program on a kernel without ia32 support
		echo "# SKIP $p: cannot execute it here (a 32-bit build needs CONFIG_IA32_EMULATION)"
		;;
	*) fail=1 ;;
	esac
done

[ $fail -ne 0 ] && exit 1
[ $ran -eq 0 ] && exit $ksft_skip
exit 0
