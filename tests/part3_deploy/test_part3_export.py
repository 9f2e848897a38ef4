"""Part 3: export to a bundle (parity, int8 agreement, bundle.json), the adapters, and what serving may import."""
from __future__ import annotations

import json
import re
import subprocess
import sys
import types
from pathlib import Path

import numpy as np
import pytest

from deploy import from_checkpoint
from deploy.from_checkpoint import from_part1_checkpoint, from_part2_checkpoint
from deploy.onnx_bundle import ExportError, export_bundle, make_window
from deploy.quantize import quantize_bundle
from helpers.bundles import build_tiny_model, word_tokenizer
from serve.bundle import Bundle

ROOT = Path(__file__).resolve().parents[2]
TEXTS = ["a wonderful film, the acting was brilliant", "boring plot and awful acting, a waste", "it was not very good",
         "the best movie i have seen", "i hated it", "quite funny and moving"] * 4


@pytest.fixture(scope="module")
def fp32_bundle(tmp_path_factory):
    model, tokenizer, spec = build_tiny_model()
    out = tmp_path_factory.mktemp("export") / "fp32"
    meta = export_bundle(model, tokenizer, spec, out, texts=TEXTS, labels=[1, 0, 0, 1, 0, 1] * 4)
    return out, meta, model


def test_window_from_tokenizer():
    tok = word_tokenizer()
    w = make_window(tok, 32, pad_id=0)
    assert w.prefix_ids == (2,) and w.suffix_ids == (3,)  # [CLS] ... [SEP]
    assert w.head_tokens + w.tail_tokens == 30 and w.head_tokens == 7  # floor(30 * 0.25), as Part 2
    assert make_window(tok, 32, head_tokens=5).tail_tokens == 25
    with pytest.raises(ExportError):
        make_window(tok, 2)


BUNDLE_FILES = ["behaviour_budgets.json", "bundle.json", "model.onnx", "tokenizer.json"]


def test_bundle_json_and_parity(fp32_bundle):
    out, meta, _ = fp32_bundle
    assert sorted(p.name for p in out.iterdir()) == BUNDLE_FILES
    on_disk = json.loads((out / "bundle.json").read_text())
    for key in ("name", "architecture", "labels", "window", "quantization", "size_bytes", "size_mb", "test_accuracy",
                "source_checkpoint", "parity", "model_sha256"):
        assert key in on_disk, key
    assert on_disk["size_bytes"]["total"] == (out / "model.onnx").stat().st_size + (out / "tokenizer.json").stat().st_size
    assert on_disk["parity"]["max_abs_logit_diff"] <= on_disk["parity"]["tolerance"] == 1e-4
    assert on_disk["parity"]["label_agreement"] == 1.0 and on_disk["parity"]["n_texts"] == len(TEXTS)
    assert 0.0 <= on_disk["bundle_accuracy"]["accuracy"] <= 1.0


def test_served_logits_equal_pytorch(fp32_bundle):
    """The bundle's own tokenizing + numpy truncation + ONNX Runtime reproduces PyTorch on the same text."""
    import torch

    out, _, model = fp32_bundle
    bundle = Bundle(out)
    text = "good " * 50 + "awful boring"  # longer than the 32-token window: head and tail kept
    ids = bundle.encode([text])[0]
    assert len(ids) == 32 and ids[0] == 2 and ids[-1] == 3
    with torch.no_grad():
        ref = model(torch.from_numpy(ids[None]), torch.ones(1, len(ids), dtype=torch.long)).logits.numpy()
    np.testing.assert_allclose(bundle.logits([text]), ref, atol=1e-4)


