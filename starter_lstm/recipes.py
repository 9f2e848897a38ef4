"""The recipes the chapters and the benchmark share: data -> vocabulary -> model -> fit -> test.

:func:`ensure_lstm` produces Part 1 chapter 04's checkpoint, with that chapter's code, when a later chapter needs it and it
is missing (``artifacts/<profile>/part1/lstm``; ``$COURSE_ARTIFACTS`` moves the root).
"""
from __future__ import annotations

import json
import math
import time
from pathlib import Path

import torch

import course

from .checkpoint import CONFIG, VOCAB, WEIGHTS, save_checkpoint
from .data import ReviewDataset, make_loader
from .glove import GLOVE_DIM, start_from_glove
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
        model.glove_coverage = start_from_glove(model, vocab, freeze=freeze, seed=profile.seed)
    else:
        model.embedding.weight.requires_grad = not freeze
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
    Returns ``{"model", "history", "test", "train_seconds", "samples_per_s", ...}``: ``test`` is the test set's
    :class:`~course.run_results.EvalResult`, ``history`` the per-epoch rows of :func:`fit`'s ``TrainResult``.
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
                  max_seconds=max_seconds, device=device).history
    train_seconds = time.perf_counter() - start
    test = evaluate(model, test_loader, desc="test", progress=progress, device=device)
    return {"model": model, "history": history, "test": test, "test_accuracy": test.accuracy,
            "train_seconds": train_seconds, "epochs": epochs, "n_train": len(datasets["train"]),
            "samples_per_s": sum(h["samples_per_s"] for h in history) / len(history),
            "embeddings": embeddings, "freeze": freeze, "glove_coverage": model.glove_coverage}


# --- chapter 04's checkpoint, for the chapters that need it -----------------------------------------------

LSTM_LR = 2e-3  # chapter 04's learning rate (Adam)
KEEP_HINT = course.KEEP_HINT


def lstm_dir(profile) -> Path:
    """Where chapter 04 saves its LSTM: ``artifacts/<profile>/part1/lstm``."""
    return course.artifacts_dir(profile, "part1") / "lstm"


def data_signature(profile) -> dict:
    """What an LSTM checkpoint was made from (data, window, sizes, seed); a mismatch means it must be rebuilt."""
    return {"n_train": profile.n_train, "n_val": profile.n_val, "n_test": profile.n_test, "seed": profile.seed,
            "max_tokens": profile.lstm_max_tokens, "head_tokens": profile.lstm_head_tokens,
            "vocab_size": profile.lstm_vocab_size, "embed_dim": profile.lstm_embed_dim, "hidden": profile.lstm_hidden,
            "epochs": profile.lstm_epochs, "batch_size": profile.lstm_batch_size, "lr": LSTM_LR}


def is_current(directory, profile) -> bool:
    """True when ``directory`` holds a complete LSTM checkpoint made for ``profile``'s data and sizes."""
    directory = Path(directory)
    if not all((directory / name).is_file() for name in (WEIGHTS, VOCAB, CONFIG)):
        return False
    try:
        config = json.loads((directory / CONFIG).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(config, dict) and config.get("data") == json.loads(json.dumps(data_signature(profile)))


def lstm_data(profile) -> tuple:
    """Chapter 04's data: the profile's IMDb splits, the vocabulary of the training reviews, and every split as a
    :class:`ReviewDataset` (token ids, cut to the window). Returns ``(imdb, vocab, data)``."""
    imdb = course.load_imdb(profile)
    vocab = build_vocab(imdb["train"], profile)
    data = {name: ReviewDataset.from_hf(split, vocab, profile.lstm_max_tokens, profile.lstm_head_tokens)
            for name, split in imdb.items()}
    return imdb, vocab, data


def lstm_loaders(data: dict, profile) -> tuple:
    """``(train, validation, test)`` loaders: shuffled, length-grouped batches for training; large batches in a
    fixed order for measuring."""
    return (make_loader(data["train"], profile.lstm_batch_size, shuffle=True, seed=profile.seed),
            make_loader(data["validation"], 256, shuffle=False),
            make_loader(data["test"], 256, shuffle=False))


def save_lstm(directory, model, vocab: Vocab, profile, *, test, trained, n_train: int) -> dict:
    """Save chapter 04's checkpoint with its window, profile, data signature and metrics; returns the metrics."""
    metrics = {"test_accuracy": test.accuracy, "n_test": len(test.labels), "n_train": n_train,
               "best_val_accuracy": trained.best_val_accuracy, "train_seconds": round(trained.seconds, 1)}
    save_checkpoint(directory, model, vocab, {"max_tokens": profile.lstm_max_tokens,
                                              "head_tokens": profile.lstm_head_tokens, "profile": profile.name,
                                              "data": data_signature(profile), "metrics": metrics})
    return metrics


def train_lstm_checkpoint(profile, directory=None, progress: bool = True) -> dict:
    """Chapter 04 end to end, its steps in its order: data, loaders, model, ``fit``, test, save to ``directory``
    (default :func:`lstm_dir`). Returns the checkpoint's metrics."""
    course.seed_everything(profile.seed)
    imdb, vocab, data = lstm_data(profile)
    train_loader, val_loader, test_loader = lstm_loaders(data, profile)
    model = build_model(vocab, profile)
    device = course.get_device()
    trained = fit(model, train_loader, val_loader, epochs=profile.lstm_epochs, lr=LSTM_LR, progress=progress,
                  device=device)
    test = evaluate(model, test_loader, desc="test", progress=progress, device=device)
    return save_lstm(directory or lstm_dir(profile), model, vocab, profile, test=test, trained=trained,
                     n_train=len(data["train"]))


def ensure_lstm(profile, progress: bool = True) -> Path:
    """Chapter 04's LSTM checkpoint folder for ``profile``; trains and saves it first, with chapter 04's code, when
    it is missing or was made for other data or sizes (its ``config.json`` records them under ``data``)."""
    directory = lstm_dir(profile)
    if not is_current(directory, profile):
        n_train = "all the" if profile.n_train is None else f"{profile.n_train:,}"
        print(f"No current LSTM checkpoint in {directory}: training it now, with the code of Part 1's chapter 04 "
              f"({n_train} training reviews, {profile.lstm_epochs} epochs; its time is in the estimate printed at "
              f"the top). {KEEP_HINT}")
        train_lstm_checkpoint(profile, directory, progress=progress)
    return directory
