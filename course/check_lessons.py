"""Check what the executed chapters glued: every headline figure is there, and (in the ci profile) the pages show
their lessons rather than noise. The figures are read from the executed notebooks' glue outputs.

Usage: python -m course.check_lessons EXECUTED_CHAPTERS_DIR
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

from .estimates import chapter_facts, chapters_dir


def expected() -> dict[str, list[str]]:
    """chapter notebook (``part1_starter_lstm/04_lstm.ipynb``) -> the figures it must glue: the ``glued`` list of
    each notebook's metadata (``course.estimates``; ARCHITECTURE.md, "Results on the page")."""
    out = {}
    for nb in sorted(chapters_dir().glob("*/*.ipynb")):
        names = chapter_facts(nb.stem).get("glued")
        if names:
            out[f"{nb.parent.name}/{nb.name}"] = list(names)
    return out


def glued(notebook: Path) -> dict[str, float]:
    """name -> value of every figure the executed notebook glued."""
    values = {}
    for cell in json.loads(notebook.read_text(encoding="utf-8"))["cells"]:
        for out in cell.get("outputs", []):
            name = out.get("metadata", {}).get("scrapbook", {}).get("name")
            if name:
                text = next(v for k, v in out["data"].items() if k.endswith("text/plain"))
                values[name] = float("".join(text) if isinstance(text, list) else text)
    return values


def profile_of(notebook: Path) -> str | None:
    for cell in json.loads(notebook.read_text(encoding="utf-8"))["cells"]:
        for out in cell.get("outputs", []):
            text = "".join(out.get("text", ""))
            if text.startswith("Profile '"):
                return text.split("'")[1]
    return None


def check(chapters: Path, report: dict | None = None) -> list[str]:
    """Problems found (empty when all is well); ``report``, if given, receives every glued figure by name."""
    problems, values, profiles = [], {}, set()
    for rel, names in expected().items():
        nb = chapters / rel
        if not nb.is_file():
            problems.append(f"{rel}: not found in {chapters}")
            continue
        got = glued(nb)
        profiles.add(profile_of(nb))
        problems += [f"{rel}: glues no figure named {name!r}" for name in names if name not in got]
        values.update(got)
    if report is not None:
        report.update(values)
    if profiles == {"ci"} and not problems:  # the lessons the ci build must show (issue: the book's real numbers)
        if values["lstm_test_accuracy"] < 0.70:
            problems.append(f"the LSTM page shows {values['lstm_test_accuracy']:.3f}: not clearly above chance (< 0.70)")
        if values["stage2_test_accuracy"] <= values["stage1_test_accuracy"]:
            problems.append(f"stage 2 ({values['stage2_test_accuracy']}) does not beat stage 1 ({values['stage1_test_accuracy']})")
        if values["glove_minus_random_smallest"] <= 0:
            problems.append(f"GloVe does not beat random at the smallest size ({values['glove_minus_random_smallest']:+.3f})")
    return problems


def main(argv: list[str] | None = None) -> int:
    chapters = Path((sys.argv[1:] if argv is None else argv)[0])
    figures: dict[str, float] = {}
    problems = check(chapters, figures)
    print("glued:", ", ".join(f"{name} {value:g}" for name, value in sorted(figures.items())))
    for p in problems:
        print("lesson check:", p)
    want = expected()
    n = sum(len(v) for v in want.values())
    print(f"lessons: {n} glued figures checked in {len(want)} chapters, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