def test_int8_bundle(fp32_bundle, tmp_path):
    out, meta, _ = fp32_bundle
    int8 = quantize_bundle(out, tmp_path / "int8", texts=TEXTS)
    assert int8["quantization"].startswith("dynamic int8")
    assert int8["name"] == "tiny-random-roberta-int8"
    assert 0.0 <= int8["int8_vs_fp32"]["label_agreement"] <= 1.0 and int8["int8_vs_fp32"]["n_texts"] == len(TEXTS)
    assert int8["size_bytes"]["model"] < meta["size_bytes"]["model"]
    import onnx

    ops = {n.op_type for n in onnx.load(str(tmp_path / "int8" / "model.onnx")).graph.node}
    assert {"MatMulInteger", "DynamicQuantizeLinear"} <= ops  # really quantized
    assert "DequantizeLinear" in ops  # embeddings (Gather) quantized too
    assert Bundle(tmp_path / "int8").predict(["good"])[0]["label"] in ("negative", "positive")


@pytest.mark.parametrize("mode", ["int8", "fp32"])
def test_feed_forward_output_layers(fp32_bundle, tmp_path, mode):
    """The exporter finds each block's second feed-forward MatMul by the graph's structure (its input comes from
    the GELU) and stores it as asked; every other weight MatMul is int8 in both modes."""
    import onnx

    from deploy.quantize import activation_fed_matmuls

    out, _, _ = fp32_bundle
    graph = onnx.load(str(out / "model.onnx")).graph
    found = activation_fed_matmuls(onnx.load(str(out / "model.onnx")))
    assert len(found) == 2  # the tiny model has 2 layers: one feed-forward output each
    weights = {init.name: init for init in graph.initializer}
    nodes = {n.name: n for n in graph.node}
    assert all(tuple(weights[nodes[name].input[1]].dims) == (64, 32) for name in found)  # intermediate 64 -> hidden 32

    meta = quantize_bundle(out, tmp_path / mode, texts=TEXTS, ffn_output=mode)
    kept = 2 if mode == "fp32" else 0
    assert meta["quantization_details"] == {"embeddings": True, "matmuls": "dynamic", "ffn_output": mode,
                                            "ffn_output_matmuls": kept}
    assert ("feed-forward output layers fp32" in meta["quantization"]) == (mode == "fp32")
    int8_graph = onnx.load(str(tmp_path / mode / "model.onnx")).graph
    float_weight_matmuls = [n for n in int8_graph.node if n.op_type == "MatMul" and n.input[1] in weights]
    assert sorted(n.name for n in float_weight_matmuls) == (sorted(found) if mode == "fp32" else [])
    weight_products = sum((n.op_type == "MatMul" and n.input[1] in weights) or n.op_type == "Gemm" for n in graph.node)
    assert sum(n.op_type == "MatMulInteger" for n in int8_graph.node) == weight_products - kept  # the head's Gemms too
    with pytest.raises(ExportError, match="ffn_output must be one of"):
        quantize_bundle(out, tmp_path / "bad", texts=TEXTS, ffn_output="int4")


def test_blockwise_matmuls(fp32_bundle, tmp_path):
    """``matmuls="blockwise"``: every weight MatMul of the encoder becomes an 8-bit MatMulNBits, the head's Gemms
    become dynamic int8 (MatMulInteger), none is left fp32, the bundle serves, and it agrees with fp32."""
    import onnx

    out, _, _ = fp32_bundle
    graph = onnx.load(str(out / "model.onnx")).graph
    weights = {init.name for init in graph.initializer}
    weight_matmuls = sum(n.op_type == "MatMul" and n.input[1] in weights for n in graph.node)
    meta = quantize_bundle(out, tmp_path / "bw", texts=TEXTS, matmuls="blockwise")
    assert meta["quantization"].startswith("blockwise int8 (MatMulNBits, blocks of 128)")
    assert meta["quantization_details"]["matmuls"] == "blockwise"
    nodes = onnx.load(str(tmp_path / "bw" / "model.onnx")).graph.node
    nbits = [n for n in nodes if n.op_type == "MatMulNBits"]
    assert len(nbits) == weight_matmuls > 0
    assert all({a.name: a.i for a in n.attribute if a.name in ("bits", "accuracy_level")} == {"bits": 8, "accuracy_level": 4}
               for n in nbits)
    assert sum(n.op_type == "MatMulInteger" for n in nodes) == sum(n.op_type == "Gemm" for n in graph.node) > 0
    initializers = {init.name: init for init in onnx.load(str(tmp_path / "bw" / "model.onnx")).graph.initializer}
    assert not any(n.op_type in ("MatMul", "Gemm") and n.input[1] in initializers for n in nodes)  # no fp32 weights
    assert meta["int8_vs_fp32"]["label_agreement"] == 1.0
    assert sorted(p.name for p in (tmp_path / "bw").iterdir()) == BUNDLE_FILES
    assert Bundle(tmp_path / "bw").predict(["good"])[0]["label"] in ("negative", "positive")
    with pytest.raises(ExportError, match="matmuls must be one of"):
        quantize_bundle(out, tmp_path / "bad", texts=TEXTS, matmuls="int4")


