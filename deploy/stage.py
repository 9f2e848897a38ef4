"""Assemble a folder that can be pushed to Heroku (or built into a container) on its own.

    python -m deploy.stage --bundle bundles/roberta-int8 --out ship

The folder holds only what serving needs, laid out as Heroku expects (requirements.txt, Procfile and
.python-version at its root; their templates are in ``serve/host``)::

    ship/Procfile  ship/requirements.txt  ship/.python-version  ship/Dockerfile  ship/.dockerignore
    ship/serve/*.py                       the serving package (no exporter, no torch)
    ship/serve/frontend/dist/             the built React page (Heroku's Python buildpack does not run npm,
                                          so the page is built here and shipped as static files)
    ship/bundle/                          the model bundle (MODEL_BUNDLE defaults to it in the Procfile)

Before anything is copied, the behavioural gate (:mod:`deploy.gate`) runs the suite of :mod:`serve.behaviour` on
the bundle and records the failure rates in its ``bundle.json``; a bundle over its budgets
(``behaviour_budgets.json`` next to ``bundle.json``) is refused unless ``--accept-over-budget`` is given.

Then: ``cd ship && git init && git add . && git commit -m ship && git push heroku HEAD:main``.
"""
from __future__ import annotations

import argparse
import shutil
from pathlib import Path

import serve
from serve.behaviour import BudgetError
from serve.bundle import read_metadata

from .gate import GateError, check_bundle

SERVE = Path(serve.__file__).resolve().parent
HOST_FILES = SERVE / "host"
FRONTEND_DIST = SERVE / "frontend" / "dist"
ROOT_FILES = ("Procfile", "requirements.txt", ".python-version", "Dockerfile", ".dockerignore")


def serving_modules() -> list[Path]:
    """The serving package's Python files: everything a host runs."""
    return sorted(SERVE.glob("*.py"))


def stage(bundle_dir: str | Path, out: str | Path, frontend_dist: str | Path | None = None, overwrite: bool = False,
          page: bool = True, accept_over_budget: bool = False) -> Path:
    """Check the bundle's behaviour against its budgets (:func:`deploy.gate.check_bundle`), then copy the host
    files, the serving package, the built page and the bundle into ``out``; return ``out``.

    ``page=False`` ships the API alone (``GET /`` then answers a JSON 404 saying the page is not built).
    Raises :class:`deploy.gate.GateError`, before anything is written, for a bundle over budget unless
    ``accept_over_budget``."""
    bundle_dir, out = Path(bundle_dir), Path(out)
    read_metadata(bundle_dir)  # fails clearly if it is not a bundle
    dist = Path(frontend_dist) if frontend_dist else FRONTEND_DIST
    if page and not (dist / "index.html").is_file():
        raise FileNotFoundError(f"{dist / 'index.html'} is missing: build the page first (cd serve/frontend && npm ci && npm run build).")
    if out.exists() and not overwrite:
        raise FileExistsError(f"{out} exists; choose another --out or pass --overwrite.")
    check_bundle(bundle_dir, accept_over_budget=accept_over_budget)  # records the rates in bundle.json
    if out.exists():
        shutil.rmtree(out)
    (out / "serve").mkdir(parents=True)
    for name in ROOT_FILES:
        shutil.copy2(HOST_FILES / name, out / name)
    for module in serving_modules():
        shutil.copy2(module, out / "serve" / module.name)
    if page:
        shutil.copytree(dist, out / "serve" / "frontend" / "dist")
    shutil.copytree(bundle_dir, out / "bundle")
    (out / ".gitignore").write_text("__pycache__/\n*.pyc\n")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m deploy.stage", description=__doc__.splitlines()[0])
    parser.add_argument("--bundle", type=Path, required=True, help="the bundle directory to ship")
    parser.add_argument("--out", type=Path, required=True, help="the folder to create")
    parser.add_argument("--frontend", type=Path, help="the built page (default: serve/frontend/dist)")
    parser.add_argument("--overwrite", action="store_true")
    parser.add_argument("--accept-over-budget", action="store_true",
                        help="stage a bundle whose behavioural failure rates exceed its budgets (recorded in bundle.json)")
    args = parser.parse_args(argv)
    try:
        out = stage(args.bundle, args.out, args.frontend, args.overwrite, accept_over_budget=args.accept_over_budget)
    except (GateError, BudgetError) as exc:
        print(exc)
        return 1
    size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    print(f"staged {out} ({size / 1e6:.1f} MB before dependencies). Next: cd {out} && git init && git add . && "
          f"git commit -m ship && git push heroku HEAD:main")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
