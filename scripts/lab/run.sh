#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# make run: provision, fetch the base, apply the series, configure, build,
# pack the guest, boot it under QEMU and run the rseq kselftests.
# Stage times go to $WORK/times-$label.txt; the verdict to
# $WORK/results-$label.json and the console to $WORK/console-$label.log,
# where label is RUN_LABEL or, by default, the variant (lib.sh: IMPL,
# arm64-IMPL, with -debug for DEBUG=1 and -debugrseq for DEBUG_RSEQ=1).
#
# DEBUG=1 builds the debug kernel (config/debug.config) in
# $WORK/build-IMPL-debug and boots it twice, the tests once with
# rseq_debug=0 (label IMPL-debug) and once with rseq_debug=1 (label
# IMPL-debug+rseq_debug): any KASAN, lockdep, UBSAN, atomic-sleep, list
# corruption report or Rust panic fails the run (guest.py).
# DEBUG_RSEQ=1 (ARCH=arm64) builds CONFIG_DEBUG_RSEQ
# (config/debug-rseq.config) in $WORK/build-arm64-IMPL-debugrseq, booted
# once: its debug key is on from boot.
set -eu
# shellcheck source=scripts/lab/lib.sh
. "$(dirname "$0")/lib.sh"

# KASAN, lockdep and the rest make the debug kernel several times slower
# under TCG.
if [ "$DEBUG" = 1 ]; then
	GUEST_TIMEOUT=${GUEST_TIMEOUT:-7200}
else
	GUEST_TIMEOUT=${GUEST_TIMEOUT:-2400}
fi
if [ "${FULL:-0}" = 1 ]; then
	GUEST_TIMEOUT=${GUEST_TIMEOUT_FULL:-36000}
	# The full matrix sleeps 1 ms per repetition in its sleep injection
	# runs: on the default jiffies clocksource every sleep lasts a tick.
	GUEST_APPEND="tsc=reliable clocksource=tsc ${GUEST_APPEND:-}"
fi
SMP=${SMP:-2}
# RUN_LABEL names this run's outputs (default: the variant).
label=${RUN_LABEL:-$VARIANT}
times="$WORK/times-$label.txt"
mkdir -p "$WORK"
: >"$times"
rm -f "$WORK/results-$label.json"
# The boots: LABEL=EXTRA-KERNEL-PARAMETERS each. DEBUG=1 runs the whole
# set with the rseq debug key off and on (DEBUG_KEYS="0 1"; DEBUG_KEYS=1
# boots only the second, e.g. to repeat it).
boots=("$label=")
if [ "$DEBUG" = 1 ]; then
	boots=()
	for key in ${DEBUG_KEYS:-0 1}; do
		case "$key" in
		0) boots+=("$label=rseq_debug=0") ;;
		1) boots+=("$label+rseq_debug=rseq_debug=1") ;;
		*) die "DEBUG_KEYS=$DEBUG_KEYS: $key is not a value of rseq_debug" "use DEBUG_KEYS=\"0 1\", 0 or 1" ;;
		esac
	done
	rm -f "$WORK/results-$label+rseq_debug.json"
fi

# What the rseq debug key (rseq_debug=1, or DEBUG_RSEQ=1 from boot) does
# to the upstream tests, as the C build shows it: legacy_check writes
# cpu_id_start of its legacy registration, a read-only field in debug
# mode, and the kernel kills it with SIGSEGV. guest.py expects these to
# fail in such a boot (XFAIL) and fails the run if they pass.
DEBUG_KEY_XFAIL=(
	"run_legacy_check.sh=debug mode kills legacy_check (it writes the read-only cpu_id_start): SIGSEGV"
	"run_legacy_check.sh/legacy.legacy_test=debug mode kills it for writing the read-only cpu_id_start: SIGSEGV"
)

# debug_key APPEND: whether a boot with these extra kernel parameters has
# the rseq debug key on.
debug_key() {
	case " $1 " in
	*" rseq_debug=1 "*) return 0 ;;
	*" rseq_debug=0 "*) return 1 ;;
	esac
	[ "$DEBUG_RSEQ" = 1 ]
}

stage() {
	local name="$1" start rc=0
	shift
	start=$(date +%s)
	"$@" || rc=$?
	printf '%-10s %5d s\n' "$name" $(($(date +%s) - start)) >>"$times"
	return "$rc"
}

lab="$LAB_ROOT/scripts/lab"
# BOOT_ONLY=1 boots what is built (another boot of the same kernel).
if [ "${BOOT_ONLY:-0}" != 1 ]; then
	if [ "${SKIP_PROVISION:-0}" != 1 ]; then
		stage provision "$lab/provision.sh"
	fi
	# SKIP_APPLY=1: the caller (make test) has applied the series.
	if [ "${SKIP_APPLY:-0}" != 1 ]; then
		stage tree "$lab/prepare-tree.sh"
		stage apply "$lab/apply-series.sh"
	fi
	stage configure "$lab/configure.sh"
	stage build "$lab/build.sh"
fi
stage initramfs "$lab/mkinitramfs.sh"

rc=0
failed=""
for boot in "${boots[@]}"; do
	blabel=${boot%%=*}
	append="${boot#*=}${VARIANT_APPEND:+ $VARIANT_APPEND}${GUEST_APPEND:+ $GUEST_APPEND}"
	append=${append# }
	step "boot: QEMU TCG, $SMP CPUs, IMPL=$IMPL$DEBUG_ARG${append:+, $append} (timeout $GUEST_TIMEOUT s)"
	expect=()
	if debug_key "$append"; then
		for x in "${DEBUG_KEY_XFAIL[@]}"; do
			expect+=(--expect-fail "$x")
		done
	fi
	brc=0
	stage "boot${blabel#"$label"}" python3 "$lab/guest.py" --label "$blabel" \
		--kernel "$KIMAGE" --arch "$LAB_ARCH" \
		--initrd "$WORK/guest-$VARIANT/initramfs.cpio.gz" \
		--log "$WORK/console-$blabel.log" --json "$WORK/results-$blabel.json" \
		--timeout "$GUEST_TIMEOUT" --smp "$SMP" --append "$append" --tree "$TREE" \
		--parts "$(cat "$WORK/guest-$VARIANT/parts")" "${expect[@]}" || brc=$?
	[ "$brc" -eq 0 ] || { rc=$brc; failed="$failed $blabel"; }
done
echo
echo "stage times ($label):"
sed 's/^/  /' "$times"
if [ "$rc" -ne 0 ]; then
	die "rseq selftests failed on$failed" \
		"read the summaries above; consoles: $WORK/console-<label>.log for:$failed; one test: make run IMPL=$IMPL$DEBUG_ARG TESTS=<name>"
fi
