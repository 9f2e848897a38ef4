"""Profiles as DVC parameters (course/profiles.py, read_params; course/params.py, the command line): params.yaml is one profile of course/profiles.py, read back exactly."""
from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
import yaml

from course import params
from course.profiles import PROFILES, ParamsError, differences, get_profile, read_params, write_params

ROOT = Path(__file__).resolve().parents[2]


def test_committed_params_yaml_is_the_quick_profile_unchanged():
    assert read_params(ROOT / "params.yaml") == PROFILES["quick"]
    assert differences(ROOT / "params.yaml") == {}


@pytest.mark.parametrize("name", sorted(PROFILES))
def test_every_profile_round_trips(tmp_path, name):
    path = write_params(PROFILES[name], tmp_path / "params.yaml")
    assert read_params(path) == PROFILES[name]
    assert yaml.safe_load(path.read_text())["profile"]["name"] == name


def test_an_experiment_changes_one_field_and_the_check_names_it(tmp_path):
    path = write_params(PROFILES["ci"], tmp_path / "params.yaml")
    data = yaml.safe_load(path.read_text())
    data["profile"]["lstm_epochs"] = 3
    data["profile"]["learning_curve_sizes"] = [100, 400]
    path.write_text(yaml.safe_dump(data))
    profile = read_params(path)
    assert profile.lstm_epochs == 3 and profile.learning_curve_sizes == (100, 400)
    assert profile == dataclasses.replace(PROFILES["ci"], lstm_epochs=3, learning_curve_sizes=(100, 400))
    assert set(differences(path)) == {"lstm_epochs", "learning_curve_sizes"}
    assert params.main(["check", "--path", str(path)]) == 1


def test_course_params_environment_gives_the_file_profile(tmp_path, monkeypatch):
    path = write_params(dataclasses.replace(PROFILES["ci"], lstm_hidden=16), tmp_path / "params.yaml")
    monkeypatch.setenv("COURSE_PARAMS", str(path))
    monkeypatch.delenv("COURSE_PROFILE", raising=False)
    assert get_profile().lstm_hidden == 16 and get_profile("ci").lstm_hidden == 16
    with pytest.raises(ValueError, match="describes the 'ci' profile, but 'quick' was asked"):
        get_profile("quick")


def test_bad_params_files_say_what_to_do(tmp_path):
    with pytest.raises(ParamsError, match="python -m course.params write NAME"):
        read_params(tmp_path / "missing.yaml")
    (tmp_path / "p.yaml").write_text("profile: {name: huge}\n")
    with pytest.raises(ParamsError, match="`name:` among ci, quick, colab, full"):
        read_params(tmp_path / "p.yaml")
    (tmp_path / "p.yaml").write_text("profile: {name: ci, lstm_layers: 3}\n")
    with pytest.raises(ParamsError, match="unknown profile fields lstm_layers"):
        read_params(tmp_path / "p.yaml")
