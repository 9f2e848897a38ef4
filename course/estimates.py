"""How long each chapter takes, per profile: what ``course.start_chapter`` prints and ``course.book.chapter_times``
shows. Every figure is printed with how it was obtained:

- **measured** (the ci and quick profiles): ``chapters/timings.json``, written by ``python -m course.timings`` from a
  real run (nbmake's durations of the chapters, or the quick pipeline stage that does a chapter's work), each
  duration with its date, CPU model and commit. Nothing in it is typed by hand.
- **computed**: arithmetic, never run as such. For the transformer chapters that size the colab profile (stage 1 and
  stage 2), :func:`gpu_minutes` below, whose inputs (:data:`GPU`, :data:`GFLOP_PER_TOKEN`) are the only place those
  numbers live. Elsewhere, the notebook's metadata gives the range and its arithmetic in words.

Each chapter's facts live in its own notebook, under ``metadata["course"]`` (read by :func:`chapter_facts`):
``computes`` (what it computes, a template over :func:`sizes`), ``glued`` (the figures it must glue,
``course.check_lessons``), ``needs`` (what it makes first when missing: words and the chapters whose work that is),
``quick_stage`` (the DVC stage whose quick run times the chapter's work) and ``computed`` (per profile, where nothing
is measured: ``minutes``, ``how`` and ``before``, or ``formula`` and ``extra_minutes``; where the chapter is measured,
only ``before``, when what it makes first is less than its prerequisite chapters' whole work: typed minutes for a
computed profile, or measured parts to add up, ``{"chapters": [...], "checkpoints": [...]}``, :data:`CHECKPOINT_WORK`).
Adding a chapter changes its notebook and ``_toc.yml``.
"""
from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path, PurePath

from .paths import REPO_ROOT, in_checkout
from .profiles import PROFILES, Profile

MEASURED, COMPUTED = "measured", "computed"


@dataclass(frozen=True)
class Hardware:
    name: str  # as printed
    kind: str  # "cpu" or "cuda"
    gpu: str = ""  # the GPU's short name as it appears in torch.cuda.get_device_name() ("T4")


CPU = Hardware("a 2-core CPU, no GPU", "cpu")
T4 = Hardware("one T4 GPU (Colab's free GPU; 2 CPU cores)", "cuda", "T4")
L4 = Hardware("one 24 GB L4 GPU (the smallest that picks 'full'; larger GPUs take less)", "cuda", "L4")
HARDWARE: dict[str, Hardware] = {"ci": CPU, "quick": CPU, "colab": T4, "full": L4}


# The GPU arithmetic (colab and full), one place for its inputs. roberta-base has 125M parameters (85M in its 12
# layers, 39M in the embedding tables); per token, training costs about 6 x parameters, inference 2 x, training
# only the top 2 of 12 layers (2 + 4 x 2/12) x. Counting all 125M (the layers' matrices alone need 0.51 GFLOP to
# train, attention 0.02-0.03 at 200-300 tokens) leaves about 40% of margin.
GFLOP_PER_TOKEN = {"train": 6 * 0.125, "top2": (2 + 4 * 2 / 12) * 0.125, "infer": 2 * 0.125}


@dataclass(frozen=True)
class Gpu:
    peak_tflops: float  # fp16 tensor cores
    tokens_per_review: int  # at the profile's window, with the padding of length-grouped batches
    overhead_ms: float  # per training review: AdamW's reads and writes of ~3.5 GB and kernel launches
    utilisation: float = 0.25  # of the peak; the high end of a range allows for half of it

    @property
    def tflops(self) -> float:
        return self.peak_tflops * self.utilisation


# Tokens per review: 208 on average at a 256-token window (IMDb train, mean of min(length, 256), measured 2026-11-30
# with the stand-in's WordPiece tokenizer; RoBERTa's BPE gives similar counts), 220 with padding; 275 at 512, 290
# with padding. Overhead: AdamW every second batch of 16 (grad_accum_steps 2) at the T4's 320 GB/s is 11 ms a
# batch, plus ~10 ms of kernel launches: about 1 ms a review.
GPU: dict[str, Gpu] = {"colab": Gpu(peak_tflops=65, tokens_per_review=220, overhead_ms=1.0),
                       "full": Gpu(peak_tflops=121, tokens_per_review=290, overhead_ms=1.0)}


def _ms_per_review(gpu: Gpu, work: str) -> float:
    return gpu.tokens_per_review * GFLOP_PER_TOKEN[work] * 1e9 / (gpu.tflops * 1e12) * 1e3 \
        + (gpu.overhead_ms if work != "infer" else 0.0)


