"""What each chapter computes and how long it takes, per profile: what ``course.start_chapter`` prints.

Every figure says how it was obtained, and is printed with it:

- **measured**: a run of that chapter, or of the very same computation, with its date and machine;
- **computed**: arithmetic, never run as such: a GPU's throughput and the FLOPs of the work (the colab and full
  profiles: the arithmetic is in ``course/profiles.py`` above ``COLAB``), or a measured speed times the amount
  of work. Computed figures are ranges; the high end of a GPU figure allows for half the assumed utilisation.

Each profile's figures are for one machine, :data:`HARDWARE`: the course's 2-core CPU for ci and quick, one T4
for colab, one 24 GB L4 for full (the smallest GPU that picks full; a larger one takes less). On other hardware
the figure is printed with a warning that it is for other hardware.

The keys of :data:`CHAPTERS` are the notebooks' names without ``.ipynb`` (``04_lstm``); every notebook under
``chapters/`` has an entry for every profile (``tests/course/test_course_estimates.py``).
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import PurePath

from .profiles import PROFILES, Profile

MEASURED, COMPUTED = "measured", "computed"


@dataclass(frozen=True)
class Hardware:
    name: str  # as printed
    kind: str  # "cpu" or "cuda"
    gpu: str = ""  # the GPU's short name as it appears in torch.cuda.get_device_name() ("T4")


@dataclass(frozen=True)
class Estimate:
    """Minutes ``(low, high)`` for the chapter's own work; ``before``: minutes more when what it needs is
    missing and is made first (as in a fresh Colab runtime); ``how``: the measurement or the arithmetic."""

    minutes: tuple[float, float]
    basis: str  # MEASURED or COMPUTED
    how: str
    before: tuple[float, float] | None = None


@dataclass(frozen=True)
class Chapter:
    what: str  # what it computes; a template over :func:`sizes`
    estimates: dict[str, Estimate] = field(default_factory=dict)  # profile name -> estimate
    needs: str = ""  # what it makes first when missing (then ``Estimate.before`` applies)


CPU = Hardware("the course's 2-core CPU (a 2.0 GHz Xeon, no GPU)", "cpu")
T4 = Hardware("one T4 GPU (Colab's free GPU; 2 CPU cores)", "cuda", "T4")
L4 = Hardware("one 24 GB L4 GPU (the smallest that picks 'full'; larger GPUs take less)", "cuda", "L4")
HARDWARE: dict[str, Hardware] = {"ci": CPU, "quick": CPU, "colab": T4, "full": L4}

# The measured runs quoted below (README.md and the benchmarks' history in git).
CI_RUN = "the scripts/test.sh run of 2026-11-23 (commit c17f285, chapters in order)"
CI_SMALL = f"at most 26 s in {CI_RUN}"
CI_REST = f"under 2 min (every chapter but the three slowest took less than 113 s) in {CI_RUN}"
LSTM_SPEED = "the LSTM's measured 85-124 reviews/s (the benchmarks' history in git, 2026-11-23)"
T4_RATE = "16 TFLOP/s (25% of a T4's fp16 peak)"
L4_RATE = "30 TFLOP/s (25% of an L4's 121 TFLOP/s fp16 peak)"
CPU_TEXT = "CPU-only text processing, as on the course's CPU"
# The arithmetic for the L4 (full): the same costs as the T4's (course/profiles.py) at a 512-token window, 290
# tokens a review with padding (IMDb: 275 on average), 30 TFLOP/s: training 290 x 0.75 GFLOP = 7.3 ms a review,
# plus ~1 ms of optimiser and kernel launches; top-2 layers 3.9 ms; inference 2.5 ms. 24,000 training, 1,000
# validation and 25,000 test reviews. Part 3's export work runs on the CPU: from the benchmarks' history in git's 2-core
# latencies of a roberta-base-sized model (one 512-token review: 1.3 s fp32, 0.9 s int8; 128 tokens: 0.29 and
# 0.18 s), 120 reviews through fp32 and int8, three times.

CHAPTERS: dict[str, Chapter] = {
    # Part 1 -------------------------------------------------------------------------------------------------
    "01_meet_imdb": Chapter(
        "loads IMDb and counts the words and the {model_id} tokens of its {n_train} training reviews (on the CPU)",
        {
            "ci": Estimate((0, 1), MEASURED, CI_SMALL),
            "quick": Estimate((1, 2), COMPUTED, "its main step timed on the course's 2-core machine on 2026-11-30: "
                              "tokenizing 30,000 reviews took 16 s"),
            "colab": Estimate((1, 3), COMPUTED, f"{CPU_TEXT}, plus downloading IMDb"),
            "full": Estimate((1, 3), COMPUTED, f"{CPU_TEXT}, plus downloading IMDb"),
        }),
    "02_tokens_and_vocabulary": Chapter(
        "builds a vocabulary of up to {lstm_vocab_size} words from {n_train} training reviews and measures how much "
        "of {n_test} test reviews it covers (on the CPU)",
        {
            "ci": Estimate((0, 1), MEASURED, CI_SMALL),
            "quick": Estimate((1, 2), COMPUTED, "its main steps timed on the course's 2-core machine on 2026-11-30: "
                              "the vocabulary of 24,000 reviews 11 s, the coverage of 25,000 test reviews 12 s"),
            "colab": Estimate((1, 3), COMPUTED, CPU_TEXT),
            "full": Estimate((1, 3), COMPUTED, CPU_TEXT),
        }),
    "03_neural_network_basics": Chapter(
        "works through tensors, a loss, gradient descent, embeddings and an LSTM on examples of a few numbers "
        "(no data, no training beyond 25 steps of one weight)",
        {name: Estimate((0, 1), COMPUTED, "a few dozen tensor operations on tensors of at most 100 numbers, and "
                        "three small figures: seconds on any machine") for name in ("ci", "quick", "colab", "full")}),
    "04_lstm": Chapter(
        "trains the LSTM on {n_train} IMDb reviews ({lstm_epochs_text}, up to {lstm_max_tokens} tokens each), "
        "then tests it on {n_test}",
        {
            "ci": Estimate((1, 2), COMPUTED, "8 epochs x 5,000 reviews of 128 tokens: 60 s of training measured "
                           "for the same sizes on the course's CPU on 2026-11-30 (a shared machine), plus loading"),
            "quick": Estimate((20, 30), COMPUTED, f"6 epochs x 24,000 reviews at {LSTM_SPEED} = 19-28 min, "
                              "plus testing 25,000 reviews"),
            "colab": Estimate((2, 4), COMPUTED, "on a GPU the LSTM is bound by its ~240 sequential steps: 2,250 "
                              "batches x 12-20 ms = 0.5-0.8 min, plus ~0.5 min of vocabulary and encoding on the CPU"),
            "full": Estimate((2, 4), COMPUTED, "2,250 LSTM batches x 12-20 ms = 0.5-0.8 min, plus ~1 min of "
                             "vocabulary and encoding 50,000 reviews on the CPU"),
        }),
    "05_exercise": Chapter(
        "runs the checks of your functions on tiny inputs, then trains the library's LSTM and (once your three pieces "
        "pass) yours on {exercise_n_train} reviews for {lstm_epochs_text}, each tested on {exercise_n_test} reviews",
        {
            "ci": Estimate((0, 1), MEASURED, "15 s for the whole page with the untouched stubs (the library's model "
                           "alone), 26 s for the two models trained with the solutions, on the course's CPU on "
                           "2026-12-04 (one thread, the machine shared with a benchmark)"),
            "quick": Estimate((3, 6), COMPUTED, f"2 models x 6 epochs x 2,000 reviews at {LSTM_SPEED} = 3-5 min, "
                              "plus testing 2 x 2,000 reviews"),
            "colab": Estimate((1, 2), COMPUTED, "2 models x 6 epochs x 80 batches x 12-20 ms on the GPU = 0.2-0.3 "
                              "min, plus encoding 7,000 reviews on the CPU"),
            "full": Estimate((1, 2), COMPUTED, "2 models x 6 epochs x 80 batches x 12-20 ms on the GPU = 0.2-0.3 "
                             "min, plus encoding 7,000 reviews on the CPU"),
        }),
    "06_transfer_glove": Chapter(
        "trains {n_lstm_models} LSTMs (random, GloVe and frozen GloVe embeddings on {curve} training reviews), each "
        "tested on {n_test} reviews",
        {
            "ci": Estimate((1, 3), COMPUTED, "9 LSTMs on 100 to 1,600 reviews for 8 to 15 epochs: 2-25 s each, measured "
                           "for the same sizes on the course's CPU on 2026-11-30 (a shared machine)"),
            "quick": Estimate((90, 130), COMPUTED, "601,500 reviews of training at the measured 100-150 reviews/s "
                              "of 50-number embeddings (the benchmarks' history in git, 2026-11-23) = 67-100 min, plus "
                              "validation, 12 test passes over 25,000 reviews and encoding them (~25 min)"),
            "colab": Estimate((4, 8), COMPUTED, "9,400 LSTM batches x 12-20 ms = 2-3 min on the GPU, plus encoding "
                              "~160,000 reviews on the CPU (~1.5 min)"),
            "full": Estimate((5, 10), COMPUTED, "9,400 LSTM batches x 12-20 ms = 2-3 min on the GPU, plus encoding "
                             "~400,000 reviews on the CPU (~3.5 min)"),
        }),
    # Part 2 -------------------------------------------------------------------------------------------------
    "01_meet_roberta": Chapter(
        "loads {model_id} and tokenizes {n_train} training reviews",
        {
            "ci": Estimate((0, 2), MEASURED, CI_REST),
            "quick": Estimate((1, 2), COMPUTED, "tokenizing 24,000 reviews takes ~10 s on the course's CPU "
                              "(timed 2026-11-30); loading the stand-in encoder"),
            "colab": Estimate((1, 3), COMPUTED, "downloading roberta-base (500 MB) and tokenizing 24,000 reviews"),
            "full": Estimate((1, 3), COMPUTED, "downloading roberta-base (500 MB) and tokenizing 24,000 reviews"),
        }),
    "02_stage1_frozen_encoder": Chapter(
        "runs the frozen encoder once over {transformer_n_train} training, {n_val} validation and {n_test} test reviews "
        "(window {max_length} tokens), then trains the new head for {head_epochs} epochs on those features",
        {
            "ci": Estimate((0, 2), MEASURED, CI_REST),
            "quick": Estimate((30, 35), MEASURED, "30.9 min for the same computation in the part2_quality benchmark (in git history), "
                              "2026-11-23"),
            "colab": Estimate((2, 4), COMPUTED, f"16,000 reviews x 220 tokens x 0.25 GFLOP at {T4_RATE} = 1 min, "
                              "plus downloading and tokenizing"),
            "full": Estimate((3, 6), COMPUTED, f"50,000 reviews x 290 tokens x 0.25 GFLOP at {L4_RATE} = 2 min, "
                             "plus tokenizing 50,000 reviews"),
        }),
    "03_stage2_transfer_finetune": Chapter(
        "fine-tunes the top 2 layers, then the whole encoder, on {transformer_n_train} reviews ({finetune_epochs_text} each, "
        "window {max_length} tokens), and tests each on {n_test} reviews",
        {
            "ci": Estimate((2, 4), COMPUTED, "three variants on 600 reviews: the full fine-tune of 2 epochs took 525 s "
                           "on the course's CPU shared with three other jobs on 2026-11-30, so about 2-3 min alone",
                           before=(0, 2)),
            "quick": Estimate((55, 70), COMPUTED, "the full fine-tune measured in the part2_quality benchmark (in git history) (36.2 "
                              "min with its 25,000-review test pass, 2026-11-23) plus the top-2-layers variant "
                              "(about 0.55 of that training, the same 14-min test pass)", before=(30, 35)),
            "colab": Estimate((6, 12), COMPUTED, f"2 epochs x 10,000 reviews x 220 tokens x (0.33 + 0.75) GFLOP at "
                              f"{T4_RATE}, optimiser steps, 14,000 reviews of evaluation = 6 min",
                              before=(1, 3)),
            "full": Estimate((12, 24), COMPUTED, f"2 epochs x 24,000 reviews x 290 tokens x (0.33 + 0.75) GFLOP at "
                             f"{L4_RATE}, optimiser steps, 54,000 reviews of evaluation = 12 min", before=(3, 6)),
        },
        needs="chapter 02's stage-1 checkpoint"),
    "04_imdb_to_sst2": Chapter(
        "tests the IMDb model on SST-2, then fine-tunes it and a fresh model on {sst2_curve} SST-2 sentences",
        {
            "ci": Estimate((0, 2), MEASURED, CI_REST, before=(2, 5)),
            "quick": Estimate((5, 10), COMPUTED, "the SST-2 fine-tunes measured in the part2_quality benchmark (in git history) "
                              "(2.9 min, 2026-11-23) twice (two starting points), plus tokenizing",
                              before=(65, 70)),
            "colab": Estimate((1, 3), COMPUTED, f"13,000 sentences x ~15 tokens x 0.75 GFLOP at {T4_RATE} plus "
                              "800 optimiser batches: under a minute of GPU time; reloading the models",
                              before=(5, 10)),
            "full": Estimate((3, 6), COMPUTED, f"138,000 sentences x ~15 tokens x 0.75 GFLOP at {L4_RATE} plus "
                             "8,600 optimiser batches x 16 ms = 3 min", before=(10, 20)),
        },
        needs="chapter 03's fine-tuned model (made with stage 1)"),
    "05_new_label_neutral": Chapter(
        "fine-tunes two 3-class models on {tweet_n_train} tweets and tests them on {tweet_n_test}",
        {
            "ci": Estimate((2, 2), MEASURED, f"123 s in {CI_RUN}", before=(2, 5)),
            "quick": Estimate((5, 10), COMPUTED, "2 x 3,000 tweets of ~33 tokens at the stand-in's fine-tuning speed "
                              "measured in the part2_quality benchmark (in git history) (~800 tokens/s, 2026-11-23), plus evaluation",
                              before=(65, 70)),
            "colab": Estimate((2, 4), COMPUTED, f"2 x 10,000 tweets x ~35 tokens x 0.75 GFLOP at {T4_RATE} plus "
                              "1,250 optimiser batches = 1 min, plus evaluation and loading", before=(5, 10)),
            "full": Estimate((2, 5), COMPUTED, f"2 x 31,700 tweets x ~35 tokens x 0.75 GFLOP at {L4_RATE} plus "
                             "4,000 optimiser batches = 2 min", before=(10, 20)),
        },
        needs="chapter 03's fine-tuned model (made with stage 1)"),
    "06_why_transfer_pays": Chapter(
        "tests Part 1's LSTM and the stage-1 and stage-2 models, untouched, on {n_test} IMDb test reviews, SST-2's "
        "test sentences and {tweet_n_test} tweets (no training)",
        {
            "ci": Estimate((2, 2), MEASURED, "126 s for the whole page with the three checkpoints present, on "
                           "2026-11-30 on a shared machine (load average 5-6 on its 2 cores); making the three "
                           "checkpoints first took about 18 min there (the LSTM 13, stage 1 1, stage 2 3), about 1 + "
                           "4 min on a machine to itself by the ci figures of chapters 03 and 04", before=(1, 5)),
            "quick": Estimate((30, 40), COMPUTED, "2 transformer passes over 25,000 test reviews at the stand-in's "
                              "measured 14 min per pass (the part2_quality benchmark (in git history), 2026-11-23) = 28 min, plus the "
                              "LSTM's pass, 872 SST-2 sentences, 2,000 tweets and tokenizing; first, when missing, "
                              "the LSTM (Part 1, chapter 04: 20-30 min) and stages 1 and 2 (as for chapter 04: 65-70 min)",
                              before=(85, 100)),
            "colab": Estimate((1, 3), COMPUTED, f"2 x (5,000 reviews x 220 tokens + 5,872 short texts x ~30 tokens) x "
                              f"0.25 GFLOP at {T4_RATE} = under a minute of GPU time, plus tokenizing and loading; "
                              "first, when missing, the LSTM (Part 1, chapter 04: 2-4 min) and stages 1 and 2 (as for chapter "
                              "04: 5-10 min)", before=(7, 14)),
            "full": Estimate((3, 6), COMPUTED, f"2 x (25,000 reviews x 290 tokens + 5,872 short texts x ~30 tokens) x "
                             f"0.25 GFLOP at {L4_RATE} = 2 min, plus tokenizing 25,000 reviews on the CPU; first, "
                             "when missing, the LSTM (Part 1, chapter 04: 2-4 min) and stages 1 and 2 (as for chapter 04: "
                             "10-20 min)", before=(12, 24)),
        },
        needs="one of the three models (Part 1's LSTM, Part 2's stage 1 or stage 2)"),
    "07_reproducible_experiments": Chapter(
        "runs Part 1's two DVC pipeline stages (eleven small LSTMs), then the learning curve again as an experiment, "
        "in the ci profile whatever the profile, in a temporary copy of the course (installing DVC first where it is "
        "missing)",
        {
            "ci": Estimate((2, 3), MEASURED, "97 s for the whole page on 2026-12-07, alone on the course's CPU, with "
                           "DVC installed; installing it first (as in CI's Colab-like environment) adds under a minute"),
            "quick": Estimate((2, 4), COMPUTED, "the same work as in ci: the chapter runs the ci profile's pipeline"),
            "colab": Estimate((2, 5), COMPUTED, "the same work as in ci, the nine small LSTMs on the GPU or the CPU, "
                              "plus cloning the course and installing DVC (1-2 min)"),
            "full": Estimate((2, 4), COMPUTED, "the same work as in ci: the chapter runs the ci profile's pipeline"),
        }),
    # Part 3 -------------------------------------------------------------------------------------------------
    "01_shrink_and_export": Chapter(
        "exports the Part 2 model to ONNX and makes three int8 versions of it, each compared with fp32 on 120 IMDb "
        "reviews (ONNX Runtime, on the CPU)",
        {
            "ci": Estimate((2, 2), MEASURED, f"113 s in {CI_RUN}", before=(2, 5)),
            "quick": Estimate((2, 6), COMPUTED, "the ci run's 113 s (2026-11-23) with a window twice as long",
                              before=(65, 70)),
            "colab": Estimate((8, 14), COMPUTED, "on the CPU, 120 reviews of 256 tokens through fp32 and int8 three "
                              "times at the course's 2-core latencies for a roberta-base-sized model "
                              "(the benchmarks' history in git) = 6 min, plus export and conversions", before=(5, 10)),
            "full": Estimate((15, 25), COMPUTED, "on the CPU, 120 reviews of 512 tokens through fp32 (1.3 s) and int8 "
                             "(0.9 s) three times at the course's 2-core latencies = 15 min, plus export and "
                             "conversions; more CPU cores take less", before=(10, 20)),
        },
        needs="Part 2's fine-tuned model"),
    "02_behavioural_tests": Chapter(
        "runs 12 behavioural tests (about 1,800 cases, 2,400 distinct sentences) on four models: Part 1's LSTM, Part "
        "2's stage-1 and stage-2 models and the int8 bundle (no training)",
        {
            "ci": Estimate((0.5, 1), MEASURED, "24 s for the suite on the four models (about 6 s each) on 2026-12-06, "
                           "on a shared machine, with the four models present", before=(5, 8)),
            "quick": Estimate((1, 2), COMPUTED, "the ci run's 6 s a model with a window twice as long (the suite's "
                              "sentences are short, so the window hardly matters); first, when missing, the LSTM (Part "
                              "1, chapter 04: 20-30 min), stages 1 and 2 (65-70 min) and the bundle (chapter 1: 2-6 min)",
                              before=(90, 105)),
            "colab": Estimate((1, 2), COMPUTED, "2,400 sentences of ~15 tokens x 0.25 GFLOP on the GPU is under a second "
                              "a model; the int8 bundle runs on the CPU (~10 ms a sentence at this length); first, when "
                              "missing, the LSTM (2-4 min), stages 1 and 2 (5-10 min) and the bundle (3-5 min, as for "
                              "chapter 3)", before=(10, 19)),
            "full": Estimate((1, 3), COMPUTED, "as for colab, the int8 bundle on the CPU dominating; first, when missing, "
                             "the LSTM (2-4 min), stages 1 and 2 (10-20 min) and the bundle (5-10 min, as for chapter 3)",
                             before=(17, 34)),
        },
        needs="any of the four models (Part 1's LSTM, Part 2's stage 1 and stage 2, the int8 bundle)"),
    "03_flask_api": Chapter(
        "serves the int8 bundle with Flask, then with gunicorn, and sends it a few requests (on the CPU)",
        {
            "ci": Estimate((0, 2), MEASURED, CI_REST, before=(0, 6)),
            "quick": Estimate((1, 3), COMPUTED, "the ci run's figure (the same requests to a larger model)",
                              before=(70, 75)),
            "colab": Estimate((1, 3), COMPUTED, "a few requests to a roberta-base int8 bundle at ~0.2-0.5 s each",
                              before=(8, 15)),
            "full": Estimate((1, 3), COMPUTED, "a few requests to a roberta-base int8 bundle at ~0.2-0.9 s each",
                             before=(15, 30)),
        },
        needs="the int8 bundle (exported from Part 2's model)"),
    "04_react_page": Chapter(
        "builds the React page with npm and drives it in Chromium",
        {
            "ci": Estimate((0, 2), MEASURED, CI_REST, before=(0, 6)),
            "quick": Estimate((1, 3), COMPUTED, "the ci run's figure (the same page, a larger model behind it)",
                              before=(70, 75)),
            "colab": Estimate((1, 4), COMPUTED, "installing and building the page (npm), a few predictions",
                              before=(8, 15)),
            "full": Estimate((1, 4), COMPUTED, "installing and building the page (npm), a few predictions",
                             before=(15, 30)),
        },
        needs="the int8 bundle (exported from Part 2's model)"),
    "05_shipping": Chapter(
        "stages the folder a host receives and measures its size and the worker's memory",
        {
            "ci": Estimate((0, 2), MEASURED, CI_REST, before=(0, 6)),
            "quick": Estimate((1, 3), COMPUTED, "the ci run's figure (the same steps with a larger bundle)",
                              before=(70, 75)),
            "colab": Estimate((1, 3), COMPUTED, "copying a 125 MB bundle, a worker answering a batch of 8 reviews",
                              before=(8, 15)),
            "full": Estimate((1, 3), COMPUTED, "copying a 125 MB bundle, a worker answering a batch of 8 reviews",
                             before=(15, 30)),
        },
        needs="the int8 bundle (exported from Part 2's model)"),
}

IMDB_TRAIN_SPLIT, IMDB_TEST_SPLIT, TWEETS_AFTER_DEDUP = 25_000, 25_000, 37_232


def _n(value: int) -> str:
    return f"{value:,}"


def _sizes_list(values) -> str:
    words = [_n(v) for v in values]
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def _epochs(n: int) -> str:
    return f"{n} epoch" + ("" if n == 1 else "s")


def sizes(profile: Profile) -> dict[str, str]:
    """The profile's sizes as the chapter texts print them (``None``, "the whole split", becomes its count)."""
    n_train = IMDB_TRAIN_SPLIT - profile.n_val if profile.n_train is None else profile.n_train
    n_test = IMDB_TEST_SPLIT if profile.n_test is None else profile.n_test
    tweets_left = TWEETS_AFTER_DEDUP - profile.tweet_n_test - min(500, profile.tweet_n_test)
    curve = [n_train if s is None else s for s in profile.learning_curve_sizes]
    sst2 = ["all" if s is None else _n(s) for s in profile.sst2_curve_sizes]
    return {
        "model_id": profile.model_id, "n_train": _n(n_train), "n_val": _n(profile.n_val),
        "n_test": _n(n_test),
        "transformer_n_train": _n(n_train if profile.transformer_n_train is None else min(profile.transformer_n_train, n_train)),
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
            if stem in CHAPTERS:
                return stem
    return None


def describe(chapter: str, profile: Profile, device_type: str = "cpu", device_name: str = "") -> str | None:
    """What ``chapter`` computes in ``profile`` and how long it takes, with how that figure was obtained; a warning
    when this machine (``device_type`` "cpu"/"cuda"/"mps", ``device_name``) is not the figure's hardware. None for
    a chapter or profile the table does not know."""
    key = PurePath(chapter).stem
    if key not in CHAPTERS or profile.name not in HARDWARE or profile.name not in CHAPTERS[key].estimates:
        return None
    entry, hardware = CHAPTERS[key], HARDWARE[profile.name]
    estimate = entry.estimates[profile.name]
    lines = [f"Chapter {key}: {entry.what.format(**sizes(profile))}.",
             f"Time: {_minutes(estimate.minutes)} on {hardware.name}. "
             + ("Measured: " if estimate.basis == MEASURED else "Computed, not measured: ") + f"{estimate.how}."]
    if estimate.before is not None and entry.needs:
        lines.append(f"If {entry.needs} is missing (in every fresh Colab runtime, unless artifacts are kept on "
                     f"Drive), this chapter makes it first: add {_minutes(estimate.before)}.")
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
    makes first when that is missing, or None) and ``basis`` (measured or computed)."""
    key = PurePath(chapter).stem
    if key not in CHAPTERS:
        raise KeyError(f"no time estimates for chapter {chapter!r}; add it to course.estimates.CHAPTERS")
    entry, rows = CHAPTERS[key], []
    for name in ("ci", "quick", "colab", "full"):
        estimate = entry.estimates[name]
        first = None
        if estimate.before is not None:
            first = _minutes((estimate.minutes[0] + estimate.before[0], estimate.minutes[1] + estimate.before[1]))
        rows.append({"profile": name, "hardware": HARDWARE[name].name, "time": _minutes(estimate.minutes),
                     "first_time": first, "basis": estimate.basis})
    return rows
