#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The lab's own behavior on bad input: each case must end with a one-line
# ERROR, a non-zero exit, and nothing half-written. Needs the C build
# (a bzImage) and the prepared tree. Prints "N passed, N failed".
set -eu
# shellcheck source=scripts/lab/lib.sh
. "$(dirname "$0")/lib.sh"

lab="$LAB_ROOT/scripts/lab"
scratch=$(mktemp -d /tmp/rseq-lab-selftest.XXXXXX)
trap 'rm -rf "$scratch"' EXIT

# expect_error NAME PATTERN CMD...: CMD must fail with an ERROR line
# matching PATTERN.
expect_error() {
	local name="$1" pattern="$2" rc=0
	shift 2
	"$@" >"$scratch/out" 2>&1 || rc=$?
	if [ "$rc" -ne 0 ] && grep -q -E "ERROR: .*$pattern" "$scratch/out"; then
		ok "$name: $(grep -m1 'ERROR:' "$scratch/out" | sed 's/^.*ERROR: //')"
	else
		bad "$name (exit $rc, wanted an ERROR matching '$pattern')"
		sed 's/^/         /' "$scratch/out" | tail -n 5
	fi
}

# A minimal tree that looks like a kernel of the given version.
fake_kernel() {
	local dir="$1" patchlevel="$2"
	mkdir -p "$dir/kernel"
	printf 'VERSION = 7\nPATCHLEVEL = %s\nSUBLEVEL = 0\n' "$patchlevel" >"$dir/Makefile"
	echo '/* fake */' >"$dir/kernel/rseq.c"
	git -C "$dir" init -q
	git -C "$dir" add -A
	git -C "$dir" -c user.name=t -c user.email=t@t commit -q -m fake
}

step "selftest: the lab on bad input"

# A fresh machine, simulated without the minutes of real installs: no out/,
# nothing installed (dpkg-query knows no package), no ~/.cargo/bin (HOME is
# empty). Stand-ins for apt-get, apt-cache, rustup and cargo record their
# calls; cargo "installs" a bindgen that reports the wanted version and
# apt-get "installs" shellcheck (the real one) and the toolchain's version
# commands. CLANG_CANDIDATE=no makes the archive lack rustc's clang.
fresh_machine() {
	local dir="$1" candidate="$2" bin="$1/bin" tool
	mkdir -p "$bin" "$dir/home"
	cat >"$bin/stand-in" <<'STUB'
#!/bin/bash
# Records the call; behaves just enough like the real tool for provision.sh.
bin=$(dirname "$0")
echo "$(basename "$0") $*" >>"$bin/../calls"
case "$(basename "$0") $1" in
"dpkg-query "*) exit 1 ;;
"rustc -vV") printf 'rustc 1.95.0\nLLVM version: 22.1.2\n' ;;
"rustc --version") echo "rustc 1.95.0 (stand-in)" ;;
"apt-cache policy")
	[ "$CLANG_CANDIDATE" = no ] && [ "$2" = clang-22 ] && exit 0
	printf '%s:\n  Candidate: 1:99\n' "$2" ;;
"apt-get install")
	ln -sf "$(command -v -p shellcheck || echo /usr/bin/shellcheck)" "$bin/shellcheck"
	for v in 19 22; do ln -sf stand-in "$bin/clang-$v"; done
	ln -sf stand-in "$bin/qemu-system-x86_64" ;;
"cargo install") ln -sf stand-in "$bin/bindgen" ;;
"bindgen --version") echo "bindgen 0.72.1" ;;
"clang-"*|"qemu-system-x86_64 --version") echo "version 1.0" ;;
esac
exit 0
STUB
	chmod +x "$bin/stand-in"
	for tool in dpkg-query apt-get apt-cache rustup rustc cargo; do
		ln -s stand-in "$bin/$tool"
	done
	env HOME="$dir/home" CARGO_HOME="$dir/home/.cargo" PATH="$bin:/usr/bin:/bin:/usr/sbin:/sbin" WORK="$dir/out" \
		CLANG_CANDIDATE="$candidate" LLVM_SUFFIX= LIBCLANG_PATH= "$lab/provision.sh" >"$dir/log" 2>&1
}