def gpu_minutes(formula: str, profile: Profile) -> tuple[float, str]:
    """Minutes of GPU work for a chapter's ``formula`` ("stage1" or "stage2") in a GPU profile, and the arithmetic
    in words. stage1: the frozen encoder over the training, validation and test reviews once. stage2: the top-2
    layers variant and the full fine-tune, each for ``finetune_epochs`` over the training reviews, plus their
    validation passes (one an epoch) and test passes."""
    gpu = GPU[profile.name]
    n = sizes(profile, words=False)
    infer = _ms_per_review(gpu, "infer")
    if formula == "stage1":
        reviews = n["transformer_n_train"] + n["n_val"] + n["n_test"]
        ms = reviews * infer
        how = (f"{reviews:,} reviews x {gpu.tokens_per_review} tokens x {GFLOP_PER_TOKEN['infer']:.2f} GFLOP at "
               f"{gpu.tflops:g} TFLOP/s")
    elif formula == "stage2":
        train = _ms_per_review(gpu, "train") + _ms_per_review(gpu, "top2")
        trained = profile.finetune_epochs * n["transformer_n_train"]
        evaluated = 2 * (profile.finetune_epochs * n["n_val"] + n["n_test"])
        ms = trained * train + evaluated * infer
        how = (f"{profile.finetune_epochs} epochs x {n['transformer_n_train']:,} reviews x {gpu.tokens_per_review} "
               f"tokens x ({GFLOP_PER_TOKEN['top2']:.2f} + {GFLOP_PER_TOKEN['train']:.2f}) GFLOP at {gpu.tflops:g} "
               f"TFLOP/s plus {gpu.overhead_ms:g} ms a review of optimiser steps, and {evaluated:,} reviews of evaluation")
    else:
        raise ValueError(f"no GPU formula {formula!r}: the formulas are 'stage1' and 'stage2'")
    return ms / 60_000, how


# --- the chapters' facts, from their notebooks ---------------------------------------------------------------------

def chapters_dir() -> Path:
    """``chapters/`` in a checkout; the copy inside the installed package (``course/chapters``) elsewhere."""
    return REPO_ROOT / "chapters" if in_checkout() else Path(__file__).resolve().parent / "chapters"


@lru_cache(maxsize=None)
def _notebooks() -> dict[str, Path]:
    return {p.stem: p for p in sorted(chapters_dir().glob("*/*.ipynb"))}


def chapter_keys() -> list[str]:
    """Every chapter notebook's name without ``.ipynb`` (``04_lstm``), Part 1 first."""
    return list(_notebooks())


@lru_cache(maxsize=None)
def chapter_facts(chapter: str) -> dict:
    """The ``course`` entry of the chapter notebook's metadata. KeyError for a chapter with no notebook."""
    key = PurePath(chapter).stem
    if key not in _notebooks():
        raise KeyError(f"no chapter notebook {key!r} under {chapters_dir()}: a chapter's facts live in its notebook's "
                       "metadata ('course')")
    return json.loads(_notebooks()[key].read_text(encoding="utf-8"))["metadata"].get("course", {})


@lru_cache(maxsize=None)
def timings() -> dict:
    """chapters/timings.json: chapter -> profile -> {seconds, date, cpu, commit, run}."""
    path = chapters_dir() / "timings.json"
    return json.loads(path.read_text(encoding="utf-8"))["chapters"] if path.is_file() else {}


@dataclass(frozen=True)
class Estimate:
    """Minutes ``(low, high)`` for the chapter's own work; ``before``: minutes more when what it needs is missing and
    is made first (as in a fresh Colab runtime); ``how``: the measurement or the arithmetic."""

    minutes: tuple[float, float]
    basis: str  # MEASURED or COMPUTED
    how: str
    before: tuple[float, float] | None = None


def _prerequisites(chapter: str) -> list[str]:
    """Every chapter whose work ``chapter`` makes first when it is missing, transitively, each once."""
    seen: list[str] = []
    for need in chapter_facts(chapter).get("needs", {}).get("chapters", []):
        for key in _prerequisites(need) + [need]:
            if key not in seen:
                seen.append(key)
    return seen


def _span_of_seconds(seconds: float) -> tuple[float, float]:
    minutes = seconds / 60
    return (0.0, 1.0) if minutes < 1 else (math.floor(minutes), math.floor(minutes) + 1)  # the whole minutes around it


# What making a checkpoint costs, in seconds of measured work: figures of the committed quick pipeline results.
# Stage 2 is stage 1 (its features, then its head) and the full variant (training, then its test pass).
CHECKPOINT_WORK = {
    "stage2": [("pipeline_quick_part2_variants.json", f"variants.{key}") for key in (
        "stage1.feature_seconds", "stage1.head_train_seconds",
        "variants.full.train_seconds", "variants.full.test_seconds")],
}


