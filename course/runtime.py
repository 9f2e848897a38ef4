"""Seeding and devices."""
from __future__ import annotations

import os
import random

import numpy as np


def seed_everything(seed: int = 42, deterministic: bool = False) -> None:
    """Seed Python, NumPy and PyTorch (CPU and every GPU) so that a chapter gives the same numbers twice."""
    import torch

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.cuda.manual_seed_all(seed)
    os.environ["PYTHONHASHSEED"] = str(seed)
    if deterministic:
        torch.use_deterministic_algorithms(True, warn_only=True)


def get_device(prefer: str | None = None):
    """The best device here: CUDA, then Apple's MPS, then the CPU (or ``prefer`` if given)."""
    import torch

    if prefer:
        return torch.device(prefer)
    if torch.cuda.is_available():
        return torch.device("cuda")
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def describe_device() -> str:
    import torch

    device = get_device()
    if device.type == "cuda":
        props = torch.cuda.get_device_properties(0)
        return (f"GPU: {props.name} ({props.total_memory / 2**30:.0f} GiB, "
                f"compute capability {props.major}.{props.minor})")
    if device.type == "mps":
        return "Apple GPU (MPS)"
    return f"CPU only ({os.cpu_count()} cores, {torch.get_num_threads()} threads for PyTorch)"
