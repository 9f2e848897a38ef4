"""Profiles: one notebook, three sizes (ARCHITECTURE.md, "Profiles").

A profile decides how much work a chapter does, never what it teaches. Chapters read fields from the
profile object; they never branch on its name.

    >>> from course import get_profile
    >>> p = get_profile("ci")
    >>> p.n_train
    400
"""
from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass

PROFILE_ENV = "COURSE_PROFILE"
MODEL_ENV = "COURSE_MODEL"


@dataclass(frozen=True)
class Profile:
    """How much data and compute a chapter uses. ``None`` for a size means "the whole split".

    The defaults are the ``full`` profile's sizes; the other profiles state only what differs from it.
    """

    name: str
    description: str
    seed: int = 42
    # IMDb subsets: train and validation are carved (disjoint, stratified) from IMDb's train split,
    # test is a stratified subset of IMDb's test split.
    n_train: int | None = None
    n_val: int = 1000
    n_test: int | None = None
    # SST-2 subsets (validation is GLUE's labelled dev set, our held-out test for SST-2).
    sst2_n_train: int | None = None
    sst2_n_val: int | None = None
    # Part 1, the LSTM.
    lstm_max_tokens: int = 400
    lstm_head_tokens: int | None = 100  # a longer review keeps its first this many tokens and its last (max - this)
    lstm_vocab_size: int = 25_000
    lstm_embed_dim: int = 100
    lstm_hidden: int = 128
    lstm_epochs: int = 6
    lstm_batch_size: int = 64
    learning_curve_sizes: tuple[int | None, ...] = (250, 1000, 5000, None)
    lstm_min_steps: int = 300  # small training sets get more epochs: at least this many gradient steps
    # Part 2, the transformer.
    model_id: str = "FacebookAI/roberta-base"
    max_length: int = 512
    batch_size: int = 16
    head_epochs: int = 10
    finetune_epochs: int = 2
    tf_n_train: int | None = None  # IMDb training reviews for the transformer (a subset of n_train; None = all)
    finetune_lr: float = 2e-5  # peak learning rate when the encoder is fine-tuned (AdamW, linear warm-up/decay)
    grad_accum_steps: int = 2  # optimiser step every this many batches (effective batch = batch_size x this)
    sst2_curve_sizes: tuple[int | None, ...] = (0, 100, 1000, None)  # few-shot SST-2 training sizes (None = all)
    tweet_n_train: int | None = None  # 3-class tweets (Part 2, new label): training tweets (None = all left)
    tweet_n_test: int = 5000  # held-out tweets for the 3-class results
    # Part 3, serving.
    serve_max_length: int = 512

    def sizes(self) -> dict:
        """The sizes this profile chose, as a dict a chapter can print."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name != "description"}

    def describe(self) -> str:
        def fmt(v):
            return "all" if v is None else (f"{v:,}" if isinstance(v, int) else str(v))

        return (
            f"Profile '{self.name}': {self.description}\n"
            f"  IMDb train/val/test: {fmt(self.n_train)} / {fmt(self.n_val)} / {fmt(self.n_test)} reviews;"
            f" SST-2 train/val: {fmt(self.sst2_n_train)} / {fmt(self.sst2_n_val)} sentences\n"
            f"  LSTM: {self.lstm_epochs} epochs, {self.lstm_max_tokens} tokens per review"
            f"{'' if self.lstm_head_tokens is None else f' (first {self.lstm_head_tokens} + last {self.lstm_max_tokens - self.lstm_head_tokens})'};"
            f" transformer: {self.model_id}, window {self.max_length} tokens, batch {self.batch_size},"
            f" {self.head_epochs}+{self.finetune_epochs} epochs"
        )


FULL = Profile(
    name="full",
    description="the real thing on a GPU: all of IMDb, roberta-base, the epochs of the papers",
)

QUICK = dataclasses.replace(
    FULL,
    name="quick",
    description="real data sized for a laptop CPU: minutes per chapter, real (smaller) numbers",
    lstm_max_tokens=256,
    lstm_head_tokens=64,  # a long review keeps its first 64 and its last 192 tokens
    model_id="sentence-transformers/all-MiniLM-L6-v2",
    max_length=256,
    finetune_epochs=1,
    tf_n_train=5000,  # 8,000 gave 0.904 in 105 min; 5,000 gives 0.894 in 70 min (benchmarks/results)
    finetune_lr=5e-5,
    grad_accum_steps=1,
    sst2_curve_sizes=(0, 100, 1000, 5000),
    tweet_n_train=3000,
    tweet_n_test=2000,
    serve_max_length=256,
)

CI = dataclasses.replace(
    FULL,
    name="ci",
    description="tiny sizes and the offline stand-in encoder; every chapter in seconds on 2 CPU cores (used by the tests)",
    n_train=400,
    n_val=200,
    n_test=400,
    sst2_n_train=400,
    sst2_n_val=200,
    lstm_max_tokens=128,
    lstm_head_tokens=32,  # a long review keeps its first 32 and its last 96 tokens
    lstm_vocab_size=5_000,
    lstm_embed_dim=50,
    lstm_hidden=32,
    lstm_epochs=1,
    lstm_batch_size=32,
    learning_curve_sizes=(100, 400),
    lstm_min_steps=20,
    model_id="sentence-transformers/all-MiniLM-L6-v2",
    max_length=128,
    head_epochs=3,
    finetune_epochs=1,
    tf_n_train=200,
    finetune_lr=5e-5,
    grad_accum_steps=1,
    sst2_curve_sizes=(0, 64),
    tweet_n_train=128,
    tweet_n_test=128,
    serve_max_length=128,
)

PROFILES: dict[str, Profile] = {p.name: p for p in (CI, QUICK, FULL)}


def _gpu_available() -> bool:
    try:
        import torch
    except ImportError:
        return False
    return bool(torch.cuda.is_available())


def get_profile(name: str | None = None) -> Profile:
    """Return the profile called ``name``, else ``$COURSE_PROFILE``, else ``full`` on a GPU and ``quick`` on a CPU.

    ``$COURSE_MODEL``, when set, replaces the profile's model id (for example to try
    ``distilbert/distilroberta-base`` in the quick profile).
    """
    chosen = name or os.environ.get(PROFILE_ENV) or ("full" if _gpu_available() else "quick")
    chosen = chosen.strip().lower()
    if chosen not in PROFILES:
        raise ValueError(
            f"Unknown course profile {chosen!r}. Choose one of {', '.join(PROFILES)} "
            f"(set {PROFILE_ENV}=ci|quick|full, or unset it to pick by hardware)."
        )
    profile = PROFILES[chosen]
    model = os.environ.get(MODEL_ENV)
    if model:
        profile = dataclasses.replace(profile, model_id=model.strip())
    return profile
