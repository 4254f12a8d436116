#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# make soak: the differential soak (issue 13, part 2). Boots every
# existing kernel build (IMPLS, default "c rust"; never builds one) under
# QEMU TCG with two CPUs and runs tools/testing/selftests/rseq/abi_soak
# with the same seed on each. The soak prints a hash of its deterministic
# outcome log per block of SOAK_BLOCK operations and checks the
# timing-dependent operations against invariants in the guest. The block
# hashes of every build must equal those of the first one (IMPL=c, the
# oracle); on a difference the first differing block is replayed on both
# kernels with its log printed, and the first differing operation is
# shown.
#
#   SOAK_OPS=1000000   deterministic operations per ABI mode (legacy, v2)
#   SOAK_TOPS=         timing operations per mode (default SOAK_OPS / 100)
#   SOAK_SEED=1        the seed (any 64-bit number; replays a run)
#   SOAK_BLOCK=10000   operations per hash line
#   SOAK_MODE=v2       only one ABI mode (legacy or v2; default both)
#   SOAK_DUMP=K        every run also prints the operation lines of block K
#                      (soak-log-BUILD.txt); a difference in it is shown from
#                      these logs, without a replay: for a difference that
#                      does not reproduce (with SOAK_BLOCK=SOAK_OPS, K=0: all)
#   SOAK_CI=1          the short CI size (SOAK_OPS=50000, SOAK_BLOCK=1000
#                      unless set): about 30 s per build
#   DEBUG=1            the debug kernels (make run DEBUG=1 builds them in
#                      $WORK/build-IMPL-debug); SOAK_OPS=100000 unless set,
#                      and any KASAN/lockdep/UBSAN/... report fails
#
# Consoles in $WORK/soak-console-$IMPL.log, block hashes in
# $WORK/soak-$IMPL.blocks (IMPL-debug with DEBUG=1).
set -eu
# shellcheck source=scripts/lab/lib.sh
. "$(dirname "$0")/lib.sh"

IMPLS=${IMPLS:-c rust}
if [ "${SOAK_CI:-0}" = 1 ]; then
	SOAK_OPS=${SOAK_OPS:-50000}
	SOAK_BLOCK=${SOAK_BLOCK:-1000}
fi
# DEBUG=1: the debug builds, 10^5 operations per mode by default (KASAN
# and lockdep under TCG are several times slower).
if [ "$DEBUG" = 1 ]; then
	SOAK_OPS=${SOAK_OPS:-100000}
	GUEST_TIMEOUT=${GUEST_TIMEOUT:-7200}
fi
SOAK_OPS=${SOAK_OPS:-1000000}
SOAK_TOPS=${SOAK_TOPS:-}
SOAK_SEED=${SOAK_SEED:-1}
SOAK_BLOCK=${SOAK_BLOCK:-10000}
GUEST_TIMEOUT=${GUEST_TIMEOUT:-3600}
src="$LAB_ROOT/tools/testing/selftests/rseq/abi_soak.c"
start=$(date +%s)
# The kernel log lines that fail a run: guest.py's list (one definition for
# every guest), plus any "panicked".
BAD_KERNEL_RE=$(python3 -c 'import importlib.util as u, sys
s = u.spec_from_file_location("guest", sys.argv[1]); m = u.module_from_spec(s); s.loader.exec_module(m)
print(m.BAD_KERNEL_RE.pattern)' "$LAB_ROOT/scripts/lab/guest.py")"|panicked"

SOAK_MODE=${SOAK_MODE:-}
SOAK_DUMP=${SOAK_DUMP:-}
case "$SOAK_MODE" in
"" | legacy | v2) ;;
*) die "SOAK_MODE=$SOAK_MODE is not an ABI mode of the soak" "use SOAK_MODE=legacy or SOAK_MODE=v2, or leave it out (both)" ;;
esac
case "$SOAK_OPS$SOAK_SEED$SOAK_BLOCK${SOAK_TOPS:-0}$SOAK_DUMP" in
*[!0-9xXa-fA-F]*) die "SOAK_OPS, SOAK_TOPS, SOAK_SEED and SOAK_BLOCK must be numbers" "e.g. make soak SOAK_OPS=100000 SOAK_SEED=0x1234" ;;
esac

# The kernels: every IMPL in IMPLS must have been built. variant[IMPL] is
# the name of its build (lab_variant: c, rust-debug, ...).
declare -A variant
for impl in $IMPLS; do
	# shellcheck disable=SC2086 # VARIANT_SUFFIXES is a list
	variant[$impl]=$(lab_variant x86_64 "$impl" $VARIANT_SUFFIXES)
	kernel="$WORK/build-${variant[$impl]}/arch/x86/boot/bzImage"
	[ -f "$kernel" ] || die "IMPL=$impl: no $kernel" "build it with 'make build IMPL=$impl$DEBUG_ARG' (make soak never builds kernels)"
