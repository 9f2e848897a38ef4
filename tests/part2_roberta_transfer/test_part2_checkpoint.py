"""Save then load gives equal tensors; a mismatched checkpoint raises a clear error."""
import json

import pytest
import torch
from safetensors.torch import load_file, save_file

from helpers.part2 import tiny_classifier, tiny_tokenizer
from roberta_transfer import (CheckpointMismatchError, load_checkpoint, load_weights, save_checkpoint,
                              tensors_equal)


def test_save_then_load_gives_equal_tensors(tmp_path):
    model, tok = tiny_classifier(seed=3), tiny_tokenizer()
    save_checkpoint(tmp_path, model, tok, {"max_length": 64, "profile": "test", "metrics": {"test_accuracy": 0.5}})
    loaded, tok2, cfg = load_checkpoint(tmp_path)
    a, b = model.state_dict(), loaded.state_dict()
    assert set(a) == set(b) and all(torch.equal(a[k], b[k]) for k in a)
    assert tensors_equal(loaded, tmp_path)
    assert cfg["label_names"] == ["negative", "positive"] and cfg["pooling"] == "mean"
    assert cfg["encoder"]["config"]["model_type"] == "roberta" and cfg["metrics"]["test_accuracy"] == 0.5
    assert tok2("a great movie")["input_ids"] == tok("a great movie")["input_ids"]
    ids = torch.randint(3, 300, (2, 9))
    torch.testing.assert_close(loaded(ids, torch.ones_like(ids)), model.eval()(ids, torch.ones_like(ids)))
    assert not loaded.training


def test_tensors_equal_notices_a_change(tmp_path):
    model = tiny_classifier()
    save_checkpoint(tmp_path, model, tiny_tokenizer())
    with torch.no_grad():
        model.head.out.bias[0] += 1e-3
    assert not tensors_equal(model, tmp_path)


def test_missing_key_is_named(tmp_path):
    save_checkpoint(tmp_path, tiny_classifier(), tiny_tokenizer())
    state = load_file(str(tmp_path / "model.safetensors"))
    del state["head.out.bias"]
    save_file(state, str(tmp_path / "model.safetensors"), metadata={"format": "roberta_transfer/1"})
    with pytest.raises(CheckpointMismatchError, match=r"missing key\(s\): head.out.bias"):
        load_checkpoint(tmp_path)


def test_wrong_shape_is_named(tmp_path):
    save_checkpoint(tmp_path, tiny_classifier(labels=("a", "b", "c")), tiny_tokenizer())
    with pytest.raises(CheckpointMismatchError, match=r"head.out.weight: saved \(3, 16\), model \(2, 16\)"):
        load_weights(tiny_classifier(), tmp_path)


def test_unexpected_key_is_named(tmp_path):
    save_checkpoint(tmp_path, tiny_classifier(), tiny_tokenizer())
    state = load_file(str(tmp_path / "model.safetensors"))
    state["extra.weight"] = torch.zeros(2)
    save_file(state, str(tmp_path / "model.safetensors"))
    with pytest.raises(CheckpointMismatchError, match="unexpected key"):
        load_weights(tiny_classifier(), tmp_path)


def test_missing_files_are_clear(tmp_path):
    with pytest.raises(FileNotFoundError, match="config.json"):
        load_checkpoint(tmp_path)
    (tmp_path / "config.json").write_text(json.dumps({"format": "something/else"}))
    with pytest.raises(CheckpointMismatchError, match="format"):
        load_checkpoint(tmp_path)
