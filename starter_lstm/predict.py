"""Predictions for raw text, with exactly the preprocessing used in training."""
from __future__ import annotations

from typing import Sequence

import torch
from torch import nn

import course

from .data import pad_batch
from .vocab import Vocab

LABELS = list(course.IMDB_LABELS)


@torch.no_grad()
def predict(model: nn.Module, vocab: Vocab, texts: str | Sequence[str], max_tokens: int | None = None,
            labels: Sequence[str] = LABELS, batch_size: int = 64, head_tokens: int | None = None,
            device=None) -> list[dict]:
    """Classify raw reviews. Returns one dict per text::

        {"label": "positive", "score": 0.97, "probabilities": {"negative": 0.03, "positive": 0.97}}

    ``score`` is the probability of ``label``. ``max_tokens`` (default: the model's ``max_tokens`` if it has
    one, else no limit) and ``head_tokens`` (default: the model's) cut a long review as in training. An empty
    text is read as "nothing" and gets the model's prior guess rather than an error. The model runs on ``device``
    (default ``course.get_device()``: the GPU when there is one) and stays there.
    """
    if isinstance(texts, str):
        texts = [texts]
    if max_tokens is None:
        max_tokens = getattr(model, "max_tokens", None)
    if head_tokens is None:
        head_tokens = getattr(model, "head_tokens", None)
    device = torch.device(device) if device is not None else course.get_device()
    model.to(device)
    was_training = model.training
    model.eval()  # dropout off: the same text always gets the same answer
    try:
        out = []
        for start in range(0, len(texts), batch_size):
            chunk = texts[start : start + batch_size]
            ids = [torch.tensor(vocab.encode(t, max_tokens, head_tokens), dtype=torch.long) for t in chunk]
            input_ids, lengths = pad_batch(ids, vocab.pad_id)
            probs = torch.softmax(model(input_ids.to(device), lengths), dim=1).cpu()  # lengths stay on the CPU
            for row in probs.tolist():
                best = max(range(len(row)), key=row.__getitem__)
                out.append({"label": labels[best], "score": row[best],
                            "probabilities": dict(zip(labels, row))})
        return out
    finally:
        model.train(was_training)
