"""The behavioural gate before shipping (deploy/gate.py): a bundle over its budgets is refused with a message naming
each capability over budget, one within them is staged, and the rates are recorded and served."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from deploy.gate import BUDGETS_FILE, DEFAULT_BUDGETS, GateError, check_bundle
from deploy.onnx_bundle import export_bundle
from deploy.stage import stage
from helpers.bundles import build_tiny_model
from serve.app import create_app
from serve.behaviour import CAPABILITIES, bundle_p_positive, read_budgets, run_suite
from serve.bundle import Bundle

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    model, tokenizer, spec = build_tiny_model()
    out = tmp_path_factory.mktemp("bundle") / "tiny"
    export_bundle(model, tokenizer, spec, out, texts=["a great film", "a dull film"])
    rates = run_suite(bundle_p_positive(Bundle(out))).capability_rates()
    return out, rates


@pytest.fixture
def bundle(tiny, tmp_path):
    copy = tmp_path / "bundle"
    shutil.copytree(tiny[0], copy)
    return copy


def set_budgets(bundle: Path, budgets: dict) -> None:
    (bundle / BUDGETS_FILE).write_text(json.dumps({"budgets": budgets}))


def test_export_writes_the_default_budgets_next_to_bundle_json(tiny):
    assert (tiny[0] / BUDGETS_FILE).read_text() == DEFAULT_BUDGETS.read_text()
    assert set(read_budgets(DEFAULT_BUDGETS)) == set(CAPABILITIES)


def test_bundle_within_budgets_is_staged_and_its_rates_are_served(tiny, bundle, tmp_path):
    rates = tiny[1]
    set_budgets(bundle, {c: min(1.0, r + 0.01) for c, r in rates.items()})
    ship = stage(bundle, tmp_path / "ship", page=False)
    recorded = json.loads((ship / "bundle" / "bundle.json").read_text())["behaviour"]
    assert recorded["capability_failure_rates"] == rates and recorded["passed"] and recorded["over_budget"] == []
    assert json.loads((bundle / "bundle.json").read_text())["behaviour"] == recorded  # recorded in the source too
    info = create_app(ship / "bundle").test_client().get("/api/model").get_json()
    assert info["behaviour"]["capability_failure_rates"] == rates
    assert info["behaviour"]["budgets"] == {c: min(1.0, r + 0.01) for c, r in rates.items()}


def test_bundle_over_budget_is_refused_naming_each_capability(tiny, bundle, tmp_path):
    rates = tiny[1]
    failing = sorted(c for c, r in rates.items() if r > 0)
    assert failing, "the tiny random model should fail some cases"
    over = failing[:2]
    set_budgets(bundle, {c: (rates[c] - 0.001 if c in over else 1.0) for c in CAPABILITIES})
    with pytest.raises(GateError) as info:
        stage(bundle, tmp_path / "ship", page=False)
    message = str(info.value)
    for cap in CAPABILITIES:
        assert (f"  {cap}: fails {100 * rates[cap]:.1f}% of its cases" in message) == (cap in over), message
    assert "--accept-over-budget" in message and BUDGETS_FILE in message
    assert not (tmp_path / "ship").exists()  # nothing staged
    recorded = json.loads((bundle / "bundle.json").read_text())["behaviour"]
    assert recorded["passed"] is False and recorded["over_budget"] == over and not recorded["accepted_over_budget"]


def test_accepting_over_budget_stages_and_records_the_acceptance(tiny, bundle, tmp_path):
    set_budgets(bundle, {c: 0.0 for c in CAPABILITIES})
    ship = stage(bundle, tmp_path / "ship", page=False, accept_over_budget=True)
    recorded = json.loads((ship / "bundle" / "bundle.json").read_text())["behaviour"]
    assert recorded["accepted_over_budget"] and not recorded["passed"]
    assert recorded["over_budget"] == sorted(c for c, r in tiny[1].items() if r > 0)


def test_command_line_refuses_with_the_message_and_exit_code_1(bundle, tmp_path):
    set_budgets(bundle, {c: 0.0 for c in CAPABILITIES})
    (tmp_path / "index.html").write_text("<!doctype html>")  # a built page, so that only the gate can refuse
    proc = subprocess.run([sys.executable, "-m", "deploy.stage", "--bundle", str(bundle), "--out", str(tmp_path / "s"),
                           "--frontend", str(tmp_path)], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 1 and "over its behavioural budget" in proc.stdout and "Traceback" not in proc.stderr
    assert not (tmp_path / "s").exists()


def test_missing_or_broken_budgets_stop_the_gate_with_what_to_do(bundle, tmp_path):
    (bundle / BUDGETS_FILE).unlink()
    with pytest.raises(ValueError, match="copy deploy/behaviour_budgets.json"):
        check_bundle(bundle)
    proc = subprocess.run([sys.executable, "-m", "deploy.gate", str(bundle)], cwd=ROOT, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 1 and "copy deploy/behaviour_budgets.json" in proc.stdout and "Traceback" not in proc.stderr
    set_budgets(bundle, {"vocabulary": 0.1})
    with pytest.raises(ValueError, match="no budget for negation"):
        check_bundle(bundle)


def test_suite_runs_on_a_bundle_without_torch_as_on_a_host(tiny):
    """`python -m serve.behaviour BUNDLE`: the same rates as above, with only the serving code imported."""
    code = ("import json, sys, io, contextlib; from serve.behaviour import main; out = io.StringIO()\n"
            "with contextlib.redirect_stdout(out): main([sys.argv[1]])\n"
            "assert not [m for m in ('torch', 'transformers', 'course', 'deploy') if m in sys.modules]\n"
            "print(json.dumps(json.loads(out.getvalue())['capability_failure_rates']))")
    proc = subprocess.run([sys.executable, "-c", code, str(tiny[0])], cwd=ROOT, capture_output=True, text=True,
                          timeout=300, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert json.loads(proc.stdout.strip().splitlines()[-1]) == tiny[1]