# expect_call FILE PATTERN WHAT: the stand-ins recorded a call matching PATTERN.
expect_call() {
	if grep -q -E "$2" "$1"; then ok "  ... $3"; else bad "$3: no call matching '$2' in $1"; fi
}

if fresh_machine "$scratch/fresh" yes; then
	ok "provisioning a fresh machine (no out/, no bindgen, no packages)"
else
	bad "provisioning a fresh machine"
	tail -n 5 "$scratch/fresh/log"
fi
calls="$scratch/fresh/calls"
expect_call "$calls" '^apt-get update' "refreshes the package lists first"
expect_call "$calls" '^apt-get install .*shellcheck.* clang-22 lld-22 llvm-22 libclang-22-dev' "installs the packages and clang-22, rustc's LLVM"
expect_call "$calls" '^rustup component add rust-src' "adds rust-src"
expect_call "$calls" '^cargo install --locked bindgen-cli --version 0\.72\.1' "builds bindgen 0.72.1"
if [ -f "$scratch/fresh/out/bindgen-install.log" ]; then ok "  ... creating out/ for its log"; else bad "no out/bindgen-install.log"; fi

fresh_machine "$scratch/old-archive" no || bad "provisioning with an archive without clang-22"
if grep -q "WARNING: clang-22 .* falling back to clang-19; CONFIG_RUST_INLINE_HELPERS will be off" "$scratch/old-archive/log"; then
	ok "an archive without rustc's clang: falls back to clang-19 with a warning"
else
	bad "no fallback warning"
	tail -n 5 "$scratch/old-archive/log"
fi
expect_call "$scratch/old-archive/calls" '^apt-get install .* clang-19 lld-19 llvm-19 libclang-19-dev' "installs clang-19"

# make check on a fresh machine installs shellcheck instead of skipping it.
rm -f "$scratch/fresh/bin/shellcheck" "$calls"
if env HOME="$scratch/fresh/home" CARGO_HOME="$scratch/fresh/home/.cargo" PATH="$scratch/fresh/bin:/usr/bin:/bin:/usr/sbin:/sbin" \
	"$lab/check.sh" >"$scratch/out" 2>&1 && grep -q "ok   shellcheck" "$scratch/out"; then
	ok "make check on a fresh machine runs shellcheck"
else
	bad "make check on a fresh machine"
	tail -n 5 "$scratch/out"
fi
expect_call "$calls" '^apt-get install .*shellcheck' "after installing it"

expect_error "KDIR that is not a kernel tree" "not a Linux kernel tree" \
	env WORK="$scratch/w1" KDIR=/usr/share "$lab/prepare-tree.sh"
if [ ! -e "$scratch/w1/linux" ]; then ok "  ... and no workspace was written"; else bad "workspace written for a bad KDIR"; fi

# Kernel variant settings are checked before anything is written.
expect_error "DEBUG_RSEQ=1 on x86_64" "DEBUG_RSEQ=1 needs ARCH=arm64" \
	env WORK="$scratch/w0" LAB_ARCH=x86_64 DEBUG_RSEQ=1 "$lab/configure.sh"
expect_error "DEBUG=2" "DEBUG=2 is not a setting" \
	env WORK="$scratch/w0" DEBUG=2 "$lab/configure.sh"
if [ ! -e "$scratch/w0" ]; then ok "  ... and no workspace was written"; else bad "workspace written for a bad setting"; fi

fake_kernel "$scratch/old" 2
expect_error "KDIR older than 7.3" "needs 7.3 or later" \
	env WORK="$scratch/w2" KDIR="$scratch/old" "$lab/prepare-tree.sh"

fake_kernel "$scratch/dirty" 3
echo change >>"$scratch/dirty/kernel/rseq.c"
before=$(git -C "$scratch/dirty" status --porcelain)
expect_error "KDIR with uncommitted changes" "uncommitted changes" \
	env WORK="$scratch/w3" KDIR="$scratch/dirty" "$lab/prepare-tree.sh"
