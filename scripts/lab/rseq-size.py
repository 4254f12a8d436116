#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Size of the rseq exit path in each build, from its vmlinux.

The same rule for every build, so that inlining and out-of-line calls
are counted alike:

  roots    the out-of-line rseq entry points of the exit path that exist in
           the build: __rseq_handle_slowpath, __rseq_signal_deliver,
           rseq_debug_update_user_cs, __rseq_debug_syscall_return and the
           Rust build's __rseq_exit_user_update (rseq_rs_exit_user_update before);
  callers  every other function that calls or jumps to a root: the entry code
           into which C inlines the fast path (rseq_exit_user_update and
           friends) and from which the Rust build calls its export;
  callees  everything reachable by call/jmp from the roots whose name says
           rseq (Rust's mangled kernel::rseq functions, the rseq
           tracepoints) or that is a rust_helper_* wrapper (those exist only
           for Rust callers); shared functions such as _copy_to_user are
           listed as calls but not counted.

Bytes are nm -S sizes. The callers also hold entry code that is not rseq,
the same in both builds, so compare totals between builds rather than
reading one alone.

Usage: rseq-size.py IMPL=VMLINUX...   (prints a table)
"""

import re
import subprocess
import sys

ROOTS = ("__rseq_handle_slowpath", "__rseq_signal_deliver", "rseq_debug_update_user_cs",
         "__rseq_debug_syscall_return", "rseq_rs_exit_user_update",
         "__rseq_exit_user_update")
FUNC_RE = re.compile(r"^[0-9a-f]+ <(.+)>:$")
REF_RE = re.compile(r"\s(?:call|jmp)\w*\s+[0-9a-f]+ <([^>+]+)(?:\+0x[0-9a-f]+)?>")
# rseq code, and the Rust helper wrappers, which exist only for Rust callers.
RSEQ_RE = re.compile(r"rseq|^rust_helper_", re.I)


def sizes(vmlinux):
    out = subprocess.run(["nm", "-S", "--size-sort", vmlinux], check=True,
                         capture_output=True, text=True).stdout
    size = {}
    for line in out.splitlines():
        w = line.split()
        if len(w) == 4 and w[2] in "tTwW":
            size[w[3]] = max(size.get(w[3], 0), int(w[1], 16))
    return size


def call_graph(vmlinux):
    """callee sets per function, from objdump of every code section (streamed)."""
    graph = {}
    cur = None
    proc = subprocess.Popen(["objdump", "-d", "--no-show-raw-insn", vmlinux],
                            stdout=subprocess.PIPE, text=True, errors="replace")
    for line in proc.stdout:
        m = FUNC_RE.match(line)
        if m:
            cur = m.group(1)
            graph.setdefault(cur, set())
            continue
        if cur is None:
            continue
        m = REF_RE.search(line)
        if m and m.group(1) != cur:
            graph[cur].add(m.group(1))
    proc.wait()
    return graph


def demangle(names):
    """Rust v0 names through c++filt (binutils), without the crate hashes."""
    if not names:
        return {}
    try:
        out = subprocess.run(["c++filt"], input="\n".join(names), capture_output=True,
                             text=True, check=True).stdout.splitlines()
        if len(out) == len(names):
            return {n: re.sub(r"\[[0-9a-f]{16}\]", "", d) for n, d in zip(names, out)}
    except (OSError, subprocess.CalledProcessError):
        pass
    return {n: n for n in names}


def exit_path(vmlinux):
    size = sizes(vmlinux)
    graph = call_graph(vmlinux)
    roots = [r for r in ROOTS if r in size]
    callers = sorted({f for f, cs in graph.items() if any(r in cs for r in roots)} - set(roots))
    seen, todo = set(roots), list(roots)
    shared = set()
    while todo:
        f = todo.pop()
        for c in graph.get(f, ()):
            if c in seen:
                continue
            if RSEQ_RE.search(c):
                seen.add(c)
                todo.append(c)
            else:
                shared.add(c)
    callees = sorted(seen - set(roots))
    callers = [f for f in callers if f not in seen]
    return size, roots, callers, callees, sorted(shared)


def main():
    impls = []
    for arg in sys.argv[1:]:
        impl, _, path = arg.partition("=")
        impls.append((impl, path))
    res = {impl: exit_path(path) for impl, path in impls}
    print("rseq exit path size (bytes, nm -S), rule in scripts/lab/rseq-size.py:")
    print("roots = out-of-line rseq exit-path entry points; callers = functions that call")
    print("them (C: with the fast path inlined); callees = rseq functions reachable from roots")
    totals = {}
    for impl, _ in impls:
        size, roots, callers, callees, shared = res[impl]
        names = demangle(callees)
        print(f"\n{impl}:")
        total = 0
        for kind, lst in (("root", roots), ("caller", callers), ("callee", callees)):
            sub = sum(size.get(f, 0) for f in lst)
            total += sub
            print(f"  {kind}s: {sub} bytes")
            for f in lst:
                print(f"    {size.get(f, 0):>6}  {names.get(f, f)}")
        totals[impl] = total
        shared = demangle(shared).values()
        print(f"  total: {total} bytes; shared functions called (not counted): "
              f"{', '.join(shared) if shared else 'none'}")
    print("\ntotals: " + ", ".join(f"{i} {t}" for i, t in totals.items()))


if __name__ == "__main__":
    main()
