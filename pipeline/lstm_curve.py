"""Reference run of Part 1 chapter 06's learning curve: random, trainable GloVe and frozen GloVe embeddings at each of
the profile's ``learning_curve_sizes``, each model tested on the profile's whole test split.

It runs the chapter's own loop (``chapters/part1_starter_lstm/06_transfer_glove.ipynb``): for each size, a seeded
stratified subset of the training reviews, its own vocabulary, and three models that differ only in where the
embedding starts (the random one has 50 numbers per word, like GloVe), each trained with ``train_and_test`` (at least
``lstm_min_steps`` steps, best validation epoch kept). No time budget.

The run can be split across processes (``--sizes``, ``--kinds``, each with ``--out``); ``--merge`` then joins their
files into one, with a paired bootstrap interval for "GloVe minus random" at every size (each part file keeps which
test reviews every model got right, packed as bits, for that). Prints ONE JSON object.

    COURSE_MIRROR=../shared/mirror HF_HUB_OFFLINE=1 python pipeline/lstm_curve.py --profile quick --out runs/a.json
    python pipeline/lstm_curve.py --merge runs/a.json runs/b.json > pipeline/results/pipeline_quick_lstm_curve.json
"""
from __future__ import annotations

import argparse
import base64
import dataclasses
import datetime as dt
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "pipeline"))

from run_info import emit, git_commit, machine  # noqa: E402

# name on the page -> (embeddings, freeze), as in the chapter
KINDS = {"random": ("random", False), "GloVe, trainable": ("glove", False), "GloVe, frozen": ("glove", True)}
KEYS = {"random": "random", "trainable": "GloVe, trainable", "frozen": "GloVe, frozen"}
PLOT_COLUMNS = {"random": "random", "GloVe, trainable": "glove_trainable", "GloVe, frozen": "glove_frozen"}


def pack(correct) -> str:
    import numpy as np

    return base64.b64encode(np.packbits(np.asarray(correct, dtype=bool)).tobytes()).decode("ascii")


def unpack(text: str, n: int):
    import numpy as np

    return np.unpackbits(np.frombuffer(base64.b64decode(text), dtype=np.uint8))[:n].astype(bool)


def curve(profile, sizes, kinds, out_path=None, shared=False) -> dict:
    import course
    from starter_lstm.recipes import build_vocab, train_and_test

    load = os.getloadavg()[0]
    commit, uncommitted = git_commit()  # the code this run loaded, whatever is committed while it runs
    course.seed_everything(profile.seed)
    imdb = course.load_imdb(profile)
    p50 = dataclasses.replace(profile, lstm_embed_dim=50)  # same size as GloVe: only the starting point differs
    report = {"benchmark": "lstm_curve", "profile": profile.name,
              "date_utc": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
              "n_test": len(imdb["test"]), "n_val": len(imdb["validation"]), "runs": []}
    start = time.perf_counter()
    for size in sizes:
        subset = dict(imdb)
        subset["train"] = course.stratified_subset(imdb["train"], size, profile.seed)
        sub_vocab = build_vocab(subset["train"], profile)
        for name in kinds:
            emb, freeze = KINDS[name]
            res = train_and_test(subset, sub_vocab, p50, embeddings=emb, freeze=freeze, progress=False)
            correct = res["test"].predictions == res["test"].labels
            report["runs"].append({
                "train_reviews": res["n_train"], "embedding": name, "epochs": res["epochs"],
                "best_val_accuracy": round(max(h["val_accuracy"] for h in res["history"]), 4),
                "test_accuracy": round(float(res["test_accuracy"]), 4),
                "train_seconds": round(res["train_seconds"], 1), "vocab_size": len(sub_vocab),
                "glove_coverage": None if res["glove_coverage"] is None else round(res["glove_coverage"], 4),
                "test_correct_bits": pack(correct)})
            print(f"{res['n_train']:>6} reviews, {name:17s}: test accuracy {res['test_accuracy']:.4f} "
                  f"({res['train_seconds']:.0f} s)", file=sys.stderr, flush=True)
            report.update({"commit": commit, "uncommitted_changes": uncommitted, "machine": machine(load, shared),
                           "wall_minutes": round((time.perf_counter() - start) / 60, 2)})
            if out_path:  # after every model, so a run cut short keeps what it measured
                Path(out_path).write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return report