if [ "$(git -C "$scratch/dirty" status --porcelain)" = "$before" ]; then
	ok "  ... and KDIR was left as it was"
else
	bad "KDIR changed"
fi

fake_kernel "$scratch/clean" 3
if env WORK="$scratch/w4" KDIR="$scratch/clean" "$lab/prepare-tree.sh" >"$scratch/out" 2>&1 &&
	[ "$(git -C "$scratch/w4/linux" rev-parse rseq-lab-base)" = "$(git -C "$scratch/clean" rev-parse HEAD)" ] &&
	[ -z "$(git -C "$scratch/clean" status --porcelain)" ] &&
	[ -z "$(git -C "$scratch/clean" worktree list | sed 1d)" ]; then
	ok "clean KDIR is cloned at its HEAD and left untouched"
else
	bad "clean KDIR"
	tail -n 5 "$scratch/out"
fi

expect_error "a package version that cannot be fetched" "not in trixie-backports" \
	env LAB_CACHE="$scratch/cache" BASE_VERSION=7.3.0-0~nonexistent "$lab/fetch-base.sh"

# A diff that does not apply: the tree must stay at its current commit.
mkdir -p "$scratch/series/0001-bad"
printf 'rseq: a broken patch\n\nIt does not apply.\n' >"$scratch/series/0001-bad/message"
cat >"$scratch/series/0001-bad/01-bad.diff" <<'DIFF'
diff --git a/kernel/rseq.c b/kernel/rseq.c
--- a/kernel/rseq.c
+++ b/kernel/rseq.c
@@ -1,3 +1,3 @@
-this line is not in kernel/rseq.c
+nor is this one
 neither is this
 or this
DIFF
head_before=$(git -C "$TREE" rev-parse HEAD)
expect_error "a diff that does not apply" "01-bad.diff does not apply" \
	env SERIES_DIR="$scratch/series" "$lab/apply-series.sh"
if grep -q 'kernel/rseq.c' "$scratch/out"; then ok "  ... naming the file"; else bad "the error does not name the file"; fi
if [ "$(git -C "$TREE" rev-parse HEAD)" = "$head_before" ] &&
	[ -z "$(git -C "$TREE" status --porcelain --untracked-files=no)" ]; then
	ok "  ... and the tree was left as it was"
else
	bad "the tree changed"
fi

# The debug kernels' reports (DEBUG=1) fail a run: guest.py's verdict on
# synthetic consoles, one report each in the kernel log after the tests,
# and a clean debug boot log that must pass. Report lines as 7.3 prints
# them (KASAN, lockdep, UBSAN, DEBUG_ATOMIC_SLEEP, DEBUG_PREEMPT,
# DEBUG_LIST, a Rust panic from an overflow check or debug assertion).
if python3 - "$lab/guest.py" >"$scratch/out" 2>&1 <<'PY'; then
import argparse, importlib.util as u, sys
s = u.spec_from_file_location("guest", sys.argv[1]); g = u.module_from_spec(s); s.loader.exec_module(g)
reports = {
    "KASAN": "BUG: KASAN: slab-use-after-free in rseq_handle_slowpath+0x2a/0x1c0",
    "lockdep circular": "WARNING: possible circular locking dependency detected",
    "lockdep recursive": "WARNING: possible recursive locking detected",
    "lockdep state": "WARNING: inconsistent lock state",
    "lockdep held at exit": "BUG: lock held when returning to user space!",
    "RCU": "WARNING: suspicious RCU usage",
    "UBSAN bounds": "UBSAN: array-index-out-of-bounds in kernel/rseq.c:412:9",
    "UBSAN shift": "UBSAN: shift-out-of-bounds in kernel/rseq.c:97:21",
    "atomic sleep": "BUG: sleeping function called from invalid context at include/linux/uaccess.h:162",
    "DEBUG_PREEMPT": "BUG: using smp_processor_id() in preemptible [00000000] code: abi_soak/71",
    "DEBUG_LIST add": "list_add corruption. prev->next should be next (ffff888003c0e0a8), but was 0000000000000000. (prev=ffff888003c0e0a8).",
    "DEBUG_LIST del": "list_del corruption, ffff888004a1b2c0->next is LIST_POISON1 (dead000000000100)",
    "Rust overflow": "rust_kernel: panicked at kernel/rseq/cs.rs:88:17:",
    "Rust debug assertion": "rust_kernel: panicked at kernel/rseq/ids.rs:40:9: assertion failed: cpu < nr_cpu_ids",
}
clean = [
    "Lock dependency validator: Copyright (c) 2006 Red Hat, Inc., Ingo Molnar",
    "... MAX_LOCKDEP_SUBCLASSES:  8",
    "KernelAddressSanitizer initialized (generic)",
    "rseq: debug mode enabled",
]
def console(kernel_log, lockdep="debug_locks:                             1"):
    return (["RSEQ-LAB: guest up: kernel 7.3.4, nproc 1, cmdline: x", "RSEQ-LAB: BEGIN TESTS", "1..1",
             "ok 1 selftests: rseq: basic_test", "RSEQ-LAB: END TESTS rc=0",
             "RSEQ-LAB: lockdep " + lockdep, "RSEQ-LAB: BEGIN DMESG"]
            + [f"[    1.000000] {l}" for l in clean + kernel_log] + ["RSEQ-LAB: END DMESG"])
