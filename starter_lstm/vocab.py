"""Tokens and the vocabulary: from raw review text to lists of integer ids.

The tokenization rule is deliberately simple, so that a reader can follow it by hand and so that the
Hugging Face ``tokenizers`` library can reproduce it exactly (Part 3 serves the model without PyTorch):

1. lowercase the text;
2. replace every HTML line break ``<br />`` (IMDb is full of them) with a space;
3. cut it into *words* (runs of letters, digits and ``_``) and *single punctuation marks*.

    >>> tokenize("Great movie!<br /><br />I'd watch it AGAIN.")
    ['great', 'movie', '!', 'i', "'", 'd', 'watch', 'it', 'again', '.']
"""
from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Iterable

from serve.window import truncate_head_tail  # the course's one head+tail rule, which the web app uses too

PAD = "<pad>"  # fills up short reviews in a batch; id 0, never read by the model
UNK = "<unk>"  # stands for every word that is not in the vocabulary; id 1
LINE_BREAK = "<br />"
TOKEN_PATTERN = r"\w+|[^\w\s]"  # a word, or one character that is neither a word character nor a space


def _rule():
    """The rule as Hugging Face ``tokenizers`` pieces: one normalizer and one pre-tokenizer.

    The plain-Python version of the same rule is
    ``re.findall(TOKEN_PATTERN, text.lower().replace("<br />", " "))``, and for ordinary text the two agree.
    We let the ``tokenizers`` library (written in Rust) run it because it is fast, and because the served
    model in Part 3 uses this library too: Python's ``re`` and the library disagree on a few rare Unicode
    characters (combining accents, for example), and the model must see the same ids in both places.
    """
    from tokenizers import Regex, normalizers, pre_tokenizers

    normalizer = normalizers.Sequence([normalizers.Lowercase(), normalizers.Replace(LINE_BREAK, " ")])
    # Split on the pattern; invert=True + "removed" keeps what the pattern matches and drops the rest (spaces).
    splitter = pre_tokenizers.Split(Regex(TOKEN_PATTERN), behavior="removed", invert=True)
    return normalizer, splitter


_NORMALIZER, _SPLITTER = _rule()


def normalize(text: str) -> str:
    """Steps 1 and 2 of the rule: lowercase, and ``<br />`` becomes a space."""
    return _NORMALIZER.normalize_str(text)


def truncate(ids: list[int], max_tokens: int | None, head_tokens: int | None = None) -> list[int]:
    """At most ``max_tokens`` ids: the first ``head_tokens`` and the last ``max_tokens - head_tokens`` of a
    longer list (``head_tokens=None``: the first ``max_tokens``). A list that fits is returned whole."""
    if max_tokens is None or len(ids) <= max_tokens:
        return ids
    head = max_tokens if head_tokens is None else head_tokens
    if not 0 <= head <= max_tokens:
        raise ValueError(f"head_tokens must be between 0 and max_tokens ({max_tokens}), not {head_tokens}")
    return truncate_head_tail(ids, head, max_tokens - head)


def tokenize(text: str) -> list[str]:
    """Split a review into lowercase tokens (see the module docstring for the rule)."""
    if not isinstance(text, str):
        raise TypeError(f"tokenize expects a string, got {type(text).__name__}")
    return [piece for piece, _span in _SPLITTER.pre_tokenize_str(normalize(text))]


