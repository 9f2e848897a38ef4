"""The window rule: which tokens of a long text a model reads. One rule for the whole course.

A model reads at most ``max_length`` token ids. Special tokens (``<s> ... </s>`` for RoBERTa, ``[CLS] ... [SEP]``
for BERT, none for Part 1's LSTM) take their places first; what is left is the *budget* for the text. A text
that fits is kept whole. A longer one keeps its first ``head_tokens`` and its last ``tail_tokens`` and drops the
middle: reviews tend to open with context and close with the verdict, and Sun et al. (2019) found head+tail the
best cut for IMDb (128 + 382 tokens of a 512 window, about a quarter head: :data:`HEAD_FRACTION`).

Part 1 and Part 2 cut their training data with :func:`truncate_head_tail`, the served bundle cuts requests with
it, and checkpoints and bundles record the ``head_tokens``/``tail_tokens`` (and fraction) they used, so that
training and serving cannot cut differently. Needs numpy only.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

HEAD_FRACTION = 0.25
WINDOW_KEYS = ("max_length", "head_tokens", "tail_tokens", "prefix_ids", "suffix_ids", "pad_id")


class WindowError(ValueError):
    """A window that cannot hold any text, or a description of one that lacks a field."""


def split_budget(budget: int, head_fraction: float = HEAD_FRACTION) -> tuple[int, int]:
    """``(head_tokens, tail_tokens)`` for ``budget`` text tokens: ``head = floor(budget * head_fraction)``.

    >>> split_budget(510)
    (127, 383)
    """
    if budget < 1:
        raise WindowError(f"the window leaves {budget} tokens for text; it needs at least 1")
    if not 0.0 <= head_fraction <= 1.0:
        raise WindowError(f"head_fraction must be between 0 and 1, not {head_fraction}")
    head = int(budget * head_fraction)
    return head, budget - head


def truncate_head_tail(ids: Sequence[int], head_tokens: int, tail_tokens: int) -> list[int]:
    """The first ``head_tokens`` and the last ``tail_tokens`` of ``ids``; all of them if they fit.

    >>> truncate_head_tail(list(range(10)), 3, 2)
    [0, 1, 2, 8, 9]
    >>> truncate_head_tail([0, 1, 2, 3], 3, 2)
    [0, 1, 2, 3]
    """
    if head_tokens < 0 or tail_tokens < 0:
        raise WindowError(f"head_tokens and tail_tokens must be >= 0, not {head_tokens} and {tail_tokens}")
    ids = list(ids)
    if len(ids) <= head_tokens + tail_tokens:
        return ids
    return ids[:head_tokens] + ids[len(ids) - tail_tokens:]


@dataclass(frozen=True)
class Window:
    """How a text becomes model input: ``prefix_ids + head + tail + suffix_ids``, at most ``max_length`` ids."""

    max_length: int
    head_tokens: int
    tail_tokens: int
    prefix_ids: tuple[int, ...] = ()
    suffix_ids: tuple[int, ...] = ()
    pad_id: int = 0

    def __post_init__(self):
        used = self.head_tokens + self.tail_tokens + len(self.prefix_ids) + len(self.suffix_ids)
        if self.head_tokens < 0 or self.tail_tokens < 0 or self.head_tokens + self.tail_tokens < 1 or used > self.max_length:
            raise WindowError(f"head_tokens ({self.head_tokens}) + tail_tokens ({self.tail_tokens}) + special tokens "
                              f"must be between 1 and max_length ({self.max_length})")

    @classmethod
    def build(cls, max_length: int, prefix_ids: Sequence[int] = (), suffix_ids: Sequence[int] = (), pad_id: int = 0,
              head_tokens: int | None = None, head_fraction: float = HEAD_FRACTION) -> "Window":
        """The window of ``max_length`` ids around these special tokens; the text's budget is split by
        ``head_tokens`` when given, else by ``head_fraction`` (:func:`split_budget`)."""
        budget = max_length - len(prefix_ids) - len(suffix_ids)
        head, tail = split_budget(budget, head_fraction)
        if head_tokens is not None:
            head = min(max(int(head_tokens), 0), budget)
            tail = budget - head
        return cls(int(max_length), head, tail, tuple(int(i) for i in prefix_ids), tuple(int(i) for i in suffix_ids), int(pad_id))

    @property
    def head_fraction(self) -> float:
        """The share of the text budget given to the head, as used."""
        return self.head_tokens / (self.head_tokens + self.tail_tokens)

    def cut(self, ids: Sequence[int]) -> list[int]:
        """Text ids (no special tokens) -> the window's ids, special tokens included."""
        return [*self.prefix_ids, *truncate_head_tail(ids, self.head_tokens, self.tail_tokens), *self.suffix_ids]

    @classmethod
    def from_json(cls, data: dict) -> "Window":
        missing = [k for k in WINDOW_KEYS if k not in data]
        if missing:
            raise WindowError(f"the window lacks {', '.join(missing)}")
        return cls(int(data["max_length"]), int(data["head_tokens"]), int(data["tail_tokens"]),
                   tuple(int(i) for i in data["prefix_ids"]), tuple(int(i) for i in data["suffix_ids"]), int(data["pad_id"]))

    def to_json(self) -> dict:
        return {"max_length": self.max_length, "head_tokens": self.head_tokens, "tail_tokens": self.tail_tokens,
                "head_fraction": round(self.head_fraction, 4), "prefix_ids": list(self.prefix_ids),
                "suffix_ids": list(self.suffix_ids), "pad_id": self.pad_id}


def encode_texts(tokenizer, texts: Sequence[str], window: Window) -> list[np.ndarray]:
    """Token ids per text with a ``tokenizers.Tokenizer``, cut by ``window`` (int64 arrays, unpadded).

    The exporter feeds PyTorch with this same function, so PyTorch and the server see identical ids.
    """
    clean = [t.encode("utf-8", errors="replace").decode("utf-8") for t in texts]  # lone surrogates -> '?'
    out = []
    for enc in tokenizer.encode_batch(clean, add_special_tokens=False):
        ids = enc.ids or [window.pad_id]  # e.g. only characters the tokenizer drops: give the model one pad token
        out.append(np.asarray(window.cut(ids), dtype=np.int64))
    return out


def pad_batch(ids: Sequence[np.ndarray], pad_id: int) -> tuple[np.ndarray, np.ndarray]:
    """Right-pad token id arrays to the longest one: (input_ids, attention_mask), both int64 [batch, longest]."""
    longest = max(x.shape[0] for x in ids)
    input_ids = np.full((len(ids), longest), pad_id, dtype=np.int64)
    mask = np.zeros((len(ids), longest), dtype=np.int64)
    for row, x in enumerate(ids):
        input_ids[row, : x.shape[0]] = x
        mask[row, : x.shape[0]] = 1
    return input_ids, mask
