#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Pack the guest: busybox, bash (the kselftest runner and run_param_test.sh
# need it), the installed rseq kselftests, the host libraries they link
# against, and our init. Output: $WORK/guest-$VARIANT/initramfs.cpio.gz
# (VARIANT: IMPL, or IMPL-debug with DEBUG=1)
#
# Guest settings come from the environment and land in /lab.conf:
#   TESTS   space-separated kselftest names ("basic_test run_legacy_check.sh");
#           empty runs the whole rseq collection
#   SKIP_TESTS  kselftest names to leave out of that
#   FULL=1  the full run_param_test.sh matrix instead of the reduced one
#
# BENCH=/path/to/program packs the benchmark guest instead (make bench):
# busybox, that program as /bin/rseq_bench (plus its host libraries) and the
# /init (guest-init.sh, LAB_GUEST=bench) that runs it with BENCH_ARGS and
# glibc's rseq off. With
# BENCH_PARAM_TEST=/path/to/param_test_benchmark it also packs that program
# and its librseq.so as /param_test/ (rseq_bench -b; arguments
# BENCH_PARAM_ARGS, else rseq_bench's default).
# Output: $WORK/guest-bench/initramfs.cpio.gz (the same for every IMPL).
set -eu
# shellcheck source=scripts/lab/lib.sh
. "$(dirname "$0")/lib.sh"

# The reduced matrix: the same run_param_test.sh programs with 20 instead
# of 1000 repetitions (its arguments are appended to every run, a later
# -r wins). About 3 minutes under TCG with two CPUs; FULL=1 about 35
# minutes with the TSC clocksource run.sh gives it.
PARAM_TEST_REDUCED_ARGS="-r 20"

# The tests that flip static keys while the guest runs: tracepoints
# (abi_trace_test enables and disables the rseq events) and the rseq debug
# key (abi_debugfs_test writes /sys/kernel/debug/rseq/debug). They run in
# a boot of their own under single-threaded TCG, the others under QEMU's
# multi-threaded TCG (guest.py: QEMU 7.2 can run a stale translation of
# kernel text another vCPU has just patched).
KEY_FLIP_TESTS="run_abi_debugfs_test.sh run_abi_trace_test.sh"

# The kselftests as gen_tar packs them for other machines (build.sh).
tarball="$BUILD/kselftest_install/kselftest-packages/kselftest.tar.gz"
bench=${BENCH:-}
if [ -n "$bench" ]; then
	[ -x "$bench" ] || die "no benchmark program $bench" "run 'make bench'"
	out="$WORK/guest-bench"
else
	[ -f "$tarball" ] || die "no kselftest tarball $tarball" "run 'make build IMPL=$IMPL$DEBUG_ARG'"
	out="$WORK/guest-$VARIANT"
fi
root="$out/root"
step "guest: packing initramfs${bench:+ (benchmark)}"
rm -rf "$root"
mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,tmp,root,etc}

# No timeout(1), so that the runner's coreutils-only "timeout --foreground"
# is not used (settings say timeout=0 anyway); the kselftest guest's shell
# is bash.
if [ -n "$bench" ]; then
	install_busybox "$root" timeout
	cp "$bench" "$root/bin/rseq_bench"
	elves=("$root/bin/rseq_bench")
	if [ -n "${BENCH_PARAM_TEST:-}" ]; then
		pt_dir=$(dirname "$BENCH_PARAM_TEST")
		[ -f "$pt_dir/librseq.so" ] || die "no librseq.so next to $BENCH_PARAM_TEST" "run 'make build'"
		mkdir -p "$root/param_test"
		cp "$BENCH_PARAM_TEST" "$pt_dir/librseq.so" "$root/param_test/"
		elves+=("$root/param_test")
	fi
