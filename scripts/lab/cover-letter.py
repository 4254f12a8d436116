#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The numbers of the cover letter, from the lab's results.

  cover-letter.py collect OUT RESULTS [KUNIT_LOG]
      reads a complete make test (OUT/results-{c,rust}[+BOOT].json, the
      consoles, OUT/soak-console-*.log), make kunit (KUNIT_LOG, default
      OUT/kunit.log) and
      make bench (OUT/bench.txt) and writes RESULTS/matrix.json and
      RESULTS/bench.txt: the data the cover letter is made from, kept in
      the repository (series/results/) so that every make series writes
      the same letter and a refresh shows up in git diff.
  cover-letter.py render RESULTS TEMPLATE
      prints TEMPLATE with @BENCHMARKS@ and @TESTS@ replaced by the
      benchmark table and the test matrix made from RESULTS.
"""

import json
import os
import re
import shutil
import sys
import time

IMPLS = ["c", "rust"]
NAMES = {"c": "C", "rust": "Rust"}


def die(msg, hint):
    print(f"ERROR: {msg}\n         next: {hint}", file=sys.stderr)
    sys.exit(1)


def group(name):
    base = name.split(":", 1)[-1] if not name.startswith("kunit:") else name
    if name.startswith("kunit:"):
        return "kunit"
    return "abi" if base.startswith(("abi_", "run_abi")) else "upstream"


def counts(items):
    """[passed, failed, skipped]; an expected failure (XFAIL, guest.py
    --expect-fail) counts as passed, XPASS as failed, as in compare.py."""
    c = {"PASS": 0, "FAIL": 0, "SKIP": 0}
    for t in items:
        c[{"XFAIL": "PASS", "XPASS": "FAIL"}.get(t["status"], t["status"])] += 1
    return [c["PASS"], c["FAIL"], c["SKIP"]]


def boot_params(console):
    """The kernel command line a boot added to the lab's own."""
    try:
        for line in open(console, errors="replace"):
            m = re.search(r"guest up: .*cmdline: (.*)$", line)
            if m:
                own = {"console=ttyS0", "panic=-1", "oops=panic", "numa=fake=2"}
                return " ".join(w for w in m.group(1).split() if w not in own)
    except FileNotFoundError:
        pass
    return ""


def config_value(build, key):
    try:
        for line in open(os.path.join(build, ".config")):
            if line.startswith(key + "="):
                return line.split("=", 1)[1].strip().strip('"')
    except FileNotFoundError:
        pass
    return ""


def load_run(path, what):
    """The test counts of one complete, passing run (results-*.json)."""
    if not os.path.exists(path):
        die(f"no {path}", f"run '{what}' first (make results keeps only complete runs)")
    r = json.load(open(path))
    names = {t["name"] for t in r["tests"]}
    if not ("basic_test" in names and any(group(n) == "abi" for n in names)):
        die(f"{path} is not a complete run ({len(names)} tests)",
            f"run '{what}' (a make run with TESTS=... is not the whole matrix)")
    if not r["ok"]:
        die(f"{path} is a failed run", "the cover letter reports passing runs: fix the failure first")
    return {"upstream": counts(t for t in r["tests"] if group(t["name"]) == "upstream"),
            "abi_programs": counts(t for t in r["tests"] if group(t["name"]) == "abi"),
            "abi_cases": counts(t for t in r["subtests"] if group(t["name"].split("/")[0]) == "abi"),
            "abi_skips": sorted({f"{t['name'].split('/', 1)[-1].split('.', 1)[-1]} ({t['reason']})"
                                 for t in r["subtests"]
                                 if t["status"] == "SKIP" and group(t["name"].split("/")[0]) == "abi"}),
            "kunit_suites": counts(t for t in r["tests"] if group(t["name"]) == "kunit"),
            "kunit_cases": counts(t for t in r["subtests"] if t["name"].startswith("kunit:")),
            "seconds": r["seconds"]}


