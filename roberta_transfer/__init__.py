"""Part 2: a pretrained encoder (RoBERTa, or the offline stand-in) plus added layers, trained in two stages.

Public interface (Part 3 relies on the first three):

- :func:`save_checkpoint` / :func:`load_checkpoint`: strict safetensors checkpoints with a JSON config;
- ``model(input_ids, attention_mask) -> logits`` (:class:`SentimentClassifier`);
- :func:`truncate_head_tail`: the documented head+tail truncation rule;
- freezing helpers, the accelerate training loop, length-grouped dynamic padding, the stage pipeline.
"""
from .checkpoint import (CheckpointMismatchError, build_from_config, check_state_dict, load_checkpoint, load_weights, read_config,
                         save_checkpoint, tensors_equal)
from .data import (LengthGroupedBatchSampler, PadCollator, encode_texts, feature_loader, load_tweets, make_loader,
                   real_token_share, repair_text, tokenize_dataset, truncate_head_tail)
from .freezing import (ParamCount, count_trainable, encoder_layers, freeze_encoder, unfreeze_all, unfreeze_embeddings,
                       unfreeze_top_layers)
from .model import ClassificationHead, HeadSpec, SentimentClassifier, build_classifier, grow_head, mean_pool
from .training import EvalResult, TrainResult, evaluate, extract_features, make_accelerator, train

__all__ = [
    "CheckpointMismatchError", "ClassificationHead", "EvalResult", "HeadSpec", "LengthGroupedBatchSampler",
    "PadCollator", "ParamCount", "SentimentClassifier", "TrainResult", "build_classifier", "build_from_config", "check_state_dict",
    "count_trainable", "encode_texts", "encoder_layers", "evaluate", "extract_features", "feature_loader",
    "freeze_encoder", "grow_head", "load_checkpoint", "load_tweets", "load_weights", "make_accelerator",
    "make_loader", "mean_pool", "read_config", "real_token_share", "repair_text", "save_checkpoint",
    "tensors_equal", "tokenize_dataset", "train", "truncate_head_tail", "unfreeze_all", "unfreeze_embeddings",
    "unfreeze_top_layers",
]
