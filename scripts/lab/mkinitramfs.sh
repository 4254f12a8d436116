#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Pack the guest: busybox, bash (the kselftest runner and run_param_test.sh
# need it), the installed rseq kselftests, the host libraries they link
# against, and our init. Output: $WORK/guest-$IMPL/initramfs.cpio.gz
#
# Guest settings come from the environment and land in /lab.conf:
#   TESTS   space-separated kselftest names ("basic_test run_legacy_check.sh");
#           empty runs the whole rseq collection
#   FULL=1  the full run_param_test.sh matrix instead of the reduced one
set -eu
# shellcheck source=scripts/lab/lib.sh
. "$(dirname "$0")/lib.sh"

# The reduced matrix: the same run_param_test.sh programs with 20 instead
# of 1000 repetitions (its arguments are appended to every run, a later
# -r wins). About 3 minutes under TCG with two CPUs; FULL=1 takes hours.
PARAM_TEST_REDUCED_ARGS="-r 20"

install_dir="$BUILD/kselftest_install"
[ -f "$install_dir/run_kselftest.sh" ] || die "no kselftests in $install_dir" "run 'make build IMPL=$IMPL'"
out="$WORK/guest-$IMPL"
root="$out/root"
step "guest: packing initramfs"
rm -rf "$root"
mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,tmp,root,etc}

busybox=$(command -v busybox) || die "busybox not found" "apt-get install busybox-static"
file -L "$busybox" 2>/dev/null | grep -q 'statically linked' ||
	[ -x /bin/busybox ] && busybox=/bin/busybox
cp "$busybox" "$root/bin/busybox"
for applet in $("$busybox" --list); do
	case "$applet" in
	# bash is the shell; no timeout(1) so the runner's coreutils-only
	# "timeout --foreground" is not used (settings say timeout=0 anyway).
	sh | bash | timeout | busybox) ;;
	*) ln -s busybox "$root/bin/$applet" ;;
	esac
done
cp /bin/bash "$root/bin/bash"
ln -s bash "$root/bin/sh"
ln -s ../../bin/env "$root/usr/bin/env"

cp -a "$install_dir" "$root/kselftest"

# Shared libraries of every ELF file in the guest, with their paths.
find "$root/bin/bash" "$root/kselftest" -type f -perm -u+x -o -type f -name '*.so' |
	while read -r elf; do
		ldd "$elf" 2>/dev/null | grep -o -E '/[^ ]+' || true
	done | sort -u | while read -r lib; do
	[ -e "$lib" ] || continue
	mkdir -p "$root$(dirname "$lib")"
	cp -L "$lib" "$root$lib"
done

tests=""
for t in ${TESTS:-}; do
	tests="$tests -t rseq:$t"
done
param_args=$PARAM_TEST_REDUCED_ARGS
[ "${FULL:-0}" = 1 ] && param_args=""
cat >"$root/lab.conf" <<CONF
LAB_RUNNER_ARGS="${tests:- -c rseq}"
KSELFTEST_RUN_PARAM_TEST_SH_ARGS="$param_args"
CONF
install -m 0755 "$LAB_ROOT/scripts/lab/guest-init.sh" "$root/init"

(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) >"$out/initramfs.cpio.gz"
log "initramfs: $out/initramfs.cpio.gz ($(($(stat -c %s "$out/initramfs.cpio.gz") / 1024)) KiB; tests: ${TESTS:-all rseq}${FULL:+, FULL=$FULL})"
