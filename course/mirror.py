"""Fill an offline mirror from the Hub, for a classroom with poor Wi-Fi (ARCHITECTURE.md, "The Hub-id resolver").

    python -m course.mirror fill --dest ./mirror            # everything the course uses
    python -m course.mirror fill --dest ./mirror --dry-run  # only say what would be downloaded
    export COURSE_MIRROR=$PWD/mirror                        # then every chapter loads from it

The mirror has the Hub's own layout (``datasets/<id>/``, ``models/<id>/``) and a ``mirror.json`` listing
what it holds. Run it once where the Hub is reachable, then copy the folder to the classroom machines.
"""
from __future__ import annotations

import argparse
import json
from dataclasses import dataclass
from pathlib import Path

from .data import IMDB_ID, SST2_ID

COURSE_DATASETS = (IMDB_ID, SST2_ID)
COURSE_MODELS = (
    "FacebookAI/roberta-base",
    "distilbert/distilroberta-base",
    "sentence-transformers/all-MiniLM-L6-v2",
)
# Weights in one format are enough: skip the PyTorch pickles, TensorFlow, Flax, ONNX and OpenVINO copies.
MODEL_PATTERNS = ("*.json", "*.txt", "*.model", "*.safetensors", "*.md")
DATASET_PATTERNS = ("*.md", "*.json", "*.parquet")


@dataclass(frozen=True)
class Download:
    kind: str  # "dataset" or "model"
    hub_id: str
    dest: Path
    allow_patterns: tuple[str, ...]


def plan(dest: Path, datasets=COURSE_DATASETS, models=COURSE_MODELS, force: bool = False) -> list[Download]:
    """What to download into ``dest``: every id whose folder is missing or empty (all of them with ``force``)."""
    steps = []
    for kind, ids, patterns in (("dataset", datasets, DATASET_PATTERNS), ("model", models, MODEL_PATTERNS)):
        for hub_id in ids:
            if hub_id.count("/") != 1:
                raise ValueError(f"{hub_id!r} is not a Hub id of the form owner/name")
            folder = dest / f"{kind}s" / hub_id
            if force or not folder.is_dir() or not any(folder.iterdir()):
                steps.append(Download(kind, hub_id, folder, patterns))
    return steps


def manifest(dest: Path, datasets=COURSE_DATASETS, models=COURSE_MODELS) -> dict:
    """The ``mirror.json`` for a mirror holding these ids (no substitutes: a full mirror needs none)."""
    held = lambda kind, ids: [i for i in ids if (dest / f"{kind}s" / i).is_dir()]  # noqa: E731
    return {
        "description": "Offline mirror of the Hugging Face Hub repositories this course uses, in the Hub's own layout.",
        "datasets": held("dataset", datasets),
        "models": held("model", models),
        "substitutes": {},
    }


def fill(dest: Path, steps: list[Download]) -> None:
    from huggingface_hub import snapshot_download

    for step in steps:
        print(f"downloading {step.kind} {step.hub_id} -> {step.dest}")
        snapshot_download(step.hub_id, repo_type=step.kind, local_dir=step.dest, allow_patterns=list(step.allow_patterns))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m course.mirror", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("fill", help="download the course's datasets and models into a mirror folder")
    p.add_argument("--dest", type=Path, required=True, help="the mirror folder (created if missing)")
    p.add_argument("--dataset", action="append", help="a dataset id (repeatable; default: all the course uses)")
    p.add_argument("--model", action="append", help="a model id (repeatable; default: all the course uses)")
    p.add_argument("--force", action="store_true", help="download again even if a folder exists")
    p.add_argument("--dry-run", action="store_true", help="print the plan, download nothing")
    args = parser.parse_args(argv)

    datasets = tuple(args.dataset or COURSE_DATASETS)
    models = tuple(args.model or COURSE_MODELS)
    steps = plan(args.dest, datasets, models, force=args.force)
    for step in steps:
        print(f"{'would download' if args.dry_run else 'will download'}: {step.kind} {step.hub_id} -> {step.dest}")
    if not steps:
        print(f"{args.dest} already holds everything asked for.")
    if args.dry_run:
        return 0
    args.dest.mkdir(parents=True, exist_ok=True)
    fill(args.dest, steps)
    (args.dest / "mirror.json").write_text(json.dumps(manifest(args.dest, datasets, models), indent=2) + "\n")
    print(f"done. Now: export COURSE_MIRROR={args.dest.resolve()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
