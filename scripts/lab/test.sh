#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# make test: everything CI checks. The tooling's own checks, then
# make run for every build the series provides (IMPL=c always; IMPL=rust
# once the series adds CONFIG_RSEQ_RUST), then the results side by side:
# any failure, or any difference between the builds, fails.
set -eu
# shellcheck source=scripts/lab/lib.sh
. "$(dirname "$0")/lib.sh"

lab="$LAB_ROOT/scripts/lab"
t_start=$(date +%s)
"$lab/check.sh"
"$lab/provision.sh"
"$lab/prepare-tree.sh"
"$lab/apply-series.sh"

impls="c"
if tree_has_rseq_rust "$TREE"; then
	impls="c rust"
else
	log "the series has no CONFIG_RSEQ_RUST yet: testing IMPL=c only"
fi

# Further boots of each build run the ABI tests with boot parameters:
# the debug key on (debug-only checks, rseq_debug= parsing) and slice
# extensions off (rseq_slice_ext=). The first boot skips those tests.
# Each entry is LABEL=PARAMETERS. The ABI tests are the run_abi_*.sh
# wrappers, one per program.
BOOTS="debug=rseq_debug=1 noslice=rseq_slice_ext=0"
abi_tests=$(cd "$LAB_ROOT/tools/testing/selftests/rseq" && echo run_abi_*_test.sh)

# The guest timeouts of the boots that run a subset: the ABI tests take
# under a minute (the arm64 subset two), so a hang there should not wait
# out run.sh's 40 minutes for the whole set (GUEST_TIMEOUT sets both).
SUBSET_TIMEOUT=${SUBSET_TIMEOUT:-${GUEST_TIMEOUT:-900}}

rc=0
# extra_boots ARCH IMPL BOOT...: boot the built kernel of IMPL on ARCH once
# more per BOOT (LABEL=PARAMETERS) with the ABI tests; the outputs are
# labelled VARIANT+LABEL (c+debug, arm64-c+debug).
extra_boots() {
	local arch="$1" impl="$2" boot
	shift 2
	for boot in "$@"; do
		LAB_ARCH=$arch IMPL=$impl RUN_LABEL="$(lab_variant "$arch" "$impl")+${boot%%=*}" BOOT_ONLY=1 \
			TESTS="$abi_tests" GUEST_APPEND="${boot#*=}" GUEST_TIMEOUT="$SUBSET_TIMEOUT" "$lab/run.sh" || rc=1
	done
}

# The upstream tests that take most of a boot under TCG (about 9 of the
# C build's 10 minutes): make test runs them on the Rust build, make
# test-full (C_LONG=1) on the C build as well. The C build runs all the
# others, so the ABI tests and the short upstream ones are still compared
# between the builds.
LONG_TESTS="basic_percpu_ops_test basic_percpu_ops_mm_cid_test run_param_test.sh"
c_skip=""
if [ "$impls" = "c rust" ] && [ "${C_LONG:-0}" != 1 ]; then
	c_skip=$LONG_TESTS
	log "the C build leaves out $LONG_TESTS (the Rust build runs them; make test-full runs them on both)"
fi

lab_selftest=skipped
for impl in $impls; do
	skip=""
	[ "$impl" = c ] && skip=$c_skip
	IMPL=$impl SKIP_PROVISION=1 SKIP_APPLY=1 SKIP_TESTS="$skip" "$lab/run.sh" || rc=1
	# shellcheck disable=SC2086 # BOOTS is a list
	extra_boots x86_64 "$impl" $BOOTS
	if [ "$impl" = c ]; then
		# The lab's own bad-input cases boot the C build's kernel.
		if "$lab/selftest.sh"; then lab_selftest=ok; else lab_selftest=FAILED; rc=1; fi
	fi
done

