#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# make check: the tooling's own static checks and the series layout.
# Needs no kernel tree. Prints "N passed, N failed".
set -eu
# shellcheck source=scripts/lab/lib.sh
. "$(dirname "$0")/lib.sh"

step "check: tooling and series layout"
cd "$LAB_ROOT"

for f in scripts/lab/*.sh .ci/run; do
	if bash -n "$f"; then ok "bash -n $f"; else bad "bash -n $f"; fi
done
# A fresh machine checks as much as a warm one: shellcheck is installed here
# if provisioning has not run yet.
ensure_packages shellcheck
# shellcheck disable=SC2046
if shellcheck -x -e SC2153 $(ls scripts/lab/*.sh) .ci/run; then ok "shellcheck"; else bad "shellcheck"; fi
for f in scripts/lab/*.py; do
	if python3 -m py_compile "$f"; then ok "python3 compiles $f"; else bad "python3 compiles $f"; fi
done

# Series layout: subjects, bodies, every new kernel file in exactly one patch.
listed=$(mktemp)
trap 'rm -f "$listed"' EXIT
for dir in series/[0-9]*/; do
	[ -d "$dir" ] || continue
	name=$(basename "$dir")
	subject=$(head -n1 "$dir/message" 2>/dev/null || true)
	if printf '%s' "$subject" | grep -q -E '^(rseq|rust|selftests/rseq|Documentation|MAINTAINERS|x86|sched|entry)(: |/)[^ ]' &&
		[ "${#subject}" -le 75 ]; then
		ok "$name: subject '$subject'"
	else
		bad "$name: subject '$subject' needs a subsystem prefix and at most 75 characters"
	fi
	# The subsystems' own style after the prefixes: Rust-for-Linux writes
	# "rust: module: add ...", tip (rseq), selftests, MAINTAINERS and
	# Documentation "rseq: Add ...".
	summary=$(printf '%s' "$subject" | sed -E 's/^([A-Za-z0-9_/.-]+: )+//')
	case "$subject:${summary:0:1}" in
	rust:*:[a-z] | [!r]*:[A-Z] | r[!u]*:[A-Z]) ;;
	*) bad "$name: subject '$subject': after the prefix, lower case for rust:, capitalized for the others" ;;
	esac
	if [ "$(sed -n 2p "$dir/message")" = "" ] && [ "$(sed -n '3,$p' "$dir/message" | grep -c .)" -gt 0 ]; then
		ok "$name: has a body"
	else
		bad "$name: message needs a blank line and a body explaining why"
	fi
	if grep -q -i '^Signed-off-by:' "$dir/message"; then
		bad "$name: message carries a Signed-off-by (the tool adds the user's)"
	fi
	if [ -f "$dir/files" ]; then
		grep -v -E '^(#|$)' "$dir/files" >>"$listed"
		while IFS= read -r f; do
			case "$f" in "" | "#"*) continue ;; esac
			[ -f "$f" ] || bad "$name: lists $f, which does not exist"
		done <"$dir/files"
	fi
	[ -f "$dir/files" ] || ls "$dir"/*.diff >/dev/null 2>&1 || bad "$name: neither files nor diffs"
done
dups=$(sort "$listed" | uniq -d)
if [ -z "$dups" ]; then ok "no file belongs to two patches"; else bad "listed twice: $dups"; fi
unlisted=$(git ls-files --others --cached --exclude-standard -- kernel rust tools include init arch Documentation |
	sort -u | comm -23 - <(sort -u "$listed"))
if [ -z "$unlisted" ]; then
	ok "every kernel-path file belongs to a patch"
else
	bad "kernel-path files in no patch: $(printf "%s" "$unlisted" | tr "\n" " ")"
fi

echo "check: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
