"""Checks for the beginner exercise (chapter 05). Each check calls the learner's function on small inputs and
explains in plain words what is wrong: a shape, a dtype, a value. An untouched stub raises
``NotImplementedError``, and the check then says "not done yet" instead of crashing.

Every check returns a :class:`CheckResult` (``status`` is ``"passed"``, ``"wrong"`` or ``"not done yet"``) and
prints its message, so the notebook shows it.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from .model import review_vector as reference_review_vector

PASSED, WRONG, NOT_DONE = "passed", "wrong", "not done yet"


@dataclass
class CheckResult:
    name: str
    status: str
    message: str

    @property
    def passed(self) -> bool:
        return self.status == PASSED

    def __str__(self) -> str:
        mark = {PASSED: "PASSED", WRONG: "NOT YET RIGHT", NOT_DONE: "NOT DONE YET"}[self.status]
        return f"[{mark}] {self.name}: {self.message}"


def _report(name: str, status: str, message: str, quiet: bool) -> CheckResult:
    result = CheckResult(name, status, message)
    if not quiet:
        print(result)
    return result


def _not_done(name: str, quiet: bool) -> CheckResult:
    return _report(name, NOT_DONE, "not done yet: the function still raises NotImplementedError. "
                   "Replace the `raise NotImplementedError` line with your code, run that cell, then this one.", quiet)


# Errors a half-written answer typically raises; the check turns them into a plain message.
_MISTAKES = (TypeError, ValueError, RuntimeError, IndexError, AttributeError)


def _crashed(name: str, err: Exception, quiet: bool) -> CheckResult:
    return _report(name, WRONG, f"your code raised {type(err).__name__}: {err}. Read the message, fix the "
                   "function, run its cell again, then this check.", quiet)


# --- 1. the vocabulary lookup ----------------------------------------------------------------------------
def check_lookup(lookup, quiet: bool = False) -> CheckResult:
    """``lookup(stoi, tokens, unk_id) -> list[int]``: each token's id, ``unk_id`` for unknown tokens."""
    name = "vocabulary lookup"
    stoi = {"<pad>": 0, "<unk>": 1, "the": 2, "movie": 3, "was": 4, "great": 5, "!": 6}
    tokens = ["the", "movie", "was", "great", "!"]
    try:
        got = lookup(stoi, tokens, 1)
    except NotImplementedError:
        return _not_done(name, quiet)
    except _MISTAKES as err:
        return _crashed(name, err, quiet)
    if isinstance(got, torch.Tensor):
        got = got.tolist()
    if not isinstance(got, list):
        return _report(name, WRONG, f"return a Python list of ids, not a {type(got).__name__}.", quiet)
    if len(got) != len(tokens):
        return _report(name, WRONG, f"{len(tokens)} tokens went in but {len(got)} ids came out; "
                       "there must be exactly one id per token.", quiet)
    if not all(isinstance(i, int) for i in got):
        return _report(name, WRONG, "every id must be a Python int (look it up in stoi), "
                       f"but got {[type(i).__name__ for i in got]}.", quiet)
    if got != [2, 3, 4, 5, 6]:
        return _report(name, WRONG, f"for {tokens} the ids should be [2, 3, 4, 5, 6], got {got}.", quiet)
    try:
        unknown = lookup(stoi, ["the", "zyzzyva", "was", "meh"], 1)
    except KeyError as err:
        return _report(name, WRONG, f"a word that is not in the vocabulary ({err}) crashed the lookup with a "
                       "KeyError. Unknown words must get the id unk_id: try stoi.get(token, unk_id).", quiet)
    if isinstance(unknown, torch.Tensor):
        unknown = unknown.tolist()
    if list(unknown) != [2, 1, 4, 1]:
        return _report(name, WRONG, "unknown words ('zyzzyva', 'meh') must get unk_id = 1; "
                       f"expected [2, 1, 4, 1], got {list(unknown)}.", quiet)
    if list(lookup(stoi, [], 1)) != []:
        return _report(name, WRONG, "an empty list of tokens must give an empty list of ids.", quiet)
    return _report(name, PASSED, "known words get their ids and unknown words get <unk>. Well done!", quiet)


