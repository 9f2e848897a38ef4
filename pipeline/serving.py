"""Benchmark: what serving costs, for a roberta-base-sized model and for the stand-in. Prints ONE JSON object.

    COURSE_PROFILE=quick python pipeline/serving.py [--workdir artifacts/bench] [--reuse] [--agreement-n 1000]

The pipeline's ``serving`` stage (dvc.yaml) measures bundles other stages made, exporting nothing:
``--roberta-bundles FP32 INT8 --standin-bundles FP32 INT8``.

- roberta-base-sized: a randomly initialised ``RobertaConfig()`` classifier (125M parameters). Size and speed do
  not depend on the weights' values, so this measures what the fine-tuned roberta-base costs to serve
  without needing it (its predictions are meaningless; latency uses synthetic token ids).
- the stand-in: the Part 2 checkpoint (MiniLM fine-tuned on IMDb) given with ``--part2-checkpoint``, else the
  one ``roberta_transfer.ensure_stage2`` makes for the profile, else ``--standin logreg`` (frozen MiniLM +
  a logistic-regression head fitted here).

Figures: bundle size fp32 and int8; single-review latency p50/p95 at 128 and 512 tokens with onnxruntime on
``--threads`` threads (and PyTorch fp32 at 128 for comparison); batch throughput (32 x 128 tokens); int8-vs-fp32
label agreement on IMDb test reviews (stand-in); worker resident memory and cold start under gunicorn; and
the slug estimate (``python -m deploy.measure``). The machine is shared with other work: figures are noisy.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from deploy.from_checkpoint import from_part2_checkpoint  # noqa: E402
from deploy.export import imdb_test_texts  # noqa: E402
from deploy.onnx_bundle import LogitsModule, export_bundle  # noqa: E402
from deploy.quantize import quantize_bundle  # noqa: E402
from roberta_sized import build_random_roberta, build_standin  # noqa: E402


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def latency(run, n: int, warmup: int = 3) -> dict:
    for _ in range(warmup):
        run()
    times = []
    for _ in range(n):
        t = time.perf_counter()
        run()
        times.append((time.perf_counter() - t) * 1000)
    return {"p50_ms": round(float(np.percentile(times, 50)), 1), "p95_ms": round(float(np.percentile(times, 95)), 1), "runs": n}


def synthetic_ids(bundle, length: int, batch: int = 1, seed: int = 0):
    rng = np.random.default_rng(seed)
    vocab = bundle.tokenizer.get_vocab_size()
    w = bundle.window
    body = rng.integers(max(w.pad_id, 3) + 2, max(vocab, 10), size=(batch, length - len(w.prefix_ids) - len(w.suffix_ids)))
    ids = np.concatenate([np.tile(np.asarray(w.prefix_ids, np.int64), (batch, 1)), body,
                          np.tile(np.asarray(w.suffix_ids, np.int64), (batch, 1))], axis=1).astype(np.int64)
    return ids, np.ones_like(ids)


def measure_bundle(path: Path, threads: int, runs: int, lengths=(128, 512)) -> dict:
    from serve.bundle import Bundle

    t = time.perf_counter()
    bundle = Bundle(path, threads=threads)
    load_s = time.perf_counter() - t
    out = {"bundle": str(path), "name": bundle.name, "quantization": bundle.meta["quantization"],
           "size_mb": bundle.meta["size_mb"], "load_s": round(load_s, 2)}
    for length in lengths:
        if length > bundle.window.max_length:
            out[f"latency_{length}_tokens"] = None
            continue
        ids, mask = synthetic_ids(bundle, length)
        feed = {"input_ids": ids, "attention_mask": mask}
        out[f"latency_{length}_tokens"] = latency(lambda: bundle.session.run(["logits"], feed), runs if length <= 128 else max(5, runs // 3))
    ids, mask = synthetic_ids(bundle, min(128, bundle.window.max_length), batch=32)
    feed = {"input_ids": ids, "attention_mask": mask}
    lat = latency(lambda: bundle.session.run(["logits"], feed), 3, warmup=1)
    out["batch_32x128"] = {"p50_ms": lat["p50_ms"], "reviews_per_s": round(32 / (lat["p50_ms"] / 1000), 1)}
    # the whole serving path for one real-sized review (tokenize + truncate + run), as the API does it
    words = "the film was good but the plot was thin and the acting was not great".split()
    text = " ".join(words[i % len(words)] for i in range(90))
    out["predict_one_review_incl_tokenising"] = latency(lambda: bundle.predict([text]), max(5, runs // 3))
    return out


def torch_latency(module, length: int, vocab: int, threads: int, runs: int) -> dict:
    import torch

    torch.set_num_threads(threads)
    ids = torch.randint(5, vocab, (1, length))
    mask = torch.ones_like(ids)
    with torch.inference_mode():
        return latency(lambda: module(ids, mask), runs)


def agreement(fp32_dir: Path, int8_dir: Path, texts, labels, threads: int, fp32_cache: dict | None = None) -> dict:
    """int8 vs fp32 labels, for reviews sent one at a time (the page's path) and in padded batches of 32.

    Dynamic quantization picks each activation's int8 scale from the whole tensor it sees, so in a batch a review's
    int8 logits depend on its neighbours (and their padding); alone, they depend on the review only.
    ``fp32_cache``: one dict passed to several calls with the same fp32 bundle and texts computes fp32's logits once.
    """
    from serve.bundle import Bundle
    from deploy.onnx_bundle import onnx_logits

    a, b = Bundle(fp32_dir, threads=threads), Bundle(int8_dir, threads=threads)
    ids = a.encode(texts)
    y = np.asarray(labels)
    out = {"n_reviews": len(texts)}
    fp32_cache = {} if fp32_cache is None else fp32_cache
    for name, bs in (("one_at_a_time", 1), ("batches_of_32", 32)):
        if bs not in fp32_cache:
            fp32_cache[bs] = onnx_logits(a.session, ids, a.window.pad_id, True, batch_size=bs)
        la = fp32_cache[bs]
        lb = onnx_logits(b.session, ids, b.window.pad_id, True, batch_size=bs)
        out[name] = {"label_agreement": round(float((la.argmax(-1) == lb.argmax(-1)).mean()), 4),
                     "fp32_accuracy": round(float((la.argmax(-1) == y).mean()), 4),
                     "int8_accuracy": round(float((lb.argmax(-1) == y).mean()), 4)}
    # the target is judged on the worse of the two
    out["label_agreement"] = min(out["one_at_a_time"]["label_agreement"], out["batches_of_32"]["label_agreement"])
    return out


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", type=Path, default=ROOT / "artifacts" / "bench")
    parser.add_argument("--reuse", action="store_true", help="reuse bundles already in --workdir")
    parser.add_argument("--threads", type=int, default=2, help="onnxruntime / PyTorch threads (default 2)")
    parser.add_argument("--runs", type=int, default=30, help="timed runs per latency figure (default 30)")
    parser.add_argument("--agreement-n", type=int, default=1000, help="IMDb test reviews for int8-vs-fp32 agreement")
    parser.add_argument("--part2-checkpoint", type=Path, help="a Part 2 checkpoint to use as the stand-in")
    parser.add_argument("--standin", choices=["part2", "logreg"], default="part2",
                        help="part2: the Part 2 checkpoint (made by roberta_transfer.ensure_stage2 if missing); "
                             "logreg: frozen MiniLM + logistic-regression head")
    parser.add_argument("--ffn-output", default="int8", choices=["int8", "fp32"],
                        help="int8 bundles: how the feed-forward output layers are stored (deploy.export.quantize_int8)")
    parser.add_argument("--matmuls", default="dynamic", choices=["dynamic", "blockwise"],
                        help="int8 bundles: how the weight MatMuls become int8 (deploy.export.quantize_int8)")
    parser.add_argument("--roberta-bundles", type=Path, nargs=2, metavar=("FP32", "INT8"),
                        help="measure these roberta-base-sized bundles (pipeline/roberta_sized.py random-roberta makes them) "
                             "instead of exporting them into --workdir (the pipeline's serving stage)")
    parser.add_argument("--standin-bundles", type=Path, nargs=2, metavar=("FP32", "INT8"),
                        help="measure these stand-in bundles (the pipeline's bundles stage makes them) instead of exporting")
    parser.add_argument("--profile", default=os.environ.get("COURSE_PROFILE"),
                        help="the course profile (default: $COURSE_PROFILE, else quick)")
    parser.add_argument("--skip-slug", action="store_true")
    parser.add_argument("--shared-machine", action="store_true", help="record that other jobs shared the CPU")
    parser.add_argument("--sections", default="roberta,standin,worker,slug",
                        help="which sections to measure now (comma-separated); the others are taken from the last run's "
                             "results in --workdir/results.json, each section keeping its own measured_at time")
    args = parser.parse_args(argv)

    import course
    from deploy import measure

    from run_info import git_commit, machine

    profile, load = course.get_profile(args.profile), os.getloadavg()[0]
    commit, uncommitted = git_commit()
    for given in (args.roberta_bundles or []) + (args.standin_bundles or []):
        if not (given / "bundle.json").is_file():
            raise SystemExit(f"{given} is not a bundle (no bundle.json). In the pipeline, `dvc repro serving` makes it "
                             "first; by hand, export it with `python -m deploy.export` or leave out the option.")
    work = args.workdir
    work.mkdir(parents=True, exist_ok=True)
    result = {
        "benchmark": "serving (deploy/): bundle size, latency, throughput, memory, slug",
        "date": dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat(),
        "profile": profile.name, "commit": commit, "uncommitted_changes": uncommitted,
        "machine": {**machine(load, args.shared_machine), "threads_used": args.threads},
        "versions": {"onnxruntime": __import__("onnxruntime").__version__, "torch": __import__("torch").__version__},
    }

    sections = {x.strip() for x in args.sections.split(",") if x.strip()}
    saved_path = work / "results.json"
    saved = json.loads(saved_path.read_text()) if saved_path.is_file() else {}

    def save(key, value):
        value["measured_at"] = dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat()
        result[key] = saved[key] = value
        saved_path.write_text(json.dumps(saved, indent=2))

    def restore(key):
        if key not in saved:
            raise SystemExit(f"no earlier results for {key!r} in {saved_path}: include it in --sections")
        result[key] = saved[key]
        return saved[key]

    # --- roberta-base-sized -------------------------------------------------------------------------------
    rb32, rb8 = args.roberta_bundles or (work / "roberta-base-random-fp32", work / "roberta-base-random-int8")
    if "roberta" not in sections:
        rb = restore("roberta_base_sized")
    else:
        rb = measure_roberta(args, profile, rb32, rb8)
        save("roberta_base_sized", rb)

    # --- the stand-in ---------------------------------------------------------------------------------------
    sb32, sb8 = args.standin_bundles or (work / "standin-fp32", work / "standin-int8")
    if "standin" not in sections:
        sb = restore("standin")
    else:
        sb = measure_standin(args, profile, sb32, sb8)
        save("standin", sb)

    # --- deployment: worker memory, cold start, slug -----------------------------------------------------------
    if "worker" in sections:
        log("worker memory and cold start (roberta-base-sized int8 under gunicorn)")
        save("worker_roberta_int8", measure.worker_memory(rb8))
    else:
        restore("worker_roberta_int8")
    if not args.skip_slug:
        if "slug" in sections:
            log("slug estimate (pip install of serve/host/requirements.txt into an empty folder)")
            save("slug_roberta_int8", slug_of_untrained(rb8))
        else:
            restore("slug_roberta_int8")
    return finish(result, rb, sb)


def slug_of_untrained(bundle_dir: Path) -> dict:
    """``deploy.measure.slug_estimate`` of a copy of ``bundle_dir``, an untrained (roberta-base-sized) bundle.

    Staging runs the behavioural gate (``deploy.gate``), which writes its rates into ``bundle.json``: on a copy, the
    bundle stays as the pipeline made it (a DVC output that nothing else may change). A randomly initialised model's
    predictions are coin flips, so it fails the gate; it is measured for size, never shipped: the copy's budgets are
    lifted to 100% so that staging goes on, and the result says so."""
    import shutil
    import tempfile

    from deploy import measure
    from deploy.gate import BUDGETS_FILE

    with tempfile.TemporaryDirectory(prefix="slug-") as tmp:
        copy = Path(tmp) / bundle_dir.name
        shutil.copytree(bundle_dir, copy)
        budgets = json.loads((copy / BUDGETS_FILE).read_text(encoding="utf-8"))
        budgets["budgets"] = {capability: 1.0 for capability in budgets["budgets"]}
        (copy / BUDGETS_FILE).write_text(json.dumps(budgets, indent=2), encoding="utf-8")
        result = measure.slug_estimate(copy)
    result["behavioural_gate"] = "lifted (budgets 100%) on a copy: an untrained model, measured for size, never shipped"
    return result


def _same_int8(int8_dir: Path, args) -> bool:
    """An int8 bundle that --reuse may keep: it exists and was quantized the way asked."""
    meta_path = int8_dir / "bundle.json"
    if not meta_path.is_file():
        return False
    details = json.loads(meta_path.read_text()).get("quantization_details") or {}
    return (details.get("ffn_output", "int8"), details.get("matmuls", "dynamic")) == (args.ffn_output, args.matmuls)


def measure_roberta(args, profile, rb32: Path, rb8: Path) -> dict:
    model, tokenizer, spec = build_random_roberta(max_length=512, layers=profile.roberta_sized_layers)
    n_params = sum(p.numel() for p in model.parameters())
    given = args.roberta_bundles is not None
    if not given and not (args.reuse and (rb32 / "bundle.json").is_file()):
        log("exporting roberta-base-sized fp32")
        rng = np.random.default_rng(0)
        words = ["good", "bad", "film", "plot", "acting", "great", "boring", "the", "was", "and", "not"]
        texts = [" ".join(rng.choice(words, size=int(rng.integers(5, 120)))) for _ in range(8)]
        export_bundle(model, tokenizer, spec, rb32, texts=texts, overwrite=True)
    if not given and not (args.reuse and _same_int8(rb8, args)):
        log("quantizing roberta-base-sized")
        quantize_bundle(rb32, rb8, texts=["good film", "bad film"], ffn_output=args.ffn_output, matmuls=args.matmuls,
                           overwrite=True)
    log("timing roberta-base-sized")
    layers = "" if profile.roberta_sized_layers == 12 else f"num_hidden_layers={profile.roberta_sized_layers}"
    rb = {"parameters_millions": round(n_params / 1e6, 1), "note": f"randomly initialised RobertaConfig({layers}); synthetic token ids"}
    rb["fp32"] = measure_bundle(rb32, args.threads, args.runs)
    rb["int8"] = measure_bundle(rb8, args.threads, args.runs)
    rb["pytorch_fp32_latency_128_tokens"] = torch_latency(LogitsModule(model), 128, 50265, args.threads, max(10, args.runs // 2))
    return rb


def measure_standin(args, profile, sb32: Path, sb8: Path) -> dict:
    texts, labels = imdb_test_texts(args.agreement_n, profile)
    given = args.standin_bundles is not None
    if not given and not (args.reuse and (sb32 / "bundle.json").is_file()):
        if args.standin == "part2":
            ckpt = args.part2_checkpoint
            if ckpt is None:
                from roberta_transfer import recipes

                log(f"Part 2 checkpoint for profile {profile.name} (trained now if missing)")
                ckpt = recipes.ensure_stage2(profile, progress=False)
            module, tok, sspec = from_part2_checkpoint(ckpt, name="standin-part2")
        else:
            log("fitting the logistic-regression stand-in")
            module, tok, sspec, _ = build_standin(profile)
        log("exporting the stand-in")
        export_bundle(module, tok, sspec, sb32, texts=texts[:64], labels=labels[:64], overwrite=True)
    if not given and not (args.reuse and _same_int8(sb8, args)):
        log("quantizing the stand-in")
        quantize_bundle(sb32, sb8, texts=texts[:64], ffn_output=args.ffn_output, matmuls=args.matmuls,
                           overwrite=True)
    log("timing the stand-in")
    sb = {"source": json.loads((sb32 / "bundle.json").read_text())["source_checkpoint"]}
    sb["fp32"] = measure_bundle(sb32, args.threads, args.runs)
    sb["int8"] = measure_bundle(sb8, args.threads, args.runs)
    log(f"int8 vs fp32 agreement on {len(texts)} IMDb test reviews")
    sb["int8_vs_fp32_imdb_test"] = agreement(sb32, sb8, texts, labels, args.threads)
    return sb


def finish(result: dict, rb: dict, sb: dict) -> dict:
    targets = {
        "roberta_int8_bundle_mb<=160": rb["int8"]["size_mb"],
        "roberta_int8_p50_128_tokens_ms<=60": rb["int8"]["latency_128_tokens"]["p50_ms"],
        "worker_peak_rss_mb<=450": result["worker_roberta_int8"]["worker_peak_rss_mb"],
        "standin_int8_agreement>=0.99": sb["int8_vs_fp32_imdb_test"]["label_agreement"],
    }
    if "slug_roberta_int8" in result:
        targets["slug_compressed_mb<=300"] = result["slug_roberta_int8"]["total_compressed_mb"]
    limits = {"roberta_int8_bundle_mb<=160": 160, "roberta_int8_p50_128_tokens_ms<=60": 60, "worker_peak_rss_mb<=450": 450,
              "slug_compressed_mb<=300": 300}
    result["targets"] = {k: {"value": v, "met": bool(v >= 0.99) if k.startswith("standin") else bool(v <= limits[k])}
                         for k, v in targets.items()}
    return result


if __name__ == "__main__":
    from run_info import emit

    emit(main)
