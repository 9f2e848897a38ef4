"""The resolver's order (mirror, stand-in, Hub) and its one clear error, with throw-away mirrors."""
import json
import time

import pytest

from course import SourceNotFoundError, resolve, resolve_dataset, resolve_model
from course import sources


@pytest.fixture()
def fake_mirror(tmp_path, monkeypatch):
    (tmp_path / "datasets" / "org" / "data").mkdir(parents=True)
    (tmp_path / "models" / "org" / "real-model").mkdir(parents=True)
    (tmp_path / "models" / "org" / "standin").mkdir(parents=True)
    (tmp_path / "mirror.json").write_text(
        json.dumps({"substitutes": {"org/big-model": "org/standin", "org/ghost": "org/not-there"}})
    )
    monkeypatch.setenv("COURSE_MIRROR", str(tmp_path))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    return tmp_path


def test_mirror_first(fake_mirror):
    r = resolve_dataset("org/data")
    assert (r.origin, r.location, r.served_by) == ("mirror", str(fake_mirror / "datasets/org/data"), "org/data")
    assert r.notice is None


def test_model_present_in_mirror_is_not_a_substitute(fake_mirror):
    r = resolve_model("org/real-model")
    assert r.origin == "mirror" and not r.is_substitute


def test_substitute_is_announced(fake_mirror, capsys):
    r = resolve_model("org/big-model")
    assert r.is_substitute and r.served_by == "org/standin"
    assert r.location == str(fake_mirror / "models/org/standin")
    out = capsys.readouterr().out
    assert "org/big-model" in out and "org/standin" in out and "stand-in" in out


def test_datasets_never_use_model_substitutes(fake_mirror):
    with pytest.raises(SourceNotFoundError):
        resolve("org/big-model", "dataset")


def test_substitute_whose_folder_is_missing_is_not_used(fake_mirror):
    with pytest.raises(SourceNotFoundError, match="org/ghost"):
        resolve_model("org/ghost")


def test_not_found_error_names_id_variable_and_fix(fake_mirror):
    t0 = time.monotonic()
    with pytest.raises(SourceNotFoundError) as info:
        resolve_dataset("stanfordnlp/nothing-here")
    message = str(info.value)
    assert time.monotonic() - t0 < 5, "offline misses must fail at once, not after retries"
    for part in ("stanfordnlp/nothing-here", "COURSE_MIRROR", "HF_HUB_OFFLINE", "python -m course.mirror fill"):
        assert part in message


def test_unset_mirror_while_offline_is_one_clear_error(monkeypatch):
    monkeypatch.delenv("COURSE_MIRROR", raising=False)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(sources, "_cached_on_this_machine", lambda *a: False)
    with pytest.raises(SourceNotFoundError, match=r"COURSE_MIRROR is not set"):
        resolve_dataset("stanfordnlp/imdb")


def test_missing_mirror_folder_is_reported(monkeypatch, tmp_path):
    monkeypatch.setenv("COURSE_MIRROR", str(tmp_path / "nope"))
    with pytest.raises(SourceNotFoundError, match="does not exist"):
        resolve_dataset("stanfordnlp/imdb")


def test_online_but_unreachable_fails_fast(monkeypatch):
    monkeypatch.delenv("COURSE_MIRROR", raising=False)
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setattr(sources, "_hub_reachable", lambda timeout=3.0: False)
    with pytest.raises(SourceNotFoundError, match="unreachable"):
        resolve_model("FacebookAI/roberta-base")


def test_online_and_reachable_goes_to_the_hub(monkeypatch):
    monkeypatch.delenv("COURSE_MIRROR", raising=False)
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setattr(sources, "_hub_reachable", lambda timeout=3.0: True)
    r = resolve_model("FacebookAI/roberta-base")
    assert (r.origin, r.location) == ("hub", "FacebookAI/roberta-base")


def test_real_mirror_serves_roberta_with_the_standin(mirror, capsys):
    r = resolve_model("FacebookAI/roberta-base")
    assert r.served_by == "sentence-transformers/all-MiniLM-L6-v2"
    assert (mirror / "models" / r.served_by / "config.json").is_file()
    assert "NOTICE" in capsys.readouterr().out


def test_load_error_is_wrapped_without_library_traceback(fake_mirror):
    from transformers import AutoModel

    from course import from_pretrained

    # A config but no weights: what a half-copied mirror looks like.
    (fake_mirror / "models/org/real-model/config.json").write_text(json.dumps({"model_type": "bert"}))
    with pytest.raises(SourceNotFoundError) as info:
        from_pretrained(AutoModel, "org/real-model")
    assert "org/real-model" in str(info.value)
    assert info.value.__suppress_context__, "the five-library chain must not be shown"
