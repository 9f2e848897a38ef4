"""The reference run of Part 2, chapter 03 (stage ``part2_variants``): three ways to continue from stage 1.

From the stage-1 checkpoint (made first if missing), each variant is tested on the profile's IMDb test split:
(a) the head alone on the cached frozen-encoder features, (b) the top ``TOP_K`` layers and the head, (c) everything.
Variant (c) is the stage-2 checkpoint's own run when that checkpoint is current (``ensure_stage2`` makes it with this
same ``run_stage2_variant(profile, "full")``), so it is not run twice.

Prints ONE JSON object (everything else goes to stderr).

    COURSE_MIRROR=../shared/mirror HF_HUB_OFFLINE=1 python pipeline/part2_variants.py --profile quick
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

                enc = recipes.tokenize_imdb(profile, AutoTokenizer.from_pretrained(str(stage1)))
            _, _, summary = recipes.run_stage2_variant(profile, variant, stage1=stage1, enc=enc, progress=False)
            summary["source"] = "this run"
        summary["wall_minutes"] = round((time.perf_counter() - start) / 60, 2)
        out["variants"][variant] = summary
    return out


def main(argv=None) -> dict:
    return emit(run, argv)


def run(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", default=os.environ.get("COURSE_PROFILE", "quick"))
    parser.add_argument("--variants", default="head,top,full", help="which of head,top,full")
    parser.add_argument("--shared-machine", action="store_true", help="record that other jobs shared the CPU")
    args = parser.parse_args(argv)
    import course
    from roberta_transfer import recipes

    picked = [v.strip() for v in args.variants.split(",") if v.strip()]
    if not picked or any(v not in recipes.VARIANTS for v in picked):
        parser.error(f"--variants takes a comma-separated list of {list(recipes.VARIANTS)}, not {args.variants!r}")
    profile = course.get_profile(args.profile)
    return recorded("part2_variants", profile, "variants", lambda: variants(profile, picked), args.shared_machine)


if __name__ == "__main__":
    main()
