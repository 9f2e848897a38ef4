"""Part 2: a pretrained encoder (RoBERTa, or the offline stand-in) plus added layers, trained in two stages.

Public interface (Part 3's exporter relies on the first two):

- :func:`save_checkpoint` / :func:`load_checkpoint`: strict safetensors checkpoints with a JSON config;
- ``model(input_ids, attention_mask) -> logits`` (:class:`SentimentClassifier`);
- :func:`review_window` / :func:`encode_reviews`: the course's head+tail window (:mod:`serve.window`) for a tokenizer;
- freezing helpers, the accelerate training loop, length-grouped dynamic padding; :mod:`roberta_transfer.recipes`
  holds what the chapters run (the two stages and their checkpoints).
"""
from .checkpoint import (CheckpointMismatchError, build_from_config, check_state_dict, load_checkpoint, load_weights, read_config,
                         save_checkpoint, tensors_equal)
from .data import (LengthGroupedBatchSampler, PadCollator, encode_reviews, feature_loader, load_tweets, make_loader,
                   real_token_share, repair_text, review_window, tokenize_dataset)
from .freezing import (ParamCount, count_trainable, encoder_layers, freeze_encoder, unfreeze_all, unfreeze_embeddings,
                       unfreeze_top_layers)
from .model import ClassificationHead, HeadSpec, SentimentClassifier, build_classifier, grow_head, mean_pool
from .training import EvalResult, TrainResult, evaluate, extract_features, make_accelerator, param_groups, train

__all__ = [
    "CheckpointMismatchError", "ClassificationHead", "EvalResult", "HeadSpec", "LengthGroupedBatchSampler",
    "PadCollator", "ParamCount", "SentimentClassifier", "TrainResult", "build_classifier", "build_from_config", "check_state_dict",
    "count_trainable", "encode_reviews", "encoder_layers", "evaluate", "extract_features", "feature_loader",
    "freeze_encoder", "grow_head", "load_checkpoint", "load_tweets", "load_weights", "make_accelerator",
    "make_loader", "mean_pool", "param_groups", "read_config", "real_token_share", "repair_text", "review_window", "save_checkpoint",
    "tensors_equal", "tokenize_dataset", "train", "unfreeze_all", "unfreeze_embeddings",
    "unfreeze_top_layers",
]