# --- 2. one vector per review: the packed LSTM, max-pooled -----------------------------------------------------
def check_review_vector(review_vector, quiet: bool = False) -> CheckResult:
    """``review_vector(lstm, embedded [B, T, E], lengths [B]) -> [B, 2H]`` for a bidirectional ``batch_first``
    LSTM: the outputs at the real tokens, max-pooled over positions."""
    name = "one vector per review (packing + max-pooling)"
    torch.manual_seed(0)
    lstm = nn.LSTM(4, 3, batch_first=True, bidirectional=True)
    embedded = torch.randn(3, 6, 4)
    lengths = torch.tensor([6, 2, 4])
    embedded[1, 2:] = 0.0  # padding positions (the pad embedding is zeros)
    embedded[2, 4:] = 0.0
    try:
        with torch.no_grad():
            got = review_vector(lstm, embedded, lengths)
    except NotImplementedError:
        return _not_done(name, quiet)
    except _MISTAKES as err:
        return _crashed(name, err, quiet)
    if isinstance(got, tuple) and len(got) == 2 and all(isinstance(g, torch.Tensor) for g in got):
        return _report(name, WRONG, "you returned two things: tensor.max(dim=1) answers with the largest values "
                       "AND the positions where they were (its .values and its .indices). The review's vector is "
                       "the values only: end with .max(dim=1).values.", quiet)
    if not isinstance(got, torch.Tensor):
        return _report(name, WRONG, f"return one tensor, the review vectors, not a {type(got).__name__}.", quiet)
    if got.dtype != torch.float32:
        return _report(name, WRONG, f"the vector should be float32 numbers, got dtype {got.dtype}.", quiet)
    if tuple(got.shape) != (3, 6):
        hint = ""
        if tuple(got.shape) == (2, 3, 3):
            hint = " That is h_n, the final states; we want the outputs at every position, max-pooled."
        elif len(got.shape) == 3:
            hint = (" That looks like the outputs at every position; pool them into one vector per review "
                    "with .max(dim=1).values.")
        elif tuple(got.shape) == (6, 6):
            hint = (" You pooled over the batch (dim=0); the positions are dim=1 of the [batch, positions, 2H] "
                    "outputs.")
        return _report(name, WRONG, f"expected shape [batch, 2 * hidden] = (3, 6), got {tuple(got.shape)}.{hint}",
                       quiet)
    with torch.no_grad():
        want = reference_review_vector(lstm, embedded, lengths)  # the course's own model.review_vector
        read_padding = lstm(embedded)[0].max(dim=1).values
        # the typical mistakes, all from one run of the packed LSTM
        packed_out, (h_n, _) = lstm(pack_padded_sequence(embedded, lengths, batch_first=True, enforce_sorted=False))
        zero_filled = pad_packed_sequence(packed_out, batch_first=True)[0]
        inf_filled = pad_packed_sequence(packed_out, batch_first=True, padding_value=float("-inf"))[0]
        zero_padded = zero_filled.max(dim=1).values
        mean_pooled = zero_filled.sum(dim=1) / lengths[:, None].float()
        last_state = torch.cat([h_n[-2], h_n[-1]], dim=1)
        over_features = inf_filled.max(dim=2).values
    if torch.allclose(got, want, atol=1e-5):
        return _report(name, PASSED, "the LSTM reads each review up to its true last token, never the padding, "
                       "and the strongest signal at any position reaches the classifier.", quiet)
    if torch.allclose(got, read_padding, atol=1e-5):
        return _report(name, WRONG, "the numbers match an LSTM that also read the padding. Pack the batch first: "
                       "pack_padded_sequence(embedded, lengths.cpu(), batch_first=True, enforce_sorted=False).", quiet)
    if torch.allclose(got, zero_padded, atol=1e-5):
        return _report(name, WRONG, "close: the LSTM skipped the padding, but the zeros that pad_packed_sequence "
                       "puts past each review's end took part in the max (a review whose outputs are all negative "
                       "gets 0 instead). Pass padding_value=float('-inf') to pad_packed_sequence.", quiet)
    if torch.allclose(got, last_state, atol=1e-5):
        return _report(name, WRONG, "these are the LSTM's final states (h_n). This model instead takes the "
                       "maximum of the outputs over all positions: outputs.max(dim=1).values.", quiet)
    if torch.allclose(got, over_features, atol=1e-5):
        return _report(name, WRONG, "you took the maximum over the features (dim=2); take it over the positions "
                       "instead: outputs.max(dim=1).values.", quiet)
    if torch.allclose(got, mean_pooled, atol=1e-5):
        return _report(name, WRONG, "that is the average over positions (mean-pooling); this model takes the "
                       "maximum: outputs.max(dim=1).values.", quiet)
    return _report(name, WRONG, "the shape is right but the values are not the max-pooled outputs of the packed "
                   "LSTM. Pack, run self.lstm, unpack with pad_packed_sequence(..., padding_value=float('-inf')), "
                   "then .max(dim=1).values.", quiet)


