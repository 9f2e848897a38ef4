"""Export a trained classifier to a serving bundle (ONNX + tokenizer + bundle.json), optionally int8.

    python -m deploy.export part2 runs/part2/best --out bundles/roberta-int8 --quantize int8
    python -m deploy.export part1 runs/part1/lstm --out bundles/lstm
    python -m deploy.export standin --out bundles/standin-int8 --quantize int8
    python -m deploy.export random-roberta --out bundles/roberta-base-random --quantize int8

Every export checks itself: the fp32 ONNX logits must match PyTorch's on real reviews to a stated tolerance
(``--atol``), and an int8 export reports how often its label agrees with the fp32 model's. This module needs
torch (export time); serving (``deploy.bundle``, ``deploy.app``) does not.
"""
from __future__ import annotations

import argparse
import datetime as _dt
import json
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .bundle import BUNDLE_FORMAT, BUNDLE_JSON, Window, encode_texts, pad_batch, sha256_file, softmax

MODEL_FILE = "model.onnx"
TOKENIZER_FILE = "tokenizer.json"
DEFAULT_ATOL = 1e-4  # max |logit difference| allowed between PyTorch and fp32 ONNX Runtime
HEAD_FRACTION = 0.25  # Sun et al. (2019): 128 head + 382 tail tokens of a 512 window, about a quarter head
# The rule mirrors roberta_transfer.truncate_head_tail (Part 2): budget = max_length - special tokens,
# head = floor(budget * head_fraction), tail = budget - head; shorter texts are kept whole.


class ExportError(RuntimeError):
    """An export failed its own checks (parity) or got unusable input. The message says what to do."""


# ------------------------------------------------------------------------------------------------
# The generic core: any torch module + a `tokenizers` tokenizer + metadata
# ------------------------------------------------------------------------------------------------
@dataclass
class ModelSpec:
    """What the exporter needs to know besides the module and the tokenizer."""

    name: str
    architecture: str
    labels: list[str]
    window: Window
    uses_mask: bool = True  # False: the module takes input_ids only (one unpadded review at a time)
    test_accuracy: float | None = None
    source_checkpoint: str | None = None
    description: str = ""
    extra: dict = field(default_factory=dict)


class LogitsModule:
    """Wrap a module so that ``forward(input_ids[, attention_mask])`` returns a logits tensor (for export)."""

    def __new__(cls, module, uses_mask: bool = True):
        import torch

        class _Masked(torch.nn.Module):
            def __init__(self, inner):
                super().__init__()
                self.inner = inner

            def forward(self, input_ids, attention_mask):
                out = self.inner(input_ids, attention_mask)
                return out.logits if hasattr(out, "logits") else out

        class _Unmasked(torch.nn.Module):
            def __init__(self, inner):
                super().__init__()
                self.inner = inner

            def forward(self, input_ids):
                out = self.inner(input_ids)
                return out.logits if hasattr(out, "logits") else out

        return (_Masked if uses_mask else _Unmasked)(module).eval()


def special_tokens(tokenizer) -> tuple[list[int], list[int]]:
    """The ids a ``tokenizers.Tokenizer``'s post-processor puts before and after a text (e.g. [CLS] .. [SEP])."""
    probe = "hello world"
    tokenizer = _clone_tokenizer(tokenizer)  # padding or truncation set in the tokenizer would hide the pattern
    plain = tokenizer.encode(probe, add_special_tokens=False).ids
    full = tokenizer.encode(probe, add_special_tokens=True).ids
    for start in range(len(full) - len(plain) + 1):
        if full[start:start + len(plain)] == plain:
            return full[:start], full[start + len(plain):]
    raise ExportError("Cannot tell the tokenizer's special tokens apart from the text; pass prefix_ids/suffix_ids yourself.")


def make_window(tokenizer, max_length: int, pad_id: int | None = None, head_tokens: int | None = None,
                use_special_tokens: bool = True, head_fraction: float = HEAD_FRACTION) -> Window:
    """The truncation window: ``max_length`` ids in all, special tokens included, head and tail of the text kept
    (``head_tokens``, or ``floor(budget * head_fraction)`` as Part 2's ``truncate_head_tail`` does)."""
    prefix, suffix = special_tokens(tokenizer) if use_special_tokens else ([], [])
    budget = max_length - len(prefix) - len(suffix)
    if budget < 1:
        raise ExportError(f"max_length={max_length} leaves no room for text after {len(prefix) + len(suffix)} special tokens.")
    head = int(budget * head_fraction) if head_tokens is None else int(head_tokens)
    head = min(max(head, 0), budget)
    if pad_id is None:
        pad_id = next((tokenizer.token_to_id(t) for t in ("<pad>", "[PAD]", "<PAD>") if tokenizer.token_to_id(t) is not None), 0)
    return Window(max_length, head, budget - head, tuple(prefix), tuple(suffix), int(pad_id))


