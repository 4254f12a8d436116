#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# make kunit: the rseq KUnit suites the usual way, with the tree's own
# tool on the lab's tree (series applied):
#
#   tools/testing/kunit/kunit.py run --kunitconfig=kernel/rseq \
#       --arch=x86_64 --make_options LLVM=-NN
#
# kunit.py configures and builds its own kernel (olddefconfig of
# kernel/rseq/.kunitconfig plus its x86_64 QEMU fragment) in
# $WORK/kunit, boots it under QEMU and parses the KTAP. The build holds the
# lab's build lock. kunit.py asks QEMU for "-accel kvm -accel hvf -accel
# tcg"; the lab runs every guest under TCG, so a qemu-system-x86_64 that
# drops the kvm and hvf accelerators comes first in PATH (elsewhere the
# plain command uses KVM). Output: $WORK/kunit.log, $WORK/kunit.json.
set -eu -o pipefail
# shellcheck source=scripts/lab/lib.sh
. "$(dirname "$0")/lib.sh"

JOBS=${JOBS:-$(nproc)}
KUNIT_BUILD=${KUNIT_BUILD:-$WORK/kunit}
[ -f "$TREE/kernel/rseq/.kunitconfig" ] ||
	die "$TREE has no kernel/rseq/.kunitconfig" "run 'make apply' (the series adds it)"

bin="$WORK/kunit-bin"
mkdir -p "$bin"
cat >"$bin/qemu-system-x86_64" <<'QEMU'
#!/bin/sh
# Written by scripts/lab/kunit.sh: kunit.py's QEMU command, TCG only.
accel=
for arg do
	shift
	if [ -n "$accel" ]; then
		accel=
		case "$arg" in kvm | hvf) continue ;; esac
		set -- "$@" -accel
	elif [ "$arg" = -accel ]; then
		accel=1
		continue
	fi
	set -- "$@" "$arg"
done
exec /usr/bin/qemu-system-x86_64 "$@"
QEMU
chmod +x "$bin/qemu-system-x86_64"

cmd=(python3 tools/testing/kunit/kunit.py run --kunitconfig=kernel/rseq --arch=x86_64
	--make_options "LLVM=$LLVM_SUFFIX" --build_dir="$KUNIT_BUILD" --jobs="$JOBS" --json="$WORK/kunit.json")
step "kunit: ${cmd[*]:1} (in $TREE)"
build_lock
start=$(date +%s)
rc=0
(cd "$TREE" && PATH="$bin:$PATH" "${cmd[@]}") 2>&1 | tee "$WORK/kunit.log" || rc=$?
flock -u 9
summary=$(grep -o 'Testing complete\..*' "$WORK/kunit.log" | tail -n1 || true)
log "kunit: ${summary:-no summary} ($(($(date +%s) - start)) s; kunit.py exit $rc)"
if [ "$rc" -ne 0 ] || [ -z "$summary" ]; then
	die "kunit.py run failed (exit $rc)" "read $WORK/kunit.log (kunit.py prints build errors and the KTAP there)"
fi
