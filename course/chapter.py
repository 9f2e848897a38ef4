"""What the first cell of every chapter calls: report the profile and device, give GPU advice, seed."""
from __future__ import annotations

import sys

from .profiles import Profile, get_profile


def in_colab() -> bool:
    return "google.colab" in sys.modules


def start_chapter(profile_name: str | None = None) -> Profile:
    """Print the profile and the sizes it chose, the device, and GPU advice; return the profile."""
    import torch

    from .runtime import describe_device, seed_everything

    profile = get_profile(profile_name)
    print(profile.describe())
    print(f"Device: {describe_device()}; PyTorch {torch.__version__}")
    if not torch.cuda.is_available() and profile.name == "full":
        print("Warning: the 'full' profile expects a GPU and will be very slow here. Set COURSE_PROFILE=quick.")
    if in_colab() and not torch.cuda.is_available():
        print("Tip: no GPU in this Colab session. Runtime > Change runtime type > T4 GPU, then run this cell again.")
    seed_everything(profile.seed)
    return profile
