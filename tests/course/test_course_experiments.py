"""course.experiments: where the chapter's temporary copy comes from, which files it takes, and how DVC's output is
read. (The copy itself, with DVC running in it, is tested by tests/pipeline.)"""
from __future__ import annotations

from pathlib import Path

import pytest

from course import experiments
from course.experiments import ExperimentError, Source


def test_the_source_is_the_environment_variable_first_then_this_checkout(monkeypatch):
    monkeypatch.setenv(experiments.REPOSITORY_ENV, "https://example.org/course.git")
    assert experiments.repository_source() == Source("https://example.org/course.git")
    monkeypatch.delenv(experiments.REPOSITORY_ENV)
    assert experiments.repository_source().folder() == experiments.REPO_ROOT  # the tests run from a checkout


def test_a_source_is_a_folder_or_a_git_url():
    assert Source("file:///tmp/my%20course").is_folder and Source("file:///tmp/my%20course").folder() == Path("/tmp/my course")
    assert Source("/srv/course").is_folder
    assert not Source("https://github.com/org/course", "abc123").is_folder


def test_a_plain_folder_is_copied_without_build_outputs_caches_or_environments(tmp_path):
    for rel in ("dvc.yaml", "course/params.py", "benchmarks/results/a.json", "artifacts/ci/part1/lstm/model.safetensors",
                "course/__pycache__/params.cpython-313.pyc", ".venv-colab/bin/python", "runs/scratch.json",
                ".dvc/config", ".dvc/cache/files/md5/ab/cdef", "serve/frontend/node_modules/x/index.js"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("x")
    assert sorted(experiments._files(tmp_path)) == [".dvc/config", "benchmarks/results/a.json", "course/params.py",
                                                     "dvc.yaml"]


def test_a_folder_that_is_not_the_course_is_refused_with_what_to_do(tmp_path):
    with pytest.raises(ExperimentError, match=experiments.REPOSITORY_ENV):
        experiments.temporary_copy("ci", Source(str(tmp_path)), parent=tmp_path)


def test_the_stages_a_run_ran_are_read_from_dvc_output():
    out = ("Running stage 'lstm_small_pair':\n> python pipeline/lstm_small_pair.py\n"
           "Stage 'lstm_curve' didn't change, skipping\nRunning stage 'behaviour':\n> python x\n")
    assert experiments.stages_run(out) == ["lstm_small_pair", "behaviour"]
    assert experiments.stages_run("Stage 'lstm_curve' didn't change, skipping\n") == []


def test_the_environment_of_the_copy_takes_the_profile_only_from_its_params(monkeypatch, tmp_path):
    monkeypatch.setenv("COURSE_PROFILE", "quick")
    monkeypatch.setenv("COURSE_ARTIFACTS", "/somewhere/else")
    env = experiments.environment(tmp_path)
    assert "COURSE_PROFILE" not in env and "COURSE_ARTIFACTS" not in env
    assert env["PYTHONPATH"] == str(tmp_path) and env["DVC_NO_ANALYTICS"] == "1"