# --- 3. one training step ------------------------------------------------------------------------------------
class _Tiny(nn.Module):
    def __init__(self):
        super().__init__()
        self.embedding = nn.Embedding(10, 4, padding_idx=0)
        self.classifier = nn.Linear(4, 2)

    def forward(self, input_ids, lengths=None):
        return self.classifier(self.embedding(input_ids).mean(dim=1))


def _tiny_setup():
    torch.manual_seed(0)
    model = _Tiny()
    model.eval()  # as after a validation pass: a training step must switch training mode back on itself
    optimizer = torch.optim.SGD(model.parameters(), lr=0.5)
    batch = (torch.tensor([[2, 3, 4], [5, 6, 0]]), torch.tensor([3, 2]), torch.tensor([1, 0]))
    return model, optimizer, batch


def check_train_step(train_step, quiet: bool = False) -> CheckResult:
    """``train_step(model, batch, optimizer, loss_fn) -> float``: forward, loss, backward, step; returns the loss."""
    name = "one training step"
    model, optimizer, batch = _tiny_setup()
    loss_fn = nn.CrossEntropyLoss()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    with torch.no_grad():
        first_loss = loss_fn(model(batch[0], batch[1]), batch[2]).item()
    try:
        got = train_step(model, batch, optimizer, loss_fn)
    except NotImplementedError:
        return _not_done(name, quiet)
    except _MISTAKES as err:
        return _crashed(name, err, quiet)
    if isinstance(got, torch.Tensor):
        return _report(name, WRONG, "return the loss as a Python float (loss.item()), not a tensor: a tensor "
                       "keeps the whole computation graph alive and memory grows every step.", quiet)
    if not isinstance(got, float):
        return _report(name, WRONG, f"return the loss as a Python float, not a {type(got).__name__}.", quiet)
    if abs(got - first_loss) > 1e-5:
        return _report(name, WRONG, f"the returned loss should be the loss BEFORE the update, {first_loss:.4f}, "
                       f"got {got:.4f}.", quiet)
    after = model.state_dict()
    if all(torch.equal(before[k], after[k]) for k in before):
        return _report(name, WRONG, "no weight changed. After loss.backward() call optimizer.step().", quiet)
    # The reference: the same step done by hand, twice, must match (this catches a forgotten zero_grad()).
    ref_model, ref_opt, _ = _tiny_setup()
    for _ in range(2):
        ref_opt.zero_grad()
        loss_fn(ref_model(batch[0], batch[1]), batch[2]).backward()
        ref_opt.step()
    train_step(model, batch, optimizer, loss_fn)
    same = all(torch.allclose(a, b, atol=1e-6) for a, b in zip(model.state_dict().values(),
                                                              ref_model.state_dict().values()))
    if not same:
        return _report(name, WRONG, "after two steps the weights differ from the correct ones. Did you call "
                       "optimizer.zero_grad() at the start? Without it, gradients of earlier steps pile up.", quiet)
    if not model.training:
        return _report(name, WRONG, "the model is still in evaluation mode after your step. The check's model "
                       "starts in evaluation mode, as it is after measuring the validation set: call model.train() "
                       "at the start of the step, so that dropout is on while the model learns.", quiet)
    return _report(name, PASSED, "forward, loss, backward, step, and the gradients are reset every time.", quiet)


