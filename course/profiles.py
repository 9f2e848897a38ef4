"""Profiles: one notebook, four sizes (ARCHITECTURE.md, "Profiles").

A profile decides how much work a chapter does, never what it teaches. Chapters read fields from the
profile object; they never branch on its name. ``ci`` (the tests), ``quick`` (a CPU), ``colab`` (one free
Colab GPU, a T4) and ``full`` (a GPU of 24 GB or more). Unset, the hardware picks one (:func:`get_profile`).

    >>> from course import get_profile
    >>> p = get_profile("ci")
    >>> p.n_train
    5000
"""
from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass
from pathlib import Path

PROFILE_ENV = "COURSE_PROFILE"
PARAMS_ENV = "COURSE_PARAMS"  # a params.yaml (read_params, below): the profile a DVC stage runs with
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
    # Part 1's exercise: the learner's model and the library's, each trained for lstm_epochs on this many reviews
    # and tested on this many (None = the profile's whole test split).
    exercise_n_train: int = 5000
    exercise_n_test: int | None = 2000
    # Part 2, the transformer.
    model_id: str = "FacebookAI/roberta-base"
    max_length: int = 512
    batch_size: int = 16
    head_epochs: int = 10
    finetune_epochs: int = 2
    transformer_n_train: int | None = None  # IMDb training reviews for the transformer (a subset of n_train; None = all)
    finetune_lr: float = 2e-5  # peak learning rate when the encoder is fine-tuned (AdamW, linear warm-up/decay)
    grad_accum_steps: int = 2  # optimiser step every this many batches (effective batch = batch_size x this)
    sst2_curve_sizes: tuple[int | None, ...] = (0, 100, 1000, None)  # few-shot SST-2 training sizes (None = all)
    tweet_n_train: int | None = None  # 3-class tweets (Part 2, new label): training tweets (None = all left)
    tweet_n_test: int = 5000  # held-out tweets for the 3-class results
    # Part 3, serving.
    serve_max_length: int = 512
    latency_runs: int = 30  # timed runs per latency figure in Part 3's benchmarks (pipeline/serving.py, int8_variants.py)
    # Encoder layers of the untrained roberta-base-sized model that Part 3's serving benchmarks time (pipeline/roberta_sized.py):
    # roberta-base's 12 in every profile; the pipeline test makes it smaller, since it checks the mechanics, not the figures.
    roberta_sized_layers: int = 12

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
    exercise_n_train=2000,  # 2 x 6 epochs of 2,000 reviews: about 3-4 minutes on 2 cores
    transformer_n_train=5000,  # 8,000 gave 0.904 in 105 min; 5,000 gives 0.894 in 70 min (the part2_quality benchmark of 2026-11-23, in git history)
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
    description="small sizes and the offline stand-in encoder; every chapter in a minute or two on 2 CPU cores (used by the tests)",
    # Sized so that the pages still show the lessons (measured on the course's CPU, 2026-11-30): the LSTM trained on
    # 5,000 reviews for 8 epochs is clearly above chance (0.77 on the 400 test reviews, in about a minute), and
    # GloVe beats random embeddings at 100 training reviews on 3 seeds out of 3 (60 gradient steps at least); stage 2
    # (600 reviews, 2 epochs) beats stage 1 clearly (0.83 against 0.745 on the 400 test reviews).
    n_train=5000,
    n_val=200,
    n_test=400,
    sst2_n_train=400,
    sst2_n_val=200,
    lstm_max_tokens=128,
    lstm_head_tokens=32,  # a long review keeps its first 32 and its last 96 tokens
    lstm_vocab_size=10_000,
    lstm_embed_dim=50,
    lstm_hidden=32,
    lstm_epochs=8,
    lstm_batch_size=32,
    learning_curve_sizes=(100, 400, 1600),
    lstm_min_steps=60,
    exercise_n_train=1500,
    exercise_n_test=None,
    model_id="sentence-transformers/all-MiniLM-L6-v2",
    max_length=128,
    head_epochs=3,
    finetune_epochs=2,
    transformer_n_train=600,
    finetune_lr=5e-5,
    grad_accum_steps=1,
    sst2_curve_sizes=(0, 64),
    tweet_n_train=128,
    tweet_n_test=128,
    serve_max_length=128,
)

