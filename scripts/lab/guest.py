#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Boot the lab guest under QEMU (TCG), follow its console, enforce a
timeout, and judge the run: kselftest TAP results, KUnit KTAP results
from the kernel log, and any WARN/BUG/Oops/panic in the kernel log.

Writes the whole console to --log and the verdict to --json; prints one
line per test as it finishes and a summary ending in "N passed, N failed".
Exit status 0 only if every test passed (skips are reported, never
counted as passes) and the kernel log is clean.

The tests guest may take two boots of the same kernel (--parts), judged
as one run: "main" under QEMU's multi-threaded TCG, and "keys", the
tests that flip static keys at run time (mkinitramfs.sh's KEY_FLIP_TESTS),
under single-threaded TCG. QEMU 7.2's multi-threaded TCG can translate
kernel text while another vCPU patches it and keep the stale translation:
x86 patches a static key through a temporary int3 (smp_text_poke_batch),
and a vCPU that still runs that int3 after the patching finished dies with
"Oops: int3" while the kernel text shows the new instruction. Flipping
any tracepoint (sched:sched_switch) while both vCPUs exit to user space
reproduces it in seconds on the C and the Rust build alike; with one TCG
thread the vCPUs take turns and no translation races a write. A second
boot runs without KUnit (kunit.enable=0): the first one has run it.
"""

import argparse
import json
import os
import re
import select
import subprocess
import sys
import time
from typing import NamedTuple

SUBTEST_RE = re.compile(r"^# (not ok|ok) \d+ (.+?)(?:\s+#\s*(SKIP|XFAIL)\b\s*(.*))?$")
KSFT_RE = re.compile(r"^(not ok|ok) (\d+) selftests: (\S+): (\S+)(?:\s+#\s*(SKIP|TIMEOUT|XFAIL)\b\s*(.*))?")
PLAN_RE = re.compile(r"^1\.\.(\d+)$")
# Verdicts that count as passed and as failed (XFAIL/XPASS: --expect-fail).
PASSED = ("PASS", "XFAIL")
FAILED = ("FAIL", "XPASS")
# A line of KUnit's KTAP output in the kernel log (after the timestamp and
# the indentation): a version line, a plan, a result or a diagnostic.
KTAP_LINE_RE = re.compile(r"^(?:\[\s*\d+\.\d+\]\s?)?\s*(?:K?TAP version \d+|\d+\.\.\d+|(?:not )?ok \d+|#)")
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


def tap_status(result, directive):
    """PASS, FAIL or SKIP of a TAP result line ("ok"/"not ok") and its
    directive (SKIP, TIMEOUT, XFAIL or None)."""
    if directive == "SKIP":
        return "SKIP"
    return "FAIL" if result == "not ok" or directive == "TIMEOUT" else "PASS"


def log(t0, msg):
    s = int(time.time() - t0)
    print(f"[{s // 60:02d}:{s % 60:02d}] {msg}", flush=True)


class Part(NamedTuple):
    """A boot a tests guest can take (--parts)."""
    # QEMU's -accel: TCG's threads.
    accel: str
    # The kernel parameters it adds (read by guest-init.sh).
    params: str
    # Its share of --timeout (the timeout is divided by it): a boot of a
    # few short tests should not wait out the whole run's timeout when
    # it hangs.
    share: int


PARTS = {
    "main": Part("tcg", "", 1),
    "keys": Part("tcg,thread=single", "LAB_PART=keys", 4),
}


def boot_timeout(args, part):
    """The timeout in seconds of one boot of PART."""
    return max(1, args.timeout // PARTS[part].share)


# The kernel parameters of every boot after a run's first: KUnit's suites
# run at boot, once per run.
LATER_BOOT_PARAMS = "kunit.enable=0"


def qemu_command(args, part="main", later=False):
    """The QEMU command line of one boot (PART; LATER: not the run's
    first): the arch's machine, then what both share."""
    boot = PARTS[part]
    if args.arch == "arm64":
        machine, console, params = qemu_machine_arm64(args, boot.accel)
    else:
        machine, console, params = qemu_machine_x86_64(args, boot.accel)
    cmd = machine + [
        "-kernel", args.kernel, "-initrd", args.initrd,
        "-append", " ".join(filter(None, [console, "panic=-1 oops=panic", params, args.append,
                                          boot.params, LATER_BOOT_PARAMS if later else ""])),
        "-display", "none", "-monitor", "none", "-serial", "stdio",
        "-no-reboot",
    ]
    if args.icount:
        cmd += ["-icount", "shift=0,sleep=off"]
    return cmd


def qemu_machine_x86_64(args, accel):
    """x86_64: the machine options, the console and other kernel parameters."""
    machine = [
        "qemu-system-x86_64", "-accel", accel, "-cpu", "max",
        "-m", args.memory,
        # Without ACPI the MP table lists one CPU per socket.
        "-smp", f"{args.smp},sockets={args.smp}",
    ]
    # Two NUMA nodes by emulation (CONFIG_NUMA_EMU): QEMU's -numa would
    # need ACPI and PCI in the kernel. CPUs go to the nodes round-robin,
    # so the two vCPUs report different node_id values.
    return machine, "console=ttyS0", "numa=fake=2"


def qemu_machine_arm64(args, accel):
    """arm64: QEMU's virt board under TCG (-cpu max with the cheap
    pointer-authentication algorithm; the default one is slow to emulate),
    PL011 console. The two NUMA nodes are QEMU's own: the board's device
    tree gives each CPU and half of the memory a numa-node-id (OF_NUMA)."""
    mem = int(args.memory.rstrip("GgMm")) * (1024 if args.memory[-1] in "Gg" else 1)
    machine = [
        "qemu-system-aarch64", "-accel", accel, "-M", "virt",
        "-cpu", "max,pauth-impdef=on", "-m", f"{mem}M", "-smp", str(args.smp),
    ]
    if args.smp >= 2:
        nodes = 2
        for n in range(nodes):
            cpus = ":".join(str(c) for c in range(n, args.smp, nodes))
            machine += ["-object", f"memory-backend-ram,id=mem{n},size={mem // nodes}M",
                        "-numa", f"node,nodeid={n},cpus={cpus},memdev=mem{n}"]
    return machine, "console=ttyAMA0", ""


def run_guest(args, t0, part="main", later=False, header=None):
    """Boot (PART; LATER: not the run's first) and stream the console to
    --log (appended if LATER), after a HEADER line if given. Returns
    (lines, timed_out, rc): TIMED_OUT is the timeout in seconds that the
    boot hit, else 0."""
    cmd = qemu_command(args, part, later)
    echo = re.compile(args.echo) if args.echo else None
    log(t0, f"boot: {' '.join(cmd)}")
    lines = [header] if header else []
    timed_out = 0
    limit = boot_timeout(args, part)
    deadline = time.time() + limit
    next_beat = time.time() + 60
    current = None
    with open(args.log, "a" if later else "w") as logf:
        if header:
            logf.write(header + "\n")
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT)
        buf = b""
        while True:
            now = time.time()
            if now > deadline:
                timed_out = limit
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
                        status = tap_status(m.group(1), m.group(5))
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
                    elif echo and echo.search(line):
                        log(t0, f"  {line}")
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


