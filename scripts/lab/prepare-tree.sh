#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Lay out the base kernel as a git repository in $WORK/linux, with the
# base commit tagged rseq-lab-base. The series is applied on top of it
# by apply-series.sh.
#
# Base: Debian's linux-source-7.3 (default) or KDIR=/path/to/linux, a
# kernel git tree at v7.3 or later. KDIR is never modified: the
# workspace is a `git clone --shared` of its committed HEAD, and a KDIR
# with uncommitted changes is refused, since they would silently be
# missing from the build.
set -eu
# shellcheck source=scripts/lab/lib.sh
. "$(dirname "$0")/lib.sh"

KDIR=${KDIR:-}

if [ -n "$KDIR" ]; then
	[ -d "$KDIR" ] || die "KDIR=$KDIR does not exist" "point KDIR at a Linux kernel git tree (v7.3 or later)"
	KDIR=$(cd "$KDIR" && pwd)
	if [ ! -f "$KDIR/kernel/rseq.c" ] || [ -z "$(tree_version "$KDIR")" ]; then
		die "KDIR=$KDIR is not a Linux kernel tree (no Makefile version or kernel/rseq.c)" \
			"point KDIR at the top of a Linux source tree"
	fi
	ver=$(tree_version "$KDIR")
	[ "$(printf '7.3\n%s\n' "$ver" | sort -V | head -n1)" = 7.3 ] ||
		die "KDIR=$KDIR is Linux $ver; the series needs 7.3 or later" "check out v7.3 or newer in KDIR"
	git -C "$KDIR" rev-parse --git-dir >/dev/null 2>&1 ||
		die "KDIR=$KDIR is not a git tree" "the lab clones KDIR's HEAD; run 'git init && git add -A && git commit' there or use the Debian base (unset KDIR)"
	[ -z "$(git -C "$KDIR" status --porcelain --untracked-files=no)" ] ||
		die "KDIR=$KDIR has uncommitted changes, which would not be in the build" \
			"commit or stash them in KDIR, then run again"
	head=$(git -C "$KDIR" rev-parse HEAD)
	source_id="kdir $KDIR $head"
else
	deb=$("$LAB_ROOT/scripts/lab/fetch-base.sh" | tail -n1)
	source_id="deb $(basename "$deb")"
fi

if [ -f "$TREE/.git/rseq-lab-source" ] && [ "$(cat "$TREE/.git/rseq-lab-source")" = "$source_id" ] &&
	git -C "$TREE" rev-parse -q --verify refs/tags/rseq-lab-base >/dev/null; then
	log "tree: $TREE ($source_id) is ready"
	exit 0
fi

step "tree: preparing $TREE from ${source_id%% *} base"
if [ -e "$TREE" ]; then
	log "replacing the previous workspace (it held a different base)"
	rm -rf "$TREE"
	# Objects of another base make every build stale.
	rm -rf "$WORK"/build-*
fi
mkdir -p "$WORK"
tmp=$(mktemp -d "$WORK/.tree.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# The import leaves ~90,000 loose objects, so the next git command would
# start an automatic gc in the background; its reflog expiry locks HEAD
# while apply-series moves it ("cannot lock ref 'HEAD'"), and its repack
# takes minutes. The workspace is disposable: no automatic gc there.
no_auto_gc() {
	git -C "$1" config gc.auto 0
	git -C "$1" config maintenance.auto false
}

if [ -n "$KDIR" ]; then
	log "cloning $KDIR at ${head:0:12} (shared objects, KDIR untouched)"
	git clone -q --shared --no-checkout "$KDIR" "$tmp/linux"
	no_auto_gc "$tmp/linux"
	git -C "$tmp/linux" checkout -q --detach "$head"
	git -C "$tmp/linux" tag rseq-lab-base "$head"
else
	log "unpacking $(basename "$deb")"
	dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$tmp" ./usr/src/linux-source-7.3.tar.xz
	tar -xf "$tmp/usr/src/linux-source-7.3.tar.xz" -C "$tmp"
	mv "$tmp/linux-source-7.3" "$tmp/linux"
	rm -rf "${tmp:?}/usr"
	ver=$(tree_version "$tmp/linux")
	log "importing Linux $ver into git (about a minute)"
	(
		cd "$tmp/linux"
		git init -q
		git config core.autocrlf false
		no_auto_gc .
		# Debian's top-level .gitignore ignores everything: force-add the pristine tree.
		git add -A -f .
		GIT_AUTHOR_NAME="Debian kernel team" GIT_AUTHOR_EMAIL="debian-kernel@lists.debian.org" \
			GIT_AUTHOR_DATE="2026-01-01T00:00:00Z" GIT_COMMITTER_DATE="2026-01-01T00:00:00Z" \
			GIT_COMMITTER_NAME="rseq lab" GIT_COMMITTER_EMAIL="rseq-lab@localhost" \
			git commit -q -m "Linux $ver (Debian ${source_id#deb })"
		git tag rseq-lab-base
	)
fi
printf '%s\n' "$source_id" >"$tmp/linux/.git/rseq-lab-source"
mv "$tmp/linux" "$TREE"
log "tree ready: $TREE (base $(git -C "$TREE" rev-parse --short rseq-lab-base))"