# arm64 (make run ARCH=arm64): both builds, and on each the documented
# subset: the ABI suite (with the arm64 preemption-abort regression test,
# abi_cs_test's v2_every_same_cpu_preemption_aborts_cs), the basic tests
# and run_legacy_check.sh; the Rust build runs its KUnit suites at boot.
# Then the ABI suite once more with the debug key on (ARM64_BOOTS; arm64
# has no rseq_slice_ext=). Not the upstream param_test matrix and percpu
# tests, which take longer under TCG than the time this stage may add.
# ARM64=0 leaves it out.
ARM64_TESTS="$abi_tests basic_test run_legacy_check.sh"
ARM64_BOOTS="debug=rseq_debug=1"
arm64_impls=""
if [ "${ARM64:-1}" = 1 ]; then
	LAB_ARCH=arm64 "$lab/provision.sh"
	arm64_impls=$impls
	for impl in $arm64_impls; do
		LAB_ARCH=arm64 IMPL=$impl SKIP_PROVISION=1 SKIP_APPLY=1 TESTS="$ARM64_TESTS" \
			GUEST_TIMEOUT="$SUBSET_TIMEOUT" "$lab/run.sh" || rc=1
		# shellcheck disable=SC2086 # ARM64_BOOTS is a list
		extra_boots arm64 "$impl" $ARM64_BOOTS
	done
fi

# The short differential soak: the same seeded operations on both builds,
# identical outcome logs (make soak runs the long one).
soak=skipped
if [ "$impls" = "c rust" ]; then
	if IMPLS="c rust" SOAK_CI=1 "$lab/soak.sh"; then soak=ok; else soak=FAILED; rc=1; fi
fi

series=ok
if [ "$(git -C "$TREE" rev-list --count rseq-lab-base..HEAD)" -gt 0 ]; then
	"$lab/series.sh" || { series=FAILED; rc=1; }
else
	series="ok (empty)"
fi

# stage_times ARCH IMPL BOOT...: the stage times of a build and its extra boots.
stage_times() {
	local v boot
	v=$(lab_variant "$1" "$2")
	shift 2
	echo "stage times ($v):"
	sed 's/^/  /' "$WORK/times-$v.txt"
	for boot in "$@"; do
		echo "  boot with ${boot#*=}: $(awk '$1 == "boot" {print $2}' "$WORK/times-$v+${boot%%=*}.txt" 2>/dev/null) s"
	done
}

# boot_groups ARCH IMPLS BOOT...: compare.py's groups of the extra boots.
boot_groups() {
	local arch="$1" impls="$2" boot impl prefix=""
	shift 2
	[ "$arch" = arm64 ] && prefix="arm64: "
	for boot in "$@"; do
		args+=("group:${prefix}ABI tests booted with ${boot#*=}")
		for impl in $impls; do
			args+=("$WORK/results-$(lab_variant "$arch" "$impl")+${boot%%=*}.json")
		done
	done
}

# shellcheck disable=SC2086 # the boot lists are lists
{
	for impl in $arm64_impls; do
		stage_times arm64 "$impl" $ARM64_BOOTS
	done
	for impl in $impls; do
		stage_times x86_64 "$impl" $BOOTS
	done
}
log "make test took $(($(date +%s) - t_start)) s"
args=()
for impl in $impls; do
	args+=("$WORK/results-$impl.json")
done
for t in $c_skip; do
	args+=("notrun:c=$t")
done
# shellcheck disable=SC2086 # the boot lists are lists
boot_groups x86_64 "$impls" $BOOTS
if [ -n "$arm64_impls" ]; then
	args+=("group:arm64 (ABI tests, basic tests, run_legacy_check.sh, KUnit)")
	for impl in $arm64_impls; do
		args+=("$WORK/results-$(lab_variant arm64 "$impl").json")
	done
	# shellcheck disable=SC2086
	boot_groups arm64 "$arm64_impls" $ARM64_BOOTS
fi
python3 "$lab/compare.py" "${args[@]}" \
	"check:bad-input=$lab_selftest" "check:soak=$soak" "check:series=$series" || rc=1
exit "$rc"
