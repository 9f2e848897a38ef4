"""The pipeline's layout (pipeline/README.md): each stage of dvc.yaml runs the script named after it, or after its
family (pipeline/checkpoints.py makes the checkpoint stages), and depends on it; every script there serves a stage."""
from __future__ import annotations

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
FAMILIES = {"checkpoints": {"lstm", "stage1", "stage2", "bundles"}}
SHARED = {"run_info"}  # what the scripts import, not a stage


def stages() -> dict:
    return yaml.safe_load((ROOT / "dvc.yaml").read_text(encoding="utf-8"))["stages"]


def test_each_stage_runs_the_script_named_after_it_and_depends_on_it():
    for name, stage in stages().items():
        scripts = re.findall(r"python (\S+\.py)", stage["cmd"])
        if not scripts:
            assert name == "page", f"{name} runs no script of pipeline/"  # the page is built by npm
            continue
        script = Path(scripts[0])
        family = next((f for f, members in FAMILIES.items() if name in members), None)
        assert script.parent == Path("pipeline") and script.stem == (family or name), (name, stage["cmd"])
        assert str(script) in stage["deps"], f"{name} does not depend on {script}"


def test_every_script_of_the_pipeline_serves_a_stage():
    used = {Path(s).stem for stage in stages().values() for s in re.findall(r"python (\S+\.py)", stage["cmd"])}
    scripts = {p.stem for p in (ROOT / "pipeline").glob("*.py")}
    assert scripts - SHARED == used, (scripts - SHARED - used, used - scripts)


# The course's packages a stage can declare, and the file of course/ that they import (course/data.py and the
# others are declared where a script or package reads them; this test follows the packages' own imports).
PACKAGES = {"starter_lstm": "starter_lstm", "roberta_transfer": "roberta_transfer", "deploy": "deploy",
            "course.run_results": "course/run_results.py"}
IMPORT = re.compile(r"^(\s*)(?:from|import)\s+(starter_lstm|roberta_transfer|deploy|course\.run_results)\b", re.M)


def imports_of(path: Path) -> set[str]:
    """The course packages that ``path`` (a file or a package folder) imports. A pipeline script's imports inside a
    function count only at the top level: checkpoints.py imports each stage's package in that stage's function."""
    files = sorted(path.rglob("*.py")) if path.is_dir() else [path]
    top_only = path.parent.name == "pipeline"
    return {PACKAGES[m] for f in files for indent, m in IMPORT.findall(f.read_text(encoding="utf-8"))
            if not (top_only and indent)}


def test_a_stage_depends_on_every_package_its_code_imports():
    """DVC re-runs a stage when a dependency changes: code it imports but does not declare would leave its results
    stale after a change (deploy imports roberta_transfer and starter_lstm to read checkpoints, for one)."""
    missing = {}
    for name, stage in stages().items():
        declared = set(stage["deps"])
        assert len(declared) == len(stage["deps"]), f"{name} names a dependency twice"
        todo = [d for d in declared if d.endswith(".py") or d in PACKAGES.values()]
        needed: set[str] = set()
        while todo:
            dep = todo.pop()
            for imported in imports_of(ROOT / dep) - needed:
                needed.add(imported)
                todo.append(imported)
        if needed - declared:
            missing[name] = sorted(needed - declared)
    assert not missing, f"stages that import these without depending on them: {missing}"