def torch_logits(module, ids: list[np.ndarray], pad_id: int, uses_mask: bool, batch_size: int = 16) -> np.ndarray:
    """PyTorch logits for already-encoded reviews, batched like the server does."""
    import torch

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
    import torch

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


FFN_OUTPUT_MODES = ("int8", "fp32")
MATMUL_MODES = ("dynamic", "blockwise")
BLOCK_SIZE = 128  # weights (and, at run time, each token's activations) share one int8 scale per 128 values
_ELEMENTWISE = {"Mul", "Add", "Sub", "Div", "Pow", "Cast", "Erf", "Tanh", "Sigmoid", "Gelu", "FastGelu", "BiasGelu"}
_ACTIVATIONS = {"Erf", "Tanh", "Gelu", "FastGelu", "BiasGelu"}


def activation_fed_matmuls(model) -> list[str]:
    """Names of the weight MatMuls whose input comes straight from a GELU (``Erf``/``Tanh`` through a few
    element-wise ops): in a transformer, the second layer of every block's feed-forward network.

    Found by the graph's structure, not by names or positions, so it works for any exported encoder.
    """
    weights = {init.name for init in model.graph.initializer}
    producer = {out: node for node in model.graph.node for out in node.output}

    def after_activation(tensor: str, depth: int) -> bool:
        node = producer.get(tensor)
        if node is None or depth == 0 or node.op_type not in _ELEMENTWISE:
            return False
        return node.op_type in _ACTIVATIONS or any(after_activation(i, depth - 1) for i in node.input)

    return [n.name for n in model.graph.node
            if n.op_type == "MatMul" and len(n.input) == 2 and n.input[1] in weights and after_activation(n.input[0], 4)]


def quantize_int8(fp32_path: Path, int8_path: Path, embeddings: bool = True, ffn_output: str = "int8",
                  matmuls: str = "dynamic") -> dict:
    """Dynamic int8 quantization (weights int8 ahead of time, activations at run time) with onnxruntime.

    ``embeddings=True`` quantizes the embedding tables too (``Gather``): for RoBERTa the 50,265 x 768 word
    embeddings are a third of the weights, so this is what brings roberta-base from ~500 MB to ~125 MB.

    ``ffn_output`` says what becomes of the MatMuls that read a GELU's output (:func:`activation_fed_matmuls`),
    the second layer of each feed-forward network. Their input has a few very large values (outlier features,
    Bondarenko et al. 2021), so the one int8 scale that dynamic quantization gives the whole tensor rounds all
    the small values coarsely. ``"int8"`` (default) quantizes them like every other MatMul; ``"fp32"`` keeps them
    in fp32: more predictions identical to fp32, at about a third of the encoder's weights left unshrunk.

    ``matmuls`` says how the weight MatMuls become int8:

    - ``"dynamic"`` (default): ``MatMulInteger``, with one int8 scale per weight column and one for the whole
      activation tensor, chosen at run time. The fastest on this course's CPU.
    - ``"blockwise"``: ``MatMulNBits`` with 8 bits, one scale per block of 128 weights, and (``accuracy_level=4``)
      activations quantized at run time per token in blocks of 128, so an outlier only coarsens its own block.
      Closer to fp32 (99.5% of labels kept on IMDb against 98.4%), the same size, but slower than ``dynamic`` on CPUs without
      AVX-512 VNNI (see ``benchmarks/int8_variants.py``).

    Returns what was done: ``{"matmuls": ..., "ffn_output": mode, "ffn_output_matmuls": how many were kept fp32}``.
    """
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    if ffn_output not in FFN_OUTPUT_MODES:
        raise ExportError(f"ffn_output must be one of {FFN_OUTPUT_MODES}, not {ffn_output!r}")
    if matmuls not in MATMUL_MODES:
        raise ExportError(f"matmuls must be one of {MATMUL_MODES}, not {matmuls!r}")
    model = onnx.load(str(fp32_path)) if ffn_output == "fp32" or matmuls == "blockwise" else None
    keep = activation_fed_matmuls(model) if ffn_output == "fp32" else []
    source = str(fp32_path)
    if matmuls == "blockwise":
        from onnxruntime.quantization.matmul_nbits_quantizer import MatMulNBitsQuantizer

        blockwise = MatMulNBitsQuantizer(model, bits=8, block_size=BLOCK_SIZE, is_symmetric=True, accuracy_level=4,
                                         nodes_to_exclude=keep, op_types_to_quantize=("MatMul",))
        blockwise.process()
        source = str(int8_path) + ".blockwise.onnx"
        blockwise.model.save_model_to_file(source, use_external_data_format=False)
    # After the blockwise pass, the weight MatMuls left are the classification head's (the NBits quantizer turns its
    # Gemms into MatMuls but leaves them fp32): dynamic int8 takes them, like every MatMul in "dynamic" mode.
    ops = ["MatMul", "Gemm", "Attention", "LSTM"] + (["Gather"] if embeddings else [])
    # per_channel: one scale per output column of each weight matrix, which keeps more predictions
    # identical to fp32 than one scale per matrix, at the same size.
    try:
        quantize_dynamic(source, str(int8_path), weight_type=QuantType.QInt8, op_types_to_quantize=ops,
                         per_channel=True, reduce_range=False, nodes_to_exclude=keep)
    finally:
        if source != str(fp32_path):
            Path(source).unlink()
    return {"matmuls": matmuls, "ffn_output": ffn_output, "ffn_output_matmuls": len(keep)}


