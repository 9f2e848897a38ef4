"""One explicit training loop, on Hugging Face ``accelerate``.

The same code runs on a CPU, on one GPU with mixed precision, and on several GPUs with
``accelerate launch --multi_gpu --num_processes N script.py`` (Accelerate places the model and batches, shards the
data, and gathers the predictions for the metrics). Several CPU processes work too:
``ACCELERATE_USE_CPU=1 torchrun --nproc_per_node 2 script.py`` (tests/part2_roberta_transfer/test_part2_multiprocess.py checks that two
processes end with identical weights and evaluate every example exactly once). The loop is written out in :func:`train` so that a reader can follow every step:

    for each epoch:
        for each batch:                         (with accelerator.accumulate: one optimiser step per k batches)
            logits = model(**inputs); loss = cross_entropy(logits, labels)
            accelerator.backward(loss)          (scales the loss under fp16)
            clip gradients; AdamW step; linear warm-up/decay schedule step; zero gradients
        evaluate on the validation set; keep a copy of the weights if they are the best so far
    restore the best weights

It trains whatever module it is given, as long as ``module(**batch_without_labels_and_index)`` returns logits:
the full classifier (batches of ``input_ids``/``attention_mask``) or just its head (batches of cached
``features``).
"""
from __future__ import annotations

import math
import time

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from course.run_results import EvalResult, TrainResult

from .freezing import count_trainable

_NOT_INPUTS = ("labels", "index")


def mixed_precision_for(cuda_available: bool, capability: tuple[int, int] | None = None) -> str:
    """The mixed precision for a machine: ``"bf16"``, ``"fp16"`` or ``"no"``.

    bf16 only where the GPU computes it natively: compute capability 8.0 and newer (A100, L4, A10, RTX 30xx and
    later, H100). Older GPUs get fp16 with loss scaling: a T4 is 7.5, and ``torch.cuda.is_bf16_supported()`` says
    True there because PyTorch can emulate bf16, slowly. A CPU gets none (``capability`` is then ignored).
    """
    if not cuda_available:
        return "no"
    return "bf16" if capability is not None and tuple(capability) >= (8, 0) else "fp16"


def make_accelerator(mixed_precision: str = "auto", grad_accum_steps: int = 1):
    """An ``Accelerator``. ``mixed_precision="auto"``: :func:`mixed_precision_for` this machine (bf16 on a GPU of
    compute capability 8.0 or newer, fp16 on older GPUs such as Colab's T4, none on a CPU)."""
    from accelerate import Accelerator

    if mixed_precision == "auto":
        cuda = torch.cuda.is_available()
        mixed_precision = mixed_precision_for(cuda, torch.cuda.get_device_capability() if cuda else None)
    return Accelerator(mixed_precision=mixed_precision, gradient_accumulation_steps=grad_accum_steps)


def _inputs(batch: dict) -> dict:
    return {k: v for k, v in batch.items() if k not in _NOT_INPUTS}


@torch.no_grad()  # not inference_mode: with several processes (DDP) the next training step would then fail
def evaluate(model: nn.Module, loader, accelerator=None, progress: bool = False) -> EvalResult:
    """Accuracy, macro F1 and mean loss of ``model`` on a labelled loader, with predictions in dataset order."""
    from sklearn.metrics import f1_score
    from tqdm.auto import tqdm

    accelerator = accelerator or make_accelerator()
    start = time.perf_counter()
    model = model.to(accelerator.device)
    was_training = model.training
    model.eval()
    prepared = accelerator.prepare_data_loader(loader, device_placement=True)
    logits_all, labels_all, index_all = [], [], []
    for batch in tqdm(prepared, desc="evaluating", disable=not progress, leave=False):
        logits = model(**_inputs(batch)).float()
        logits, labels, index = accelerator.gather_for_metrics((logits, batch["labels"], batch["index"]))
        logits_all.append(logits.cpu()); labels_all.append(labels.cpu()); index_all.append(index.cpu())
    model.train(was_training)
    logits = torch.cat(logits_all); labels = torch.cat(labels_all); index = torch.cat(index_all)
    order = torch.argsort(index)
    logits, labels = logits[order], labels[order]
    loss = float(F.cross_entropy(logits, labels))
    probs = logits.softmax(-1).numpy()
    preds = probs.argmax(-1)
    y = labels.numpy()
    return EvalResult(accuracy=float((preds == y).mean()), f1=float(f1_score(y, preds, average="macro")),
                      loss=loss, predictions=preds, labels=y, probabilities=probs,
                      seconds=time.perf_counter() - start)


@torch.no_grad()  # not inference_mode: with several processes (DDP) the next training step would then fail
def extract_features(model, loader, accelerator=None, progress: bool = True) -> torch.Tensor:
    """The pooled encoder output for every example of ``loader``, in dataset order (``[N, hidden_size]``, float32, CPU).

    With a frozen encoder these vectors never change, so computing them once and training the head on them is
    the same computation as running the frozen encoder every epoch, only much faster.
    """
    from tqdm.auto import tqdm

    accelerator = accelerator or make_accelerator()
    model = model.to(accelerator.device)
    was_training = model.training
    model.eval()
    prepared = accelerator.prepare_data_loader(loader, device_placement=True)
    feats, index_all = [], []
    for batch in tqdm(prepared, desc="features", disable=not progress, leave=False):
        f = model.features(batch["input_ids"], batch["attention_mask"]).float()
        f, index = accelerator.gather_for_metrics((f, batch["index"]))
        feats.append(f.cpu()); index_all.append(index.cpu())
    model.train(was_training)
    feats = torch.cat(feats); index = torch.cat(index_all)
    return feats[torch.argsort(index)].contiguous()


