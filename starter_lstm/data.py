"""From encoded reviews to padded batches that remember each review's true length."""
from __future__ import annotations

import random
from typing import Sequence

import torch
from torch.utils.data import DataLoader, Dataset, Sampler

from .vocab import Vocab


class ReviewDataset(Dataset):
    """Reviews encoded once, up front: item ``i`` is ``(ids, label)`` with ``ids`` a LongTensor."""

    def __init__(self, texts: Sequence[str], labels: Sequence[int], vocab: Vocab, max_tokens: int,
                 head_tokens: int | None = None):
        if len(texts) != len(labels):
            raise ValueError(f"{len(texts)} texts but {len(labels)} labels; they must pair up one to one")
        self.ids = [torch.tensor(vocab.encode(t, max_tokens, head_tokens), dtype=torch.long) for t in texts]
        self.labels = [int(y) for y in labels]
        self.pad_id = vocab.pad_id

    @classmethod
    def from_hf(cls, split, vocab: Vocab, max_tokens: int, head_tokens: int | None = None) -> "ReviewDataset":
        """From a ``datasets.Dataset`` with columns ``text`` and ``label`` (as ``course.load_imdb`` returns)."""
        return cls(split["text"], split["label"], vocab, max_tokens, head_tokens)

    def __len__(self) -> int:
        return len(self.ids)

    def __getitem__(self, i: int):
        return self.ids[i], self.labels[i]

    def lengths(self) -> list[int]:
        return [len(x) for x in self.ids]


def pad_batch(sequences: Sequence[torch.Tensor], pad_id: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """Pad id sequences to the longest one: returns ``input_ids [B, T]`` and the true ``lengths [B]``.

    An empty sequence (an empty review) becomes a single ``<pad>`` with length 1, because an LSTM cannot read
    a sequence of length 0; the model then sees "nothing" (the pad embedding is all zeros).
    """
    lengths = torch.tensor([max(len(s), 1) for s in sequences], dtype=torch.long)
    input_ids = torch.full((len(sequences), int(lengths.max())), pad_id, dtype=torch.long)
    for row, seq in enumerate(sequences):
        input_ids[row, : len(seq)] = seq
    return input_ids, lengths


class PadCollator:
    """``collate_fn`` for a DataLoader: a list of ``(ids, label)`` -> ``(input_ids, lengths, labels)``.

    ``trim_to_shortest=True`` (used for training batches only) cuts every review of the batch to the length of
    the batch's shortest review. Why: PyTorch's fast CPU LSTM kernel only runs when all sequences of a batch
    have the same length; mixed lengths take a path several times slower. The length-bucketing sampler puts
    reviews of nearly equal length together, so this drops only a few tokens at the end of some reviews
    (``LengthGroupedBatchSampler`` reports how many) and no batch needs padding. Evaluation and prediction always
    read every token, with packing.
    """

    def __init__(self, pad_id: int = 0, trim_to_shortest: bool = False):
        self.pad_id = pad_id
        self.trim_to_shortest = trim_to_shortest

    def __call__(self, items):
        sequences, labels = zip(*items)
        if self.trim_to_shortest:
            shortest = max(1, min(len(s) for s in sequences))
            sequences = [s[:shortest] for s in sequences]
        input_ids, lengths = pad_batch(sequences, self.pad_id)
        return input_ids, lengths, torch.tensor(labels, dtype=torch.long)


class LengthGroupedBatchSampler(Sampler):
    """Batches of reviews of similar length, in a random order each epoch.

    Padding wastes work: a batch is as long as its longest review. So we shuffle, cut the shuffled reviews
    into pools of ``pool_batches`` batches, sort each pool by length, cut it into batches, and shuffle the
    batches. Every review is used exactly once per epoch, and batches still differ from epoch to epoch.
    """

    def __init__(self, lengths: Sequence[int], batch_size: int, shuffle: bool = True, pool_batches: int = 50,
                 seed: int = 0):
        self.lengths = list(lengths)
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.pool = batch_size * pool_batches
        self.seed = seed
        self.epoch = 0

    def __iter__(self):
        rng = random.Random(self.seed + self.epoch)
        self.epoch += 1
        order = list(range(len(self.lengths)))
        if self.shuffle:
            rng.shuffle(order)
        batches = []
        for start in range(0, len(order), self.pool):
            pool = sorted(order[start : start + self.pool], key=lambda i: self.lengths[i])
            batches += [pool[i : i + self.batch_size] for i in range(0, len(pool), self.batch_size)]
        if self.shuffle:
            rng.shuffle(batches)
        return iter(batches)

    def __len__(self) -> int:
        full_pools, rest = divmod(len(self.lengths), self.pool)
        per_pool = -(-self.pool // self.batch_size)
        return full_pools * per_pool + -(-rest // self.batch_size)


def make_loader(dataset: ReviewDataset, batch_size: int, shuffle: bool, seed: int = 0,
                trim_to_shortest: bool | None = None) -> DataLoader:
    """A DataLoader of ``(input_ids, lengths, labels)`` batches, bucketed by length (see LengthGroupedBatchSampler).

    Training loaders (``shuffle=True``) trim each batch to its shortest review by default (see ``PadCollator``);
    evaluation loaders keep every token.
    """
    trim = shuffle if trim_to_shortest is None else trim_to_shortest
    pool = 200 if shuffle else 50  # bigger pools: closer lengths in a batch, fewer tokens trimmed
    sampler = LengthGroupedBatchSampler(dataset.lengths(), batch_size, shuffle=shuffle, seed=seed, pool_batches=pool)
    return DataLoader(dataset, batch_sampler=sampler, collate_fn=PadCollator(dataset.pad_id, trim))


def trimmed_share(loader: DataLoader) -> float:
    """The share of tokens a trimming training loader drops in one epoch (it does not advance the epoch)."""
    lengths = loader.batch_sampler.lengths
    batches = list(LengthGroupedBatchSampler(lengths, loader.batch_sampler.batch_size, True, seed=loader.batch_sampler.seed,
                                      pool_batches=loader.batch_sampler.pool // loader.batch_sampler.batch_size))
    total = sum(lengths)
    kept = sum(min(lengths[i] for i in b) * len(b) for b in batches)
    return 1 - kept / total if total else 0.0
