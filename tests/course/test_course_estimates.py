"""The per-chapter estimates that start_chapter prints: one for every chapter notebook and every profile, each
saying whether it was measured (with a date) or computed, and the colab profile within about 15 minutes a chapter."""
from __future__ import annotations

import re
import types
from pathlib import Path

import pytest

import course
from course import PROFILES
from course import estimates as est

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((ROOT / "chapters").rglob("*.ipynb"))
CHAPTER_KEYS = [nb.stem for nb in NOTEBOOKS if ".ipynb_checkpoints" not in nb.parts]


def test_every_chapter_notebook_has_an_estimate_for_every_profile():
    assert len(CHAPTER_KEYS) >= 14 and len(set(CHAPTER_KEYS)) == len(CHAPTER_KEYS), "chapter names must be unique"
    assert set(est.CHAPTERS) == set(CHAPTER_KEYS), "course/estimates.py and chapters/ list different chapters"
    assert set(est.HARDWARE) == set(PROFILES)
    for key in CHAPTER_KEYS:
        assert set(est.CHAPTERS[key].estimates) == set(PROFILES), key


@pytest.mark.parametrize("key", CHAPTER_KEYS)
def test_each_estimate_says_how_it_was_obtained(key):
    chapter = est.CHAPTERS[key]
    for name, estimate in chapter.estimates.items():
        low, high = estimate.minutes
        assert 0 <= low <= high, (key, name)
        assert estimate.basis in (est.MEASURED, est.COMPUTED), (key, name)
        if estimate.basis == est.MEASURED:
            assert re.search(r"\b20\d\d-\d\d-\d\d\b", estimate.how), f"{key}/{name}: a measurement needs its date"
        assert (estimate.before is not None) <= bool(chapter.needs), f"{key}/{name}: say what is made first"
        text = est.describe(key, PROFILES[name], est.HARDWARE[name].kind, est.HARDWARE[name].gpu)
        assert text.startswith(f"Chapter {key}: ") and "{" not in text, text
        assert ("Measured: " in text) != ("Computed, not measured: " in text), text
        assert est.HARDWARE[name].name in text and "rough guide" not in text and "far longer" not in text


def test_the_colab_profile_keeps_each_chapter_within_about_15_minutes():
    for key in CHAPTER_KEYS:
        estimate = est.CHAPTERS[key].estimates["colab"]
        before = estimate.before or (0, 0)
        assert estimate.minutes[1] <= 15, key  # the chapter's own work, even at the pessimistic end
        assert estimate.minutes[0] + before[0] <= 15, key  # in a fresh runtime, at the computed speed


def test_sizes_fill_the_chapter_texts_from_the_profile():
    text = est.describe("04_lstm", PROFILES["ci"])
    assert text.splitlines()[0] == ("Chapter 04_lstm: trains the LSTM on 5,000 IMDb reviews (8 epochs, up to 128 tokens "
                                    "each), then tests it on 400.")
    colab = est.sizes(PROFILES["colab"])
    assert (colab["n_train"], colab["n_test"], colab["transformer_n_train"], colab["max_length"]) == \
        ("24,000", "5,000", "10,000", "256")
    assert colab["sst2_curve"] == "0, 100, 1,000 and 5,000"
    assert est.sizes(PROFILES["full"])["sst2_curve"].endswith("all")


def test_a_figure_for_other_hardware_says_so():
    colab = PROFILES["colab"]
    assert "far longer" in est.describe("04_lstm", colab, "cpu")
    assert "That figure is for a T4" in est.describe("04_lstm", colab, "cuda", "NVIDIA H200")
    assert "rough guide" in est.describe("04_lstm", PROFILES["ci"], "cuda", "Tesla T4")
    assert est.describe("04_lstm", colab, "cuda", "Tesla T4").count("\n") == 1
    assert est.describe("no_such_chapter", colab) is None


def test_the_chapter_comes_from_the_kernel_or_not_at_all(monkeypatch):
    monkeypatch.delenv("JPY_SESSION_NAME", raising=False)
    assert est.current_chapter() is None
    monkeypatch.setenv("JPY_SESSION_NAME", "/home/me/course/chapters/part1_starter_lstm/04_lstm.ipynb")
    assert est.current_chapter() == "04_lstm"
    monkeypatch.setenv("JPY_SESSION_NAME", "Untitled1.ipynb")
    assert est.current_chapter() is None
    monkeypatch.delenv("JPY_SESSION_NAME")
    import IPython

    shell = types.SimpleNamespace(user_ns={"__vsc_ipynb_file__": "c:/course/chapters/part3_deploy/03_flask_api.ipynb"})
    monkeypatch.setattr(IPython, "get_ipython", lambda: shell)
    assert est.current_chapter() == "03_flask_api"


def test_start_chapter_prints_the_estimate_only_for_a_known_chapter(monkeypatch, capsys):
    monkeypatch.delenv("JPY_SESSION_NAME", raising=False)
    course.start_chapter("ci")
    assert "Chapter " not in capsys.readouterr().out
    course.start_chapter("ci", chapter="04_lstm")
    out = capsys.readouterr().out
    assert "Profile 'ci'" in out and "Chapter 04_lstm: trains the LSTM" in out and "Computed, not measured: " in out
    monkeypatch.setenv("JPY_SESSION_NAME", "chapters/part2_roberta_transfer/03_stage2_transfer_finetune.ipynb")
    course.start_chapter("ci")
    assert "Chapter 03_stage2_transfer_finetune: fine-tunes" in capsys.readouterr().out
