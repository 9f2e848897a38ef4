"""Part 2 quality benchmark: stage 1 and stage 2 on the IMDb test set, SST-2 zero-shot and few-shot.

Runs the same code as the chapters (roberta_transfer.recipes) in one profile (default: quick) and prints ONE JSON
object. The course's targets for Part 2 (quick profile, stand-in, CPU): stage 2 >= 0.86 on the full IMDb test set, at least 3
points above stage 1, all of it within 90 minutes on 2 cores.

    python benchmarks/part2_quality.py                       # the real thing (quick profile, ~1 hour on 2 free cores)
    python benchmarks/part2_quality.py --tf-n-train 1000 --n-test 2000 --sst2-sizes 0,100   # reduced, labelled so

Any size flag marks the result "reduced": its figures are not the targets' figures.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import os
import platform
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def _size(value: str):
    return None if value.lower() in {"all", "none"} else int(value)


def main(argv=None) -> dict:
    """Everything but the final JSON goes to stderr, so that stdout is one JSON object."""
    import contextlib

    with contextlib.redirect_stdout(sys.stderr):
        result = run(argv)
    print(json.dumps(result, indent=2))
    return result


def run(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", default=os.environ.get("COURSE_PROFILE", "quick"))
    parser.add_argument("--tf-n-train", type=_size, help="IMDb training reviews for the transformer (reduces the run)")
    parser.add_argument("--n-test", type=_size, help="IMDb test reviews (default: the profile's; quick = all 25,000)")
    parser.add_argument("--n-val", type=int, help="IMDb validation reviews")
    parser.add_argument("--sst2-sizes", help="comma-separated few-shot sizes, e.g. 0,100,1000 ('all' for all)")
    parser.add_argument("--finetune-epochs", type=int)
    parser.add_argument("--shared-machine", action="store_true", help="record that other jobs shared the CPU")
    args = parser.parse_args(argv)

    import torch

    import course
    from roberta_transfer import load_checkpoint, tokenize_dataset
    from roberta_transfer import recipes

    profile = course.get_profile(args.profile)
    overrides = {}
    if args.tf_n_train is not None:
        overrides["tf_n_train"] = args.tf_n_train
    if args.n_test is not None:
        overrides["n_test"] = args.n_test
    if args.n_val is not None:
        overrides["n_val"] = args.n_val
    if args.sst2_sizes:
        overrides["sst2_curve_sizes"] = tuple(_size(s) for s in args.sst2_sizes.split(","))
    if args.finetune_epochs is not None:
        overrides["finetune_epochs"] = args.finetune_epochs
    overrides = {k: v for k, v in overrides.items() if getattr(profile, k) != v}  # a flag equal to the profile is no change
    reduced = bool(overrides)
    run_profile = dataclasses.replace(profile, **overrides) if reduced else profile
    out_root = recipes.artifacts_dir(run_profile).parent.parent / "bench" / (profile.name + ("-reduced" if reduced else ""))
    os.environ["COURSE_ARTIFACTS"] = str(out_root)

    t_all = time.perf_counter()
    timings = {}
    t = time.perf_counter()
    s1 = recipes.run_stage1(run_profile, progress=False)
    timings["stage1_minutes"] = round((time.perf_counter() - t) / 60, 2)

    t = time.perf_counter()
    model, tokenizer, s2 = recipes.run_stage2_variant(run_profile, "full", stage1=recipes.stage_dir(run_profile, "stage1"),
                                                     progress=False)
    stage2_dir = recipes.stage_dir(run_profile, "stage2")
    recipes.save_stage(stage2_dir, model, tokenizer, run_profile, s2, "stage2")
    timings["stage2_minutes"] = round((time.perf_counter() - t) / 60, 2)

    t = time.perf_counter()
    sst2 = course.load_sst2(run_profile)
    enc = tokenize_dataset(sst2, tokenizer, run_profile.max_length)
    curve = []
    for n in run_profile.sst2_curve_sizes:
        if n == 0:
            train_n, size = None, 0
        else:
            train_n = enc["train"] if n is None else course.stratified_subset(enc["train"], n, run_profile.seed)
            size = len(train_n)
        course.seed_everything(run_profile.seed)
        m = load_checkpoint(stage2_dir)[0]
        if size:
            recipes.fine_tune(m.train(), tokenizer, {"train": train_n, "validation": enc["validation"]}, run_profile,
                             epochs=recipes.few_shot_epochs(size, run_profile.batch_size), progress=False)
        ev = recipes.evaluate_tokenised(m, tokenizer, enc["test"], run_profile.batch_size)
        curve.append({"sst2_train_sentences": size, "test_accuracy": round(ev.accuracy, 4)})
    timings["sst2_minutes"] = round((time.perf_counter() - t) / 60, 2)
    total_min = (time.perf_counter() - t_all) / 60

    gain = s2["test_accuracy"] - s1["test_accuracy"]
    result = {
        "benchmark": "part2_quality",
        "what": "IMDb stage 1 (frozen encoder, head on cached features) and stage 2 (strict load of stage 1, full "
                "fine-tune) accuracy on the IMDb test set; SST-2 (GLUE validation) accuracy of the IMDb model "
                "zero-shot and after few-shot fine-tuning",
        "profile": profile.name,
        "reduced": reduced,
        "overrides": {k: list(v) if isinstance(v, tuple) else v for k, v in overrides.items()},
        "model": {"requested": profile.model_id, "served_by": course.resolve_model(profile.model_id, verbose=False).served_by},
        "sizes": {"imdb_train": s1["n_train"], "imdb_test": s1["n_test"], "max_length": run_profile.max_length,
                  "batch_size": run_profile.batch_size, "head_epochs": run_profile.head_epochs,
                  "finetune_epochs": run_profile.finetune_epochs, "finetune_lr": run_profile.finetune_lr},
        "imdb": {"stage1_test_accuracy": s1["test_accuracy"], "stage1_test_f1": s1["test_f1"],
                 "stage2_test_accuracy": s2["test_accuracy"], "stage2_test_f1": s2["test_f1"],
                 "gain_points": round(100 * gain, 2)},
        "sst2": {"zero_shot_accuracy": curve[0]["test_accuracy"] if curve and curve[0]["sst2_train_sentences"] == 0 else None,
                 "curve": curve, "n_test": len(enc["test"])},
        "minutes": {**timings, "total": round(total_min, 2)},
        "targets": None if reduced else {
            "stage2_at_least_0.86": s2["test_accuracy"] >= 0.86,
            "stage2_at_least_3_points_above_stage1": gain >= 0.03,
            "total_at_most_90_minutes": total_min <= 90,
        },
        "targets_note": ("reduced sizes: the targets apply to the full quick run only" if reduced else
                         "the Part 2 targets (quick profile, CPU)"),
        "machine": {"platform": platform.platform(), "cpus": os.cpu_count(), "torch_threads": torch.get_num_threads(),
                    "device": course.describe_device(), "shared_with_other_jobs": args.shared_machine},
        "date_utc": time.strftime("%Y-%m-%d %H:%M", time.gmtime()),
        "reference_not_measured": {"roberta-base fully fine-tuned, IMDb test accuracy": 0.956,
                                   "source": "https://huggingface.co/grakshit/sentiment_imdb (model card)"},
    }
    return result


if __name__ == "__main__":
    main()