def test_parity_failure_is_an_error(tmp_path):
    model, tokenizer, spec = build_tiny_model()
    with pytest.raises(ExportError, match="Parity check failed"):
        export_bundle(model, tokenizer, spec, tmp_path / "b", texts=TEXTS[:4], atol=-1.0)


def test_export_refuses_to_overwrite(fp32_bundle):
    model, tokenizer, spec = build_tiny_model()
    with pytest.raises(ExportError, match="not empty"):
        export_bundle(model, tokenizer, spec, fp32_bundle[0], texts=TEXTS[:2])


def test_cli_help():
    proc = subprocess.run([sys.executable, "-m", "deploy.export", "--help"], cwd=ROOT, capture_output=True, text=True,
                          env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}, timeout=60)
    assert proc.returncode == 0
    for word in ("part2", "part1", "--quantize", "--out", "Parity"):
        assert word in proc.stdout


# ---- adapters, against the interfaces Parts 1 and 2 promise ----------------------------------------
@pytest.fixture()
def fake_part2(tmp_path, monkeypatch):
    """A checkpoint dir + a `roberta_transfer` module following Part 2's documented interface."""
    import torch

    model, tok, _ = build_tiny_model(max_length=24)
    ckpt = tmp_path / "part2_ckpt"
    ckpt.mkdir()
    tok.save(str(ckpt / "tokenizer.json"))
    config = {"label_names": ["negative", "positive"], "max_length": 24, "metrics": {"test_accuracy": 0.93},
              "architecture": "SentimentClassifier",
              "encoder": {"requested": "FacebookAI/roberta-base", "served_by": "FacebookAI/roberta-base"},
              "truncation": {"rule": "head_tail", "head_fraction": 0.25, "head_tokens": 5, "tail_tokens": 17}}
    (ckpt / "config.json").write_text(json.dumps(config))

    class Part2Model(torch.nn.Module):  # model(input_ids, attention_mask) -> logits
        def __init__(self):
            super().__init__()
            self.m = model

        def forward(self, input_ids, attention_mask):
            return self.m(input_ids=input_ids, attention_mask=attention_mask).logits

    hf_tokenizer = types.SimpleNamespace(pad_token_id=0, backend_tokenizer=tok)
    module = types.ModuleType("roberta_transfer")
    module.load_checkpoint = lambda d: (Part2Model().eval(), hf_tokenizer, json.loads((Path(d) / "config.json").read_text()))
    monkeypatch.setattr(from_checkpoint, "roberta_transfer", module)
    return ckpt


