"""Part 1 on a device: fit, evaluate, train_step, predict and train_and_test put the model and every batch where
they are told (default ``course.get_device()``), keep the lengths on the CPU, and change nothing on a CPU.

Without a GPU the "other device" is PyTorch's ``meta`` device: tensors with a shape and no data. A probe model
checks, at its first forward pass, that its inputs are on the same device as its weights and then stops the run
with ``Reached``. A function that forgot to move the model or a batch fails that check instead.
"""
from __future__ import annotations

import pytest
import torch
from torch import nn
from tqdm.auto import tqdm

import course
import starter_lstm.recipes as recipes
from starter_lstm import (LSTMClassifier, LSTMConfig, ReviewDataset, Vocab, evaluate, fit, make_loader, predict,
                          train_step)

META = torch.device("meta")
TEXTS = ["A great movie! I loved it.", "Terrible film, I hated it.", "great acting, great story",
         "awful, boring and terrible", "a wonderful, moving film", "dull and far too long"]
LABELS = [1, 0, 1, 0, 1, 0]


class Reached(Exception):
    """The probe saw its inputs on the right device."""


class DeviceProbe(nn.Module):
    """A tiny classifier that asserts its inputs are where its weights are (and the lengths on the CPU)."""

    def __init__(self, vocab_size: int, stop: bool = True):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, 4)
        self.out = nn.Linear(4, 2)
        self.stop = stop
        self.seen: list[torch.device] = []

    def forward(self, input_ids, lengths=None):
        here = self.out.weight.device
        assert input_ids.device == here, f"input_ids on {input_ids.device}, but the model is on {here}"
        assert lengths is None or lengths.device.type == "cpu", f"lengths on {lengths.device}: packing wants the CPU"
        self.seen.append(input_ids.device)
        if self.stop:
            raise Reached
        return self.out(self.embedding(input_ids).mean(dim=1))


def data():
    vocab = Vocab.build(TEXTS, min_freq=1)
    ds = ReviewDataset(TEXTS * 4, LABELS * 4, vocab, max_tokens=20)
    return vocab, make_loader(ds, 4, shuffle=True, seed=1), make_loader(ds, 8, shuffle=False)


def test_fit_puts_the_model_and_every_batch_on_the_device_it_is_given():
    vocab, train_loader, val_loader = data()
    probe = DeviceProbe(len(vocab))
    with pytest.raises(Reached):
        fit(probe, train_loader, val_loader, epochs=1, progress=False, device="meta")
    assert probe.out.weight.device == META and probe.seen == [META]


def test_train_step_moves_ids_and_labels_to_the_model_and_keeps_lengths_on_the_cpu():
    vocab, train_loader, _ = data()
    probe = DeviceProbe(len(vocab), stop=False).to(META)
    batch = next(iter(train_loader))
    assert all(t.device.type == "cpu" for t in batch)

    def loss_fn(logits, labels):
        assert logits.device == META and labels.device == META, (logits.device, labels.device)
        raise Reached

    for device in (None, META):  # None: wherever the model is
        with pytest.raises(Reached):
            train_step(probe, batch, torch.optim.SGD(probe.parameters(), lr=0.1), loss_fn, device=device)


def test_evaluate_and_predict_put_the_model_and_batches_on_the_device_they_are_given():
    vocab, _, val_loader = data()
    probe = DeviceProbe(len(vocab))
    with pytest.raises(Reached):
        evaluate(probe, val_loader, progress=False, device=META)
    assert probe.out.weight.device == META
    probe = DeviceProbe(len(vocab))
    with pytest.raises(Reached):
        predict(probe, vocab, ["a great film"], device="meta")
    assert probe.out.weight.device == META


def test_the_default_device_is_course_get_device(monkeypatch):
    monkeypatch.setattr(course, "get_device", lambda prefer=None: META)
    vocab, train_loader, val_loader = data()
    for run in (lambda m: fit(m, train_loader, val_loader, epochs=1, progress=False),
                lambda m: evaluate(m, val_loader, progress=False),
                lambda m: predict(m, vocab, "a great film")):
        probe = DeviceProbe(len(vocab))
        with pytest.raises(Reached):
            run(probe)
        assert probe.out.weight.device == META and probe.seen == [META]


