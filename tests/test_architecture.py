"""The import contract of ARCHITECTURE.md, checked on the source (every import, lazy ones inside functions too).

    serve, course                 import no other course package (serve: no torch either)
    starter_lstm, roberta_transfer   may import course and serve, never each other, never deploy
    deploy                        may import all of the above
    chapters, pipeline, benchmarks, tests   import packages; no package imports them
"""
from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("course", "serve", "starter_lstm", "roberta_transfer", "deploy")
OUTSIDE = ("chapters", "benchmarks", "pipeline", "tests", "helpers", "roberta_sized", "run_info", "scripts")
ALLOWED = {
    "course": set(),
    "serve": set(),
    "starter_lstm": {"course", "serve"},
    "roberta_transfer": {"course", "serve"},
    "deploy": {"course", "serve", "starter_lstm", "roberta_transfer"},
}
SERVING_NEVER = {"torch", "transformers", "datasets", "sklearn", "accelerate", "onnx", "course"}


def imported_modules(path: Path) -> set[str]:
    """Top-level names of every module ``path`` imports (absolute imports; relative ones stay in the package)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def package_imports(package: str) -> dict[str, set[str]]:
    files = sorted((ROOT / package).rglob("*.py"))
    assert files, f"no Python files in {package}/"
    return {str(f.relative_to(ROOT)): imported_modules(f) for f in files}


@pytest.mark.parametrize("package", PACKAGES)
def test_packages_import_only_downwards(package):
    forbidden = (set(PACKAGES) - {package} - ALLOWED[package]) | set(OUTSIDE)
    wrong = {f: sorted(names & forbidden) for f, names in package_imports(package).items() if names & forbidden}
    assert not wrong, f"{package} may import only {sorted(ALLOWED[package]) or 'no course package'}: {wrong}"


def test_serving_package_needs_no_torch():
    wrong = {f: sorted(names & SERVING_NEVER) for f, names in package_imports("serve").items() if names & SERVING_NEVER}
    assert not wrong, f"serve/ ships to a small host without torch or the course: {wrong}"


def test_chapters_import_packages_never_the_reverse():
    """Chapters use the packages (the other direction is covered above); a chapter never imports another chapter."""
    used = set()
    for nb in sorted((ROOT / "chapters").rglob("*.ipynb")):
        cells = json.loads(nb.read_text(encoding="utf-8"))["cells"]
        for cell in cells:
            if cell["cell_type"] != "code":
                continue
            source = "".join(cell["source"])
            lines = [line for line in source.splitlines() if not line.lstrip().startswith(("%", "!"))]
            try:
                tree = ast.parse("\n".join(lines))
            except SyntaxError:
                continue
            for node in ast.walk(tree):
                if isinstance(node, ast.ImportFrom) and node.module:
                    used.add(node.module.split(".")[0])
                elif isinstance(node, ast.Import):
                    used |= {a.name.split(".")[0] for a in node.names}
    assert {"starter_lstm", "roberta_transfer", "deploy", "serve", "course"} <= used
    assert not used & {"chapters", "tests", "helpers", "benchmarks", "pipeline"}


def test_stand_ins_and_fixtures_live_in_tests_or_benchmarks():
    """No package defines a model or tokenizer that exists only for tests or benchmarks. (The exercise's checks
    build a tiny model to try a learner's code on: that is part of the lesson, so exercise.py is exempt.)"""
    suspicious = ("tiny", "standin", "stand_in", "random_roberta", "fake", "dummy", "toy")
    exempt = {ROOT / "starter_lstm" / "exercise.py"}
    found = []
    for package in PACKAGES:
        for path in set((ROOT / package).rglob("*.py")) - exempt:
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and any(s in node.name.lower() for s in suspicious):
                    found.append(f"{path.relative_to(ROOT)}:{node.name}")
    assert not found, found


def test_one_head_tail_rule():
    """Only serve.window defines the head+tail cut; the parts call it."""
    defined = [f"{p.relative_to(ROOT)}:{n.name}" for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py")
               for n in ast.walk(ast.parse(p.read_text(encoding="utf-8")))
               if isinstance(n, ast.FunctionDef) and n.name in ("truncate_head_tail", "split_budget")]
    assert defined == ["serve/window.py:split_budget", "serve/window.py:truncate_head_tail"]
    for user in ("starter_lstm/vocab.py", "roberta_transfer/data.py"):
        assert "serve" in imported_modules(ROOT / user), user
