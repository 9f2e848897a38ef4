"""Strict checkpoints (ARCHITECTURE.md, "Checkpoints and bundles"): ``model.safetensors`` + ``config.json`` + the tokenizer's files.

``config.json`` holds everything needed to rebuild the model with no network: the encoder's Hugging Face config
(``AutoConfig.for_model`` + ``AutoModel.from_config``), the head spec, pooling, label names, window length and
truncation as used (head fraction, head and tail tokens), the profile, and the metrics (``test_accuracy`` among
them). Loading checks every key and every shape and raises :class:`CheckpointMismatchError` naming what differs; nothing is loaded half-way.
"""
from __future__ import annotations

import json
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file

from .data import HEAD_FRACTION, review_window
from .model import HeadSpec, SentimentClassifier, encoder_from_config

FORMAT = "roberta_transfer/1"
WEIGHTS = "model.safetensors"
CONFIG = "config.json"


class CheckpointMismatchError(RuntimeError):
    """The weights in a checkpoint do not fit the model (missing or unexpected keys, or different shapes)."""


def save_checkpoint(directory, model: SentimentClassifier, tokenizer, config: dict | None = None,
                    head_fraction: float = HEAD_FRACTION) -> Path:
    """Write ``model.safetensors``, ``config.json`` and the tokenizer files to ``directory`` (created if needed).

    ``config`` adds or overrides entries, for example ``{"max_length": 256, "profile": "quick",
    "metrics": {"test_accuracy": 0.87}}``. ``head_fraction`` is the one the training data was cut with
    (:func:`~roberta_transfer.data.tokenize_dataset`); with ``max_length`` it is recorded as ``truncation``.

    ``config.json`` is removed first and written last, so a save that is interrupted leaves no ``config.json``
    and is never mistaken for a complete checkpoint (``recipes.is_current`` requires it).
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    (directory / CONFIG).unlink(missing_ok=True)
    state = {k: v.detach().to("cpu").contiguous() for k, v in model.state_dict().items()}
    save_file(state, str(directory / WEIGHTS), metadata={"format": FORMAT})
    meta = {
        "format": FORMAT,
        "architecture": "SentimentClassifier: AutoModel encoder + mean/cls pooling + ClassificationHead",
        "encoder": {"requested": model.requested_id, "served_by": model.served_by,
                    "config": model.encoder.config.to_dict()},
        "head": model.head_spec.to_dict(),
        "pooling": model.pooling,
        "label_names": model.label_names,
        "truncation": None,
        "max_length": None,
        "profile": None,
        "metrics": {},
    }
    meta.update(config or {})
    if meta["max_length"]:
        window = review_window(tokenizer, int(meta["max_length"]), head_fraction)
        meta["truncation"] = {"rule": "head_tail", "head_fraction": head_fraction, "head_tokens": window.head_tokens,
                              "tail_tokens": window.tail_tokens, "doc": "serve.window"}
    tokenizer.save_pretrained(str(directory))
    (directory / CONFIG).write_text(json.dumps(meta, indent=2, default=str), encoding="utf-8")
    return directory


def read_config(directory) -> dict:
    path = Path(directory) / CONFIG
    if not path.is_file():
        raise FileNotFoundError(f"{path} does not exist: not a roberta_transfer checkpoint (expected {CONFIG} and {WEIGHTS})")
    meta = json.loads(path.read_text(encoding="utf-8"))
    if meta.get("format") != FORMAT:
        raise CheckpointMismatchError(f"{path} has format {meta.get('format')!r}, expected {FORMAT!r}")
    return meta


def check_state_dict(model: torch.nn.Module, state: dict, source: str = "the checkpoint") -> None:
    """Raise :class:`CheckpointMismatchError` unless ``state`` has exactly the model's keys, with the same shapes."""
    expected = model.state_dict()
    missing = sorted(set(expected) - set(state))
    unexpected = sorted(set(state) - set(expected))
    shapes = sorted(f"{k}: saved {tuple(state[k].shape)}, model {tuple(expected[k].shape)}"
                    for k in set(expected) & set(state) if tuple(state[k].shape) != tuple(expected[k].shape))
    if missing or unexpected or shapes:
        def show(items):
            return ", ".join(items[:5]) + (f" and {len(items) - 5} more" if len(items) > 5 else "")
        lines = [f"{source} does not fit the model:"]
        if missing:
            lines.append(f"  {len(missing)} missing key(s): {show(missing)}")
        if unexpected:
            lines.append(f"  {len(unexpected)} unexpected key(s): {show(unexpected)}")
        if shapes:
            lines.append(f"  {len(shapes)} shape mismatch(es): {show(shapes)}")
        lines.append("  Rebuild the model with the same encoder, head and labels as when it was saved "
                     "(roberta_transfer.load_checkpoint does this from config.json).")
        raise CheckpointMismatchError("\n".join(lines))


def load_weights(model: torch.nn.Module, directory) -> dict:
    """Strictly load ``directory/model.safetensors`` into ``model``; return the loaded tensors (to compare)."""
    path = Path(directory) / WEIGHTS
    if not path.is_file():
        raise FileNotFoundError(f"{path} does not exist")
    state = load_file(str(path))
    check_state_dict(model, state, source=str(path))
    model.load_state_dict(state, strict=True)
    return state


def tensors_equal(model: torch.nn.Module, directory) -> bool:
    """True when every tensor of the model equals the one saved in ``directory`` (exactly, bit for bit)."""
    saved = load_file(str(Path(directory) / WEIGHTS))
    current = model.state_dict()
    return set(saved) == set(current) and all(torch.equal(saved[k], current[k].detach().cpu()) for k in saved)


def build_from_config(meta: dict) -> SentimentClassifier:
    """The architecture described by a checkpoint's config, with random weights (no network)."""
    encoder = encoder_from_config(meta["encoder"]["config"])
    return SentimentClassifier(encoder, meta["label_names"], head=HeadSpec(**meta["head"]), pooling=meta["pooling"],
                               requested_id=meta["encoder"]["requested"], served_by=meta["encoder"]["served_by"])


def load_checkpoint(directory, *, device: str | torch.device = "cpu"):
    """Rebuild the model from ``config.json``, load the weights strictly, load the tokenizer.

    Returns ``(model, tokenizer, config)`` with the model in eval mode on ``device``.
    """
    from transformers import AutoTokenizer

    directory = Path(directory)
    meta = read_config(directory)
    model = build_from_config(meta)
    load_weights(model, directory)
    tokenizer = AutoTokenizer.from_pretrained(str(directory))
    return model.to(device).eval(), tokenizer, meta