def _measured_before(parts: dict, profile: Profile) -> tuple[float, float] | None:
    """Seconds of measured work, added up: whole chapters (``chapters``: their measured seconds in ``profile``) and
    checkpoints (``checkpoints``: names in :data:`CHECKPOINT_WORK`)."""
    from .reference import figure

    measured = [timings().get(k, {}).get(profile.name) for k in parts.get("chapters", [])]
    if not all(measured):
        return None
    work = [figure(f, k).value for name in parts.get("checkpoints", []) for f, k in CHECKPOINT_WORK[name]]
    return _span_of_seconds(sum(m["seconds"] for m in measured) + sum(work))


def _before(key: str, profile: Profile, typed: list | dict | None) -> tuple[float, float] | None:
    """Minutes to make what ``key`` needs first: typed with a computed figure; measured parts added up where the
    metadata names them (a dict, :func:`_measured_before`: what is made first is less than whole chapters); else
    the prerequisite chapters' own times added up (their measured seconds when all are measured)."""
    if isinstance(typed, dict):
        return _measured_before(typed, profile)
    if typed:
        return tuple(typed)
    needed = _prerequisites(key)
    measured = [timings().get(k, {}).get(profile.name) for k in needed]
    if needed and all(measured):
        return _span_of_seconds(sum(m["seconds"] for m in measured))
    spans = [found.minutes for found in (estimate(k, profile) for k in needed) if found is not None]
    return (sum(s[0] for s in spans), sum(s[1] for s in spans)) if spans else None


def estimate(chapter: str, profile: Profile) -> Estimate | None:
    """How long ``chapter`` takes in ``profile``: measured where ``chapters/timings.json`` has it, else computed."""
    key = PurePath(chapter).stem
    measured = timings().get(key, {}).get(profile.name)
    computed = chapter_facts(key).get("computed", {}).get(profile.name)
    if measured is not None:
        how = (f"{measured['seconds']:.0f} s on {measured['date']} on {measured['cpu']} (commit {measured['commit']}, "
               f"{measured['run']})")
        typed = (computed or {}).get("before")  # what is made first, where it is not a whole chapter's work
        return Estimate(_span_of_seconds(measured["seconds"]), MEASURED, how, _before(key, profile, typed))
    if computed is None:
        return None
    if "formula" in computed:
        work, how = gpu_minutes(computed["formula"], profile)
        extra = computed["extra_minutes"]
        minutes = (math.floor(work + extra[0]), math.ceil(2 * work + extra[1]))
        how = f"{how} = {work:.1f} min of GPU work (twice that at half the speed), plus {computed['extra']}"
        return Estimate(minutes, COMPUTED, how, _before(key, profile, computed.get("before")))
    return Estimate(tuple(computed["minutes"]), COMPUTED, computed["how"], _before(key, profile, computed.get("before")))


IMDB_TRAIN_SPLIT, IMDB_TEST_SPLIT, TWEETS_AFTER_DEDUP = 25_000, 25_000, 37_232


def _n(value: int) -> str:
    return f"{value:,}"


def _sizes_list(values) -> str:
    words = [_n(v) for v in values]
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def _epochs(n: int) -> str:
    return f"{n} epoch" + ("" if n == 1 else "s")


def sizes(profile: Profile, words: bool = True) -> dict:
    """The profile's sizes as the chapter texts print them (``None``, "the whole split", becomes its count);
    ``words=False``: the counts as numbers, for arithmetic."""
    n_train = IMDB_TRAIN_SPLIT - profile.n_val if profile.n_train is None else profile.n_train
    n_test = IMDB_TEST_SPLIT if profile.n_test is None else profile.n_test
    transformer_n_train = n_train if profile.transformer_n_train is None else min(profile.transformer_n_train, n_train)
    if not words:
        return {"n_train": n_train, "n_val": profile.n_val, "n_test": n_test,
                "transformer_n_train": transformer_n_train}
    tweets_left = TWEETS_AFTER_DEDUP - profile.tweet_n_test - min(500, profile.tweet_n_test)
    curve = [n_train if s is None else s for s in profile.learning_curve_sizes]
    sst2 = ["all" if s is None else _n(s) for s in profile.sst2_curve_sizes]
    return {
        "model_id": profile.model_id, "n_train": _n(n_train), "n_val": _n(profile.n_val),
        "n_test": _n(n_test), "transformer_n_train": _n(transformer_n_train),
        "lstm_vocab_size": _n(profile.lstm_vocab_size), "lstm_max_tokens": _n(profile.lstm_max_tokens),
        "lstm_epochs_text": _epochs(profile.lstm_epochs), "curve": _sizes_list(curve),
        "n_lstm_models": str(3 * len(curve)), "max_length": _n(profile.max_length),
        "head_epochs": str(profile.head_epochs), "finetune_epochs_text": _epochs(profile.finetune_epochs),
        "sst2_curve": ", ".join(sst2[:-1]) + " and " + sst2[-1] if len(sst2) > 1 else sst2[0],
        "tweet_n_train": _n(tweets_left if profile.tweet_n_train is None else profile.tweet_n_train),
        "tweet_n_test": _n(profile.tweet_n_test),
        "exercise_n_train": _n(profile.exercise_n_train),
        "exercise_n_test": _n(n_test if profile.exercise_n_test is None else min(profile.exercise_n_test, n_test)),
    }


