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
#
# BENCH=/path/to/program packs the benchmark guest instead (make bench):
# busybox, that program as /bin/rseq_bench (plus its host libraries) and an
# /init that runs it with BENCH_ARGS and glibc's rseq off. With
# BENCH_PARAM_TEST=/path/to/param_test_benchmark it also packs that program
# and its librseq.so as /param_test/ (rseq_bench -b; arguments
# BENCH_PARAM_ARGS, else rseq_bench's default).
# Output: $WORK/guest-bench/initramfs.cpio.gz (the same for every IMPL).
set -eu
# shellcheck source=scripts/lab/lib.sh
. "$(dirname "$0")/lib.sh"

# The reduced matrix: the same run_param_test.sh programs with 20 instead
# of 1000 repetitions (its arguments are appended to every run, a later
# -r wins). About 3 minutes under TCG with two CPUs; FULL=1 about 35
# minutes with the TSC clocksource run.sh gives it.
PARAM_TEST_REDUCED_ARGS="-r 20"

# The kselftests as gen_tar packs them for other machines (build.sh).
tarball="$BUILD/kselftest_install/kselftest-packages/kselftest.tar.gz"
bench=${BENCH:-}
if [ -n "$bench" ]; then
	[ -x "$bench" ] || die "no benchmark program $bench" "run 'make bench'"
	out="$WORK/guest-bench"
else
	[ -f "$tarball" ] || die "no kselftest tarball $tarball" "run 'make build IMPL=$IMPL'"
	out="$WORK/guest-$IMPL"
fi
root="$out/root"
step "guest: packing initramfs${bench:+ (benchmark)}"
rm -rf "$root"
mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,tmp,root,etc}

# The guest has no libraries for busybox: it must be Debian's static one.
busybox=/bin/busybox
file -L "$busybox" 2>/dev/null | grep -q 'statically linked' ||
	die "$busybox is missing or not statically linked" "apt-get install busybox-static"
cp "$busybox" "$root/bin/busybox"
for applet in $("$busybox" --list); do
	case "$applet" in
	# bash is the shell; no timeout(1) so the runner's coreutils-only
	# "timeout --foreground" is not used (settings say timeout=0 anyway).
	sh | bash | timeout | busybox) ;;
	*) ln -s busybox "$root/bin/$applet" ;;
	esac
done
if [ -n "$bench" ]; then
	ln -s busybox "$root/bin/sh"
	cp "$bench" "$root/bin/rseq_bench"
	elves=("$root/bin/rseq_bench")
	if [ -n "${BENCH_PARAM_TEST:-}" ]; then
		pt_dir=$(dirname "$BENCH_PARAM_TEST")
		[ -f "$pt_dir/librseq.so" ] || die "no librseq.so next to $BENCH_PARAM_TEST" "run 'make build'"
		mkdir -p "$root/param_test"
		cp "$BENCH_PARAM_TEST" "$pt_dir/librseq.so" "$root/param_test/"
		elves+=("$root/param_test")
	fi
else
	cp /bin/bash "$root/bin/bash"
	ln -s bash "$root/bin/sh"
	mkdir "$root/kselftest"
	tar -xzf "$tarball" -C "$root/kselftest"
	gcc -O2 -Wall -static -isystem "$BUILD/usr/include" -o "$root/bin/lab-probe" \
		"$LAB_ROOT/scripts/lab/guest-probe.c" ||
		die "cannot compile scripts/lab/guest-probe.c" "it needs the kernel headers: run 'make build IMPL=$IMPL'"
	elves=("$root/bin/bash" "$root/kselftest")
fi
ln -s ../../bin/env "$root/usr/bin/env"

# Shared libraries of every ELF file in the guest, with their paths.
find "${elves[@]}" -type f -perm -u+x -o -type f -name '*.so' |
	while read -r elf; do
		ldd "$elf" 2>/dev/null | grep -o -E '/[^ ]+' || true
	done | sort -u | while read -r lib; do
	[ -e "$lib" ] || continue
	mkdir -p "$root$(dirname "$lib")"
	cp -L "$lib" "$root$lib"
done

if [ -n "$bench" ]; then
	cat >"$root/init" <<'INIT'
#!/bin/busybox sh
# /init of the benchmark guest (written by mkinitramfs.sh): run the
# benchmark once, dump the kernel log between markers, reboot (QEMU's
# -no-reboot turns that into exit).
/bin/busybox mount -t proc proc /proc
/bin/busybox mount -t sysfs sysfs /sys
/bin/busybox mount -t devtmpfs devtmpfs /dev 2>/dev/null
/bin/busybox mount -t tmpfs tmpfs /tmp
export PATH=/bin:/usr/bin:/sbin:/usr/sbin
# tsc-early becomes tsc after the refined calibration, about 1 s after
# boot: wait for it so that the switch does not land in a measurement
# (idle time costs nothing with -icount sleep=off).
cs_file=/sys/devices/system/clocksource/clocksource0/current_clocksource
for _ in 1 2 3 4 5 6 7 8 9 10; do
	[ "$(cat $cs_file 2>/dev/null)" = tsc ] && break
	sleep 1
done
cs=$(cat $cs_file 2>/dev/null)
echo "RSEQ-LAB: guest up: kernel $(uname -r), nproc $(nproc), clocksource ${cs:-unknown}, cmdline: $(cat /proc/cmdline)"
echo "BENCHINFO clocksource ${cs:-unknown}"
. /lab.conf
echo "RSEQ-LAB: BEGIN BENCH"
if [ -x /param_test/param_test_benchmark ]; then
	set -- -b /param_test/param_test_benchmark ${BENCH_PARAM_ARGS:+-B "$BENCH_PARAM_ARGS"}
else
	set --
fi
GLIBC_TUNABLES=glibc.pthread.rseq=0 /bin/rseq_bench $BENCH_ARGS "$@"
echo "RSEQ-LAB: END BENCH rc=$?"
echo "RSEQ-LAB: BEGIN DMESG"
dmesg 2>&1 || echo "RSEQ-LAB: dmesg failed"
echo "RSEQ-LAB: END DMESG"
reboot -f
INIT
	chmod 0755 "$root/init"
	printf 'BENCH_ARGS="%s"\nBENCH_PARAM_ARGS="%s"\n' "${BENCH_ARGS:-}" "${BENCH_PARAM_ARGS:-}" >"$root/lab.conf"
	(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) >"$out/initramfs.cpio.gz"
	log "initramfs: $out/initramfs.cpio.gz ($(($(stat -c %s "$out/initramfs.cpio.gz") / 1024)) KiB; benchmark${BENCH_ARGS:+ $BENCH_ARGS})"
	exit 0
fi

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
