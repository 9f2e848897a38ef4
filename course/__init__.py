"""Plumbing every chapter shares: profiles, data and model sources, seeding, devices, plots.

It knows nothing of LSTMs or RoBERTa (DESIGN.md section 1).
"""
from .chapter import start_chapter
from .data import IMDB_ID, SST2_ID, label_names, load_imdb, load_sst2, stratified_subset
from .profiles import PROFILES, Profile, get_profile
from .runtime import describe_device, get_device, seed_everything
from .sources import (
    MIRROR_ENV,
    Resolved,
    SourceNotFoundError,
    from_pretrained,
    load_hub_dataset,
    resolve,
    resolve_dataset,
    resolve_model,
)

__all__ = [
    "IMDB_ID", "MIRROR_ENV", "PROFILES", "Profile", "Resolved", "SST2_ID", "SourceNotFoundError",
    "describe_device", "from_pretrained", "get_device", "get_profile", "label_names", "load_hub_dataset",
    "load_imdb", "load_sst2", "resolve", "resolve_dataset", "resolve_model", "seed_everything",
    "start_chapter", "stratified_subset",
]
