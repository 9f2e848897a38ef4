"""The Part 2 pipeline, as functions the chapters and the benchmark share.

- stage 1 (chapter 02): freeze the encoder, compute its features once, train the head on them, save;
- stage 2 (chapter 03): rebuild, load stage 1 strictly, then train head-only / top layers / everything;
- helpers for fine-tuning on any tokenized dataset (chapters 04 and 05).

Checkpoints go to ``artifacts/<profile>/part2/<stage>/`` at the repository root (ignored by git; override the
root with ``$COURSE_ARTIFACTS``). :func:`ensure_stage1` and :func:`ensure_stage2` produce a missing checkpoint
with the same code the chapters run, so every chapter also runs on its own in a fresh kernel.
"""
from __future__ import annotations

import json
import math
import time
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file

import course

from .checkpoint import load_checkpoint, read_config, save_checkpoint
from .data import encode_reviews, feature_loader, make_loader, tokenize_dataset
from .freezing import count_trainable, freeze_encoder, unfreeze_all, unfreeze_top_layers
from .model import HeadSpec, build_classifier
from .training import evaluate, extract_features, train

IMDB_LABELS = list(course.IMDB_LABELS)
HEAD_LR = 1e-3  # the head alone, on fixed features, learns fast with a large learning rate
TOP_K = 2  # layers unfrozen in the "top layers" variant
FEATURES = "features.safetensors"
KEEP_HINT = course.KEEP_HINT


def artifacts_dir(profile) -> Path:
    return course.artifacts_dir(profile, "part2")


def stage_dir(profile, stage: str) -> Path:
    return artifacts_dir(profile) / stage


def data_signature(profile) -> dict:
    """What a cached checkpoint was made from; a mismatch means it must be rebuilt."""
    return {"model_id": profile.model_id, "max_length": profile.max_length, "n_train": profile.n_train,
            "transformer_n_train": profile.transformer_n_train,
            "n_val": profile.n_val, "n_test": profile.n_test, "seed": profile.seed}


def tokenize_imdb(profile, tokenizer):
    """IMDb sized for the transformer: ``transformer_n_train`` training reviews (a stratified subset of the profile's
    training split), the profile's validation and test splits; tokenized with head+tail truncation."""
    imdb = course.load_imdb(profile)
    imdb["train"] = course.stratified_subset(imdb["train"], profile.transformer_n_train, profile.seed)
    return tokenize_dataset(imdb, tokenizer, profile.max_length)


def loaders(enc, tokenizer, batch_size: int, seed: int, eval_batch_size: int | None = None) -> dict:
    """Length-grouped, dynamically padded loaders: shuffled for ``train``, sorted for the others."""
    eval_bs = eval_batch_size or 2 * batch_size
    return {split: make_loader(ds, tokenizer, batch_size if split == "train" else eval_bs,
                               shuffle=(split == "train"), seed=seed) for split, ds in enc.items()}


# --- stage 1 --------------------------------------------------------------------------------------------

def compute_features(model, enc, tokenizer, batch_size: int, progress: bool = True) -> dict[str, torch.Tensor]:
    """Frozen-encoder features for every split of a tokenized DatasetDict (computed once)."""
    return {split: extract_features(model, make_loader(ds, tokenizer, 2 * batch_size, shuffle=False), progress=progress)
            for split, ds in enc.items()}


def train_head_on_features(model, feats: dict, labels: dict, profile, epochs: int | None = None,
                           progress: bool = True):
    """Train ``model.head`` on cached features with the course loop. Returns the TrainResult."""
    train_dl = feature_loader(feats["train"], labels["train"], profile.batch_size, shuffle=True, seed=profile.seed)
    val_dl = feature_loader(feats["validation"], labels["validation"], 256, shuffle=False)
    return train(model.head, train_dl, val_dl, epochs=epochs or profile.head_epochs, lr=HEAD_LR,
                 warmup_ratio=0.05, progress=progress)


def evaluate_head_on_features(model, feats: torch.Tensor, labels):
    return evaluate(model.head, feature_loader(feats, labels, 256, shuffle=False))


