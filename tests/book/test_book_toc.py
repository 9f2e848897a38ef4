"""The table of contents and the built-book checker agree on every page, nested sections included."""
import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _checker():
    spec = importlib.util.spec_from_file_location("check_built_book", ROOT / "scripts" / "check_built_book.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_checker_sees_every_notebook_in_the_toc():
    listed = set(_checker().toc_files(ROOT / "_toc.yml"))
    notebooks = {str(p.relative_to(ROOT).with_suffix("")) for p in (ROOT / "chapters").rglob("*.ipynb")
                 if ".ipynb_checkpoints" not in p.parts}
    assert notebooks, "no chapter notebooks found"
    missing = sorted(notebooks - listed)
    assert not missing, f"chapters the built-book check would skip (add them to _toc.yml): {missing}"


def test_checker_recurses_into_sections(tmp_path):
    toc = tmp_path / "_toc.yml"
    toc.write_text("format: jb-book\nroot: intro\nparts:\n  - caption: A\n    chapters:\n      - file: a/index\n"
                   "        sections:\n          - file: a/one\n            sections:\n              - file: a/deep\n")
    assert _checker().toc_files(toc) == ["intro", "a/index", "a/one", "a/deep"]
