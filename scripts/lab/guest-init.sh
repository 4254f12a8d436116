#!/bin/busybox sh
# shellcheck shell=dash
# SPDX-License-Identifier: GPL-2.0
# /init of every lab guest: mount the usual file systems, run what
# /lab.conf names in LAB_GUEST between "RSEQ-LAB: BEGIN/END <WHAT>"
# markers, dump the kernel log between markers for the host (guest.py) to
# check, and power off.
#
#   LAB_GUEST=tests  the rseq kselftests with the kselftest runner
#                    (LAB_RUNNER_ARGS; LAB_KEYS_RUNNER_ARGS in the boot
#                    whose kernel command line has LAB_PART=keys), after
#                    the environment checks
#   LAB_GUEST=bench  /bin/rseq_bench with BENCH_ARGS (make bench)
#   LAB_GUEST=soak   /bin/abi_soak with the exported SOAK_* (make soak)
/bin/busybox mount -t proc proc /proc
/bin/busybox mount -t sysfs sysfs /sys
/bin/busybox mount -t devtmpfs devtmpfs /dev 2>/dev/null
/bin/busybox mount -t tmpfs tmpfs /tmp
/bin/busybox mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
# devtmpfs has no /dev/fd or /dev/std*; the kselftest runner logs to /dev/stdout.
/bin/busybox ln -sf /proc/self/fd /dev/fd
/bin/busybox ln -sf /proc/self/fd/0 /dev/stdin
/bin/busybox ln -sf /proc/self/fd/1 /dev/stdout
/bin/busybox ln -sf /proc/self/fd/2 /dev/stderr
export PATH=/bin:/usr/bin:/sbin:/usr/sbin
export HOME=/root
LAB_GUEST=tests
# shellcheck disable=SC1091 # written by mkinitramfs.sh or soak.sh
. /lab.conf

cs_file=/sys/devices/system/clocksource/clocksource0/current_clocksource
if [ "$LAB_GUEST" = bench ]; then
	# tsc-early becomes tsc after the refined calibration, about 1 s after
	# boot: wait for it so that the switch does not land in a measurement
	# (idle time costs nothing with -icount sleep=off).
	for _ in 1 2 3 4 5 6 7 8 9 10; do
		[ "$(cat $cs_file 2>/dev/null)" = tsc ] && break
		sleep 1
	done
fi
cs=$(cat $cs_file 2>/dev/null)
echo "RSEQ-LAB: guest up: kernel $(uname -r), nproc $(nproc), clocksource ${cs:-unknown}, cmdline: $(cat /proc/cmdline)"

case "$LAB_GUEST" in
tests)
	# What the lab config must put in effect, checked by the host (guest.py)
	# before it trusts the results: CPUs, NUMA nodes and concurrency IDs.
	# A node's cpuN links follow cpu_to_node(); its cpulist is the node's
	# mask, which with numa=fake lists every CPU of the physical node.
	nodes=""
	for n in /sys/devices/system/node/node[0-9]*; do
		[ -d "$n" ] || continue
		cpus=""
		for c in "$n"/cpu[0-9]*; do
			[ -e "$c" ] && cpus="$cpus${cpus:+,}${c##*/cpu}"
		done
		nodes="$nodes ${n##*/}:${cpus:-none}"
	done
	echo "RSEQ-LAB: numa nodes:${nodes:- none}"
	GLIBC_TUNABLES=glibc.pthread.rseq=0 /bin/lab-probe || echo "RSEQ-LAB: probe failed"
	cd /kselftest || reboot -f
	export KSELFTEST_RUN_PARAM_TEST_SH_ARGS
	# Keep late kernel messages (device probes) from splitting TAP lines on
	# the shared console: only emergencies go to the console from here on;
	# the whole kernel log is dumped after the tests and checked by the host.
	echo 1 >/proc/sys/kernel/printk
	echo "RSEQ-LAB: BEGIN TESTS"
	# LAB_PART comes from the kernel command line (guest.py --parts).
	[ "${LAB_PART:-main}" = keys ] && LAB_RUNNER_ARGS=$LAB_KEYS_RUNNER_ARGS
	# shellcheck disable=SC2086 # LAB_RUNNER_ARGS is a list of runner options
	./run_kselftest.sh $LAB_RUNNER_ARGS
	echo "RSEQ-LAB: END TESTS rc=$?"
	;;
bench)
	echo "BENCHINFO clocksource ${cs:-unknown}"
	echo "RSEQ-LAB: BEGIN BENCH"
	if [ -x /param_test/param_test_benchmark ]; then
		set -- -b /param_test/param_test_benchmark ${BENCH_PARAM_ARGS:+-B "$BENCH_PARAM_ARGS"}
	else
		set --
	fi
	# shellcheck disable=SC2086 # BENCH_ARGS is a list of options
	GLIBC_TUNABLES=glibc.pthread.rseq=0 /bin/rseq_bench $BENCH_ARGS "$@"
	echo "RSEQ-LAB: END BENCH rc=$?"
	;;
soak)
	echo "RSEQ-LAB: BEGIN SOAK"
	GLIBC_TUNABLES=glibc.pthread.rseq=0 /bin/abi_soak
	echo "RSEQ-LAB: END SOAK rc=$?"
	;;
*)
	echo "RSEQ-LAB: unknown LAB_GUEST=$LAB_GUEST"
	;;
esac
# Debug kernels: lockdep must still be on (it turns itself off after a report).
[ -r /proc/lockdep_stats ] && echo "RSEQ-LAB: lockdep $(grep -m1 -o 'debug_locks:.*' /proc/lockdep_stats)"
echo "RSEQ-LAB: BEGIN DMESG"
dmesg 2>&1 || echo "RSEQ-LAB: dmesg failed"
echo "RSEQ-LAB: END DMESG"
sync
# No ACPI, so no power-off: reboot, which QEMU's -no-reboot turns into exit.
reboot -f
