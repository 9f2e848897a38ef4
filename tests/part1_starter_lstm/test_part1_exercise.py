"""Part 1, the beginner exercise (chapter 04) in both directions: the shipped stubs report "not done yet"
without crashing, the hidden solutions pass every check, and wrong answers get the intended message."""
from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
import torch
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from starter_lstm.exercise import (NOT_DONE, PASSED, WRONG, check_glove_rows, check_lookup, check_review_vector,
                                   check_train_step, compare_with_library)

NOTEBOOK = Path(__file__).resolve().parents[2] / "chapters" / "part1_starter_lstm" / "05_exercise.ipynb"
STUBS = ("lookup", "review_vector", "train_step", "glove_rows")


HIDDEN = re.compile(r"<details>\n<summary>Show the solution</summary>\n\n")


def cells():
    return json.loads(NOTEBOOK.read_text(encoding="utf-8"))["cells"]


def solutions() -> dict:
    """Execute the code blocks inside the notebook's hidden solutions (HTML <details>); return the functions defined."""
    namespace = {}
    exec("import torch\nfrom torch import nn\nfrom torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence",
         namespace)
    blocks = []
    for cell in cells():
        source = "".join(cell["source"])
        if cell["cell_type"] == "markdown" and HIDDEN.match(source):
            blocks += re.findall(r"```python\n(.*?)```", source, flags=re.S)
    assert len(blocks) == len(STUBS), "expected one hidden solution per stub"
    for block in blocks:
        exec(block, namespace)
    return {name: namespace[name] for name in STUBS}


def test_solutions_are_hidden_until_asked_for():
    for cell in cells():
        source = "".join(cell["source"])
        if cell["cell_type"] == "code":
            assert "stoi.get(" not in source and "loss.backward()" not in source, \
                "a solution leaked into a code cell: " + source[:80]
    # HTML <details> renders closed in the book and in Colab alike (a MyST {dropdown} shows as plain text in Colab)
    hidden = [c for c in cells() if c["cell_type"] == "markdown" and HIDDEN.match("".join(c["source"]))]
    assert len(hidden) == len(STUBS)
    assert all("".join(c["source"]).rstrip().endswith("</details>") for c in hidden)
    assert not any("{dropdown}" in "".join(c["source"]) for c in cells())


def test_solutions_pass_every_check():
    sol = solutions()
    assert check_lookup(sol["lookup"], quiet=True).status == PASSED
    assert check_review_vector(sol["review_vector"], quiet=True).status == PASSED
    assert check_train_step(sol["train_step"], quiet=True).status == PASSED
    assert check_glove_rows(sol["glove_rows"], quiet=True).status == PASSED


def test_untouched_stubs_report_not_done_yet():
    def stub(*args):
        raise NotImplementedError

    for check in (check_lookup, check_review_vector, check_train_step, check_glove_rows):
        result = check(stub, quiet=True)
        assert result.status == NOT_DONE and "not done yet" in result.message


