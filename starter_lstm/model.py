"""The LSTM classifier: embedding -> (bidirectional) LSTM over packed sequences -> dropout -> linear."""
from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence


@dataclass
class LSTMConfig:
    """The architecture's hyperparameters: everything needed to rebuild the model before loading weights."""

    vocab_size: int
    embed_dim: int = 100
    hidden_size: int = 128
    num_layers: int = 1
    bidirectional: bool = True
    dropout: float = 0.5
    pad_id: int = 0
    num_classes: int = 2

    def to_dict(self) -> dict:
        return asdict(self)


class LSTMClassifier(nn.Module):
    """Reads a review token by token and classifies it from the LSTM's final state(s).

    ``forward(input_ids [B, T], lengths [B] or None) -> logits [B, num_classes]``.

    With ``lengths`` the batch is *packed*: the LSTM reads exactly ``lengths[b]`` tokens of review ``b`` and
    never a padding token, so its final state is the state after the review's true last token. With
    ``lengths=None`` every position is a real token (one unpadded review, as in the exported ONNX model).
    """

    def __init__(self, config: LSTMConfig):
        super().__init__()
        self.config = config
        self.embedding = nn.Embedding(config.vocab_size, config.embed_dim, padding_idx=config.pad_id)
        self.lstm = nn.LSTM(
            config.embed_dim,
            config.hidden_size,
            num_layers=config.num_layers,
            bidirectional=config.bidirectional,
            batch_first=True,
            dropout=config.dropout if config.num_layers > 1 else 0.0,
        )
        self.dropout = nn.Dropout(config.dropout)
        directions = 2 if config.bidirectional else 1
        self.classifier = nn.Linear(directions * config.hidden_size, config.num_classes)

    def forward(self, input_ids: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        embedded = self.dropout(self.embedding(input_ids))  # [B, T, E]
        if lengths is None:
            _, (h_n, _) = self.lstm(embedded)  # every position is a real token
        else:
            # Packing: the LSTM reads exactly lengths[b] tokens of review b, never a padding token.
            # pack_padded_sequence wants the lengths on the CPU; enforce_sorted=False accepts any order.
            packed = pack_padded_sequence(embedded, lengths.cpu(), batch_first=True, enforce_sorted=False)
            _, (h_n, _) = self.lstm(packed)
        # h_n: [num_layers * directions, B, H], each layer's and direction's state after its last step.
        # For a packed batch, the forward direction's last step is each review's own last token (position
        # lengths[b] - 1), and the backward direction, reading from the end, finishes at the first token.
        # So h_n summarises the whole review, whatever the padding. We keep the top layer's.
        if self.config.bidirectional:
            last = torch.cat([h_n[-2], h_n[-1]], dim=1)  # [B, 2H]: forward final, backward final
        else:
            last = h_n[-1]  # [B, H]
        return self.classifier(self.dropout(last))

    def num_parameters(self, trainable_only: bool = False) -> int:
        return sum(p.numel() for p in self.parameters() if p.requires_grad or not trainable_only)
