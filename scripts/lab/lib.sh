# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0
# Shared helpers for the rseq lab scripts: logging with elapsed time,
# fatal errors that say what to do next, and the common paths.
# Sourced, never executed.

LAB_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
WORK=${WORK:-$LAB_ROOT/out}
LAB_CACHE=${LAB_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/rseq-lab}
LAB_T0=${LAB_T0:-$(date +%s)}
export LAB_T0

# The kernel tree the series is applied to, and one build folder per
# implementation of rseq.
TREE=${LAB_TREE:-$WORK/linux}
IMPL=${IMPL:-c}
BUILD=${LAB_BUILD:-$WORK/build-$IMPL}

LLVM_SUFFIX=${LLVM_SUFFIX:--19}
export LIBCLANG_PATH=${LIBCLANG_PATH:-/usr/lib/llvm${LLVM_SUFFIX}/lib}
export PATH="$HOME/.cargo/bin:$PATH"

# Builds take both cores: serialize every kernel build on this machine.
BUILD_LOCK=${BUILD_LOCK:-/tmp/rseq-lab-build.lock}

_elapsed() {
	local s=$(($(date +%s) - LAB_T0))
	printf '%02d:%02d' $((s / 60)) $((s % 60))
}

log() {
	printf '[%s] %s\n' "$(_elapsed)" "$*"
}

step() {
	printf '\n[%s] ==> %s\n' "$(_elapsed)" "$*"
}

warn() {
	printf '[%s] WARNING: %s\n' "$(_elapsed)" "$*" >&2
}

# die MESSAGE [HINT]: one line saying what failed, one saying what to do.
die() {
	printf '[%s] ERROR: %s\n' "$(_elapsed)" "$1" >&2
	if [ $# -gt 1 ]; then
		printf '         next: %s\n' "$2" >&2
	fi
	exit 1
}

# kmake ARGS...: make in the kernel tree with the lab's toolchain.
kmake() {
	make -C "$TREE" O="$BUILD" LLVM="$LLVM_SUFFIX" "$@"
}

# Print the kernel version of a source tree as MAJOR.MINOR.SUB.
tree_version() {
	local mk="$1/Makefile"
	awk -F' *= *' '
		$1 == "VERSION" { v = $2 }
		$1 == "PATCHLEVEL" { p = $2 }
		$1 == "SUBLEVEL" { s = $2 }
		END { if (v != "" && p != "") printf "%s.%s.%s\n", v, p, s }
	' "$mk" 2>/dev/null
}

# Pass/fail tally for the lab's own checks (check.sh, selftest.sh).
pass=0
fail=0
ok() {
	pass=$((pass + 1))
	log "  ok   $*"
}
bad() {
	fail=$((fail + 1))
	log "  FAIL $*"
}
