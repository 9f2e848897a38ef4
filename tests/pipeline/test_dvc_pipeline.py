"""The DVC pipeline (dvc.yaml) in the ci profile, in a temporary git copy of the repository (never this checkout):
from an empty cache it runs every stage; a second `dvc repro` runs nothing; changing one parameter re-runs only the
stages that depend on it; the checkpoints are DVC outputs (in DVC's cache, never in git) that a remote can share;
the learning curves are DVC plots; a missing input stops a stage with the course's own message.

Marked `pipeline`: scripts/test.sh runs it once, as its own step (it needs DVC, which the Colab-like environment
does not install), not with the unit tests.

What is tested here is the pipeline's mechanics, which do not depend on sizes: the copy's params.yaml is the ci
profile with smaller sizes still (SMALL), as an experiment would set them (`dvc exp run -S`). The chapters, run by
the same test command, show what the ci sizes compute.
"""
from __future__ import annotations

import dataclasses
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from course.experiments import Source, environment, stages_run, temporary_copy
from course.profiles import PROFILES, write_params

pytestmark = pytest.mark.pipeline
ROOT = Path(__file__).resolve().parents[2]
CHECKPOINTS = {"lstm": ["part1/lstm"], "stage1": ["part2/stage1"], "stage2": ["part2/stage2"],
               "bundles": ["part3/bundle-fp32", "part3/bundle-int8"],
               "roberta_sized": ["part3/roberta-sized-fp32", "part3/roberta-sized-int8"]}
STAGES = (*CHECKPOINTS, "page", "lstm_small_pair", "lstm_curve", "behaviour", "why_transfer", "sst2_curve", "new_label",
          "part2_variants", "int8_variants", "serving")


# The ci profile's sizes made smaller for this test: a few dozen examples, one or two epochs, a 2-layer model where
# the serving benchmarks time a roberta-base-sized one. Every stage still runs its whole code path (each model
# trained, tested, exported, quantized, served) on them.
SMALL = dict(n_train=1000, n_val=48, n_test=64, sst2_n_train=64, sst2_n_val=48, lstm_epochs=2, lstm_min_steps=10,
             learning_curve_sizes=(50, 100), transformer_n_train=64, head_epochs=1, finetune_epochs=1, sst2_curve_sizes=(0, 16),
             tweet_n_train=48, tweet_n_test=48, latency_runs=3, roberta_sized_layers=2)


@pytest.fixture(scope="module")
def repo(tmp_path_factory):
    """A git copy of the checkout's files (with uncommitted edits), DVC set up with a local cache only and its usage
    analytics off (course.experiments, as chapter 07 of Part 2 makes it), and the ci profile with the SMALL sizes in
    its params.yaml, committed."""
    work = temporary_copy("ci", Source(str(ROOT)), parent=tmp_path_factory.mktemp("pipeline"))
    write_params(dataclasses.replace(PROFILES["ci"], **SMALL), work / "params.yaml")
    git(work, "commit", "-qam", "smaller sizes for the pipeline test")
    return work


def pipeline_env(work: Path, **changes) -> dict:
    return environment(work, HF_HUB_OFFLINE="1", **changes)


def dvc(repo: Path, *args, **env) -> tuple[str, float]:
    start = time.perf_counter()
    proc = subprocess.run(["dvc", *args], cwd=repo, env=pipeline_env(repo, **env), capture_output=True, text=True,
                          timeout=1800)
    seconds = time.perf_counter() - start
    print(f"dvc {' '.join(args)}: {seconds:.1f} s")
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc.stdout + proc.stderr, seconds


def git(repo: Path, *args) -> str:
    return subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=True).stdout


def ran(output: str) -> set[str]:
    return set(stages_run(output))


def roberta_parameters(layers: int) -> int:
    """Parameters of RobertaForSequenceClassification(RobertaConfig()) with ``layers`` encoder layers, 2 labels and
    roberta-base's 514 positions, counted from the shapes of roberta-base (no model built)."""
    vocab, positions, hidden, ffn = 50265, 514, 768, 3072
    embeddings = (vocab + positions + 2) * hidden + 2 * hidden  # word, position, RobertaConfig()'s 2 token types; LayerNorm
    layer = 4 * (hidden * hidden + hidden) + 2 * hidden + (hidden * ffn + ffn) + (ffn * hidden + hidden) + 2 * hidden
    head = (hidden * hidden + hidden) + (hidden * 2 + 2)  # RobertaClassificationHead: dense, then out_proj
    return embeddings + layers * layer + head


