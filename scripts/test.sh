#!/usr/bin/env bash
# Run every test on a fresh machine:
#   1. the unit tests of the packages (pytest tests/);
#   2. every chapter executed top to bottom in a fresh kernel in the `ci` profile (nbmake), on a copy of the book;
#   3. the book built from those executed chapters with `jupyter-book build -W`, then checked.
# Needs COURSE_MIRROR (the offline mirror) unless the Hugging Face Hub is reachable.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
if [ -n "${COURSE_MIRROR:-}" ]; then
  export COURSE_MIRROR=$(cd "$COURSE_MIRROR" && pwd)
fi
export COURSE_PROFILE=ci HF_HUB_OFFLINE=${HF_HUB_OFFLINE:-1} PYTHONPATH=$root
scripts/install_system_deps.sh
scripts/setup_env.sh
PY=$root/.venv/bin/python
export PATH="$root/.venv/bin:$PATH"
t0=$(date +%s)

echo "== 1/3 unit tests"
$PY -m pytest tests -p no:cacheprovider

echo "== 2/3 chapters, executed in the ci profile"
work=$(mktemp -d "${TMPDIR:-/tmp}/course-book.XXXXXX")
trap 'rm -rf "$work"' EXIT
cp -r _config.yml _toc.yml book chapters "$work/"
$PY -m pytest -p no:cacheprovider --nbmake --nbmake-timeout=900 --overwrite --durations=0 "$work/chapters"

echo "== 3/3 the book, from the executed chapters"
sed -i 's/^  execute_notebooks: cache$/  execute_notebooks: "off"/' "$work/_config.yml"
grep -q 'execute_notebooks: "off"' "$work/_config.yml"
jupyter-book build -W --keep-going "$work" > "$work/build.log" 2>&1 || { tail -40 "$work/build.log"; exit 1; }
$PY scripts/check_built_book.py "$work/_build/html"
echo "all tests passed in $(( $(date +%s) - t0 )) s"