def judge(lines):
    return g.run_problems(argparse.Namespace(timeout=1), lines, "the tests", "TESTS", 0, 0)
failed = 0
for name, line in reports.items():
    bad = judge(console([line]))[1]
    print(f"{'ok  ' if bad else 'MISS'} {name}: {line}")
    failed += not bad
problems, bad = judge(console([]))
print(f"{'ok  ' if not problems else 'FALSE'} clean debug boot log: {problems or 'no problem'}")
failed += bool(problems)
problems = [p for p in judge(console([], "debug_locks:                             0"))[0] if "lockdep" in p]
print(f"{'ok  ' if problems else 'MISS'} lockdep turned off: {problems}")
failed += not problems
failed += bool(g.environment_problems(console([]), 1))
sys.exit(1 if failed else 0)
PY
	ok "debug kernel reports fail a run: $(grep -c '^ok ' "$scratch/out") synthetic consoles judged right (KASAN, lockdep, UBSAN, atomic sleep, DEBUG_PREEMPT, DEBUG_LIST, Rust panics; a clean debug log; lockdep off)"
else
	bad "debug kernel reports"
	grep -v '^ok ' "$scratch/out" | sed 's/^/         /'
fi

# A run in two boots (guest.py --parts main keys) is judged as one: the
# results of both, and a crash in the second boot is that run's failure,
# named after the boot.
if python3 - "$lab/guest.py" "$TREE" >"$scratch/out" 2>&1 <<'PY'; then
import argparse, importlib.util as u, sys
s = u.spec_from_file_location("guest", sys.argv[1]); g = u.module_from_spec(s); s.loader.exec_module(g)
args = argparse.Namespace(timeout=1, tree=sys.argv[2], smp=1, expect_fail=[], label="parts")
def boot(part, test, ended):
    lines = [f"RSEQ-LAB: boot {part}", "RSEQ-LAB: guest up: kernel 7.3.4, nproc 1, cmdline: x",
             "RSEQ-LAB: BEGIN TESTS", "1..1", f"ok 1 selftests: rseq: {test}"]
    if ended:
        lines += ["RSEQ-LAB: END TESTS rc=0", "RSEQ-LAB: BEGIN DMESG", "RSEQ-LAB: END DMESG"]
    else:
        lines += ["[    9.000000] Oops: int3: 0000 [#1] SMP"]
    return lines
boots = [boot("main", "basic_test", True), boot("keys", "run_abi_trace_test.sh", False)]
problems = [p for b in boots for p in g.run_problems(args, b, "the tests", "TESTS", 0, 0)[0]]
verdict, more, ok, summary = g.tests_main(args, boots, 1)
names = [t["name"] for t in verdict["tests"]]
print(names, problems, more, summary)
want = ["basic_test", "run_abi_trace_test.sh"]
sys.exit(0 if names == want and not more and ok and summary.startswith("2 passed")
         and any(p.startswith("keys boot: guest stopped") for p in problems)
         and not any(p.startswith("main boot:") for p in problems) else 1)