# --- 4 (optional). GloVe rows into the embedding ----------------------------------------------------------
def check_glove_rows(glove_rows, quiet: bool = False) -> CheckResult:
    """``glove_rows(embedding, stoi, glove_index, glove_vectors) -> int``: copy the GloVe vector of every vocabulary
    word GloVe knows into that word's row of the embedding, in place; leave the other rows as they are; return how
    many rows were copied."""
    import numpy as np

    name = "GloVe rows into the embedding (optional)"
    torch.manual_seed(0)
    embedding = nn.Embedding(6, 3, padding_idx=0)
    before = embedding.weight.detach().clone()
    stoi = {"<pad>": 0, "<unk>": 1, "good": 2, "film": 3, "zyzzyva": 4, "bad": 5}
    glove_index = {"bad": 0, "the": 1, "good": 2, "film": 3}  # GloVe's own word -> row numbers
    glove_vectors = np.arange(12, dtype=np.float32).reshape(4, 3) / 10 + 1.0
    want = before.clone()
    for word, row in (("good", 2), ("film", 3), ("bad", 0)):
        want[stoi[word]] = torch.from_numpy(glove_vectors[row])
    weight = embedding.weight
    try:
        got = glove_rows(embedding, stoi, glove_index, glove_vectors)
    except NotImplementedError:
        return _not_done(name, quiet)
    except KeyError as err:
        return _report(name, WRONG, f"the word {err} is in the vocabulary but not in GloVe, and looking it up "
                       "crashed with a KeyError. Copy a row only when `word in glove_index`.", quiet)
    except RuntimeError as err:
        if "in-place" in str(err) or "leaf" in str(err):
            return _report(name, WRONG, "PyTorch refused to change the weights in place while it records "
                           "gradients. Do the copying inside `with torch.no_grad():`.", quiet)
        return _crashed(name, err, quiet)
    except _MISTAKES as err:
        return _crashed(name, err, quiet)
    if embedding.weight is not weight:
        return _report(name, WRONG, "the embedding's weight was replaced by a new tensor. Fill the rows of the "
                       "existing one, in place: embedding.weight[i] = ... (or .copy_) inside torch.no_grad(), so "
                       "that an optimiser made for the model still holds the same weights.", quiet)
    if not embedding.weight.requires_grad:
        return _report(name, WRONG, "the embedding no longer learns (requires_grad is False). Copying the "
                       "vectors should leave it trainable: freezing is a separate choice (chapter 6).", quiet)
    current = embedding.weight.detach()
    if torch.allclose(current, before):
        return _report(name, WRONG, "no row changed. Copy glove_vectors[glove_index[word]] into "
                       "embedding.weight[stoi[word]] for every word both of them know.", quiet)
    for word in ("good", "film", "bad"):
        if not torch.allclose(current[stoi[word]], want[stoi[word]]):
            return _report(name, WRONG, f"the row of '{word}' (id {stoi[word]}) should be GloVe's vector for "
                           f"'{word}', glove_vectors[glove_index['{word}']] = {want[stoi[word]].tolist()}, but it is "
                           f"{[round(v, 4) for v in current[stoi[word]].tolist()]}. Use GloVe's row number "
                           "(glove_index[word]) to read glove_vectors, and the vocabulary's id (stoi[word]) to "
                           "write the embedding.", quiet)
    for word in ("<pad>", "<unk>", "zyzzyva"):
        if not torch.allclose(current[stoi[word]], before[stoi[word]]):
            return _report(name, WRONG, f"the row of '{word}' changed, but GloVe has no vector for it: rows of "
                           "words GloVe does not know keep their random start (and <pad> its zeros).", quiet)
    if isinstance(got, torch.Tensor) and got.numel() == 1:
        got = got.item()
    if got != 3:
        return _report(name, WRONG, f"the rows are right, but return how many were copied: 3 here "
                       f"('good', 'film', 'bad'), not {got!r}.", quiet)
    return _report(name, PASSED, "every word GloVe knows starts from its GloVe vector, the others keep their "
                   "random rows, and the embedding still learns.", quiet)


def run_all(lookup, review_vector, train_step, glove_rows=None, quiet: bool = False) -> list[CheckResult]:
    """The three required pieces' checks, and the optional fourth when ``glove_rows`` is given."""
    results = [check_lookup(lookup, quiet), check_review_vector(review_vector, quiet),
               check_train_step(train_step, quiet)]
    if glove_rows is not None:
        results.append(check_glove_rows(glove_rows, quiet))
    return results


# --- the payoff: a model trained with your own functions ---------------------------------------------------
class _YourVocab:
    """The library's vocabulary and head+tail cut, with your ``lookup`` turning tokens into ids."""

    def __init__(self, vocab, lookup):
        self.stoi, self.unk_id, self.pad_id, self._lookup = vocab.stoi, vocab.unk_id, vocab.pad_id, lookup

    def encode(self, text, max_tokens=None, head_tokens=None):
        from .vocab import tokenize, truncate

        return truncate(list(self._lookup(self.stoi, tokenize(text), self.unk_id)), max_tokens, head_tokens)


