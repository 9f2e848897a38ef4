"""Checks for the beginner exercise (chapter 04). Each check calls the learner's function on small inputs and
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
    if not isinstance(got, torch.Tensor):
        return _report(name, WRONG, f"return a tensor, not a {type(got).__name__}.", quiet)
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
        return _report(name, WRONG, "the model was left in eval mode; call model.train() in a training step "
                       "(dropout must be on while training).", quiet)
    return _report(name, PASSED, "forward, loss, backward, step, and the gradients are reset every time.", quiet)


def run_all(lookup, review_vector, train_step, quiet: bool = False) -> list[CheckResult]:
    return [check_lookup(lookup, quiet), check_review_vector(review_vector, quiet),
            check_train_step(train_step, quiet)]