# The colab profile: sized so that every chapter takes about 15 minutes or less on ONE T4, Colab's free GPU. The
# arithmetic is code, course.estimates.gpu_minutes (its inputs there: FLOPs per token, the GPU's speed, tokens per
# review), and tests/course/test_course_estimates.py holds these sizes to it: a 256-token window (56% of the reviews
# whole), 10,000 training reviews for the transformer, 5,000 test reviews (accuracy within about +-0.8 points, 95%),
# 10,000 tweets. Memory: fp32 weights, gradients and AdamW's moments take 2 GB, fp16 activations of a batch of 16 x 256
# tokens about 2 GB: far below 16 GB. Part 1 on a GPU keeps full's LSTM: bound by its ~240 sequential steps, not FLOPs.
COLAB = dataclasses.replace(
    FULL,
    name="colab",
    description="one free Colab GPU (a T4, 16 GB): roberta-base on a 256-token window and 10,000 training reviews, "
                "Part 1's LSTM trained at full size; about 15 minutes or less a chapter (computed, see "
                "course/estimates.py)",
    n_test=5000,
    max_length=256,
    transformer_n_train=10_000,
    sst2_curve_sizes=(0, 100, 1000, 5000),
    tweet_n_train=10_000,
    serve_max_length=256,
)

PROFILES: dict[str, Profile] = {p.name: p for p in (CI, QUICK, COLAB, FULL)}

# A GPU with less than this much memory (as PyTorch reports it) gets the colab profile, a larger one full. The
# colab profile is for the 16 GB class (T4, V100-16GB, P100: 15-16 GiB reported); every "24 GB" card (L4, A10,
# RTX 3090/4090) reports 22-24 GiB, so the cut sits between the two classes rather than at exactly 24.
COLAB_MAX_GPU_GIB = 20.0


def profile_for_hardware(gpu_memory_gib: float | None) -> str:
    """The profile for a machine: ``quick`` without a CUDA GPU (``None``), ``colab`` on a GPU of less than
    :data:`COLAB_MAX_GPU_GIB` GiB (a T4), ``full`` on a larger one."""
    if gpu_memory_gib is None:
        return "quick"
    return "colab" if gpu_memory_gib < COLAB_MAX_GPU_GIB else "full"


def _gpu_memory_gib() -> float | None:
    """Memory of the first CUDA GPU in GiB, or None without one (or without torch)."""
    try:
        import torch
    except ImportError:
        return None
    if not torch.cuda.is_available():
        return None
    return torch.cuda.get_device_properties(0).total_memory / 2**30


def get_profile(name: str | None = None) -> Profile:
    """Return the profile called ``name``, else ``$COURSE_PROFILE``, else the one for this hardware: ``colab`` on
    a GPU of less than 24 GB (Colab's T4), ``full`` on a larger GPU, ``quick`` without a GPU.

    ``$COURSE_MODEL``, when set, replaces the profile's model id (for example to try
    ``distilbert/distilroberta-base`` in the quick profile). ``$COURSE_PARAMS``, when set, names a ``params.yaml``
    (what a DVC stage runs with: :func:`read_params`): its profile, with the file's values.
    """
    params = os.environ.get(PARAMS_ENV)
    if params:
        profile = read_params(params)
        asked = (name or os.environ.get(PROFILE_ENV) or profile.name).strip().lower()
        if asked != profile.name:
            raise ValueError(f"COURSE_PARAMS={params} describes the {profile.name!r} profile, but {asked!r} was asked "
                             f"for: unset one of them, or write the file for {asked!r} (python -m course.params write "
                             f"{asked}).")
        model = os.environ.get(MODEL_ENV)
        return dataclasses.replace(profile, model_id=model.strip()) if model else profile
    chosen = name or os.environ.get(PROFILE_ENV) or profile_for_hardware(_gpu_memory_gib())
    chosen = chosen.strip().lower()
    if chosen not in PROFILES:
        raise ValueError(
            f"Unknown course profile {chosen!r}. Choose one of {', '.join(PROFILES)} "
            f"(set {PROFILE_ENV}={'|'.join(PROFILES)}, or unset it to pick by hardware)."
        )
    profile = PROFILES[chosen]
    model = os.environ.get(MODEL_ENV)
    if model:
        profile = dataclasses.replace(profile, model_id=model.strip())
    return profile


