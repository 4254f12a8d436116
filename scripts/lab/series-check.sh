#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# make series-check: every commit of the series must build, with
# CONFIG_RSEQ_RUST both off and (from the patch that adds it) on, with
# CLIPPY=1 and CONFIG_WERROR=y, and pass rustfmtcheck. Too slow for CI
# (two incremental kernel builds per patch); run it before posting.
set -eu
# shellcheck source=scripts/lab/lib.sh
. "$(dirname "$0")/lib.sh"

lab="$LAB_ROOT/scripts/lab"
"$lab/prepare-tree.sh"
"$lab/apply-series.sh"

wt="$WORK/series-check/linux"
commits=$(git -C "$TREE" rev-list --reverse rseq-lab-base..HEAD)
[ -n "$commits" ] || die "the series is empty" "add patches under series/"
git -C "$TREE" worktree remove --force "$wt" >/dev/null 2>&1 || rm -rf "$wt"
git -C "$TREE" worktree prune
mkdir -p "$(dirname "$wt")"
git -C "$TREE" worktree add -q --detach "$wt" rseq-lab-base
extra="$WORK/series-check/werror.config"
printf 'CONFIG_WERROR=y\n' >"$extra"

results="$WORK/series-check/results.txt"
: >"$results"
n=0
total=$(printf '%s\n' "$commits" | grep -c .)
for c in $commits; do
	n=$((n + 1))
	git -C "$wt" checkout -q --detach "$c"
	subject=$(git -C "$wt" log -1 --format=%s)
	step "series-check: patch $n/$total: $subject"
	for impl in c rust; do
		if [ "$impl" = rust ] && ! tree_has_rseq_rust "$wt"; then
			printf '%2d %-4s %-7s %s\n' "$n" "$impl" "n/a" "$subject" >>"$results"
			continue
		fi
		verdict=ok
		if ! LAB_TREE="$wt" LAB_BUILD="$WORK/series-check/build-$impl" IMPL="$impl" \
			CONFIG_EXTRA="$extra" "$lab/configure.sh" >/dev/null; then
			verdict=CONFIG
		elif ! LAB_TREE="$wt" LAB_BUILD="$WORK/series-check/build-$impl" IMPL="$impl" \
			KBUILD_EXTRA="CLIPPY=1" BUILD_SELFTESTS=0 "$lab/build.sh" >/dev/null; then
			verdict=BUILD
		elif [ "$impl" = rust ] && ! make -C "$wt" O="$WORK/series-check/build-$impl" LLVM="$LLVM_SUFFIX" \
			rustfmtcheck >/dev/null 2>&1; then
			verdict=RUSTFMT
		fi
		log "  IMPL=$impl: $verdict"
		printf '%2d %-4s %-7s %s\n' "$n" "$impl" "$verdict" "$subject" >>"$results"
	done
done
git -C "$TREE" worktree remove --force "$wt"
echo
echo "series-check (patch, build, verdict, subject):"
sed 's/^/  /' "$results"
failed=$(grep -c -v -E '^ *[0-9]+ +[a-z]+ +(ok|n/a) ' "$results" || true)
echo "series-check: $(grep -c -E ' (ok) ' "$results") passed, $failed failed"
[ "$failed" -eq 0 ]
