"""Benchmark for Part 1: the starter LSTM on IMDb in the quick profile, on this machine's CPU.

Trains (1) the random-embedding and the GloVe-initialised LSTM on 1,000 training reviews, and (2) both on the
whole training split, each with a 20-minute training budget; tests every model on the profile's test set
(the full 25,000-review IMDb test split in the quick profile). Prints ONE JSON object; with --out it also
rewrites that file after every finished model, so a run that is cut short still leaves its figures.

    COURSE_PROFILE=quick COURSE_MIRROR=... HF_HUB_OFFLINE=1 PYTHONPATH=. nice python pipeline/lstm_small_pair.py
"""
from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import os
import platform
import resource
import time

import torch

import course
from starter_lstm.recipes import build_vocab, train_and_test


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", default=os.environ.get("COURSE_PROFILE", "quick"))
    parser.add_argument("--budget-minutes", type=float, default=20.0, help="training-time budget per model")
    parser.add_argument("--small", type=int, default=1000, help="training reviews for the small comparison")
    parser.add_argument("--skip-full", action="store_true", help="only the small comparison")
    parser.add_argument("--skip-small", action="store_true", help="only the full-data models")
    parser.add_argument("--full-models", default="random,glove",
                        help="which full-data models to train, comma-separated (default: random,glove)")
    parser.add_argument("--out", help="also write the JSON here, updated after every model")
    parser.add_argument("--threads", type=int, help="torch CPU threads (default: torch's own choice)")
    parser.add_argument("--shared-machine", action="store_true", help="record that other jobs shared the CPU")
    parser.add_argument("--head-tokens", help="override the profile's lstm_head_tokens: keep this many first tokens "
                                              "of a long review and the rest from its end ('none': the first only)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)

    profile = course.get_profile(args.profile)
    if args.head_tokens is not None:
        head = None if args.head_tokens.lower() == "none" else int(args.head_tokens)
        profile = dataclasses.replace(profile, lstm_head_tokens=head)
    course.seed_everything(profile.seed)
    splits = course.load_imdb(profile)
    load1 = os.getloadavg()[0]
    report = {
        "benchmark": "lstm_small_pair", "profile": profile.name,
        "date_utc": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "machine": {"cpu_count": os.cpu_count(), "torch_threads": torch.get_num_threads(),
                    "processor": platform.processor() or platform.machine(), "torch": torch.__version__,
                    "load_average_1min_at_start": round(load1, 2),
                    "shared_with_other_jobs": args.shared_machine},
        "sizes": {"train": len(splits["train"]), "validation": len(splits["validation"]),
                  "test": len(splits["test"]), "max_tokens": profile.lstm_max_tokens,
                  "head_tokens": profile.lstm_head_tokens, "head_tokens_overridden": args.head_tokens is not None,
                  "vocab_size": profile.lstm_vocab_size, "hidden": profile.lstm_hidden,
                  "batch_size": profile.lstm_batch_size, "epochs": profile.lstm_epochs},
        "targets": {"random_test_accuracy": 0.87, "glove_test_accuracy": 0.88, "train_minutes": 20,
                    "glove_minus_random_at_1000": 0.05},
        "results": {},
    }

    def record(key, res, cpu_start):
        report["results"][key] = {
            "test_accuracy": round(res["test_accuracy"], 4), "n_train": res["n_train"],
            "embeddings": res["embeddings"], "epochs_run": len(res["history"]), "epochs_planned": res["epochs"],
            "train_seconds": round(res["train_seconds"], 1),
            "process_cpu_seconds": round(time.process_time() - cpu_start, 1),
            "samples_per_s": round(res["samples_per_s"], 1), "peak_rss_mb": round(peak_rss_mb(), 1),
            "best_val_accuracy": round(max(h["val_accuracy"] for h in res["history"]), 4),
            "stopped_by_time_budget": any(h.get("stopped_by_time_budget") for h in res["history"]),
            "glove_vocab_coverage": res["glove_coverage"],
            "load_average_1min_after": round(os.getloadavg()[0], 2),
        }
        save()

    def save():  # after every model, so that a run cut short keeps what it measured
        if args.out:
            with open(args.out, "w", encoding="utf-8") as fh:
                json.dump(report, fh, indent=2)

    def full(emb):
        cpu = time.process_time()
        res = train_and_test(splits, vocab, profile, embeddings=emb, epochs=profile.lstm_epochs,
                             progress=False, max_seconds=args.budget_minutes * 60)
        record(f"{emb}_full", res, cpu)

    def small_comparison():
        small = splits.copy()
        small["train"] = course.stratified_subset(splits["train"], args.small, profile.seed)
        small_vocab = build_vocab(small["train"], profile)
        for emb in ("random", "glove"):
            cpu = time.process_time()
            res = train_and_test(small, small_vocab, profile, embeddings=emb, progress=False,
                                 max_seconds=args.budget_minutes * 60)
            record(f"{emb}_{args.small}", res, cpu)
        r = report["results"]
        report["glove_minus_random_at_small"] = round(r[f"glove_{args.small}"]["test_accuracy"]
                                                      - r[f"random_{args.small}"]["test_accuracy"], 4)
        save()

    # Most important first, so that a run cut short still answers the main question.
    if args.skip_full:
        small_comparison()
    else:
        wanted = [m.strip() for m in args.full_models.split(",") if m.strip()]
        unknown = sorted(set(wanted) - {"random", "glove"})
        if unknown:
            parser.error(f"--full-models: unknown model(s) {unknown}; choose from random, glove")
        vocab = build_vocab(splits["train"], profile)
        if "random" in wanted:
            full("random")
        if not args.skip_small:
            small_comparison()
        if "glove" in wanted:
            full("glove")
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    from run_info import missing_input_exits  # pipeline/, this script's folder

    with missing_input_exits():
        main()
