"""The chapter times that start_chapter prints: every chapter notebook carries its facts in its metadata; ci (and
quick, where run) times are measured, each with its date, CPU and commit, in chapters/timings.json, written by
``python -m course.timings``; the GPU profiles' stage 1 and stage 2 come from one formula; the colab profile keeps each
chapter within about 15 minutes."""
from __future__ import annotations

import dataclasses
import json
import re
import types
from pathlib import Path

import pytest

import course
from course import PROFILES
from course import estimates as est
from course import timings

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((ROOT / "chapters").glob("*/*.ipynb"))
CHAPTER_KEYS = [nb.stem for nb in NOTEBOOKS]
MEASURED = json.loads((ROOT / "chapters" / "timings.json").read_text(encoding="utf-8"))["chapters"]


def test_every_chapter_notebook_has_its_facts_and_a_time_in_every_profile():
    assert len(CHAPTER_KEYS) >= 14 and len(set(CHAPTER_KEYS)) == len(CHAPTER_KEYS), "chapter names must be unique"
    assert est.chapter_keys() == CHAPTER_KEYS
    assert set(est.HARDWARE) == set(PROFILES)
    toc = (ROOT / "_toc.yml").read_text(encoding="utf-8")
    for key, nb in zip(CHAPTER_KEYS, NOTEBOOKS):
        facts = est.chapter_facts(key)
        assert facts["computes"] and f"file: {nb.relative_to(ROOT).with_suffix('').as_posix()}" in toc, key
        for name in PROFILES:
            assert est.estimate(key, PROFILES[name]) is not None, (key, name)
        for need in facts.get("needs", {}).get("chapters", []):
            assert CHAPTER_KEYS.index(need) < CHAPTER_KEYS.index(key), (key, need)


def test_ci_is_measured_for_every_chapter_and_each_measurement_says_when_where_and_at_which_commit():
    assert set(MEASURED) <= set(CHAPTER_KEYS)
    for key in CHAPTER_KEYS:
        assert "ci" in MEASURED.get(key, {}), f"{key}: no measured ci time (python -m course.timings junit ...)"
    for key, profiles in MEASURED.items():
        for name, m in profiles.items():
            assert name in ("ci", "quick") and m["seconds"] > 0, (key, name)
            assert re.fullmatch(r"20\d\d-\d\d-\d\d", m["date"]) and re.fullmatch(r"[0-9a-f]{7,40}", m["commit"])
            assert m["cpu"] and m["run"], (key, name)
            computed = est.chapter_facts(key).get("computed", {})
            assert set(computed.get(name, {})) <= {"before"}, f"{key}/{name}: measured, so a computed time is never shown"


@pytest.mark.parametrize("key", CHAPTER_KEYS)
def test_each_figure_says_how_it_was_obtained(key):
    facts = est.chapter_facts(key)
    for name, profile in PROFILES.items():
        found = est.estimate(key, profile)
        low, high = found.minutes
        assert 0 <= low <= high, (key, name)
        assert found.basis == (est.MEASURED if name in MEASURED.get(key, {}) else est.COMPUTED), (key, name)
        assert (found.before is not None) <= ("needs" in facts), f"{key}/{name}: say what is made first"
        text = est.describe(key, profile, est.HARDWARE[name].kind, est.HARDWARE[name].gpu)
        assert text.startswith(f"Chapter {key}: ") and "{" not in text, text
        assert ("Measured: " in text) != ("Computed, not measured: " in text), text
        if found.basis == est.MEASURED:
            m = MEASURED[key][name]
            assert m["date"] in text and m["cpu"] in text and m["commit"] in text
        assert est.HARDWARE[name].name in text and "rough guide" not in text and "far longer" not in text


def test_a_measured_time_becomes_minutes_and_what_is_made_first_adds_the_measured_chapters_before():
    ci = PROFILES["ci"]
    seconds = MEASURED["03_stage2_transfer_finetune"]["ci"]["seconds"]
    found = est.estimate("03_stage2_transfer_finetune", ci)
    assert found.minutes[0] <= seconds / 60 <= found.minutes[1]
    stage1 = MEASURED["02_stage1_frozen_encoder"]["ci"]["seconds"]
    assert found.before[0] <= stage1 / 60 <= found.before[1]
    # chapter 04 of Part 2 makes stage 2, which makes stage 1: both, once each
    both = est.estimate("04_imdb_to_sst2", ci).before
    assert both[0] <= (seconds + stage1) / 60 <= both[1]
    assert est._prerequisites("02_behavioural_tests") == ["04_lstm", "02_stage1_frozen_encoder",
                                                          "03_stage2_transfer_finetune", "01_shrink_and_export"]


def test_what_is_made_first_can_add_up_measured_parts_of_committed_results():
    from course.reference import figure

    quick = PROFILES["quick"]
    parts = est.chapter_facts("04_imdb_to_sst2")["computed"]["quick"]["before"]
    assert isinstance(parts, dict) and parts["checkpoints"] == ["stage2"], "measured work, not a typed number"
    seconds = sum(figure(f, k).value for f, k in est.CHECKPOINT_WORK["stage2"])
    assert 30 * 60 < seconds < 45 * 60  # stage 1's features and head, the full variant's training and test
    low, high = est.estimate("04_imdb_to_sst2", quick).before
    assert low <= seconds / 60 <= high and high - low <= 1
    with_lstm = est.estimate("06_why_transfer_pays", quick).before
    lstm = MEASURED["04_lstm"]["quick"]["seconds"]
    assert with_lstm[0] <= (seconds + lstm) / 60 <= with_lstm[1]
    assert est._measured_before({"chapters": ["no_such_chapter"]}, quick) is None  # nothing measured: no figure