else
	fetch_guest_userland
	install_busybox "$root" sh bash timeout
	cp "$GUEST_BASH" "$root/bin/bash"
	ln -s bash "$root/bin/sh"
	mkdir "$root/kselftest"
	tar -xzf "$tarball" -C "$root/kselftest"
	# shellcheck disable=SC2086 # GUEST_CC is a compiler and its options
	$GUEST_CC -O2 -Wall -static -isystem "$BUILD/usr/include" -o "$root/bin/lab-probe" \
		"$LAB_ROOT/scripts/lab/guest-probe.c" ||
		die "cannot compile scripts/lab/guest-probe.c" "it needs the kernel headers: run 'make build IMPL=$IMPL$DEBUG_ARG'"
	elves=("$root/bin/bash" "$root/kselftest")
fi
ln -s ../../bin/env "$root/usr/bin/env"

# Shared libraries of every ELF file in the guest, with their paths. arm64:
# ldd cannot run them; the guest gets the cross glibc's shared libraries
# (libc6-arm64-cross) where its dynamic loader looks for them.
if [ "$LAB_ARCH" = arm64 ]; then
	cross_lib=/usr/aarch64-linux-gnu/lib
	mkdir -p "$root/lib/aarch64-linux-gnu"
	for lib in libc.so.6 libm.so.6 libpthread.so.0 libdl.so.2 librt.so.1 libgcc_s.so.1; do
		cp -L "$cross_lib/$lib" "$root/lib/aarch64-linux-gnu/"
	done
	cp -L "$cross_lib/ld-linux-aarch64.so.1" "$root/lib/"
	elves=()
fi
[ ${#elves[@]} -eq 0 ] || find "${elves[@]}" -type f -perm -u+x -o -type f -name '*.so' |
	while read -r elf; do
		ldd "$elf" 2>/dev/null | grep -o -E '/[^ ]+' || true
	done | sort -u | while read -r lib; do
	[ -e "$lib" ] || continue
	mkdir -p "$root$(dirname "$lib")"
	cp -L "$lib" "$root$lib"
done

if [ -n "$bench" ]; then
	conf=(LAB_GUEST=bench "BENCH_ARGS=\"${BENCH_ARGS:-}\"" "BENCH_PARAM_ARGS=\"${BENCH_PARAM_ARGS:-}\"")
	what="benchmark${BENCH_ARGS:+ $BENCH_ARGS}"
else
	# The tests in two parts, each run in a boot of its own (guest.py
	# --parts): "keys", the tests that flip static keys while the guest
	# runs (KEY_FLIP_TESTS), and "main", the others, in the runner's order.
	main="" keys="" parts=""
	for t in ${TESTS:-$(sed -n 's/^rseq://p' "$root/kselftest/kselftest-list.txt")}; do
		case " ${SKIP_TESTS:-} " in
		*" $t "*) continue ;;
		esac
		case " $KEY_FLIP_TESTS " in
		*" $t "*) keys="$keys -t rseq:$t" ;;
		*) main="$main -t rseq:$t" ;;
		esac
	done
	[ -z "$main" ] || parts="main"
	[ -z "$keys" ] || parts="$parts${parts:+ }keys"
	param_args=$PARAM_TEST_REDUCED_ARGS
	[ "${FULL:-0}" = 1 ] && param_args=""
	conf=(LAB_GUEST=tests "LAB_RUNNER_ARGS=\"$main\"" "LAB_KEYS_RUNNER_ARGS=\"$keys\""
		"KSELFTEST_RUN_PARAM_TEST_SH_ARGS=\"$param_args\"")
	what="tests: ${TESTS:-all rseq}${SKIP_TESTS:+ but $SKIP_TESTS}${FULL:+, FULL=$FULL}; boots: $parts"
	# The boots this guest needs, for run.sh (guest.py --parts).
	echo "$parts" >"$out/parts"
fi
install_guest_init "$root" "${conf[@]}"
pack_initramfs "$root" "$out/initramfs.cpio.gz"
log "initramfs: $out/initramfs.cpio.gz ($(($(stat -c %s "$out/initramfs.cpio.gz") / 1024)) KiB; $what)"
