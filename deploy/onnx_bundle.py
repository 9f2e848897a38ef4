"""The export core: any PyTorch classifier + a ``tokenizers`` tokenizer -> a serving bundle, checked for parity.

:func:`export_bundle` writes ``model.onnx`` (``torch.onnx.export``, batch and length dynamic), ``tokenizer.json``
and ``bundle.json`` (the format :mod:`serve.bundle` reads), then checks itself: ONNX Runtime's logits must match
PyTorch's on real reviews within ``atol``, or the export fails. The reviews are cut by the bundle's own window
(:func:`serve.window.encode_texts`), so PyTorch and the server see identical ids.
"""
from __future__ import annotations

import datetime as _dt
import json
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import onnxruntime
import torch
from tokenizers import Tokenizer

from serve.bundle import BUNDLE_FORMAT, BUNDLE_JSON, sha256_file
from serve.window import HEAD_FRACTION, Window, encode_texts, pad_batch

from .gate import write_default_budgets

MODEL_FILE = "model.onnx"
TOKENIZER_FILE = "tokenizer.json"
DEFAULT_ATOL = 1e-4  # max |logit difference| allowed between PyTorch and fp32 ONNX Runtime


class ExportError(RuntimeError):
    """An export failed its own checks (parity) or got unusable input. The message says what to do."""


@dataclass
class ModelSpec:
    """What the exporter needs to know besides the module and the tokenizer.

    ``source_checkpoint`` names what the model was made from, portably (``course.portable_name``: relative to the
    artifacts root, or a name): it is published by ``GET /api/model``, so it is never a path of this machine.
    """

    name: str
    architecture: str
    labels: list[str]
    window: Window
    uses_mask: bool = True  # False: the module takes input_ids only (one unpadded review at a time)
    test_accuracy: float | None = None
    source_checkpoint: str | None = None
    description: str = ""
    extra: dict = field(default_factory=dict)


class LogitsModule(torch.nn.Module):
    """Wraps a classifier so that ``forward(input_ids[, attention_mask])`` returns a logits tensor, whatever the
    classifier returns (a tensor, or a Hugging Face output with ``.logits``)."""

    def __init__(self, inner: torch.nn.Module, uses_mask: bool = True):
        super().__init__()
        self.inner, self.uses_mask = inner, uses_mask
        self.eval()

    def forward(self, input_ids, attention_mask=None):
        out = self.inner(input_ids, attention_mask) if self.uses_mask else self.inner(input_ids)
        return out.logits if hasattr(out, "logits") else out


def special_tokens(tokenizer) -> tuple[list[int], list[int]]:
    """The ids a ``tokenizers.Tokenizer``'s post-processor puts before and after a text (e.g. [CLS] .. [SEP])."""
    probe = "hello world"
    tokenizer = clone_tokenizer(tokenizer)  # padding or truncation set in the tokenizer would hide the pattern
    plain = tokenizer.encode(probe, add_special_tokens=False).ids
    full = tokenizer.encode(probe, add_special_tokens=True).ids
    for start in range(len(full) - len(plain) + 1):
        if full[start:start + len(plain)] == plain:
            return full[:start], full[start + len(plain):]
    raise ExportError("Cannot tell the tokenizer's special tokens apart from the text; pass prefix_ids/suffix_ids yourself.")


def make_window(tokenizer, max_length: int, pad_id: int | None = None, head_tokens: int | None = None,
                use_special_tokens: bool = True, head_fraction: float = HEAD_FRACTION) -> Window:
    """The window of ``max_length`` ids around this tokenizer's special tokens (:meth:`serve.window.Window.build`)."""
    prefix, suffix = special_tokens(tokenizer) if use_special_tokens else ([], [])
    if max_length - len(prefix) - len(suffix) < 1:
        raise ExportError(f"max_length={max_length} leaves no room for text after {len(prefix) + len(suffix)} special tokens.")
    if pad_id is None:
        pad_id = next((tokenizer.token_to_id(t) for t in ("<pad>", "[PAD]", "<PAD>") if tokenizer.token_to_id(t) is not None), 0)
    return Window.build(max_length, prefix, suffix, pad_id, head_tokens=head_tokens, head_fraction=head_fraction)