def collect(out, results, kunit):
    matrix = {"builds": {}}
    for impl in IMPLS:
        b = load_run(os.path.join(out, f"results-{impl}.json"), "make test")
        b["boots"] = {}
        for f in sorted(os.listdir(out)):
            m = re.match(rf"results-{impl}\+(\w+)\.json$", f)
            if m:
                rb = json.load(open(os.path.join(out, f)))
                params = boot_params(os.path.join(out, f"console-{impl}+{m.group(1)}.log")) or m.group(1)
                b["boots"][params] = counts(t for t in rb["subtests"] if group(t["name"].split("/")[0]) == "abi")
                b["boots"][params].append(rb["ok"])
        soak = os.path.join(out, f"soak-console-{impl}.log")
        if os.path.exists(soak):
            text = open(soak, errors="replace").read()
            res = re.findall(r"^(\d+) passed, (\d+) failed$", text, re.M)
            ops = re.findall(r"^SOAK \S+ det: (\d+) ops", text, re.M)
            blocks = os.path.join(out, f"soak-{impl}.blocks")
            b["soak"] = {"passed": int(res[-1][0]) if res else 0, "failed": int(res[-1][1]) if res else -1,
                         "ops": int(ops[0]) if ops else 0,
                         "blocks": open(blocks).read() if os.path.exists(blocks) else ""}
        matrix["builds"][impl] = b
    soaks = [matrix["builds"][i].get("soak") for i in IMPLS]
    if all(soaks):
        matrix["soak_identical"] = len({s["blocks"] for s in soaks}) == 1 and bool(soaks[0]["blocks"])
        matrix["soak_hashes"] = soaks[0]["blocks"].count("\n")
        for s in soaks:
            del s["blocks"]
    arm64 = [os.path.join(out, f"results-arm64-{impl}.json") for impl in IMPLS]
    if any(os.path.exists(p) for p in arm64):
        matrix["arm64"] = {impl: load_run(p, "make test (its arm64 stage) or make run ARCH=arm64")
                           for impl, p in zip(IMPLS, arm64)}
    if os.path.exists(kunit):
        m = re.findall(r"Testing complete\. (.*)$", open(kunit, errors="replace").read(), re.M)
        matrix["kunit_py"] = m[-1] if m else "no summary"
    build = os.path.join(out, "build-c")
    matrix["toolchain"] = {"cc": config_value(build, "CONFIG_CC_VERSION_TEXT"),
                           "rustc": config_value(build, "CONFIG_RUSTC_VERSION_TEXT")}
    matrix["date"] = time.strftime("%Y-%m-%d", time.gmtime(os.path.getmtime(
        os.path.join(out, "results-c.json"))))
    os.makedirs(results, exist_ok=True)
    with open(os.path.join(results, "matrix.json"), "w") as f:
        json.dump(matrix, f, indent=1, sort_keys=True)
        f.write("\n")
    bench = os.path.join(out, "bench.txt")
    if os.path.exists(bench) and "rust/c" in open(bench).read():
        shutil.copy(bench, os.path.join(results, "bench.txt"))
    else:
        print(f"warning: no two-build {bench}: the benchmark table stays as it was", file=sys.stderr)


def fmt(c, skips=True):
    p, f, s = c[:3]
    text = f"{p} pass"
    if f:
        text += f", {f} FAIL"
    if s and skips:
        text += f", {s} skip"
    return text


def count_rows(builds, upstream, extra=()):
    """The table rows of one architecture's two builds: the upstream
    tests (labelled UPSTREAM), the ABI programs and cases, EXTRA rows
    (label, function of a build) after the cases, KUnit."""
    rows = [("upstream", upstream), ("abi_programs", "ABI test programs"),
            ("abi_cases", "  their test cases")]
    rows = [(label, lambda x, k=k: fmt(x[k])) for k, label in rows] + list(extra)
    rows += [(label, lambda x, k=k: fmt(x[k])) for k, label in
             (("kunit_suites", "KUnit suites at boot"), ("kunit_cases", "  their test cases"))]
    return [f"  {label:<34}{f(builds['c']):<20}{f(builds['rust'])}" for label, f in rows]


def skip_line(builds, where):
    """The ABI cases either build skipped, as a sentence, or nothing."""
    skips = sorted(set(builds["c"]["abi_skips"]) | set(builds["rust"]["abi_skips"]))
    return ["", f"ABI test cases skipped {where}: " + "; ".join(skips) + "."] if skips else []


