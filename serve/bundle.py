"""A serving bundle: an ONNX model, its tokenizer and ``bundle.json``, loaded with onnxruntime (no torch).

A bundle is a directory::

    bundle.json       name, architecture, labels, window, quantization, size, test accuracy, source checkpoint
    model.onnx        the classifier: input_ids (and attention_mask) -> logits [batch, num_labels]
    tokenizer.json    a Hugging Face ``tokenizers`` tokenizer

Long reviews are cut the way the model was trained, by the course's one window rule (:mod:`serve.window`:
head and tail kept, special tokens around them), in numpy, so that serving needs only onnxruntime, tokenizers
and numpy.
"""
from __future__ import annotations

import hashlib
import json
import os
import threading
from pathlib import Path

import numpy as np

from .window import Window, WindowError, encode_texts, pad_batch

BUNDLE_FORMAT = "sentiment-bundle/1"
BUNDLE_JSON = "bundle.json"
MAX_BATCH_TOKENS = 1024  # padded tokens per ONNX Runtime call (e.g. 2 reviews of 512 or 8 of 128 tokens)
REQUIRED_KEYS = ("format", "name", "architecture", "labels", "window", "quantization", "model_file",
                 "tokenizer_file", "inputs")


class BundleError(RuntimeError):
    """A bundle directory is missing, incomplete or broken. The message names the file and what to do."""


TRIM_AFTER_TOKENS = 1024


def _release_free_memory() -> None:
    """Give freed heap memory back to the OS (glibc keeps it otherwise), so that one large batch does not
    leave the worker hundreds of MB bigger. A no-op where glibc's malloc_trim is unavailable."""
    global _LIBC
    if _LIBC is None:
        import ctypes
        import ctypes.util

        try:
            _LIBC = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
            _LIBC.malloc_trim.argtypes = [ctypes.c_size_t]
        except (OSError, AttributeError):
            _LIBC = False
    if _LIBC:
        _LIBC.malloc_trim(0)


_LIBC = None


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def softmax(logits: np.ndarray) -> np.ndarray:
    z = logits.astype(np.float64)
    z = z - z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def read_metadata(bundle_dir: str | os.PathLike) -> dict:
    """Read and check ``bundle.json``; raise :class:`BundleError` naming the file if anything is wrong."""
    root = Path(bundle_dir)
    if not root.is_dir():
        raise BundleError(f"Model bundle directory {root} does not exist. Set MODEL_BUNDLE to a folder made by "
                          f"`python -m deploy.export` (it holds bundle.json, model.onnx and tokenizer.json).")
    meta_path = root / BUNDLE_JSON
    if not meta_path.is_file():
        raise BundleError(f"{meta_path} is missing: {root} is not a model bundle. Make one with `python -m deploy.export`.")
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BundleError(f"{meta_path} is not valid JSON ({exc}); re-export the bundle.") from None
    if not isinstance(meta, dict):
        raise BundleError(f"{meta_path} must hold a JSON object; re-export the bundle.")
    missing = [k for k in REQUIRED_KEYS if k not in meta]
    if missing:
        raise BundleError(f"{meta_path} lacks the keys {', '.join(missing)}; re-export the bundle.")
    if meta["format"] != BUNDLE_FORMAT:
        raise BundleError(f"{meta_path} has format {meta['format']!r}; this server reads {BUNDLE_FORMAT!r}.")
    labels = meta["labels"]
    if not (isinstance(labels, list) and len(labels) >= 2 and all(isinstance(x, str) and x for x in labels)
            and len(set(labels)) == len(labels)):
        raise BundleError(f"{meta_path}: 'labels' must be a list of at least two distinct names, not {labels!r}.")
    return meta