def test_part2_adapter(fake_part2, tmp_path):
    module, tokenizer, spec = from_part2_checkpoint(fake_part2)
    assert spec.labels == ["negative", "positive"] and spec.test_accuracy == 0.93
    assert spec.window.max_length == 24 and spec.window.prefix_ids == (2,)
    assert (spec.window.head_tokens, spec.window.tail_tokens) == (5, 17)  # as recorded, not recomputed
    meta = export_bundle(module, tokenizer, spec, tmp_path / "b", texts=TEXTS[:6])
    assert meta["source_checkpoint"] == fake_part2.name and meta["test_accuracy"] == 0.93  # never a server path
    assert Bundle(tmp_path / "b").predict(["great film"])[0]["label"] in spec.labels


@pytest.fixture()
def fake_part1(tmp_path, monkeypatch):
    """A `starter_lstm` module following Part 1's documented interface: model(input_ids, lengths=None)."""
    import torch

    tok = word_tokenizer()

    class LSTMClassifier(torch.nn.Module):
        def __init__(self):
            super().__init__()
            torch.manual_seed(0)
            self.emb = torch.nn.Embedding(tok.get_vocab_size(), 8, padding_idx=0)
            self.lstm = torch.nn.LSTM(8, 8, batch_first=True)
            self.out = torch.nn.Linear(8, 2)

        def forward(self, input_ids, lengths=None):
            assert lengths is None
            _, (h, _) = self.lstm(self.emb(input_ids))
            return self.out(h[-1])

    def to_hf_tokenizer(vocab, max_tokens=None):  # the real signature
        from tokenizers import Tokenizer

        plain = Tokenizer.from_str(tok.to_str())
        plain.post_processor = None
        return plain

    module = types.ModuleType("starter_lstm")
    config = {"max_tokens": 20, "architecture": "LSTMClassifier", "label_names": ["negative", "positive"],
              "metrics": {"test_accuracy": 0.85}}
    module.load_checkpoint = lambda d: (LSTMClassifier().eval(), types.SimpleNamespace(pad_id=0), config)
    module.to_hf_tokenizer = to_hf_tokenizer
    monkeypatch.setattr(from_checkpoint, "starter_lstm", module)
    ckpt = tmp_path / "part1_ckpt"
    ckpt.mkdir()
    return ckpt


def test_part1_adapter_lstm_without_mask(fake_part1, tmp_path):
    module, tokenizer, spec = from_part1_checkpoint(fake_part1)
    assert spec.uses_mask is False and spec.window.prefix_ids == () and spec.window.head_tokens == 20
    meta = export_bundle(module, tokenizer, spec, tmp_path / "lstm", texts=TEXTS[:6])
    assert meta["inputs"] == ["input_ids"] and meta["test_accuracy"] == 0.85
    bundle = Bundle(tmp_path / "lstm")
    preds = bundle.predict(["good film " * 30, "bad"])  # different lengths, no padding: one at a time
    assert len(preds) == 2 and len(bundle.encode(["good film " * 30])[0]) == 20


def test_serving_requirements_are_small():
    reqs = (ROOT / "serve" / "host" / "requirements.txt").read_text().lower()
    names = {re.split(r"[=<>~ \[]", line.strip())[0] for line in reqs.splitlines() if line.strip() and not line.startswith("#")}
    assert {"onnxruntime", "tokenizers", "numpy", "flask", "gunicorn"} <= names
    assert not names & {"torch", "transformers", "datasets", "onnx", "scikit-learn", "accelerate"}
    assert all("==" in line for line in reqs.splitlines() if line.strip() and not line.startswith("#"))


