#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Boot the lab guest under QEMU (TCG), follow its console, enforce a
timeout, and judge the run: kselftest TAP results, KUnit KTAP results
from the kernel log, and any WARN/BUG/Oops/panic in the kernel log.

Writes the whole console to --log and the verdict to --json; prints one
line per test as it finishes and a summary ending in "N passed, N failed".
Exit status 0 only if every test passed (skips are reported, never
counted as passes) and the kernel log is clean.
"""

import argparse
import json
import os
import re
import select
import subprocess
import sys
import time

SUBTEST_RE = re.compile(r"^# (not ok|ok) \d+ (.+?)(?:\s+#\s*(SKIP|XFAIL)\b\s*(.*))?$")
KSFT_RE = re.compile(r"^(not ok|ok) (\d+) selftests: (\S+): (\S+)(?:\s+#\s*(SKIP|TIMEOUT|XFAIL)\b\s*(.*))?")
PLAN_RE = re.compile(r"^1\.\.(\d+)$")
KUNIT_SUITE_RE = re.compile(r"^(?:\[\s*[\d.]+\]\s*)?(not ok|ok) (\d+) (\S+)(?:\s+#\s*(SKIP)\b\s*(.*))?$")
KUNIT_START_RE = re.compile(r"^(?:\[\s*[\d.]+\]\s*)?\s*# Subtest: (\S+)")
BAD_KERNEL_RE = re.compile(
    r"(WARNING:|BUG:|Oops|Kernel panic|general protection fault|Call Trace:|"
    r"UBSAN:|KASAN:|rcu_sched self-detected stall|soft lockup|hung_task|"
    r"RUST:.*panicked|rust_panic|"
    # The debug kernels' reports (DEBUG=1), also where they do not start
    # with WARNING:/BUG: (lockdep, DEBUG_LIST, Rust panics).
    r"possible (circular|recursive) locking|inconsistent lock state|"
    r"lock held when returning to user space|DEBUG_LOCKS_WARN_ON|"
    r"suspicious RCU usage|lockdep is turned off|"
    r"sleeping function called from invalid context|"
    r"list_(add|del) corruption|panicked at)")


def log(t0, msg):
    s = int(time.time() - t0)
    print(f"[{s // 60:02d}:{s % 60:02d}] {msg}", flush=True)


def qemu_command(args):
    cmd = [
        "qemu-system-x86_64", "-accel", "tcg", "-cpu", "max",
        "-m", args.memory,
        # Without ACPI the MP table lists one CPU per socket.
        "-smp", f"{args.smp},sockets={args.smp}",
        "-kernel", args.kernel, "-initrd", args.initrd,
        # Two NUMA nodes by emulation (CONFIG_NUMA_EMU): QEMU's -numa would
        # need ACPI and PCI in the kernel. CPUs go to the nodes round-robin,
        # so the two vCPUs report different node_id values.
        "-append", f"console=ttyS0 panic=-1 oops=panic numa=fake=2 {args.append}".strip(),
        "-display", "none", "-monitor", "none", "-serial", "stdio",
        "-no-reboot",
    ]
    if args.icount:
        cmd += ["-icount", "shift=0,sleep=off"]
    return cmd


def run_guest(args, t0):
    """Boot and stream the console. Returns (lines, timed_out, rc)."""
    cmd = qemu_command(args)
    log(t0, f"boot: {' '.join(cmd)}")
    lines = []
    timed_out = False
    deadline = time.time() + args.timeout
    next_beat = time.time() + 60
    current = None
    with open(args.log, "w") as logf:
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT)
        buf = b""
        while True:
            now = time.time()
            if now > deadline:
                timed_out = True
                proc.kill()
                break
            ready, _, _ = select.select([proc.stdout], [], [], 1.0)
            if not ready:
                if proc.poll() is not None:
                    break
            else:
                chunk = os.read(proc.stdout.fileno(), 65536)
                if not chunk:
                    break
                buf += chunk
                *complete, buf = buf.split(b"\n")
                for raw in complete:
                    line = raw.decode("utf-8", "replace").rstrip("\r")
                    logf.write(line + "\n")
                    lines.append(line)
                    m = KSFT_RE.match(line)
                    if m:
                        status = "SKIP" if m.group(5) == "SKIP" else (
                            "FAIL" if m.group(1) == "not ok" or m.group(5) == "TIMEOUT" else "PASS")
                        log(t0, f"  {status:4} {m.group(4)}" + (f" ({m.group(6)})" if m.group(6) else ""))
                        current = None
                    elif line.startswith("# selftests: "):
                        current = line.split(": ", 2)[-1]
                    elif line.startswith(("RSEQ-LAB: guest up", "RSEQ-LAB: numa", "RSEQ-LAB: probe")):
                        log(t0, line[len("RSEQ-LAB: "):])
                    elif line.startswith(("BENCH ", "BENCHSKIP ", "rseq_bench: ")):
                        log(t0, f"  {line}")
                    elif BAD_KERNEL_RE.search(line):
                        log(t0, f"  kernel: {line.strip()}")
                logf.flush()
            if time.time() > next_beat:
                next_beat += 60
                log(t0, f"  ... running {current or 'guest'}")
        if timed_out:
            proc.wait()
        rc = proc.wait()
        if buf:
            lines.append(buf.decode("utf-8", "replace"))
            logf.write(lines[-1] + "\n")
    return lines, timed_out, rc


def environment_problems(lines, smp):
    """What the lab config should have put in effect and the guest says is
    not: fewer CPUs than QEMU got, fewer than two NUMA nodes or both CPUs on
    one, and an mm_cid that is the CPU number (no CONFIG_SCHED_MM_CID).
    Empty when the guest printed no environment (a lab selftest guest)."""
    up = next((l for l in lines if l.startswith("RSEQ-LAB: guest up")), None)
    if up is None:
        return []
    problems = []
    m = re.search(r"nproc (\d+)", up)
    if not m or int(m.group(1)) < smp:
        problems.append(f"guest sees {m.group(1) if m else '?'} CPUs, QEMU gave it {smp}")
    # lockdep reports once and then turns itself off: it must still be on
    # after the tests (debug kernels print the line, others do not).
    lockdep = next((l for l in lines if l.startswith("RSEQ-LAB: lockdep")), "")
    if lockdep and not re.search(r"debug_locks:\s*1$", lockdep):
        problems.append(f"lockdep turned itself off during the run ({lockdep[len('RSEQ-LAB: '):]})")
    if smp < 2:
        return problems
    nodes = next((l for l in lines if l.startswith("RSEQ-LAB: numa nodes:")), "")
    node_of = {}
    for name, cpulist in re.findall(r"node(\d+):(\S+)", nodes):
        for part in cpulist.split(","):
            if not part[:1].isdigit():
                continue
            a, _, b = part.partition("-")
            for cpu in range(int(a), int(b or a) + 1):
                node_of[cpu] = int(name)
    if len(set(node_of.values())) < 2 or node_of.get(0) == node_of.get(1):
        problems.append(f"want two NUMA nodes with CPU 0 and 1 on different ones (CONFIG_NUMA_EMU, numa=fake=2), got: {nodes or 'no node line'}")
    probe = next((l for l in lines if l.startswith("RSEQ-LAB: probe")), "")
    m = re.search(r"cpu_id (\d+) node_id (\d+) mm_cid (\d+)", probe)
    if not m:
        problems.append(f"no rseq probe result ({probe or 'no probe line'})")
    else:
        cpu, node, cid = (int(x) for x in m.groups())
        if cpu != 1 or cid != 0:
            problems.append(f"probe pinned to CPU 1 read cpu_id {cpu} mm_cid {cid}, want 1 and 0 (CONFIG_SCHED_MM_CID)")
        if node != node_of.get(1, -1):
            problems.append(f"probe on CPU 1 read node_id {node}, sysfs says node {node_of.get(1)}")
    return problems


def parse(lines):
    """Extract the verdict from the console lines."""
    tests = []
    subtests = []
    pending_sub = []
    plan = None
    in_tests = False
    end_seen = False
    dmesg = []
    in_dmesg = False
    for line in lines:
        if line.startswith("RSEQ-LAB: BEGIN TESTS"):
            in_tests = True
            continue
        if line.startswith("RSEQ-LAB: END TESTS"):
            in_tests = False
            end_seen = True
            continue
        if line.startswith("RSEQ-LAB: BEGIN DMESG"):
            in_dmesg = True
            continue
        if line.startswith("RSEQ-LAB: END DMESG"):
            in_dmesg = False
            continue
        if in_dmesg:
            dmesg.append(line)
            continue
        if not in_tests:
            continue
        m = PLAN_RE.match(line)
        if m and plan is None:
            plan = int(m.group(1))
        m = SUBTEST_RE.match(line)
        if m:
            # A harness test's own results, nested under the kselftest.
            directive = m.group(3)
            status = "SKIP" if directive == "SKIP" else ("FAIL" if m.group(1) == "not ok" else "PASS")
            pending_sub.append({"name": m.group(2).strip(), "status": status,
                                "reason": (m.group(4) or "").strip()})
            continue
        m = KSFT_RE.match(line)
        if m:
            for sub in pending_sub:
                sub["name"] = f"{m.group(4)}/{sub['name']}"
                subtests.append(sub)
            pending_sub = []
            directive = m.group(5)
            if directive == "SKIP":
                status = "SKIP"
            elif m.group(1) == "not ok" or directive == "TIMEOUT":
                status = "FAIL"
            else:
                status = "PASS"
            tests.append({"name": m.group(4), "status": status,
                          "reason": (m.group(6) or directive or "").strip()})
    # KUnit results are in the kernel log: top-level suite result lines.
    kunit = []
    depth_suite = None
    for line in dmesg:
        m = KUNIT_START_RE.match(line)
        if m:
            depth_suite = m.group(1)
            continue
        m = KUNIT_SUITE_RE.match(line)
        if m and depth_suite:
            status = "SKIP" if m.group(4) else ("FAIL" if m.group(1) == "not ok" else "PASS")
            if m.group(3) == depth_suite:
                kunit.append({"name": "kunit:" + depth_suite, "status": status,
                              "reason": (m.group(5) or "").strip()})
                depth_suite = None
            else:
                subtests.append({"name": f"kunit:{depth_suite}/{m.group(3)}", "status": status,
                                 "reason": (m.group(5) or "").strip()})
    bad = [l for l in (dmesg or lines) if BAD_KERNEL_RE.search(l)]
    return tests, subtests, kunit, plan, end_seen, bool(dmesg), bad


BENCH_RE = re.compile(r"^BENCH (\S+) (\S+) (-?[\d.]+)$")
BENCH_END_RE = re.compile(r"^RSEQ-LAB: END BENCH rc=(\d+)")
BENCH_SPREAD_RE = re.compile(r"^BENCHSPREAD (\S+) (\S+) (-?[\d.]+) (-?[\d.]+) (\d+)$")
BENCH_SKIP_RE = re.compile(r"^BENCHSKIP (\S+) (\S+) (.*)$")


def bench_main(args, t0):
    """--bench: boot, collect the BENCH lines, judge only the run itself."""
    start = time.time()
    lines, timed_out, rc = run_guest(args, t0)
    elapsed = int(time.time() - start)
    results = []
    end_rc = None
    dmesg = []
    in_dmesg = False
    spreads, skips, infos = [], [], []
    for line in lines:
        m = BENCH_RE.match(line)
        if m:
            results.append({"op": m.group(1), "variant": m.group(2), "ns": float(m.group(3))})
        m = BENCH_SPREAD_RE.match(line)
        if m:
            spreads.append({"op": m.group(1), "variant": m.group(2), "min": float(m.group(3)),
                            "max": float(m.group(4)), "reps": int(m.group(5))})
        m = BENCH_SKIP_RE.match(line)
        if m:
            skips.append({"op": m.group(1), "variant": m.group(2), "reason": m.group(3)})
        if line.startswith("BENCHINFO "):
            infos.append(line[len("BENCHINFO "):])
        m = BENCH_END_RE.match(line)
        if m:
            end_rc = int(m.group(1))
        if line.startswith("RSEQ-LAB: BEGIN DMESG"):
            in_dmesg = True
        elif line.startswith("RSEQ-LAB: END DMESG"):
            in_dmesg = False
        elif in_dmesg:
            dmesg.append(line)
    bad = [l for l in (dmesg or lines) if BAD_KERNEL_RE.search(l)]
    problems = []
    if timed_out:
        problems.append(f"guest did not finish within {args.timeout} s")
    elif end_rc is None:
        problems.append(f"guest stopped before the benchmark finished (qemu exit {rc})")
    elif end_rc != 0:
        problems.append(f"rseq_bench exited with {end_rc}")
    if not results:
        problems.append("no BENCH lines")
    if bad:
        problems.append(f"kernel log shows {len(bad)} WARN/BUG/Oops/panic line(s)")
    ok = not problems
    with open(args.json, "w") as f:
        json.dump({"label": args.label, "bench": results, "spread": spreads, "skipped": skips,
                   "info": infos, "problems": problems,
                   "kernel_log_bad": bad[:50], "seconds": elapsed, "ok": ok}, f, indent=1)
    for p in problems:
        print(f"  PROBLEM: {p}")
    if not ok:
        print(f"  console tail ({args.log}):")
        for l in lines[-30:]:
            print(f"    | {l}")
    log(t0, f"{args.label}: {len(results)} measurements, {elapsed} s, {'ok' if ok else 'FAILED'}")
    return 0 if ok else 1


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--kernel", required=True)
    ap.add_argument("--initrd", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--json", required=True)
    ap.add_argument("--label", default="guest")
    ap.add_argument("--timeout", type=int, default=2400)
    ap.add_argument("--smp", type=int, default=2)
    ap.add_argument("--memory", default="1G")
    ap.add_argument("--append", default="")
    ap.add_argument("--icount", action="store_true")
    ap.add_argument("--bench", action="store_true",
                    help="the guest runs rseq_bench (make bench), not the kselftests")
    args = ap.parse_args()
    t0 = float(os.environ.get("LAB_T0", time.time()))
    if args.bench:
        return bench_main(args, t0)

    start = time.time()
    lines, timed_out, rc = run_guest(args, t0)
    elapsed = int(time.time() - start)
    tests, subtests, kunit, plan, end_seen, have_dmesg, bad = parse(lines)
    problems = []
    if timed_out:
        problems.append(f"guest did not finish within {args.timeout} s (hang?); raise GUEST_TIMEOUT if it is just slow")
    elif not end_seen:
        problems.append(f"guest stopped before the tests finished (qemu exit {rc}): panic or crash")
    if plan is None and end_seen:
        problems.append("no TAP plan from the kselftest runner")
    elif plan is not None and plan != len(tests):
        problems.append(f"TAP plan says {plan} tests, {len(tests)} reported")
    if not have_dmesg and not timed_out and end_seen:
        problems.append("no kernel log from the guest")
    if bad:
        problems.append(f"kernel log shows {len(bad)} WARN/BUG/Oops/panic line(s)")
    problems += environment_problems(lines, args.smp)

    results = tests + kunit
    npass = sum(1 for t in results if t["status"] == "PASS")
    nfail = sum(1 for t in results if t["status"] == "FAIL")
    nskip = sum(1 for t in results if t["status"] == "SKIP")
    ok = not problems and nfail == 0 and npass > 0
    with open(args.json, "w") as f:
        json.dump({"label": args.label, "tests": results, "subtests": subtests,
                   "problems": problems,
                   "kernel_log_bad": bad[:50], "seconds": elapsed, "ok": ok}, f, indent=1)

    print(f"\n==== {args.label}: rseq selftests ({elapsed} s in the guest) ====")
    for t in results:
        reason = f"  ({t['reason']})" if t["reason"] and t["status"] != "PASS" else ""
        print(f"  {t['status']:4}  {t['name']}{reason}")
    if subtests:
        sp = sum(1 for t in subtests if t["status"] == "PASS")
        sf = [t for t in subtests if t["status"] == "FAIL"]
        ss = [t for t in subtests if t["status"] == "SKIP"]
        print(f"  nested test cases: {sp} passed, {len(sf)} failed, {len(ss)} skipped")
        for t in sf + ss:
            reason = f"  ({t['reason']})" if t["reason"] else ""
            print(f"    {t['status']:4}  {t['name']}{reason}")
    for p in problems:
        print(f"  PROBLEM: {p}")
    if bad:
        print("  kernel log lines:")
        for l in bad[:20]:
            print(f"    {l}")
    if problems or nfail:
        print(f"  console tail ({args.log}):")
        for l in lines[-30:]:
            print(f"    | {l}")
    print(f"{args.label}: {npass} passed, {nfail + len(problems)} failed, {nskip} skipped")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