def test_shipped_notebook_runs_and_every_check_says_not_done_yet():
    """Execute the notebook exactly as shipped (ci profile): no error, and each check reports NOT DONE YET."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(NOTEBOOK, as_version=4)
    env_backup = dict(os.environ)
    os.environ.setdefault("COURSE_PROFILE", "ci")
    os.environ["PYTHONPATH"] = str(NOTEBOOK.parents[2]) + os.pathsep + os.environ.get("PYTHONPATH", "")
    try:
        NotebookClient(nb, timeout=300, kernel_name="python3",
                       resources={"metadata": {"path": str(NOTEBOOK.parent)}}).execute()
    finally:
        os.environ.clear()
        os.environ.update(env_backup)
    text = "\n".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []))
    assert text.count("[NOT DONE YET]") == len(STUBS), text
    assert "[PASSED]" not in text and "NOT YET RIGHT" not in text
    assert "0 of 3 required pieces done; the optional piece: not done yet" in text
    markdown = "\n".join(o.get("data", {}).get("text/markdown", "") for c in nb.cells if c.cell_type == "code"
                         for o in c.get("outputs", []))
    assert "Your model is not trained yet" in markdown  # the payoff trained the library's model only
    assert re.search(r"the library's model: test accuracy 0\.\d{3}", text)


@pytest.mark.parametrize("wrong, expected", [
    (lambda stoi, tokens, unk: [stoi[t] for t in tokens], "KeyError"),
    (lambda stoi, tokens, unk: [stoi.get(t, 0) for t in tokens], "unk_id = 1"),
    (lambda stoi, tokens, unk: torch.tensor([stoi.get(t, unk) for t in tokens]).float().tolist(), "Python int"),
    (lambda stoi, tokens, unk: [stoi.get(t, unk) for t in tokens[:-1]], "exactly one id per token"),
])
def test_wrong_lookup_gets_the_intended_message(wrong, expected):
    result = check_lookup(wrong, quiet=True)
    assert result.status == WRONG and expected in result.message, result.message


def _no_packing(lstm, embedded, lengths):
    return lstm(embedded)[0].max(dim=1).values


def _packed_outputs(lstm, embedded, lengths, padding_value=0.0):
    packed = pack_padded_sequence(embedded, lengths.cpu(), batch_first=True, enforce_sorted=False)
    return pad_packed_sequence(lstm(packed)[0], batch_first=True, padding_value=padding_value)[0]


def _last_state(lstm, embedded, lengths):
    packed = pack_padded_sequence(embedded, lengths.cpu(), batch_first=True, enforce_sorted=False)
    _, (h_n, _) = lstm(packed)
    return torch.cat([h_n[-2], h_n[-1]], dim=1)


@pytest.mark.parametrize("wrong, expected", [
    (_no_packing, "read the padding"),
    (lambda lstm, e, n: _packed_outputs(lstm, e, n).max(dim=1).values, "padding_value=float('-inf')"),
    (_last_state, "final states (h_n)"),
    (lambda lstm, e, n: _packed_outputs(lstm, e, n).sum(dim=1) / n[:, None].float(), "mean-pooling"),
    (lambda lstm, e, n: lstm(e)[1][0], "That is h_n"),
    (lambda lstm, e, n: lstm(e)[0], "outputs at every position"),
    (lambda lstm, e, n: _packed_outputs(lstm, e, n, float("-inf")).max(dim=2).values, "over the features"),
    (lambda lstm, e, n: _packed_outputs(lstm, e, n, float("-inf")).max(dim=0).values, "over the batch"),
    (lambda lstm, e, n: _packed_outputs(lstm, e, n, float("-inf")).max(dim=1).values[:, :3], "expected shape"),
    (lambda lstm, e, n: _no_packing(lstm, e, n).double(), "float32"),
    (lambda lstm, e, n: lstm(e[..., :2]), "raised RuntimeError"),
    (lambda lstm, e, n: _packed_outputs(lstm, e, n, float("-inf")).max(dim=1), ".values and its .indices"),
    (lambda lstm, e, n: [_packed_outputs(lstm, e, n, float("-inf")).max(dim=1).values], "one tensor"),
])
def test_wrong_review_vector_gets_the_intended_message(wrong, expected):
    result = check_review_vector(wrong, quiet=True)
    assert result.status == WRONG and expected in result.message, result.message


def _no_zero_grad(model, batch, optimizer, loss_fn):
    ids, lengths, labels = batch
    model.train()
    loss = loss_fn(model(ids, lengths), labels)
    loss.backward()
    optimizer.step()
    return loss.item()


def _no_step(model, batch, optimizer, loss_fn):
    ids, lengths, labels = batch
    optimizer.zero_grad()
    loss = loss_fn(model(ids, lengths), labels)
    loss.backward()
    return loss.item()


def _returns_tensor(model, batch, optimizer, loss_fn):
    optimizer.zero_grad()
    loss = loss_fn(model(batch[0], batch[1]), batch[2])
    loss.backward()
    optimizer.step()
    return loss


def _no_train_mode(model, batch, optimizer, loss_fn):
    ids, lengths, labels = batch
    optimizer.zero_grad()
    loss = loss_fn(model(ids, lengths), labels)
    loss.backward()
    optimizer.step()
    return loss.item()


@pytest.mark.parametrize("wrong, expected", [
    (_no_zero_grad, "zero_grad"), (_no_step, "optimizer.step()"), (_returns_tensor, "loss.item()"),
    (_no_train_mode, "call model.train()"),
])
def test_wrong_train_step_gets_the_intended_message(wrong, expected):
    result = check_train_step(wrong, quiet=True)
    assert result.status == WRONG and expected in result.message, result.message


def _glove_unguarded(embedding, stoi, index, vectors):
    for word, i in stoi.items():
        if word in index:
            embedding.weight[i] = torch.as_tensor(vectors[index[word]])  # in place on a leaf that needs grad
    return len(stoi)


def _glove_key_error(embedding, stoi, index, vectors):
    with torch.no_grad():
        for word, i in stoi.items():
            embedding.weight[i] = torch.as_tensor(vectors[index[word]])
    return len(stoi)


def _glove_swapped_numbering(embedding, stoi, index, vectors):
    with torch.no_grad():
        for word, i in stoi.items():
            if word in index:
                embedding.weight[i] = torch.as_tensor(vectors[min(i, len(vectors) - 1)])  # its own id, not GloVe's row
    return sum(w in index for w in stoi)


def _glove_new_tensor(embedding, stoi, index, vectors):
    weight = embedding.weight.detach().clone()
    for word, i in stoi.items():
        if word in index:
            weight[i] = torch.as_tensor(vectors[index[word]])
    embedding.weight = torch.nn.Parameter(weight)
    return sum(w in index for w in stoi)


def _glove_frozen(embedding, stoi, index, vectors):
    with torch.no_grad():
        for word, i in stoi.items():
            if word in index:
                embedding.weight[i] = torch.as_tensor(vectors[index[word]])
    embedding.weight.requires_grad_(False)
    return 3


def _glove_zeros_unknown(embedding, stoi, index, vectors):
    with torch.no_grad():
        for word, i in stoi.items():
            embedding.weight[i] = torch.as_tensor(vectors[index[word]]) if word in index else 0.0
    return 3


def _glove_wrong_count(embedding, stoi, index, vectors):
    with torch.no_grad():
        for word, i in stoi.items():
            if word in index:
                embedding.weight[i] = torch.as_tensor(vectors[index[word]])
    return len(stoi)


@pytest.mark.parametrize("wrong, expected", [
    (_glove_unguarded, "torch.no_grad()"), (_glove_key_error, "KeyError"),
    (_glove_swapped_numbering, "GloVe's row number"), (_glove_new_tensor, "replaced by a new tensor"),
    (_glove_frozen, "no longer learns"), (_glove_zeros_unknown, "keep their random start"),
    (_glove_wrong_count, "return how many were copied"), (lambda *a: None, "no row changed"),
])
def test_wrong_glove_rows_gets_the_intended_message(wrong, expected):
    result = check_glove_rows(wrong, quiet=True)
    assert result.status == WRONG and expected in result.message, result.message


def _tiny_profile():
    import dataclasses

    import course

    return dataclasses.replace(course.get_profile("ci"), exercise_n_train=300, exercise_n_test=200, lstm_epochs=2)


def test_the_payoff_trains_your_model_next_to_the_librarys(mirror):
    """With the solutions, your model is trained from the library's starting weights on the same ids, and ends
    within noise of the library's (the two differ only by the library's gradient clipping)."""
    sol = solutions()
    result = compare_with_library(sol["lookup"], sol["review_vector"], sol["train_step"], _tiny_profile())
    assert result.missing == [] and result.yours is not None
    assert result.same_ids and result.same_start
    assert (result.n_train, result.n_test, result.epochs) == (300, 200, 2)
    diff, low, high = result.difference
    assert diff == pytest.approx(result.yours["accuracy"] - result.library["accuracy"])
    assert low <= 0 <= high, result.difference
    assert abs(diff) < 0.05


def test_the_payoff_waits_for_the_three_pieces(mirror):
    """A piece that fails its check: only the library's model is trained, and the result names what is missing."""
    sol = solutions()
    wrong = lambda lstm, e, n: lstm(e)[0].max(dim=1).values  # reads the padding
    result = compare_with_library(sol["lookup"], wrong, sol["train_step"], _tiny_profile())
    assert result.yours is None and result.difference is None
    assert result.missing == ["one vector per review (packing + max-pooling)"]
    assert 0.0 <= result.library["accuracy"] <= 1.0 and result.library["seconds"] > 0
