#!/usr/bin/env bash
# Build .venv-colab, an environment like Google Colab's runtime (colab/README.md), and check the chapters' set-up
# cell against it:
#   1. a fresh venv: torch==2.13.0 (CPU) first, then Colab's versions from colab/runtime-constraints.txt (pip -r);
#   2. `pip freeze` (before), then the set-up cell's own `%pip install ...` line, read from the first cell tagged
#      colab-setup of a chapter, with its git+https URL swapped for a copy of this working tree;
#   3. `pip freeze` (after): fails if that install changed the version of any package that was there before
#      (scripts/check_colab_install.py names each one, old -> new, and what to change);
#   4. the test tools at requirements.txt's versions (pytest, pytest-timeout, nbmake, playwright), installed under
#      the constraints (pip -c), so that they cannot replace Colab's versions either.
# Idempotent: step 1 reruns (from scratch) only when the constraints, pyproject.toml, this script or the Python
# change, or after a failed run; steps 2-4 run every time, since the chapters import the installed (non-editable)
# course, which must be the current code. Never put the repository on PYTHONPATH when using this environment.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
venv=.venv-colab
vpy=$venv/bin/python
constraints=colab/runtime-constraints.txt
notebook=${COLAB_SETUP_NOTEBOOK:-chapters/part1_starter_lstm/01_meet_imdb.ipynb}
check="$PYTHON scripts/check_colab_install.py"
t0=$(date +%s)
say() { echo "[colab-env $(( $(date +%s) - t0 )) s] $*"; }
# pip, with one kind of noise removed: the warnings about this machine's missing local index folders (pip.conf).
# Everything else pip says, errors first, still shows, and its exit status is kept.
vpip() {
  "$vpy" -m pip "$@" 2> >(grep -v "^WARNING: Location 'file:///.*' is ignored: it is neither a file nor a directory\.$" >&2)
}

# 1. The base: what Colab has before the set-up cell runs. The stamp is written only when every step passed.
stamp=$venv/.colab-env.sha256
rev=${COLAB_SOURCE_REV:-}  # unset: the working tree; a git revision (HEAD): its committed state, as git+file:// would
project=$(if [ -n "$rev" ]; then git show "$rev:pyproject.toml"; else cat pyproject.toml; fi)
want=$( { cat "$constraints" scripts/colab_env.sh; echo "$project"; "$PYTHON" --version; } | sha256sum | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  say "building $venv from scratch: $("$PYTHON" --version), torch 2.13.0 (CPU), then Colab's versions ($constraints)"
  rm -rf "$venv"
  "$PYTHON" -m venv "$venv"
  # Python 3.11's venv brings setuptools 65, too old to read pyproject.toml's license field; Colab's is recent.
  vpip install -q --upgrade pip setuptools
  # torch first and pinned, so that nothing pulls a multi-GB CUDA build of it.
  vpip install -q "$(grep -E '^torch==' "$constraints")"
  vpip install -q -r "$constraints"
  "$vpy" -m pip freeze --all > "$venv/colab-base-freeze.txt"
  say "base ready: $(grep -c . "$venv/colab-base-freeze.txt") packages ($venv/colab-base-freeze.txt)"
fi
rm -f "$stamp"  # until this run has passed: a failed or interrupted run makes the next one start from scratch

# 2. The set-up cell's own install. Colab clones the repository from GitHub (git+https://...): here the same package
# and extras come from a copy of this working tree made the way a clone would be (tracked and untracked files that
# git does not ignore, without a stray build/ or dist/), so that uncommitted changes to pyproject.toml count, and
# pip builds in that copy, never in the checkout. Its path is fixed, so a reinstall leaves `pip freeze` unchanged.
# COLAB_SOURCE_REV=HEAD installs the committed state instead (what git+file:// would, and what CI's clone has).
src=$PWD/$venv/course-src
rm -rf "$src" && mkdir -p "$src"
if [ -n "$rev" ]; then
  git archive "$rev" | tar -xf - -C "$src"
else
  git ls-files -z --cached --others --exclude-standard \
    | while IFS= read -r -d '' f; do case $f in build/*|dist/*) ;; *) [ -e "$f" ] && printf '%s\0' "$f";; esac; done \
    | tar --null -T - -cf - | tar -xf - -C "$src"
fi
# Start from no course at all, as a fresh Colab runtime does: the previous run's install goes, with what the chapters
# left inside it (the page that Part 3 builds with npm in serve/frontend, which would otherwise stay stale).
if "$vpy" -m pip show -q sentiment-transfer-course > /dev/null 2>&1; then
  "$vpy" -m pip uninstall -y -q sentiment-transfer-course
fi
site=$("$vpy" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
for package in course serve starter_lstm roberta_transfer deploy; do rm -rf "${site:?}/$package"; done
args_text=$($check setup-args "$notebook" --source "$src")
mapfile -t args <<< "$args_text"
"$vpy" -m pip freeze --all > "$venv/colab-before.txt"
say "the set-up cell's install ($notebook): %pip install ${args[*]}"
vpip install "${args[@]}" \
  || { echo "[colab-env] FAILED: the set-up cell's own install failed (pip's error above)" >&2; exit 1; }
"$vpy" -m pip freeze --all > "$venv/colab-after.txt"

# 3. It may add packages, never change one.
$check compare "$venv/colab-before.txt" "$venv/colab-after.txt" --pinned "$constraints" \
  --what "the set-up cell's install" || exit 1

# 4. The test tools, at requirements.txt's versions, under Colab's versions.
tools=$(grep -E '^(pytest|pytest-timeout|nbmake|playwright)==' requirements.txt)
say "the test tools, under $constraints: $(echo $tools)"
# shellcheck disable=SC2086
vpip install -q -c "$constraints" $tools \
  || { echo "[colab-env] FAILED: the test tools cannot be installed without changing Colab's versions (pip's" \
            "resolution error above names the conflict)" >&2; exit 1; }
"$vpy" -m pip freeze --all > "$venv/colab-tools.txt"
$check compare "$venv/colab-after.txt" "$venv/colab-tools.txt" --only "$constraints" --what "the test tools' install" \
  || exit 1

echo "$want" > "$stamp"
say "$venv ready: $("$vpy" -c 'import sys, torch, transformers, datasets, ipywidgets
print("Python", sys.version.split()[0], "torch", torch.__version__, "transformers", transformers.__version__,
      "datasets", datasets.__version__, "ipywidgets", ipywidgets.__version__)')"