def torch_logits(module, ids: list[np.ndarray], pad_id: int, uses_mask: bool, batch_size: int = 16) -> np.ndarray:
    """PyTorch logits for already-encoded reviews, batched like the server does."""
    out = []
    with torch.inference_mode():
        if not uses_mask:
            return np.concatenate([module(torch.from_numpy(x[None, :])).float().numpy() for x in ids])
        for start in range(0, len(ids), batch_size):
            input_ids, mask = pad_batch(ids[start:start + batch_size], pad_id)
            out.append(module(torch.from_numpy(input_ids), torch.from_numpy(mask)).float().numpy())
    return np.concatenate(out)


def onnx_logits(session, ids: list[np.ndarray], pad_id: int, uses_mask: bool, batch_size: int = 16) -> np.ndarray:
    if not uses_mask:
        return np.concatenate([session.run(["logits"], {"input_ids": x[None, :]})[0] for x in ids])
    out = []
    for start in range(0, len(ids), batch_size):
        input_ids, mask = pad_batch(ids[start:start + batch_size], pad_id)
        out.append(session.run(["logits"], {"input_ids": input_ids, "attention_mask": mask})[0])
    return np.concatenate(out)


def export_onnx(module, path: Path, window: Window, uses_mask: bool = True, opset: int = 18) -> None:
    """Export with ``torch.onnx.export`` (the dynamo exporter), batch and sequence length dynamic."""
    sample = torch.full((2, min(16, window.max_length)), 5, dtype=torch.long)  # any in-vocabulary id
    batch = torch.export.Dim("batch", min=1, max=1024)
    seq = torch.export.Dim("seq", min=2, max=window.max_length)
    if uses_mask:
        args, names = (sample, torch.ones_like(sample)), ["input_ids", "attention_mask"]
        shapes = {"input_ids": {0: batch, 1: seq}, "attention_mask": {0: batch, 1: seq}}
    else:
        args, names, shapes = (sample,), ["input_ids"], {"input_ids": {0: batch, 1: seq}}
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.onnx.export(module, args, str(path), input_names=names, output_names=["logits"], dynamic_shapes=shapes,
                      dynamo=True, external_data=False, optimize=True, opset_version=opset, verbose=False)



def session(path: Path, threads: int | None = None) -> onnxruntime.InferenceSession:
    options = onnxruntime.SessionOptions()
    if threads:
        options.intra_op_num_threads = threads
    return onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def write_bundle_json(out_dir: Path, meta: dict) -> dict:
    files = [out_dir / MODEL_FILE, out_dir / TOKENIZER_FILE]
    meta["model_sha256"] = sha256_file(out_dir / MODEL_FILE)
    meta["size_bytes"] = {"model": files[0].stat().st_size, "tokenizer": files[1].stat().st_size}
    meta["size_bytes"]["total"] = sum(meta["size_bytes"].values())
    meta["size_mb"] = round(meta["size_bytes"]["total"] / 1e6, 2)
    (out_dir / BUNDLE_JSON).write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    write_default_budgets(out_dir)  # the behavioural gate's budgets live next to bundle.json (deploy/gate.py)
    return meta


def accuracy(logits: np.ndarray, labels) -> float | None:
    if labels is None:
        return None
    return float((logits.argmax(-1) == np.asarray(labels)).mean())



