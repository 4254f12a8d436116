#!/bin/busybox sh
# shellcheck shell=dash
# SPDX-License-Identifier: GPL-2.0
# /init of the lab guest: mount the usual file systems, run the rseq
# kselftests with the kselftest runner, dump the kernel log between
# markers for the host to check, and power off.
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
# shellcheck disable=SC1091 # written by mkinitramfs.sh
. /lab.conf
export KSELFTEST_RUN_PARAM_TEST_SH_ARGS

cs=$(cat /sys/devices/system/clocksource/clocksource0/current_clocksource 2>/dev/null)
echo "RSEQ-LAB: guest up: kernel $(uname -r), nproc $(nproc), clocksource ${cs:-unknown}, cmdline: $(cat /proc/cmdline)"
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
# Keep late kernel messages (device probes) from splitting TAP lines on the
# shared console: only emergencies go to the console from here on; the
# whole kernel log is dumped after the tests and checked by the host.
echo 1 >/proc/sys/kernel/printk
echo "RSEQ-LAB: BEGIN TESTS"
# shellcheck disable=SC2086 # LAB_RUNNER_ARGS is a list of runner options
./run_kselftest.sh $LAB_RUNNER_ARGS
echo "RSEQ-LAB: END TESTS rc=$?"
# Debug kernels: lockdep must still be on (it turns itself off after a report).
[ -r /proc/lockdep_stats ] && echo "RSEQ-LAB: lockdep $(grep -m1 -o 'debug_locks:.*' /proc/lockdep_stats)"
echo "RSEQ-LAB: BEGIN DMESG"
dmesg 2>&1 || echo "RSEQ-LAB: dmesg failed"
echo "RSEQ-LAB: END DMESG"
sync
# No ACPI, so no power-off: reboot, which QEMU's -no-reboot turns into exit.
reboot -f
