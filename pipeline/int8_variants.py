"""Benchmark: which int8 variant keeps the fp32 model's predictions, at what size and speed? Prints ONE JSON object.

    COURSE_PROFILE=quick python pipeline/int8_variants.py artifacts/bench/standin-fp32 \
        [--roberta-fp32-bundle artifacts/bench/roberta-base-random-fp32] [--n 1000] [--threads 2]

Takes an fp32 bundle (``python -m deploy.export ...`` or ``pipeline/serving.py`` makes one) and quantizes it with
``deploy.export.quantize_bundle`` three ways:

- ``dynamic``: every weight MatMul ``MatMulInteger``, one activation scale per tensor (the default);
- ``dynamic_ffn_output_fp32``: the same, but the MatMuls fed by a GELU kept fp32 (``ffn_output="fp32"``);
- ``blockwise``: every weight MatMul an 8-bit ``MatMulNBits``, a scale per 128 values per token (``matmuls="blockwise"``).

For each: the bundle size, the latency of one 128-token review, and the label agreement with fp32 on the profile's
first ``--n`` IMDb test reviews, sent one at a time and in padded batches of 32 (``serving.agreement``). The course's
target: at least 99%. With ``--roberta-fp32-bundle`` (a roberta-base-sized fp32 bundle, ``pipeline/serving.py``
or ``pipeline/roberta_sized.py random-roberta`` makes one) each variant's size and 128-token latency are also measured
at roberta-base's size. The int8 bundles go to a temporary folder, deleted at the end, unless ``--workdir`` is given.
The pipeline's ``int8_variants`` stage (dvc.yaml) runs this on the ``bundles`` stage's fp32 bundle.
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "pipeline"))

VARIANTS = {"dynamic": {"matmuls": "dynamic", "ffn_output": "int8"},
            "dynamic_ffn_output_fp32": {"matmuls": "dynamic", "ffn_output": "fp32"},
            "blockwise": {"matmuls": "blockwise", "ffn_output": "int8"}}


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("fp32_bundle", type=Path, help="an fp32 serving bundle (a folder with bundle.json)")
    parser.add_argument("--roberta-fp32-bundle", type=Path, help="a roberta-base-sized fp32 bundle: size and latency too")
    parser.add_argument("--n", type=int, default=1000, help="IMDb test reviews for the agreement (default 1000)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--runs", type=int, default=30, help="timed runs for the latency (default 30)")
    parser.add_argument("--workdir", type=Path, help="keep the int8 bundles in this folder (default: a temporary one)")
    parser.add_argument("--profile", default=os.environ.get("COURSE_PROFILE"),
                        help="the course profile (default: $COURSE_PROFILE, else quick)")
    parser.add_argument("--shared-machine", action="store_true", help="record that other jobs shared the CPU")
    args = parser.parse_args(argv)
    for given in filter(None, (args.fp32_bundle, args.roberta_fp32_bundle)):
        if not (given / "bundle.json").is_file():
            raise SystemExit(f"{given} is not a bundle (no bundle.json). In the pipeline, `dvc repro int8_variants` "
                             "makes it first; by hand, export one with `python -m deploy.export`.")
    if args.workdir is not None:
        return run(args, args.workdir)
    with tempfile.TemporaryDirectory(prefix="int8-variants-") as tmp:
        return run(args, Path(tmp))


def run(args, work: Path) -> dict:
    import course
    from deploy.export import imdb_test_texts
    from deploy.quantize import quantize_bundle
    from serve.bundle import Bundle
    from run_info import git_commit, machine
    from serving import agreement, latency, log, synthetic_ids

    def size_and_latency(fp32_dir: Path, out: Path, texts: list[str], variant: dict) -> tuple[dict, dict]:
        meta = quantize_bundle(fp32_dir, out, texts=texts, overwrite=True, **variant)
        bundle = Bundle(out, threads=args.threads)
        ids, mask = synthetic_ids(bundle, 128)
        feed = {"input_ids": ids, "attention_mask": mask}
        return meta, latency(lambda: bundle.session.run(["logits"], feed), args.runs)

    profile, load = course.get_profile(args.profile), os.getloadavg()[0]
    texts, labels = imdb_test_texts(args.n, profile)
    commit, uncommitted = git_commit()
    result = {"benchmark": "int8_variants", "fp32_bundle": str(args.fp32_bundle),
              "roberta_fp32_bundle": args.roberta_fp32_bundle and str(args.roberta_fp32_bundle), "profile": profile.name,
              "date": dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat(), "commit": commit,
              "uncommitted_changes": uncommitted,
              "machine": {**machine(load, args.shared_machine), "threads_used": args.threads}, "variants": {}}
    fp32_logits = {}  # computed once, compared with every variant
    for name, variant in VARIANTS.items():
        log(f"{name}: quantizing the stand-in")
        out = work / f"{args.fp32_bundle.name}-int8-{name}"
        meta, lat = size_and_latency(args.fp32_bundle, out, texts[:16], variant)
        log(f"{name}: agreement on {len(texts)} reviews")
        row = {"quantization": meta["quantization"], "details": meta["quantization_details"], "size_mb": meta["size_mb"],
               "latency_128_tokens": lat,
               "agreement": agreement(args.fp32_bundle, out, texts, labels, args.threads, fp32_logits)}
        if args.roberta_fp32_bundle:
            log(f"{name}: roberta-base-sized size and latency")
            rmeta, rlat = size_and_latency(args.roberta_fp32_bundle, work / f"{args.roberta_fp32_bundle.name}-int8-{name}",
                                           ["good film", "bad film"], variant)
            row["roberta_base_sized"] = {"size_mb": rmeta["size_mb"], "latency_128_tokens": rlat}
        result["variants"][name] = row
    return result


if __name__ == "__main__":
    from run_info import emit

    emit(main)
