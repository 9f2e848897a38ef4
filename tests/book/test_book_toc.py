"""The table of contents and the built-book checker agree on every page, nested sections included."""
from pathlib import Path

from course import check_built_book

ROOT = Path(__file__).resolve().parents[2]


def test_checker_sees_every_notebook_in_the_toc():
    listed = set(check_built_book.toc_files(ROOT / "_toc.yml"))
    notebooks = {str(p.relative_to(ROOT).with_suffix("")) for p in (ROOT / "chapters").rglob("*.ipynb")
                 if ".ipynb_checkpoints" not in p.parts}
    assert notebooks, "no chapter notebooks found"
    missing = sorted(notebooks - listed)
    assert not missing, f"chapters the built-book check would skip (add them to _toc.yml): {missing}"


def test_checker_recurses_into_sections(tmp_path):
    toc = tmp_path / "_toc.yml"
    toc.write_text("format: jb-book\nroot: intro\nparts:\n  - caption: A\n    chapters:\n      - file: a/index\n"
                   "        sections:\n          - file: a/one\n            sections:\n              - file: a/deep\n")
    assert check_built_book.toc_files(toc) == ["intro", "a/index", "a/one", "a/deep"]


def test_the_command_line_exits_1_when_a_page_is_missing(tmp_path, capsys):
    assert check_built_book.main(str(tmp_path)) == 1  # an empty folder: no page of the toc was built
    out = capsys.readouterr().out
    assert "FAIL book/intro: no page" in out and "0 pages checked" in out
