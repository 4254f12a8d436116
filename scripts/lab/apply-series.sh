#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Apply the project's series (series/NNNN-slug/, in sorted order) on top
# of rseq-lab-base in $WORK/linux, one commit per directory:
#
#   message   subject line, blank line, body (Signed-off-by is added here
#             from the user's git identity, when there is one)
#   files     new files this patch adds, one repo-relative path a line;
#             the repository holds them at their kernel paths
#   *.diff    git-format diffs for existing kernel files, applied in
#             name order on top of the previous patches
#
# The commits are built in a private index, so a diff that does not apply
# leaves the work tree as it was; only a complete series is checked out,
# and only the files that differ are rewritten (incremental rebuilds).
#
# The branch rseq-lab is where a developer works (git rebase -i,
# range-diff, b4 prep; see 'make branch'). When it describes the same
# series as the repository (same trees, same messages) it is left as it
# is; when it has changes the repository does not have, nothing is
# overwritten: 'make series-from-branch' writes them back first.
# APPLY_HEAD_FILE=path only builds the commits and writes the head there.
set -eu
# shellcheck source=scripts/lab/lib.sh
. "$(dirname "$0")/lib.sh"

SERIES_DIR=${SERIES_DIR:-$SERIES_ROOT/series}
git -C "$TREE" rev-parse -q --verify refs/tags/rseq-lab-base >/dev/null ||
	die "$TREE has no base commit" "run 'make tree' first"

# Identity for the commits: the user's, or a placeholder without sign-off.
author_name=$(git -C "$LAB_ROOT" config user.name || true)
author_email=$(git -C "$LAB_ROOT" config user.email || true)
if [ -n "$author_name" ] && [ -n "$author_email" ]; then
	signoff="Signed-off-by: $author_name <$author_email>"
else
	author_name="rseq lab (no git identity configured)"
	author_email="unknown@invalid"
	signoff=""
fi
export GIT_AUTHOR_NAME="$author_name" GIT_AUTHOR_EMAIL="$author_email"
export GIT_COMMITTER_NAME="$author_name" GIT_COMMITTER_EMAIL="$author_email"
# Fixed dates keep commit ids stable across runs of the same series.
export GIT_AUTHOR_DATE="2026-11-01T00:00:00Z" GIT_COMMITTER_DATE="2026-11-01T00:00:00Z"

patches=$(find "$SERIES_DIR" -mindepth 1 -maxdepth 1 -type d -name '[0-9]*' | sort)

index=$(mktemp)
msgfile=$(mktemp)
trap 'rm -f "$index" "$msgfile"' EXIT
export GIT_INDEX_FILE="$index"

step "series: applying $(printf '%s\n' "$patches" | grep -c . || true) patches onto rseq-lab-base"
git -C "$TREE" read-tree rseq-lab-base
parent=$(git -C "$TREE" rev-parse rseq-lab-base)
for dir in $patches; do
	name=$(basename "$dir")
	[ -f "$dir/message" ] || die "series/$name has no message file" "add series/$name/message (subject, blank line, body)"
	subject=$(head -n1 "$dir/message")
	if [ -f "$dir/files" ]; then
		while IFS= read -r path; do
			case "$path" in "" | "#"*) continue ;; esac
			src="$SERIES_ROOT/$path"
			[ -f "$src" ] || die "series/$name/files lists $path, which is not in the repository" \
				"add the file or remove the line"
			mode=100644
			[ -x "$src" ] && mode=100755
			blob=$(git -C "$TREE" hash-object -w -- "$src")
			git -C "$TREE" update-index --add --cacheinfo "$mode,$blob,$path"
		done <"$dir/files"
	fi
	for diff in "$dir"/*.diff; do
		[ -e "$diff" ] || continue
		if ! git -C "$TREE" apply --cached --whitespace=error-all "$diff" 2>"$msgfile"; then
			sed 's/^/         /' "$msgfile" >&2
			die "series/$name/$(basename "$diff") does not apply (file and hunk above)" \
				"regenerate the diff against $TREE at the previous patch"
		fi
	done
	tree=$(git -C "$TREE" write-tree)
	{
		cat "$dir/message"
		if [ -n "$signoff" ]; then
			printf '\n%s\n' "$signoff"
		fi
	} >"$msgfile"
	parent=$(git -C "$TREE" commit-tree "$tree" -p "$parent" -F "$msgfile")
	log "  $name: $subject"
done
rm -f "$index"
unset GIT_INDEX_FILE

if [ -n "${APPLY_HEAD_FILE:-}" ]; then
	echo "$parent" >"$APPLY_HEAD_FILE"
	exit 0
fi

branch=$(git -C "$TREE" rev-parse -q --verify refs/heads/rseq-lab || true)
applied=$(git -C "$TREE" rev-parse -q --verify "$APPLIED_REF" || true)
fingerprint() {
	python3 "$LAB_ROOT/scripts/lab/series-from-branch.py" fingerprint --tree "$TREE" "$1" ||
		die "cannot read the commits of $1 in $TREE" "see the error above"
}
if [ -n "$branch" ] && [ "$branch" != "$parent" ]; then
	fp_branch=$(fingerprint "$branch")
	fp_series=$(fingerprint "$parent")
	if [ "$fp_branch" = "$fp_series" ]; then
		# The same series (edited on the branch and written back).
		log "the branch rseq-lab describes the series: left as it is ($(git -C "$TREE" rev-parse --short "$branch"))"
		parent=$branch
	elif [ -n "$applied" ] && [ "$branch" != "$applied" ]; then
		die "the branch rseq-lab in $TREE has changes that are not in series/" \
			"write them back with 'make series-from-branch' (or drop them: git -C $TREE reset --hard $APPLIED_REF)"
	fi
fi
tree_idle "$TREE"
current=$(git -C "$TREE" rev-parse -q --verify HEAD || true)
if [ "$current" = "$parent" ] && [ "$branch" = "$parent" ]; then
	git -C "$TREE" update-ref "$APPLIED_REF" "$parent"
	log "series unchanged: $TREE at $(git -C "$TREE" rev-parse --short HEAD)"
	exit 0
fi
# Check out the new head, rewriting only the files that differ.
git -C "$TREE" checkout -q -B rseq-lab "$parent" 2>"$msgfile" || {
	sed 's/^/         /' "$msgfile" >&2
	die "cannot check out the series in $TREE: it has local changes" \
		"commit them on the branch and run 'make series-from-branch', or drop them: git -C $TREE reset --hard"
}
git -C "$TREE" update-ref "$APPLIED_REF" "$parent"
[ -n "$signoff" ] || warn "no git identity configured: commits carry no Signed-off-by (set user.name/user.email)"
log "applied: $TREE at $(git -C "$TREE" rev-parse --short HEAD)"
