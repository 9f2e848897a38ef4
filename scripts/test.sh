#!/usr/bin/env bash
# Run every test on a fresh machine:
#   1. the unit tests of the packages (pytest tests/), in .venv (requirements.txt's pinned versions);
#   2. .venv-colab, an environment like Google Colab's runtime (colab/README.md), built by scripts/colab_env.sh
#      (in the background during step 1), which also checks that the chapters' set-up cell installs the course there
#      without replacing any package;
#   3. the DVC pipeline (dvc.yaml) in a temporary git copy, the ci profile at smaller sizes (tests/pipeline);
#   4. the unit tests again, in .venv-colab (Colab's versions of transformers, datasets, numpy, ...), in the
#      background during step 3;
#   5. every chapter executed top to bottom in a fresh kernel in the `ci` profile (nbmake), on a copy of the book,
#      in .venv-colab as on Colab: a stand-in google.colab imported at kernel start, the course imported from the
#      package the set-up cell installed (never from this checkout);
#   6. the book built (in .venv) from those executed chapters with `jupyter-book build -W`, then checked.
# Needs COURSE_MIRROR (the offline mirror) unless the Hugging Face Hub is reachable.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
if [ -n "${COURSE_MIRROR:-}" ]; then
  export COURSE_MIRROR=$(cd "$COURSE_MIRROR" && pwd)
fi
export COURSE_PROFILE=ci HF_HUB_OFFLINE=${HF_HUB_OFFLINE:-1}
scripts/install_system_deps.sh
scripts/setup_env.sh
PY=$root/.venv/bin/python
CPY=$root/.venv-colab/bin/python
system_path=$PATH
# The course's own environment: its packages from this checkout.
in_venv() { PYTHONPATH=$root PATH="$root/.venv/bin:$system_path" "$@"; }
t0=$(date +%s)
ts=$t0
took() { echo "-- $1 took $(( $(date +%s) - ts )) s"; ts=$(date +%s); }

echo "== 1/6 unit tests, in .venv (meanwhile step 2's environment is built in the background: pip and pytest each keep"
echo "   one core busy)"
colab_log=$(mktemp "${TMPDIR:-/tmp}/colab-env.XXXXXX")
scripts/colab_env.sh > "$colab_log" 2>&1 &
background=$!
trap 'kill "$background" 2> /dev/null || true' EXIT
in_venv "$PY" -m pytest tests -p no:cacheprovider
took "1/6"

# finish BACKGROUND_PID LOG WHAT: wait for a background step, show its log, stop here if it failed.
finish() {
  local status=0
  wait "$1" || status=$?
  cat "$2"
  rm -f "$2"
  [ "$status" -eq 0 ] || { echo "$3 failed (exit $status): its log is above"; exit 1; }
}

echo "== 2/6 the Colab-like environment .venv-colab, and the set-up cell's install checked in it (built during step 1)"
finish "$background" "$colab_log" "scripts/colab_env.sh"
took "2/6 (the wait for it)"

echo "== 3/6 the DVC pipeline (dvc.yaml), the ci profile at smaller sizes, in a temporary git copy: from an empty cache,"
echo "   again (nothing runs), with one parameter changed (only the stages that read it run), its plots, and its"
echo "   checkpoints pushed to a folder remote and pulled back into an empty cache. Meanwhile step 4 runs in the"
echo "   background (the pipeline keeps about one core and a half busy, the unit tests one): its log follows this step"
# With the stand-in google.colab importable (not imported); `python -m pytest` puts this checkout first on the path,
# so step 4 tests the checkout's packages against Colab's library versions.
unit_log=$(mktemp "${TMPDIR:-/tmp}/colab-unit.XXXXXX")
PYTHONPATH=$root/scripts/colab_stub PATH="$root/.venv-colab/bin:$system_path" "$CPY" -m pytest tests -p no:cacheprovider \
  > "$unit_log" 2>&1 &
background=$!
in_venv "$PY" -m pytest tests/pipeline -m pipeline -p no:cacheprovider -s
took "3/6"

echo "== 4/6 unit tests, in .venv-colab (run during step 3)"
finish "$background" "$unit_log" "the unit tests in .venv-colab"
took "4/6 (the wait for them)"

echo "== 5/6 chapters, executed in the ci profile, in .venv-colab as on Colab"
work=$(mktemp -d "${TMPDIR:-/tmp}/course-book.XXXXXX")
trap 'rm -rf "$work"' EXIT
cp -r _config.yml _toc.yml book chapters "$work/"
# Colab's kernel imports google.colab when it starts: here an IPython startup file imports the stand-in.
mkdir -p "$work/ipython/profile_default/startup"
echo "import google.colab  # the course's stand-in (scripts/colab_stub), imported at start as Colab's kernel does" \
  > "$work/ipython/profile_default/startup/00-colab.py"
# Not the repository on PYTHONPATH: the chapters import the package the set-up cell installed. nbmake starts the
# notebooks' `python3` kernel with the Python that runs pytest (.venv-colab's). Checkpoints go to one folder that all
# chapters share, as they share /content (or a mounted Drive) on Colab.
in_colab() { PYTHONPATH=$root/scripts/colab_stub IPYTHONDIR=$work/ipython PATH="$root/.venv-colab/bin:$system_path" \
               COURSE_ARTIFACTS=$work/artifacts "$@"; }
(cd "$work" && in_colab "$CPY" "$root/scripts/check_colab_install.py" kernel 2>&1 | grep -v "running over TCP without encryption")
mkdir -p runs
(cd "$work" && in_colab "$CPY" -m pytest -p no:cacheprovider -ra --nbmake --nbmake-timeout=900 --overwrite --durations=0 \
   --junitxml="$root/runs/chapters-junit.xml" chapters)
echo "the chapters' durations: runs/chapters-junit.xml; python -m course.timings junit runs/chapters-junit.xml --profile ci"
echo "records them in chapters/timings.json (what start_chapter prints as measured)"
took "5/6"

echo "== 6/6 the book, from the executed chapters, in .venv"
sed -i 's/^  execute_notebooks: cache$/  execute_notebooks: "off"/' "$work/_config.yml"
grep -q 'execute_notebooks: "off"' "$work/_config.yml"
in_venv jupyter-book build -W --keep-going "$work" > "$work/build.log" 2>&1 || { tail -40 "$work/build.log"; exit 1; }
in_venv "$PY" -m course.check_built_book "$work/_build/html"
in_venv "$PY" -m course.check_lessons "$work/chapters"
took "6/6"
echo "all tests passed in $(( $(date +%s) - t0 )) s"
