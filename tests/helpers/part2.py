"""Tiny, offline building blocks for the Part 2 tests: a random RoBERTa and a byte-level BPE tokenizer."""
from __future__ import annotations

import torch
from datasets import Dataset
from transformers import AutoModel, PreTrainedTokenizerFast, RobertaConfig

from roberta_transfer import HeadSpec, SentimentClassifier

SENTENCES = [
    "a great movie, I loved every minute of it", "a wonderful, moving film with brilliant acting",
    "a terrible film, I hated it", "boring, dull and far too long; an awful waste of time",
    "the plot was fine but the ending was great", "the actors were bad and the script was worse",
]


def tiny_tokenizer():
    """A byte-level BPE tokenizer (the kind RoBERTa uses) trained in a moment on a few sentences."""
    from tokenizers import ByteLevelBPETokenizer

    bpe = ByteLevelBPETokenizer()
    bpe.train_from_iterator(SENTENCES * 3, vocab_size=400, min_frequency=1,
                            special_tokens=["<s>", "<pad>", "</s>", "<unk>", "<mask>"], show_progress=False)
    return PreTrainedTokenizerFast(tokenizer_object=bpe._tokenizer, bos_token="<s>", eos_token="</s>",
                                   pad_token="<pad>", unk_token="<unk>", cls_token="<s>", sep_token="</s>",
                                   mask_token="<mask>")


def tiny_roberta_config(vocab_size: int = 400) -> RobertaConfig:
    # RoBERTa: pad id 1, positions start at pad_id + 1 (so max_position_embeddings = window + 2), no segments used.
    return RobertaConfig(vocab_size=vocab_size, hidden_size=32, num_hidden_layers=3, num_attention_heads=2,
                         intermediate_size=64, max_position_embeddings=66, pad_token_id=1, bos_token_id=0,
                         eos_token_id=2, type_vocab_size=1)


def tiny_classifier(labels=("negative", "positive"), seed: int = 0, hidden: int = 16) -> SentimentClassifier:
    torch.manual_seed(seed)
    encoder = AutoModel.from_config(tiny_roberta_config(), add_pooling_layer=False)
    return SentimentClassifier(encoder, list(labels), head=HeadSpec(num_labels=len(labels), hidden=hidden, dropout=0.0),
                               requested_id="tiny/roberta-test", served_by="tiny/roberta-test")


def toy_dataset(n: int = 96, seed: int = 0) -> Dataset:
    """Token ids only: label 1 iff the example contains token 10; random other tokens; lengths vary."""
    g = torch.Generator().manual_seed(seed)
    rows, labels = [], []
    for i in range(n):
        length = int(torch.randint(4, 20, (1,), generator=g))
        ids = torch.randint(20, 300, (length,), generator=g).tolist()
        if i % 2:
            ids[int(torch.randint(0, length, (1,), generator=g))] = 10
        rows.append([0, *ids, 2]); labels.append(i % 2)
    return Dataset.from_dict({"input_ids": rows, "label": labels})
