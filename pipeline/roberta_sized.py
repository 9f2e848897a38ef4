"""Stand-in models for the serving benchmarks, exported to bundles like a real checkpoint.

    python pipeline/roberta_sized.py standin --out bundles/standin-int8 --quantize int8
    python pipeline/roberta_sized.py random-roberta --out bundles/roberta-base-random --quantize int8

- ``standin``: all-MiniLM-L6-v2 (frozen) + mean pooling + a logistic-regression head fitted here on IMDb reviews.
  Clearly not Part 2's model: use it only when no Part 2 checkpoint is available.
- ``random-roberta``: an untrained roberta-base-sized classifier (125M parameters) with a byte-level BPE tokenizer
  of RoBERTa's vocabulary size, for measuring size and speed only: its predictions mean nothing.

Both go through the course's exporter (``deploy.export.write_bundles``): the same parity check, the same int8.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import torch
from sklearn.linear_model import LogisticRegression
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors
from transformers import AutoModel, AutoModelForSequenceClassification, RobertaConfig

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import course  # noqa: E402
from deploy.export import add_bundle_arguments, imdb_test_texts, texts_needed, write_bundles  # noqa: E402
from deploy.onnx_bundle import TOKENIZER_FILE, ExportError, ModelSpec, make_window  # noqa: E402
from roberta_transfer import mean_pool  # noqa: E402
from serve.window import Window, encode_texts, pad_batch  # noqa: E402

STANDIN_ID = "sentence-transformers/all-MiniLM-L6-v2"


class MeanPoolClassifier(torch.nn.Module):
    """An encoder, mean pooling over real tokens, and a linear head: ``forward(input_ids, attention_mask) -> logits``."""

    def __init__(self, encoder, head: torch.nn.Linear):
        super().__init__()
        self.encoder, self.head = encoder, head

    def forward(self, input_ids, attention_mask):
        hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        return self.head(mean_pool(hidden, attention_mask))


def build_standin(profile=None, max_train: int = 2000, name: str = "standin-minilm-logreg"):
    """The offline stand-in classifier, its head fitted on up to ``max_train`` IMDb training reviews of the
    profile. Returns (module, tokenizer, spec, fit_report)."""
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
    started = time.perf_counter()
    features = pooled_features(encoder, tokenizer, window, train["text"])
    clf = LogisticRegression(max_iter=2000, C=1.0).fit(features, train["label"])
    head = torch.nn.Linear(encoder.config.hidden_size, 2)
    with torch.no_grad():  # two logits whose difference is the logistic regression's score
        head.weight.copy_(torch.from_numpy(np.vstack([-clf.coef_[0] / 2, clf.coef_[0] / 2]).astype(np.float32)))
        head.bias.copy_(torch.tensor([-clf.intercept_[0] / 2, clf.intercept_[0] / 2], dtype=torch.float32))
    fit = {"n_train": len(train), "train_accuracy": float(clf.score(features, train["label"])),
           "seconds": round(time.perf_counter() - started, 1)}
    spec = ModelSpec(
        name=name, architecture="BertModel (all-MiniLM-L6-v2, 22.7M parameters) + mean pooling + linear head",
        labels=list(course.IMDB_LABELS), window=window, uses_mask=True,
        source_checkpoint=f"stand-in: {STANDIN_ID}, head fitted on {len(train)} IMDb train reviews",
        description="STAND-IN, not the course's fine-tuned RoBERTa: a frozen MiniLM encoder with a logistic-regression head.",
        extra={"standin_fit": fit},
    )
    return MeanPoolClassifier(encoder, head).eval(), tokenizer, spec, fit


def pooled_features(encoder, tokenizer, window: Window, texts, batch_size: int = 32) -> np.ndarray:
    ids = encode_texts(tokenizer, list(texts), window)
    out = []
    with torch.inference_mode():
        for start in range(0, len(ids), batch_size):
            input_ids, mask = (torch.from_numpy(a) for a in pad_batch(ids[start:start + batch_size], window.pad_id))
            out.append(mean_pool(encoder(input_ids=input_ids, attention_mask=mask).last_hidden_state, mask).numpy())
    return np.concatenate(out)


def build_random_roberta(max_length: int = 512, seed: int = 0, layers: int = 12):
    """A randomly initialised roberta-base-sized classifier (``RobertaConfig()``: 125M parameters), with a
    byte-level BPE tokenizer of the same vocabulary size. Returns (module, tokenizer, spec).

    ``layers``: encoder layers, roberta-base's 12 unless a profile's ``roberta_sized_layers`` says otherwise (the
    pipeline test's smaller sizes: the same code path, a smaller model)."""
    torch.manual_seed(seed)
    # RobertaConfig() with roberta-base's real position table (514 = 512 tokens + RoBERTa's padding offset of 2)
    config = RobertaConfig(num_labels=2, max_position_embeddings=514, num_hidden_layers=layers)
    named = "" if layers == RobertaConfig().num_hidden_layers else f"num_hidden_layers={layers}"
    config.attn_implementation = "eager"
    model = AutoModelForSequenceClassification.from_config(config).eval()
    tokenizer = byte_level_tokenizer(config.vocab_size)
    window = make_window(tokenizer, min(max_length, config.max_position_embeddings - 2), pad_id=config.pad_token_id)
    spec = ModelSpec(
        name="roberta-base-sized-random", architecture=f"RobertaForSequenceClassification (RobertaConfig({named}): {config.num_hidden_layers} layers, "
                                       f"{config.hidden_size} hidden)",
        labels=list(course.IMDB_LABELS), window=window, uses_mask=True,
        source_checkpoint="none: randomly initialised (for size and speed only; predictions are meaningless)",
        description="UNTRAINED roberta-base-sized model, for measuring size and latency only.",
    )
    return model, tokenizer, spec


def byte_level_tokenizer(vocab_size: int):
    """A RoBERTa-style byte-level BPE tokenizer (<s> text </s>) with ``vocab_size`` ids, built offline from a
    few sentences: it tokenizes any text, so latency is measured through the real serving path."""
    specials = ["<s>", "<pad>", "</s>", "<unk>"]
    alphabet = pre_tokenizers.ByteLevel.alphabet()
    vocab = {t: i for i, t in enumerate(specials + sorted(alphabet))}
    if vocab_size < len(vocab):
        raise ExportError(f"vocab_size {vocab_size} is smaller than the {len(vocab)} byte-level base tokens.")
    tok = Tokenizer(models.BPE(vocab=vocab, merges=[], unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    tok.post_processor = processors.RobertaProcessing(("</s>", 2), ("<s>", 0))
    return tok


def random_texts(n: int, seed: int = 0) -> list[str]:
    """``n`` word salads of 5 to 400 words (for parity and timing of the untrained model)."""
    rng = np.random.default_rng(seed)
    words = ["good", "bad", "film", "plot", "acting", "great", "boring", "the", "was", "and", "not"]
    return [" ".join(rng.choice(words, size=int(rng.integers(5, 400)))) for _ in range(n)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python pipeline/roberta_sized.py", description=__doc__.splitlines()[0])
    parser.add_argument("source", choices=["standin", "random-roberta"])
    parser.add_argument("--max-length", type=int, default=512, help="random-roberta only: the window in tokens (default 512)")
    parser.add_argument("--layers", type=int, default=12,
                        help="random-roberta only: encoder layers (default 12, roberta-base's; the profile's roberta_sized_layers)")
    add_bundle_arguments(parser)
    args = parser.parse_args(argv)
    if args.source == "standin":
        module, tokenizer, spec, fit = build_standin(name=args.name or "standin-minilm-logreg")
        print(f"stand-in head fitted on {fit['n_train']} reviews (train accuracy {fit['train_accuracy']:.3f})")
        texts, labels = imdb_test_texts(texts_needed(args))
    else:
        module, tokenizer, spec = build_random_roberta(max_length=args.max_length, layers=args.layers)
        texts, labels = random_texts(texts_needed(args)), None
    write_bundles(module, tokenizer, spec, args, texts, labels)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
