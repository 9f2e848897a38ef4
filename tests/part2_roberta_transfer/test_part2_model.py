"""The classifier on a tiny random RoBERTa: the RoBERTa code path (no token type ids, position offset)."""
import pytest
import torch

from helpers.part2 import tiny_classifier, tiny_tokenizer
from roberta_transfer import encode_reviews, grow_head, mean_pool


def test_forward_returns_plain_logits_for_roberta():
    model = tiny_classifier().eval()
    ids = torch.randint(3, 300, (3, 10))
    logits = model(ids, torch.ones_like(ids))
    assert isinstance(logits, torch.Tensor) and logits.shape == (3, 2)
    assert model.encoder.config.model_type == "roberta"


def test_full_window_fits_roberta_position_offset():
    # RoBERTa's positions start at padding_idx + 1 = 2, so 66 position embeddings hold a 64-token window.
    model = tiny_classifier().eval()
    ids = torch.randint(3, 300, (2, 64))
    assert model(ids, torch.ones_like(ids)).shape == (2, 2)


def test_padding_does_not_change_predictions():
    """Mean pooling counts real tokens only: the same text padded more gives the same logits."""
    tok = tiny_tokenizer()
    model = tiny_classifier().eval()
    ids = torch.tensor([encode_reviews(tok, ["a great movie"], 32)[0]])
    short = model(ids, torch.ones_like(ids))
    padded = torch.cat([ids, torch.full((1, 7), tok.pad_token_id)], dim=1)
    mask = torch.cat([torch.ones_like(ids), torch.zeros(1, 7, dtype=torch.long)], dim=1)
    torch.testing.assert_close(model(padded, mask), short, atol=1e-5, rtol=1e-5)


def test_mean_pool_ignores_masked_tokens():
    hidden = torch.tensor([[[1.0, 2.0], [3.0, 4.0], [100.0, 100.0]]])
    assert mean_pool(hidden, torch.tensor([[1, 1, 0]])).tolist() == [[2.0, 3.0]]


def test_grow_head_keeps_old_rows_by_name():
    model = tiny_classifier()
    old_w = model.head.out.weight.detach().clone()
    old_b = model.head.out.bias.detach().clone()
    grow_head(model, ["negative", "neutral", "positive"])
    assert model.head.out.weight.shape == (3, 16) and model.num_labels == 3
    assert model.label_names == ["negative", "neutral", "positive"]
    assert torch.equal(model.head.out.weight[0], old_w[0]) and torch.equal(model.head.out.bias[0], old_b[0])
    assert torch.equal(model.head.out.weight[2], old_w[1]) and torch.equal(model.head.out.bias[2], old_b[1])
    assert not torch.equal(model.head.out.weight[1], old_w[0]) and not torch.equal(model.head.out.weight[1], old_w[1])
    ids = torch.randint(3, 300, (2, 8))
    assert model.eval()(ids, torch.ones_like(ids)).shape == (2, 3)


def test_grow_head_rejects_duplicate_names():
    with pytest.raises(ValueError, match="unique"):
        grow_head(tiny_classifier(), ["negative", "negative"])
