#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# make bench: guest instructions per operation of rseq-relevant kernel
# paths (see bench/rseq_bench.c for the rows), without rseq, with a legacy
# (32-byte) and with a v2 registration, on every kernel build that exists
# (IMPLS, default "c rust"), RUNS times each, interleaved (c, rust, c,
# rust, ...). Never builds a kernel: a missing bzImage is skipped.
#
# QEMU runs with -icount shift=0,sleep=off, so a guest nanosecond is a
# guest instruction; the guest reads CLOCK_MONOTONIC on the tsc clocksource
# (tsc=reliable clocksource=tsc). BENCH_SMP vCPUs (default 2: the
# membarrier row needs a second CPU; everything else runs pinned to CPU 0).
# Table in $WORK/bench.txt: per row the median of the run medians, their
# spread, the Rust/C ratio, the rseq cost over the baseline row, and the
# size of the rseq exit path in each vmlinux. Per run: $WORK/bench/.
#
#   RUNS=5                 boots per build
#   BENCH_ARGS="..."       rseq_bench options (see bench/rseq_bench.c)
#   BENCH_PARAM_ARGS="-T s -t 2 -r 10000"  param_test_benchmark arguments (-L added for v1)
#   BENCH_SMP=2            vCPUs (1: the old single-CPU setup, no membarrier row)
#   BENCH_SIZE=1           0 skips the exit-path size (objdump of each vmlinux)
set -eu
# shellcheck source=scripts/lab/lib.sh
. "$(dirname "$0")/lib.sh"

IMPLS=${IMPLS:-c rust}
RUNS=${RUNS:-5}
BENCH_ARGS=${BENCH_ARGS:--g 20000 -p 5000 -c 2000 -w 200 -m 1000 -r 5}
BENCH_SMP=${BENCH_SMP:-2}
BENCH_SIZE=${BENCH_SIZE:-1}
GUEST_TIMEOUT=${GUEST_TIMEOUT:-1200}
BENCH_APPEND="tsc=reliable clocksource=tsc ${GUEST_APPEND:-}"
lab="$LAB_ROOT/scripts/lab"
start=$(date +%s)
case "$RUNS" in
'' | *[!0-9]* | 0) die "RUNS must be a positive number, not '$RUNS'" "make bench RUNS=5" ;;
esac

kernels=()
for impl in $IMPLS; do
	kernel="$WORK/build-$impl/arch/x86/boot/bzImage"
	if [ ! -f "$kernel" ]; then
		warn "IMPL=$impl: no $kernel, skipped (build it with 'make build IMPL=$impl')"
		continue
	fi
	kernels+=("$impl")