def _minutes(span: tuple[float, float]) -> str:
    low, high = span
    if low == 0:
        return f"under {high:g} min"
    return f"about {low:g} min" if low == high else f"about {low:g}-{high:g} min"


def current_chapter() -> str | None:
    """The running notebook's chapter, where the kernel can tell: VS Code's ``__vsc_ipynb_file__``, or the notebook
    path that Jupyter Server gives the kernels it starts (``JPY_SESSION_NAME``, which ipykernel also shows as
    ``__session__``). None elsewhere (nbclient and nbmake, the book build, Colab): then nothing is guessed."""
    found = []
    try:
        from IPython import get_ipython

        shell = get_ipython()
    except ImportError:
        shell = None
    if shell is not None:
        found += [shell.user_ns.get("__vsc_ipynb_file__"), shell.user_ns.get("__session__")]
    found.append(os.environ.get("JPY_SESSION_NAME"))
    for value in found:
        if isinstance(value, str) and value.strip():
            stem = PurePath(value.strip()).stem
            if stem in _notebooks():
                return stem
    return None


def describe(chapter: str, profile: Profile, device_type: str = "cpu", device_name: str = "") -> str | None:
    """What ``chapter`` computes in ``profile`` and how long it takes, with how that figure was obtained; a warning
    when this machine (``device_type`` "cpu"/"cuda"/"mps", ``device_name``) is not the figure's hardware. None for
    a chapter or profile nothing is known of."""
    key = PurePath(chapter).stem
    if key not in _notebooks() or profile.name not in HARDWARE:
        return None
    facts, hardware = chapter_facts(key), HARDWARE[profile.name]
    found = estimate(key, profile)
    if found is None or "computes" not in facts:
        return None
    lines = [f"Chapter {key}: {facts['computes'].format(**sizes(profile))}.",
             f"Time: {_minutes(found.minutes)} on {hardware.name}. "
             + ("Measured: " if found.basis == MEASURED else "Computed, not measured: ") + f"{found.how}."]
    if found.before is not None and "needs" in facts:
        lines.append(f"If {facts['needs']['what']} is missing (in every fresh Colab runtime, unless artifacts are kept "
                     f"on Drive), this chapter makes it first: add {_minutes(found.before)}.")
    if device_type != hardware.kind:
        if device_type == "cpu":
            lines.append("This machine has no GPU: expect it to take far longer than that.")
        else:
            here = f"a GPU ({device_name})" if device_type == "cuda" else "Apple's GPU (MPS)"
            lines.append(f"This machine has {here}: that figure is for other hardware, a rough guide only.")
    elif hardware.gpu and hardware.gpu not in device_name.split():
        lines.append(f"That figure is for a {hardware.gpu}; this GPU ({device_name}) will take a different time "
                     "(a faster one less).")
    reference = PROFILES.get(profile.name)
    if reference is not None and profile.model_id != reference.model_id:
        lines.append(f"The figure is for {reference.model_id}; COURSE_MODEL chose {profile.model_id}.")
    return "\n".join(lines)


def time_table(chapter: str) -> list[dict]:
    """How long ``chapter`` takes in every profile, one row a profile, from the same figures that
    :func:`describe` prints: ``profile``, ``hardware``, ``time`` (its own work), ``first_time`` (with what it
    makes first when that is missing, or None) and ``basis`` (measured, computed, or "not measured yet" for a
    profile with no figure: a new chapter before ``python -m course.timings`` has recorded a run of it)."""
    chapter_facts(chapter)  # KeyError for a chapter with no notebook
    rows = []
    for name in ("ci", "quick", "colab", "full"):
        found = estimate(chapter, PROFILES[name])
        if found is None:
            rows.append({"profile": name, "hardware": HARDWARE[name].name, "time": "no figure yet", "first_time": None,
                         "basis": "not measured yet"})
            continue
        first = None
        if found.before is not None:
            first = _minutes((found.minutes[0] + found.before[0], found.minutes[1] + found.before[1]))
        rows.append({"profile": name, "hardware": HARDWARE[name].name, "time": _minutes(found.minutes),
                     "first_time": first, "basis": found.basis})
    return rows
