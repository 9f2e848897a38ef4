"""Part 3's benchmark scripts as the pipeline's int8_variants and serving stages run them (dvc.yaml): they read
bundles other stages made, refuse a folder that is not a bundle with a message saying what to do, and never change
a bundle they measure (a DVC output)."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from deploy import measure
from deploy.gate import BUDGETS_FILE, GateError
from deploy.onnx_bundle import export_bundle
from deploy.stage import stage
from helpers.bundles import build_tiny_model

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "pipeline"))


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> Path:
    model, tokenizer, spec = build_tiny_model()
    out = tmp_path_factory.mktemp("bundle") / "tiny"
    export_bundle(model, tokenizer, spec, out, texts=["a great film", "a dull film"])
    return out


@pytest.mark.parametrize("command", [
    ["pipeline/int8_variants.py", "{folder}", "--profile", "ci"],
    ["pipeline/int8_variants.py", "{bundle}", "--roberta-fp32-bundle", "{folder}", "--profile", "ci"],
    ["pipeline/serving.py", "--profile", "ci", "--roberta-bundles", "{bundle}", "{folder}"],
])
def test_a_folder_that_is_not_a_bundle_is_refused_with_what_to_do(command, tiny, tmp_path):
    folder = tmp_path / "not-a-bundle"
    folder.mkdir()
    args = [a.format(folder=folder, bundle=tiny) for a in command]
    proc = subprocess.run([sys.executable, *args], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 1, proc.stderr[-2000:]
    assert f"{folder} is not a bundle (no bundle.json)" in proc.stderr and "dvc repro" in proc.stderr
    assert "Traceback" not in proc.stderr and proc.stdout == ""


def test_the_slug_of_an_untrained_bundle_is_measured_on_a_copy_with_the_gate_lifted(tiny, tmp_path, monkeypatch):
    import serving

    bundle = tmp_path / "untrained"
    shutil.copytree(tiny, bundle)
    (bundle / BUDGETS_FILE).write_text(json.dumps({"budgets": {"vocabulary": 0.0, "negation": 0.0, "contrast": 0.0,
                                                               "temporal": 0.0, "invariance": 0.0, "direction": 0.0}}))
    with pytest.raises(GateError):  # with its own budgets the gate refuses it: lifting them is what lets staging on
        stage(shutil.copytree(bundle, tmp_path / "gated"), tmp_path / "ship-gated", page=False)
    before = {p.name: p.read_bytes() for p in bundle.iterdir()}
    staged = []

    def slug_estimate(bundle_dir):  # the real one pip-installs the serving requirements; staging is what matters here
        staged.append(Path(bundle_dir))
        stage(bundle_dir, tmp_path / "ship", page=False)  # runs the gate, which writes its rates into bundle.json
        return {"bundle": {"mb": 0.1}}

    monkeypatch.setattr(measure, "slug_estimate", slug_estimate)
    result = serving.slug_of_untrained(bundle)
    assert staged and staged[0] != bundle and not staged[0].exists()  # a temporary copy, gone afterwards
    assert {p.name: p.read_bytes() for p in bundle.iterdir()} == before  # the measured bundle is unchanged
    assert "lifted" in result["behavioural_gate"]
    shipped = json.loads((tmp_path / "ship" / "bundle" / "bundle.json").read_text())
    assert shipped["behaviour"]["passed"] and set(shipped["behaviour"]["budgets"].values()) == {1.0}