done
# A build that changes under the benchmark would mix two kernels.
declare -A kernel_id
kernel_id_of() {
	printf '%s (bzImage %s, sha256 %s)' "$1" \
		"$(date -r "$WORK/build-$1/arch/x86/boot/bzImage" '+%F %T')" \
		"$(sha256sum "$WORK/build-$1/arch/x86/boot/bzImage" | cut -c1-12)"
}
[ ${#kernels[@]} -gt 0 ] || die "no kernel to benchmark (IMPLS=$IMPLS)" "run 'make build IMPL=c'"
# The benchmark programs are the same for every build: take the UAPI
# headers and param_test_benchmark of the first one.
first="$WORK/build-${kernels[0]}"
uapi="$first/usr/include"
[ -f "$uapi/linux/rseq.h" ] ||
	die "no installed UAPI headers in $uapi" "run 'make build IMPL=${kernels[0]}' (it installs them)"
param_test="$first/kselftest_install/rseq/param_test_benchmark"

mkdir -p "$WORK/bench"
step "bench: compiling bench/rseq_bench.c (static, UAPI headers of $uapi)"
prog="$WORK/bench/rseq_bench"
gcc -O2 -Wall -Wextra -static -isystem "$uapi" -o "$prog" "$LAB_ROOT/bench/rseq_bench.c" ||
	die "cannot compile bench/rseq_bench.c" "the static glibc comes with libc6-dev"
if [ -x "$param_test" ]; then
	log "param_test_benchmark: $param_test"
else
	warn "no $param_test: the param_test row is left out"
	param_test=""
fi
BENCH="$prog" BENCH_ARGS="$BENCH_ARGS" BENCH_PARAM_TEST="$param_test" "$lab/mkinitramfs.sh"
initrd="$WORK/guest-bench/initramfs.cpio.gz"

for impl in "${kernels[@]}"; do
	kernel_id[$impl]=$(kernel_id_of "$impl")
	log "kernel: ${kernel_id[$impl]}"
done
declare -A jsons
for run in $(seq 1 "$RUNS"); do
	for impl in "${kernels[@]}"; do
		kernel="$WORK/build-$impl/arch/x86/boot/bzImage"
		step "bench: run $run/$RUNS, IMPL=$impl, QEMU TCG -icount shift=0,sleep=off, $BENCH_SMP CPU(s) ($BENCH_ARGS)"
		json="$WORK/bench/run-$run-$impl.json"
		console="$WORK/bench/console-$run-$impl.log"
		python3 "$lab/guest.py" --guest bench --label "bench-$impl-$run" \
			--kernel "$kernel" --initrd "$initrd" \
			--log "$console" --json "$json" \
			--timeout "$GUEST_TIMEOUT" --smp "$BENCH_SMP" --memory 512M --icount \
			--append "$BENCH_APPEND" ||
			die "benchmark run $run failed on IMPL=$impl" "read $console"
		grep -q "^BENCHINFO cpus online=$BENCH_SMP," "$console" ||
			die "run $run on IMPL=$impl: the guest did not see $BENCH_SMP CPUs" "read $console"
		cp "$console" "$WORK/bench-console-$impl.log"
		jsons[$impl]="${jsons[$impl]:+${jsons[$impl]},}$json"
		log "bench: run $run/$RUNS IMPL=$impl done ($(($(date +%s) - start)) s so far)"
	done
done

step "bench: results"
for impl in "${kernels[@]}"; do
	[ "$(kernel_id_of "$impl")" = "${kernel_id[$impl]}" ] ||
		die "the $impl build changed during the benchmark (was ${kernel_id[$impl]})" \
			"run 'make bench' again when no build is running"
done
specs=()
for impl in "${kernels[@]}"; do
	specs+=("$impl=${jsons[$impl]}")
done
header="QEMU TCG -icount shift=0,sleep=off, $BENCH_SMP vCPU(s), measuring on CPU 0; $RUNS runs per build, interleaved; rseq_bench $BENCH_ARGS; per run the median of the repetitions"
python3 "$lab/bench-report.py" "$header" "${specs[@]}" >"$WORK/bench.txt" ||
	die "cannot build the table" "the runs are in $WORK/bench/"
for impl in "${kernels[@]}"; do
	echo "kernel: ${kernel_id[$impl]}"
done >>"$WORK/bench.txt"
if [ "$BENCH_SIZE" = 1 ]; then
	step "bench: size of the rseq exit path (nm, objdump of each vmlinux)"
	vmlinuxes=()
	for impl in "${kernels[@]}"; do
		[ -f "$WORK/build-$impl/vmlinux" ] && vmlinuxes+=("$impl=$WORK/build-$impl/vmlinux")
	done
	if [ ${#vmlinuxes[@]} -gt 0 ]; then
		{
			echo
			python3 "$lab/rseq-size.py" "${vmlinuxes[@]}"
		} >>"$WORK/bench.txt" || die "cannot measure the exit path" "run $lab/rseq-size.py by hand"
	else
		warn "no vmlinux: exit path size left out"
	fi
fi
echo >>"$WORK/bench.txt"
echo "make bench: $(($(date +%s) - start)) s" >>"$WORK/bench.txt"
cat "$WORK/bench.txt"
log "bench: $WORK/bench.txt ($(($(date +%s) - start)) s)"