# ---- the real packages of Parts 1 and 2 (merged into this branch) ---------------------------------------
@pytest.mark.parametrize("source_pads", [False, True])
def test_real_part2_checkpoint_round_trip(tmp_path, source_pads):
    """A tiny SentimentClassifier saved with roberta_transfer.save_checkpoint exports, and the bundle gives
    the same logits as the PyTorch model on Part 2's own encoding of the same reviews. ``source_pads``: the
    tokenizer carries fixed padding and truncation, as all-MiniLM-L6-v2's tokenizer.json does (a clean clone's
    Part 3 chapters once failed on exactly that)."""
    import torch
    from transformers import BertConfig, BertModel, PreTrainedTokenizerFast

    import roberta_transfer as rt

    torch.manual_seed(0)
    tok = word_tokenizer()
    if source_pads:
        tok.enable_padding(length=24, pad_id=tok.token_to_id("[PAD]"), pad_token="[PAD]")
        tok.enable_truncation(24)
    hf_tok = PreTrainedTokenizerFast(tokenizer_object=tok, cls_token="[CLS]", sep_token="[SEP]", pad_token="[PAD]",
                                     unk_token="[UNK]")
    encoder = BertModel(BertConfig(vocab_size=tok.get_vocab_size(), hidden_size=32, num_hidden_layers=2,
                                   num_attention_heads=2, intermediate_size=64, max_position_embeddings=64),
                        add_pooling_layer=False)
    model = rt.SentimentClassifier(encoder, ["negative", "positive"], head=rt.HeadSpec(num_labels=2, hidden=16))
    ckpt = rt.save_checkpoint(tmp_path / "ckpt", model.eval(), hf_tok,
                              {"max_length": 24, "metrics": {"test_accuracy": 0.81}, "profile": "test"})
    module, tokenizer, spec = from_part2_checkpoint(ckpt)
    assert spec.test_accuracy == 0.81 and spec.window.max_length == 24
    export_bundle(module, tokenizer, spec, tmp_path / "bundle", texts=TEXTS[:6])
    bundle = Bundle(tmp_path / "bundle")
    reviews = ["the best film " * 20 + "but the worst ending", "boring", TEXTS[0]]
    part2_ids = rt.encode_reviews(hf_tok, reviews, 24)  # Part 2's training-time encoding (head+tail, specials)
    assert [x.tolist() for x in bundle.encode(reviews)] == part2_ids
    loaded, _, _ = rt.load_checkpoint(ckpt)
    with torch.no_grad():
        ref = np.concatenate([loaded(torch.tensor([ids]), torch.ones(1, len(ids), dtype=torch.long)).numpy() for ids in part2_ids])
    np.testing.assert_allclose(bundle.logits(reviews), ref, atol=1e-4)


def test_real_part1_checkpoint_round_trip(tmp_path):
    """A tiny bidirectional LSTM saved with starter_lstm.save_checkpoint exports without a mask input, and the
    bundle reproduces the PyTorch model on Part 1's own tokenization (the first 4 and the last 8 of 12 tokens)."""
    import torch

    import starter_lstm as sl

    torch.manual_seed(0)
    vocab = sl.Vocab.build(TEXTS, min_freq=1)
    model = sl.LSTMClassifier(sl.LSTMConfig(vocab_size=len(vocab), embed_dim=8, hidden_size=8, bidirectional=True)).eval()
    ckpt = sl.save_checkpoint(tmp_path / "lstm", model, vocab, {"max_tokens": 12, "head_tokens": 4,
                                                                "metrics": {"test_accuracy": 0.7}})
    module, tokenizer, spec = from_part1_checkpoint(ckpt)
    assert spec.uses_mask is False and spec.test_accuracy == 0.7
    assert (spec.window.head_tokens, spec.window.tail_tokens) == (4, 8)
    export_bundle(module, tokenizer, spec, tmp_path / "bundle", texts=TEXTS[:6])
    bundle = Bundle(tmp_path / "bundle")
    reviews = ["a wonderful film " * 10 + "but i hated it", "i hated it"]
    loaded, vocab2, _ = sl.load_checkpoint(ckpt)
    for review, logits in zip(reviews, bundle.logits(reviews)):
        ids = vocab2.encode(review, max_tokens=12, head_tokens=4)
        assert bundle.encode([review])[0].tolist() == ids
        with torch.no_grad():
            np.testing.assert_allclose(logits, loaded(torch.tensor([ids])).numpy()[0], atol=1e-4)
