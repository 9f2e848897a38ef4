"""The course's one window rule (serve.window): what Part 1, Part 2 and the server keep of a long text."""
from __future__ import annotations

import numpy as np
import pytest

from serve.window import HEAD_FRACTION, Window, WindowError, encode_texts, split_budget, truncate_head_tail


def test_truncate_head_tail_keeps_both_ends():
    ids = list(range(100))
    assert truncate_head_tail(ids, 10, 20) == list(range(10)) + list(range(80, 100))
    assert truncate_head_tail(ids, 0, 5) == [95, 96, 97, 98, 99]
    assert truncate_head_tail(ids, 100, 0) == ids
    assert truncate_head_tail([0, 1, 2], 2, 2) == [0, 1, 2]  # fits: kept whole
    assert truncate_head_tail(np.arange(10), 2, 1) == [0, 1, 9]  # any sequence, a list back
    with pytest.raises(WindowError):
        truncate_head_tail(ids, -1, 3)


def test_split_budget_gives_the_head_its_fraction():
    assert HEAD_FRACTION == 0.25
    assert split_budget(510) == (127, 383)  # Sun et al.'s 128 + 382, near enough
    assert split_budget(30, 0.5) == (15, 15) and split_budget(1) == (0, 1)
    with pytest.raises(WindowError):
        split_budget(0)
    with pytest.raises(WindowError):
        split_budget(10, 1.5)


def test_window_build_records_what_it_uses():
    w = Window.build(32, prefix_ids=[2], suffix_ids=[3], pad_id=0)
    assert (w.head_tokens, w.tail_tokens) == (7, 23) and w.head_fraction == pytest.approx(7 / 30)
    assert Window.build(32, [2], [3], head_tokens=5).tail_tokens == 25
    assert Window.build(32, [2], [3], head_tokens=99).head_tokens == 30  # clipped to the budget
    assert w.cut(list(range(100, 200))) == [2, *range(100, 107), *range(177, 200), 3]
    assert Window.from_json(w.to_json()) == w and w.to_json()["head_fraction"] == round(7 / 30, 4)
    with pytest.raises(WindowError):
        Window(4, 2, 2, (1,), (2,), 0)  # 2 + 2 + 2 special tokens > 4
    with pytest.raises(WindowError, match="lacks"):
        Window.from_json({"max_length": 8})


def test_encode_texts_cuts_with_the_window():
    from tokenizers import Tokenizer, models, pre_tokenizers

    tok = Tokenizer(models.WordLevel({"[PAD]": 0, "[UNK]": 1, **{f"w{i}": i + 2 for i in range(50)}}, unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    w = Window.build(6, prefix_ids=[0], suffix_ids=[0], pad_id=0, head_tokens=1)
    text = " ".join(f"w{i}" for i in range(10))
    (ids,) = encode_texts(tok, [text], w)
    assert ids.dtype == np.int64 and ids.tolist() == [0, 2, 9, 10, 11, 0]  # w0, then w7 w8 w9
    (empty,) = encode_texts(tok, [""], w)
    assert empty.tolist() == [0, 0, 0]  # nothing to read: one pad token between the specials