def _session(path: Path, threads: int | None = None):
    import onnxruntime as ort

    options = ort.SessionOptions()
    if threads:
        options.intra_op_num_threads = threads
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def _write_bundle_json(out_dir: Path, meta: dict) -> dict:
    files = [out_dir / MODEL_FILE, out_dir / TOKENIZER_FILE]
    meta["model_sha256"] = sha256_file(out_dir / MODEL_FILE)
    meta["size_bytes"] = {"model": files[0].stat().st_size, "tokenizer": files[1].stat().st_size}
    meta["size_bytes"]["total"] = sum(meta["size_bytes"].values())
    meta["size_mb"] = round(meta["size_bytes"]["total"] / 1e6, 2)
    (out_dir / BUNDLE_JSON).write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    return meta


def _accuracy(logits: np.ndarray, labels) -> float | None:
    if labels is None:
        return None
    return float((logits.argmax(-1) == np.asarray(labels)).mean())


def export_bundle(module, tokenizer, spec: ModelSpec, out_dir: str | Path, *, texts: list[str],
                  labels: list[int] | None = None, atol: float = DEFAULT_ATOL, overwrite: bool = False) -> dict:
    """Export ``module`` (fp32) to the bundle ``out_dir`` and check it against PyTorch on ``texts``.

    ``module(input_ids, attention_mask)`` (or ``module(input_ids)`` when ``spec.uses_mask`` is False) must
    return logits [batch, len(spec.labels)] in eval mode. ``tokenizer`` is a ``tokenizers.Tokenizer``.
    ``labels`` (optional, the true classes of ``texts``) adds the bundle's own accuracy on them.
    Raises :class:`ExportError` if the largest logit difference exceeds ``atol``. Returns bundle.json's dict.
    """
    import onnxruntime
    import torch

    out_dir = Path(out_dir)
    _prepare_out(out_dir, overwrite)
    if not texts:
        raise ExportError("export_bundle needs a few texts to check parity on.")
    wrapped = LogitsModule(module, spec.uses_mask)
    started = time.perf_counter()
    export_onnx(wrapped, out_dir / MODEL_FILE, spec.window, spec.uses_mask)
    export_seconds = time.perf_counter() - started
    tok = _clone_tokenizer(tokenizer)
    tok.save(str(out_dir / TOKENIZER_FILE))

    ids = encode_texts(tok, texts, spec.window)
    ref = torch_logits(wrapped, ids, spec.window.pad_id, spec.uses_mask)
    if ref.shape[1] != len(spec.labels):
        raise ExportError(f"The model returns {ref.shape[1]} logits per text but {len(spec.labels)} labels were given.")
    got = onnx_logits(_session(out_dir / MODEL_FILE), ids, spec.window.pad_id, spec.uses_mask)
    max_diff = float(np.abs(got - ref).max())
    agree = float((got.argmax(-1) == ref.argmax(-1)).mean())
    if not max_diff <= atol:
        raise ExportError(f"Parity check failed: ONNX Runtime's logits differ from PyTorch's by up to {max_diff:.2e} "
                          f"(tolerance {atol:.0e}) on {len(texts)} texts. The export is wrong; do not serve it.")
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
        "parity": {"reference": "PyTorch fp32", "n_texts": len(texts), "max_abs_logit_diff": max_diff,
                   "tolerance": atol, "label_agreement": agree},
        "bundle_accuracy": None if labels is None else {"n_texts": len(texts), "accuracy": _accuracy(got, labels)},
        "export_seconds": round(export_seconds, 2),
        "created": _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0).isoformat(),
        "versions": {"torch": torch.__version__, "onnxruntime": onnxruntime.__version__},
        **spec.extra,
    }
    return _write_bundle_json(out_dir, meta)