PY
	ok "a run in two boots: both boots' results in one verdict, a crash of the second boot named after it"
else
	bad "a run in two boots (guest.py --parts)"
	sed 's/^/         /' "$scratch/out"
fi

# compare.py: a test that the C run leaves out on purpose (make test's
# notrun:c=TEST, the long upstream tests) is "-" there, with its nested
# cases; without that argument the same results are a MISSING failure.
printf '%s\n' '{"label": "c", "seconds": 1, "problems": [], "subtests": [],' \
	' "tests": [{"name": "basic_test", "status": "PASS"}]}' >"$scratch/results-c.json"
printf '%s\n' '{"label": "rust", "seconds": 1, "problems": [],' \
	' "subtests": [{"name": "run_param_test.sh/case", "status": "PASS"}],' \
	' "tests": [{"name": "basic_test", "status": "PASS"}, {"name": "run_param_test.sh", "status": "PASS"}]}' \
	>"$scratch/results-rust.json"
cmp_rc=0 miss_rc=0
python3 "$lab/compare.py" "$scratch/results-c.json" "$scratch/results-rust.json" \
	notrun:c=run_param_test.sh >"$scratch/out" 2>&1 || cmp_rc=$?
python3 "$lab/compare.py" "$scratch/results-c.json" "$scratch/results-rust.json" \
	>"$scratch/out2" 2>&1 || miss_rc=$?
if [ "$cmp_rc" -eq 0 ] && grep -q "total: 4 passed, 0 failed" "$scratch/out" &&
	grep -q "c leaves out: run_param_test.sh" "$scratch/out" &&
	[ "$miss_rc" -ne 0 ] && grep -q "run_param_test.sh/case: c MISSING, rust PASS" "$scratch/out2"; then
	ok "compare.py: a test the C run leaves out is '-' there, without notrun: it is MISSING"
else
	bad "compare.py notrun: (exit $cmp_rc and $miss_rc)"
	sed 's/^/         /' "$scratch/out" "$scratch/out2" | tail -n 20
fi

# KUnit's KTAP in the kernel log with another kernel message right after
# each "KTAP version" header (a device probe printing meanwhile, as boot
# timing allows): every case must still be read, without parse errors.
if python3 - "$lab/guest.py" "$TREE" >"$scratch/out" 2>&1 <<'PY'; then
import importlib.util as u, sys
s = u.spec_from_file_location("guest", sys.argv[1]); g = u.module_from_spec(s); s.loader.exec_module(g)
log = ["KTAP version 1", "1..2"]
for n, suite in enumerate(["rust_a", "rust_b"], 1):
    log += ["    KTAP version 1", "    # Subtest: " + suite, "    1..2",
            "    ok 1 first", "    ok 2 second", f"ok {n} {suite}"]
bad = 0
for i, line in enumerate(log):
    if "KTAP version" not in line:
        continue
    stray = log[:i + 1] + ["input: ImExPS/2 Generic Explorer Mouse as /devices/platform/i8042/serio1/input/input2"] + log[i + 1:]
    suites, cases, problems = g.kunit_results([f"[    1.{k:06d}] {l}" for k, l in enumerate(stray)], sys.argv[2])
    got = sorted((t["name"], t["status"]) for t in suites + cases)
    want = sorted([(f"kunit:{s}", "PASS") for s in ("rust_a", "rust_b")]
                  + [(f"kunit:{s}/{c}", "PASS") for s in ("rust_a", "rust_b") for c in ("first", "second")])
    print(f"{'ok  ' if got == want and not problems else 'BAD '} stray line after line {i + 1}: {got} {problems}")
    bad += got != want or bool(problems)
sys.exit(1 if bad else 0)
PY
	ok "KUnit results: a kernel message after a KTAP header loses no case ($(grep -c '^ok ' "$scratch/out") placements)"
else
	bad "KUnit results with a kernel message inside the KTAP"
	grep -v '^ok ' "$scratch/out" | sed 's/^/         /'
fi