def run_stage1(profile, out_dir=None, progress: bool = True) -> dict:
    """Stage 1 end to end: fresh head on the frozen pretrained encoder, trained on cached features; saves the
    checkpoint and the features to ``out_dir`` (default ``stage_dir(profile, "stage1")``). Returns a summary."""
    out_dir = Path(out_dir or stage_dir(profile, "stage1"))
    course.seed_everything(profile.seed)
    model, tokenizer = build_classifier(profile.model_id, IMDB_LABELS, head=HeadSpec(num_labels=2))
    freeze_encoder(model, verbose=progress)
    enc = tokenize_imdb(profile, tokenizer)
    labels = {s: torch.tensor(enc[s]["label"]) for s in enc}
    t0 = time.perf_counter()
    feats = compute_features(model, enc, tokenizer, profile.batch_size, progress=progress)
    feature_seconds = time.perf_counter() - t0
    result = train_head_on_features(model, feats, labels, profile, progress=progress)
    test = evaluate_head_on_features(model, feats["test"], labels["test"])
    summary = stage1_metrics(test, result, count_trainable(model), len(labels["train"]), feature_seconds)
    save_stage1(out_dir, model, tokenizer, profile, summary, feats, labels)
    return summary


def stage1_metrics(test, result, count, n_train: int, feature_seconds: float) -> dict:
    """What the stage-1 checkpoint records about its run (``config.json``'s ``metrics``)."""
    return {"stage": "stage1", "test_accuracy": round(test.accuracy, 4), "test_f1": round(test.f1, 4),
            "n_test": len(test.labels), "n_train": n_train, "feature_seconds": round(feature_seconds, 1),
            "head_train_seconds": round(result.seconds, 1), "best_val_accuracy": round(result.best_val_accuracy, 4),
            "trainable_parameters": count.trainable}


def save_stage1(out_dir, model, tokenizer, profile, metrics: dict, feats: dict, labels: dict) -> Path:
    """The stage-1 checkpoint, plus its cached features and labels (chapter 03's head-only variant reuses them)."""
    save_stage(out_dir, model, tokenizer, profile, metrics, "stage1")
    save_file({f"{s}.{kind}": t.contiguous() for s in feats for kind, t in (("features", feats[s]), ("labels", labels[s]))},
              str(Path(out_dir) / FEATURES))
    return Path(out_dir)


def save_stage(out_dir, model, tokenizer, profile, metrics: dict, stage: str) -> Path:
    return save_checkpoint(out_dir, model, tokenizer, {
        "stage": stage, "profile": profile.name, "max_length": profile.max_length,
        "data": data_signature(profile), "metrics": metrics})


def is_current(directory, profile) -> bool:
    directory = Path(directory)
    if not (directory / "model.safetensors").is_file() or not (directory / "config.json").is_file():
        return False
    return read_config(directory).get("data") == json.loads(json.dumps(data_signature(profile)))


def ensure_stage1(profile, progress: bool = True) -> Path:
    """The stage-1 checkpoint directory for ``profile``, running :func:`run_stage1` first if it is missing or stale."""
    directory = stage_dir(profile, "stage1")
    if not (is_current(directory, profile) and (directory / FEATURES).is_file()):
        print(f"No current stage-1 checkpoint in {directory}: running stage 1 now, with the code of chapter 02 "
              f"(its time is in the estimate printed at the top). {KEEP_HINT}")
        run_stage1(profile, directory, progress=progress)
    return directory


def load_features(directory) -> tuple[dict, dict]:
    tensors = load_file(str(Path(directory) / FEATURES))
    feats = {k.split(".")[0]: v for k, v in tensors.items() if k.endswith(".features")}
    labels = {k.split(".")[0]: v for k, v in tensors.items() if k.endswith(".labels")}
    return feats, labels


# --- stage 2 --------------------------------------------------------------------------------------------

VARIANTS = {"head": "head only (frozen encoder)", "top": f"top {TOP_K} layers + head", "full": "everything"}


def set_trainable(model, variant: str, verbose: bool = True):
    if variant == "head":
        return freeze_encoder(model, verbose)
    if variant == "top":
        return unfreeze_top_layers(model, TOP_K, verbose)
    if variant == "full":
        return unfreeze_all(model, verbose)
    raise ValueError(f"variant must be one of {list(VARIANTS)}, not {variant!r}")


