"""The classifier: a pretrained encoder (any ``AutoModel``) plus added layers (the head).

Pooling
-------
The encoder returns one vector per token. We turn them into one vector per review by **mean pooling**:
the average of the token vectors, counting only real tokens (``attention_mask == 1``), never padding.
Why not the first token (``<s>`` in RoBERTa, ``[CLS]`` in BERT)? RoBERTa was pretrained with masked language
modelling only (no next-sentence task), so its first token was never trained to summarise the sequence; the
offline stand-in (all-MiniLM-L6-v2) was trained as a sentence embedder *with* mean pooling. Mean pooling is
therefore the better frozen feature for both, and it is what lets stage 1 (frozen encoder) work at all.
``pooling="cls"`` is available for comparison.

The forward pass is ``model(input_ids, attention_mask) -> logits`` (a plain tensor ``[batch, num_labels]``),
so ``torch.onnx.export`` sees a simple graph (Part 3).
"""
from __future__ import annotations

import inspect
from dataclasses import asdict, dataclass

import torch
from torch import nn

POOLINGS = ("mean", "cls")


@dataclass(frozen=True)
class HeadSpec:
    """The added layers: dropout -> Linear(hidden_size, hidden) -> GELU -> dropout -> Linear(hidden, num_labels).

    ``hidden=0`` gives a single linear layer (dropout -> Linear(hidden_size, num_labels)).
    """

    num_labels: int = 2
    hidden: int = 256
    dropout: float = 0.1

    def to_dict(self) -> dict:
        return asdict(self)


class ClassificationHead(nn.Module):
    """The added layers. Input: pooled features ``[batch, hidden_size]``; output: logits ``[batch, num_labels]``.

    The last layer is always ``self.out`` (an ``nn.Linear``): one row of weights per label, which is what
    :func:`grow_head` copies when a label is added.
    """

    def __init__(self, in_features: int, spec: HeadSpec):
        super().__init__()
        self.spec = spec
        layers: list[nn.Module] = [nn.Dropout(spec.dropout)]
        width = in_features
        if spec.hidden:
            layers += [nn.Linear(in_features, spec.hidden), nn.GELU(), nn.Dropout(spec.dropout)]
            width = spec.hidden
        self.body = nn.Sequential(*layers)
        self.out = nn.Linear(width, spec.num_labels)

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        return self.out(self.body(features))


def mean_pool(hidden: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
    """Average of the token vectors over real tokens only. ``hidden`` [B, T, H], ``attention_mask`` [B, T]."""
    mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
    return (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1.0)


class SentimentClassifier(nn.Module):
    """``encoder`` (a transformers ``AutoModel``) + pooling + :class:`ClassificationHead`.

    Attributes kept for the checkpoint: ``label_names``, ``pooling``, ``head_spec``, ``requested_id`` (the Hub id
    a chapter asked for) and ``served_by`` (what was really loaded, different for a stand-in).
    """

    def __init__(self, encoder: nn.Module, label_names: list[str], *, head: HeadSpec | None = None,
                 pooling: str = "mean", requested_id: str | None = None, served_by: str | None = None):
        super().__init__()
        if pooling not in POOLINGS:
            raise ValueError(f"pooling must be one of {POOLINGS}, not {pooling!r}")
        head = head or HeadSpec(num_labels=len(label_names))
        if head.num_labels != len(label_names):
            raise ValueError(f"the head has {head.num_labels} outputs but {len(label_names)} label names were given")
        self.encoder = encoder
        self.head = ClassificationHead(encoder.config.hidden_size, head)
        self.label_names = list(label_names)
        self.pooling = pooling
        self.requested_id = requested_id or getattr(encoder.config, "_name_or_path", "") or "unknown"
        self.served_by = served_by or self.requested_id

    @property
    def head_spec(self) -> HeadSpec:
        return self.head.spec

    @property
    def num_labels(self) -> int:
        return self.head.spec.num_labels

    def features(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        """The pooled encoder output, one vector per text: what the head sees."""
        hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        if self.pooling == "cls":
            return hidden[:, 0]
        return mean_pool(hidden, attention_mask)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(input_ids, attention_mask))


def _no_pooler_kwargs(config) -> dict:
    """``add_pooling_layer=False`` where the architecture has a pooler (BERT, RoBERTa): we pool ourselves, and an
    unused pooler would be a set of 'trainable' weights that never receive a gradient."""
    from transformers import AutoModel

    model_class = AutoModel._model_mapping[type(config)]
    return {"add_pooling_layer": False} if "add_pooling_layer" in inspect.signature(model_class.__init__).parameters else {}


def build_classifier(hub_id: str, label_names: list[str], *, head: HeadSpec | None = None, pooling: str = "mean"):
    """Load a pretrained encoder and its tokenizer through the course's resolver and add a fresh head.

    Returns ``(model, tokenizer)``. With the offline mirror, ``FacebookAI/roberta-base`` is served by a stand-in
    (a printed notice says so); ``model.served_by`` records which.
    """
    from transformers import AutoConfig, AutoModel, AutoTokenizer

    import course

    from transformers.utils import logging as hf_logging

    resolved = course.resolve_model(hub_id)
    config = AutoConfig.from_pretrained(resolved.location)
    # We build the encoder without its pooler (we pool ourselves), so a checkpoint's pooler weights are left out
    # on purpose; silence the load report that would list them as "unexpected".
    verbosity = hf_logging.get_verbosity()
    hf_logging.set_verbosity_error()
    try:
        encoder = AutoModel.from_pretrained(resolved.location, **_no_pooler_kwargs(config))
    finally:
        hf_logging.set_verbosity(verbosity)
    tokenizer = AutoTokenizer.from_pretrained(resolved.location)
    model = SentimentClassifier(encoder, label_names, head=head, pooling=pooling,
                                requested_id=hub_id, served_by=resolved.served_by)
    return model, tokenizer


def encoder_from_config(config_dict: dict) -> nn.Module:
    """Rebuild an encoder's architecture (random weights) from its config dict, with no network."""
    from transformers import AutoConfig, AutoModel

    config_dict = dict(config_dict)
    model_type = config_dict.pop("model_type", None)
    if not model_type:
        raise ValueError("the encoder config has no 'model_type'; cannot rebuild the architecture")
    config = AutoConfig.for_model(model_type, **config_dict)
    return AutoModel.from_config(config, **_no_pooler_kwargs(config))


def grow_head(model: SentimentClassifier, new_label_names: list[str]) -> SentimentClassifier:
    """Give the head one output per name in ``new_label_names``, in that order, keeping learned rows.

    A label that the model already has keeps its row of output weights and its bias, copied by *name* (so
    ``["negative", "positive"] -> ["negative", "neutral", "positive"]`` keeps both rows and moves "positive" to
    index 2). A new label gets a fresh row, initialised like any new ``nn.Linear``. The hidden layer of the head
    is kept as it is. Returns the same model, changed in place.
    """
    old = model.head.out
    old_names = model.label_names
    if len(set(new_label_names)) != len(new_label_names):
        raise ValueError(f"label names must be unique, got {new_label_names}")
    new = nn.Linear(old.in_features, len(new_label_names)).to(old.weight.device, old.weight.dtype)
    with torch.no_grad():
        for i, name in enumerate(new_label_names):
            if name in old_names:
                j = old_names.index(name)
                new.weight[i].copy_(old.weight[j])
                new.bias[i].copy_(old.bias[j])
    model.head.out = new
    model.head.spec = HeadSpec(num_labels=len(new_label_names), hidden=model.head.spec.hidden,
                               dropout=model.head.spec.dropout)
    model.label_names = list(new_label_names)
    return model
