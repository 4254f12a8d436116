#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Build the kernel in $BUILD, install its UAPI headers and build the rseq
# kselftests against them with the kernel's own kselftest machinery.
# Output: $KIMAGE ($BUILD/arch/x86/boot/bzImage, or arch/arm64/boot/Image
# with ARCH=arm64) and $BUILD/kselftest_install.
set -eu
# shellcheck source=scripts/lab/lib.sh
. "$(dirname "$0")/lib.sh"

JOBS=${JOBS:-$(nproc)}
log_file="$BUILD/build.log"

# run_logged WHAT CMD...: run a long command with its output in the build
# log, printing a progress line every 30 seconds.
run_logged() {
	local what="$1" start pid rc=0 next
	shift
	start=$(date +%s)
	next=$((start + 30))
	"$@" >>"$log_file" 2>&1 &
	pid=$!
	while kill -0 "$pid" 2>/dev/null; do
		sleep 1
		if [ "$(date +%s)" -ge "$next" ]; then
			next=$((next + 30))
			log "  $what: $(grep -c -E '^  (CC|AS|LD|RUSTC|AR|BINDGEN|GEN|HOSTCC)' "$log_file") steps, now: $(grep -E '^  [A-Z]' "$log_file" | tail -n1 | sed 's/^ *//')"
		fi
	done
	wait "$pid" || rc=$?
	if [ "$rc" -ne 0 ]; then
		grep -E -B2 -A8 'error(\[E[0-9]+\])?:|Error [0-9]' "$log_file" | tail -n 40 >&2 || tail -n 40 "$log_file" >&2
		die "$what failed (exit $rc)" "full log: $log_file"
	fi
	log "  $what done in $(($(date +%s) - start)) s"
}

[ -f "$BUILD/.config" ] || die "$BUILD is not configured" "run 'make config IMPL=$IMPL$DEBUG_ARG'"
: >"$log_file"

step "build: kernel (IMPL=$IMPL$ARCH_ARG, $JOBS jobs; about 6 minutes from scratch)"
build_lock
read -r hits0 misses0 < <(ccache_counts)
# shellcheck disable=SC2086 # KBUILD_EXTRA is a list of make arguments
run_logged "kernel" kmake -j"$JOBS" ${KBUILD_EXTRA:-} "$KIMAGE_TARGET"
if [ -n "$(kmake_cc)" ]; then
	read -r hits misses < <(ccache_counts)
	log "  ccache ($CCACHE_DIR): $((hits - hits0)) C objects from the cache, $((misses - misses0)) compiled"
fi
if [ "${BUILD_SELFTESTS:-1}" = 0 ]; then
	log "kernel: $KIMAGE (selftests not built)"
	exit 0
fi
run_logged "headers" kmake headers

# gen_tar: the install plus the tarball a test farm copies to its machines;
# the guest runs what the tarball holds (mkinitramfs.sh unpacks it).
step "build: rseq kselftests (gen_tar)"
# arm64: the selftests are built with the lab's clang for aarch64 (lib.mk's
# LLVM= and CROSS_COMPILE= give it --target; the rseq Makefile assembles
# with binutils-aarch64-linux-gnu), see GUEST_CC in lib.sh.
SELFTEST_CROSS=""
[ "$KARCH" = x86 ] || SELFTEST_CROSS="ARCH=$KARCH CROSS_COMPILE=$CROSS_COMPILE_PREFIX LLVM=$LLVM_SUFFIX"
rm -rf "$BUILD/kselftest_install"
# shellcheck disable=SC2086 # SELFTEST_CROSS is a list of make arguments
run_logged "selftests" make -C "$TREE/tools/testing/selftests" O="$BUILD" $SELFTEST_CROSS \
	TARGETS=rseq KHDR_INCLUDES="-isystem $BUILD/usr/include" \
	INSTALL_PATH="$BUILD/kselftest_install" gen_tar
flock -u 9
log "kernel: $KIMAGE ($(stat -c %s "$KIMAGE") bytes)"
log "selftests: $(grep -c . "$BUILD/kselftest_install/kselftest-list.txt") listed in $BUILD/kselftest_install/kselftest-packages/kselftest.tar.gz"