def quantize_bundle(fp32_dir: str | Path, out_dir: str | Path, *, texts: list[str], labels: list[int] | None = None,
                    embeddings: bool = True, ffn_output: str = "int8", matmuls: str = "dynamic",
                    overwrite: bool = False) -> dict:
    """Make an int8 bundle from an fp32 bundle and report how often its label agrees with fp32's on ``texts``.

    ``embeddings``, ``ffn_output`` and ``matmuls`` are :func:`quantize_int8`'s. The agreement is measured in padded batches of
    16 (``benchmarks/serving.py`` also measures it one text at a time, as the web page sends them)."""
    from .bundle import Bundle

    fp32_dir, out_dir = Path(fp32_dir), Path(out_dir)
    _prepare_out(out_dir, overwrite)
    fp32 = Bundle(fp32_dir)
    started = time.perf_counter()
    details = quantize_int8(fp32_dir / fp32.meta["model_file"], out_dir / MODEL_FILE, embeddings=embeddings,
                            ffn_output=ffn_output, matmuls=matmuls)
    seconds = time.perf_counter() - started
    shutil.copyfile(fp32_dir / fp32.meta["tokenizer_file"], out_dir / TOKENIZER_FILE)
    ids = fp32.encode(texts)
    ref = onnx_logits(fp32.session, ids, fp32.window.pad_id, fp32.uses_mask)
    got = onnx_logits(_session(out_dir / MODEL_FILE), ids, fp32.window.pad_id, fp32.uses_mask)
    meta = dict(fp32.meta)
    meta.update({
        "name": f"{fp32.meta['name']}-int8" if not fp32.meta["name"].endswith("-int8") else fp32.meta["name"],
        "quantization": ("dynamic int8" if matmuls == "dynamic" else f"blockwise int8 (MatMulNBits, blocks of {BLOCK_SIZE})")
                        + " (onnxruntime; weights int8" + (", embeddings included" if embeddings else ", embeddings fp32")
                        + ("; feed-forward output layers fp32" if details["ffn_output_matmuls"] else "") + ")",
        "quantization_details": {"embeddings": embeddings, **details},
        "model_file": MODEL_FILE,
        "tokenizer_file": TOKENIZER_FILE,
        "int8_vs_fp32": {"n_texts": len(texts), "label_agreement": float((got.argmax(-1) == ref.argmax(-1)).mean()),
                         "max_abs_prob_diff": float(np.abs(softmax(got) - softmax(ref)).max())},
        "bundle_accuracy": None if labels is None else {"n_texts": len(texts), "accuracy": _accuracy(got, labels),
                                                         "fp32_accuracy": _accuracy(ref, labels)},
        "quantize_seconds": round(seconds, 2),
        "fp32_size_bytes": fp32.meta["size_bytes"]["total"],
        "created": _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0).isoformat(),
    })
    return _write_bundle_json(out_dir, meta)


def _prepare_out(out_dir: Path, overwrite: bool) -> None:
    if out_dir.exists() and any(out_dir.iterdir()):
        if not overwrite:
            raise ExportError(f"{out_dir} exists and is not empty; choose another --out or pass --overwrite.")
        shutil.rmtree(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)


def _clone_tokenizer(tokenizer):
    """A copy of a ``tokenizers.Tokenizer`` (or a HF fast tokenizer's backend) without truncation or padding."""
    from tokenizers import Tokenizer

    backend = getattr(tokenizer, "backend_tokenizer", tokenizer)
    tok = Tokenizer.from_str(backend.to_str())
    tok.no_truncation()
    tok.no_padding()
    return tok


# ------------------------------------------------------------------------------------------------
# Adapters: a Part 2 checkpoint, a Part 1 checkpoint, the stand-in, a random roberta-base
# ------------------------------------------------------------------------------------------------
def _first(config: dict, *keys, default=None):
    for key in keys:
        node = config
        for part in key.split("."):
            if not isinstance(node, dict) or part not in node:
                break
            node = node[part]
        else:
            return node
    return default


def _labels_from(config: dict) -> list[str]:
    labels = _first(config, "label_names", "labels", "id2label")
    if isinstance(labels, dict):
        labels = [labels[k] for k in sorted(labels, key=int)]
    if not labels:
        raise ExportError("The checkpoint's config.json names no labels (label_names); cannot write bundle.json.")
    return list(labels)


