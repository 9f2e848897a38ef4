"""Measure what a deployment weighs: the slug a host would build, and the memory of a running worker.

    python -m deploy.measure --bundle bundles/roberta-int8            # prints one JSON object

Slug estimate: the serving requirements are pip-installed into an empty folder, the serving code, the built
page and the bundle are added (what ``python -m deploy.stage`` ships), and the Python runtime the host adds
is estimated from this interpreter's standard library; everything is compressed with gzip as Heroku
compresses a slug. Worker memory: gunicorn is started on the bundle, sent single and batch requests of
128 and 512 tokens, and the worker's resident set size (RSS) is read from /proc.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import sysconfig
import tarfile
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
SERVING_REQUIREMENTS = HERE.parent / "serve" / "host" / "requirements.txt"
HEROKU_SLUG_LIMIT_MB = 500
SMALL_DYNO_MB = 512


EXCLUDE = ("__pycache__", "/test/", "/tests/", "idlelib", "tkinter", "ensurepip", "/site-packages/", "/dist-packages/")


def _dir_size(path: Path, exclude=EXCLUDE) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink()
               and not any(x in "/" + str(p.relative_to(path)) + "/" for x in exclude))


def _gzip_size(paths: list[tuple[Path, str]], exclude=EXCLUDE) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / "slug.tgz"
        with tarfile.open(target, "w:gz", compresslevel=1) as tar:
            for path, arcname in paths:
                tar.add(path, arcname=arcname,
                        filter=lambda info: None if any(x in "/" + info.name + "/" for x in exclude) else info)
        return target.stat().st_size


def python_runtime_dir() -> Path:
    return Path(sysconfig.get_paths()["stdlib"])


def installed_closure(requirements: Path = SERVING_REQUIREMENTS) -> dict[str, list[Path]]:
    """The files of every installed distribution that ``requirements`` pulls in (its dependencies included)."""
    from importlib import metadata

    from packaging.requirements import Requirement

    todo = [Requirement(line.split("#")[0].strip()) for line in requirements.read_text().splitlines()
            if line.split("#")[0].strip()]
    seen: dict[str, list[Path]] = {}
    while todo:
        req = todo.pop()
        name = req.name.lower().replace("_", "-")
        if name in seen:
            continue
        try:
            dist = metadata.distribution(req.name)
        except metadata.PackageNotFoundError:
            raise RuntimeError(f"{req.name} (from {requirements}) is not installed here; use deps='pip'") from None
        seen[name] = [Path(dist.locate_file(f)) for f in (dist.files or [])]
        for dep in dist.requires or []:
            r = Requirement(dep)
            if r.marker is None or r.marker.evaluate({"extra": ""}):
                todo.append(r)
    return seen


def slug_estimate(bundle_dir: str | Path, frontend_dist: str | Path | None = None, deps: str = "pip",
                  page: bool = True) -> dict:
    """Sizes in MB (uncompressed and gzip-compressed) of dependencies, runtime, code, page and bundle.

    ``deps="pip"`` installs serve/host/requirements.txt into an empty folder (what a host does; needs PyPI);
    ``deps="installed"`` copies the same distributions from this environment (offline, a few seconds)."""
    import shutil

    from .stage import stage

    bundle_dir = Path(bundle_dir)
    with tempfile.TemporaryDirectory() as tmp:
        ship = stage(bundle_dir, Path(tmp) / "ship", frontend_dist, page=page)
        if deps == "installed":
            target = Path(tmp) / "site-packages"
            for files in installed_closure().values():
                for f in files:
                    if f.is_file() and "__pycache__" not in f.parts and f.suffix != ".pyc":
                        rel = Path(*f.parts[[i for i, part in enumerate(f.parts) if part == "site-packages"][-1] + 1:])
                        (target / rel).parent.mkdir(parents=True, exist_ok=True)
                        shutil.copyfile(f, target / rel)
            deps, source = target, "copied from this environment's installed distributions"
        else:
            source = "pip install -r serve/host/requirements.txt into an empty folder"
            deps = Path(tmp) / "site-packages"
            cmd = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-compile",
                   "--target", str(deps), "-r", str(SERVING_REQUIREMENTS)]
            proc = subprocess.run(cmd, capture_output=True, text=True)
            if proc.returncode:
                raise RuntimeError(f"pip could not install serve/host/requirements.txt into an empty folder:\n{proc.stderr[-2000:]}")
        runtime = python_runtime_dir()
        parts = {
            "dependencies": [(deps, "deps")],
            "python_runtime": [(runtime, "python")],
            "bundle": [(ship / "bundle", "bundle")],
            "page": [(ship / "serve" / "frontend" / "dist", "dist")] if page else [],
            "code": [(p, p.name) for p in sorted((ship / "serve").glob("*.py"))],
        }
        result = {"dependencies_from": source}
        for name, paths in parts.items():
            raw = sum(_dir_size(p) if p.is_dir() else p.stat().st_size for p, _ in paths)
            result[name] = {"mb": round(raw / 1e6, 1), "compressed_mb": round(_gzip_size(paths) / 1e6, 1)}
        dep_sizes = sorted(((p.name, _dir_size(p)) for p in deps.iterdir() if p.is_dir() and not p.name.endswith(".dist-info")),
                           key=lambda x: -x[1])[:6]
    result["total_mb"] = round(sum(v["mb"] for v in result.values() if isinstance(v, dict)), 1)
    result["total_compressed_mb"] = round(sum(v["compressed_mb"] for v in result.values() if isinstance(v, dict)), 1)
    result["largest_dependencies_mb"] = {n: round(s / 1e6, 1) for n, s in dep_sizes}
    result["heroku_limit_mb"] = HEROKU_SLUG_LIMIT_MB
    result["note"] = ("Heroku counts the compressed slug; the Python runtime is estimated from this interpreter's "
                      "standard library (tests and GUI modules excluded).")
    return result


def _children(pid: int) -> list[int]:
    kids = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        text = (task / "children").read_text().split()
        kids += [int(x) for x in text]
    return kids


def rss_mb(pid: int, field: str = "VmRSS") -> float:
    """Resident memory of a process in MB (``VmHWM``: its peak so far)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no {field} for process {pid}")


