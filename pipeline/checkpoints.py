"""The course's checkpoints as pipeline steps: make ONE of them with its chapter's recipe, in ``artifacts/<profile>/``.

    lstm      Part 1 chapter 04's LSTM                      artifacts/<profile>/part1/lstm
    stage1    Part 2 chapter 02's frozen encoder + head     artifacts/<profile>/part2/stage1   (with its cached features)
    stage2    Part 2 chapter 03's fully fine-tuned model    artifacts/<profile>/part2/stage2   (loads stage1 strictly)
    bundles   Part 3 chapter 01's fp32 and int8 bundles     artifacts/<profile>/part3/bundle-fp32 and bundle-int8

Each is a stage of ``dvc.yaml`` whose folder is a DVC output: kept in DVC's cache, never in git. The stage always
makes its checkpoint anew (DVC removes the old output before it runs, and runs it only when something the
checkpoint is made from changed); the chapters and the other scripts find it where their ``ensure_*`` recipes look.
Prints ONE JSON object: what was made, where, from which profile, in how many seconds, and the metrics the
checkpoint records (its test accuracy on the profile's IMDb test split).

    COURSE_MIRROR=../shared/mirror HF_HUB_OFFLINE=1 python pipeline/checkpoints.py lstm --profile ci
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "pipeline"))

from run_info import emit, git_commit  # noqa: E402

WHAT = ("lstm", "stage1", "stage2", "bundles")


def expected_root() -> Path:
    return ROOT / "artifacts"


def make(what: str, profile) -> tuple[Path, dict]:
    """Make ``what`` for ``profile`` with its chapter's recipe; return its folder and the metrics it records."""
    if what == "lstm":
        from starter_lstm.recipes import lstm_dir, train_lstm_checkpoint

        return lstm_dir(profile), train_lstm_checkpoint(profile, progress=False)
    from roberta_transfer import read_config
    from roberta_transfer import recipes

    if what == "stage1":
        return recipes.stage_dir(profile, "stage1"), recipes.run_stage1(profile, progress=False)
    if what == "stage2":
        stage1 = recipes.stage_dir(profile, "stage1")
        if not recipes.is_current(stage1, profile):
            raise SystemExit(f"No stage-1 checkpoint for the {profile.name!r} profile in {stage1}: stage 2 starts from "
                             "it. Run `dvc repro stage1` (or `python pipeline/checkpoints.py stage1`) first.")
        directory = recipes.stage_dir(profile, "stage2")
        model, tokenizer, summary = recipes.run_stage2_variant(profile, "full", stage1=stage1, progress=False)
        recipes.save_stage(directory, model, tokenizer, profile, summary, "stage2")
        return directory, read_config(directory)["metrics"]
    from deploy.recipes import bundles_dir, export_part2

    stage2 = recipes.stage_dir(profile, "stage2")
    if not recipes.is_current(stage2, profile):
        raise SystemExit(f"No stage-2 checkpoint for the {profile.name!r} profile in {stage2}: the bundles are exported "
                         "from it. Run `dvc repro stage2` (or `python pipeline/checkpoints.py stage2`) first.")
    fp32, int8 = export_part2(profile, stage2)
    meta = {folder.name: json.loads((folder / "bundle.json").read_text()) for folder in (fp32, int8)}
    return bundles_dir(profile), {name: {k: m[k] for k in ("size_mb", "bundle_accuracy", "int8_vs_fp32") if k in m}
                                  for name, m in meta.items()}


def run(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=WHAT)
    parser.add_argument("--profile", default=os.environ.get("COURSE_PROFILE", "quick"))
    args = parser.parse_args(argv)
    import course

    root = course.artifacts_root()
    if root.resolve() != expected_root().resolve():
        raise SystemExit(f"COURSE_ARTIFACTS={root} moves the checkpoints away from {expected_root()}, where dvc.yaml "
                         "declares them: unset COURSE_ARTIFACTS to run the pipeline.")
    profile = course.get_profile(args.profile)
    commit, uncommitted = git_commit()
    start = time.perf_counter()
    directory, metrics = make(args.what, profile)
    seconds = time.perf_counter() - start
    return {"benchmark": "checkpoints", "what": args.what, "profile": profile.name,
            "directory": str(directory.relative_to(ROOT)), "seconds": round(seconds, 1), "metrics": metrics,
            "date_utc": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M"), "commit": commit,
            "uncommitted_changes": uncommitted}


if __name__ == "__main__":
    emit(run)