def from_part2_checkpoint(checkpoint_dir: str | Path, name: str | None = None):
    """(module, tokenizer, ModelSpec) from a Part 2 checkpoint (``roberta_transfer.load_checkpoint``)."""
    import roberta_transfer

    checkpoint_dir = Path(checkpoint_dir)
    model, hf_tokenizer, config = roberta_transfer.load_checkpoint(checkpoint_dir)
    model.eval()
    tokenizer_file = checkpoint_dir / TOKENIZER_FILE
    if tokenizer_file.is_file():
        from tokenizers import Tokenizer

        # A checkpoint's tokenizer.json can carry the padding and truncation its source model shipped with
        # (all-MiniLM-L6-v2's pads every text to 128 tokens); the bundle's window does that job instead.
        tokenizer = _clone_tokenizer(Tokenizer.from_file(str(tokenizer_file)))
    else:
        tokenizer = _clone_tokenizer(hf_tokenizer)
    max_length = int(_first(config, "max_length", "window.max_length"))
    head = _first(config, "head_tokens", "truncation.head_tokens", "window.head_tokens")
    fraction = float(_first(config, "truncation.head_fraction", default=HEAD_FRACTION))
    pad_id = getattr(hf_tokenizer, "pad_token_id", None)
    window = make_window(tokenizer, max_length, pad_id=pad_id, head_tokens=head, head_fraction=fraction)
    requested = _first(config, "encoder.requested", "encoder.hub_id", "model_id", default="encoder")
    served_by = _first(config, "encoder.served_by", default=requested)
    encoder = requested if served_by == requested else f"{requested} (served by the stand-in {served_by})"
    spec = ModelSpec(
        name=name or f"part2-{checkpoint_dir.name}",
        architecture=str(_first(config, "architecture", default=f"{type(model).__name__} on {encoder}")),
        labels=_labels_from(config), window=window, uses_mask=True,
        test_accuracy=_first(config, "metrics.test_accuracy", "test_accuracy"),
        source_checkpoint=str(checkpoint_dir),
        description=f"Part 2 transfer-learning classifier, encoder {encoder}",
        extra={"encoder": {"requested": requested, "served_by": served_by}, "profile": config.get("profile")},
    )
    return model, tokenizer, spec


def from_part1_checkpoint(checkpoint_dir: str | Path, name: str | None = None):
    """(module, tokenizer, ModelSpec) from a Part 1 LSTM checkpoint (``starter_lstm.load_checkpoint``)."""
    import starter_lstm

    checkpoint_dir = Path(checkpoint_dir)
    model, vocab, config = starter_lstm.load_checkpoint(checkpoint_dir)
    model.eval()
    max_tokens = _first(config, "max_tokens", "lstm_max_tokens", "max_length")
    if max_tokens is None:
        raise ExportError(f"{checkpoint_dir / 'config.json'} has no max_tokens: the server would not know where to cut "
                          f"long reviews. Save the checkpoint with config={{'max_tokens': N}}.")
    max_tokens = int(max_tokens)
    tokenizer = starter_lstm.to_hf_tokenizer(vocab)  # no truncation: the bundle's window cuts head and tail
    head = _first(config, "head_tokens", default=None)  # None: the LSTM read the first max_tokens tokens
    head = max_tokens if head is None else int(head)
    pad_id = _first(config, "pad_id", "pad_index", default=None)
    if pad_id is None:
        pad_id = next((tokenizer.token_to_id(t) for t in ("<pad>", "[PAD]") if tokenizer.token_to_id(t) is not None), 0)
    window = make_window(tokenizer, max_tokens, pad_id=pad_id, head_tokens=head, use_special_tokens=False)

    import torch

    class NoLengths(torch.nn.Module):  # model(input_ids, lengths=None): no padding, ONNX-exportable
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, input_ids):
            return self.inner(input_ids, lengths=None)

    spec = ModelSpec(
        name=name or f"part1-{checkpoint_dir.name}", architecture=str(_first(config, "architecture", default="LSTM")),
        labels=_labels_from({"label_names": _first(config, "label_names", "labels", default=["negative", "positive"])}),
        window=window, uses_mask=False,
        test_accuracy=_first(config, "metrics.test_accuracy", "test_accuracy"),
        source_checkpoint=str(checkpoint_dir), description="Part 1 starter LSTM",
    )
    return NoLengths(model).eval(), tokenizer, spec


class MeanPoolClassifier:
    """An encoder, mean pooling over real tokens, and a linear head: ``forward(input_ids, attention_mask) -> logits``."""

    def __new__(cls, encoder, head):
        import torch

        class _Model(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.encoder, self.head = encoder, head

            def forward(self, input_ids, attention_mask):
                hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
                mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
                pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1.0)
                return self.head(pooled)

        return _Model().eval()