def worker_memory(bundle_dir: str | Path, threads: int = 4, requests: int = 10, batch: int = 8) -> dict:
    """Start gunicorn (1 worker) on the bundle, time the cold start, load it, and read the worker's RSS."""
    from .background import start_gunicorn

    started = time.perf_counter()
    server = start_gunicorn(bundle_dir, threads=threads)
    cold_start = time.perf_counter() - started
    try:
        idle = {pid: rss_mb(pid) for pid in _children(server.process.pid)}
        start_peak = {pid: rss_mb(pid, "VmHWM") for pid in _children(server.process.pid)}
        words = "the film was good but the plot was thin and the acting was not great".split()
        long_text = " ".join(words[i % len(words)] for i in range(2000))
        for i in range(requests):
            status, _ = server.post_json("/api/predict", {"text": long_text if i % 2 else "a wonderful film"})
            assert status == 200, status
        status, _ = server.post_json("/api/predict", {"texts": [long_text] * batch})
        assert status == 200, status
        workers = _children(server.process.pid)
        busy = {pid: rss_mb(pid) for pid in workers}
        peak = {pid: rss_mb(pid, "VmHWM") for pid in workers}
        master = rss_mb(server.process.pid)
    finally:
        server.stop()
    return {
        "cold_start_s": round(cold_start, 2),
        "workers": len(busy),
        "worker_rss_mb_idle": round(max(idle.values()), 1) if idle else None,
        "worker_rss_mb_after_requests": round(max(busy.values()), 1),
        "worker_peak_rss_mb_during_start": round(max(start_peak.values()), 1),
        "worker_peak_rss_mb": round(max(peak.values()), 1),
        "master_rss_mb": round(master, 1),
        "small_dyno_mb": SMALL_DYNO_MB,
        "note": "cold start = process start until /api/health answers 200 (imports + bundle load + warm-up run); "
                f"RSS after {requests} single reviews and a batch of {batch} at the full window",
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m deploy.measure", description=__doc__.splitlines()[0])
    parser.add_argument("--bundle", type=Path, required=True)
    parser.add_argument("--frontend", type=Path, help="the built page (default: serve/frontend/dist)")
    parser.add_argument("--skip-slug", action="store_true", help="only measure the running worker")
    parser.add_argument("--deps", choices=["pip", "installed"], default="pip",
                        help="pip: install the serving requirements into an empty folder (needs PyPI); "
                             "installed: copy them from this environment (offline)")
    args = parser.parse_args(argv)
    out = {"bundle": str(args.bundle), "machine": f"{os.cpu_count()} CPU cores (shared with other work)"}
    if not args.skip_slug:
        out["slug"] = slug_estimate(args.bundle, args.frontend, deps=args.deps)
    out["worker"] = worker_memory(args.bundle)
    print(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
