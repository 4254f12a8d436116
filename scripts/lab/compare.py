#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Show the results of several builds side by side (one column per
results-IMPL.json) and fail on any test whose result differs between
them, or that did not pass everywhere. The last line is the overall
"N passed, N failed" count over all builds."""

import json
import sys


def main(paths):
    runs = []
    for p in paths:
        with open(p) as f:
            runs.append(json.load(f))
    names = []
    for r in runs:
        for t in r["tests"]:
            if t["name"] not in names:
                names.append(t["name"])
    width = max([len(n) for n in names] + [20])
    labels = [r["label"] for r in runs]
    print("\n==== rseq selftests, side by side ====")
    print(f"  {'test':<{width}}  " + "  ".join(f"{l:>6}" for l in labels))
    differ = []
    npass = nfail = nskip = 0
    for n in names:
        row = []
        for r in runs:
            st = next((t["status"] for t in r["tests"] if t["name"] == n), "MISSING")
            row.append(st)
            npass += st == "PASS"
            nfail += st in ("FAIL", "MISSING")
            nskip += st == "SKIP"
        mark = ""
        if len(set(row)) > 1:
            differ.append(n)
            mark = "   <-- differs"
        print(f"  {n:<{width}}  " + "  ".join(f"{s:>6}" for s in row) + mark)
    problems = 0
    for r in runs:
        for p in r["problems"]:
            print(f"  PROBLEM ({r['label']}): {p}")
            problems += 1
        print(f"  {r['label']}: {r['seconds']} s in the guest")
    if differ:
        print(f"  {len(differ)} test(s) differ between builds: {', '.join(differ)}")
    print(f"total: {npass} passed, {nfail + problems + len(differ)} failed, {nskip} skipped")
    return 0 if not (nfail or problems or differ) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
