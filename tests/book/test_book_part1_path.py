"""The beginner's path through Part 1: every chapter says what you will learn, what you need and how long it takes
in each profile, and ends with questions whose answers are hidden until asked for."""
import json
import re
from pathlib import Path

import pytest

import yaml

from course.estimates import chapter_facts, estimate, time_table
from course.profiles import PROFILES

ROOT = Path(__file__).resolve().parents[2]
PART1 = sorted((ROOT / "chapters" / "part1_starter_lstm").glob("*.ipynb"))
ANSWER = re.compile(r"<details>\n<summary>Answer</summary>\n\n(.+?)\n\n</details>", flags=re.S)


def cells(path):
    return [("".join(c["source"]), c["cell_type"]) for c in json.loads(path.read_text(encoding="utf-8"))["cells"]]


def test_part1_reads_in_the_order_of_its_file_names():
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    part1 = next(p for p in toc["parts"] if p["caption"].startswith("Part 1"))
    assert [c["file"] for c in part1["chapters"]] == [p.relative_to(ROOT).with_suffix("").as_posix() for p in PART1]
    assert len(PART1) >= 6


@pytest.mark.parametrize("path", PART1, ids=lambda p: p.stem)
def test_chapter_states_objectives_needs_and_times(path):
    first, kind = cells(path)[0]
    assert kind == "markdown" and "**What you will learn**" in first and "**What you need**" in first
    assert len(re.findall(r"(?m)^- ", first.split("**What you will learn**")[1].split("**What you need**")[0])) >= 3
    calls = [s for s, k in cells(path) if k == "code" and f'chapter_times("{path.stem}")' in s]
    assert len(calls) == 1, "one chapter_times cell naming this chapter"
    assert chapter_facts(path.stem)["computes"]


@pytest.mark.parametrize("path", PART1, ids=lambda p: p.stem)
def test_chapter_ends_with_questions_and_hidden_answers(path):
    last, kind = cells(path)[-1]
    assert kind == "markdown" and last.startswith("## Check your understanding")
    questions = re.findall(r"(?m)^\*\*(\d+)\.\*\* ", last)
    answers = ANSWER.findall(last)
    assert len(questions) >= 5 and questions == [str(i) for i in range(1, len(questions) + 1)]
    assert len(answers) == len(questions) and all(len(a) > 40 for a in answers)
    assert last.count("<details>") == last.count("</details>") == len(questions)


def test_time_table_has_every_profile_and_says_how_each_figure_was_obtained():
    rows = time_table("06_why_transfer_pays")
    assert [r["profile"] for r in rows] == ["ci", "quick", "colab", "full"]
    assert all(r["basis"] in ("measured", "computed") for r in rows)
    ci, found = rows[0], estimate("06_why_transfer_pays", PROFILES["ci"])
    low, high = found.minutes[0] + found.before[0], found.minutes[1] + found.before[1]
    assert ci["first_time"] == (f"under {high:g} min" if low == 0 else f"about {low:g}-{high:g} min")
    assert time_table("03_neural_network_basics")[0]["first_time"] is None
    with pytest.raises(KeyError, match="metadata"):
        time_table("99_nothing")
