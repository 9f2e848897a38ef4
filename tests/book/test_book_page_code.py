"""The code a learner reads is the lesson (course/page_code.py): in every chapter, at most 5% of the visible code
lines only build the page, and every cell hidden in the book is a form cell that Colab collapses."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from course import page_code

CHAPTERS = sorted((Path(__file__).resolve().parents[2] / "chapters").glob("*/*.ipynb"))


@pytest.mark.parametrize("notebook", CHAPTERS, ids=lambda p: p.stem)
def test_page_machinery_is_out_of_the_learners_way(notebook):
    machinery, total = page_code.machinery_lines(notebook)
    assert total > 0
    assert machinery / total < page_code.MAX_SHARE, (
        f"{notebook.name}: {machinery} of {total} visible code lines only build the page: move the statements that "
        "call say/glue/reference_callout/figure into a cell tagged remove-input that starts with '# @title'")
    assert page_code.hidden_cells_not_collapsed(notebook) == []


def _notebook(tmp_path, cells):
    path = tmp_path / "nb.ipynb"
    path.write_text(json.dumps({"cells": cells}))
    return path


def _code(source, **meta):
    return {"cell_type": "code", "metadata": meta, "source": source, "outputs": []}


def test_the_count_sees_machinery_and_ignores_hidden_cells(tmp_path):
    visible = _code("x = train()\nprint(x)\nsay(f'{x}')\nif x > 1:\n    glue('x', x)\n%matplotlib inline\n")
    assert page_code.machinery_lines(_notebook(tmp_path, [visible])) == (3, 6)
    hidden = _code("# @title Words\nsay('hi')\n", tags=["remove-input"], cellView="form")
    assert page_code.machinery_lines(_notebook(tmp_path, [hidden, _code("y = 1\n")])) == (0, 1)
    assert page_code.hidden_cells_not_collapsed(_notebook(tmp_path, [hidden])) == []
    not_form = _code("say('hi')\n", tags=["remove-input"])
    assert page_code.hidden_cells_not_collapsed(_notebook(tmp_path, [not_form])) == ["say('hi')"]
