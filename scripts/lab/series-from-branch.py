#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The way back from the lab's kernel branch to the repository's series.

  series-from-branch.py write --tree T --base B --branch BR --root R --series S
      writes S/NNNN-slug/{message,files,*.diff} and the new files at their
      kernel paths under R from the commits B..BR of the git tree T:
      message = the commit message without its Signed-off-by lines;
      files = the files the commit adds that are not in B (their content
      goes to R/path); *.diff = the changes to files of B. A diff file that
      still gives the commit's content is left byte for byte as it is; one
      that does not is regenerated for the files it covered, changes to
      files no diff covered go to a new diff. Commits are matched to
      directories by subject, then by position; a commit that matches none
      gets a new directory, a directory that matches no commit is removed.
  series-from-branch.py fingerprint --tree T --base B REV
      prints one line per commit of B..REV: its tree and the hash of its
      message without Signed-off-by lines. Two branches that print the same
      describe the same series (apply-series.sh uses it to tell whether the
      branch has changes that are not in the repository).

Errors print "ERROR: ..." and "next: ..." and exit 1, before anything is
written where they can be found first.
"""

import argparse
import hashlib
import os
import re
import shutil
import subprocess
import sys


class Refusal(Exception):
    def __init__(self, what, hint):
        super().__init__(what)
        self.what, self.hint = what, hint


def git(tree, *args, binary=False):
    out = subprocess.run(["git", "-C", tree, *args], check=True, stdout=subprocess.PIPE).stdout
    return out if binary else out.decode()


def message_of(tree, rev):
    """The commit message as series/*/message holds it: without the
    Signed-off-by lines (apply-series.sh adds the user's), with one final
    newline."""
    lines = git(tree, "log", "-1", "--format=%B", rev).split("\n")
    lines = [l for l in lines if not l.startswith("Signed-off-by:")]
    return "\n".join(lines).rstrip() + "\n"


def commits_of(tree, base, rev):
    if git(tree, "rev-list", "--merges", f"{base}..{rev}").strip():
        raise Refusal(f"{base}..{rev} has merge commits", "make the branch linear (git rebase)")
    return git(tree, "rev-list", "--reverse", f"{base}..{rev}").split()


def fingerprint(tree, base, rev):
    for c in commits_of(tree, base, rev):
        digest = hashlib.sha1(message_of(tree, c).encode()).hexdigest()
        print(git(tree, "rev-parse", f"{c}^{{tree}}").strip(), digest)


def subject(message):
    return message.split("\n", 1)[0].strip()


def slug(subj):
    s = re.sub(r"[^a-z0-9]+", "-", subj.lower()).strip("-")
    return s[:50].rstrip("-") or "patch"


def covered_paths(diff_text):
    return re.findall(r"^diff --git a/(\S+) b/\S+$", diff_text, re.M)


def abbrev_of(diff_text):
    m = re.search(r"^index ([0-9a-f]+)\.\.", diff_text, re.M)
    return len(m.group(1)) if m else 12


def match_dirs(tree, commits, dirs, series):
    """[(commit, dir or None)]: by subject, then by position."""
    subj_of_dir = {}
    for d in dirs:
        with open(os.path.join(series, d, "message")) as f:
            subj_of_dir[d] = subject(f.read())
    taken = set()
    match = [None] * len(commits)
    for i, c in enumerate(commits):
        s = subject(message_of(tree, c))
        cands = [d for d in dirs if subj_of_dir[d] == s and d not in taken]
        if len(cands) == 1:
            match[i] = cands[0]
            taken.add(cands[0])
    for i in range(len(commits)):
        if match[i] is None and i < len(dirs) and dirs[i] not in taken and len(dirs) == len(commits):
            match[i] = dirs[i]
            taken.add(dirs[i])
    got = [d for d in match if d]
    if got != sorted(got):
        raise Refusal("the branch has the patches in another order than series/",
                      "rename the series/ directories (their numbers) to the branch's order, then run again")
    # New directories: a number between the neighbours', slug of the subject.
    for i, c in enumerate(commits):
        if match[i]:
            continue
        lo = int(next((match[j][:4] for j in range(i - 1, -1, -1) if match[j]), "0"))
        hi = int(next((match[j][:4] for j in range(i + 1, len(commits)) if match[j]), "10000"))
        if hi - lo < 2:
            raise Refusal(f"no free directory number between {lo:04d} and {hi:04d} for '{subject(message_of(tree, c))}'",
                          "renumber the series/ directories to leave a gap, then run again")
        match[i] = f"{(lo + hi) // 2:04d}-{slug(subject(message_of(tree, c)))}"
    return match


def plan_patch(tree, commit, directory, base_paths, added_by):
    """What series/DIRECTORY must hold for COMMIT: (message, new files,
    {diff name: text or None to keep}, diffs to remove)."""
    parent = f"{commit}^"
    changes = git(tree, "diff-tree", "-r", "--no-renames", "--name-status", "-z", parent, commit).split("\0")
    changes = [(changes[i], changes[i + 1]) for i in range(0, len(changes) - 1, 2)]
    new_files, base_changes = [], []
    for status, path in changes:
        if path in base_paths:
            base_changes.append(path)
        elif status == "A":
            new_files.append(path)
        else:
            raise Refusal(f"'{subject(message_of(tree, commit))}' changes {path}, which patch "
                          f"'{subject(message_of(tree, added_by.get(path, commit)))}' adds: "
                          "series/ holds each new file once, in its final form",
                          f"fold the change into the commit that adds {path} (git rebase -i, fixup) and run again")
    for p in new_files:
        added_by[p] = commit
    # Existing diffs: keep those that still give the commit's content.
    diffs = {}
    remove = []
    covered = set()
    old = sorted(f for f in os.listdir(directory) if f.endswith(".diff")) if os.path.isdir(directory) else []
    env = dict(os.environ, GIT_INDEX_FILE=os.path.join(git(tree, "rev-parse", "--absolute-git-dir").strip(),
                                                       "rseq-lab-unbranch.index"))
    subprocess.run(["git", "-C", tree, "read-tree", parent], check=True, env=env)
    for name in old:
        path = os.path.join(directory, name)
        text = open(path).read()
        applies = subprocess.run(["git", "-C", tree, "apply", "--cached", path], env=env,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode == 0
        # Per file: the old section where it still gives the commit's
        # content, a regenerated one where not, none where the commit no
        # longer changes the file.
        prefix, *parts = re.split(r"^(?=diff --git )", text, flags=re.M)
        kept, changed = [], False
        for part in parts:
            p = covered_paths(part)[0]
            if p not in base_changes or p in covered:
                changed = True
                continue
            covered.add(p)
            staged = subprocess.run(["git", "-C", tree, "ls-files", "-s", "--", p], env=env, check=True,
                                    stdout=subprocess.PIPE, text=True).stdout.split()[1:2]
            if applies and staged == git(tree, "ls-tree", commit, "--", p).split()[2:3]:
                kept.append(part)
            else:
                kept.append(git(tree, "diff", f"--abbrev={abbrev_of(part)}", parent, commit, "--", p))
                changed = True
        if not kept:
            remove.append(name)
        else:
            diffs[name] = prefix + "".join(kept) if changed else None
        if not applies:
            # The index is off from here on: compare the rest from scratch.
            subprocess.run(["git", "-C", tree, "read-tree", parent], check=True, env=env)
    rest = [p for p in base_changes if p not in covered]
    if rest:
        n = 1 + max([int(m.group(1)) for m in (re.match(r"(\d+)-", d) for d in old) if m] or [0])
        name = f"{n:02d}-{slug(os.path.basename(rest[0]))}.diff"
        diffs[name] = git(tree, "diff", "--abbrev=9", parent, commit, "--", *rest)
    os.unlink(env["GIT_INDEX_FILE"])
    return message_of(tree, commit), new_files, diffs, remove


def write_if_changed(path, data, mode=None):
    if isinstance(data, str):
        data = data.encode()
    try:
        with open(path, "rb") as f:
            same = f.read() == data
    except FileNotFoundError:
        same = False
    if not same:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(data)
    if mode is not None:
        cur = os.stat(path).st_mode
        want = cur | 0o111 if mode == "100755" else cur & ~0o111
        if want != cur:
            os.chmod(path, want)
    return not same


def write(args):
    tree, root, series = args.tree, args.root, args.series
    commits = commits_of(tree, args.base, args.branch)
    if not commits:
        raise Refusal(f"{args.branch} has no commits on top of {args.base}", "commit your work on the branch first")
    dirs = sorted(d for d in os.listdir(series) if d[:1].isdigit() and os.path.isdir(os.path.join(series, d)))
    match = match_dirs(tree, commits, dirs, series)
    base_paths = set(git(tree, "ls-tree", "-r", "--name-only", "-z", args.base).split("\0"))
    added_by = {}
    plans = [plan_patch(tree, c, os.path.join(series, d), base_paths, added_by) for c, d in zip(commits, match)]

    # Nothing refused: write.
    changed = []
    old_files = set()
    for d in dirs:
        fp = os.path.join(series, d, "files")
        if os.path.exists(fp):
            old_files.update(l.strip() for l in open(fp) if l.strip() and not l.startswith("#"))
    for c, d, (message, new_files, diffs, remove) in zip(commits, match, plans):
        directory = os.path.join(series, d)
        if not os.path.isdir(directory):
            changed.append(f"new patch series/{d}")
        if write_if_changed(os.path.join(directory, "message"), message):
            changed.append(f"series/{d}/message")
        fp = os.path.join(directory, "files")
        lines = open(fp).read().splitlines() if os.path.exists(fp) else []
        kept = [l for l in lines if l.startswith("#") or not l.strip() or l.strip() in new_files]
        listed = {l.strip() for l in kept}
        text = "\n".join(kept + [p for p in new_files if p not in listed]) + "\n"
        if new_files or lines:
            if not new_files and not any(l.strip() and not l.startswith("#") for l in kept):
                os.unlink(fp)
                changed.append(f"series/{d}/files (removed)")
            elif write_if_changed(fp, text):
                changed.append(f"series/{d}/files")
        for p in new_files:
            mode = git(tree, "ls-tree", c, "--", p).split()[0]
            if write_if_changed(os.path.join(root, p), git(tree, "cat-file", "blob", f"{c}:{p}", binary=True), mode):
                changed.append(p)
        for name, text in diffs.items():
            if text is not None and write_if_changed(os.path.join(directory, name), text):
                changed.append(f"series/{d}/{name}")
        for name in remove:
            os.unlink(os.path.join(directory, name))
            changed.append(f"series/{d}/{name} (removed)")
    for d in dirs:
        if d not in match:
            shutil.rmtree(os.path.join(series, d))
            changed.append(f"series/{d} (removed)")
    still_added = set(added_by)
    for p in sorted(old_files - still_added):
        if os.path.exists(os.path.join(root, p)):
            os.unlink(os.path.join(root, p))
            changed.append(f"{p} (removed: no patch adds it any more)")
    for line in changed:
        print(f"  wrote {line}")
    print(f"series-from-branch: {len(commits)} patches, {len(changed)} changes written")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("mode", choices=["write", "fingerprint"])
    ap.add_argument("rev", nargs="?")
    ap.add_argument("--tree", required=True)
    ap.add_argument("--base", default="rseq-lab-base")
    ap.add_argument("--branch", default="rseq-lab")
    ap.add_argument("--root")
    ap.add_argument("--series")
    args = ap.parse_intermixed_args()
    try:
        if args.mode == "fingerprint":
            fingerprint(args.tree, args.base, args.rev or args.branch)
        else:
            write(args)
    except Refusal as e:
        print(f"ERROR: {e.what}\n         next: {e.hint}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
