"""What the Part 3 chapters share: where their bundles live, and how each chapter gets one on its own.

``ensure_bundle(profile)`` returns the int8 bundle of the Part 2 model for a profile, exporting it first if it
is missing or older than its checkpoint, so that every chapter runs on its own in a fresh kernel. The
checkpoint comes from ``roberta_transfer.recipes.ensure_stage2`` (Part 2's fine-tuned model, trained by Part 2's
own code if missing). Export-time only: needs torch.
"""
from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import numpy as np

import course
import serve
from roberta_transfer.recipes import KEEP_HINT, ensure_stage2

from .from_checkpoint import from_part2_checkpoint
from .export import imdb_test_texts
from .onnx_bundle import export_bundle
from .quantize import quantize_bundle

N_CHECK = 16  # reviews for the PyTorch-vs-ONNX parity check
FRONTEND = Path(serve.__file__).resolve().parent / "frontend"  # the sources ship with the package


def bundles_dir(profile) -> Path:
    return course.artifacts_dir(profile, "part3")


def ensure_part2_checkpoint(profile) -> Path:
    """Part 2's fine-tuned IMDb checkpoint for ``profile`` (made by Part 2's code if it is missing)."""
    return Path(ensure_stage2(profile, progress=False))


def _current(bundle: Path, checkpoint: Path) -> bool:
    meta_path = bundle / "bundle.json"
    if not meta_path.is_file() or not (checkpoint / "model.safetensors").is_file():
        return False
    meta = json.loads(meta_path.read_text())
    return (meta.get("source_checkpoint") == course.portable_name(checkpoint)
            and meta_path.stat().st_mtime >= (checkpoint / "model.safetensors").stat().st_mtime)


def export_part2(profile, checkpoint: Path | None = None, n_agree: int = 120, overwrite: bool = True) -> tuple[Path, Path]:
    """Export the Part 2 checkpoint to fp32 and int8 bundles in :func:`bundles_dir`. Returns (fp32, int8)."""
    checkpoint = checkpoint or ensure_part2_checkpoint(profile)
    module, tokenizer, spec = from_part2_checkpoint(checkpoint, name=f"sentiment-{profile.name}")
    texts, labels = imdb_test_texts(max(n_agree, N_CHECK), profile)
    fp32, int8 = bundles_dir(profile) / "bundle-fp32", bundles_dir(profile) / "bundle-int8"
    export_bundle(module, tokenizer, spec, fp32, texts=texts[:N_CHECK], labels=labels[:N_CHECK], overwrite=overwrite)
    quantize_bundle(fp32, int8, texts=texts[:n_agree], labels=labels[:n_agree], overwrite=overwrite)
    return fp32, int8


def ensure_bundle(profile, quantized: bool = True) -> Path:
    """The profile's int8 (or fp32) bundle, exported now if missing or older than the Part 2 checkpoint."""
    checkpoint = ensure_part2_checkpoint(profile)
    fp32, int8 = bundles_dir(profile) / "bundle-fp32", bundles_dir(profile) / "bundle-int8"
    if not (_current(fp32, checkpoint) and _current(int8, checkpoint)):
        print(f"No current bundle in {bundles_dir(profile)}: exporting {checkpoint} now, with the code of chapter 01 "
              f"(a few minutes on a CPU). {KEEP_HINT}")
        export_part2(profile, checkpoint)
    return int8 if quantized else fp32


def behaviour_models(profile) -> dict:
    """The four models of the behavioural chapter, each as ``p_positive(texts) -> P(positive) per text``: Part 1's
    LSTM, Part 2's stage 1 and stage 2 (PyTorch), and the int8 bundle through the server's own code (no torch).
    Each is made first, by its own chapter's code, when it is missing."""
    import starter_lstm
    from roberta_transfer import load_checkpoint
    from roberta_transfer.recipes import ensure_stage1, p_positive
    from serve.behaviour import bundle_p_positive
    from serve.bundle import Bundle
    from starter_lstm.recipes import ensure_lstm

    lstm, vocab, _ = starter_lstm.load_checkpoint(ensure_lstm(profile, progress=False))
    stage1, tok1, _ = load_checkpoint(ensure_stage1(profile, progress=False))
    stage2, tok2, _ = load_checkpoint(ensure_part2_checkpoint(profile))
    bundle = Bundle(ensure_bundle(profile))
    return {
        "LSTM": lambda texts: np.array([p["probabilities"]["positive"] for p in starter_lstm.predict(lstm, vocab, texts)]),
        "stage 1": lambda texts: p_positive(stage1, tok1, texts, profile.max_length),
        "stage 2": lambda texts: p_positive(stage2, tok2, texts, profile.max_length),
        "stage 2, int8 bundle": bundle_p_positive(bundle),
    }


def missing_page_tools(browser: bool = True) -> list[str]:
    """What this machine lacks to build the React page (Node.js 20+ with npm, unless the page is built already)
    and, with ``browser``, to look at it (a headless Chromium). Empty when everything is here. A fresh Colab
    runtime, for one, has no Chromium."""
    from .background import CHROMIUM

    missing = []
    if not (FRONTEND / "dist" / "index.html").is_file():
        node, npm = shutil.which("node"), shutil.which("npm")
        version = subprocess.run([node, "--version"], capture_output=True, text=True).stdout.strip() if node else ""
        major = int(version.lstrip("v").split(".")[0]) if version[1:2].isdigit() else 0
        if npm is None or major < 20:
            missing.append(f"Node.js 20 or later with npm (found: {version or 'none'})")
    if browser and not Path(CHROMIUM).exists():
        missing.append("a headless Chromium")
    return missing


def ensure_frontend_built() -> Path:
    """The built page (serve/frontend/dist), built now with npm if it is missing."""
    frontend = FRONTEND
    dist = frontend / "dist"
    if not (dist / "index.html").is_file():
        npm = shutil.which("npm")
        if npm is None:
            raise FileNotFoundError(f"{dist / 'index.html'} is missing and npm is not installed: install Node.js 20+ "
                                    f"and run `npm ci && npm run build` in {frontend}.")
        print(f"Building the page: npm ci && npm run build in {frontend}")
        for cmd in ([npm, "ci", "--no-audit", "--no-fund"], [npm, "run", "build"]):
            subprocess.run(cmd, cwd=frontend, check=True)
    return dist