class Bundle:
    """A loaded bundle: ``predict(texts)`` returns one dict per text (label, score, probabilities)."""

    def __init__(self, bundle_dir: str | os.PathLike, threads: int | None = None, verify_checksum: bool = True):
        import onnxruntime as ort
        from tokenizers import Tokenizer

        self.path = Path(bundle_dir)
        self.meta = read_metadata(self.path)
        where = str(self.path / BUNDLE_JSON)
        self.name: str = self.meta["name"]
        self.labels: list[str] = list(self.meta["labels"])
        try:
            self.window = Window.from_json(self.meta["window"])
        except WindowError as exc:
            raise BundleError(f"{where}: {exc}; re-export the bundle (python -m deploy.export).") from None

        model_path = self.path / self.meta["model_file"]
        tok_path = self.path / self.meta["tokenizer_file"]
        for path, what in ((model_path, "ONNX model"), (tok_path, "tokenizer")):
            if not path.is_file():
                raise BundleError(f"{path} (the {what} named in {where}) is missing; re-export the bundle.")
        expected = self.meta.get("model_sha256")
        if verify_checksum and expected and sha256_file(model_path) != expected:
            raise BundleError(f"{model_path} is corrupt: its SHA-256 differs from the one in {where} "
                              f"(an incomplete copy?). Copy or re-export the bundle.")
        try:
            self.tokenizer = Tokenizer.from_file(str(tok_path))
        except Exception as exc:  # tokenizers raises a bare Exception for a broken file
            raise BundleError(f"{tok_path} is not a valid tokenizers file ({exc}); re-export the bundle.") from None
        self.tokenizer.no_truncation()
        self.tokenizer.no_padding()

        options = ort.SessionOptions()
        # No memory arena: ONNX Runtime's arena keeps the largest activations it ever needed (a batch of long
        # reviews: hundreds of MB for roberta-base) for the life of the worker; without it memory is returned.
        options.enable_cpu_mem_arena = False
        if threads:
            options.intra_op_num_threads = int(threads)
            options.inter_op_num_threads = 1
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        try:
            self.session = ort.InferenceSession(str(model_path), options, providers=["CPUExecutionProvider"])
        except Exception as exc:  # onnxruntime raises its own Fail/InvalidGraph/... classes
            raise BundleError(f"{model_path} could not be loaded by onnxruntime ({type(exc).__name__}: {exc}); "
                              f"re-export the bundle.") from None
        self.input_names = [i.name for i in self.session.get_inputs()]
        if self.input_names != list(self.meta["inputs"]) or "input_ids" not in self.input_names:
            raise BundleError(f"{model_path} takes inputs {self.input_names}, but {where} says {self.meta['inputs']}; "
                              f"re-export the bundle.")
        self.uses_mask = "attention_mask" in self.input_names
        # One inference at a time per worker: on a small host the threads share the same few cores anyway, and
        # parallel runs would each hold their own activations (memory is the scarce resource on a 512 MB dyno).
        self._lock = threading.Lock()
        probe = self._run([np.asarray(self.window.prefix_ids + (self.window.pad_id,) + self.window.suffix_ids, np.int64)])
        if probe.shape != (1, len(self.labels)):
            raise BundleError(f"{model_path} returns logits of shape {probe.shape}, but {where} names "
                              f"{len(self.labels)} labels; re-export the bundle.")

    # -- tokenizing ---------------------------------------------------------------------------------
    def encode(self, texts: list[str]) -> list[np.ndarray]:
        """Token ids per text: head and tail of the text's tokens inside the special tokens."""
        return encode_texts(self.tokenizer, texts, self.window)

    # -- running ------------------------------------------------------------------------------------
    def _run(self, ids: list[np.ndarray]) -> np.ndarray:
        if not self.uses_mask:  # a model without a mask (the LSTM) sees one unpadded review at a time
            with self._lock:
                return np.concatenate([self.session.run(["logits"], {"input_ids": x[None, :]})[0] for x in ids])
        # Sub-batches of at most MAX_BATCH_TOKENS padded tokens bound the activations' memory (attention grows
        # with batch x length^2); similar lengths go together so that little padding is computed.
        order = sorted(range(len(ids)), key=lambda i: ids[i].shape[0])
        out = np.empty((len(ids), len(self.labels)), dtype=np.float32)
        start = 0
        while start < len(order):
            end = start + 1
            while end < len(order) and (end - start + 1) * ids[order[end]].shape[0] <= MAX_BATCH_TOKENS:
                end += 1
            chunk = order[start:end]
            out[chunk] = self._run_padded([ids[i] for i in chunk])
            start = end
        if sum(x.shape[0] for x in ids) >= TRIM_AFTER_TOKENS:
            _release_free_memory()
        return out

    def _run_padded(self, ids: list[np.ndarray]) -> np.ndarray:
        input_ids, mask = pad_batch(ids, self.window.pad_id)
        with self._lock:
            return self.session.run(["logits"], {"input_ids": input_ids, "attention_mask": mask})[0]

    def logits_for_ids(self, ids: list[np.ndarray]) -> np.ndarray:
        """Logits [len(ids), num_labels] for already-encoded reviews (see :meth:`encode`)."""
        return self._run(ids)

    def logits(self, texts: list[str]) -> np.ndarray:
        return self._run(self.encode(texts))

    def predict(self, texts: list[str]) -> list[dict]:
        probs = softmax(self.logits(texts))
        results = []
        for row in probs:
            best = int(row.argmax())
            results.append({
                "label": self.labels[best],
                "score": round(float(row[best]), 6),
                "probabilities": {name: round(float(p), 6) for name, p in zip(self.labels, row)},
            })
        return results

    def public_metadata(self) -> dict:
        """What ``GET /api/model`` shows."""
        keys = ("name", "architecture", "labels", "quantization", "size_bytes", "size_mb", "test_accuracy",
                "source_checkpoint", "created", "description", "behaviour")
        info = {k: self.meta.get(k) for k in keys}
        source = info["source_checkpoint"]
        if isinstance(source, str) and os.path.isabs(source):  # a bundle from elsewhere: never publish a server path
            info["source_checkpoint"] = Path(source).name
        info["window"] = {"max_length": self.window.max_length, "head_tokens": self.window.head_tokens,
                          "tail_tokens": self.window.tail_tokens}
        return info