def render_tests(m):
    b = m["builds"]
    boots = [(f"  booted with {params}", lambda x, p=params: fmt(x["boots"].get(p, [0, 0, 0])))
             for params in sorted(b["rust"]["boots"])]
    rows = count_rows(b, "upstream rseq kselftests (-r 20)", boots)
    if "soak_identical" in m:
        ops = b["c"]["soak"]["ops"]

        def soak(x):
            return f"{x['soak']['passed']} pass" + (f", {x['soak']['failed']} FAIL" if x["soak"]["failed"] else "")
        rows.append(f"  {f'soak, 2 modes x {ops:,} ops':<34}{soak(b['c']):<20}{soak(b['rust'])}")
    header = f"  {'':<34}{'C build':<20}Rust build"
    lines = [f"Test results of make test ({m['date']}): x86_64 under QEMU TCG with two "
             f"CPUs and two NUMA nodes, {m['toolchain']['cc']}, {m['toolchain']['rustc']}. "
             "Every test runs on both builds of the same tree; the C build is the oracle.", "",
             header] + rows
    if "soak_identical" in m:
        lines += ["", f"The soak's outcome logs ({m['soak_hashes']} block hashes) of the Rust build are "
                  + ("identical to the C build's." if m["soak_identical"] else "NOT identical to the C build's.")]
    lines += skip_line(b, "in the default boot")
    if "arm64" in m:
        lines += ["", "arm64, QEMU virt under TCG with two CPUs and two NUMA nodes, make test's "
                  "subset (ABI tests, basic_test, run_legacy_check.sh, KUnit at boot):", "",
                  header] + count_rows(m["arm64"], "upstream (basic, legacy check)")
        lines += skip_line(m["arm64"], "on arm64")
    if "kunit_py" in m:
        lines += ["", "kunit.py run --kunitconfig=kernel/rseq --arch=x86_64 (its own kernel, "
                  f"CONFIG_RSEQ_RUST=y): {m['kunit_py']}."]
    return wrap("\n".join(lines))


def wrap(text, width=72):
    out = []
    for line in text.split("\n"):
        if line.startswith(" ") or len(line) <= width:
            out.append(line)
            continue
        cur = ""
        for word in line.split(" "):
            if cur and len(cur) + 1 + len(word) > width:
                out.append(cur)
                cur = word
            else:
                cur = f"{cur} {word}" if cur else word
        out.append(cur)
    return "\n".join(out)


ROW_RE = re.compile(r"^(\S+)\s+(norseq|v1|v2)\s+([\d.]+) \[[^\]]*\] n=\d+\s+([\d.]+) \[[^\]]*\] n=\d+\s+([\d.]+)$")
COST_RE = re.compile(r"^(\S+)\s+(v1|v2)\s+(\S+ \S+)\s+([-+][\d.]+)\s+([-+][\d.]+)\s+[-+][\d.]+$")


def render_bench(path):
    text = open(path).read()
    head = text.split("\n")[1]
    runs = re.search(r"(\d+) runs per build", head)
    cost = {(m.group(1), m.group(2)): (m.group(4), m.group(5))
            for m in map(COST_RE.match, text.split("\n")) if m}
    rows = [f"  {'operation':<13}{'':<7}{'C':>10}{'Rust':>10}{'Rust/C':>8}   rseq cost C / Rust"]
    for m in filter(None, map(ROW_RE.match, text.split("\n"))):
        op, var, c, r, ratio = m.groups()
        extra = " / ".join(cost[(op, var)]) if (op, var) in cost else ""
        rows.append(f"  {op:<13}{var:<7}{c:>10}{r:>10}{ratio:>8}   {extra}".rstrip())
    kernels = re.findall(r"^kernel: (\w+) \(bzImage .*sha256 (\w+)\)", text, re.M)
    size = re.search(r"^totals: (.*)$", text, re.M)
    intro = ("Benchmark (make bench): guest instructions per operation under QEMU "
             "TCG with -icount, median of " + (f"{runs.group(1)} boots" if runs else "the boots")
             + " per build; norseq runs unregistered, v1 with a 32-byte (legacy) registration, v2 with "
             "an AT_RSEQ_FEATURE_SIZE one; rseq cost is the row minus its baseline (norseq; for the slice "
             "rows wakeup v2). Kernels: " + ", ".join(f"{NAMES.get(i, i)} {h}" for i, h in kernels) + ".")
    lines = [wrap(intro), ""] + rows
    if size:
        lines += ["", wrap("Size of the rseq exit path in vmlinux (entry points, their callers "
                           f"and rseq callees, bytes): {size.group(1)}.")]
    return "\n".join(lines)


def main():
    if len(sys.argv) in (4, 5) and sys.argv[1] == "collect":
        collect(sys.argv[2], sys.argv[3], sys.argv[4] if len(sys.argv) == 5 else os.path.join(sys.argv[2], "kunit.log"))
        return 0
    if len(sys.argv) == 4 and sys.argv[1] == "render":
        results, template = sys.argv[2], sys.argv[3]
        text = open(template).read()
        matrix = os.path.join(results, "matrix.json")
        bench = os.path.join(results, "bench.txt")
        tests = render_tests(json.load(open(matrix))) if os.path.exists(matrix) else "(no test results: make results)"
        table = render_bench(bench) if os.path.exists(bench) else "(no benchmark: make bench, make results)"
        sys.stdout.write(text.replace("@TESTS@", tests).replace("@BENCHMARKS@", table))
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