def test_pipeline_runs_then_caches_then_reruns_only_what_a_parameter_touches(repo):
    out, _ = dvc(repo, "repro")  # DVC's cache is empty: every stage runs
    assert ran(out) == set(STAGES), out[-2000:]
    curve = json.loads((repo / "pipeline/results/pipeline_ci_lstm_curve.json").read_text())
    assert curve["profile"] == "ci" and curve["sizes"] == [50, 100] and len(curve["results"]) == 6
    pair = json.loads((repo / "pipeline/results/pipeline_ci_lstm_small_pair.json").read_text())
    assert set(pair["results"]) == {"random_1000", "glove_1000"}
    behaviour = json.loads((repo / "pipeline/results/pipeline_ci_behaviour.json").read_text())
    assert behaviour["profile"] == "ci" and len(behaviour["models"]) == 4
    assert all(len(m["capability_failure_rates"]) == 6 for m in behaviour["models"].values())
    why = json.loads((repo / "pipeline/results/pipeline_ci_why_transfer.json").read_text())
    assert why["profile"] == "ci" and set(why["models"]) == {"LSTM", "stage 1", "stage 2"}
    assert why["sizes"]["imdb_test"] == SMALL["n_test"] and why["sizes"]["tweets_test"] > 0
    label = json.loads((repo / "pipeline/results/pipeline_ci_new_label.json").read_text())["new_label"]
    assert label["labels"] == ["negative", "neutral", "positive"] and {"grown", "fresh"} <= set(label)
    variants = json.loads((repo / "pipeline/results/pipeline_ci_part2_variants.json").read_text())["variants"]
    assert set(variants["variants"]) == {"head", "top", "full"}
    assert all(v["n_test"] == SMALL["n_test"] for v in variants["variants"].values())
    sst2 = json.loads((repo / "pipeline/results/pipeline_ci_sst2_curve.json").read_text())["sst2"]
    assert [r["sst2_train_sentences"] for r in sst2["curve"]] == [0, 16]
    assert all(0 <= r["imdb_model"] <= 1 and 0 <= r["pretrained_encoder"] <= 1 for r in sst2["curve"])
    assert set(sst2["imdb_model_minus_pretrained_encoder"]) == {"0", "16"}
    lock = yaml.safe_load((repo / "dvc.lock").read_text())["stages"]
    assert set(lock) == set(STAGES)
    for stage, folders in CHECKPOINTS.items():  # each checkpoint: a folder in DVC's cache, nothing of it in git
        outs = {o["path"]: o for o in lock[stage]["outs"]}
        assert set(outs) == {f"artifacts/ci/{f}" for f in folders}
        for path, out in outs.items():
            assert out["md5"].endswith(".dir") and out["nfiles"] >= 3, out
            assert (repo / ".dvc/cache/files/md5" / out["md5"][:2] / out["md5"][2:]).is_file()
            assert not git(repo, "ls-files", path)
            assert any(d["path"] == path for s in lock.values() for d in s.get("deps", []))
    assert {d["path"] for d in lock["behaviour"]["deps"]} >= {f"artifacts/ci/{f}" for stage, v in CHECKPOINTS.items()
                                                              if stage != "roberta_sized" for f in v}
    [page] = lock["page"]["outs"]  # the built web page: an output in the cache, read by the serving stage's slug
    assert page["path"] == "serve/frontend/dist" and (repo / "serve/frontend/dist/index.html").is_file()
    assert not git(repo, "ls-files", "serve/frontend/dist") and any(d["path"] == page["path"] for d in lock["serving"]["deps"])

    int8 = json.loads((repo / "pipeline/results/pipeline_ci_int8_variants.json").read_text())
    assert int8["profile"] == "ci" and set(int8["variants"]) == {"dynamic", "dynamic_ffn_output_fp32", "blockwise"}
    assert "int8_instructions" in int8["machine"]["cpu"]  # int8 timings depend on them: the result says which
    serving = json.loads((repo / "pipeline/results/pipeline_ci_serving.json").read_text())
    rb = serving["roberta_base_sized"]  # roberta_sized_layers reaches both stages that build the model
    assert rb["parameters_millions"] == round(roberta_parameters(SMALL["roberta_sized_layers"]) / 1e6, 1)
    assert rb["fp32"]["size_mb"] == pytest.approx(rb["parameters_millions"] * 4, rel=0.02)  # fp32: 4 bytes a weight
    assert rb["int8"]["size_mb"] < rb["fp32"]["size_mb"] / 3.5
    for name, row in int8["variants"].items():
        assert row["agreement"]["n_reviews"] == SMALL["n_test"] and 0 <= row["agreement"]["label_agreement"] <= 1
        assert row["roberta_base_sized"]["size_mb"] < rb["fp32"]["size_mb"] / 2, name  # every variant: int8 weights
        assert row["roberta_base_sized"]["latency_128_tokens"]["runs"] == SMALL["latency_runs"], name
    assert int8["variants"]["dynamic"]["roberta_base_sized"]["size_mb"] == rb["int8"]["size_mb"]  # one recipe, one size
    slug = serving["slug_roberta_int8"]
    assert slug["page"]["mb"] > 0 and slug["bundle"]["mb"] == pytest.approx(rb["int8"]["size_mb"], rel=0.02)
    assert rb["int8"]["latency_128_tokens"]["runs"] == SMALL["latency_runs"]  # profile.latency_runs reaches the stage
    assert serving["worker_roberta_int8"]["cold_start_s"] > 0 and serving["standin"]["int8_vs_fp32_imdb_test"]["n_reviews"] == SMALL["n_test"]

    out, _ = dvc(repo, "repro")  # nothing changed: nothing runs
    assert ran(out) == set() and "didn't change, skipping" in out

    shown, _ = dvc(repo, "plots", "show", "--json")  # the declared learning curves, as DVC draws them
    plots = json.loads(shown)["data"]
    for name, columns in (("lstm_curve", {"random", "glove_trainable", "glove_frozen"}),
                          ("sst2_curve", {"imdb_model", "pretrained_encoder"})):
        [entry] = [v for k, v in plots.items() if k.endswith(f"pipeline_ci_{name}.json")]
        assert entry and entry[0]["type"] == "vega", entry
        spec = json.dumps(entry[0]["content"])
        assert all(column in spec for column in columns), spec[:2000]

    out, _ = dvc(repo, "exp", "run", "-S", "profile.learning_curve_sizes=[50]")
    assert ran(out) == {"lstm_curve"}, out[-2000:]  # neither the small pair nor the suite reads the curve's sizes
    curve = json.loads((repo / "pipeline/results/pipeline_ci_lstm_curve.json").read_text())
    assert curve["sizes"] == [50]
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


