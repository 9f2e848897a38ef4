"""Head+tail truncation, length-grouped batches, dynamic padding."""
import numpy as np
import pytest
import torch
from datasets import Dataset

from helpers.part2 import tiny_tokenizer
from roberta_transfer import (LengthGroupedBatchSampler, PadCollator, encode_reviews, make_loader, real_token_share,
                              review_window, tokenize_dataset)


def test_review_window_keeps_a_quarter_head_and_the_tail():
    tok = tiny_tokenizer()
    w = review_window(tok, 512)
    assert (w.head_tokens, w.tail_tokens) == (127, 383)  # floor(510 / 4) and the rest
    assert w.prefix_ids == (tok.cls_token_id,) and w.suffix_ids == (tok.sep_token_id,) and w.pad_id == tok.pad_token_id
    out = w.cut(list(range(1000)))
    assert out[1:128] == list(range(127)) and out[128:-1] == list(range(1000 - 383, 1000))
    assert w.cut(list(range(510)))[1:-1] == list(range(510))  # fits: unchanged
    assert review_window(tok, 512, head_fraction=0.5).head_tokens == 255


def test_review_window_rejects_bad_arguments():
    tok = tiny_tokenizer()
    with pytest.raises(ValueError, match="at least 1"):
        review_window(tok, 2)  # the two special tokens leave no room for text
    with pytest.raises(ValueError, match="between 0 and 1"):
        review_window(tok, 10, head_fraction=1.5)


def test_encode_puts_special_tokens_at_the_ends():
    tok = tiny_tokenizer()
    long_text = "a great movie " * 50 + "the ending was terrible"
    ids = encode_reviews(tok, [long_text, "a great movie"], 24)
    assert len(ids[0]) == 24 and ids[0][0] == tok.cls_token_id and ids[0][-1] == tok.sep_token_id
    content = tok(long_text, add_special_tokens=False)["input_ids"]
    assert ids[0][1:-1] == content[:5] + content[-17:]
    assert ids[1] == [tok.cls_token_id, *tok("a great movie", add_special_tokens=False)["input_ids"], tok.sep_token_id]


@pytest.mark.parametrize("shuffle", [True, False])
def test_sampler_yields_every_example_once_per_epoch(shuffle):
    rng = np.random.default_rng(0)
    lengths = rng.integers(5, 500, size=1003)
    sampler = LengthGroupedBatchSampler(lengths, 16, shuffle=shuffle, seed=1, mega_batches=4)
    epochs = [[i for b in sampler for i in b] for _ in range(3)]
    for seen in epochs:
        assert sorted(seen) == list(range(1003))
    assert len(list(sampler)) == len(sampler) == 63
    if shuffle:
        assert epochs[0] != epochs[1]  # a new order each epoch
        first = next(iter(sampler))
        assert lengths[first].max() == lengths.max()  # the longest batch comes first
    else:
        assert epochs[0] == epochs[1]


def test_length_grouping_reduces_padding():
    rng = np.random.default_rng(0)
    texts_ids = [list(range(3, 3 + n)) for n in rng.integers(5, 200, size=400)]
    ds = Dataset.from_dict({"input_ids": texts_ids, "label": [0, 1] * 200})
    tok = tiny_tokenizer()
    grouped = real_token_share(make_loader(ds, tok, 16, shuffle=True, length_grouped=True))
    random = real_token_share(make_loader(ds, tok, 16, shuffle=True, length_grouped=False))
    fixed = real_token_share(make_loader(ds, tok, 16, shuffle=True, length_grouped=False, pad_to=256))
    assert grouped > 0.9 and grouped > random > fixed


def test_collator_pads_and_masks():
    batch = PadCollator(pad_token_id=1)([{"input_ids": [0, 5, 2], "label": 1, "index": 7},
                                         {"input_ids": [0, 2], "label": 0, "index": 3}])
    assert batch["input_ids"].tolist() == [[0, 5, 2], [0, 2, 1]]
    assert batch["attention_mask"].tolist() == [[1, 1, 1], [1, 1, 0]]
    assert batch["labels"].tolist() == [1, 0] and batch["index"].tolist() == [7, 3]
    with pytest.raises(ValueError, match="pad_to"):
        PadCollator(1, pad_to=2)([{"input_ids": [0, 5, 2], "label": 1, "index": 0}])


def test_tokenize_dataset_records_lengths():
    tok = tiny_tokenizer()
    ds = Dataset.from_dict({"text": ["a great movie " * 30, "a terrible film"], "label": [1, 0]})
    enc = tokenize_dataset(ds, tok, 20)
    assert enc["length"] == [20, len(enc["input_ids"][1])]
    assert enc["n_tokens_full"][0] > 20 and "text" not in enc.column_names
