#!/usr/bin/env bash
# Build the whole book on a fresh machine: environment, executed chapters, HTML in _build/html.
#   COURSE_PROFILE  ci | quick (default) | full: how much each chapter computes (see book/setup.md)
#   COURSE_MIRROR   offline mirror of the Hugging Face Hub (needed without internet)
# Chapters are executed by the build and cached: re-running after editing one chapter re-executes only it.
set -euo pipefail
cd "$(dirname "$0")/.."
export COURSE_PROFILE=${COURSE_PROFILE:-quick}
if [ -n "${COURSE_MIRROR:-}" ]; then
  export COURSE_MIRROR=$(cd "$COURSE_MIRROR" && pwd)
fi
scripts/setup_env.sh
echo "[book] building with COURSE_PROFILE=$COURSE_PROFILE COURSE_MIRROR=${COURSE_MIRROR:-<unset: the Hub>}"
start=$(date +%s)
# -W: a failing cell (or any warning) fails the build instead of leaving a broken page.
PATH="$PWD/.venv/bin:$PATH" jupyter-book build -W --keep-going .
echo "[book] done in $(( $(date +%s) - start )) s: open _build/html/index.html"