class Vocab:
    """A two-way map between tokens and integer ids.

    Id 0 is ``<pad>``, id 1 is ``<unk>``, then the kept tokens from most to least frequent.
    Build one from training texts only (:meth:`build`), so that the test set stays unseen.
    """

    def __init__(self, tokens: list[str]):
        if tokens[:2] != [PAD, UNK]:
            raise ValueError(f"a vocabulary must start with {PAD!r} and {UNK!r}, got {tokens[:2]}")
        if len(set(tokens)) != len(tokens):
            raise ValueError("a vocabulary must not list a token twice")
        self.itos: list[str] = list(tokens)  # id -> token ("int to string")
        self.stoi: dict[str, int] = {tok: i for i, tok in enumerate(self.itos)}  # token -> id
        self.pad_id = self.stoi[PAD]
        self.unk_id = self.stoi[UNK]

    @classmethod
    def build(cls, texts: Iterable[str], min_freq: int = 2, max_size: int | None = 25_000) -> "Vocab":
        """Count tokens in ``texts``; keep those seen at least ``min_freq`` times, at most ``max_size`` in all.

        ``max_size`` counts the two special tokens. Ties in frequency are broken alphabetically, so the
        same texts always give the same vocabulary.
        """
        if min_freq < 1:
            raise ValueError(f"min_freq must be at least 1, not {min_freq}")
        if max_size is not None and max_size < 3:
            raise ValueError(f"max_size must leave room for {PAD}, {UNK} and one word; got {max_size}")
        counts = Counter()
        for text in texts:
            counts.update(tokenize(text))
        kept = sorted((tok for tok, c in counts.items() if c >= min_freq), key=lambda t: (-counts[t], t))
        kept = [tok for tok in kept if tok not in (PAD, UNK)]
        if max_size is not None:
            kept = kept[: max_size - 2]
        vocab = cls([PAD, UNK, *kept])
        vocab.counts = counts  # kept for the chapters' statistics; not saved
        return vocab

    def __len__(self) -> int:
        return len(self.itos)

    def __contains__(self, token: str) -> bool:
        return token in self.stoi

    def lookup(self, tokens: list[str]) -> list[int]:
        """Token -> id for each token; an unknown token becomes the id of ``<unk>``."""
        return [self.stoi.get(tok, self.unk_id) for tok in tokens]

    def encode(self, text: str, max_tokens: int | None = None, head_tokens: int | None = None) -> list[int]:
        """Raw text -> ids: tokenize, look up, and cut a long text to ``max_tokens`` ids.

        The cut keeps the first ``max_tokens`` ids, or, with ``head_tokens``, the first ``head_tokens`` and the
        last ``max_tokens - head_tokens`` (a review's opening and its verdict). An empty text gives an empty
        list (the batching code turns it into one ``<pad>``).
        """
        return truncate(self.lookup(tokenize(text)), max_tokens, head_tokens)

    def decode(self, ids: Iterable[int]) -> list[str]:
        """Ids -> tokens (for looking at what the model saw)."""
        return [self.itos[int(i)] for i in ids]

    # --- saving and loading -------------------------------------------------------------------------
    def to_json(self) -> dict:
        return {"tokenization": {"lowercase": True, "replace": [LINE_BREAK, " "], "pattern": TOKEN_PATTERN},
                "pad_token": PAD, "unk_token": UNK, "itos": self.itos}

    @classmethod
    def from_json(cls, data: dict) -> "Vocab":
        if not isinstance(data, dict) or "itos" not in data:
            raise ValueError("not a vocabulary file: expected a JSON object with a list 'itos' (id -> token)")
        pattern = data.get("tokenization", {}).get("pattern", TOKEN_PATTERN)
        if pattern != TOKEN_PATTERN:
            raise ValueError(f"this vocabulary was built with the token pattern {pattern!r}, "
                             f"but this code tokenizes with {TOKEN_PATTERN!r}")
        return cls(list(data["itos"]))

    def save(self, path: str | Path) -> Path:
        path = Path(path)
        path.write_text(json.dumps(self.to_json(), ensure_ascii=False), encoding="utf-8")
        return path

    @classmethod
    def load(cls, path: str | Path) -> "Vocab":
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"no vocabulary file at {path}")
        return cls.from_json(json.loads(path.read_text(encoding="utf-8")))


def coverage(vocab: Vocab, texts: Iterable[str]) -> dict:
    """How much of ``texts`` the vocabulary knows: the share of tokens (running words) and of distinct words."""
    counts = Counter()
    for text in texts:
        counts.update(tokenize(text))
    total = sum(counts.values())
    known = sum(c for tok, c in counts.items() if tok in vocab)
    return {
        "tokens": total,
        "token_coverage": known / total if total else 0.0,
        "distinct_words": len(counts),
        "distinct_coverage": sum(1 for tok in counts if tok in vocab) / len(counts) if counts else 0.0,
        "top_unknown": [tok for tok, _ in counts.most_common() if tok not in vocab][:20],
    }


def to_hf_tokenizer(vocab: Vocab, max_tokens: int | None = None):
    """The same rule as :func:`tokenize` + :meth:`Vocab.encode`, as a Hugging Face ``tokenizers.Tokenizer``.

    Lowercase and ``<br />`` -> space become normalizers; the regular expression becomes a pre-tokenizer that
    keeps its matches and drops the rest (the spaces); the vocabulary becomes a ``WordLevel`` model with
    ``<unk>``; ``max_tokens`` becomes truncation (keep the first tokens). No special tokens are added.
    Part 3 uses it to serve the model with ``onnxruntime`` and no PyTorch.
    """
    from tokenizers import Tokenizer
    from tokenizers.models import WordLevel

    tok = Tokenizer(WordLevel(vocab=dict(vocab.stoi), unk_token=UNK))
    tok.normalizer, tok.pre_tokenizer = _rule()
    if max_tokens is not None:
        tok.enable_truncation(max_length=max_tokens)
    return tok
