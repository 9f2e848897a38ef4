"""Reference runs of two Part 2 chapters: chapter 03's three stage-2 variants and chapter 05's new label.

``--what variants``: from the stage-1 checkpoint (made first if missing), the three ways to continue of chapter 03,
each tested on the profile's IMDb test split: (a) the head alone on the cached frozen-encoder features, (b) the top
``TOP_K`` layers and the head, (c) everything. Variant (c) is the stage-2 checkpoint's own run when that checkpoint
is current (``ensure_stage2`` makes it with this same ``run_stage2_variant(profile, "full")``), so it is not run twice.

``--what new-label``: chapter 05's experiment: the stage-2 model with its head grown to three labels (negative and
positive rows kept by name) against the same encoder with a fresh three-way head, both fine-tuned on the profile's
tweets with the same loop and schedule and tested on its held-out tweets.

Prints ONE JSON object (everything else goes to stderr).

    COURSE_MIRROR=../shared/mirror HF_HUB_OFFLINE=1 python benchmarks/part2_chapters.py --profile quick --what new-label
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from run_info import emit, git_commit, machine  # noqa: E402

WHAT = ("variants", "new-label")


def variants(profile, chosen) -> dict:
    from roberta_transfer import read_config
    from roberta_transfer import recipes

    stage1 = recipes.ensure_stage1(profile, progress=False)
    stage2 = recipes.stage_dir(profile, "stage2")
    out = {"stage1": read_config(stage1)["metrics"], "variants": {}}
    enc = None
    for variant in chosen:
        start = time.perf_counter()
        if variant == "full" and recipes.is_current(stage2, profile):
            summary = dict(read_config(stage2)["metrics"], source="the current stage-2 checkpoint's own run")
        else:
            if enc is None and variant != "head":
                from transformers import AutoTokenizer

                enc = recipes.imdb_tokenised(profile, AutoTokenizer.from_pretrained(str(stage1)))
            _, _, summary = recipes.run_stage2_variant(profile, variant, stage1=stage1, enc=enc, progress=False)
            summary["source"] = "this run"
        summary["wall_minutes"] = round((time.perf_counter() - start) / 60, 2)
        out["variants"][variant] = summary
    return out


def new_label(profile) -> dict:
    """Chapter 05's cells, as one function (the chapter shows them step by step)."""
    import numpy as np
    import torch

    import course
    from course.book import paired_bootstrap_difference
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
    before = recipes.evaluate_tokenised(grown, tokenizer, enc["test"], profile.batch_size)
    epochs = recipes.few_shot_epochs(len(enc["train"]), profile.batch_size)
    results, seconds = {}, {}
    for name, model in [("grown", grown), ("fresh", fresh)]:
        course.seed_everything(profile.seed)
        start = time.perf_counter()
        recipes.fine_tune(model.train(), tokenizer, enc, profile, epochs=epochs, progress=False)
        results[name] = recipes.evaluate_tokenised(model, tokenizer, enc["test"], profile.batch_size)
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
    parser.add_argument("--what", default=",".join(WHAT), help=f"comma-separated, of {WHAT}")
    parser.add_argument("--variants", default="head,top,full", help="with --what variants: which of head,top,full")
    parser.add_argument("--shared-machine", action="store_true", help="record that other jobs shared the CPU")
    args = parser.parse_args(argv)
    chosen = [w.strip() for w in args.what.split(",") if w.strip()]
    if not chosen or any(w not in WHAT for w in chosen):
        parser.error(f"--what takes a comma-separated list of {WHAT}, not {args.what!r}")
    import course
    from roberta_transfer import recipes

    picked = [v.strip() for v in args.variants.split(",") if v.strip()]
    if any(v not in recipes.VARIANTS for v in picked):
        parser.error(f"--variants takes a comma-separated list of {list(recipes.VARIANTS)}, not {args.variants!r}")
    profile = course.get_profile(args.profile)
    load = os.getloadavg()[0]
    start = time.perf_counter()
    out = {"benchmark": "part2_chapters", "profile": profile.name, "model_id": profile.model_id,
           "date_utc": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")}
    minutes = {}
    for what in chosen:
        t = time.perf_counter()
        out[what.replace("-", "_")] = variants(profile, picked) if what == "variants" else new_label(profile)
        minutes[what] = round((time.perf_counter() - t) / 60, 2)
    commit, uncommitted = git_commit()
    out.update({"commit": commit, "uncommitted_changes": uncommitted,
                "machine": machine(load, args.shared_machine),
                "minutes": {**minutes, "total": round((time.perf_counter() - start) / 60, 2)}})
    return out


if __name__ == "__main__":
    main()