def _your_model(config, review_vector):
    from .model import LSTMClassifier

    class YourLSTM(LSTMClassifier):
        """The library's layers; the review vector computed by your function."""

        def forward(self, input_ids, lengths=None):
            embedded = self.dropout(self.embedding(input_ids))
            return self.classifier(self.dropout(review_vector(self.lstm, embedded, lengths)))

    return YourLSTM(config)


@dataclass
class Comparison:
    """Your model and the library's, trained on the same reviews from the same start; ``yours`` is None until the
    three required pieces pass their checks."""

    library: dict
    yours: dict | None
    n_train: int
    n_test: int
    epochs: int
    missing: list[str]
    difference: tuple[float, float, float] | None = None  # yours minus library's: (points, low, high), fractions
    same_ids: bool | None = None
    same_start: bool | None = None


def compare_with_library(lookup, review_vector, train_step, profile, progress: bool = False) -> Comparison:
    """Train two LSTMs on the same ``profile.exercise_n_train`` reviews, with the same seed, vocabulary, starting
    weights and batch order: one with your ``lookup`` (the ids), ``review_vector`` (the model) and ``train_step``
    (the loop), one with the library's (``Vocab.encode``, ``LSTMClassifier``, ``train.train_step``). Both are then
    tested on the same ``profile.exercise_n_test`` test reviews with the library's ``evaluate``. Until your three
    pieces pass their checks, only the library's model is trained."""
    import time

    import course
    from course.stats import paired_bootstrap_difference

    from .data import ReviewDataset, make_loader
    from .model import LSTMConfig
    from .recipes import LSTM_LR, build_model, build_vocab
    from .train import evaluate, to_device
    from .train import train_step as library_step

    checks = run_all(lookup, review_vector, train_step, quiet=True)
    missing = [c.name for c in checks if not c.passed]
    imdb = course.load_imdb(profile)
    train_split = course.stratified_subset(imdb["train"], profile.exercise_n_train, profile.seed)
    test_split = imdb["test"]
    if profile.exercise_n_test is not None and profile.exercise_n_test < len(test_split):
        test_split = course.stratified_subset(test_split, profile.exercise_n_test, profile.seed)
    vocab = build_vocab(train_split, profile)
    device = course.get_device()
    if device.type == "cpu":
        torch.set_flush_denormal(True)  # as fit() does: the LSTM's backward pass is many times slower on denormals
    epochs = profile.lstm_epochs
    loss_fn = nn.CrossEntropyLoss()

    def train_and_test(encoder, model, step):
        data = {name: ReviewDataset.from_hf(split, encoder, profile.lstm_max_tokens, profile.lstm_head_tokens)
                for name, split in (("train", train_split), ("test", test_split))}
        loader = make_loader(data["train"], profile.lstm_batch_size, shuffle=True, seed=profile.seed)
        model.to(device)
        optimizer = torch.optim.Adam(model.parameters(), lr=LSTM_LR)
        torch.manual_seed(profile.seed)  # the same dropout masks for both models, batch for batch
        start = time.perf_counter()
        for _ in range(epochs):
            for batch in loader:
                step(model, to_device(batch, device), optimizer, loss_fn)
        seconds = time.perf_counter() - start
        test = evaluate(model, make_loader(data["test"], 256, shuffle=False), progress=progress, device=device)
        return {"accuracy": test.accuracy, "correct": test.predictions == test.labels, "seconds": seconds,
                "ids": [x.tolist() for split in ("train", "test") for x in data[split].ids]}

    library_model = build_model(vocab, profile)
    start_weights = {k: v.clone() for k, v in library_model.state_dict().items()}
    library = train_and_test(vocab, library_model, lambda m, b, o, f: library_step(m, b, o, f)[0])
    result = Comparison(library, None, len(train_split), len(test_split), epochs, missing)
    if missing:
        return result
    config = LSTMConfig(len(vocab), profile.lstm_embed_dim, profile.lstm_hidden, pad_id=vocab.pad_id)
    your_model = _your_model(config, review_vector)
    your_model.load_state_dict(start_weights)  # strict: the very same starting weights
    result.same_start = all(torch.equal(a, b) for a, b in zip(your_model.state_dict().values(), start_weights.values()))
    result.yours = train_and_test(_YourVocab(vocab, lookup), your_model, train_step)
    result.same_ids = result.yours["ids"] == library["ids"]
    result.difference = paired_bootstrap_difference(result.yours["correct"], library["correct"])
    return result