# The first console line of each boot of a run in more than one.
BOOT_HEADER = "RSEQ-LAB: boot "


def boot_problems(lines, problems):
    """PROBLEMS of the boot whose console is LINES, named after the boot
    ("keys boot: ...") when the run had more than one."""
    first = lines[0] if lines else ""
    if not first.startswith(BOOT_HEADER):
        return problems
    return [f"{first[len(BOOT_HEADER):]} boot: {p}" for p in problems]


MARK_RE = re.compile(r"^RSEQ-LAB: (BEGIN|END) ([A-Z]+)(?: rc=(\d+))?")


def sections(lines):
    """The console cut at guest-init.sh's markers: {NAME: lines between
    "RSEQ-LAB: BEGIN NAME" and "RSEQ-LAB: END NAME"} and, for every section
    that ended, {NAME: the rc of its END line, or None}."""
    body, ended, current = {}, {}, None
    for line in lines:
        m = MARK_RE.match(line)
        if m:
            current = m.group(2) if m.group(1) == "BEGIN" else None
            if current:
                body.setdefault(current, [])
            else:
                ended[m.group(2)] = int(m.group(3)) if m.group(3) else None
        elif current:
            body[current].append(line)
    return body, ended


def run_problems(args, lines, what, section, timed_out, rc):
    """What went wrong with the boot itself: a hang, a guest that stopped
    before its SECTION ended (WHAT names it), a kernel log with bad lines
    (the DMESG section, else the whole console), lockdep turned off (debug
    kernels). TIMED_OUT: the timeout in seconds the boot hit, else 0.
    Returns (problems, bad)."""
    body, ended = sections(lines)
    problems = []
    if timed_out:
        problems.append(f"guest did not finish within {timed_out} s (hang?); raise GUEST_TIMEOUT if it is just slow")
    elif section not in ended:
        problems.append(f"guest stopped before {what} finished (qemu exit {rc}): panic or crash")
    elif "DMESG" not in ended:
        problems.append("no kernel log from the guest")
    bad = [l for l in (body.get("DMESG") or lines) if BAD_KERNEL_RE.search(l)]
    if bad:
        problems.append(f"kernel log shows {len(bad)} WARN/BUG/Oops/panic line(s)")
    # lockdep reports once and then turns itself off: it must still be on
    # after the guest's run (debug kernels print the line, others do not).
    lockdep = next((l for l in lines if l.startswith("RSEQ-LAB: lockdep")), "")
    if lockdep and not re.search(r"debug_locks:\s*1$", lockdep):
        problems.append(f"lockdep turned itself off during the run ({lockdep[len('RSEQ-LAB: '):]})")
    return boot_problems(lines, problems), bad


