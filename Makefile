# SPDX-License-Identifier: GPL-2.0
# The rseq lab: a Rust implementation of Linux's rseq (ABI v1/v2) as a
# patch series on Linux 7.3, built and tested under QEMU against the C
# implementation of the same tree. See README.md.
#
#   make run    [IMPL=c|rust] [ARCH=arm64] [FULL=1] [TESTS="basic_test ..."] [KDIR=/path/to/linux]
#               [DEBUG=1: the debug kernel (KASAN, lockdep, UBSAN, ...), two boots,
#                rseq_debug=0 and 1; DEBUG_KEYS=1: only the second]
#               [DEBUG_RSEQ=1 with ARCH=arm64: CONFIG_DEBUG_RSEQ, debug mode from boot]
#               [DOCTESTS=1: the kernel crate's doc examples run as KUnit at boot]
#   make test   everything CI checks: make check, then make run for every
#               build (IMPL=c and, once the series has it, IMPL=rust),
#               results side by side
#   make series the patch series (git format-patch --cover-letter) in out/series;
#               make results puts the numbers of out/ into its cover letter
#   make branch the series as commits on branch rseq-lab in out/linux;
#               make series-from-branch (unbranch) writes series/ back from it
#   make kunit  the rseq KUnit suites with the tree's kunit.py (its own kernel)
#   make test-full  make test with the C build's long upstream tests
#               (C_LONG=1), then make kunit
#   make bench  [RUNS=5] [IMPLS="c rust"] guest instructions per rseq operation
#               of every build, RUNS boots each, interleaved: out/bench.txt

SHELL := /bin/bash
LAB := scripts/lab

# Settings passed to the scripts through the environment.
IMPL ?= c
export IMPL ARCH DEBUG DEBUG_KEYS DEBUG_RSEQ DOCTESTS KDIR WORK LAB_CACHE FULL TESTS BASE_VERSION GUEST_TIMEOUT GUEST_APPEND SMP JOBS CONFIG_EXTRA

.PHONY: help run test check provision fetch tree apply config build guest series series-check results kunit test-full branch series-from-branch unbranch bench soak clean distclean

help:
	@sed -n '2,/^[^#]/{/^#/p}' Makefile | sed 's/^# \{0,1\}//'
	@echo "Stages: provision fetch tree apply config build guest; 'make clean' drops out/."

run:
	@$(LAB)/run.sh

test:
	@$(LAB)/test.sh

# make test plus what does not fit its time: the C build's long upstream
# tests (basic_percpu_ops_test, its mm_cid variant, run_param_test.sh;
# make test runs them on the Rust build) and kunit.py, which builds a third
# kernel (about 11 minutes from scratch on the 2-core machine).
test-full:
	@C_LONG=1 $(LAB)/test.sh
	@$(MAKE) --no-print-directory kunit

check:
	@$(LAB)/check.sh

provision:
	@$(LAB)/provision.sh

fetch:
	@$(LAB)/fetch-base.sh >/dev/null

tree:
	@$(LAB)/prepare-tree.sh

apply: tree
	@$(LAB)/apply-series.sh

config: apply
	@$(LAB)/configure.sh

build: config
	@$(LAB)/build.sh

guest: build
	@$(LAB)/mkinitramfs.sh

series: apply
	@$(LAB)/series.sh

# The cover letter's numbers (series/results/) from the last make test,
# make kunit and make bench in out/.
results:
	@python3 $(LAB)/cover-letter.py collect "$${WORK:-out}" series/results

# The round trip: work on the branch (git rebase -i, range-diff, b4 prep),
# then write series/ back from it; the check re-applies and compares.
branch: apply
	@$(LAB)/branch.sh

series-from-branch unbranch:
	@$(LAB)/series-from-branch.sh

# tools/testing/kunit/kunit.py run --kunitconfig=kernel/rseq on out/linux.
kunit: apply
	@$(LAB)/kunit.sh

# Every patch builds with CONFIG_RSEQ_RUST off and on (slow: not in CI).
series-check:
	@$(LAB)/series-check.sh

bench:
	@$(LAB)/bench.sh

# Differential soak of the existing builds (IMPL=c vs IMPL=rust), see
# scripts/lab/soak.sh: SOAK_OPS, SOAK_SEED, SOAK_CI=1 for the short size.
soak:
	@$(LAB)/soak.sh

clean:
	rm -rf out

# Also drop the download cache (the base kernel package).
distclean: clean
	rm -rf "$${LAB_CACHE:-$${XDG_CACHE_HOME:-$$HOME/.cache}/rseq-lab}"
