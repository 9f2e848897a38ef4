"""Part 1: a starter LSTM for IMDb sentiment, small and readable.

    vocab.py       tokens and the vocabulary (and the same rule as a Hugging Face tokenizer)
    data.py        datasets, padding, length-bucketed batches
    model.py       the LSTM classifier (packed sequences: padding is never read)
    train.py       one training step, evaluation, a whole fit with a history
    predict.py     predictions for raw text
    checkpoint.py  save / load (safetensors + config.json + vocab.json, strict)
    glove.py       pretrained GloVe vectors for the embedding layer
    recipes.py     what the chapters and the benchmark run: data -> vocabulary -> model -> fit -> test
    exercise.py    the checks of the beginner exercise
"""
from .checkpoint import load_checkpoint, save_checkpoint
from .data import LengthGroupedBatchSampler, PadCollator, ReviewDataset, make_loader, pad_batch
from .glove import GLOVE_DIM, glove_matrix, load_glove, start_from_glove
from .model import LSTMClassifier, LSTMConfig, review_vector
from .predict import LABELS, predict
from .train import EvalResult, TrainResult, evaluate, fit, train_step
from .vocab import PAD, TOKEN_PATTERN, UNK, Vocab, coverage, to_hf_tokenizer, tokenize, truncate

__all__ = [
    "EvalResult", "GLOVE_DIM", "LABELS", "PAD", "TOKEN_PATTERN", "TrainResult", "UNK", "LengthGroupedBatchSampler", "PadCollator", "LSTMClassifier",
    "LSTMConfig", "ReviewDataset", "Vocab", "review_vector", "coverage", "evaluate", "fit", "glove_matrix", "load_checkpoint",
    "load_glove", "make_loader", "pad_batch", "predict", "save_checkpoint", "start_from_glove", "to_hf_tokenizer", "tokenize",
    "train_step", "truncate",
]