def report(args, lines, verdict, ok, problems, bad, elapsed):
    """Write the --json verdict (VERDICT plus the common fields), print the
    problems, the kernel log's bad lines and, unless OK, the console tail."""
    with open(args.json, "w") as f:
        json.dump({"label": args.label, **verdict, "problems": problems,
                   "kernel_log_bad": bad[:50], "seconds": elapsed, "ok": ok}, f, indent=1)
    for p in problems:
        print(f"  PROBLEM: {p}")
    if bad:
        print("  kernel log lines:")
        for l in bad[:20]:
            print(f"    {l}")
    if not ok:
        print(f"  console tail ({args.log}):")
        for l in lines[-30:]:
            print(f"    | {l}")


def kunit_results(dmesg, tree):
    """The KUnit suites (and their cases) that ran at boot, from the KTAP
    in the kernel log, read with the tree's own KTAP parser
    (tools/testing/kunit/kunit_parser.py, what kunit.py uses). Returns
    (suites, cases, problems); no KTAP in the log is no results.

    The kselftest output is not read with it: run_kselftest.sh prints TAP
    13 whose nested results are "# "-prefixed lines mixed with the tests'
    own output, and uses a TIMEOUT directive, neither of which is KTAP."""
    if not any("TAP version" in l for l in dmesg):
        return [], [], []
    sys.path.insert(0, os.path.join(tree, "tools", "testing", "kunit"))
    try:
        import kunit_parser
        import kunit_printer
    except ImportError as e:
        return [], [], [f"cannot read the KUnit results: no KTAP parser in {tree} ({e})"]
    finally:
        sys.path.pop(0)
    # Only the KTAP lines: the kernel log interleaves the suites' output
    # with whatever else printed meanwhile (a device probe, the clocksource
    # switch, ...), at places that depend on the timing of the boot. One
    # such line right after a "KTAP version" header makes the parser lose
    # the suite's cases, so the result would depend on the host's speed.
    ktap = [l for l in dmesg if KTAP_LINE_RE.match(l)]
    run = kunit_parser.parse_run_tests(ktap, kunit_printer.Printer(print=False))
    S = kunit_parser.TestStatus

    def verdict(name, t):
        status = {S.SUCCESS: "PASS", S.SKIPPED: "SKIP"}.get(t.status, "FAIL")
        reason = t.skip_reason if t.status == S.SKIPPED else (
            "" if t.status == S.SUCCESS else t.status.name.lower())
        return {"name": name, "status": status, "reason": reason}

    suites = [verdict("kunit:" + t.name, t) for t in run.subtests]
    cases = [verdict(f"kunit:{t.name}/{c.name}", c) for t in run.subtests for c in t.subtests]
    problems = []
    if run.counts.errors:
        problems.append(f"KUnit KTAP: {run.counts.errors} parse error(s) (kunit_parser.py)")
    return suites, cases, problems


