"""Every script or test that the book, the docs or the code names by its path exists, and every section of
ARCHITECTURE.md they name too: a file that moves or is renamed, or a section retitled, takes its mentions with it."""
from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FOLDERS = ("tests", "scripts", "benchmarks", "pipeline", "course", "starter_lstm", "roberta_transfer", "deploy", "serve")
# a path inside the repository, ending in .py or .sh, not part of a longer path or word
PATH = re.compile(rf"(?<![\w/.-])((?:{'|'.join(FOLDERS)})/[\w./-]*\.(?:py|sh))\b")


def named_paths(text: str) -> set[str]:
    return set(PATH.findall(text))


def test_the_pattern_finds_paths_and_nothing_else():
    text = "see `tests/serve/test_serve_api.py`, scripts/test.sh and course.check_lessons; not a/tests/x.py"
    assert named_paths(text) == {"tests/serve/test_serve_api.py", "scripts/test.sh"}


def test_every_named_script_or_test_exists():
    files = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    readers = [f for f in files if f.endswith((".md", ".ipynb", ".py", ".sh", ".yaml", ".yml", ".toml"))
               and not f.startswith("tests/")]  # tests build example paths of their own
    assert readers
    missing = sorted((path, f) for f in readers for path in named_paths((ROOT / f).read_text(encoding="utf-8"))
                     if not (ROOT / path).is_file())
    assert not missing, "paths named but not in the repository (file, where named): " + repr(missing)


def test_every_named_section_of_the_architecture_exists():
    titles = set(re.findall(r"^## (.+)$", (ROOT / "ARCHITECTURE.md").read_text(encoding="utf-8"), re.M))
    files = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    named = {(" ".join(m.split()), f) for f in files if f.endswith((".py", ".md", ".ipynb")) and f != "ARCHITECTURE.md"
             for m in re.findall(r'ARCHITECTURE\.md, "([^"]+)"', (ROOT / f).read_text(encoding="utf-8"))}
    assert named
    missing = sorted((title, f) for title, f in named if not any(t.startswith(title) for t in titles))
    assert not missing, f"sections of ARCHITECTURE.md named but not there (title, where): {missing}"
