#!/usr/bin/env bash
# Run every test on a fresh machine, in two lanes side by side, each on its own half of the CPUs (on the course's
# 2-core machine, one core each: PyTorch then runs one thread per lane; two processes that each spread PyTorch's two
# threads over the same two cores mostly wait for each other; once lane A is done, lane B's next kernels may use
# every CPU). Neither lane waits for the other except where it needs what the other makes:
#   lane A, in the foreground, in .venv (requirements.txt's pinned versions):
#     A1. .venv set up (scripts/setup_env.sh);
#     A2. the unit tests of the packages (pytest tests/);
#     A3. the DVC pipeline (dvc.yaml) in a temporary git copy, the ci profile at smaller sizes (tests/pipeline);
#     A4. the unit tests again, in .venv-colab (Colab's versions of transformers, datasets, numpy, ...), once lane B
#         has built it;
#   lane B, in the background (its log is shown when it ends), in .venv-colab, an environment like Google Colab's:
#     B1. .venv-colab built by scripts/colab_env.sh (colab/README.md), which also checks that the chapters' set-up
#         cell installs the course there without replacing any package;
#     B2. every chapter executed top to bottom in a fresh kernel in the `ci` profile (nbmake), on a copy of the book,
#         as on Colab: a stand-in google.colab imported at kernel start, the course imported from the package the
#         set-up cell installed (never from this checkout);
#   then, when both lanes have passed: the book built (in .venv) from the executed chapters with
#   `jupyter-book build -W`, and checked.
# Needs COURSE_MIRROR (the offline mirror) unless the Hugging Face Hub is reachable.
set -euo pipefail
set -m  # each background job in its own process group, so that a failure stops all of it
cd "$(dirname "$0")/.."
root=$PWD
if [ -n "${COURSE_MIRROR:-}" ]; then
  export COURSE_MIRROR=$(cd "$COURSE_MIRROR" && pwd)
