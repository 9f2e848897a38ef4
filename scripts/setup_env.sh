#!/usr/bin/env bash
# Create (or update) the course's virtual environment in .venv from requirements.txt.
# Idempotent: does nothing when .venv already matches requirements.txt and pyproject.toml.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  echo "[setup] creating .venv with $($PYTHON --version)"
  "$PYTHON" -m venv .venv
fi
stamp=.venv/.course-requirements.sha256
want=$(cat requirements.txt pyproject.toml | sha256sum | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "[setup] installing requirements.txt into .venv (a few minutes the first time)"
  .venv/bin/python -m pip install -q --upgrade pip
  # torch first and pinned, so nothing else can pull a multi-GB CUDA build of it.
  .venv/bin/python -m pip install -q "$(grep -E '^torch==' requirements.txt)"
  .venv/bin/python -m pip install -q -r requirements.txt
  .venv/bin/python -m pip install -q --no-deps -e .
  echo "$want" > "$stamp"
fi
# The React page that Flask serves at / (serve/frontend/dist); npm ci installs exactly package-lock.json.
front=serve/frontend
fstamp=$front/node_modules/.course-lock.sha256
fwant=$(cat $front/package-lock.json | sha256sum | cut -d' ' -f1)
if [ "$(cat "$fstamp" 2>/dev/null)" != "$fwant" ]; then
  echo "[setup] installing the front-end's npm packages"
  (cd $front && npm ci --no-audit --no-fund --loglevel=error)
  echo "$fwant" > "$fstamp"
fi
if [ ! -f $front/dist/index.html ] || [ -n "$(find $front/src $front/index.html $front/vite.config.js -newer $front/dist/index.html)" ]; then
  echo "[setup] building the front-end"
  (cd $front && npm run build --silent > /dev/null)
fi
echo "[setup] environment ready: $(.venv/bin/python -c 'import torch, transformers; print("torch", torch.__version__, "transformers", transformers.__version__)')"