def merge(paths) -> dict:
    """Join part files of one profile into one result: runs sorted by size, and for every size where both exist,
    GloVe (trainable) minus random with a paired bootstrap interval over the same test reviews."""
    from course.stats import paired_bootstrap_difference

    parts = [json.loads(Path(p).read_text(encoding="utf-8")) for p in paths]
    profiles = {p["profile"] for p in parts}
    if len(profiles) != 1 or len({p["n_test"] for p in parts}) != 1:
        raise SystemExit(f"--merge needs part files of one profile and test set, got profiles {sorted(profiles)}")
    n_test = parts[0]["n_test"]
    runs = sorted((r for p in parts for r in p["runs"]), key=lambda r: (r["train_reviews"], list(KINDS).index(r["embedding"])))
    by = {(r["train_reviews"], r["embedding"]): r for r in runs}
    gains = {}
    for size in sorted({r["train_reviews"] for r in runs}):
        if (size, "random") in by and (size, "GloVe, trainable") in by:
            diff, low, high = paired_bootstrap_difference(unpack(by[size, "GloVe, trainable"]["test_correct_bits"], n_test),
                                                          unpack(by[size, "random"]["test_correct_bits"], n_test))
            gains[str(size)] = {"points": round(100 * diff, 2), "paired_interval_95": [round(100 * low, 2), round(100 * high, 2)]}
    results = {f"{r['embedding'].split(', ')[-1].lower()}_{r['train_reviews']}":
               {k: v for k, v in r.items() if k != "test_correct_bits"} for r in runs}
    sizes = sorted({r["train_reviews"] for r in runs})
    # one row per size, one column per embedding: the table `dvc plots show` draws (dvc.yaml, "plots")
    curve_rows = [{"train_reviews": size, **{PLOT_COLUMNS[kind]: by[size, kind]["test_accuracy"]
                                             for kind in KINDS if (size, kind) in by}} for size in sizes]
    dates, commits = sorted(p["date_utc"] for p in parts), sorted({str(p.get("commit")) for p in parts})
    return {"benchmark": "lstm_curve", "profile": parts[0]["profile"], "n_test": n_test,
            "date_utc": dates[0], "dates_utc": dates, "commit": "+".join(commits),
            "uncommitted_changes": any(p.get("uncommitted_changes") for p in parts),
            "sizes": sizes, "results": results, "curve": curve_rows,
            "glove_minus_random": gains,
            "parts": [{"date_utc": p["date_utc"], "wall_minutes": p["wall_minutes"], "machine": p["machine"],
                       "models": [f"{r['embedding']} @ {r['train_reviews']}" for r in p["runs"]]} for p in parts]}


def run(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", default=os.environ.get("COURSE_PROFILE", "quick"))
    parser.add_argument("--sizes", help="comma-separated training sizes ('all' = the whole split); default: the "
                                        "profile's learning_curve_sizes")
    parser.add_argument("--kinds", default="random,trainable,frozen", help="comma-separated, of random,trainable,frozen")
    parser.add_argument("--out", help="also write the JSON here, rewritten after every model")
    parser.add_argument("--shared-machine", action="store_true", help="record that other jobs shared the CPU")
    parser.add_argument("--merge", nargs="+", metavar="PART", help="join part files written by --out instead of running")
    args = parser.parse_args(argv)
    if args.merge:
        return merge(args.merge)
    import course

    profile = course.get_profile(args.profile)
    sizes = profile.learning_curve_sizes if not args.sizes else tuple(
        None if s.strip() == "all" else int(s) for s in args.sizes.split(","))
    kinds = [k.strip() for k in args.kinds.split(",") if k.strip()]
    if not kinds or any(k not in KEYS for k in kinds):
        parser.error(f"--kinds takes a comma-separated list of {list(KEYS)}, not {args.kinds!r}")
    return curve(profile, sizes, [KEYS[k] for k in kinds], args.out, args.shared_machine)


def main(argv=None) -> dict:
    return emit(run, argv)


if __name__ == "__main__":
    main()
