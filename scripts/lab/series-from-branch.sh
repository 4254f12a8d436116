#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# make series-from-branch (make unbranch): write the repository's series
# (series/NNNN-slug/{message,files,*.diff} and the new files at their
# kernel paths) back from the branch rseq-lab of the lab's kernel tree, then
# check that the two agree: the series re-applied onto rseq-lab-base must
# give the branch's trees and messages, commit for commit. The branch is
# left as it is. See series-from-branch.py for how commits map to
# directories and what is refused.
set -eu
# shellcheck source=scripts/lab/lib.sh
. "$(dirname "$0")/lib.sh"

SERIES_DIR=${SERIES_DIR:-$SERIES_ROOT/series}
lab="$LAB_ROOT/scripts/lab"
git -C "$TREE" rev-parse -q --verify refs/heads/rseq-lab >/dev/null ||
	die "$TREE has no branch rseq-lab" "run 'make branch' first"
tree_idle "$TREE"
[ -z "$(git -C "$TREE" status --porcelain --untracked-files=no)" ] ||
	die "$TREE has uncommitted changes: they would not be written back" \
		"commit them on the branch (git commit --fixup, git rebase -i --autosquash) or drop them, then run again"

n=$(git -C "$TREE" rev-list --count rseq-lab-base..rseq-lab)
step "series-from-branch: writing $SERIES_DIR from $n commits rseq-lab-base..rseq-lab of $TREE"
python3 "$lab/series-from-branch.py" write --tree "$TREE" --root "$SERIES_ROOT" --series "$SERIES_DIR" ||
	die "nothing was written" "see the ERROR above"

step "series-from-branch: checking that the series re-applied gives the branch"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
APPLY_HEAD_FILE="$tmp/head" SERIES_DIR="$SERIES_DIR" "$lab/apply-series.sh" >/dev/null ||
	die "the written series does not apply" "run 'make apply' to see why; the branch is unchanged"
head=$(cat "$tmp/head")
python3 "$lab/series-from-branch.py" fingerprint --tree "$TREE" rseq-lab >"$tmp/branch" ||
	die "cannot read the commits of the branch" "see the error above"
python3 "$lab/series-from-branch.py" fingerprint --tree "$TREE" "$head" >"$tmp/series" ||
	die "cannot read the commits of the re-applied series" "see the error above"
if ! cmp -s "$tmp/branch" "$tmp/series"; then
	git -C "$TREE" range-diff --no-color rseq-lab-base..rseq-lab "rseq-lab-base..$head" | grep -v '^[0-9]*: *[0-9a-f]* = ' | head -n 40 >&2
	die "the series written from the branch does not give the branch (range-diff above)" \
		"this is a bug of series-from-branch.py; the branch is unchanged"
fi
git -C "$TREE" update-ref "$APPLIED_REF" rseq-lab
log "series/ and the branch agree: $n patches, same trees and messages"
git -C "$SERIES_ROOT" status --short -- "$SERIES_DIR" kernel rust tools include init arch Documentation 2>/dev/null |
	sed 's/^/  /' || true
