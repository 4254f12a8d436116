#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# make bench: guest instructions per getppid() and per pipe round trip
# between two processes, without rseq, with a legacy (32-byte) and with a
# v2 registration, on every kernel build that exists (IMPLS, default
# "c rust"). Never builds a kernel: a missing bzImage is skipped.
#
# QEMU runs with -icount shift=0,sleep=off and one CPU, so a guest
# nanosecond is a guest instruction; the guest reads CLOCK_MONOTONIC on
# the tsc clocksource (tsc=reliable clocksource=tsc). Table in
# $WORK/bench.txt, consoles in $WORK/bench-console-$IMPL.log.
#
#   BENCH_ARGS="-g 20000 -p 5000 -r 5"   rseq_bench options (see bench/rseq_bench.c)
set -eu
# shellcheck source=scripts/lab/lib.sh
. "$(dirname "$0")/lib.sh"

IMPLS=${IMPLS:-c rust}
BENCH_ARGS=${BENCH_ARGS:--g 20000 -p 5000 -r 5}
GUEST_TIMEOUT=${GUEST_TIMEOUT:-1200}
BENCH_APPEND="tsc=reliable clocksource=tsc ${GUEST_APPEND:-}"
lab="$LAB_ROOT/scripts/lab"
start=$(date +%s)
mkdir -p "$WORK/bench"

step "bench: compiling bench/rseq_bench.c (static)"
prog="$WORK/bench/rseq_bench"
gcc -O2 -Wall -Wextra -static -o "$prog" "$LAB_ROOT/bench/rseq_bench.c" ||
	die "cannot compile bench/rseq_bench.c" "the static glibc comes with libc6-dev"
BENCH="$prog" BENCH_ARGS="$BENCH_ARGS" "$lab/mkinitramfs.sh"
initrd="$WORK/guest-bench/initramfs.cpio.gz"

ran=()
for impl in $IMPLS; do
	kernel="$WORK/build-$impl/arch/x86/boot/bzImage"
	if [ ! -f "$kernel" ]; then
		warn "IMPL=$impl: no $kernel, skipped (build it with 'make build IMPL=$impl')"
		continue
	fi
	step "bench: IMPL=$impl, QEMU TCG -icount shift=0,sleep=off, 1 CPU ($BENCH_ARGS)"
	python3 "$lab/guest.py" --bench --label "bench-$impl" \
		--kernel "$kernel" --initrd "$initrd" \
		--log "$WORK/bench-console-$impl.log" --json "$WORK/bench-$impl.json" \
		--timeout "$GUEST_TIMEOUT" --smp 1 --memory 512M --icount \
		--append "$BENCH_APPEND" ||
		die "benchmark failed on IMPL=$impl" "read $WORK/bench-console-$impl.log"
	ran+=("$impl")
done
[ ${#ran[@]} -gt 0 ] || die "no kernel to benchmark (IMPLS=$IMPLS)" "run 'make build IMPL=c'"

step "bench: results"
python3 - "$WORK" "$BENCH_ARGS" "${ran[@]}" >"$WORK/bench.txt" <<'PY'
import json
import re
import sys

work, args, impls = sys.argv[1], sys.argv[2], sys.argv[3:]
data, info = {}, {}
for impl in impls:
    with open(f"{work}/bench-{impl}.json") as f:
        data[impl] = {(r["op"], r["variant"]): r["ns"] for r in json.load(f)["bench"]}
    spread, cs, ratio = {}, "?", "?"
    with open(f"{work}/bench-console-{impl}.log") as f:
        for line in f:
            w = line.split()
            if line.startswith("BENCHSPREAD "):
                spread[(w[1], w[2])] = (float(w[3]), float(w[4]))
            elif line.startswith("BENCHINFO clocksource "):
                cs = w[2]
            elif line.startswith("BENCHINFO clockcheck "):
                ratio = re.sub(r"^ratio=", "", w[-1])
    info[impl] = (spread, cs, ratio)

print("rseq benchmark: guest instructions per operation")
print(f"QEMU TCG -icount shift=0,sleep=off, 1 CPU; rseq_bench {args}; median of the repetitions")
print("getppid: one call; pingpong: one round trip of 1 byte between two processes over two pipes")
print()
head = f"{'operation':<10} {'variant':<7}" + "".join(f" {i:>9}" for i in impls)
if "c" in impls and len(impls) > 1:
    head += "".join(f" {i + '/c':>9}" for i in impls if i != "c")
print(head)
keys = [k for k in data[impls[0]]]
for impl in impls[1:]:
    keys += [k for k in data[impl] if k not in keys]
for op, variant in keys:
    row = f"{op:<10} {variant:<7}"
    for impl in impls:
        v = data[impl].get((op, variant))
        row += f" {v:>9.1f}" if v is not None else f" {'-':>9}"
    if "c" in impls and len(impls) > 1:
        c = data["c"].get((op, variant))
        for impl in impls:
            if impl == "c":
                continue
            v = data[impl].get((op, variant))
            row += f" {v / c:>9.3f}" if v and c else f" {'-':>9}"
    print(row)
print()
print("rseq cost per operation (variant minus norseq)")
print(f"{'operation':<10} {'variant':<7}" + "".join(f" {i:>9}" for i in impls))
for op, variant in keys:
    if variant == "norseq":
        continue
    row = f"{op:<10} {variant:<7}"
    for impl in impls:
        v, base = data[impl].get((op, variant)), data[impl].get((op, "norseq"))
        row += f" {v - base:>+9.1f}" if v is not None and base is not None else f" {'-':>9}"
    print(row)
print()
for impl in impls:
    spread, cs, ratio = info[impl]
    worst = max(((hi - lo) / data[impl][k] * 100 for k, (lo, hi) in spread.items() if data[impl].get(k)),
                default=0.0)
    print(f"{impl}: clocksource {cs}, CLOCK_MONOTONIC/TSC {ratio}, "
          f"widest min-max spread over repetitions {worst:.2f}% of the median")
PY
cat "$WORK/bench.txt"
log "bench: $WORK/bench.txt ($(($(date +%s) - start)) s)"
