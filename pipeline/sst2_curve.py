"""Reference run of Part 2 chapter 04: few-shot SST-2, from the IMDb model and from the plain pretrained encoder.

SST-2 accuracy (GLUE's labelled validation sentences) after fine-tuning on the profile's ``sst2_curve_sizes`` of
training sentences (0 = zero-shot), starting from the stage-2 (IMDb) checkpoint and from the plain pretrained
encoder with a fresh head, both with the same loop, schedule and seed; paired bootstrap intervals over the same test
sentences for the IMDb model against its own zero-shot accuracy and against the plain encoder at each size. The
``curve`` table (one row per size) is what ``dvc plots show`` draws.

Prints ONE JSON object (everything else goes to stderr).

    COURSE_MIRROR=../shared/mirror HF_HUB_OFFLINE=1 python pipeline/sst2_curve.py --profile quick
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


def sst2(profile) -> dict:
    """Chapter 04's few-shot curve, as one function (the chapter shows it step by step)."""
    import course
    from course.stats import paired_bootstrap_difference
    from roberta_transfer import HeadSpec, build_classifier, load_checkpoint, read_config, tokenize_dataset
    from roberta_transfer import recipes

    stage2 = recipes.ensure_stage2(profile, progress=False)
    meta = read_config(stage2)
    imdb_model, tokenizer, _ = load_checkpoint(stage2)
    enc = tokenize_dataset(course.load_sst2(profile), tokenizer, profile.max_length)
    starts = {"imdb_model": "the stage-2 (IMDb) model", "pretrained_encoder": "the plain pretrained encoder, fresh head"}
    correct, rows = {}, []
    for n in profile.sst2_curve_sizes:
        train = None if n == 0 else enc["train"] if n is None else course.stratified_subset(enc["train"], n, profile.seed)
        size = 0 if train is None else len(train)
        epochs = recipes.few_shot_epochs(size, profile.batch_size) if size else 0
        row = {"sst2_train_sentences": size, "epochs": epochs}
        for start in starts:
            course.seed_everything(profile.seed)
            if start == "imdb_model":
                model = load_checkpoint(stage2)[0]
            else:
                model, _ = build_classifier(profile.model_id, ["negative", "positive"], head=HeadSpec(**meta["head"]))
            if size:
                recipes.fine_tune(model.train(), tokenizer, {"train": train, "validation": enc["validation"]}, profile,
                                  epochs=epochs, progress=False)
            test = recipes.evaluate_tokenized(model, tokenizer, enc["test"], profile.batch_size)
            correct[start, size] = test.predictions == test.labels
            row[start] = round(test.accuracy, 4)
            row[f"{start}_f1"] = round(test.f1, 4)
        rows.append(row)
        print(row, file=sys.stderr)

    def paired(a, b) -> dict:
        diff, low, high = paired_bootstrap_difference(correct[a], correct[b])
        return {"points": round(100 * diff, 2), "paired_interval_95": [round(100 * low, 2), round(100 * high, 2)]}

    sizes = [r["sst2_train_sentences"] for r in rows]
    return {
        "starts": starts, "n_test": len(enc["test"]), "n_train_available": len(enc["train"]),
        "imdb_model_test_accuracy": meta["metrics"]["test_accuracy"], "imdb_model_n_test": meta["metrics"]["n_test"],
        "curve": rows,
        "imdb_model_minus_zero_shot": {str(n): paired(("imdb_model", n), ("imdb_model", 0)) for n in sizes if n and 0 in sizes},
        "imdb_model_minus_pretrained_encoder": {str(n): paired(("imdb_model", n), ("pretrained_encoder", n)) for n in sizes},
    }


def run(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", default=os.environ.get("COURSE_PROFILE", "quick"))
    parser.add_argument("--shared-machine", action="store_true", help="record that other jobs shared the CPU")
    args = parser.parse_args(argv)
    import course

    profile, load = course.get_profile(args.profile), os.getloadavg()[0]
    commit, uncommitted = git_commit()  # the code this run loads
    began, start = dt.datetime.now(dt.timezone.utc), time.perf_counter()
    result = sst2(profile)
    return {"benchmark": "sst2_curve", "profile": profile.name, "model_id": profile.model_id,
            "date_utc": began.isoformat(timespec="seconds"), "sst2": result, "commit": commit,
            "uncommitted_changes": uncommitted, "machine": machine(load, args.shared_machine),
            "minutes": round((time.perf_counter() - start) / 60, 2)}


if __name__ == "__main__":
    emit(run)
