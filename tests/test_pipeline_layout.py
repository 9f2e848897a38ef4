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
