#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# make run: provision, fetch the base, apply the series, configure, build,
# pack the guest, boot it under QEMU and run the rseq kselftests.
# Stage times go to $WORK/times-$label.txt; the verdict to
# $WORK/results-$label.json and the console to $WORK/console-$label.log,
# where label is RUN_LABEL or, by default, IMPL.
set -eu
# shellcheck source=scripts/lab/lib.sh
. "$(dirname "$0")/lib.sh"

GUEST_TIMEOUT=${GUEST_TIMEOUT:-2400}
if [ "${FULL:-0}" = 1 ]; then
	GUEST_TIMEOUT=${GUEST_TIMEOUT_FULL:-36000}
	# The full matrix sleeps 1 ms per repetition in its sleep injection
	# runs: on the default jiffies clocksource every sleep lasts a tick.
	GUEST_APPEND="tsc=reliable clocksource=tsc ${GUEST_APPEND:-}"
fi
SMP=${SMP:-2}
# RUN_LABEL names this run's outputs (default: the implementation).
label=${RUN_LABEL:-$IMPL}
times="$WORK/times-$label.txt"
mkdir -p "$WORK"
: >"$times"
rm -f "$WORK/results-$label.json"

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
	stage tree "$lab/prepare-tree.sh"
	stage apply "$lab/apply-series.sh"
	stage configure "$lab/configure.sh"
	stage build "$lab/build.sh"
fi
stage initramfs "$lab/mkinitramfs.sh"

step "boot: QEMU TCG, $SMP CPUs, IMPL=$IMPL${GUEST_APPEND:+, $GUEST_APPEND} (timeout $GUEST_TIMEOUT s)"
rc=0
stage boot python3 "$lab/guest.py" --label "$label" \
	--kernel "$BUILD/arch/x86/boot/bzImage" \
	--initrd "$WORK/guest-$IMPL/initramfs.cpio.gz" \
	--log "$WORK/console-$label.log" --json "$WORK/results-$label.json" \
	--timeout "$GUEST_TIMEOUT" --smp "$SMP" --append "${GUEST_APPEND:-}" --tree "$TREE" || rc=$?
echo
echo "stage times ($label):"
sed 's/^/  /' "$times"
if [ "$rc" -ne 0 ]; then
	die "rseq selftests failed on $label" \
		"read the summary above; console: $WORK/console-$label.log; one test: make run IMPL=$IMPL TESTS=<name>"
fi
