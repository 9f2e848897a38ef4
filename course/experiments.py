"""Experiments with DVC in a temporary git copy of the course (Part 2, chapter 07, and ``tests/pipeline``).

The course's reference runs are a DVC pipeline (``dvc.yaml``; ARCHITECTURE.md, "Reproducible experiments"). Running
it changes files: results, ``params.yaml``, ``dvc.lock``, git refs for experiments. The chapter and the tests
therefore work in a copy: :func:`temporary_copy` makes one, its own git repository with the ``ci`` profile in
``params.yaml`` and DVC's usage analytics off, so that the reader's checkout is never touched.

Where the copy comes from (:func:`repository_source`): ``$COURSE_REPOSITORY`` (a folder or a git URL) when set; else
the checkout these packages run from; else where pip installed the course from (on Colab, the git URL and commit of
the set-up cell's install).

    >>> repo = temporary_copy()                                   # doctest: +SKIP
    >>> print(dvc(repo, "repro", "lstm_curve").stdout)            # doctest: +SKIP
"""
from __future__ import annotations

import importlib.metadata
import json
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlparse

from .paths import ARTIFACTS_ENV, REPO_ROOT, in_checkout
from .profiles import PARAMS_ENV, PROFILE_ENV

REPOSITORY_ENV = "COURSE_REPOSITORY"
PACKAGE = "sentiment-transfer-course"
DVC_REQUIREMENT = "dvc>=3.50,<4"
SKIP = {".git", ".dvc/cache", ".dvc/tmp", "artifacts", "build", "dist", "_build", "runs", "node_modules", "__pycache__"}


class ExperimentError(RuntimeError):
    """The copy cannot be made, or a command in it failed; the message says what to do or shows the command's end."""


@dataclass(frozen=True)
class Source:
    """Where a copy of the course comes from: a local folder, or a git URL (with the commit pip installed)."""

    location: str
    commit: str | None = None

    @property
    def is_folder(self) -> bool:
        return "://" not in self.location or self.location.startswith("file://")

    def folder(self) -> Path:
        return Path(unquote(urlparse(self.location).path)) if self.location.startswith("file://") else Path(self.location)


def repository_source() -> Source:
    if os.environ.get(REPOSITORY_ENV):
        return Source(os.environ[REPOSITORY_ENV])
    if in_checkout():
        return Source(str(REPO_ROOT))
    try:
        text = importlib.metadata.distribution(PACKAGE).read_text("direct_url.json")
    except importlib.metadata.PackageNotFoundError:
        text = None
    if text:
        info = json.loads(text)
        return Source(info["url"], info.get("vcs_info", {}).get("commit_id"))
    raise ExperimentError(f"Cannot find a copy of the course's repository: set {REPOSITORY_ENV} to a clone of it "
                          f"(a folder) or to its git URL.")


def _files(folder: Path) -> list[str]:
    """The files a clone of ``folder`` would have: git's tracked and untracked-but-not-ignored files (with any
    uncommitted edits) where ``folder`` is a git work tree, else every file outside build outputs and caches."""
    if (folder / ".git").exists():
        out = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=folder,
                             capture_output=True, text=True, check=True).stdout
        return [f for f in out.split("\0") if f and (folder / f).is_file()]
    found = []
    for path in folder.rglob("*"):
        rel = path.relative_to(folder).as_posix()
        if path.is_file() and not any(rel == s or rel.startswith(s + "/") or f"/{s}/" in f"/{rel}"
                                      for s in SKIP) and not rel.startswith(".venv"):
            found.append(rel)
    return found


def _run(cmd: list[str], cwd: Path, env: dict | None = None, timeout: float = 1800) -> subprocess.CompletedProcess:
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0:
        raise ExperimentError(f"`{' '.join(cmd)}` failed in {cwd} (exit {proc.returncode}):\n"
                              + (proc.stdout + proc.stderr)[-3000:])
    return proc


