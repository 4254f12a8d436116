#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# make branch: the series as commits on the branch rseq-lab of the lab's
# kernel tree (apply-series.sh put it there), and how to work on it.
set -eu
# shellcheck source=scripts/lab/lib.sh
. "$(dirname "$0")/lib.sh"

step "branch: rseq-lab in $TREE"
git -C "$TREE" log --oneline --reverse rseq-lab-base..rseq-lab | sed 's/^/  /'
cat <<HOWTO

Work on it the usual way, e.g.:
  cd $TREE
  git rebase -i rseq-lab-base             # edit, reword, fixup, reorder
  git range-diff rseq-lab-base $APPLIED_REF rseq-lab   # what you changed
  b4 prep -e rseq-lab-base                # enroll the branch for b4
Then write it back into the repository and check the two agree:
  make series-from-branch                 # (make unbranch) then: git diff
make apply/run refuse to overwrite a branch with changes not written back.
HOWTO