STANDIN_ID = "sentence-transformers/all-MiniLM-L6-v2"


def build_standin(profile=None, max_train: int = 2000, name: str = "standin-minilm-logreg"):
    """The offline stand-in classifier: all-MiniLM-L6-v2 (frozen) + mean pooling + a logistic-regression head
    fitted on up to ``max_train`` IMDb training reviews of the profile. Clearly not Part 2's model: use it
    only when no Part 2 checkpoint is available. Returns (module, tokenizer, spec, fit_report)."""
    import torch
    from sklearn.linear_model import LogisticRegression
    from tokenizers import Tokenizer
    from transformers import AutoModel

    import course

    profile = profile or course.get_profile()
    location = course.resolve_model(STANDIN_ID).location
    encoder = AutoModel.from_pretrained(location).eval()
    tokenizer = Tokenizer.from_file(str(Path(location) / TOKENIZER_FILE))
    tokenizer.no_truncation()
    tokenizer.no_padding()
    window = make_window(tokenizer, min(profile.max_length, profile.serve_max_length, 512),
                         pad_id=tokenizer.token_to_id("[PAD]"))
    imdb = course.load_imdb(profile)
    train = imdb["train"].select(range(min(max_train, len(imdb["train"]))))
    head = torch.nn.Linear(encoder.config.hidden_size, 2)
    started = time.perf_counter()
    features = _pooled_features(encoder, tokenizer, window, train["text"])
    clf = LogisticRegression(max_iter=2000, C=1.0).fit(features, train["label"])
    with torch.no_grad():
        head.weight.copy_(torch.from_numpy(np.vstack([-clf.coef_[0] / 2, clf.coef_[0] / 2]).astype(np.float32)))
        head.bias.copy_(torch.tensor([-clf.intercept_[0] / 2, clf.intercept_[0] / 2], dtype=torch.float32))
    fit = {"n_train": len(train), "train_accuracy": float(clf.score(features, train["label"])),
           "seconds": round(time.perf_counter() - started, 1)}
    labels = course.label_names(imdb)
    labels = ["negative" if x in ("neg", "negative") else "positive" if x in ("pos", "positive") else x for x in labels]
    spec = ModelSpec(
        name=name, architecture=f"BertModel (all-MiniLM-L6-v2, 22.7M parameters) + mean pooling + linear head",
        labels=labels, window=window, uses_mask=True, test_accuracy=None,
        source_checkpoint=f"stand-in: {STANDIN_ID} from {location}, head fitted here on {len(train)} IMDb train reviews",
        description="STAND-IN, not the course's fine-tuned RoBERTa: a frozen MiniLM encoder with a logistic-regression head.",
        extra={"standin_fit": fit},
    )
    return MeanPoolClassifier(encoder, head), tokenizer, spec, fit


def _pooled_features(encoder, tokenizer, window: Window, texts, batch_size: int = 32) -> np.ndarray:
    import torch

    ids = encode_texts(tokenizer, list(texts), window)
    out = []
    with torch.inference_mode():
        for start in range(0, len(ids), batch_size):
            input_ids, mask = pad_batch(ids[start:start + batch_size], window.pad_id)
            hidden = encoder(input_ids=torch.from_numpy(input_ids), attention_mask=torch.from_numpy(mask)).last_hidden_state
            m = torch.from_numpy(mask).unsqueeze(-1).float()
            out.append(((hidden * m).sum(1) / m.sum(1)).numpy())
    return np.concatenate(out)


def build_random_roberta(max_length: int = 512, seed: int = 0, **config_overrides):
    """A randomly initialised roberta-base-sized classifier (``RobertaConfig()``: 125M parameters), with a
    byte-level BPE tokenizer of the same vocabulary size. For measuring size and speed only: its predictions
    mean nothing. Returns (module, tokenizer, spec)."""
    import torch
    from transformers import AutoModelForSequenceClassification, RobertaConfig

    torch.manual_seed(seed)
    # RobertaConfig() with roberta-base's real position table (514 = 512 tokens + RoBERTa's padding offset of 2)
    config = RobertaConfig(num_labels=2, **{"max_position_embeddings": 514, **config_overrides})
    config.attn_implementation = "eager"
    model = AutoModelForSequenceClassification.from_config(config).eval()
    tokenizer = byte_level_tokenizer(config.vocab_size)
    window = make_window(tokenizer, min(max_length, config.max_position_embeddings - 2), pad_id=config.pad_token_id)
    spec = ModelSpec(
        name="roberta-base-sized-random", architecture="RobertaForSequenceClassification (RobertaConfig(): 12 layers, 768 hidden)",
        labels=["negative", "positive"], window=window, uses_mask=True,
        source_checkpoint="none: randomly initialised (for size and speed only; predictions are meaningless)",
        description="UNTRAINED roberta-base-sized model, for measuring size and latency only.",
    )
    return model, tokenizer, spec


