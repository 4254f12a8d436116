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
if grep -rqs '^config RSEQ_RUST$' "$TREE/init/Kconfig" "$TREE/kernel/rseq/Kconfig"; then
	impls="c rust"
else
	log "the series has no CONFIG_RSEQ_RUST yet: testing IMPL=c only"
fi

results=""
rc=0
for impl in $impls; do
	IMPL=$impl SKIP_PROVISION=1 "$lab/run.sh" || rc=1
	results="$results $WORK/results-$impl.json"
done

# shellcheck disable=SC2086 # results is a list of paths
python3 "$lab/compare.py" $results || rc=1
for impl in $impls; do
	echo "stage times (IMPL=$impl):"
	sed 's/^/  /' "$WORK/times-$impl.txt"
done
log "make test took $(($(date +%s) - t_start)) s"
exit "$rc"