# Expected failures of a boot with the debug key on (run.sh's
# DEBUG_KEY_XFAIL through guest.py --expect-fail): the failing test and
# its nested case are XFAIL and the run passes; if they pass, the run
# fails (XPASS).
if python3 - "$lab/guest.py" >"$scratch/out" 2>&1 <<'PY'; then
import argparse, importlib.util as u, sys
s = u.spec_from_file_location("guest", sys.argv[1]); g = u.module_from_spec(s); s.loader.exec_module(g)
expect = ["run_legacy_check.sh=killed in debug mode", "run_legacy_check.sh/legacy.legacy_test=killed in debug mode"]
def console(result):
    return ["RSEQ-LAB: BEGIN TESTS", "1..2", f"# {result} 1 legacy.legacy_test",
            f"{result} 1 selftests: rseq: run_legacy_check.sh", "# ok 1 global.case",
            "ok 2 selftests: rseq: abi_cs_test", "RSEQ-LAB: END TESTS rc=0"]
def run(result):
    a = argparse.Namespace(tree="/nonexistent", smp=1, label="t", expect_fail=expect)
    return g.tests_main(a, [console(result)], 1)
failed = 0
for result, want_ok, want in (("not ok", True, "XFAIL"), ("ok", False, "XPASS")):
    verdict, problems, ok, summary = run(result)
    got = sorted({t["status"] for t in verdict["tests"] + verdict["subtests"]} - {"PASS"})
    good = ok == want_ok and got == [want]
    print(f"{'ok  ' if good else 'BAD '} legacy_check {result}: {got}, run {'passes' if ok else 'fails'} ({summary})")
    failed += not good
sys.exit(1 if failed else 0)
PY
	ok "expected failures (--expect-fail): a failing test is XFAIL and passes the run, a passing one is XPASS and fails it"
else
	bad "expected failures (--expect-fail)"
	sed 's/^/         /' "$scratch/out"
fi

# The branch round trip on a scratch repository and kernel tree: the series
# applied as commits, a commit edited on the branch, written back: the
# repository's git diff is exactly that edit.
rt="$scratch/roundtrip"
fake_kernel "$rt/kdir" 3
mkdir -p "$rt/repo/series/0001-new" "$rt/repo/series/0002-change" "$rt/repo/kernel"
printf 'one\ntwo\nthree\n' >"$rt/repo/kernel/new.c"
printf 'rseq: Add a file\n\nIt is new.\n' >"$rt/repo/series/0001-new/message"
echo kernel/new.c >"$rt/repo/series/0001-new/files"
printf 'rseq: Change a file\n\nIt exists.\n' >"$rt/repo/series/0002-change/message"
git -C "$rt/kdir" checkout -q -b change
echo '/* more */' >>"$rt/kdir/kernel/rseq.c"
git -C "$rt/kdir" diff >"$rt/repo/series/0002-change/01-rseq.diff"
git -C "$rt/kdir" checkout -q -f -
git -C "$rt/repo" init -q
git -C "$rt/repo" add -A
git -C "$rt/repo" -c user.name=t -c user.email=t@t commit -q -m series
rt_env=(env WORK="$rt/w" KDIR="$rt/kdir" SERIES_ROOT="$rt/repo" LAB_TREE= LAB_BUILD=)
rt_tree="$rt/w/linux"
if "${rt_env[@]}" "$lab/prepare-tree.sh" >"$scratch/out" 2>&1 && "${rt_env[@]}" "$lab/apply-series.sh" >>"$scratch/out" 2>&1 &&
	"${rt_env[@]}" "$lab/series-from-branch.sh" >>"$scratch/out" 2>&1 && [ -z "$(git -C "$rt/repo" status --porcelain)" ]; then
	ok "round trip without an edit: series/ unchanged"
else
	bad "round trip without an edit"
	tail -n 5 "$scratch/out"