def parse(lines, tree):
    """Extract the verdict from the console lines."""
    tests = []
    subtests = []
    pending_sub = []
    plan = None
    body, _ = sections(lines)
    for line in body.get("TESTS", []):
        m = PLAN_RE.match(line)
        if m and plan is None:
            plan = int(m.group(1))
        m = SUBTEST_RE.match(line)
        if m:
            # A harness test's own results, nested under the kselftest.
            directive = m.group(3)
            status = tap_status(m.group(1), directive)
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
            status = tap_status(m.group(1), directive)
            tests.append({"name": m.group(4), "status": status,
                          "reason": (m.group(6) or directive or "").strip()})
    kunit, kunit_cases, kunit_problems = kunit_results(body.get("DMESG", []), tree)
    subtests += kunit_cases
    return tests, subtests, kunit, plan, kunit_problems


BENCH_RE = re.compile(r"^BENCH (\S+) (\S+) (-?[\d.]+)$")
BENCH_SPREAD_RE = re.compile(r"^BENCHSPREAD (\S+) (\S+) (-?[\d.]+) (-?[\d.]+) (\d+)$")
BENCH_SKIP_RE = re.compile(r"^BENCHSKIP (\S+) (\S+) (.*)$")


def bench_main(args, boots, elapsed):
    """--guest bench: the BENCH lines; judges only the run itself (one
    boot)."""
    lines, = boots
    results, spreads, skips, infos = [], [], [], []
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
    problems = []
    end_rc = sections(lines)[1].get("BENCH")
    if end_rc:
        problems.append(f"rseq_bench exited with {end_rc}")
    if not results:
        problems.append("no BENCH lines")
    verdict = {"bench": results, "spread": spreads, "skipped": skips, "info": infos}
    return verdict, problems, True, f"{len(results)} measurements"


def soak_main(args, boots, elapsed):
    """--guest soak: make soak compares the outcome logs; here only the
    run itself is judged and abi_soak's exit status recorded (one boot)."""
    rc = sections(boots[0])[1].get("SOAK")
    return {"soak_rc": rc}, [], True, f"abi_soak exit {rc}"


def expect_failures(results, expected):
    """Mark the results that this boot's mode makes fail, as the C build
    shows (--expect-fail NAME=REASON): a FAIL becomes XFAIL ("expected:
    REASON"), which counts as passed; a PASS becomes XPASS, which counts
    as failed. A name that did not run (TESTS=...) is left alone."""
    for spec in expected:
        name, _, reason = spec.partition("=")
        for t in results:
            if t["name"] != name:
                continue
            if t["status"] == "FAIL":
                t["status"], t["reason"] = "XFAIL", f"expected: {reason}"
            elif t["status"] == "PASS":
                t["status"], t["reason"] = "XPASS", f"passed, but this boot should fail it: {reason}"


def tests_main(args, boots, elapsed):
    """--guest tests: the kselftest and KUnit verdicts of every boot,
    printed as one table."""
    tests, subtests, kunit, problems = [], [], [], []
    for lines in boots:
        t, sub, k, plan, more = parse(lines, args.tree)
        if plan is None and "TESTS" in sections(lines)[1]:
            more.append("no TAP plan from the kselftest runner")
        elif plan is not None and plan != len(t):
            more.append(f"TAP plan says {plan} tests, {len(t)} reported")
        more += environment_problems(lines, args.smp)
        problems += boot_problems(lines, more)
        tests += t
        subtests += sub
        kunit += k
    expect_failures(tests + subtests, args.expect_fail)
    results = tests + kunit
    npass = sum(1 for t in results if t["status"] in PASSED)
    nfail = sum(1 for t in results if t["status"] in FAILED)
    nskip = sum(1 for t in results if t["status"] == "SKIP")
    print(f"\n==== {args.label}: rseq selftests ({elapsed} s in the guest) ====")
    for t in results:
        reason = f"  ({t['reason']})" if t["reason"] and t["status"] != "PASS" else ""
        print(f"  {t['status']:4}  {t['name']}{reason}")
    if subtests:
        sp = sum(1 for t in subtests if t["status"] in PASSED)
        sf = [t for t in subtests if t["status"] in FAILED]
        ss = [t for t in subtests if t["status"] == "SKIP"]
        sx = [t for t in subtests if t["status"] == "XFAIL"]
        print(f"  nested test cases: {sp} passed ({len(sx)} expected failures), {len(sf)} failed, {len(ss)} skipped")
        for t in sf + sx + ss:
            reason = f"  ({t['reason']})" if t["reason"] else ""
            print(f"    {t['status']:4}  {t['name']}{reason}")
    # The line run.sh and CI read (every problem counts as a failure) is
    # printed by main() after the problems.
    return ({"tests": results, "subtests": subtests}, problems, nfail == 0 and npass > 0,
            f"{npass} passed, {nfail} failed, {nskip} skipped")


