"""What training and evaluation return, in both parts of the course: one type for each (ARCHITECTURE.md, "Names").

Part 1's ``starter_lstm.fit``/``evaluate`` and Part 2's ``roberta_transfer.train``/``evaluate`` return these, so a
chapter reads ``result.accuracy``, ``result.predictions`` or ``trained.history`` the same way in either part.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class EvalResult:
    """A model measured on a labelled set, with its per-example outputs in dataset order."""

    accuracy: float
    f1: float  # macro F1 over the classes
    loss: float  # mean cross-entropy
    predictions: np.ndarray  # [N] class ids
    labels: np.ndarray  # [N] class ids
    probabilities: np.ndarray  # [N, classes]: softmax of the logits
    seconds: float

    def summary(self) -> dict:
        return {"accuracy": round(self.accuracy, 4), "f1": round(self.f1, 4), "loss": round(self.loss, 4),
                "n": int(len(self.labels)), "seconds": round(self.seconds, 1)}


# What every history row holds, in both parts (a part may add more: Part 1 its training accuracy and speed).
HISTORY_KEYS = ("epoch", "train_loss", "train_seconds", "val_accuracy", "val_f1", "val_loss")


@dataclass
class TrainResult:
    """A training run: one history row per epoch (``epoch``, ``train_loss``, ``train_seconds``, ``val_accuracy``,
    ``val_f1``, ``val_loss``, and what a part adds), the epoch whose weights the model kept, and its cost."""

    history: list[dict] = field(default_factory=list)
    best_epoch: int = 0
    best_val_accuracy: float = float("nan")
    seconds: float = 0.0
    train_samples_per_second: float = 0.0
    trainable_parameters: int = 0
    real_token_share: float | None = None  # share of non-padding tokens in the training batches (Part 2)

    def summary(self) -> dict:
        return {"best_epoch": self.best_epoch, "best_val_accuracy": round(self.best_val_accuracy, 4),
                "seconds": round(self.seconds, 1), "train_samples_per_second": round(self.train_samples_per_second, 2),
                "trainable_parameters": self.trainable_parameters, "real_token_share": self.real_token_share}