def check_parity(module, onnx_session, ids: list[np.ndarray], spec: ModelSpec, atol: float = DEFAULT_ATOL) -> tuple:
    """The same token ids through PyTorch and through ONNX Runtime: the largest logit difference must be within
    ``atol``, or :class:`ExportError`. Returns ``(the parity record for bundle.json, ONNX Runtime's logits)``."""
    ref = torch_logits(module, ids, spec.window.pad_id, spec.uses_mask)
    if ref.shape[1] != len(spec.labels):
        raise ExportError(f"The model returns {ref.shape[1]} logits per text but {len(spec.labels)} labels were given.")
    got = onnx_logits(onnx_session, ids, spec.window.pad_id, spec.uses_mask)
    max_diff = float(np.abs(got - ref).max())
    if not max_diff <= atol:  # float32 in another order differs by ~1e-6; an export bug by 0.1 or more
        raise ExportError(f"Parity check failed: ONNX Runtime's logits differ from PyTorch's by up to {max_diff:.2e} "
                          f"(tolerance {atol:.0e}) on {len(ids)} texts. The export is wrong; do not serve it.")
    agree = float((got.argmax(-1) == ref.argmax(-1)).mean())
    return {"reference": "PyTorch fp32", "n_texts": len(ids), "max_abs_logit_diff": max_diff, "tolerance": atol,
            "label_agreement": agree}, got


def export_bundle(module, tokenizer, spec: ModelSpec, out_dir: str | Path, *, texts: list[str],
                  labels: list[int] | None = None, atol: float = DEFAULT_ATOL, overwrite: bool = False) -> dict:
    """Export ``module`` (fp32) to the bundle ``out_dir`` and check it against PyTorch on ``texts``.

    ``module(input_ids, attention_mask)`` (or ``module(input_ids)`` when ``spec.uses_mask`` is False) must
    return logits [batch, len(spec.labels)] in eval mode. ``tokenizer`` is a ``tokenizers.Tokenizer``.
    ``labels`` (optional, the true classes of ``texts``) adds the bundle's own accuracy on them.
    Raises :class:`ExportError` if the largest logit difference exceeds ``atol``. Returns bundle.json's dict.
    """
    out_dir = Path(out_dir)
    prepare_out(out_dir, overwrite)
    if not texts:
        raise ExportError("export_bundle needs a few texts to check parity on.")
    wrapped = LogitsModule(module, spec.uses_mask)
    started = time.perf_counter()
    export_onnx(wrapped, out_dir / MODEL_FILE, spec.window, spec.uses_mask)
    export_seconds = time.perf_counter() - started
    tok = clone_tokenizer(tokenizer)
    tok.save(str(out_dir / TOKENIZER_FILE))

    ids = encode_texts(tok, texts, spec.window)
    parity, got = check_parity(wrapped, session(out_dir / MODEL_FILE), ids, spec, atol)
    meta = {
        "format": BUNDLE_FORMAT,
        "name": spec.name,
        "architecture": spec.architecture,
        "description": spec.description,
        "labels": list(spec.labels),
        "window": spec.window.to_json(),
        "quantization": "none (fp32)",
        "model_file": MODEL_FILE,
        "tokenizer_file": TOKENIZER_FILE,
        "inputs": ["input_ids", "attention_mask"] if spec.uses_mask else ["input_ids"],
        "test_accuracy": spec.test_accuracy,
        "source_checkpoint": spec.source_checkpoint,
        "parity": parity,
        "bundle_accuracy": None if labels is None else {"n_texts": len(texts), "accuracy": accuracy(got, labels)},
        "export_seconds": round(export_seconds, 2),
        "created": _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0).isoformat(),
        "versions": {"torch": torch.__version__, "onnxruntime": onnxruntime.__version__},
        **spec.extra,
    }
    return write_bundle_json(out_dir, meta)



def prepare_out(out_dir: Path, overwrite: bool) -> None:
    if out_dir.exists() and any(out_dir.iterdir()):
        if not overwrite:
            raise ExportError(f"{out_dir} exists and is not empty; choose another --out or pass --overwrite.")
        shutil.rmtree(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)


def clone_tokenizer(tokenizer):
    """A copy of a ``tokenizers.Tokenizer`` (or a HF fast tokenizer's backend) without truncation or padding."""
    backend = getattr(tokenizer, "backend_tokenizer", tokenizer)
    tok = Tokenizer.from_str(backend.to_str())
    tok.no_truncation()
    tok.no_padding()
    return tok


