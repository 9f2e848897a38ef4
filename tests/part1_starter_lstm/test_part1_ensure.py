"""Part 1: ``ensure_lstm`` makes chapter 03's checkpoint once, reuses it, and remakes it when the sizes change."""
from __future__ import annotations

import dataclasses
import json

import pytest

import course
from starter_lstm import load_checkpoint, predict
from starter_lstm import recipes

# A profile small enough to train in a second: the ci profile with tiny sizes.
TINY = dataclasses.replace(course.get_profile("ci"), n_train=64, n_val=16, n_test=16, lstm_vocab_size=300,
                           lstm_embed_dim=8, lstm_hidden=8, lstm_epochs=1, lstm_max_tokens=24, lstm_head_tokens=6,
                           lstm_batch_size=16)


@pytest.fixture
def counted_fit(monkeypatch):
    """Count the calls of ``fit`` made by the recipes (still training for real)."""
    calls = []
    real_fit = recipes.fit

    def fit(*args, **kwargs):
        calls.append(kwargs.get("epochs"))
        return real_fit(*args, **kwargs)

    monkeypatch.setattr(recipes, "fit", fit)
    return calls


def test_ensure_lstm_trains_once_then_reuses_and_retrains_for_other_sizes(mirror, tmp_path, monkeypatch, capsys,
                                                                          counted_fit):
    monkeypatch.setenv("COURSE_ARTIFACTS", str(tmp_path))

    folder = recipes.ensure_lstm(TINY, progress=False)
    assert folder == tmp_path / "ci" / "part1" / "lstm" == recipes.lstm_dir(TINY)
    assert counted_fit == [TINY.lstm_epochs], "the first call must train, with the profile's epochs"
    assert "No current LSTM checkpoint" in capsys.readouterr().out, "it says what it does before training"
    model, vocab, config = load_checkpoint(folder)  # chapter 03's format: loads strictly
    assert config["data"] == json.loads(json.dumps(recipes.data_signature(TINY)))
    assert (config["max_tokens"], config["head_tokens"], config["profile"]) == (24, 6, "ci")
    assert (config["hidden_size"], config["embed_dim"]) == (8, 8) and len(vocab) <= 300
    assert 0 <= config["metrics"]["test_accuracy"] <= 1 and config["metrics"]["n_test"] == 16
    assert predict(model, vocab, ["A fine film."])[0]["label"] in ("negative", "positive")

    # The second call finds it current: no training at all.
    def no_training(*args, **kwargs):
        raise AssertionError("ensure_lstm trained although a current checkpoint was there")

    monkeypatch.setattr(recipes, "fit", no_training)
    weights = folder / "model.safetensors"
    stamp = weights.stat().st_mtime_ns
    assert recipes.ensure_lstm(TINY, progress=False) == folder
    assert weights.stat().st_mtime_ns == stamp
    assert capsys.readouterr().out == ""

    # Other sizes (or a checkpoint that records none, as an older chapter 03 saved): it trains again.
    monkeypatch.undo()
    monkeypatch.setenv("COURSE_ARTIFACTS", str(tmp_path))
    retrained = []
    real_fit = recipes.fit
    monkeypatch.setattr(recipes, "fit", lambda *a, **k: retrained.append(1) or real_fit(*a, **k))
    bigger = dataclasses.replace(TINY, n_train=96)
    assert recipes.ensure_lstm(bigger, progress=False) == folder
    assert retrained == [1] and load_checkpoint(folder)[2]["data"]["n_train"] == 96
    assert not recipes.is_current(folder, TINY) and recipes.is_current(folder, bigger)

    config_path = folder / "config.json"
    unsigned = json.loads(config_path.read_text(encoding="utf-8"))
    del unsigned["data"]
    config_path.write_text(json.dumps(unsigned), encoding="utf-8")
    assert not recipes.is_current(folder, bigger)
    recipes.ensure_lstm(bigger, progress=False)
    assert retrained == [1, 1] and recipes.is_current(folder, bigger)
