"""The DVC pipeline (dvc.yaml) in the ci profile, in a temporary git copy of the repository (never this checkout):
from an empty cache it runs every stage; a second `dvc repro` runs nothing; changing one parameter re-runs only the
stages that depend on it; a missing input stops a stage with the course's own message.

Marked `pipeline`: scripts/test.sh runs it once, as its own step (it needs DVC, which the Colab-like environment
does not install), not with the unit tests.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from course.experiments import Source, environment, stages_run, temporary_copy

pytestmark = pytest.mark.pipeline
ROOT = Path(__file__).resolve().parents[2]
STAGES = ("lstm_small_pair", "lstm_curve", "behaviour", "why_transfer", "new_label", "part2_variants")


@pytest.fixture(scope="module")
def repo(tmp_path_factory):
    """A git copy of the checkout's files (with uncommitted edits), the ci profile in params.yaml, DVC set up with a
    local cache only and its usage analytics off (course.experiments, as chapter 07 of Part 2 makes it)."""
    return temporary_copy("ci", Source(str(ROOT)), parent=tmp_path_factory.mktemp("pipeline"))


def pipeline_env(work: Path, **changes) -> dict:
    return environment(work, HF_HUB_OFFLINE="1", **changes)


def dvc(repo: Path, *args, **env) -> tuple[str, float]:
    start = time.perf_counter()
    proc = subprocess.run(["dvc", *args], cwd=repo, env=pipeline_env(repo, **env), capture_output=True, text=True,
                          timeout=900)
    seconds = time.perf_counter() - start
    print(f"dvc {' '.join(args)}: {seconds:.1f} s")
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc.stdout + proc.stderr, seconds


def ran(output: str) -> set[str]:
    return set(stages_run(output))


def test_pipeline_runs_then_caches_then_reruns_only_what_a_parameter_touches(repo):
    out, _ = dvc(repo, "repro")  # DVC's cache is empty: every stage runs
    assert ran(out) == set(STAGES), out[-2000:]
    curve = json.loads((repo / "benchmarks/results/pipeline_ci_lstm_curve.json").read_text())
    assert curve["profile"] == "ci" and curve["sizes"] == [100, 400, 1600] and len(curve["results"]) == 9
    pair = json.loads((repo / "benchmarks/results/pipeline_ci_lstm_small_pair.json").read_text())
    assert set(pair["results"]) == {"random_1000", "glove_1000"}
    behaviour = json.loads((repo / "benchmarks/results/pipeline_ci_behaviour.json").read_text())
    assert behaviour["profile"] == "ci" and len(behaviour["models"]) == 4
    assert all(len(m["capability_failure_rates"]) == 6 for m in behaviour["models"].values())
    why = json.loads((repo / "benchmarks/results/pipeline_ci_why_transfer.json").read_text())
    assert why["profile"] == "ci" and set(why["models"]) == {"LSTM", "stage 1", "stage 2"}
    assert why["sizes"]["imdb_test"] == 400 and why["sizes"]["tweets_test"] > 0
    label = json.loads((repo / "benchmarks/results/pipeline_ci_new_label.json").read_text())["new_label"]
    assert label["labels"] == ["negative", "neutral", "positive"] and {"grown", "fresh"} <= set(label)
    variants = json.loads((repo / "benchmarks/results/pipeline_ci_part2_variants.json").read_text())["variants"]
    assert set(variants["variants"]) == {"head", "top", "full"}
    assert all(v["n_test"] == 400 for v in variants["variants"].values())
    lock = (repo / "dvc.lock").read_text()
    assert all(f"{s}:" in lock for s in STAGES)

    out, _ = dvc(repo, "repro")  # nothing changed: nothing runs
    assert ran(out) == set() and "didn't change, skipping" in out

    out, _ = dvc(repo, "exp", "run", "-S", "profile.learning_curve_sizes=[100,400]")
    assert ran(out) == {"lstm_curve"}, out[-2000:]  # neither the small pair nor the suite reads the curve's sizes
    curve = json.loads((repo / "benchmarks/results/pipeline_ci_lstm_curve.json").read_text())
    assert curve["sizes"] == [100, 400]
    shown, _ = dvc(repo, "params", "diff")
    assert "profile.learning_curve_sizes" in shown


def test_a_stage_without_its_data_fails_with_the_course_message(repo, tmp_path):
    empty = tmp_path / "no-mirror"
    empty.mkdir()
    proc = subprocess.run(["dvc", "repro", "--force", "lstm_small_pair"], cwd=repo, capture_output=True, text=True,
                          timeout=600, env=pipeline_env(repo, COURSE_MIRROR=str(empty)))
    assert proc.returncode != 0
    text = proc.stdout + proc.stderr
    assert "Missing input: Cannot load the dataset 'stanfordnlp/imdb'" in text and "COURSE_MIRROR" in text, text[-3000:]
    assert "Traceback" not in text, text[-3000:]
