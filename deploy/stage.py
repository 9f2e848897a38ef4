"""Assemble a folder that can be pushed to Heroku (or built into a container) on its own.

    python -m deploy.stage --bundle bundles/roberta-int8 --out ship

The folder holds only what serving needs, laid out as Heroku expects (requirements.txt, Procfile and
.python-version at its root; their templates are in ``serve/host``)::

    ship/Procfile  ship/requirements.txt  ship/.python-version  ship/Dockerfile  ship/.dockerignore
    ship/serve/*.py                       the serving package (no exporter, no torch)
    ship/serve/frontend/dist/             the built React page (Heroku's Python buildpack does not run npm,
                                          so the page is built here and shipped as static files)
    ship/bundle/                          the model bundle (MODEL_BUNDLE defaults to it in the Procfile)

Then: ``cd ship && git init && git add . && git commit -m ship && git push heroku HEAD:main``.
"""
from __future__ import annotations

import argparse
import shutil
from pathlib import Path

import serve
from serve.bundle import read_metadata

SERVE = Path(serve.__file__).resolve().parent
HOST_FILES = SERVE / "host"
FRONTEND_DIST = SERVE / "frontend" / "dist"
ROOT_FILES = ("Procfile", "requirements.txt", ".python-version", "Dockerfile", ".dockerignore")


def serving_modules() -> list[Path]:
    """The serving package's Python files: everything a host runs."""
    return sorted(SERVE.glob("*.py"))


def stage(bundle_dir: str | Path, out: str | Path, frontend_dist: str | Path | None = None, overwrite: bool = False,
          page: bool = True) -> Path:
    """Copy the host files, the serving package, the built page and the bundle into ``out``; return ``out``.

    ``page=False`` ships the API alone (``GET /`` then answers a JSON 404 saying the page is not built)."""
    bundle_dir, out = Path(bundle_dir), Path(out)
    read_metadata(bundle_dir)  # fails clearly if it is not a bundle
    dist = Path(frontend_dist) if frontend_dist else FRONTEND_DIST
    if page and not (dist / "index.html").is_file():
        raise FileNotFoundError(f"{dist / 'index.html'} is missing: build the page first (cd serve/frontend && npm ci && npm run build).")
    if out.exists():
        if not overwrite:
            raise FileExistsError(f"{out} exists; choose another --out or pass --overwrite.")
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
    args = parser.parse_args(argv)
    out = stage(args.bundle, args.out, args.frontend, args.overwrite)
    size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    print(f"staged {out} ({size / 1e6:.1f} MB before dependencies). Next: cd {out} && git init && git add . && "
          f"git commit -m ship && git push heroku HEAD:main")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
