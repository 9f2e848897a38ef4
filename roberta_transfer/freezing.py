"""Freeze and unfreeze parts of the classifier; every helper reports how many parameters will train.

A frozen parameter has ``requires_grad=False``: no gradient is computed for it and the optimiser (built by
:func:`roberta_transfer.training.train` from the trainable parameters only) never changes it. The head is
always trainable.
"""
from __future__ import annotations

from dataclasses import dataclass

from torch import nn


@dataclass(frozen=True)
class ParamCount:
    trainable: int
    total: int

    @property
    def share(self) -> float:
        return self.trainable / self.total if self.total else 0.0

    def __str__(self) -> str:
        return f"{self.trainable:,} of {self.total:,} parameters trainable ({100 * self.share:.2f}%)"


def count_trainable(model: nn.Module) -> ParamCount:
    params = list(model.parameters())
    return ParamCount(sum(p.numel() for p in params if p.requires_grad), sum(p.numel() for p in params))


def encoder_layers(encoder: nn.Module) -> nn.ModuleList:
    """The stack of transformer blocks, bottom first (BERT/RoBERTa: ``encoder.layer``; DistilBERT: ``transformer.layer``)."""
    for path in ("encoder.layer", "transformer.layer", "layers", "encoder.layers"):
        obj = encoder
        for part in path.split("."):
            obj = getattr(obj, part, None)
            if obj is None:
                break
        if isinstance(obj, nn.ModuleList):
            return obj
    raise ValueError(f"cannot find the transformer layers of {type(encoder).__name__}; "
                     "expected one of encoder.layer, transformer.layer, layers")


def _set(module: nn.Module, flag: bool) -> None:
    for p in module.parameters():
        p.requires_grad = flag


def _report(model: nn.Module, what: str, verbose: bool) -> ParamCount:
    count = count_trainable(model)
    if verbose:
        print(f"{what}: {count}")
    return count


def freeze_encoder(model, verbose: bool = True) -> ParamCount:
    """Freeze the whole encoder; only the head trains (stage 1)."""
    for p in model.encoder.parameters():
        p.requires_grad = False  # autograd computes no gradient for it, and the optimiser never receives it
    for p in model.head.parameters():
        p.requires_grad = True
    return _report(model, "Encoder frozen, head trainable", verbose)


def unfreeze_all(model, verbose: bool = True) -> ParamCount:
    """Everything trains (full fine-tuning)."""
    _set(model, True)
    return _report(model, "Everything trainable", verbose)


def unfreeze_top_layers(model, k: int, verbose: bool = True) -> ParamCount:
    """Freeze the encoder, then unfreeze its top ``k`` transformer layers (the head stays trainable)."""
    layers = encoder_layers(model.encoder)  # the transformer blocks, bottom first
    if not 0 <= k <= len(layers):
        raise ValueError(f"k must be between 0 and {len(layers)} (the encoder has {len(layers)} layers), not {k}")
    freeze_encoder(model, verbose=False)  # everything but the head frozen...
    for layer in layers[len(layers) - k:]:  # ...then the top k blocks trainable again
        for p in layer.parameters():
            p.requires_grad = True
    return _report(model, f"Top {k} of {len(layers)} layers and the head trainable", verbose)


def unfreeze_embeddings(model, verbose: bool = True) -> ParamCount:
    """Make the embedding layer (token, position and, for BERT, segment embeddings) trainable too."""
    embeddings = getattr(model.encoder, "embeddings", None)
    if embeddings is None:
        raise ValueError(f"{type(model.encoder).__name__} has no 'embeddings' module")
    _set(embeddings, True)
    return _report(model, "Embeddings trainable too", verbose)
