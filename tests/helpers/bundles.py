"""Offline stand-ins for the tests of Part 3: a tiny word-level tokenizer and a tiny random RoBERTa classifier.

They exercise the export and serving machinery in seconds; their predictions mean nothing.
"""
from __future__ import annotations

import torch
from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors
from transformers import AutoModelForSequenceClassification, RobertaConfig

from deploy.onnx_bundle import ModelSpec, make_window

TINY_WORDS = ("the a an and but or not very really quite film movie plot acting story actor actress scene "
              "good great wonderful excellent brilliant moving funny loved enjoyed best bad awful boring terrible "
              "worst dull waste hated poor weak it was is this that i of to in").split()


def word_tokenizer():
    """A word-level tokenizer of ~60 words with [CLS] text [SEP], built in memory (tests and demos)."""
    vocab = {t: i for i, t in enumerate(["[PAD]", "[UNK]", "[CLS]", "[SEP]"] + list(TINY_WORDS))}
    tok = Tokenizer(models.WordLevel(vocab=vocab, unk_token="[UNK]"))
    tok.normalizer = normalizers.BertNormalizer(lowercase=True)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tok.post_processor = processors.TemplateProcessing(single="[CLS] $A [SEP]", special_tokens=[("[CLS]", 2), ("[SEP]", 3)])
    return tok


def build_tiny_model(max_length: int = 32, seed: int = 0):
    """A tiny randomly initialised RoBERTa classifier (2 layers, 32 wide) and its word-level tokenizer, for
    tests and demos of the export and serving machinery. Returns (module, tokenizer, spec)."""
    torch.manual_seed(seed)
    tokenizer = word_tokenizer()
    config = RobertaConfig(vocab_size=tokenizer.get_vocab_size(), hidden_size=32, num_hidden_layers=2,
                           num_attention_heads=2, intermediate_size=64, max_position_embeddings=max_length + 4,
                           pad_token_id=0, bos_token_id=2, eos_token_id=3, num_labels=2)
    config.attn_implementation = "eager"
    model = AutoModelForSequenceClassification.from_config(config).eval()
    spec = ModelSpec(name="tiny-random-roberta", architecture="RobertaForSequenceClassification (2 layers, hidden 32)",
                     labels=["negative", "positive"], window=make_window(tokenizer, max_length, pad_id=0),
                     source_checkpoint="none: randomly initialised for tests", description="UNTRAINED tiny model for tests.")
    return model, tokenizer, spec
