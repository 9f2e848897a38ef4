"""The recipes the chapters and the benchmark share: data -> vocabulary -> model -> fit -> test."""
from __future__ import annotations

import math
import time

import torch

from .data import ReviewDataset, make_loader
from .glove import GLOVE_DIM, glove_matrix
from .model import LSTMClassifier, LSTMConfig
from .train import evaluate, fit
from .vocab import Vocab


def build_vocab(train_split, profile, min_freq: int = 2) -> Vocab:
    """The vocabulary of the training reviews (never the test reviews), sized by the profile."""
    return Vocab.build(train_split["text"], min_freq=min_freq, max_size=profile.lstm_vocab_size)


def build_model(vocab: Vocab, profile, embeddings: str = "random", freeze: bool = False, seed: int | None = None,
                dropout: float = 0.5) -> LSTMClassifier:
    """A bidirectional LSTM sized by the profile. ``embeddings="glove"`` starts the embedding layer from GloVe
    (50 numbers per word); ``freeze=True`` keeps those embeddings fixed during training."""
    if embeddings not in ("random", "glove"):
        raise ValueError(f"embeddings must be 'random' or 'glove', not {embeddings!r}")
    torch.manual_seed(profile.seed if seed is None else seed)
    dim = GLOVE_DIM if embeddings == "glove" else profile.lstm_embed_dim
    model = LSTMClassifier(LSTMConfig(len(vocab), dim, profile.lstm_hidden, dropout=dropout, pad_id=vocab.pad_id))
    model.max_tokens = profile.lstm_max_tokens
    model.head_tokens = profile.lstm_head_tokens
    model.glove_coverage = None
    if embeddings == "glove":
        matrix, model.glove_coverage = glove_matrix(vocab, seed=profile.seed)
        with torch.no_grad():
            model.embedding.weight.copy_(matrix)
    model.embedding.weight.requires_grad_(not freeze)
    return model


def epochs_for(n_train: int, profile) -> int:
    """Small training sets get more epochs, so that every run takes at least ``profile.lstm_min_steps``
    gradient steps (capped at 30 epochs); the best validation epoch is kept anyway."""
    min_steps = profile.lstm_min_steps
    steps_per_epoch = max(1, math.ceil(n_train / profile.lstm_batch_size))
    return max(profile.lstm_epochs, min(30, math.ceil(min_steps / steps_per_epoch)))


def train_and_test(splits, vocab: Vocab, profile, embeddings: str = "random", freeze: bool = False,
                   epochs: int | None = None, lr: float = 2e-3, progress: bool = True,
                   max_seconds: float | None = None, device=None) -> dict:
    """Train a fresh model on ``splits["train"]``, keep its best validation epoch, measure it on the test set.

    Training and testing run on ``device`` (default ``course.get_device()``: the GPU when there is one).
    Returns ``{"model", "history", "test", "train_seconds", "samples_per_s", ...}``.
    """
    model = build_model(vocab, profile, embeddings, freeze)
    datasets = {name: ReviewDataset.from_hf(splits[name], vocab, profile.lstm_max_tokens, profile.lstm_head_tokens)
                for name in ("train", "validation", "test")}
    train_loader = make_loader(datasets["train"], profile.lstm_batch_size, shuffle=True, seed=profile.seed)
    val_loader = make_loader(datasets["validation"], 256, shuffle=False)
    test_loader = make_loader(datasets["test"], 256, shuffle=False)
    epochs = epochs or epochs_for(len(datasets["train"]), profile)
    start = time.perf_counter()
    history = fit(model, train_loader, val_loader, epochs=epochs, lr=lr, progress=progress,
                  max_seconds=max_seconds, device=device)
    train_seconds = time.perf_counter() - start
    test = evaluate(model, test_loader, desc="test", progress=progress, device=device)
    return {"model": model, "history": history, "test": test, "test_accuracy": test["accuracy"],
            "train_seconds": train_seconds, "epochs": epochs, "n_train": len(datasets["train"]),
            "samples_per_s": sum(h["samples_per_s"] for h in history) / len(history),
            "embeddings": embeddings, "freeze": freeze, "glove_coverage": model.glove_coverage}
