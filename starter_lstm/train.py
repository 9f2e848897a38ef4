"""Training and evaluation: one step, one epoch, a whole fit with a per-epoch history.

Devices, the PyTorch way: the model and the batch must be on the same device. ``fit`` and ``evaluate`` put the
model on ``device`` (default ``course.get_device()``: the GPU when there is one, else the CPU), and every
batch follows it there (:func:`to_device`). The lengths stay on the CPU, where ``pack_padded_sequence`` wants them.
"""
from __future__ import annotations

import copy
import time

import numpy as np
import torch
from sklearn.metrics import accuracy_score, f1_score
from torch import nn
from torch.utils.data import DataLoader
from tqdm.auto import tqdm

import course
from course.run_results import EvalResult, TrainResult


def to_device(batch, device):
    """``(input_ids, lengths, labels)`` with the ids and labels on ``device``; the lengths stay on the CPU."""
    input_ids, lengths, labels = batch
    return input_ids.to(device), lengths, labels.to(device)


def model_device(model: nn.Module) -> torch.device:
    """Where the model's weights are."""
    return next(model.parameters()).device


def train_step(model: nn.Module, batch, optimizer: torch.optim.Optimizer, loss_fn: nn.Module,
               max_grad_norm: float | None = 1.0, device=None) -> tuple[float, int]:
    """One gradient step on one batch; returns the batch's loss (a Python float) and how many it got right.

    The batch is moved to ``device`` (default: wherever the model is); the model itself is not moved here.
    """
    input_ids, lengths, labels = to_device(batch, device or model_device(model))
    model.train()  # dropout on
    optimizer.zero_grad()  # forget the previous step's gradients
    logits = model(input_ids, lengths)  # [B, 2]
    loss = loss_fn(logits, labels)  # one number: how wrong the batch was
    loss.backward()  # gradients of the loss for every weight
    if max_grad_norm is not None:
        nn.utils.clip_grad_norm_(model.parameters(), max_grad_norm)  # keep LSTM gradients from exploding
    optimizer.step()  # move every weight a little against its gradient
    correct = (logits.argmax(dim=1) == labels).sum().item()
    return loss.item(), correct


@torch.no_grad()
def evaluate(model: nn.Module, loader: DataLoader, loss_fn: nn.Module | None = None,
             desc: str = "evaluate", progress: bool = True, device=None) -> EvalResult:
    """Loss, accuracy and macro F1, with the per-review labels, predictions and class probabilities in dataset order
    (an :class:`~course.run_results.EvalResult`, as Part 2's ``evaluate`` returns).

    The model is put on ``device`` (default ``course.get_device()``) and stays there; the results are on the CPU.
    """
    start = time.perf_counter()
    device = torch.device(device) if device is not None else course.get_device()
    loss_fn = loss_fn or nn.CrossEntropyLoss()
    model.to(device)
    model.eval()  # dropout off
    total_loss, n = 0.0, 0
    labels_all, probs_all = [], []
    for batch in tqdm(loader, desc=desc, leave=False, disable=not progress):
        input_ids, lengths, labels = to_device(batch, device)
        logits = model(input_ids, lengths)
        total_loss += loss_fn(logits, labels).item() * len(labels)
        n += len(labels)
        labels_all.append(labels.cpu())
        probs_all.append(torch.softmax(logits, dim=1).cpu())
    if n == 0:
        raise ValueError("cannot evaluate on an empty loader")
    labels = torch.cat(labels_all).numpy()
    probs = torch.cat(probs_all).numpy()
    preds = probs.argmax(axis=1).astype(np.int64)
    # The bucketing sampler reorders reviews; put them back in dataset order for the chapters.
    order = _dataset_order(loader)
    if order is not None:
        back = np.empty_like(order)
        back[order] = np.arange(len(order))
        labels, probs, preds = labels[back], probs[back], preds[back]
    return EvalResult(accuracy=float(accuracy_score(labels, preds)), f1=float(f1_score(labels, preds, average="macro")),
                      loss=total_loss / n, predictions=preds, labels=labels, probabilities=probs,
                      seconds=time.perf_counter() - start)


def _dataset_order(loader: DataLoader):
    """The dataset indices in the order a (non-shuffling) loader yields them, or None if it is the plain order."""
    if loader.batch_sampler is None or not hasattr(loader.batch_sampler, "lengths"):
        return None
    order = np.array([i for batch in loader.batch_sampler for i in batch])
    if hasattr(loader.batch_sampler, "epoch"):
        loader.batch_sampler.epoch -= 1  # iterating above advanced it; the evaluation pass used the same epoch
    return order