# Profiles as DVC parameters -------------------------------------------------------------------------------------
# params.yaml holds one profile's fields, so that each stage of dvc.yaml can depend on the ones it reads
# (profile.lstm_epochs): `dvc repro` re-runs only the stages whose fields changed, and `dvc exp run -S
# profile.lstm_epochs=3` runs a variant without editing code. A stage runs with COURSE_PARAMS=params.yaml, and
# get_profile() then starts from the named profile and applies the file's values, which differ from the dataclass
# only inside such an experiment. `python -m course.params write NAME | check` is the command line.

PARAMS_HEADER = ("# One profile of course/profiles.py, for DVC (dvc.yaml). Written by `python -m course.params write NAME`;\n"
                 "# the tests check that it equals the dataclass. Change sizes in course/profiles.py, or for one experiment\n"
                 "# with `dvc exp run -S profile.FIELD=VALUE`, never by hand here.\n")


class ParamsError(ValueError):
    """``params.yaml`` cannot be turned into a profile; the message says what to change."""


def profile_to_params(profile: Profile) -> dict:
    """``{"profile": {...}}``: the profile's fields as YAML-friendly values (tuples become lists)."""
    values = {f.name: getattr(profile, f.name) for f in dataclasses.fields(profile) if f.name != "description"}
    return {"profile": {k: list(v) if isinstance(v, tuple) else v for k, v in values.items()}}


def write_params(profile: Profile, path: str | os.PathLike = "params.yaml") -> Path:
    import yaml

    path = Path(path)
    path.write_text(PARAMS_HEADER + yaml.safe_dump(profile_to_params(profile), sort_keys=False), encoding="utf-8")
    return path


def read_params(path: str | os.PathLike) -> Profile:
    """The profile ``path`` describes: its named profile with the file's values applied."""
    import yaml

    path = Path(path)
    if not path.is_file():
        raise ParamsError(f"{PARAMS_ENV}={path} names no file: write one with `python -m course.params write NAME`.")
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    values = data.get("profile") if isinstance(data, dict) else None
    if not isinstance(values, dict) or values.get("name") not in PROFILES:
        raise ParamsError(f"{path} must hold `profile:` with a `name:` among {', '.join(PROFILES)}.")
    base = PROFILES[values["name"]]
    fields = {f.name: f for f in dataclasses.fields(base)}
    unknown = sorted(set(values) - set(fields))
    if unknown:
        raise ParamsError(f"{path}: unknown profile fields {', '.join(unknown)} (course/profiles.py has no such size).")
    changes = {k: tuple(v) if isinstance(getattr(base, k), tuple) else v for k, v in values.items() if k != "name"}
    return dataclasses.replace(base, **changes)


def differences(path: str | os.PathLike) -> dict:
    """``{field: (in params.yaml, in the dataclass)}`` for every field where the file and its profile differ."""
    mine = read_params(path)
    base = PROFILES[mine.name]
    return {f.name: (getattr(mine, f.name), getattr(base, f.name)) for f in dataclasses.fields(base)
            if getattr(mine, f.name) != getattr(base, f.name)}
