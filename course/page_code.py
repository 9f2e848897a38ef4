"""How much of a chapter's visible code only builds the page (ARCHITECTURE.md, "Results on the page").

A statement is page machinery when it calls one of the page helpers (``say``, ``glue``, ``reference_callout``,
``figure``). Such statements live in their own cells, hidden in the book (tag ``remove-input``: the output stays)
and collapsed in Colab (a form cell: ``# @title ...`` as the first line, ``"cellView": "form"`` in its metadata).
``python -m course.page_code`` prints each chapter's share of machinery among its visible code lines.
"""
from __future__ import annotations

import ast
import json
import sys
from pathlib import Path

PAGE_HELPERS = frozenset({"say", "glue", "reference_callout", "figure"})
HIDDEN_TAGS = frozenset({"remove-input", "remove-cell", "hide-input", "hide-cell"})
MAX_SHARE = 0.05  # at most 5% of a chapter's visible code lines may only build the page


def _parse(source: str) -> ast.Module:
    """A cell's source as Python, IPython's ``%magic`` and ``!shell`` lines read as ``pass``."""
    lines = [line[: len(line) - len(line.lstrip())] + "pass" if line.lstrip().startswith(("%", "!")) else line
             for line in source.split("\n")]
    return ast.parse("\n".join(lines))


def calls_page_helper(node: ast.AST) -> bool:
    for n in ast.walk(node):
        if isinstance(n, ast.Call):
            f = n.func
            if (f.id if isinstance(f, ast.Name) else getattr(f, "attr", None)) in PAGE_HELPERS:
                return True
    return False


def is_hidden(cell: dict) -> bool:
    return bool(HIDDEN_TAGS & set(cell.get("metadata", {}).get("tags", [])))


def machinery_lines(notebook: str | Path) -> tuple[int, int]:
    """``(lines of visible code in whole statements that call a page helper, visible code lines)``, blank lines
    not counted."""
    nb = json.loads(Path(notebook).read_text(encoding="utf-8"))
    machinery = total = 0
    for cell in nb["cells"]:
        if cell["cell_type"] != "code" or is_hidden(cell):
            continue
        source = "".join(cell["source"])
        lines = source.split("\n")
        total += sum(1 for line in lines if line.strip())
        for statement in _parse(source).body:
            if calls_page_helper(statement):
                machinery += sum(1 for line in lines[statement.lineno - 1:statement.end_lineno] if line.strip())
    return machinery, total


def hidden_cells_not_collapsed(notebook: str | Path) -> list[str]:
    """The first line of every code cell hidden in the book that Colab would not collapse (no ``# @title`` first
    line or no ``"cellView": "form"``)."""
    nb = json.loads(Path(notebook).read_text(encoding="utf-8"))
    bad = []
    for cell in nb["cells"]:
        if cell["cell_type"] == "code" and is_hidden(cell):
            first = "".join(cell["source"]).split("\n", 1)[0]
            if not first.startswith("# @title ") or cell["metadata"].get("cellView") != "form":
                bad.append(first)
    return bad


def main(argv: list[str] | None = None) -> int:
    from .estimates import chapters_dir

    worst = 0.0
    for nb in sorted(chapters_dir().glob("*/*.ipynb")):
        machinery, total = machinery_lines(nb)
        share = machinery / total if total else 0.0
        worst = max(worst, share)
        print(f"{nb.parent.name}/{nb.name}: {machinery} of {total} visible code lines build the page ({share:.1%})")
    return 0 if worst < MAX_SHARE else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