done
read -r -a impls <<<"$IMPLS"
oracle=${impls[0]}
headers="$WORK/build-${variant[$oracle]}/usr/include"
# The guest's files, one folder per variant (a debug soak may run beside
# a normal one).
out="$WORK/guest-soak-${variant[$oracle]}"
[ -d "$headers/linux" ] || die "no UAPI headers in $headers" "run 'make build IMPL=$oracle$DEBUG_ARG'"
[ -f "$TREE/tools/include/linux/compiler.h" ] ||
	die "no kernel tree in $TREE (the soak needs its tools/include)" "run 'make apply'"

step "soak: compiling abi_soak (static), seed $SOAK_SEED, $SOAK_OPS operations per mode"
rm -rf "$out"
mkdir -p "$out/root"/{bin,proc,sys,dev,tmp}
gcc -O2 -Wall -static -isystem "$headers" -I "$TREE/tools/include" \
	-o "$out/root/bin/abi_soak" "$src" -lpthread ||
	die "cannot compile $src" "the static glibc comes with libc6-dev; fix the compiler errors above"

# The guest: busybox, the soak and the lab's /init (guest-init.sh), which
# runs it once with the settings of its /lab.conf and powers off.
install_busybox "$out/root"

# boot_soak IMPL KERNEL TAG [ENV...]: boot with the soak settings plus ENV
# (VAR=value lines); console in $WORK/soak-console-TAG.log.
boot_soak() {
	local impl=$1 kernel=$2 tag=$3 console line conf
	shift 3
	console="$WORK/soak-console-$tag.log"
	conf=(LAB_GUEST=soak "export SOAK_SEED=$SOAK_SEED SOAK_OPS=$SOAK_OPS SOAK_BLOCK=$SOAK_BLOCK SOAK_TOPS=$SOAK_TOPS SOAK_MODE=$SOAK_MODE SOAK_DUMP=$SOAK_DUMP")
	for line in "$@"; do conf+=("export $line"); done
	install_guest_init "$out/root" "${conf[@]}"
	pack_initramfs "$out/root" "$out/initramfs-$tag.cpio.gz"
	log "boot IMPL=$impl ($kernel), console $console"
	# Progress: every tenth block hash (block numbers ending in 9), the
	# soak's own result lines.
	python3 "$LAB_ROOT/scripts/lab/guest.py" --guest soak --label "soak-$tag" \
		--kernel "$kernel" --initrd "$out/initramfs-$tag.cpio.gz" \
		--log "$console" --json "$WORK/soak-$tag.json" --timeout "$GUEST_TIMEOUT" \
		--append "$VARIANT_APPEND${GUEST_APPEND:+ $GUEST_APPEND}" \
		--echo '^SOAK \S+ block [0-9]*9 |^SOAK (?!\S+ block )|^ok |^not ok |^[0-9]+ passed, [0-9]+ failed$' ||
		die "IMPL=$impl: the soak guest failed (problems above)" \
			"read $console; a hang: raise GUEST_TIMEOUT or lower SOAK_OPS"
	if grep -E -q "$BAD_KERNEL_RE" "$console"; then
		grep -E "$BAD_KERNEL_RE" "$console" | head -n 5 >&2
		die "IMPL=$impl: the kernel log shows a WARNING/BUG/Oops" "read $console"
	fi
}

results=()
failed_impls=()
for impl in $IMPLS; do
	kernel="$WORK/build-${variant[$impl]}/arch/x86/boot/bzImage"
	step "soak: IMPL=$impl (build ${variant[$impl]}), QEMU TCG, 2 CPUs"
	t0=$(date +%s)
	boot_soak "$impl" "$kernel" "${variant[$impl]}"
	console="$WORK/soak-console-${variant[$impl]}.log"
	grep '^SOAK [a-z0-9]* block ' "$console" >"$WORK/soak-${variant[$impl]}.blocks" || true
	if [ -n "$SOAK_DUMP" ]; then
		grep '^SOAKLOG ' "$console" | cut -d' ' -f2- >"$WORK/soak-log-${variant[$impl]}.txt" || true
	fi
	summary=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$console" | tail -n1 || true)
	log "IMPL=$impl: ${summary:-no summary} in $(($(date +%s) - t0)) s"
	results+=("$impl: ${summary:-no summary}, $(grep -c . "$WORK/soak-${variant[$impl]}.blocks") block hashes, $(($(date +%s) - t0)) s")
	if ! [[ "$summary" =~ ^[1-9][0-9]*\ passed,\ 0\ failed$ ]]; then
		# Still compare the logs: the first differing operation says more.
		warn "IMPL=$impl: the soak failed (${summary:-no summary}); its SOAK FAIL lines give the seed and operation"
		grep '^SOAK FAIL' "$console" | head -n 3 >&2 || true
		failed_impls+=("$impl")
	fi
