"""The lesson check of course/check_lessons.py: it reads glued figures and fails a page that shows noise."""
from __future__ import annotations

import json
import re
from pathlib import Path

from course import check_lessons

ROOT = Path(__file__).resolve().parents[2]


def test_every_chapter_glues_its_headline_figures_in_its_source():
    for rel, names in check_lessons.expected().items():
        source = "".join("".join(c["source"]) for c in json.loads((ROOT / "chapters" / rel).read_text())["cells"]
                         if c["cell_type"] == "code")
        found = set(re.findall(r"""glue\(\s*["']([a-z0-9_]+)["']""", source))
        assert set(names) <= found, (rel, set(names) - found)


def _executed(tmp_path, figures: dict[str, dict[str, float]], profile: str = "ci") -> Path:
    for rel, values in figures.items():
        outputs = [{"output_type": "stream", "name": "stdout", "text": [f"Profile '{profile}': ...\n"]}]
        outputs += [{"output_type": "display_data", "metadata": {"scrapbook": {"name": k, "mime_prefix": "x"}},
                     "data": {"application/papermill.record/text/plain": repr(v)}} for k, v in values.items()]
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({"cells": [{"cell_type": "code", "source": [], "outputs": outputs}]}))
    return tmp_path


def test_lessons_pass_and_fail(tmp_path):
    check = check_lessons
    good = {rel: {name: 0.8 for name in names} for rel, names in check.expected().items()}
    good["part2_roberta_transfer/03_stage2_transfer_finetune.ipynb"]["stage2_test_accuracy"] = 0.85
    good["part1_starter_lstm/06_transfer_glove.ipynb"]["glove_minus_random_smallest"] = 0.04
    assert check.check(_executed(tmp_path / "good", good)) == []
    bad = {rel: dict(v) for rel, v in good.items()}
    bad["part1_starter_lstm/04_lstm.ipynb"]["lstm_test_accuracy"] = 0.5
    bad["part1_starter_lstm/06_transfer_glove.ipynb"]["glove_minus_random_smallest"] = -0.01
    problems = check.check(_executed(tmp_path / "bad", bad))
    assert len(problems) == 2 and "chance" in problems[0] and "GloVe" in problems[1]
    assert check.check(_executed(tmp_path / "quick", bad, profile="quick")) == []  # lessons are checked in ci only
    del bad["part3_deploy/01_shrink_and_export.ipynb"]["int8_agreement"]
    assert any("int8_agreement" in p for p in check.check(_executed(tmp_path / "missing", bad)))


def test_the_command_line_exits_1_on_a_page_that_shows_noise(tmp_path, capsys):
    good = {rel: {name: 0.8 for name in names} for rel, names in check_lessons.expected().items()}
    good["part2_roberta_transfer/03_stage2_transfer_finetune.ipynb"]["stage2_test_accuracy"] = 0.85
    good["part1_starter_lstm/06_transfer_glove.ipynb"]["glove_minus_random_smallest"] = 0.04
    assert check_lessons.main([str(_executed(tmp_path / "good", good))]) == 0
    good["part1_starter_lstm/04_lstm.ipynb"]["lstm_test_accuracy"] = 0.5
    assert check_lessons.main([str(_executed(tmp_path / "bad", good))]) == 1
    assert "lesson check: the LSTM page shows 0.500" in capsys.readouterr().out
