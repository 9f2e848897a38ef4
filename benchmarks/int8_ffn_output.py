"""Benchmark: does keeping the feed-forward output layers in fp32 make int8 agree with fp32? Prints ONE JSON object.

    COURSE_PROFILE=quick python benchmarks/int8_ffn_output.py artifacts/bench/standin-fp32 [--n 1000] [--threads 2]

Takes an fp32 bundle (``python -m deploy.export ...`` or ``benchmarks/serving.py`` makes one), quantizes it twice
with ``deploy.export.quantize_bundle``: ``ffn_output="int8"`` (the default: every weight MatMul int8) and
``ffn_output="fp32"`` (the MatMuls fed by a GELU kept fp32), and measures for each the bundle size, the latency of
one 128-token review, and the label agreement with fp32 on the profile's first ``--n`` IMDb test reviews, sent
one at a time and in padded batches of 32 (``serving.agreement``). Issue 5's target: at least 99% agreement.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("fp32_bundle", type=Path, help="an fp32 serving bundle (a folder with bundle.json)")
    parser.add_argument("--n", type=int, default=1000, help="IMDb test reviews for the agreement (default 1000)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--runs", type=int, default=30, help="timed runs for the latency (default 30)")
    parser.add_argument("--workdir", type=Path, help="where the int8 bundles go (default: beside the fp32 bundle)")
    parser.add_argument("--shared-machine", action="store_true", help="record that other jobs shared the CPU")
    args = parser.parse_args(argv)

    import course
    from deploy import export as ex
    from deploy.bundle import Bundle
    from serving import agreement, latency, log, synthetic_ids

    profile = course.get_profile()
    texts, labels = ex.imdb_test_texts(args.n, profile)
    work = args.workdir or args.fp32_bundle.parent
    result = {"benchmark": "int8_ffn_output", "fp32_bundle": str(args.fp32_bundle), "profile": profile.name,
              "date": dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat(),
              "machine": {"cores": os.cpu_count(), "threads_used": args.threads,
                          "shared_with_other_jobs": args.shared_machine}, "modes": {}}
    fp32_logits = {}  # computed once, compared with both modes
    for mode in ("int8", "fp32"):
        out = work / f"{args.fp32_bundle.name}-int8-ffn-{mode}"
        log(f"quantizing with ffn_output={mode}")
        meta = ex.quantize_bundle(args.fp32_bundle, out, texts=texts[:16], ffn_output=mode, overwrite=True)
        bundle = Bundle(out, threads=args.threads)
        ids, mask = synthetic_ids(bundle, 128)
        feed = {"input_ids": ids, "attention_mask": mask}
        log(f"agreement on {len(texts)} reviews")
        result["modes"][mode] = {"quantization": meta["quantization"], "details": meta["quantization_details"],
                                 "size_mb": meta["size_mb"],
                                 "latency_128_tokens": latency(lambda: bundle.session.run(["logits"], feed), args.runs),
                                 "agreement": agreement(args.fp32_bundle, out, texts, labels, args.threads, fp32_logits)}
    print(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main()