done

step "soak: comparing the outcome logs (block hashes) with IMPL=$oracle"
for impl in $IMPLS; do
	[ "$impl" = "$oracle" ] && continue
	first=$(diff <(cat "$WORK/soak-${variant[$oracle]}.blocks") <(cat "$WORK/soak-${variant[$impl]}.blocks") |
		grep -m1 -E '^[<>] SOAK' || true)
	if [ -z "$first" ]; then
		log "IMPL=$impl: identical to IMPL=$oracle ($(grep -c . "$WORK/soak-${variant[$impl]}.blocks") block hashes)"
		continue
	fi
	# "< SOAK mode block K ops N hash H"
	read -r _ _ mode _ k _ _ _ _ <<<"$first"
	if [ -n "$SOAK_DUMP" ]; then
		# Every run printed block SOAK_DUMP: compare those logs, which
		# also shows a difference that would not reproduce on a replay.
		log "IMPL=$impl differs from IMPL=$oracle in $mode block $k; comparing the logs of block $SOAK_DUMP (SOAK_DUMP)"
		ops=$SOAK_OPS
		a="$WORK/soak-log-${variant[$oracle]}.txt"
		b="$WORK/soak-log-${variant[$impl]}.txt"
		same="the logs of block $SOAK_DUMP are identical: the difference is in another block"
	else
		log "IMPL=$impl differs from IMPL=$oracle in $mode block $k: replaying it with its log"
		ops=$(((k + 1) * SOAK_BLOCK))
		for tag in "$oracle" "$impl"; do
			boot_soak "$tag" "$WORK/build-${variant[$tag]}/arch/x86/boot/bzImage" "replay-${variant[$tag]}" \
				"SOAK_MODE=$mode" "SOAK_OPS=$ops" "SOAK_TOPS=1" "SOAK_DUMP=$k"
			grep "^SOAKLOG $mode " "$WORK/soak-console-replay-${variant[$tag]}.log" | cut -d' ' -f2- >"$WORK/soak-replay-${variant[$tag]}.log" || true
		done
		a="$WORK/soak-replay-${variant[$oracle]}.log"
		b="$WORK/soak-replay-${variant[$impl]}.log"
		same="the replayed block is identical: the difference did not reproduce (rerun with SOAK_DUMP=$k to keep the logs of every run)"
	fi
	# The first line (operation) where the logs part.
	python3 - "$a" "$b" "$oracle" "$impl" "$same" <<'PY'
import sys
a = open(sys.argv[1]).read().splitlines()
b = open(sys.argv[2]).read().splitlines()
for i in range(max(len(a), len(b))):
    x = a[i] if i < len(a) else "(missing)"
    y = b[i] if i < len(b) else "(missing)"
    if x != y:
        print(f"first differing operation: {' '.join(x.split(' ', 2)[:2])}")
        print(f"  {sys.argv[3]:>5}: {x}")
        print(f"  {sys.argv[4]:>5}: {y}")
        break
else:
    print(sys.argv[5])
PY
	[ ${#failed_impls[@]} -eq 0 ] || warn "invariant failures on: ${failed_impls[*]} (see above)"
	die "IMPL=$impl: outcome log differs from IMPL=$oracle (seed $SOAK_SEED, $mode, block $k)" \
		"compare $a and $b; replay with SOAK_SEED=$SOAK_SEED SOAK_OPS=$ops"
done

[ ${#failed_impls[@]} -eq 0 ] ||
	die "invariant failures on: ${failed_impls[*]} (the outcome logs are identical)" \
		"read the SOAK FAIL lines in $WORK/soak-console-IMPL.log; replay with SOAK_SEED=$SOAK_SEED SOAK_OPS=$SOAK_OPS"

step "soak: results (seed $SOAK_SEED, $SOAK_OPS operations per mode)"
for r in "${results[@]}"; do
	log "$r"
done
for impl in $IMPLS; do
	grep -E '^SOAK [a-z0-9]+ (det|timing):' "$WORK/soak-console-${variant[$impl]}.log" | sed "s/^/[$impl] /" || true
done
log "soak: outcome logs identical on: $IMPLS ($(($(date +%s) - start)) s)"
