"""Why transfer pays: Part 1's LSTM, stage 1 and stage 2, in domain (IMDb) and out of domain (SST-2, tweets).

Evaluates the three IMDb-trained models of one profile (default: quick), untouched, with the code of Part 2's
chapter 06: on the profile's IMDb test split, on SST-2's labelled sentences (GLUE's validation split, the course's
SST-2 test set) and on a balanced, seeded sample of ``tweet_n_test`` negative and positive tweets of chapter 05's
corpus; then on the chapter's probe sentences. Prints ONE JSON object (everything else goes to stderr).

The models come from the chapters' checkpoints (``artifacts/<profile>/``, or ``$COURSE_ARTIFACTS``); a missing or
stale one is made first with its chapter's code (``ensure_lstm``, ``ensure_stage1``, ``ensure_stage2``): in the
quick profile 20 to 70 minutes each on 2 cores. The JSON says which ones this run made.

    COURSE_MIRROR=../shared/mirror HF_HUB_OFFLINE=1 PYTHONPATH=. python pipeline/why_transfer.py --profile quick
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
sys.path.insert(0, str(ROOT / "pipeline"))

from run_info import emit, git_commit, machine  # noqa: E402

# The chapter's probes (chapters/part2_roberta_transfer/06_why_transfer_pays.ipynb): a sentence and its expected label.
PROBES = [
    ("The film was moving.", "positive"),
    ("The film was not moving.", "negative"),
    ("Not bad at all.", "positive"),
    ("I did not enjoy a single minute of it.", "negative"),
    ("The plot was thin, but the actors were wonderful.", "positive"),
    ("The actors were wonderful, but the plot was thin.", "negative"),
    ("Not the best film of the year, but I liked it a lot.", "positive"),
    ("My flight was delayed again and nobody told us anything.", "negative"),
    ("Great crew, smooth flight, thank you!", "positive"),
]
MODELS = ["LSTM", "stage 1", "stage 2"]
IMDB, OOD = "imdb", ["sst2", "tweets"]
IMDB_TEST = "test"  # the split name under which chapter 02 saved the test features


def tweet_sample(profile):
    """A balanced, seeded sample of ``tweet_n_test`` negative (0) and positive (1) tweets: chapter 06's sample."""
    import pandas as pd
    from datasets import Dataset

    from roberta_transfer import load_tweets

    tweets, _ = load_tweets(seed=profile.seed, n_test=profile.tweet_n_test)
    pool = pd.concat([tweets[split].to_pandas() for split in tweets])
    pool = pool[pool["label"] != 1]  # keep negative (0) and positive (2), drop neutral (1)
    half = profile.tweet_n_test // 2
    sample = pd.concat([group.sample(half, random_state=profile.seed) for _, group in pool.groupby("label")])
    sample = sample.sample(frac=1, random_state=profile.seed)
    return Dataset.from_dict({"text": sample["text"].tolist(), "label": (sample["label"] == 2).astype(int).tolist()})


def lead_grows(correct: dict, a: str, b: str, ood: str, n_boot: int = 2000, seed: int = 0) -> tuple[float, float, float]:
    """How much larger A's lead over B is on ``ood`` than on IMDb (= B's fall minus A's fall), with a 95% bootstrap
    interval: each test set resampled on its own, A and B paired within it (the chapter's computation)."""
    from course.stats import lead_change

    return lead_change(correct[a, IMDB], correct[b, IMDB], correct[a, ood], correct[b, ood], n_boot, seed)


def main(argv=None) -> dict:
    return emit(run, argv)


