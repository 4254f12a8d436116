#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The table of make bench, from the per-run JSON files of guest.py --bench.

Every run gives, per row (operation, variant), the median of its
repetitions. The table shows, per build, the median of those run medians
and how far they spread (min..max and max/min-1), the ratio of each build's
median to C's, and the rseq cost of each row over its baseline row.

Usage: bench-report.py HEADER-LINE IMPL=RUN.json[,RUN.json...]...
"""

import json
import statistics
import sys

OPS = ["getppid", "pingpong", "csabort", "wakeup", "slice-yield", "slice-revoke",
       "membarrier", "param_test"]
VARIANTS = ["norseq", "v1", "v2"]
# The row each row's rseq cost is measured against.
BASE = {op: (op, "norseq") for op in OPS}
BASE["slice-yield"] = BASE["slice-revoke"] = ("wakeup", "v2")
BASE["param_test"] = None
WHAT = {
    "getppid": "one getppid() system call",
    "pingpong": "one 1-byte round trip between two processes over two pipes",
    "csabort": "one SIGILL inside an rseq critical section (trap, signal, abort, sigreturn)",
    "wakeup": "one preemption by a SCHED_FIFO sibling woken by its hrtimer, wait spin subtracted",
    "slice-yield": "the same with a slice request: grant on the interrupt exit, rseq_slice_yield()",
    "slice-revoke": "the same with a slice request: grant, then getppid() revokes it",
    "membarrier": "one MEMBARRIER_CMD_PRIVATE_EXPEDITED_RSEQ, sibling thread spinning on CPU 1",
    "param_test": "one run of param_test_benchmark (exec to exit), v1 = -L",
}


def load(spec):
    impl, _, files = spec.partition("=")
    runs = []
    for path in files.split(","):
        with open(path) as f:
            runs.append(json.load(f))
    return impl, runs


def fmt(v):
    return f"{v:.1f}" if abs(v) < 1e5 else f"{v:.0f}"


def main():
    header = sys.argv[1]
    data = dict(load(a) for a in sys.argv[2:])
    impls = list(data)
    # row -> impl -> [run medians]
    med = {}
    for impl, runs in data.items():
        for run in runs:
            for r in run["bench"]:
                med.setdefault((r["op"], r["variant"]), {}).setdefault(impl, []).append(r["ns"])
    rows = [(op, v) for op in OPS for v in VARIANTS if (op, v) in med]
    rows += [k for k in med if k not in rows]

    def m(row, impl):
        vals = med.get(row, {}).get(impl)
        return statistics.median(vals) if vals else None

    print("rseq benchmark: guest instructions per operation")
    print(header)
    print("Per row and build: median of the run medians, [min..max of the run medians, max/min-1].")
    print()
    for op in OPS:
        if any(r[0] == op for r in rows):
            print(f"  {op:<13} {WHAT[op]}")
    print()
    cols = [f"{i} median [spread of runs]" for i in impls]
    ratio_cols = [f"{i}/c" for i in impls if i != "c"] if "c" in impls else []
    print(f"{'operation':<13} {'variant':<7}" + "".join(f" {c:>36}" for c in cols)
          + "".join(f" {c:>7}" for c in ratio_cols))
    for row in rows:
        line = f"{row[0]:<13} {row[1]:<7}"
        for impl in impls:
            vals = med[row].get(impl)
            if not vals:
                line += f" {'-':>36}"
                continue
            lo, hi = min(vals), max(vals)
            sp = f"{(hi / lo - 1) * 100:.2f}%" if lo > 0 else "-"
            cell = f"{fmt(m(row, impl))} [{fmt(lo)}..{fmt(hi)} {sp}] n={len(vals)}"
            line += f" {cell:>36}"
        for impl in impls:
            if impl == "c" or "c" not in impls:
                continue
            c, v = m(row, "c"), m(row, impl)
            line += f" {v / c:>7.4f}" if c and v else f" {'-':>7}"
        print(line)

    print()
    print("rseq cost: row minus its baseline row (medians of run medians)")
    print(f"{'operation':<13} {'variant':<7} {'baseline':<14}" + "".join(f" {i:>9}" for i in impls)
          + (" rust-c" if "c" in impls and "rust" in impls else ""))
    for row in rows:
        base = BASE.get(row[0])
        if not base or base == row or base not in med:
            continue
        line = f"{row[0]:<13} {row[1]:<7} {' '.join(base):<14}"
        costs = {}
        for impl in impls:
            v, b = m(row, impl), m(base, impl)
            costs[impl] = v - b if v is not None and b is not None else None
            line += f" {costs[impl]:>+9.1f}" if costs[impl] is not None else f" {'-':>9}"
        if "c" in impls and "rust" in impls and None not in (costs.get("c"), costs.get("rust")):
            line += f" {costs['rust'] - costs['c']:>+6.1f}"
        print(line)

    print()
    for impl, runs in data.items():
        worst = 0.0
        for run in runs:
            vals = {(r["op"], r["variant"]): r["ns"] for r in run["bench"]}
            for s in run.get("spread", []):
                v = vals.get((s["op"], s["variant"]))
                if v and v > 0 and s["op"] != "param_test":
                    worst = max(worst, (s["max"] - s["min"]) / v * 100)
        infos = [i for run in runs for i in run.get("info", [])]
        cpus = sorted({i.split(",")[0] for i in infos if i.startswith("cpus ")})
        ratios = [i.split("ratio=")[-1] for i in infos if i.startswith("clockcheck ")]
        secs = [run.get("seconds", 0) for run in runs]
        print(f"{impl}: {len(runs)} runs ({', '.join(cpus)}), {min(secs)}..{max(secs)} s per boot; "
              f"CLOCK_MONOTONIC/TSC {min(ratios, default='?')}..{max(ratios, default='?')}; "
              f"widest spread of repetitions within a run {worst:.2f}% (param_test aside)")
        for i in sorted({i for i in infos if i.startswith(("slice-", "membarrier ", "csabort "))}):
            print(f"  {i}")
    skips = {(s["op"], s["variant"], s["reason"]) for runs in data.values() for run in runs
             for s in run.get("skipped", [])}
    for op, v, why in sorted(skips):
        print(f"skipped: {op} {v}: {why}")


if __name__ == "__main__":
    main()