def param_groups(model: nn.Module, weight_decay: float) -> list[dict]:
    """The optimiser's parameter groups: the trainable parameters only, with weight decay on weight matrices and
    none on biases and LayerNorm weights (as in BERT and RoBERTa)."""
    decay, no_decay = [], []
    for name, p in model.named_parameters():
        if not p.requires_grad:
            continue  # frozen: the optimiser never sees it, so it cannot change it
        (no_decay if p.ndim < 2 or "LayerNorm" in name or "layer_norm" in name else decay).append(p)
    return [{"params": decay, "weight_decay": weight_decay}, {"params": no_decay, "weight_decay": 0.0}]


def train(model: nn.Module, train_loader, val_loader=None, *, epochs: int, lr: float, weight_decay: float = 0.01,
          warmup_ratio: float = 0.1, grad_accum_steps: int = 1, max_grad_norm: float = 1.0,
          mixed_precision: str = "auto", keep_best: bool = True, max_steps: int | None = None,
          progress: bool = True, accelerator=None) -> TrainResult:
    """Train the trainable parameters of ``model`` with AdamW and a linear warm-up then linear decay schedule.

    ``grad_accum_steps``: one optimiser step every that many batches (an effective batch of
    ``batch_size * grad_accum_steps`` per process). ``keep_best``: evaluate on ``val_loader`` after each epoch and
    restore, at the end, the weights of the epoch with the best validation accuracy. ``max_steps``: stop after that
    many batches (for throughput measurements). Returns a :class:`TrainResult`; the model is trained in place.
    """
    from transformers import get_linear_schedule_with_warmup
    from tqdm.auto import tqdm

    if epochs < 1:
        raise ValueError(f"epochs must be at least 1, not {epochs}")
    trainable = [p for p in model.parameters() if p.requires_grad]
    if not trainable:
        raise ValueError("no parameter of the model is trainable: unfreeze something first (see roberta_transfer.freezing)")
    accelerator = accelerator or make_accelerator(mixed_precision, grad_accum_steps)
    # Optimiser steps over the whole run, counted on the unsharded loader: with several processes Accelerate's
    # scheduler wrapper advances once per process per step, which keeps the schedule right.
    batches_per_epoch = len(train_loader) if max_steps is None else min(len(train_loader), max_steps)
    total_steps = max(1, math.ceil(batches_per_epoch / accelerator.gradient_accumulation_steps) * epochs)
    optimizer = torch.optim.AdamW(param_groups(model, weight_decay), lr=lr)
    scheduler = get_linear_schedule_with_warmup(optimizer, int(warmup_ratio * total_steps), total_steps)
    model, optimizer, train_dl, scheduler = accelerator.prepare(model, optimizer, train_loader, scheduler)
    result = TrainResult(trainable_parameters=count_trainable(accelerator.unwrap_model(model)).trainable)
    best_state, best_acc = None, -1.0
    real = total = seen = 0
    start = time.perf_counter()
    train_seconds = 0.0
    for epoch in range(1, epochs + 1):
        model.train()
        if hasattr(train_dl, "set_epoch"):
            train_dl.set_epoch(epoch)
        epoch_start = time.perf_counter()
        losses = []
        bar = tqdm(train_dl, desc=f"epoch {epoch}/{epochs}", disable=not progress or not accelerator.is_local_main_process, leave=False)
        for step, batch in enumerate(bar):
            if max_steps is not None and step >= max_steps:
                break
            with accelerator.accumulate(model):
                logits = model(**_inputs(batch))
                loss = F.cross_entropy(logits.float(), batch["labels"])
                accelerator.backward(loss)
                if accelerator.sync_gradients and max_grad_norm:
                    accelerator.clip_grad_norm_(model.parameters(), max_grad_norm)
                optimizer.step()
                scheduler.step()
                optimizer.zero_grad(set_to_none=True)
            losses.append(loss.item())
            seen += len(batch["labels"]) * accelerator.num_processes
            if "attention_mask" in batch:
                real += int(batch["attention_mask"].sum()); total += batch["attention_mask"].numel()
            if step % 10 == 0:
                bar.set_postfix(loss=f"{np.mean(losses[-20:]):.3f}")
        train_seconds += time.perf_counter() - epoch_start
        row = {"epoch": epoch, "train_loss": round(float(np.mean(losses)), 4),
               "train_seconds": round(time.perf_counter() - epoch_start, 1)}
        if val_loader is not None:
            ev = evaluate(accelerator.unwrap_model(model), val_loader, accelerator)
            row.update(val_accuracy=round(ev.accuracy, 4), val_f1=round(ev.f1, 4), val_loss=round(ev.loss, 4))
            if keep_best and ev.accuracy > best_acc:
                best_acc, result.best_epoch = ev.accuracy, epoch
                best_state = {k: v.detach().to("cpu", copy=True)
                              for k, v in accelerator.unwrap_model(model).state_dict().items()}
        if accelerator.is_main_process and progress:
            print(" ".join(f"{k}={v}" for k, v in row.items()))
        result.history.append(row)
    unwrapped = accelerator.unwrap_model(model)
    if keep_best and best_state is not None:
        unwrapped.load_state_dict(best_state, strict=True)
        result.best_val_accuracy = best_acc
    elif result.history and "val_accuracy" in result.history[-1]:
        result.best_epoch = result.history[-1]["epoch"]
        result.best_val_accuracy = result.history[-1]["val_accuracy"]
    result.seconds = time.perf_counter() - start
    result.train_samples_per_second = seen / train_seconds if train_seconds else 0.0
    result.real_token_share = round(real / total, 4) if total else None
    accelerator.free_memory()
    return result
