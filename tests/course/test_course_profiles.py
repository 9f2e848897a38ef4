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


# GPU memory as PyTorch reports it (GiB): T4 15360 MiB, V100-16GB 16160 MiB, L4 and A10 about 23030 MiB,
# RTX 4090 24564 MiB, A100 40 and 80 GB.
@pytest.mark.parametrize("gpu_gib, expected", [(None, "quick"), (15.0, "colab"), (15.8, "colab"), (22.5, "full"),
                                                (24.0, "full"), (39.4, "full"), (79.3, "full")])
def test_unset_profile_follows_the_gpu_and_its_memory(monkeypatch, gpu_gib, expected):
    monkeypatch.delenv("COURSE_PROFILE", raising=False)
    monkeypatch.setattr(profiles_mod, "_gpu_memory_gib", lambda: gpu_gib)
    assert get_profile().name == expected
    assert profiles_mod.profile_for_hardware(gpu_gib) == expected


def fake_cuda(monkeypatch, total_memory: int | None):
    """torch.cuda as a machine with one GPU of ``total_memory`` bytes (None: no GPU) shows it."""
    import types

    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: total_memory is not None)
    monkeypatch.setattr(torch.cuda, "get_device_properties",
                        lambda device=0: types.SimpleNamespace(name="fake", total_memory=total_memory))


@pytest.mark.parametrize("total_memory, expected", [
    (None, "quick"),
    (15_828_320_256, "colab"),  # Tesla T4 (Colab): 14.7 GiB
    (23_580_639_232, "full"),   # NVIDIA L4: 22 GiB
    (42_505_273_344, "full"),   # A100 40GB
])
def test_selection_reads_the_gpu_memory_from_torch(monkeypatch, total_memory, expected):
    monkeypatch.delenv("COURSE_PROFILE", raising=False)
    fake_cuda(monkeypatch, total_memory)
    assert get_profile().name == expected


def test_course_profile_overrides_the_hardware(monkeypatch):
    fake_cuda(monkeypatch, 15_828_320_256)
    monkeypatch.setenv("COURSE_PROFILE", "full")
    assert get_profile().name == "full"
    monkeypatch.setenv("COURSE_PROFILE", "ci")
    assert get_profile().name == "ci"


def test_unknown_profile_names_the_choices(monkeypatch):
    monkeypatch.setenv("COURSE_PROFILE", "huge")
    with pytest.raises(ValueError, match=r"'huge'.*ci, quick, colab, full"):
        get_profile()


def test_colab_profile_states_the_documented_sizes():
    """The sizes that course.estimates.gpu_minutes keeps within about 15 minutes a chapter on a T4
    (tests/course/test_course_estimates.py): change one, and check that arithmetic again."""
    colab, full = PROFILES["colab"], PROFILES["full"]
    differs = {f.name: getattr(colab, f.name) for f in dataclasses.fields(Profile)
               if getattr(colab, f.name) != getattr(full, f.name) and f.name not in ("name", "description")}
    assert differs == {"n_test": 5000, "max_length": 256, "transformer_n_train": 10_000,
                       "sst2_curve_sizes": (0, 100, 1000, 5000), "tweet_n_train": 10_000, "serve_max_length": 256}
    assert colab.model_id == "FacebookAI/roberta-base"
    assert (colab.batch_size, colab.grad_accum_steps, colab.finetune_epochs, colab.head_epochs) == (16, 2, 2, 10)
    assert (colab.n_train, colab.lstm_max_tokens, colab.lstm_hidden, colab.lstm_epochs) == (None, 400, 128, 6)


def test_course_model_overrides_only_the_model(monkeypatch):
    monkeypatch.setenv("COURSE_MODEL", "distilbert/distilroberta-base")
    p = get_profile("ci")
    assert p.model_id == "distilbert/distilroberta-base"
    assert dataclasses.replace(p, model_id=PROFILES["ci"].model_id) == PROFILES["ci"]


def test_profiles_are_frozen_and_ordered_by_size():
    with pytest.raises(dataclasses.FrozenInstanceError):
        PROFILES["ci"].n_train = 10  # type: ignore[misc]
    ci, quick, colab, full = (PROFILES[n] for n in ("ci", "quick", "colab", "full"))
    assert list(PROFILES) == ["ci", "quick", "colab", "full"]
    assert ci.n_train is not None and (quick.n_train is None or quick.n_train > ci.n_train)
    assert ci.max_length <= quick.max_length <= colab.max_length <= full.max_length
    assert ci.transformer_n_train <= quick.transformer_n_train <= colab.transformer_n_train and full.transformer_n_train is None
    assert full.model_id == colab.model_id == "FacebookAI/roberta-base"


def test_describe_reports_sizes():
    text = PROFILES["ci"].describe()
    assert "Profile 'ci'" in text and "5,000" in text
    sizes = PROFILES["ci"].sizes()
    assert sizes["n_train"] == 5000 and "description" not in sizes
    assert set(sizes) == {f.name for f in dataclasses.fields(Profile)} - {"description"}
