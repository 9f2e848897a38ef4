"""The reference run of Part 2, chapter 05 (stage ``new_label``): a new label, neutral, on tweets.

The stage-2 model with its head grown to three labels (negative and positive rows kept by name) against the same
encoder with a fresh three-way head, both fine-tuned on the profile's tweets with the same loop and schedule and
tested on its held-out tweets.

Prints ONE JSON object (everything else goes to stderr).

    COURSE_MIRROR=../shared/mirror HF_HUB_OFFLINE=1 python pipeline/new_label.py --profile quick
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "pipeline"))

from run_info import emit, recorded  # noqa: E402


def new_label(profile) -> dict:
    """Chapter 05's cells, as one function (the chapter shows them step by step)."""
    import numpy as np
    import torch

    import course
    from course.stats import paired_bootstrap_difference
    from roberta_transfer import ClassificationHead, grow_head, load_checkpoint, load_tweets, tokenize_dataset
    from roberta_transfer import recipes

    tweets, report = load_tweets(seed=profile.seed, n_test=profile.tweet_n_test, n_train=profile.tweet_n_train,
                                 n_val=min(500, profile.tweet_n_test))
    stage2 = recipes.ensure_stage2(profile, progress=False)
    labels3 = tweets["train"].features["label"].names
    grown, tokenizer, _ = load_checkpoint(stage2)
    grow_head(grown, labels3)
    fresh, _, _ = load_checkpoint(stage2)
    torch.manual_seed(profile.seed)
    fresh.head = ClassificationHead(fresh.encoder.config.hidden_size, grown.head_spec)
    fresh.label_names = list(labels3)
    enc = tokenize_dataset(tweets, tokenizer, profile.max_length)
    before = recipes.evaluate_tokenized(grown, tokenizer, enc["test"], profile.batch_size)
    epochs = recipes.few_shot_epochs(len(enc["train"]), profile.batch_size)
    results, seconds = {}, {}
    for name, model in [("grown", grown), ("fresh", fresh)]:
        course.seed_everything(profile.seed)
        start = time.perf_counter()
        recipes.fine_tune(model.train(), tokenizer, enc, profile, epochs=epochs, progress=False)
        results[name] = recipes.evaluate_tokenized(model, tokenizer, enc["test"], profile.batch_size)
        seconds[name] = time.perf_counter() - start
    diff, low, high = paired_bootstrap_difference(results["fresh"].predictions == results["fresh"].labels,
                                                  results["grown"].predictions == results["grown"].labels)
    return {
        "sizes": {split: len(ds) for split, ds in tweets.items()}, "epochs": epochs, "labels": list(labels3),
        "share_neutral_in_test": round(float(np.mean(results["fresh"].labels == 1)), 4),
        "grown_before_training": {"accuracy": round(before.accuracy, 4),
                                  "share_predicted_neutral": round(float(np.mean(before.predictions == 1)), 4)},
        **{name: {"accuracy": round(res.accuracy, 4), "macro_f1": round(res.f1, 4),
                  "share_predicted_neutral": round(float(np.mean(res.predictions == 1)), 4),
                  "recall_per_label": [round(float(np.mean(res.predictions[res.labels == k] == k)), 4)
                                       for k in range(len(labels3))],
                  "seconds": round(seconds[name], 1)} for name, res in results.items()},
        "fresh_minus_grown_accuracy": {"points": round(100 * diff, 2),
                                       "paired_interval_95": [round(100 * low, 2), round(100 * high, 2)]},
        "data_report": str(report),
    }


def main(argv=None) -> dict:
    return emit(run, argv)


def run(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", default=os.environ.get("COURSE_PROFILE", "quick"))
    parser.add_argument("--shared-machine", action="store_true", help="record that other jobs shared the CPU")
    args = parser.parse_args(argv)
    import course

    profile = course.get_profile(args.profile)
    return recorded("new_label", profile, "new_label", lambda: new_label(profile), args.shared_machine)


if __name__ == "__main__":
    main()
