"""Seeding, the Colab set-up cells and the mirror-filling plan (no network)."""
import json

import numpy as np
import pytest
import torch

from course import seed_everything
from course import colab, mirror as mirror_cmd


def test_seed_everything_repeats_every_generator():
    import random

    seed_everything(3)
    first = (random.random(), np.random.rand(), torch.rand(2).tolist())
    seed_everything(3)
    assert (random.random(), np.random.rand(), torch.rand(2).tolist()) == first
    seed_everything(4)
    assert torch.rand(2).tolist() != first[2]


def test_every_chapter_has_a_current_setup_cell():
    assert colab.chapter_notebooks(), "no chapter notebooks found"
    assert colab.stale_setup_cells() == []


def test_setup_cell_takes_the_url_from_config(tmp_path):
    (tmp_path / "_config.yml").write_text("repository:\n  url: https://github.com/someone/fork/\n")
    nb_dir = tmp_path / "chapters" / "part1"
    nb_dir.mkdir(parents=True)
    nb = {"cells": [{"cell_type": "code", "metadata": {"tags": ["colab-setup"]}, "source": ["old"],
                     "outputs": [], "execution_count": None}], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    (nb_dir / "01_x.ipynb").write_text(json.dumps(nb))
    assert len(colab.stale_setup_cells(tmp_path)) == 1
    assert colab.sync(tmp_path) == [nb_dir / "01_x.ipynb"]
    assert colab.stale_setup_cells(tmp_path) == []
    source = "".join(json.loads((nb_dir / "01_x.ipynb").read_text())["cells"][0]["source"])
    assert "git+https://github.com/someone/fork\"" in source and "torch" not in source.split("%pip")[1]


def test_notebooks_are_stored_without_outputs():
    for path in colab.chapter_notebooks():
        nb = json.loads(path.read_text())
        for cell in nb["cells"]:
            if cell["cell_type"] == "code":
                assert cell["outputs"] == [] and cell["execution_count"] is None, f"{path.name} has outputs"


def test_notebooks_are_valid_nbformat():
    """Each chapter is valid against its own nbformat version's schema (a cell id in a 4.4 notebook is not)."""
    import nbformat

    for path in colab.chapter_notebooks():
        nb = json.loads(path.read_text(encoding="utf-8"))
        nbformat.validate(nb, version=nb["nbformat"], version_minor=nb["nbformat_minor"])


def test_mirror_plan_skips_what_is_there(tmp_path):
    (tmp_path / "datasets" / "stanfordnlp" / "imdb").mkdir(parents=True)
    (tmp_path / "datasets" / "stanfordnlp" / "imdb" / "README.md").write_text("x")
    (tmp_path / "models" / "FacebookAI" / "roberta-base").mkdir(parents=True)  # empty: still to download
    steps = mirror_cmd.plan(tmp_path)
    ids = [(s.kind, s.hub_id) for s in steps]
    assert ("dataset", "stanfordnlp/imdb") not in ids
    assert ("dataset", "stanfordnlp/sst2") in ids and ("model", "FacebookAI/roberta-base") in ids
    assert all(s.dest == tmp_path / f"{s.kind}s" / s.hub_id for s in steps)
    assert not any("*.bin" in s.allow_patterns for s in steps)
    assert len(mirror_cmd.plan(tmp_path, force=True)) == len(mirror_cmd.COURSE_DATASETS) + len(mirror_cmd.COURSE_MODELS)
    with pytest.raises(ValueError, match="owner/name"):
        mirror_cmd.plan(tmp_path, datasets=("imdb",), models=())


def test_mirror_dry_run_downloads_nothing(tmp_path, capsys):
    assert mirror_cmd.main(["fill", "--dest", str(tmp_path / "m"), "--dry-run"]) == 0
    assert "would download: dataset stanfordnlp/imdb" in capsys.readouterr().out
    assert not (tmp_path / "m").exists()


def test_mirror_manifest_lists_what_is_held(tmp_path):
    (tmp_path / "models" / "sentence-transformers" / "all-MiniLM-L6-v2").mkdir(parents=True)
    m = mirror_cmd.manifest(tmp_path)
    assert m["models"] == ["sentence-transformers/all-MiniLM-L6-v2"] and m["datasets"] == []