def fine_tune(model, tokenizer, enc, profile, *, epochs: int | None = None, lr: float | None = None,
              progress: bool = True):
    """Fine-tune the trainable parameters on ``enc['train']``, keeping the best epoch on ``enc['validation']``."""
    dl = loaders({"train": enc["train"], "validation": enc["validation"]}, tokenizer, profile.batch_size, profile.seed)
    return train(model, dl["train"], dl["validation"], epochs=epochs or profile.finetune_epochs,
                 lr=lr or profile.finetune_lr, grad_accum_steps=profile.grad_accum_steps, progress=progress)


def evaluate_tokenized(model, tokenizer, ds, batch_size: int, progress: bool = False):
    return evaluate(model, make_loader(ds, tokenizer, 2 * batch_size, shuffle=False), progress=progress)


@torch.no_grad()
def p_positive(model, tokenizer, texts, max_length: int, batch_size: int = 64):
    """P(positive) for raw texts (a numpy array), through the same tokenizer and head+tail window as training."""
    import numpy as np

    k = list(model.label_names).index("positive")
    device = next(model.parameters()).device
    model.eval()
    out = []
    for start in range(0, len(texts), batch_size):
        ids = encode_reviews(tokenizer, texts[start:start + batch_size], max_length)
        batch = tokenizer.pad({"input_ids": ids}, return_tensors="pt")
        logits = model(batch["input_ids"].to(device), batch["attention_mask"].to(device))
        out.append(logits.softmax(-1)[:, k].cpu().numpy())
    return np.concatenate(out)


def run_stage2_variant(profile, variant: str, stage1=None, enc=None, progress: bool = True) -> tuple:
    """Load the stage-1 checkpoint strictly, make ``variant`` trainable, train, evaluate on the test set.

    ``variant='head'`` trains the head on the cached stage-1 features (a frozen encoder is a fixed feature
    extractor, so this is the same computation, only faster). Returns ``(model, tokenizer, summary)``.
    """
    stage1 = Path(stage1 or ensure_stage1(profile, progress))
    course.seed_everything(profile.seed)
    model, tokenizer, _ = load_checkpoint(stage1)
    count = set_trainable(model, variant, verbose=progress)
    if variant == "head":
        feats, labels = load_features(stage1)
        result = train_head_on_features(model, feats, labels, profile, progress=progress)
        test = evaluate_head_on_features(model, feats["test"], labels["test"])
    else:
        enc = enc if enc is not None else tokenize_imdb(profile, tokenizer)
        result = fine_tune(model, tokenizer, enc, profile, progress=progress)
        test = evaluate_tokenized(model, tokenizer, enc["test"], profile.batch_size)
    summary = {"variant": variant, "description": VARIANTS[variant], "test_accuracy": round(test.accuracy, 4),
               "test_f1": round(test.f1, 4), "n_test": len(test.labels), "train_seconds": round(result.seconds, 1),
               "test_seconds": round(test.seconds, 1), "trainable_parameters": count.trainable,
               "best_val_accuracy": round(result.best_val_accuracy, 4), "best_epoch": result.best_epoch,
               "real_token_share": result.real_token_share}
    return model, tokenizer, summary


def ensure_stage2(profile, progress: bool = True) -> Path:
    """The stage-2 (fully fine-tuned IMDb) checkpoint for ``profile``; runs that variant of chapter 03 if missing."""
    directory = stage_dir(profile, "stage2")
    if not is_current(directory, profile):
        print(f"No current stage-2 checkpoint in {directory}: fine-tuning now, with the code of chapter 03 "
              f"(its time is in the estimate printed at the top). {KEEP_HINT}")
        model, tokenizer, summary = run_stage2_variant(profile, "full", progress=progress)
        save_stage(directory, model, tokenizer, profile, summary, "stage2")
    return directory


def few_shot_epochs(n: int, batch_size: int, min_steps: int = 30, max_epochs: int = 5) -> int:
    """Epochs for a small training set: enough for about ``min_steps`` optimiser steps, at most ``max_epochs``."""
    return max(1, min(max_epochs, math.ceil(min_steps * batch_size / max(n, 1))))
