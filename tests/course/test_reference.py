"""Reference figures come from committed result files, with provenance; every figure a chapter names exists."""
from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
import yaml

from course import reference
from course.stats import bootstrap_interval, paired_bootstrap_difference

ROOT = Path(__file__).resolve().parents[2]
FIGURE_CALL = re.compile(r"""figure\(\s*["']([^"']+)["']\s*,\s*["']([^"']+)["']\s*\)""")


def test_figure_carries_its_provenance():
    fig = reference.figure("pipeline_quick_part2_variants.json", "variants.variants.full.test_accuracy")
    assert fig.value == pytest.approx(0.8944) and fig.profile == "quick" and fig.date == "2026-12-07"
    assert fig.commit and "2-core" in fig.machine and fig.file in fig.provenance()
    curve = reference.figure("pipeline_quick_sst2_curve.json", "sst2.curve.3.imdb_model")
    assert curve.value == pytest.approx(0.8498)


def test_unknown_files_and_figures_fail_clearly():
    with pytest.raises(reference.ReferenceError, match="no result file"):
        reference.figure("nothing_2020-01-01.json", "x")
    with pytest.raises(reference.ReferenceError, match="holds no figure"):
        reference.figure("pipeline_quick_part2_variants.json", "variants.variants.stage3.test_accuracy")
    with pytest.raises(reference.ReferenceError, match="not a number"):
        reference.figure("pipeline_quick_part2_variants.json", "profile")


def test_every_result_file_has_provenance():
    files = {p.name for p in reference.results_dir().glob("*.json")} - {reference.PROVENANCE}
    listed = set(json.loads((reference.results_dir() / reference.PROVENANCE).read_text())["files"])
    assert files == listed, (files - listed, listed - files)


def test_every_committed_result_file_is_made_by_a_stage_and_read_by_a_page():
    """A result file is committed because a page shows it: one that no chapter reads, or that no stage of dvc.yaml
    makes, is history, which git keeps (delete it). Benchmark results are read by the docs that quote them."""
    stages = yaml.safe_load((ROOT / "dvc.yaml").read_text())["stages"]
    made = {next(iter(m)) for s in stages.values() for m in s.get("metrics", [])}
    chapters = "".join(nb.read_text(encoding="utf-8") for nb in (ROOT / "chapters").rglob("*.ipynb"))
    for path in sorted(reference.results_dir().glob("pipeline_*.json")):
        profile, stage = re.fullmatch(r"pipeline_(ci|quick|colab|full)_(\w+)\.json", path.name).groups()
        assert f"pipeline/results/pipeline_${{profile.name}}_{stage}.json" in made, f"no stage makes {path.name}"
        assert re.search(rf"pipeline_(ci|quick)_{stage}\.json", chapters), f"no chapter reads {path.name}"
    docs = "".join(p.read_text(encoding="utf-8") for p in ROOT.glob("*/README.md"))
    for path in sorted((ROOT / "benchmarks" / "results").glob("*.json")):
        assert path.name in docs, f"{path.name} is quoted by no README"


def test_every_figure_a_chapter_names_is_in_a_result_file():
    named = []
    for nb in sorted((ROOT / "chapters").rglob("*.ipynb")):
        for cell in json.loads(nb.read_text(encoding="utf-8"))["cells"]:
            if cell["cell_type"] == "code":
                named += [(nb.name, f, k) for f, k in FIGURE_CALL.findall("".join(cell["source"]))]
    for chapter, file, key in named:
        reference.figure(file, key)  # raises ReferenceError naming the file and the key
    assert len(named) >= 1 or not named  # chapters may name none yet; each one named must resolve


def test_bootstrap_intervals():
    rng = np.random.default_rng(1)
    correct = rng.random(400) < 0.8
    low, high = bootstrap_interval(correct)
    assert low < correct.mean() < high and 0.03 < high - low < 0.12  # about +-4 points at n=400
    same = paired_bootstrap_difference(correct, correct)
    assert same == (0.0, 0.0, 0.0)
    better = paired_bootstrap_difference(np.ones(400), correct)
    assert better[0] == pytest.approx(1 - correct.mean()) and better[1] > 0


def test_lead_change_is_the_difference_of_paired_differences():
    from course.stats import lead_change

    rng = np.random.default_rng(3)
    a_home, b_home = rng.random(300) < 0.8, rng.random(300) < 0.8
    a_away, b_away = rng.random(200) < 0.75, rng.random(200) < 0.55
    change, low, high = lead_change(a_home, b_home, a_away, b_away)
    expected = (a_away.mean() - b_away.mean()) - (a_home.mean() - b_home.mean())
    assert change == pytest.approx(expected) and low < change < high
    assert lead_change(a_home, a_home, a_away, a_away) == (0.0, 0.0, 0.0)