def environment(repo: Path, **changes: str) -> dict:
    """The environment of a command in the copy: its own code first on the path, this Python's scripts (``dvc``)
    first on PATH, the profile only from its ``params.yaml``, its own ``artifacts/``, DVC's analytics off."""
    env = dict(os.environ, DVC_NO_ANALYTICS="1", PYTHONPATH=str(repo),
               PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}", **changes)
    for name in (PROFILE_ENV, ARTIFACTS_ENV, PARAMS_ENV):
        if name not in changes:
            env.pop(name, None)
    return env


def temporary_copy(profile: str = "ci", source: Source | None = None, parent: Path | None = None) -> Path:
    """A new git repository holding a copy of the course, ``profile``'s sizes in its ``params.yaml``, committed;
    DVC with a local cache only and analytics off. The committed ``dvc.lock`` records the reference runs of the
    committed profile (quick): a copy in another profile starts without it. Returns its folder (inside a new
    temporary folder)."""
    source = source or repository_source()
    work = Path(tempfile.mkdtemp(prefix="course-experiments-", dir=parent)) / "course"
    if source.is_folder:
        folder = source.folder()
        if not (folder / "dvc.yaml").is_file():
            raise ExperimentError(f"{folder} holds no dvc.yaml: point {REPOSITORY_ENV} at a copy of the course.")
        for rel in _files(folder):
            (work / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(folder / rel, work / rel)
        _run(["git", "init", "-q"], work)
    else:
        _run(["git", "clone", "-q", source.location, str(work)], work.parent)
        if source.commit:
            _run(["git", "checkout", "-q", source.commit], work)
    lock = work / "dvc.lock"
    if lock.is_file() and _params_profile(work) != profile:
        lock.unlink()  # it records the committed profile's runs (quick): a copy in another profile starts without it
    env = environment(work)
    for cmd in (["git", "config", "user.name", "course experiments"],
                ["git", "config", "user.email", "experiments@example.org"],  # `dvc exp run` commits in the copy
                [sys.executable, "-m", "course.params", "write", profile],
                ["git", "add", "-A"], ["git", "commit", "-qm", f"a copy of the course, {profile} profile"],
                ["dvc", "config", "--local", "core.analytics", "false"]):
        _run(cmd, work, env)
    return work


def _params_profile(repo: Path) -> str | None:
    import yaml

    path = repo / "params.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8")) if path.is_file() else None
    return (data.get("profile") or {}).get("name") if isinstance(data, dict) else None


def dvc(repo: Path, *args: str, timeout: float = 1800, **env: str) -> subprocess.CompletedProcess:
    """``dvc ARGS`` in the copy ``repo`` (see :func:`environment`); a failure raises :class:`ExperimentError`
    showing the end of DVC's output."""
    return _run(["dvc", *args], repo, environment(repo, **env), timeout)


def stages_run(output: str) -> list[str]:
    """The stages a ``dvc repro`` or ``dvc exp run`` output says it ran, in order."""
    return [line.split("'")[1] for line in output.splitlines() if line.startswith("Running stage '")]


def dvc_missing() -> bool:
    return shutil.which("dvc", path=str(Path(sys.executable).parent)) is None and shutil.which("dvc") is None


def install_dvc() -> list[str]:
    """Install DVC into this Python (the chapter calls it where DVC is missing, as on Colab) without changing any
    installed package: every installed distribution is pinned to its version as a constraint. Returns the command."""
    pins = sorted({f"{d.metadata['Name']}=={d.version}" for d in importlib.metadata.distributions()
                   if d.metadata["Name"] and d.metadata["Name"].lower() != "dvc"})
    constraints = Path(tempfile.mkdtemp(prefix="course-dvc-")) / "installed.txt"
    constraints.write_text("\n".join(pins) + "\n", encoding="utf-8")
    cmd = [sys.executable, "-m", "pip", "install", "-q", DVC_REQUIREMENT, "-c", str(constraints)]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise ExperimentError(f"DVC cannot be installed without changing this environment's packages:\n"
                              f"{proc.stderr[-2000:]}\nInstall it yourself (`pip install '{DVC_REQUIREMENT}'`), then "
                              f"run this cell again.")
    return cmd
