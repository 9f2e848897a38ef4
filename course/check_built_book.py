"""Check a built book: every chapter in _toc.yml has a page, with its executed outputs and a Colab button.

Usage: python -m course.check_built_book _build/html
"""
from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import yaml

from .paths import REPO_ROOT as ROOT


def toc_files(toc: Path) -> list[str]:
    data = yaml.safe_load(toc.read_text())
    files = [data["root"]]

    def walk(entries):
        for entry in entries:
            if "file" in entry:
                files.append(entry["file"])
            walk(entry.get("sections", []))  # a chapter's sub-pages (Parts 2 and 3)

    for part in data.get("parts", []):
        walk(part.get("chapters", []))
    return files


def main(html_dir: str) -> int:
    html = Path(html_dir)
    problems, checked = [], 0
    for entry in toc_files(ROOT / "_toc.yml"):
        page = html / f"{entry}.html"
        if not page.is_file():
            problems.append(f"{entry}: no page {page}")
            continue
        checked += 1
        notebook = ROOT / f"{entry}.ipynb"
        if not notebook.is_file():
            continue
        text = page.read_text(encoding="utf-8")
        colab = f"colab.research.google.com/github/"
        if colab not in text or f"{entry}.ipynb" not in text:
            problems.append(f"{entry}: no Colab launch link")
        if "cell_output" not in text:
            problems.append(f"{entry}: no executed outputs on the page")
        if re.search(r"Traceback \(most recent call last\)|<span class=\"ansi-red-fg\">\w*Error", text):
            problems.append(f"{entry}: an error is shown on the page")
        nb = json.loads(notebook.read_text())
        plots = sum("plt.show()" in "".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code")
        images = len(re.findall(r"<img[^>]+src=\"[^\"]*_images/", text))
        if images < plots:
            problems.append(f"{entry}: {plots} plots in the notebook but {images} images on the page")
    for p in problems:
        print("FAIL", p)
    print(f"built book: {checked} pages checked, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1] if len(sys.argv) > 1 else "_build/html"))