def run(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", default=os.environ.get("COURSE_PROFILE", "quick"))
    parser.add_argument("--threads", type=int, help="torch CPU threads (default: torch's own choice)")
    parser.add_argument("--shared-machine", action="store_true", help="record that other jobs shared the CPU")
    args = parser.parse_args(argv)

    import numpy as np
    import torch

    import course
    import starter_lstm
    from course.stats import bootstrap_interval, paired_bootstrap_difference
    from roberta_transfer import encode_reviews, load_checkpoint, tokenize_dataset
    from roberta_transfer import recipes
    from starter_lstm import ReviewDataset, evaluate, make_loader, predict
    from starter_lstm import recipes as lstm_recipes

    if args.threads:
        torch.set_num_threads(args.threads)
    profile = course.get_profile(args.profile)
    course.seed_everything(profile.seed)
    load_at_start = os.getloadavg()[0]
    t_all = time.perf_counter()

    # The three checkpoints: made here only when missing or stale.
    t = time.perf_counter()
    made = {"LSTM": not lstm_recipes.is_current(lstm_recipes.lstm_dir(profile), profile),
            "stage 1": not (recipes.is_current(recipes.stage_dir(profile, "stage1"), profile)
                            and (recipes.stage_dir(profile, "stage1") / recipes.FEATURES).is_file()),
            "stage 2": not recipes.is_current(recipes.stage_dir(profile, "stage2"), profile)}
    folders = {"LSTM": lstm_recipes.ensure_lstm(profile, progress=False),
               "stage 1": recipes.ensure_stage1(profile, progress=False),
               "stage 2": recipes.ensure_stage2(profile, progress=False)}
    checkpoint_minutes = (time.perf_counter() - t) / 60

    t = time.perf_counter()
    lstm, vocab, lstm_config = starter_lstm.load_checkpoint(folders["LSTM"])
    stage1, tokenizer, stage1_meta = load_checkpoint(folders["stage 1"])
    stage2, tokenizer2, stage2_meta = load_checkpoint(folders["stage 2"])
    if tokenizer.get_vocab() != tokenizer2.get_vocab():
        raise SystemExit("stage 1 and stage 2 have different tokenizers: remake them for the same profile")
    labels = list(course.IMDB_LABELS)
    for name, found in [("LSTM", lstm_config["label_names"]), ("stage 1", stage1_meta["label_names"]),
                        ("stage 2", stage2_meta["label_names"])]:
        if list(found) != labels:
            raise SystemExit(f"the {name} checkpoint's labels are {found}, not {labels}")
    positive = labels.index("positive")

    tests = {IMDB: course.load_imdb(profile)["test"], "sst2": course.load_sst2(profile)["test"],
             "tweets": tweet_sample(profile)}
    encoded = {name: tokenize_dataset(split, tokenizer, profile.max_length) for name, split in tests.items()}
    correct, seconds = {}, {}
    for name, split in tests.items():
        s = time.perf_counter()
        data = ReviewDataset.from_hf(split, vocab, lstm.max_tokens, lstm.head_tokens)
        out = evaluate(lstm, make_loader(data, 256, shuffle=False), progress=False)
        correct["LSTM", name] = out.predictions == out.labels
        seconds["LSTM", name] = time.perf_counter() - s
        for model_name, model in (("stage 1", stage1), ("stage 2", stage2)):
            s = time.perf_counter()
            if model_name == "stage 1" and name == IMDB:
                # Stage 1's encoder is frozen, so its IMDb test features were computed once by chapter 02 and
                # saved beside the checkpoint: the head on them is the same computation as the whole model on
                # the texts (the features loader and evaluate_tokenized batch alike), without a second encoder
                # pass over the test set (about 14 minutes on 25,000 reviews on 2 cores).
                feats, feat_labels = recipes.load_features(folders["stage 1"])
                if not np.array_equal(feat_labels[IMDB_TEST].numpy(), np.asarray(split["label"])):
                    raise SystemExit("stage 1's cached test features do not belong to this IMDb test split: "
                                     "remake stage 1 for this profile")
                ev = recipes.evaluate_head_on_features(model, feats[IMDB_TEST], feat_labels[IMDB_TEST])
            else:
                ev = recipes.evaluate_tokenized(model, tokenizer, encoded[name], profile.batch_size)
            correct[model_name, name] = ev.predictions == ev.labels
            seconds[model_name, name] = time.perf_counter() - s

    results = {}
    for name in tests:
        results[name] = {"n": len(tests[name]), "share_positive": round(float(np.mean(tests[name]["label"])), 4)}
        for m in MODELS:
            low, high = bootstrap_interval(correct[m, name])
            results[name][m] = {"accuracy": round(float(correct[m, name].mean()), 4),
                                "interval_95": [round(low, 4), round(high, 4)],
                                "seconds": round(seconds[m, name], 1)}
        d, low, high = paired_bootstrap_difference(correct["stage 2", name], correct["LSTM", name])
        results[name]["stage2_minus_lstm"] = {"points": round(100 * d, 2),
                                              "paired_interval_95": [round(100 * low, 2), round(100 * high, 2)]}
    falls = {}
    for name in OOD:
        falls[name] = {m: round(100 * (results[IMDB][m]["accuracy"] - results[name][m]["accuracy"]), 2) for m in MODELS}
        for a, b in (("stage 2", "LSTM"), ("stage 1", "LSTM")):
            g, low, high = lead_grows(correct, a, b, name)
            falls[name][f"{b} fall minus {a} fall"] = {"points": round(100 * g, 2),
                                                       "interval_95": [round(100 * low, 2), round(100 * high, 2)]}

    texts = [text for text, _ in PROBES]
    with torch.no_grad():
        p = {"LSTM": [out["probabilities"]["positive"] for out in predict(lstm, vocab, texts)]}
        ids = encode_reviews(tokenizer, texts, profile.max_length)
        batch = tokenizer.pad({"input_ids": ids}, return_tensors="pt")
        for m, model in (("stage 1", stage1), ("stage 2", stage2)):
            device = next(model.parameters()).device
            logits = model(batch["input_ids"].to(device), batch["attention_mask"].to(device))
            p[m] = logits.softmax(-1)[:, positive].cpu().tolist()
    probes = [{"sentence": text, "expected": label, **{f"p_positive_{m}": round(p[m][i], 4) for m in MODELS}}
              for i, (text, label) in enumerate(PROBES)]
    evaluation_minutes = (time.perf_counter() - t) / 60

    commit, uncommitted = git_commit()
    return {
        "benchmark": "why_transfer",
        "what": "Part 1's LSTM, Part 2's stage 1 (frozen encoder + head) and stage 2 (fine-tuned), each trained on "
                "IMDb only, evaluated untouched on IMDb's test split (in domain), SST-2's labelled sentences (GLUE "
                "validation) and a balanced sample of negative and positive tweets (out of domain); accuracies with "
                "95% bootstrap intervals, paired differences, how far each falls out of domain; the chapter's probes",
        "profile": profile.name,
        "date_utc": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "commit": commit,
        "uncommitted_changes": uncommitted,
        "machine": machine(load_at_start, args.shared_machine),
        "models": {
            "LSTM": {"checkpoint": course.portable_name(folders["LSTM"]), "made_by_this_run": made["LSTM"],
                     "recorded_test_accuracy": lstm_config.get("metrics", {}).get("test_accuracy"),
                     "max_tokens": lstm.max_tokens, "head_tokens": lstm.head_tokens, "vocab_size": len(vocab),
                     "parameters": lstm.num_parameters()},
            **{m: {"checkpoint": course.portable_name(folders[m]), "made_by_this_run": made[m],
                   "served_by": meta["encoder"]["served_by"],
                   "recorded_test_accuracy": meta.get("metrics", {}).get("test_accuracy"),
                   "trainable_parameters": meta.get("metrics", {}).get("trainable_parameters")}
               for m, meta in (("stage 1", stage1_meta), ("stage 2", stage2_meta))},
        },
        "sizes": {"imdb_train_lstm": lstm_config.get("metrics", {}).get("n_train"),
                  "imdb_train_transformer": stage1_meta.get("metrics", {}).get("n_train"),
                  "imdb_test": len(tests[IMDB]), "sst2_test": len(tests["sst2"]), "tweets_test": len(tests["tweets"]),
                  "lstm_max_tokens": profile.lstm_max_tokens, "max_length": profile.max_length,
                  "model_id": profile.model_id},
        "results": results,
        "falls_points": falls,
        "probes": probes,
        "minutes": {"making_checkpoints": round(checkpoint_minutes, 2), "evaluation": round(evaluation_minutes, 2),
                    "total": round((time.perf_counter() - t_all) / 60, 2)},
    }


if __name__ == "__main__":
    main()
