"""Record how long the chapters took in a real run, into ``chapters/timings.json`` (what ``course.estimates`` prints
as measured). Nothing in that file is typed: each duration comes with its date, CPU model and commit.

Two sources:

- ``junit FILE --profile ci``: the JUnit XML that pytest writes for an nbmake run of the chapters
  (``scripts/test.sh`` writes ``runs/chapters-junit.xml`` while its other lane shares the cores: say so with
  ``--run``; any other run, in any profile, likewise). Only the chapters that passed are recorded.
- ``stages``: for each chapter whose notebook names a ``quick_stage``, that stage's committed quick result
  (``pipeline/results/pipeline_quick_<stage>.json``): the minutes its own work took, without the minutes spent
  making checkpoints first.

Usage: python -m course.timings junit runs/chapters-junit.xml --profile ci [--commit C] [--run TEXT]
       python -m course.timings stages
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

from .estimates import chapter_facts, chapter_keys, chapters_dir
from .paths import REPO_ROOT

ABOUT = ("Measured chapter durations, per chapter and profile, written by `python -m course.timings` (never by hand) "
         "from an nbmake run of the chapters or from a quick pipeline stage's result; read by course/estimates.py.")
# What a stage's result counts in its minutes besides the chapter's own work (made first when missing).
MAKING_FIRST = ("making_checkpoints", "models_made_or_loaded")


def cpu_model() -> str:
    """The CPU's model as /proc/cpuinfo names it ("unknown" where there is none)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            key, _, value = line.partition(":")
            if key.strip() == "model name":
                return value.strip()
    except OSError:
        pass
    return "unknown"


def head_commit(root: Path = REPO_ROOT) -> str:
    out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True, text=True,
                         check=True, timeout=30)
    return out.stdout.strip()


def from_junit(path: Path) -> tuple[dict[str, float], str]:
    """chapter -> seconds for every chapter notebook that passed in the JUnit file, and the run's date (UTC)."""
    tree = ET.parse(path)
    known, seconds, date = set(chapter_keys()), {}, None
    for suite in tree.iter("testsuite"):
        stamp = suite.get("timestamp")
        if stamp and date is None:
            date = dt.datetime.fromisoformat(stamp).date().isoformat()
        for case in suite.iter("testcase"):
            if any(case.find(tag) is not None for tag in ("failure", "error", "skipped")):
                continue
            name = " ".join(filter(None, (case.get("classname"), case.get("name"))))
            stems = {s for s in known if f"{s}.ipynb" in name}
            if len(stems) == 1:
                seconds[stems.pop()] = round(float(case.get("time", "nan")), 1)
    if not seconds:
        raise SystemExit(f"{path}: no passed chapter notebook in this JUnit file (run pytest --nbmake with --junitxml)")
    return seconds, date or dt.date.today().isoformat()


def stage_minutes(result: dict) -> float:
    """The minutes a stage's own work took, from its result file."""
    minutes = result.get("minutes")
    if isinstance(minutes, (int, float)):
        return float(minutes)
    if isinstance(minutes, dict):
        return float(minutes["total"]) - sum(float(minutes.get(k, 0)) for k in MAKING_FIRST)
    parts = result.get("parts")
    if parts:
        return float(sum(p["wall_minutes"] for p in parts))
    raise ValueError(f"result of {result.get('benchmark')!r} records no minutes")


def from_stages(results: Path) -> dict[str, dict]:
    """chapter -> the quick entry from its ``quick_stage``'s committed result."""
    provenance = json.loads((results / "provenance.json").read_text(encoding="utf-8"))["files"]
    entries = {}
    for key in chapter_keys():
        stage = chapter_facts(key).get("quick_stage")
        if not stage:
            continue
        name = f"pipeline_quick_{stage}.json"
        result = json.loads((results / name).read_text(encoding="utf-8"))
        cpu = (result.get("machine") or {}).get("cpu") or {}
        entries[key] = {"seconds": round(stage_minutes(result) * 60, 1),
                        "date": str(result.get("date_utc") or result.get("date"))[:10],
                        "cpu": cpu.get("model") or "a 2-core CPU whose model the run did not record",
                        "commit": result.get("commit") or provenance[name]["commit"],
                        "run": f"the quick pipeline stage {stage} (dvc repro), its own work"}
    return entries


def write(entries: dict[str, dict], profile: str, path: Path) -> None:
    data = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {"_about": ABOUT, "chapters": {}}
    for key, entry in entries.items():
        data["chapters"].setdefault(key, {})[profile] = entry
    order = {k: i for i, k in enumerate(chapter_keys())}
    data["chapters"] = {k: dict(sorted(v.items())) for k, v in sorted(data["chapters"].items(), key=lambda kv: order[kv[0]])}
    path.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m course.timings", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="source", required=True)
    junit = sub.add_parser("junit", help="durations of an nbmake run (pytest --junitxml)")
    junit.add_argument("file", type=Path)
    junit.add_argument("--profile", required=True, choices=["ci", "quick"])
    junit.add_argument("--commit", help="the commit the chapters ran at (default: this checkout's HEAD)")
    junit.add_argument("--run", default="nbmake, each chapter in a fresh kernel, in the order of the book",
                       help="how the chapters ran, in words")
    sub.add_parser("stages", help="the quick pipeline stages' committed results")
    parser.add_argument("--out", type=Path, default=None, help="default: chapters/timings.json")
    args = parser.parse_args(argv)
    out = args.out or chapters_dir() / "timings.json"
    if args.source == "junit":
        seconds, date = from_junit(args.file)
        meta = {"date": date, "cpu": cpu_model(), "commit": args.commit or head_commit(), "run": args.run}
        entries = {key: {"seconds": s, **meta} for key, s in seconds.items()}
        write(entries, args.profile, out)
        profile = args.profile
    else:
        entries = from_stages(REPO_ROOT / "pipeline" / "results")
        write(entries, "quick", out)
        profile = "quick"
    for key, entry in entries.items():
        print(f"{profile:>5} {key:<32} {entry['seconds']:>7.1f} s  {entry['date']}  {entry['commit']}  {entry['cpu']}")
    print(f"{len(entries)} durations written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