# What each guest runs (guest-init.sh's LAB_GUEST): the section it runs in,
# its name in messages and the function that reads its results.
GUESTS = {
    "tests": ("TESTS", "the tests", tests_main),
    "bench": ("BENCH", "the benchmark", bench_main),
    "soak": ("SOAK", "the soak", soak_main),
}


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
    ap.add_argument("--arch", choices=["x86_64", "arm64"], default="x86_64",
                    help="the guest's architecture (which QEMU and board)")
    ap.add_argument("--append", default="")
    ap.add_argument("--expect-fail", action="append", default=[], metavar="NAME=REASON",
                    help="a test or nested test case (program/case) that this boot must fail, "
                         "as the C build does: XFAIL; passing it fails the run (XPASS)")
    ap.add_argument("--icount", action="store_true")
    ap.add_argument("--parts", default="main",
                    help="the boots of a tests guest, in order (" + ", ".join(PARTS) + "; "
                         "mkinitramfs.sh writes them next to the initramfs)")
    ap.add_argument("--guest", choices=sorted(GUESTS), default="tests",
                    help="what the guest runs (its /lab.conf's LAB_GUEST)")
    ap.add_argument("--bench", dest="guest", action="store_const", const="bench",
                    help="the same as --guest bench")
    ap.add_argument("--tree", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "out", "linux"),
                    help="the kernel tree, for its KUnit KTAP parser (default: the lab's out/linux)")
    ap.add_argument("--echo", default="",
                    help="also print the console lines that match this regular expression")
    args = ap.parse_args()
    t0 = float(os.environ.get("LAB_T0", time.time()))
    section, what, judge = GUESTS[args.guest]
    parts = args.parts.split()
    if not parts or any(p not in PARTS for p in parts):
        ap.error(f"--parts {args.parts!r}: want boots out of {', '.join(PARTS)}")
    if args.guest != "tests" and parts != ["main"]:
        ap.error(f"--parts {args.parts}: only the tests guest has parts")

    start = time.time()
    boots, problems, bad = [], [], []
    for i, part in enumerate(parts):
        if len(parts) > 1:
            log(t0, f"boot {i + 1} of {len(parts)}: {part} ({PARTS[part].accel}, "
                    f"timeout {boot_timeout(args, part)} s)")
        header = BOOT_HEADER + part if len(parts) > 1 else None
        lines, timed_out, rc = run_guest(args, t0, part, i > 0, header)
        more, more_bad = run_problems(args, lines, what, section, timed_out, rc)
        problems += more
        bad += more_bad
        boots.append(lines)
    lines = [l for b in boots for l in b]
    elapsed = int(time.time() - start)
    verdict, more, results_ok, summary = judge(args, boots, elapsed)
    problems += more
    ok = results_ok and not problems
    report(args, lines, verdict, ok, problems, bad, elapsed)
    if args.guest == "tests":
        # "N passed, N failed, N skipped", every problem counted as a failure.
        npass, nfail, nskip = (int(n) for n in re.findall(r"\d+", summary))
        print(f"{args.label}: {npass} passed, {nfail + len(problems)} failed, {nskip} skipped")
    else:
        log(t0, f"{args.label}: {summary}, {elapsed} s, {'ok' if ok else 'FAILED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
