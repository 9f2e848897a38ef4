"""scripts/check_colab_install.py (the Colab set-up cell's install may add packages, never replace one) and the
stand-in google.colab of scripts/colab_stub, both used by scripts/colab_env.sh and scripts/test.sh."""
from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from course import colab

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "check_colab_install.py"
STUB = ROOT / "scripts" / "colab_stub"

BEFORE = """\
accelerate==1.14.0
huggingface_hub==1.27.0
ipywidgets==7.7.1
numpy==2.1.3
PyYAML==6.0.3
torch==2.13.0+cpu
widgetsnbextension==3.6.10
"""
# The set-up cell's install added packages (the course itself from a local copy, its extras): fine.
AFTER_OK = BEFORE + """\
onnxruntime==1.32.0
sentiment-transfer-course @ file:///tmp/course-src
"""
# ... and here it replaced Colab's ipywidgets 7.7.1 (and with it widgetsnbextension), as `ipywidgets>=8` did.
AFTER_BAD = AFTER_OK.replace("ipywidgets==7.7.1", "ipywidgets==8.1.9").replace("widgetsnbextension==3.6.10",
                                                                               "widgetsnbextension==4.0.16")


@pytest.fixture(scope="module")
def check():
    spec = importlib.util.spec_from_file_location("check_colab_install", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_script(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True, text=True, timeout=60)


def test_parse_freeze_reads_names_as_pip_does(check):
    parsed = check.parse_freeze("# a comment\nPyYAML==6.0.3\nhuggingface_hub==1.27.0\n"
                                "course @ file:///x\n-e git+https://h/r@abc#egg=thing\n-c other.txt\n")
    assert parsed == {"pyyaml": "6.0.3", "huggingface-hub": "1.27.0", "course": "@ file:///x",
                      "thing": "editable git+https://h/r@abc"}


def test_additions_only_pass(tmp_path, check):
    passed, report = check.compare(BEFORE, AFTER_OK, what="the set-up cell's install")
    assert passed and "OK" in report and "2 package(s) added" in report
    (tmp_path / "before.txt").write_text(BEFORE)
    (tmp_path / "after.txt").write_text(AFTER_OK)
    proc = run_script("compare", str(tmp_path / "before.txt"), str(tmp_path / "after.txt"))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "changed no version" in proc.stdout


def test_a_replaced_package_fails_naming_it(tmp_path, check):
    (tmp_path / "before.txt").write_text(BEFORE)
    (tmp_path / "after.txt").write_text(AFTER_BAD)
    (tmp_path / "constraints.txt").write_text("# Colab\nipywidgets==7.7.1\nnumpy==2.1.3\n")
    proc = run_script("compare", str(tmp_path / "before.txt"), str(tmp_path / "after.txt"),
                      "--pinned", str(tmp_path / "constraints.txt"), "--what", "the set-up cell's install")
    assert proc.returncode == 1
    assert "ipywidgets 7.7.1 -> 8.1.9  (Colab's own version)" in proc.stderr
    assert "widgetsnbextension 3.6.10 -> 4.0.16" in proc.stderr
    assert "numpy" not in proc.stderr.split("FAILED")[1].split("On Colab")[0]  # unchanged packages are not named
    assert "pyproject.toml" in proc.stderr and "[colab] extra" in proc.stderr  # says what to do


def test_a_removed_package_fails(check):
    passed, report = check.compare(BEFORE, AFTER_OK.replace("numpy==2.1.3\n", ""))
    assert not passed and "numpy 2.1.3 -> (removed)" in report


def test_only_restricts_the_check_to_the_constraints(check):
    only = {"numpy", "pyyaml"}
    passed, report = check.compare(BEFORE, AFTER_BAD, only=only, what="the test tools' install")
    assert passed and "note: ipywidgets 7.7.1 -> 8.1.9" in report
    passed, _ = check.compare(BEFORE, AFTER_BAD.replace("numpy==2.1.3", "numpy==2.4.6"), only=only)
    assert not passed


def _notebook(tmp_path: Path, url: str) -> Path:
    cell = {"cell_type": "code", "execution_count": None, "metadata": {"tags": [colab.SETUP_TAG]}, "outputs": [],
            "source": colab.setup_cell_source(url).splitlines(keepends=True)}
    path = tmp_path / "chapter.ipynb"
    path.write_text(json.dumps({"cells": [{"cell_type": "markdown", "metadata": {}, "source": ["# A chapter"]}, cell],
                                "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    return path


def test_setup_args_point_the_cells_own_requirement_at_a_local_folder(tmp_path, check):
    notebook = _notebook(tmp_path, "https://github.com/someone/fork")
    source = tmp_path / "src"
    args = check.setup_install_args(check.setup_cell(notebook), source)
    assert args == ["-q", f"{colab.PACKAGE}[colab] @ {source.resolve().as_uri()}"]
    proc = run_script("setup-args", str(notebook), "--source", str(source))
    assert proc.returncode == 0 and proc.stdout.splitlines() == args


def test_setup_args_of_the_real_chapters_find_the_install_line(check):
    notebook = colab.chapter_notebooks()[0]
    args = check.setup_install_args(check.setup_cell(notebook), Path("/src"))
    assert args[-1] == f"{colab.PACKAGE}[colab] @ file:///src"


def test_setup_args_refuse_a_cell_without_a_git_requirement(check):
    with pytest.raises(SystemExit, match="git\\+URL"):
        check.setup_install_args('%pip install -q "somepackage>=1"', Path("/src"))
    with pytest.raises(SystemExit, match="no `%pip install` line"):
        check.setup_install_args("print('hello')", Path("/src"))


def _with_stub(code: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(STUB)}
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=env)


def test_stub_google_colab_is_what_the_setup_cell_sees():
    proc = _with_stub(
        "import sys, google.colab\n"
        "from google.colab import drive, output\n"
        "import google.colab.drive as d\n"
        "assert d is drive and 'google.colab' in sys.modules and google.colab.IS_COURSE_STUB\n"
        "output.enable_custom_widget_manager()\n"
        "from course.chapter import in_colab\n"
        "assert in_colab()\n"
        "try:\n"
        "    drive.mount('/content/drive')\n"
        "except google.colab.NotAvailableInCI as err:\n"
        "    print(err)\n")
    assert proc.returncode == 0, proc.stderr
    assert "Google Drive is not available in CI" in proc.stdout and "COURSE_ARTIFACTS" in proc.stdout


def test_stub_keeps_google_a_namespace_package():
    """No google/__init__.py: protobuf (installed with onnx) lives in the same `google` namespace."""
    assert not (STUB / "google" / "__init__.py").exists()
    pytest.importorskip("google.protobuf", reason="protobuf is not installed in this environment")
    proc = _with_stub("import google.colab, google.protobuf; print('both')")
    assert proc.returncode == 0 and "both" in proc.stdout, proc.stderr


def test_kernel_problems_name_each_difference_from_colab(check):
    python = "/x/.venv-colab/bin/python"
    good = {"python": python, "colab": True, "stub": True,
            "course": "/x/.venv-colab/lib/python3.11/site-packages/course/__init__.py"}
    assert check.kernel_problems(good, python) == []
    bad = {"python": "/x/.venv/bin/python", "colab": False, "stub": False, "course": "/x/repo/course/__init__.py"}
    problems = "\n".join(check.kernel_problems(bad, python))
    assert "not /x/.venv-colab/bin/python" in problems and "google.colab is not imported" in problems
    assert "remove the repository from PYTHONPATH" in problems
