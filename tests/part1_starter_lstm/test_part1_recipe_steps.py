"""Part 1's recipe is chapter 04's steps: run them as the chapter does (with its look at one training batch in
between) and as ``train_lstm_checkpoint`` does, on a few hundred IMDb reviews, and get the same checkpoint: every
weight identical, the same config apart from the training time."""
from __future__ import annotations

import dataclasses
import json

import torch
from safetensors.torch import load_file

import course
from starter_lstm import evaluate, fit
from starter_lstm.recipes import (LSTM_LR, build_model, lstm_data, lstm_loaders, save_lstm,
                                  train_lstm_checkpoint)

TINY = dataclasses.replace(course.get_profile("ci"), n_train=240, n_val=48, n_test=48, lstm_epochs=2)


def chapter_04(profile, directory):
    """The chapter's cells, in order, without their printing and plotting."""
    imdb, vocab, data = lstm_data(profile)
    train_loader, val_loader, test_loader = lstm_loaders(data, profile)
    next(iter(lstm_loaders(data, profile)[0]))  # the chapter looks at one batch, from a second loader
    model = build_model(vocab, profile)
    device = course.get_device()
    trained = fit(model, train_loader, val_loader, epochs=profile.lstm_epochs, lr=LSTM_LR, device=device,
                  progress=False)
    test = evaluate(model, test_loader, device=device, progress=False)
    save_lstm(directory, model, vocab, profile, test=test, trained=trained, n_train=len(data["train"]))


def _config(directory):
    config = json.loads((directory / "config.json").read_text())
    config["metrics"].pop("train_seconds")
    return config


def test_chapter_04_and_its_recipe_make_the_same_checkpoint(tmp_path):
    course.seed_everything(TINY.seed)
    chapter_04(TINY, tmp_path / "chapter")
    course.seed_everything(TINY.seed)
    train_lstm_checkpoint(TINY, tmp_path / "recipe", progress=False)
    page, recipe = load_file(tmp_path / "chapter" / "model.safetensors"), load_file(tmp_path / "recipe" / "model.safetensors")
    assert set(page) == set(recipe)
    assert all(torch.equal(page[k], recipe[k]) for k in page)
    assert _config(tmp_path / "chapter") == _config(tmp_path / "recipe")
    assert (tmp_path / "chapter" / "vocab.json").read_bytes() == (tmp_path / "recipe" / "vocab.json").read_bytes()


def test_drawing_from_the_training_loader_itself_would_change_the_model(tmp_path):
    """Why the chapter looks at a batch through a second loader: the sampler counts epochs."""
    course.seed_everything(TINY.seed)
    imdb, vocab, data = lstm_data(TINY)
    first = lstm_loaders(data, TINY)[0]
    second = lstm_loaders(data, TINY)[0]
    next(iter(second))
    assert [b[0].tolist() for b in first] != [b[0].tolist() for b in second]
