"""int8 quantization of an fp32 bundle with ONNX Runtime, and how often the int8 labels agree with fp32's.

Two ways to make the weight MatMuls int8 (``matmuls``) and an option to keep the feed-forward output layers fp32
(``ffn_output``); ``pipeline/int8_variants.py`` measures all of them.
"""
from __future__ import annotations

import datetime as _dt
import shutil
import time
from pathlib import Path

import numpy as np
import onnx
from onnxruntime.quantization import QuantType, quantize_dynamic
from onnxruntime.quantization.matmul_nbits_quantizer import MatMulNBitsQuantizer

from serve.bundle import Bundle, softmax

from .onnx_bundle import MODEL_FILE, TOKENIZER_FILE, ExportError, accuracy, onnx_logits, prepare_out, session, write_bundle_json


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


def dynamic_int8(fp32_path, int8_path, *, embeddings: bool = True, keep_fp32: list[str] = ()) -> None:
    """ONNX Runtime's dynamic quantization: every weight matrix stored as int8 ahead of time, each layer's input
    converted to int8 at run time. ``embeddings``: the embedding tables (``Gather``) too. ``keep_fp32``: node names
    left in fp32."""
    ops = ["MatMul", "Gemm", "Attention", "LSTM"] + (["Gather"] if embeddings else [])
    quantize_dynamic(str(fp32_path), str(int8_path), weight_type=QuantType.QInt8, op_types_to_quantize=ops,
                     per_channel=True,  # one scale per output column: more labels identical to fp32, same size
                     reduce_range=False, nodes_to_exclude=list(keep_fp32))


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
      AVX-512 VNNI (see ``pipeline/int8_variants.py``).

    Returns what was done: ``{"matmuls": ..., "ffn_output": mode, "ffn_output_matmuls": how many were kept fp32}``.
    """
    if ffn_output not in FFN_OUTPUT_MODES:
        raise ExportError(f"ffn_output must be one of {FFN_OUTPUT_MODES}, not {ffn_output!r}")
    if matmuls not in MATMUL_MODES:
        raise ExportError(f"matmuls must be one of {MATMUL_MODES}, not {matmuls!r}")
    model = onnx.load(str(fp32_path)) if ffn_output == "fp32" or matmuls == "blockwise" else None
    keep = activation_fed_matmuls(model) if ffn_output == "fp32" else []
    source = str(fp32_path)
    if matmuls == "blockwise":
        blockwise = MatMulNBitsQuantizer(model, bits=8, block_size=BLOCK_SIZE, is_symmetric=True, accuracy_level=4,
                                         nodes_to_exclude=keep, op_types_to_quantize=("MatMul",))
        blockwise.process()
        source = str(int8_path) + ".blockwise.onnx"
        blockwise.model.save_model_to_file(source, use_external_data_format=False)
    # After the blockwise pass, the weight MatMuls left are the classification head's (the NBits quantizer turns its
    # Gemms into MatMuls but leaves them fp32): dynamic int8 takes them, like every MatMul in "dynamic" mode.
    try:
        dynamic_int8(source, int8_path, embeddings=embeddings, keep_fp32=keep)
    finally:
        if source != str(fp32_path):
            Path(source).unlink()
    return {"matmuls": matmuls, "ffn_output": ffn_output, "ffn_output_matmuls": len(keep)}



def quantize_bundle(fp32_dir: str | Path, out_dir: str | Path, *, texts: list[str], labels: list[int] | None = None,
                    embeddings: bool = True, ffn_output: str = "int8", matmuls: str = "dynamic",
                    overwrite: bool = False) -> dict:
    """Make an int8 bundle from an fp32 bundle and report how often its label agrees with fp32's on ``texts``.

    ``embeddings``, ``ffn_output`` and ``matmuls`` are :func:`quantize_int8`'s. The agreement is measured in padded batches of
    16 (``pipeline/serving.py`` also measures it one text at a time, as the web page sends them)."""
    fp32_dir, out_dir = Path(fp32_dir), Path(out_dir)
    prepare_out(out_dir, overwrite)
    fp32 = Bundle(fp32_dir)
    started = time.perf_counter()
    details = quantize_int8(fp32_dir / fp32.meta["model_file"], out_dir / MODEL_FILE, embeddings=embeddings,
                            ffn_output=ffn_output, matmuls=matmuls)
    seconds = time.perf_counter() - started
    shutil.copyfile(fp32_dir / fp32.meta["tokenizer_file"], out_dir / TOKENIZER_FILE)
    ids = fp32.encode(texts)
    ref = onnx_logits(fp32.session, ids, fp32.window.pad_id, fp32.uses_mask)
    got = onnx_logits(session(out_dir / MODEL_FILE), ids, fp32.window.pad_id, fp32.uses_mask)
    meta = {k: v for k, v in fp32.meta.items() if k != "behaviour"}  # fp32's behavioural rates are not int8's
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
        "bundle_accuracy": None if labels is None else {"n_texts": len(texts), "accuracy": accuracy(got, labels),
                                                         "fp32_accuracy": accuracy(ref, labels)},
        "quantize_seconds": round(seconds, 2),
        "fp32_size_bytes": fp32.meta["size_bytes"]["total"],
        "created": _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0).isoformat(),
    })
    return write_bundle_json(out_dir, meta)


