"""Reference results: figures of committed benchmark runs, with their provenance, for the book's callouts.

A page built in the ``ci`` profile runs on a few hundred examples: its live numbers show that the code works, not
what the models can do. Next to them, a callout shows what the same code reached on real data: a figure read from
a result file in ``pipeline/results/`` (made by a stage of the DVC pipeline, ``dvc.yaml``, whose scripts are in ``pipeline/``), never typed into a page. Each figure
carries its provenance (file, date, profile, machine, commit), so a reader can find the run and repeat it.

    >>> fig = figure("pipeline_quick_part2_variants.json", "variants.variants.full.test_accuracy")  # doctest: +SKIP
    >>> fig.value, fig.profile, fig.date                                                          # doctest: +SKIP
    (0.894, 'quick', '2026-12-07')
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from .paths import REPO_ROOT, in_checkout

PROVENANCE = "provenance.json"


class ReferenceError(LookupError):
    """A callout names a result file or a figure that no committed result file holds."""


def results_dir() -> Path:
    """``pipeline/results`` in a checkout; the copy inside the installed package (``course/results``) elsewhere."""
    return REPO_ROOT / "pipeline" / "results" if in_checkout() else Path(__file__).resolve().parent / "results"


@lru_cache(maxsize=None)
def load(file: str) -> dict:
    path = results_dir() / file
    if not path.is_file():
        raise ReferenceError(f"no result file {file} in {results_dir()}: make it with `dvc repro` (pipeline/README.md) "
                             f"and commit it with dvc.lock")
    return json.loads(path.read_text(encoding="utf-8"))


@dataclass(frozen=True)
class Figure:
    """One reference figure and where it comes from."""

    value: float
    file: str
    key: str
    profile: str
    date: str
    machine: str
    commit: str

    def provenance(self) -> str:
        return f"{self.profile} profile, {self.date}, {self.machine}; {self.file}, commit {self.commit}"


def _get(data: dict, key: str, file: str):
    node = data
    for part in key.split("."):
        if isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        elif isinstance(node, dict) and part in node:
            node = node[part]
        else:
            raise ReferenceError(f"{file} holds no figure {key!r} (stopped at {part!r})")
    return node


def figure(file: str, key: str) -> Figure:
    """The figure at ``key`` (dotted path, list indices as numbers) of a committed result file."""
    data = load(file)
    value = _get(data, key, file)
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        raise ReferenceError(f"{file}: {key!r} is {value!r}, not a number")
    info = load(PROVENANCE)["files"].get(file)
    if info is None:
        raise ReferenceError(f"{file} is not listed in {PROVENANCE}: add its commit and machine")
    date = str(data.get("date") or data.get("date_utc") or "")[:10]
    commit = data.get("commit") or info["commit"]
    return Figure(float(value), file, key, data.get("profile", "?"), date, info["machine"], commit)