fi
export COURSE_PROFILE=ci HF_HUB_OFFLINE=${HF_HUB_OFFLINE:-1}
t0=$(date +%s)
scripts/install_system_deps.sh
PY=$root/.venv/bin/python
CPY=$root/.venv-colab/bin/python
system_path=$PATH
# The course's own environment: its packages from this checkout.
in_venv() { PYTHONPATH=$root PATH="$root/.venv/bin:$system_path" "$@"; }
stamp() { echo "$(( $(date +%s) - t0 )) s"; }
# The CPUs this script may use, split in two halves (taskset: a process and its children keep to the CPUs it names).
read -r -a cpus <<< "$("$(command -v python3)" -c 'import os; print(*sorted(os.sched_getaffinity(0)))')"
all_cpus=$(IFS=,; echo "${cpus[*]}")
half=$(( ${#cpus[@]} / 2 ))
lane_a_cpus=$(IFS=,; echo "${cpus[*]:0:$(( half > 0 ? half : 1 ))}")
lane_b_cpus=$(IFS=,; echo "${cpus[*]:$half}")
keep_to() {  # keep_to CPUS PID: the process and all its threads (nothing where util-linux's taskset is missing)
  if command -v taskset > /dev/null; then taskset -apc "$1" "$2" > /dev/null; fi
}
in_group() {  # in_group PGID: the processes of a process group, read from /proc
  local d stat pgid
  for d in /proc/[0-9]*; do
    stat=$(cat "$d/stat" 2> /dev/null) || continue
    read -r _ _ pgid _ <<< "${stat##*) }"
    if [ "$pgid" = "$1" ]; then echo "${d#/proc/}"; fi
  done
}

# --- lane B: .venv-colab, then the chapters -----------------------------------------------------------------------
work=$(mktemp -d "${TMPDIR:-/tmp}/course-book.XXXXXX")
lane_b_log=$work/lane-b.log
colab_ready=$work/colab-env.ready
lane_b() {
  set -euo pipefail
  keep_to "$lane_b_cpus" "$BASHPID"
  echo "(lane B on CPU $lane_b_cpus, lane A on CPU $lane_a_cpus)"
  echo "== B1 the Colab-like environment .venv-colab, and the set-up cell's install checked in it (at $(stamp))"
  scripts/colab_env.sh
  touch "$colab_ready"
  echo "-- B1 done at $(stamp)"
  echo "== B2 chapters, executed in the ci profile, in .venv-colab as on Colab (at $(stamp))"
  cp -r _config.yml _toc.yml book chapters "$work/"
  # Colab's kernel imports google.colab when it starts: here an IPython startup file imports the stand-in.
  mkdir -p "$work/ipython/profile_default/startup"
  echo "import google.colab  # the course's stand-in (scripts/colab_stub), imported at start as Colab's kernel does" \
    > "$work/ipython/profile_default/startup/00-colab.py"
  # Not the repository on PYTHONPATH: the chapters import the package the set-up cell installed. nbmake starts the
  # notebooks' `python3` kernel with the Python that runs pytest (.venv-colab's). Checkpoints go to one folder that
  # all chapters share, as they share /content (or a mounted Drive) on Colab.
  in_colab() { PYTHONPATH=$root/scripts/colab_stub IPYTHONDIR=$work/ipython PATH="$root/.venv-colab/bin:$system_path" \
                 COURSE_ARTIFACTS=$work/artifacts "$@"; }
  (cd "$work" && in_colab "$CPY" "$root/scripts/check_colab_install.py" kernel 2>&1 | grep -v "running over TCP without encryption")
  mkdir -p runs
  (cd "$work" && in_colab "$CPY" -m pytest -p no:cacheprovider -ra --nbmake --nbmake-timeout=900 --overwrite --durations=0 \
     --junitxml="$root/runs/chapters-junit.xml" chapters)
  echo "the chapters' durations: runs/chapters-junit.xml (measured beside lane A: the two lanes share the cores);"
  echo "python -m course.timings junit runs/chapters-junit.xml --profile ci records them in chapters/timings.json"
  echo "-- B2 done at $(stamp)"
}
lane_b > "$lane_b_log" 2>&1 &
lane_b_pid=$!
trap 'kill -- -"$lane_b_pid" 2> /dev/null || true; rm -rf "$work"' EXIT
show_lane_b() { echo "======== lane B's log ========"; cat "$lane_b_log"; echo "======== end of lane B's log ========"; }
lane_b_failed() { show_lane_b; echo "lane B failed: its log is above"; exit 1; }

# --- lane A: .venv, its unit tests, the pipeline, then the unit tests in .venv-colab -------------------------------
keep_to "$lane_a_cpus" "$$"
echo "== A1 .venv (lane B, .venv-colab and then the chapters, runs in the background; its log follows lane A's)"
scripts/setup_env.sh
echo "-- A1 done at $(stamp)"
echo "== A2 unit tests, in .venv"
in_venv "$PY" -m pytest tests -p no:cacheprovider
echo "-- A2 done at $(stamp)"
echo "== A3 the DVC pipeline (dvc.yaml), the ci profile at smaller sizes, in a temporary git copy: from an empty cache,"
echo "   again (nothing runs), with one parameter changed (only the stages that read it run), its plots, and its"
echo "   checkpoints pushed to a folder remote and pulled back into an empty cache"
in_venv "$PY" -m pytest tests/pipeline -m pipeline -p no:cacheprovider -s
echo "-- A3 done at $(stamp)"
echo "== A4 unit tests, in .venv-colab (built by lane B)"
until [ -f "$colab_ready" ]; do
  kill -0 "$lane_b_pid" 2> /dev/null || { wait "$lane_b_pid" || true; lane_b_failed; }
  sleep 5
done
# With the stand-in google.colab importable (not imported); `python -m pytest` puts this checkout first on the path,
# so this tests the checkout's packages against Colab's library versions.
PYTHONPATH=$root/scripts/colab_stub PATH="$root/.venv-colab/bin:$system_path" "$CPY" -m pytest tests -p no:cacheprovider
echo "-- A4 done at $(stamp)"

echo "== waiting for lane B (the chapters), which may now use every CPU: the kernels it starts from here on do"
for pid in $(in_group "$lane_b_pid"); do keep_to "$all_cpus" "$pid" 2> /dev/null || true; done
wait "$lane_b_pid" || lane_b_failed
show_lane_b

keep_to "$all_cpus" "$$"
echo "== the book, from the executed chapters, in .venv"
sed -i 's/^  execute_notebooks: cache$/  execute_notebooks: "off"/' "$work/_config.yml"
grep -q 'execute_notebooks: "off"' "$work/_config.yml"
in_venv jupyter-book build -W --keep-going "$work" > "$work/build.log" 2>&1 || { tail -40 "$work/build.log"; exit 1; }
in_venv "$PY" -m course.check_built_book "$work/_build/html"
in_venv "$PY" -m course.check_lessons "$work/chapters"
echo "-- the book done at $(stamp)"
echo "all tests passed in $(( $(date +%s) - t0 )) s"
