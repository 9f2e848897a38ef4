"""What the first cell of every chapter calls: report the profile, the device, what the chapter computes and how
long that takes here; give GPU advice; seed."""
from __future__ import annotations

import sys

from .profiles import Profile, get_profile


def in_colab() -> bool:
    return "google.colab" in sys.modules


def start_chapter(profile_name: str | None = None, chapter: str | None = None) -> Profile:
    """Print the profile and the sizes it chose, the device, GPU advice, and (when the chapter is known) what it
    computes and a time estimate that says whether it was measured or computed; seed; return the profile.

    ``chapter``: the notebook's name (``"04_lstm"`` or a path to it). Without it the chapter is taken from the
    kernel where it can tell (:func:`course.estimates.current_chapter`); where it cannot, no estimate is printed.
    """
    import torch

    from .estimates import HARDWARE, current_chapter, describe
    from .runtime import describe_device, get_device, seed_everything

    profile = get_profile(profile_name)
    print(profile.describe())
    print(f"Device: {describe_device()}; PyTorch {torch.__version__}")
    device = get_device()
    hardware = HARDWARE.get(profile.name)
    if not torch.cuda.is_available() and hardware is not None and hardware.kind == "cuda":
        print(f"Warning: the '{profile.name}' profile expects a GPU and will be very slow here. "
              "Set COURSE_PROFILE=quick.")
    if in_colab() and not torch.cuda.is_available():
        print("Tip: no GPU in this Colab session. Runtime > Change runtime type > T4 GPU, then run this cell again.")
    chapter = chapter or current_chapter()
    if chapter:
        name = torch.cuda.get_device_name(0) if device.type == "cuda" else ""
        text = describe(chapter, profile, device.type, name)
        if text:
            print(text)
    if profile.name == "ci":
        from .book import ci_notice

        ci_notice(profile)
    seed_everything(profile.seed)
    return profile