fi
# The edit: the new file's second line in the first commit, the changed
# line in the second, and the second commit's body.
(
	cd "$rt_tree"
	export GIT_AUTHOR_NAME=dev GIT_AUTHOR_EMAIL=dev@example.org GIT_COMMITTER_NAME=dev GIT_COMMITTER_EMAIL=dev@example.org
	GIT_SEQUENCE_EDITOR="sed -i 's/^pick/edit/'" git rebase -q -i rseq-lab-base
	sed -i 's/^two$/TWO/' kernel/new.c
	git commit -q -a --amend --no-edit
	git rebase --continue
	sed -i 's|^/\* more \*/$|/* more, edited */|' kernel/rseq.c
	git commit -q -a --amend -m "rseq: Change a file" -m "It exists, edited."
	git rebase --continue
) >"$scratch/out" 2>&1 || { bad "editing the scratch branch"; tail -n 5 "$scratch/out"; }
expect_error "make apply over a branch edit that is not written back" "has changes that are not in series/" \
	"${rt_env[@]}" "$lab/apply-series.sh"
"${rt_env[@]}" "$lab/series-from-branch.sh" >"$scratch/out" 2>&1 || { bad "series-from-branch after the edit"; tail -n 5 "$scratch/out"; }
got=$(git -C "$rt/repo" diff -U0 | grep -E '^[-+]' | grep -v -E '^(\+\+\+|---) (a/|b/|/dev/null)|^[-+]index ' || true)
want=$(printf '%s\n' '-two' '+TWO' '-+/* more */' '++/* more, edited */' '-It exists.' '+It exists, edited.')
if [ "$got" = "$want" ] && [ "$(git -C "$rt/repo" diff --name-only | tr '\n' ' ')" = "kernel/new.c series/0002-change/01-rseq.diff series/0002-change/message " ]; then
	ok "round trip with an edit: git diff of the repository is exactly the edit"
else
	bad "round trip with an edit: git diff of the repository is not the edit"
	git -C "$rt/repo" diff | sed 's/^/         /' | head -n 30
fi
if "${rt_env[@]}" "$lab/apply-series.sh" >"$scratch/out" 2>&1 && grep -q 'left as it is\|series unchanged' "$scratch/out"; then
	ok "  ... and make apply then leaves the branch as it is"
else
	bad "make apply after the write-back"
	tail -n 5 "$scratch/out"
fi

# Guests that hang or crash, with the C build's kernel. The one that
# hangs does so in its second boot ("keys"), which gets a quarter of
# --timeout: 60 s for the run, 15 s for that boot.
kernel="$WORK/build-c/arch/x86/boot/bzImage"
if [ -f "$kernel" ]; then
	for kind in hangs crashes; do
		root="$scratch/guest-$kind"
		mkdir -p "$root/bin"
		cp /bin/busybox "$root/bin/busybox"
		parts=main
		case "$kind" in
		hangs)
			parts="main keys"
			# shellcheck disable=SC2016 # expanded by the guest's init
			printf '%s\n' '#!/bin/busybox sh' 'echo RSEQ-LAB: BEGIN TESTS' \
				'[ "$LAB_PART" = keys ] && /bin/busybox sleep 100000' \
				'echo RSEQ-LAB: END TESTS rc=0' '/bin/busybox reboot -f'
			;;
		crashes) printf '#!/bin/busybox sh\necho RSEQ-LAB: BEGIN TESTS\nexit 1\n' ;;
		esac >"$root/init"
		chmod +x "$root/init"
		pack_initramfs "$root" "$scratch/$kind.cpio.gz"
		rc=0
		python3 "$lab/guest.py" --label "$kind" --kernel "$kernel" --initrd "$scratch/$kind.cpio.gz" \
			--log "$scratch/$kind.log" --json "$scratch/$kind.json" --timeout 60 --parts "$parts" \
			>"$scratch/out" 2>&1 || rc=$?
		case "$kind" in
		hangs) want="keys boot: guest did not finish within 15 s" ;;
		crashes) want="stopped before the tests finished" ;;
		esac
		if [ "$rc" -ne 0 ] && grep -q "$want" "$scratch/out"; then
			ok "a guest that $kind: $want"
		else
			bad "a guest that $kind (exit $rc)"
			tail -n 5 "$scratch/out"
		fi
	done
else
	bad "no C build at $kernel to boot the hang/crash guests"
fi

echo "lab selftest: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
