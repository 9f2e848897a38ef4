"""Checkpoint adapters: a Part 1 or Part 2 checkpoint -> (module, tokenizer, :class:`ModelSpec`) for the exporter.

Each reads only the keys its part's ``save_checkpoint`` writes, and takes the window the model was trained with
from the checkpoint (head and tail tokens as used), so the bundle cuts long reviews exactly as training did.
"""
from __future__ import annotations

from pathlib import Path

import torch
from tokenizers import Tokenizer

import course
import roberta_transfer
import starter_lstm

from .onnx_bundle import TOKENIZER_FILE, ExportError, ModelSpec, clone_tokenizer, make_window


def from_part2_checkpoint(checkpoint_dir: str | Path, name: str | None = None):
    """(module, tokenizer, ModelSpec) from a Part 2 checkpoint (``roberta_transfer.load_checkpoint``)."""
    checkpoint_dir = Path(checkpoint_dir)
    model, hf_tokenizer, config = roberta_transfer.load_checkpoint(checkpoint_dir)
    model.eval()
    tokenizer_file = checkpoint_dir / TOKENIZER_FILE
    # A checkpoint's tokenizer.json can carry the padding and truncation its source model shipped with
    # (all-MiniLM-L6-v2's pads every text to 128 tokens); the bundle's window does that job instead.
    tokenizer = clone_tokenizer(Tokenizer.from_file(str(tokenizer_file)) if tokenizer_file.is_file() else hf_tokenizer)
    truncation = config.get("truncation") or {}
    if not config.get("max_length") or "head_tokens" not in truncation:
        raise ExportError(f"{checkpoint_dir / 'config.json'} does not record its window (max_length and "
                          f"truncation.head_tokens): save it again with roberta_transfer.save_checkpoint.")
    window = make_window(tokenizer, int(config["max_length"]), pad_id=hf_tokenizer.pad_token_id,
                         head_tokens=int(truncation["head_tokens"]))
    requested, served_by = config["encoder"]["requested"], config["encoder"]["served_by"]
    encoder = requested if served_by == requested else f"{requested} (served by the stand-in {served_by})"
    spec = ModelSpec(
        name=name or f"part2-{checkpoint_dir.name}",
        architecture=config["architecture"],
        labels=_labels(config, checkpoint_dir), window=window, uses_mask=True,
        test_accuracy=(config.get("metrics") or {}).get("test_accuracy"),
        source_checkpoint=course.portable_name(checkpoint_dir),
        description=f"Part 2 transfer-learning classifier, encoder {encoder}",
        extra={"encoder": {"requested": requested, "served_by": served_by}, "profile": config.get("profile")},
    )
    return model, tokenizer, spec


class NoLengths(torch.nn.Module):
    """``model(input_ids)`` for the LSTM, which takes ``(input_ids, lengths)``: one unpadded review, ONNX-exportable."""

    def __init__(self, inner: torch.nn.Module):
        super().__init__()
        self.inner = inner

    def forward(self, input_ids):
        return self.inner(input_ids, lengths=None)


def from_part1_checkpoint(checkpoint_dir: str | Path, name: str | None = None):
    """(module, tokenizer, ModelSpec) from a Part 1 LSTM checkpoint (``starter_lstm.load_checkpoint``)."""
    checkpoint_dir = Path(checkpoint_dir)
    model, vocab, config = starter_lstm.load_checkpoint(checkpoint_dir)
    model.eval()
    if config.get("max_tokens") is None:
        raise ExportError(f"{checkpoint_dir / 'config.json'} has no max_tokens: the server would not know where to cut "
                          f"long reviews. Save the checkpoint with config={{'max_tokens': N}}.")
    max_tokens = int(config["max_tokens"])
    tokenizer = starter_lstm.to_hf_tokenizer(vocab)  # no truncation: the bundle's window cuts head and tail
    head = config.get("head_tokens")  # None: the LSTM read the first max_tokens tokens
    window = make_window(tokenizer, max_tokens, pad_id=vocab.pad_id, head_tokens=max_tokens if head is None else int(head),
                         use_special_tokens=False)
    spec = ModelSpec(
        name=name or f"part1-{checkpoint_dir.name}", architecture=config["architecture"],
        labels=_labels(config, checkpoint_dir), window=window, uses_mask=False,
        test_accuracy=(config.get("metrics") or {}).get("test_accuracy"),
        source_checkpoint=course.portable_name(checkpoint_dir), description="Part 1 starter LSTM",
    )
    return NoLengths(model).eval(), tokenizer, spec


def _labels(config: dict, checkpoint_dir: Path) -> list[str]:
    labels = config.get("label_names")
    if not labels:
        raise ExportError(f"{checkpoint_dir / 'config.json'} names no labels (label_names); cannot write bundle.json.")
    return list(labels)
