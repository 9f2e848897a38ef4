import dataclasses

import pytest

from course import PROFILES, Profile, get_profile
from course import profiles as profiles_mod


def test_explicit_name_wins_over_environment(monkeypatch):
    monkeypatch.setenv("COURSE_PROFILE", "full")
    assert get_profile("ci").name == "ci"


def test_environment_selects_profile(monkeypatch):
    monkeypatch.setenv("COURSE_PROFILE", "Quick ")
    assert get_profile().name == "quick"


@pytest.mark.parametrize("gpu, expected", [(True, "full"), (False, "quick")])
def test_unset_profile_follows_hardware(monkeypatch, gpu, expected):
    monkeypatch.delenv("COURSE_PROFILE", raising=False)
    monkeypatch.setattr(profiles_mod, "_gpu_available", lambda: gpu)
    assert get_profile().name == expected


def test_unknown_profile_names_the_choices(monkeypatch):
    monkeypatch.setenv("COURSE_PROFILE", "huge")
    with pytest.raises(ValueError, match=r"'huge'.*ci, quick, full"):
        get_profile()


def test_course_model_overrides_only_the_model(monkeypatch):
    monkeypatch.setenv("COURSE_MODEL", "distilbert/distilroberta-base")
    p = get_profile("ci")
    assert p.model_id == "distilbert/distilroberta-base"
    assert dataclasses.replace(p, model_id=PROFILES["ci"].model_id) == PROFILES["ci"]


def test_profiles_are_frozen_and_ordered_by_size():
    with pytest.raises(dataclasses.FrozenInstanceError):
        PROFILES["ci"].n_train = 10  # type: ignore[misc]
    ci, quick = PROFILES["ci"], PROFILES["quick"]
    assert ci.n_train is not None and (quick.n_train is None or quick.n_train > ci.n_train)
    assert ci.max_length <= quick.max_length <= PROFILES["full"].max_length
    assert PROFILES["full"].model_id == "FacebookAI/roberta-base"


def test_describe_reports_sizes():
    text = PROFILES["ci"].describe()
    assert "Profile 'ci'" in text and "400" in text
    sizes = PROFILES["ci"].sizes()
    assert sizes["n_train"] == 400 and "description" not in sizes
    assert set(sizes) == {f.name for f in dataclasses.fields(Profile)} - {"description"}