def test_the_gpu_formula_sizes_the_colab_profile_within_15_minutes_a_chapter():
    colab, full = PROFILES["colab"], PROFILES["full"]
    stage1, how1 = est.gpu_minutes("stage1", colab)
    stage2, how2 = est.gpu_minutes("stage2", colab)
    # 16,000 reviews x 220 tokens x 0.25 GFLOP at 16.25 TFLOP/s; 2 x 10,000 x (top-2 + full) + 2 x 7,000 evaluated
    assert stage1 == pytest.approx(16_000 * 220 * 0.25e9 / 16.25e12 / 60, rel=1e-6) and "16,000 reviews" in how1
    assert 5 < stage2 < 7 and "2 epochs x 10,000 reviews" in how2 and "14,000 reviews of evaluation" in how2
    assert 2 * (stage1 + stage2) <= 15, "at half the assumed speed, stage 1 and 2 together stay within about 15 min"
    assert 10 < est.gpu_minutes("stage2", full)[0] < 14  # 24,000 reviews at 512 tokens on an L4
    doubled = dataclasses.replace(colab, transformer_n_train=20_000)
    assert est.gpu_minutes("stage2", doubled)[0] > 1.8 * stage2  # the formula follows the sizes
    with pytest.raises(ValueError, match="stage1"):
        est.gpu_minutes("stage3", colab)


def test_the_colab_profile_keeps_each_chapter_within_about_15_minutes():
    for key in CHAPTER_KEYS:
        found = est.estimate(key, PROFILES["colab"])
        before = found.before or (0, 0)
        assert found.minutes[1] <= 15, key  # the chapter's own work, even at the pessimistic end
        assert found.minutes[0] + before[0] <= 15, key  # in a fresh runtime, at the computed speed


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
    assert "Profile 'ci'" in out and "Chapter 04_lstm: trains the LSTM" in out and "Measured: " in out
    monkeypatch.setenv("JPY_SESSION_NAME", "chapters/part2_roberta_transfer/03_stage2_transfer_finetune.ipynb")
    course.start_chapter("ci")
    assert "Chapter 03_stage2_transfer_finetune: fine-tunes" in capsys.readouterr().out


JUNIT = """<?xml version="1.0" encoding="utf-8"?><testsuites><testsuite name="pytest" timestamp="2026-12-07T17:19:11+00:00">
<testcase classname="chapters.part1_starter_lstm.01_meet_imdb.ipynb" name="01_meet_imdb.ipynb" time="29.178" />
<testcase classname="chapters.part1_starter_lstm.04_lstm.ipynb" name="04_lstm.ipynb" time="40.0"><failure message="x"/></testcase>
<testcase classname="chapters.part2_roberta_transfer.02_stage1_frozen_encoder.ipynb" name="02_stage1_frozen_encoder.ipynb" time="38.94" />
<testcase classname="tests.test_x" name="test_y" time="1.0" />
</testsuite></testsuites>"""


def test_the_recorder_writes_passed_chapters_with_date_cpu_and_commit(tmp_path, capsys):
    junit = tmp_path / "chapters-junit.xml"
    junit.write_text(JUNIT, encoding="utf-8")
    out = tmp_path / "timings.json"
    out.write_text(json.dumps({"_about": "x", "chapters": {"04_lstm": {"quick": {"seconds": 1}}}}), encoding="utf-8")
    assert timings.main(["--out", str(out), "junit", str(junit), "--profile", "ci", "--commit", "abc1234"]) == 0
    written = json.loads(out.read_text(encoding="utf-8"))["chapters"]
    assert set(written) == {"01_meet_imdb", "02_stage1_frozen_encoder", "04_lstm"}
    assert "ci" not in written["04_lstm"] and written["04_lstm"]["quick"] == {"seconds": 1}  # failed: not recorded
    entry = written["01_meet_imdb"]["ci"]
    assert entry["seconds"] == 29.2 and entry["date"] == "2026-12-07" and entry["commit"] == "abc1234"
    assert entry["cpu"] == timings.cpu_model() and "2 durations written" in capsys.readouterr().out
    junit.write_text(JUNIT.replace('time="29.178" />', 'time="1"><skipped/></testcase>')
                     .replace("02_stage1", "99_nothing"), encoding="utf-8")
    with pytest.raises(SystemExit, match="no passed chapter"):
        timings.from_junit(junit)


def test_a_stage_result_gives_the_minutes_of_its_own_work():
    assert timings.stage_minutes({"minutes": 3.64}) == 3.64
    assert timings.stage_minutes({"minutes": {"models_made_or_loaded": 19.37, "total": 19.53}}) == pytest.approx(0.16)
    assert timings.stage_minutes({"parts": [{"wall_minutes": 35.64}]}) == 35.64
    with pytest.raises(ValueError, match="no minutes"):
        timings.stage_minutes({"benchmark": "x"})
    entries = timings.from_stages(ROOT / "pipeline" / "results")
    assert set(entries) == {k for k in CHAPTER_KEYS if est.chapter_facts(k).get("quick_stage")}
    for key, entry in entries.items():
        assert MEASURED[key]["quick"] == entry, f"{key}: chapters/timings.json is stale: python -m course.timings stages"
