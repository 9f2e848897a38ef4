"""The exporter's command line: a Part 1 or Part 2 checkpoint -> a serving bundle (ONNX + tokenizer + bundle.json).

    python -m deploy.export part2 artifacts/quick/part2/stage2 --out bundles/roberta-int8 --quantize int8
    python -m deploy.export part1 artifacts/quick/part1/lstm --out bundles/lstm

Every export checks itself: the fp32 ONNX logits must match PyTorch's on real reviews to a stated tolerance
(``--atol``), and an int8 export reports how often its label agrees with the fp32 model's. The work is done by
:mod:`deploy.onnx_bundle` (export and parity), :mod:`deploy.quantize` (int8) and :mod:`deploy.from_checkpoint`
(reading the checkpoints). Stand-in models for the benchmarks are exported by ``pipeline/roberta_sized.py``.
"""
from __future__ import annotations

import argparse
from pathlib import Path

import course

from .from_checkpoint import from_part1_checkpoint, from_part2_checkpoint
from .onnx_bundle import DEFAULT_ATOL, ModelSpec, export_bundle
from .quantize import FFN_OUTPUT_MODES, MATMUL_MODES, quantize_bundle

EPILOG = ("Parity: the fp32 ONNX logits must match PyTorch's within --atol on the check reviews, or the export fails. "
          "With --quantize int8 the fp32 bundle is also kept (in OUT-fp32 unless --fp32-out) and the int8 label "
          "agreement with fp32 is written to bundle.json.")


def imdb_test_texts(n: int, profile=None) -> tuple[list[str], list[int]]:
    """The first ``n`` reviews (and labels) of the profile's seeded, stratified IMDb test subset."""
    test = course.load_imdb(profile or course.get_profile())["test"]
    test = test.select(range(min(n, len(test))))
    return list(test["text"]), list(test["label"])


def add_bundle_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of every export (``pipeline/roberta_sized.py`` takes them too)."""
    parser.add_argument("--out", type=Path, required=True, help="the bundle directory to write")
    parser.add_argument("--quantize", choices=["none", "int8"], default="none", help="dynamic int8 quantization (default: none)")
    parser.add_argument("--fp32-out", type=Path, help="where the fp32 bundle goes when quantizing (default: OUT-fp32)")
    parser.add_argument("--no-quantize-embeddings", action="store_true", help="keep embedding tables fp32 when quantizing")
    parser.add_argument("--ffn-output", choices=FFN_OUTPUT_MODES, default="int8",
                        help="the feed-forward output layers (the MatMuls after each GELU): int8 like the rest (default, "
                             "smallest and fastest) or fp32 (closer to the fp32 model, larger)")
    parser.add_argument("--matmuls", choices=MATMUL_MODES, default="dynamic",
                        help="how weight MatMuls become int8: dynamic (default: MatMulInteger, one activation scale per "
                             "tensor, fastest here) or blockwise (MatMulNBits 8-bit, a scale per 128 values per token: "
                             "closer to fp32, slower on CPUs without AVX-512 VNNI)")
    parser.add_argument("--name", help="the model name served in answers (default: from the source)")
    parser.add_argument("--check-texts", type=int, default=64, help="IMDb test reviews for the parity check (default 64)")
    parser.add_argument("--agreement-texts", type=int, default=400, help="IMDb test reviews for int8-vs-fp32 agreement (default 400)")
    parser.add_argument("--atol", type=float, default=DEFAULT_ATOL, help=f"parity tolerance on logits (default {DEFAULT_ATOL:g})")
    parser.add_argument("--overwrite", action="store_true", help="replace OUT (and the fp32 folder) if they exist")


def texts_needed(args: argparse.Namespace) -> int:
    return max(args.check_texts, args.agreement_texts if args.quantize == "int8" else 0)


def write_bundles(module, tokenizer, spec: ModelSpec, args: argparse.Namespace, texts: list[str],
                  labels: list[int] | None) -> dict:
    """Export (and, with ``--quantize int8``, quantize) as the options say; print what was made; return bundle.json."""
    if args.name:
        spec.name = args.name
    fp32_dir = args.out if args.quantize == "none" else (args.fp32_out or args.out.with_name(args.out.name + "-fp32"))
    meta = export_bundle(module, tokenizer, spec, fp32_dir, texts=texts[: args.check_texts],
                         labels=None if labels is None else labels[: args.check_texts], atol=args.atol, overwrite=args.overwrite)
    p = meta["parity"]
    print(f"fp32 bundle: {fp32_dir} ({meta['size_mb']} MB); parity with PyTorch on {p['n_texts']} reviews: "
          f"max |logit diff| {p['max_abs_logit_diff']:.2e} (tolerance {p['tolerance']:.0e}), label agreement {p['label_agreement']:.1%}")
    if args.quantize == "int8":
        meta = quantize_bundle(fp32_dir, args.out, texts=texts, labels=labels,
                               embeddings=not args.no_quantize_embeddings, ffn_output=args.ffn_output, matmuls=args.matmuls,
                               overwrite=args.overwrite)
        a = meta["int8_vs_fp32"]
        print(f"int8 bundle: {args.out} ({meta['size_mb']} MB); int8 agrees with fp32 on {a['label_agreement']:.1%} "
              f"of {a['n_texts']} reviews (largest probability change {a['max_abs_prob_diff']:.3f})")
    if meta.get("bundle_accuracy"):
        print(f"accuracy of the bundle on {meta['bundle_accuracy']['n_texts']} IMDb test reviews: {meta['bundle_accuracy']['accuracy']:.3f}")
    return meta


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m deploy.export", epilog=EPILOG,
                                     description="Export a trained classifier to a serving bundle (ONNX + tokenizer + bundle.json).")
    parser.add_argument("source", choices=["part2", "part1"], help="which part's checkpoint: Part 2's transformer or Part 1's LSTM")
    parser.add_argument("checkpoint", type=Path, help="the checkpoint directory (e.g. artifacts/quick/part2/stage2)")
    add_bundle_arguments(parser)
    args = parser.parse_args(argv)
    if not args.checkpoint.is_dir():
        parser.error(f"checkpoint directory {args.checkpoint} does not exist")
    adapter = from_part2_checkpoint if args.source == "part2" else from_part1_checkpoint
    module, tokenizer, spec = adapter(args.checkpoint, args.name)
    write_bundles(module, tokenizer, spec, args, *imdb_test_texts(texts_needed(args)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