def test_a_remote_shares_the_checkpoints(repo, tmp_path):
    """A classroom's remote is a folder (or an object store): `dvc push` copies the cache there, and a machine with
    an empty cache gets the checkpoints back with `dvc pull`, then has nothing to re-run."""
    dvc(repo, "remote", "add", "--local", "-d", "classroom", str(tmp_path / "classroom-remote"))
    dvc(repo, "push")
    stage2 = repo / "artifacts/ci/part2/stage2/model.safetensors"
    weights = stage2.read_bytes()
    shutil.rmtree(repo / ".dvc/cache")
    shutil.rmtree(repo / "artifacts/ci")
    dvc(repo, "pull")
    assert stage2.read_bytes() == weights
    out, _ = dvc(repo, "status", *CHECKPOINTS)  # the checkpoints (and what they depend on) are back, unchanged
    assert "up to date" in out, out


def test_a_checkpoint_stage_refuses_to_write_where_dvc_yaml_does_not_look(tmp_path):
    """dvc.yaml declares the checkpoints in artifacts/: a $COURSE_ARTIFACTS elsewhere (a Colab user's Drive folder)
    would leave DVC caching an empty folder, so the stage stops first and says what to do."""
    env = dict(os.environ, COURSE_ARTIFACTS=str(tmp_path), HF_HUB_OFFLINE="1")
    proc = subprocess.run([sys.executable, "pipeline/checkpoints.py", "lstm", "--profile", "ci"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 1, proc.stderr[-2000:]
    assert "unset COURSE_ARTIFACTS to run the pipeline" in proc.stderr and "Traceback" not in proc.stderr
    assert not any(tmp_path.iterdir())
