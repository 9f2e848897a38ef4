"""The first cell of every chapter: Colab set-up, profile and device report (ARCHITECTURE.md, "Colab and the book").

The repository URL lives in one place, ``repository.url`` in ``_config.yml``. Colab cannot read that file
before the course is installed, so each notebook's first cell carries a copy that ``python -m course.colab
sync`` writes from ``_config.yml`` (a fork changes that one line, then runs sync); the tests fail if a copy
is stale.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


ROOT = Path(__file__).resolve().parent.parent
SETUP_TAG = "colab-setup"
PACKAGE = "sentiment-transfer-course"

SETUP_TEMPLATE = '''# Set-up. On Google Colab this installs the course's own packages and what Colab lacks, once per runtime (never
# torch: Colab's own build matches its GPU). On your own machine follow book/setup.md; this cell installs nothing there.
# Colab starts every notebook on a fresh machine. To keep checkpoints from one chapter to the next on Google Drive,
# remove the # in front of the next line:
# from google.colab import drive; drive.mount("/content/drive"); import os; os.environ["COURSE_ARTIFACTS"] = "/content/drive/MyDrive/sentiment-course"
# How much work each chapter does: ci (minutes anywhere), colab (one free T4 GPU), quick (a laptop CPU), full (a large
# GPU). Unset, it is chosen for your hardware; to choose, remove the # in front of the next line and pick one:
# %env COURSE_PROFILE=ci
import importlib.util, sys
if "google.colab" in sys.modules and importlib.util.find_spec("course") is None:
    %pip install -q "{package}[colab] @ git+{url}"

from course import start_chapter
profile = start_chapter(chapter="{chapter}")'''


def repository_url(config: Path = ROOT / "_config.yml") -> str:
    import yaml

    with config.open(encoding="utf-8") as fh:
        url = yaml.safe_load(fh)["repository"]["url"]
    return url.rstrip("/")


def setup_cell_source(url: str | None = None, chapter: str = "") -> str:
    """The set-up cell of the chapter notebook called ``chapter`` (its file name without ``.ipynb``)."""
    return SETUP_TEMPLATE.format(package=PACKAGE, url=url or repository_url(), chapter=chapter)


def chapter_notebooks(root: Path = ROOT) -> list[Path]:
    return sorted((root / "chapters").glob("*/*.ipynb"))


def _setup_cell(nb: dict) -> dict | None:
    for cell in nb["cells"]:
        if SETUP_TAG in cell.get("metadata", {}).get("tags", []):
            return cell
    return None


def stale_setup_cells(root: Path = ROOT) -> list[str]:
    """Notebooks whose first code cell is not the tagged set-up cell with the current repository URL."""
    url = repository_url(root / "_config.yml")
    problems = []
    for path in chapter_notebooks(root):
        expected = setup_cell_source(url, path.stem)
        nb = json.loads(path.read_text(encoding="utf-8"))
        code = [c for c in nb["cells"] if c["cell_type"] == "code"]
        cell = _setup_cell(nb)
        if cell is None or not code or code[0] is not cell:
            problems.append(f"{path.relative_to(root)}: first code cell is not tagged '{SETUP_TAG}'")
        elif "".join(cell["source"]) != expected:
            problems.append(f"{path.relative_to(root)}: set-up cell differs from _config.yml (run: python -m course.colab sync)")
    return problems


def sync(root: Path = ROOT) -> list[Path]:
    """Rewrite every chapter's set-up cell from ``_config.yml``. Returns the notebooks it changed."""
    url = repository_url(root / "_config.yml")
    changed = []
    for path in chapter_notebooks(root):
        source = setup_cell_source(url, path.stem)
        nb = json.loads(path.read_text(encoding="utf-8"))
        cell = _setup_cell(nb)
        if cell is None:
            raise SystemExit(f"{path}: no cell tagged '{SETUP_TAG}'; add the set-up cell first")
        if "".join(cell["source"]) != source:
            cell["source"] = source.splitlines(keepends=True)
            path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
            changed.append(path)
    return changed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m course.colab", description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["sync", "check"], help="sync: rewrite set-up cells; check: list stale ones")
    args = parser.parse_args(argv)
    if args.command == "sync":
        for path in sync():
            print(f"updated {path.relative_to(ROOT)}")
        return 0
    problems = stale_setup_cells()
    print("\n".join(problems) or "all set-up cells match _config.yml")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
