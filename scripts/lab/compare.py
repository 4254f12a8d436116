#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Show the results of several builds side by side (one column per
results-IMPL.json) and fail on any test whose result differs between
them, or that did not pass everywhere. The last line is the overall
"N passed, N failed" count over all builds."""

import json
import sys


def load(path):
    """A build's verdict, or a failed one if the run never wrote it."""
    try:
        with open(path) as f:
            return json.load(f)
    except OSError:
        label = path.rsplit("results-", 1)[-1].removesuffix(".json")
        return {"label": label, "tests": [], "seconds": 0,
                "problems": [f"no results in {path}: the build or the boot failed"]}


# Statuses that fail a run. XFAIL (a failure that the boot's mode causes
# on the C build too, guest.py --expect-fail) counts as passed and is
# listed; XPASS is such a test that passed.
BAD = {"FAIL", "MISSING", "XPASS"}
PASSED = {"PASS", "XFAIL"}


def missing(name, notrun=()):
    """KUnit tests exist only in the build they test, and a run leaves out
    the tests NOTRUN names (and their nested cases); anything else that
    one build lacks is a failure."""
    if name.startswith("kunit:") or name.split("/", 1)[0] in notrun:
        return "-"
    return "MISSING"


def main(argv):
    """Arguments: results files, "group:TITLE" to start another table of
    runs compared with each other, "check:NAME=STATUS" for lab checks,
    "notrun:LABEL=TEST" for a test that the run LABEL leaves out."""
    checks = [a[len("check:"):].split("=", 1) for a in argv if a.startswith("check:")]
    notrun = {}
    for a in argv:
        if a.startswith("notrun:"):
            label, test = a[len("notrun:"):].split("=", 1)
            notrun.setdefault(label, set()).add(test)
    groups = [["rseq selftests", []]]
    for a in argv:
        if a.startswith("group:"):
            groups.append([a[len("group:"):], []])
        elif not a.startswith(("check:", "notrun:")):
            run = load(a)
            run["notrun"] = notrun.get(run["label"], set())
            groups[-1][1].append(run)
    totals = [0, 0, 0]
    failures = []
    for title, runs in groups:
        if runs:
            for i, n in enumerate(compare(title, runs, failures)):
                totals[i] += n
    npass, nfail, nskip = totals
    for name, status in checks:
        print(f"  lab check {name}: {status}")
        if status.startswith("ok"):
            npass += 1
        elif status.startswith("skipped"):
            nskip += 1
        else:
            nfail += 1
            failures.append(f"lab check {name}: {status}")
    print_failures(failures)
    print(f"total: {npass} passed, {nfail} failed, {nskip} skipped")
    return 0 if not nfail else 1


def print_failures(failures, limit=12):
    """Repeat what failed just above the total line: a CI log's tail
    then names it without the tables above."""
    if not failures:
        return
    # A run's problems (no results, a hang, a WARN) first: they explain
    # the rows after them.
    failures = sorted(failures, key=lambda f: "PROBLEM" not in f and not f.startswith("lab check"))
    print(f"what failed or differs ({len(failures)}), from the tables above:")
    for f in failures[:limit]:
        print(f"  {f}")
    if len(failures) > limit:
        print(f"  ... and {len(failures) - limit} more: see the tables above")
    print("next: the console of a run is out/console-<label>.log; rerun one test with"
          " make run IMPL=<c|rust> [ARCH=arm64] TESTS=<name>")


def compare(title, runs, failures):
    """Print one table; return (passed, failed, skipped), where a
    difference between the runs or a run's problem counts as failed.
    Appends a line per failing or differing row to failures."""
    names = []
    for r in runs:
        for t in r["tests"]:
            if t["name"] not in names:
                names.append(t["name"])
    width = max([len(n) for n in names] + [20])
    labels = [r["label"] for r in runs]
    print(f"\n==== {title}, side by side ====")
    print(f"  {'test':<{width}}  " + "  ".join(f"{l:>6}" for l in labels))
    differ = []
    npass = nfail = nskip = 0
    for n in names:
        row = []
        for r in runs:
            st = next((t["status"] for t in r["tests"] if t["name"] == n), missing(n, r["notrun"]))
            row.append(st)
            npass += st in PASSED
            nfail += st in BAD
            nskip += st == "SKIP"
        mark = ""
        if len(set(row) - {"-"}) > 1:
            differ.append(n)
            mark = "   <-- differs"
        if mark or BAD & set(row):
            failures.append(failure_line(title, n, labels, row))
        print(f"  {n:<{width}}  " + "  ".join(f"{s:>6}" for s in row) + mark)
    # Nested test cases of harness tests (abi_*_test, legacy_check, ...):
    # only the rows that are not PASS everywhere are listed.
    sub_names = []
    for r in runs:
        for t in r.get("subtests", []):
            if t["name"] not in sub_names:
                sub_names.append(t["name"])
    shown = 0
    for n in sub_names:
        row = []
        for r in runs:
            st = next((t["status"] for t in r.get("subtests", []) if t["name"] == n),
                      missing(n, r["notrun"]))
            row.append(st)
            npass += st in PASSED
            nfail += st in BAD
            nskip += st == "SKIP"
        seen = set(row) - {"-"}
        if len(seen) > 1:
            differ.append(n)
        if len(seen) > 1 or BAD & seen:
            failures.append(failure_line(title, n, labels, row))
        if seen != {"PASS"}:
            if not shown:
                print("  nested test cases that did not pass everywhere:")
            shown += 1
            mark = "   <-- differs" if len(seen) > 1 else ""
            print(f"    {n:<{width}}  " + "  ".join(f"{s:>6}" for s in row) + mark)
    if sub_names:
        print(f"  nested test cases: {len(sub_names)} per build, {len(sub_names) - shown} passed on every build")
    problems = 0
    for r in runs:
        for p in r["problems"]:
            print(f"  PROBLEM ({r['label']}): {p}")
            failures.append(f"[{title}] PROBLEM ({r['label']}): {p}")
            problems += 1
        print(f"  {r['label']}: {r['seconds']} s in the guest")
        if r["notrun"]:
            print(f"  {r['label']} leaves out: {', '.join(sorted(r['notrun']))}")
    if differ:
        print(f"  {len(differ)} test(s) differ between builds: {', '.join(differ)}")
    return npass, nfail + problems + len(differ), nskip


def failure_line(title, name, labels, row):
    """One row of a table as a line of the failure list."""
    cells = ", ".join(f"{l} {s}" for l, s in zip(labels, row) if s != "-")
    return f"[{title}] {name}: {cells}"


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
