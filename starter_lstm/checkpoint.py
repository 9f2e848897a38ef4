"""Save and load a trained model: ``model.safetensors`` + ``config.json`` + ``vocab.json`` in one folder.

Loading is strict (ARCHITECTURE.md, "Checkpoints and bundles"): every weight must be present with the same shape, or you get an
error that names the problem.
"""
from __future__ import annotations

import json
from pathlib import Path

from safetensors.torch import load_file, save_file

from .model import LSTMClassifier, LSTMConfig
from .predict import LABELS
from .vocab import Vocab

WEIGHTS, CONFIG, VOCAB = "model.safetensors", "config.json", "vocab.json"
FORMAT = "starter_lstm/1"


def save_checkpoint(directory: str | Path, model: LSTMClassifier, vocab: Vocab, config: dict | None = None) -> Path:
    """Write the model's weights, its config (architecture + ``config``'s extras) and the vocabulary.

    ``config`` holds what you want to remember beside the architecture, for example ``max_tokens``,
    ``profile`` and ``metrics`` (``{"test_accuracy": 0.88}``). The architecture always comes from the model.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    if len(vocab) != model.config.vocab_size:
        raise ValueError(f"the vocabulary has {len(vocab)} tokens but the model's embedding has "
                         f"{model.config.vocab_size} rows; save the vocabulary the model was trained with")
    extras = dict(config or {})
    full = {"format": FORMAT, "architecture": "LSTMClassifier", **model.config.to_dict(),
            "label_names": list(extras.pop("label_names", LABELS)),
            "max_tokens": extras.pop("max_tokens", getattr(model, "max_tokens", None)),
            "head_tokens": extras.pop("head_tokens", getattr(model, "head_tokens", None)),
            "pad_token": vocab.itos[vocab.pad_id], "unk_token": vocab.itos[vocab.unk_id],
            **extras}
    weights = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    save_file(weights, str(directory / WEIGHTS), metadata={"format": FORMAT})
    (directory / CONFIG).write_text(json.dumps(full, indent=2, ensure_ascii=False), encoding="utf-8")
    vocab.save(directory / VOCAB)
    return directory


def load_checkpoint(directory: str | Path) -> tuple[LSTMClassifier, Vocab, dict]:
    """Rebuild the model from ``config.json``, load its weights strictly; returns ``(model, vocab, config)``.

    The model comes back in ``eval()`` mode, with ``model.max_tokens`` and ``model.head_tokens`` set from the config.
    """
    directory = Path(directory)
    for name in (WEIGHTS, CONFIG, VOCAB):
        if not (directory / name).is_file():
            raise FileNotFoundError(f"checkpoint folder {directory} has no {name}; "
                                    f"save one with starter_lstm.save_checkpoint(folder, model, vocab, config)")
    config = json.loads((directory / CONFIG).read_text(encoding="utf-8"))
    if config.get("format") != FORMAT:
        raise ValueError(f"{directory / CONFIG} is not a starter_lstm checkpoint config (format {config.get('format')!r})")
    fields = LSTMConfig.__dataclass_fields__
    arch = LSTMConfig(**{k: config[k] for k in fields if k in config})
    vocab = Vocab.load(directory / VOCAB)
    if len(vocab) != arch.vocab_size:
        raise ValueError(f"{VOCAB} has {len(vocab)} tokens but {CONFIG} says vocab_size={arch.vocab_size}")
    model = LSTMClassifier(arch)
    state = load_file(str(directory / WEIGHTS))
    expected = model.state_dict()
    missing = sorted(set(expected) - set(state))
    unexpected = sorted(set(state) - set(expected))
    wrong = [f"{k}: file {tuple(state[k].shape)} vs model {tuple(v.shape)}"
             for k, v in expected.items() if k in state and state[k].shape != v.shape]
    if missing or unexpected or wrong:
        raise ValueError(f"{directory / WEIGHTS} does not fit the architecture in {CONFIG}: "
                         f"missing {missing or 'none'}; unexpected {unexpected or 'none'}; "
                         f"wrong shapes {wrong or 'none'}")
    model.load_state_dict(state, strict=True)
    model.max_tokens = config.get("max_tokens")
    model.head_tokens = config.get("head_tokens")
    model.eval()
    return model, vocab, config