def test_train_and_test_passes_its_device_on(monkeypatch):
    from datasets import Dataset

    vocab, _, _ = data()
    split = Dataset.from_dict({"text": TEXTS, "label": LABELS})
    probes = []

    def build_probe(*args, **kwargs):
        probes.append(DeviceProbe(len(vocab)))
        return probes[-1]

    monkeypatch.setattr(recipes, "build_model", build_probe)
    with pytest.raises(Reached):
        recipes.train_and_test({"train": split, "validation": split, "test": split}, vocab, course.get_profile("ci"),
                               epochs=1, progress=False, device="meta")
    assert probes[0].out.weight.device == META and probes[0].seen == [META]


def test_on_the_cpu_everything_runs_there_with_an_explicit_device():
    vocab, train_loader, val_loader = data()
    probe = DeviceProbe(len(vocab), stop=False)
    trained = fit(probe, train_loader, val_loader, epochs=2, progress=False, device=torch.device("cpu"))
    assert len(trained.history) == 2 and set(probe.seen) == {torch.device("cpu")}
    result = evaluate(probe, val_loader, progress=False, device="cpu")
    assert isinstance(result.probabilities, type(result.labels)) and result.probabilities.shape == (len(TEXTS) * 4, 2)
    assert predict(probe, vocab, "a great film", device="cpu")[0]["label"] in ("negative", "positive")


def test_fit_on_the_cpu_is_exactly_the_plain_training_loop():
    """The device handling adds nothing on a CPU: fit's weights equal, bit for bit, a loop without any of it."""
    vocab, _, val_loader = data()
    ds = ReviewDataset(TEXTS * 4, LABELS * 4, vocab, max_tokens=20)

    def fresh():
        torch.manual_seed(0)
        return LSTMClassifier(LSTMConfig(len(vocab), embed_dim=8, hidden_size=6, pad_id=vocab.pad_id))

    by_fit = fresh()
    fit(by_fit, make_loader(ds, 4, shuffle=True, seed=3), val_loader, epochs=2, keep_best=False, progress=False,
        device="cpu")

    by_hand = fresh()
    loader = make_loader(ds, 4, shuffle=True, seed=3)
    optimizer, loss_fn = torch.optim.Adam(by_hand.parameters(), lr=2e-3), nn.CrossEntropyLoss()
    for _ in range(2):
        # fit wraps the loader in tqdm.auto, whose asyncio flavour starts one iterator of its own (a draw from the
        # global RNG, and the sampler moves on an epoch): wrap it the same way
        for input_ids, lengths, labels in tqdm(loader, disable=True):
            by_hand.train()
            optimizer.zero_grad()
            loss_fn(by_hand(input_ids, lengths), labels).backward()
            nn.utils.clip_grad_norm_(by_hand.parameters(), 1.0)
            optimizer.step()
        for _ in tqdm(val_loader, disable=True):  # fit validates after each epoch (iterating draws from the RNG)
            pass
    a, b = by_fit.state_dict(), by_hand.state_dict()
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert all(v.device.type == "cpu" for v in a.values())


def test_fit_and_evaluate_return_the_course_result_types_that_part_2_returns():
    """One word per thing: Part 1's fit and evaluate return TrainResult and EvalResult, shaped as Part 2's."""
    from course.run_results import HISTORY_KEYS, EvalResult, TrainResult
    from roberta_transfer import EvalResult as Part2Eval, TrainResult as Part2Train

    assert (EvalResult, TrainResult) == (Part2Eval, Part2Train)
    vocab, train_loader, val_loader = data()
    probe = DeviceProbe(len(vocab), stop=False)
    trained = fit(probe, train_loader, val_loader, epochs=3, progress=False, device="cpu")
    assert isinstance(trained, TrainResult) and [r["epoch"] for r in trained.history] == [1, 2, 3]
    assert all(set(HISTORY_KEYS) <= set(row) for row in trained.history)
    best = max(trained.history, key=lambda r: r["val_accuracy"])  # the first of the best, as fit keeps it
    assert (trained.best_epoch, trained.best_val_accuracy) == (best["epoch"], best["val_accuracy"])
    assert trained.trainable_parameters == sum(p.numel() for p in probe.parameters()) and trained.seconds > 0
    result = evaluate(probe, val_loader, progress=False, device="cpu")
    assert isinstance(result, EvalResult) and (result.predictions == result.probabilities.argmax(1)).all()
    assert result.accuracy == (result.predictions == result.labels).mean() and 0 <= result.f1 <= 1
    assert result.probabilities.sum(1) == pytest.approx(1.0, abs=1e-5)