def byte_level_tokenizer(vocab_size: int):
    """A RoBERTa-style byte-level BPE tokenizer (<s> text </s>) with ``vocab_size`` ids, built offline from a
    few sentences: it tokenizes any text, so latency is measured through the real serving path."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors

    specials = ["<s>", "<pad>", "</s>", "<unk>"]
    alphabet = pre_tokenizers.ByteLevel.alphabet()
    vocab = {t: i for i, t in enumerate(specials + sorted(alphabet))}
    tok = Tokenizer(models.BPE(vocab=vocab, merges=[], unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    tok.post_processor = processors.RobertaProcessing(("</s>", 2), ("<s>", 0))
    if vocab_size < len(vocab):
        raise ExportError(f"vocab_size {vocab_size} is smaller than the {len(vocab)} byte-level base tokens.")
    return tok


TINY_WORDS = ("the a an and but or not very really quite film movie plot acting story actor actress scene "
              "good great wonderful excellent brilliant moving funny loved enjoyed best bad awful boring terrible "
              "worst dull waste hated poor weak it was is this that i of to in").split()


def tiny_tokenizer():
    """A word-level tokenizer of ~60 words with [CLS] text [SEP], built in memory (tests and demos)."""
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors

    vocab = {t: i for i, t in enumerate(["[PAD]", "[UNK]", "[CLS]", "[SEP]"] + list(TINY_WORDS))}
    tok = Tokenizer(models.WordLevel(vocab=vocab, unk_token="[UNK]"))
    tok.normalizer = normalizers.BertNormalizer(lowercase=True)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tok.post_processor = processors.TemplateProcessing(single="[CLS] $A [SEP]", special_tokens=[("[CLS]", 2), ("[SEP]", 3)])
    return tok


def build_tiny_model(max_length: int = 32, seed: int = 0):
    """A tiny randomly initialised RoBERTa classifier (2 layers, 32 wide) and its word-level tokenizer, for
    tests and demos of the export and serving machinery. Returns (module, tokenizer, spec)."""
    import torch
    from transformers import AutoModelForSequenceClassification, RobertaConfig

    torch.manual_seed(seed)
    tokenizer = tiny_tokenizer()
    config = RobertaConfig(vocab_size=tokenizer.get_vocab_size(), hidden_size=32, num_hidden_layers=2,
                           num_attention_heads=2, intermediate_size=64, max_position_embeddings=max_length + 4,
                           pad_token_id=0, bos_token_id=2, eos_token_id=3, num_labels=2)
    config.attn_implementation = "eager"
    model = AutoModelForSequenceClassification.from_config(config).eval()
    spec = ModelSpec(name="tiny-random-roberta", architecture="RobertaForSequenceClassification (2 layers, hidden 32)",
                     labels=["negative", "positive"], window=make_window(tokenizer, max_length, pad_id=0),
                     source_checkpoint="none: randomly initialised for tests", description="UNTRAINED tiny model for tests.")
    return model, tokenizer, spec


# ------------------------------------------------------------------------------------------------
# The command line
# ------------------------------------------------------------------------------------------------
def imdb_test_texts(n: int, profile=None) -> tuple[list[str], list[int]]:
    """The first ``n`` reviews (and labels) of the profile's seeded, stratified IMDb test subset."""
    import course

    test = course.load_imdb(profile or course.get_profile())["test"]
    test = test.select(range(min(n, len(test))))
    return list(test["text"]), list(test["label"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m deploy.export", description="Export a trained classifier to a serving bundle (ONNX + tokenizer + bundle.json).",
        epilog="Parity: the fp32 ONNX logits must match PyTorch's within --atol on the check reviews, or the export fails. "
               "With --quantize int8 the fp32 bundle is also kept (in OUT-fp32 unless --fp32-out) and the int8 label "
               "agreement with fp32 is written to bundle.json.")
    parser.add_argument("source", choices=["part2", "part1", "standin", "random-roberta"],
                        help="part2/part1: a checkpoint directory from Part 2/Part 1; standin: MiniLM + a head fitted here; "
                             "random-roberta: an untrained roberta-base-sized model (size and speed only)")
    parser.add_argument("checkpoint", nargs="?", type=Path, help="the checkpoint directory (part2 and part1 only)")
    parser.add_argument("--out", type=Path, required=True, help="the bundle directory to write")
    parser.add_argument("--quantize", choices=["none", "int8"], default="none", help="dynamic int8 quantization (default: none)")
    parser.add_argument("--fp32-out", type=Path, help="where the fp32 bundle goes when quantizing (default: OUT-fp32)")
    parser.add_argument("--no-quantize-embeddings", action="store_true", help="keep embedding tables fp32 when quantizing")
    parser.add_argument("--ffn-output", choices=FFN_OUTPUT_MODES, default="int8",
                        help="the feed-forward output layers (the MatMuls after each GELU): int8 like the rest (default, "
                             "smallest and fastest) or fp32 (closer to the fp32 model, larger)")
    parser.add_argument("--matmuls", choices=MATMUL_MODES, default="dynamic",
                        help="how weight MatMuls become int8: dynamic (default: MatMulInteger, one activation scale per "
                             "tensor, fastest here) or blockwise (MatMulNBits 8-bit, a scale per 128 values per token: "
                             "closer to fp32, slower on CPUs without AVX-512 VNNI)")
    parser.add_argument("--name", help="the model name served in answers (default: from the source)")
    parser.add_argument("--check-texts", type=int, default=64, help="IMDb test reviews for the parity check (default 64)")
    parser.add_argument("--agreement-texts", type=int, default=400, help="IMDb test reviews for int8-vs-fp32 agreement (default 400)")
    parser.add_argument("--max-length", type=int, default=512, help="random-roberta only: the window in tokens (default 512)")
    parser.add_argument("--atol", type=float, default=DEFAULT_ATOL, help=f"parity tolerance on logits (default {DEFAULT_ATOL:g})")
    parser.add_argument("--overwrite", action="store_true", help="replace OUT (and the fp32 folder) if they exist")
    args = parser.parse_args(argv)

    if args.source in ("part2", "part1") and args.checkpoint is None:
        parser.error(f"{args.source} needs a checkpoint directory")
    if args.checkpoint is not None and not args.checkpoint.is_dir():
        parser.error(f"checkpoint directory {args.checkpoint} does not exist")
    if args.source == "part2":
        module, tokenizer, spec = from_part2_checkpoint(args.checkpoint, args.name)
    elif args.source == "part1":
        module, tokenizer, spec = from_part1_checkpoint(args.checkpoint, args.name)
    elif args.source == "standin":
        module, tokenizer, spec, fit = build_standin(name=args.name or "standin-minilm-logreg")
        print(f"stand-in head fitted on {fit['n_train']} reviews (train accuracy {fit['train_accuracy']:.3f})")
    else:
        module, tokenizer, spec = build_random_roberta(max_length=args.max_length)
    if args.name:
        spec.name = args.name

    n = max(args.check_texts, args.agreement_texts if args.quantize == "int8" else 0)
    if args.source == "random-roberta":
        rng = np.random.default_rng(0)
        words = ["good", "bad", "film", "plot", "acting", "great", "boring", "the", "was", "and", "not"]
        texts, labels = [" ".join(rng.choice(words, size=int(rng.integers(5, 400)))) for _ in range(n)], None
    else:
        texts, labels = imdb_test_texts(n)
    fp32_dir = args.out if args.quantize == "none" else (args.fp32_out or args.out.with_name(args.out.name + "-fp32"))
    meta = export_bundle(module, tokenizer, spec, fp32_dir, texts=texts[: args.check_texts],
                         labels=None if labels is None else labels[: args.check_texts], atol=args.atol, overwrite=args.overwrite)
    p = meta["parity"]
    print(f"fp32 bundle: {fp32_dir} ({meta['size_mb']} MB); parity with PyTorch on {p['n_texts']} reviews: "
          f"max |logit diff| {p['max_abs_logit_diff']:.2e} (tolerance {p['tolerance']:.0e}), label agreement {p['label_agreement']:.1%}")
    if args.quantize == "int8":
        meta = quantize_bundle(fp32_dir, args.out, texts=texts, labels=labels,
                               embeddings=not args.no_quantize_embeddings, ffn_output=args.ffn_output, matmuls=args.matmuls,
                               overwrite=args.overwrite)
        a = meta["int8_vs_fp32"]
        print(f"int8 bundle: {args.out} ({meta['size_mb']} MB); int8 agrees with fp32 on {a['label_agreement']:.1%} "
              f"of {a['n_texts']} reviews (largest probability change {a['max_abs_prob_diff']:.3f})")
    if meta.get("bundle_accuracy"):
        print(f"accuracy of the bundle on {meta['bundle_accuracy']['n_texts']} IMDb test reviews: {meta['bundle_accuracy']['accuracy']:.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
