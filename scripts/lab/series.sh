#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# make series: write the applied series as `git format-patch --cover-letter`
# output to $WORK/series, prove that it `git am`s onto the bare base, and
# run checkpatch on every patch (errors fail, warnings are listed).
set -eu
# shellcheck source=scripts/lab/lib.sh
. "$(dirname "$0")/lib.sh"

out="$WORK/series"
base=$(git -C "$TREE" rev-parse rseq-lab-base)
count=$(git -C "$TREE" rev-list --count "$base..HEAD")
[ "$count" -gt 0 ] || die "the series is empty" "add patches under series/"

step "series: format-patch of $count patches into $out"
rm -rf "$out"
mkdir -p "$out"
# SERIES_VERSION: the version of the series (its cover letter says what
# changed since the previous one).
git -C "$TREE" format-patch -q --cover-letter --base="$base" \
	--subject-prefix="PATCH RFC" --reroll-count="${SERIES_VERSION:-2}" -o "$out" "$base..HEAD"
cover=$(ls "$out"/*0000-cover-letter.patch)
title="rseq: a Rust implementation of the rseq ABI v1/v2"
blurb="$LAB_ROOT/series/cover-letter"
signed=1
grep -q '^Signed-off-by:' "$out"/*0001-*.patch || signed=0
# The blurb: series/cover-letter with the benchmark table and the test
# matrix made from series/results/ (make results refreshes it from out/).
python3 "$LAB_ROOT/scripts/lab/cover-letter.py" render "$LAB_ROOT/series/results" "$blurb" >"$out/blurb.txt" ||
	die "cannot write the cover letter's tables" "see the error above; 'make results' after 'make test' and 'make bench'"
python3 - "$cover" "$title" "$out/blurb.txt" "$signed" <<'PY'
import sys

path, title, blurb, signed = sys.argv[1:5]
text = open(path).read()
body = open(blurb).read().strip()
if signed == "0":
    body += ("\n\nThis series was generated without a git identity, so it carries\n"
             "no Signed-off-by: set user.name and user.email to sign it off.")
text = text.replace("*** SUBJECT HERE ***", title, 1)
text = text.replace("*** BLURB HERE ***", body, 1)
open(path, "w").write(text)
PY
rm -f "$out/blurb.txt"
[ "$signed" = 1 ] || warn "no git identity: the series carries no Signed-off-by (the cover letter says so)"

step "series: git am onto the bare base"
check="$WORK/.am-check"
git -C "$TREE" worktree remove --force "$check" >/dev/null 2>&1 || rm -rf "$check"
git -C "$TREE" worktree prune
git -C "$TREE" worktree add -q --detach "$check" "$base"
find "$out" -name '*.patch' ! -name '*0000-cover-letter.patch' | sort >"$check.list"
# shellcheck disable=SC2046 # one argument per patch file
git -C "$check" -c user.name=lab -c user.email=lab@localhost am -q $(cat "$check.list") \
	>"$check.log" 2>&1 || sed 's/^/         /' "$check.log" >&2
rm -f "$check.list" "$check.log"
want=$(git -C "$TREE" rev-parse 'HEAD^{tree}')
got=$(git -C "$check" rev-parse 'HEAD^{tree}')
applied=$(git -C "$check" rev-list --count "$base..HEAD")
git -C "$TREE" worktree remove --force "$check"
if [ "$applied" != "$count" ] || [ "$got" != "$want" ]; then
	die "git am of $out onto the base applied $applied of $count patches (tree ${got:0:12}, want ${want:0:12})" \
		"run 'git am' by hand on a checkout of rseq-lab-base to see which patch fails"
fi
log "git am: all $count patches apply onto $(git -C "$TREE" log -1 --format=%s "$base")"

step "series: checkpatch --strict"
errors=0
ignore_sob=""
[ "$signed" = 1 ] || ignore_sob=",MISSING_SIGN_OFF"
for p in "$out"/*.patch; do
	case "$p" in *0000-cover-letter.patch) continue ;; esac
	res=$(perl "$TREE/scripts/checkpatch.pl" --strict --no-tree --terse --show-types \
		--ignore "FILE_PATH_CHANGES$ignore_sob" "$p" 2>&1) || true
	e=$(printf '%s\n' "$res" | grep -c ': ERROR:' || true)
	w=$(printf '%s\n' "$res" | grep -c -E ': (WARNING|CHECK):' || true)
	log "  $(basename "$p"): $e errors, $w warnings"
	printf '%s\n' "$res" | grep -E ': (ERROR|WARNING|CHECK):' | sed 's/^/      /' | head -n 20
	errors=$((errors + e))
done
[ "$errors" -eq 0 ] || die "checkpatch found $errors errors" "fix them in series/"
log "series ready: $out"