def fit(model: nn.Module, train_loader: DataLoader, val_loader: DataLoader, epochs: int, lr: float = 2e-3,
        weight_decay: float = 0.0, max_grad_norm: float | None = 1.0, keep_best: bool = True,
        progress: bool = True, max_seconds: float | None = None, device=None) -> TrainResult:
    """Train for ``epochs`` epochs with Adam; after each, measure train and validation loss and accuracy.

    The train loss and accuracy of an epoch are averages over its batches, measured while training (with
    dropout on and the weights still changing), so they lag a little behind what the model can do at the end
    of the epoch. Returns a :class:`~course.run_results.TrainResult` (as Part 2's ``train`` does): its ``history``
    has one dict per epoch (``epoch, train_loss, train_accuracy, train_seconds, samples_per_s, val_accuracy, val_f1,
    val_loss``). With ``keep_best`` the model ends with the weights of its best validation epoch
    (early stopping in hindsight; the test set is never looked at). ``max_seconds`` is a training-time budget:
    when it runs out, the current epoch stops early, is validated, and training ends. The model is trained on
    ``device`` (default ``course.get_device()``: the GPU when there is one) and stays there.
    """
    if epochs < 1:
        raise ValueError(f"epochs must be at least 1, not {epochs}")
    device = torch.device(device) if device is not None else course.get_device()
    model.to(device)  # before the optimiser is made: it holds the parameters where they will live
    if device.type == "cpu":
        # Speed on CPUs: gradients flowing back through hundreds of LSTM steps shrink towards "denormal" floats,
        # which x86 CPUs process up to 10x slower. Rounding them to zero changes no result that matters.
        # (A process-wide setting of this thread; it only affects numbers smaller than 1e-38.)
        torch.set_flush_denormal(True)
    loss_fn = nn.CrossEntropyLoss()
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.Adam(params, lr=lr, weight_decay=weight_decay)
    result = TrainResult(trainable_parameters=sum(p.numel() for p in params))
    best_acc, best_state, seen_all, train_seconds = -1.0, None, 0, 0.0
    budget_start = time.perf_counter()
    for epoch in range(1, epochs + 1):
        start, seen, losses, correct = time.perf_counter(), 0, 0.0, 0
        bar = tqdm(train_loader, desc=f"epoch {epoch}/{epochs}", leave=False, disable=not progress)
        for batch in bar:
            loss, right = train_step(model, batch, optimizer, loss_fn, max_grad_norm, device)
            seen += len(batch[2])
            losses += loss * len(batch[2])
            correct += right
            bar.set_postfix(loss=f"{loss:.3f}")
            if max_seconds is not None and time.perf_counter() - budget_start > max_seconds:
                break
        seconds = time.perf_counter() - start
        seen_all, train_seconds = seen_all + seen, train_seconds + seconds
        val = evaluate(model, val_loader, loss_fn, desc="validation", progress=progress, device=device)
        row = {"epoch": epoch, "train_loss": losses / seen, "train_accuracy": correct / seen, "train_seconds": seconds,
               "samples_per_s": seen / seconds, "val_accuracy": val.accuracy, "val_f1": val.f1, "val_loss": val.loss}
        result.history.append(row)
        if progress:
            print(f"epoch {epoch}: train loss {row['train_loss']:.3f}, validation loss {row['val_loss']:.3f}, "
                  f"validation accuracy {row['val_accuracy']:.3f} ({seconds:.0f} s)")
        if keep_best and val.accuracy > best_acc:
            best_acc, best_state, result.best_epoch = val.accuracy, copy.deepcopy(model.state_dict()), epoch
        if max_seconds is not None and time.perf_counter() - budget_start > max_seconds:
            row["stopped_by_time_budget"] = True
            break
    if keep_best and best_state is not None:
        model.load_state_dict(best_state)
        result.best_val_accuracy = best_acc
    else:
        result.best_epoch, result.best_val_accuracy = result.history[-1]["epoch"], result.history[-1]["val_accuracy"]
    result.seconds = time.perf_counter() - budget_start
    result.train_samples_per_second = seen_all / train_seconds if train_seconds else 0.0
    return result
