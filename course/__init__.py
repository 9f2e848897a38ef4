"""Plumbing every chapter shares: profiles, data and model sources, seeding, devices, where artifacts live.

It knows nothing of LSTMs or RoBERTa and imports no other course package (ARCHITECTURE.md, "Layers").
"""
from .chapter import start_chapter
from .data import IMDB_ID, IMDB_LABELS, SST2_ID, label_names, load_imdb, load_sst2, stratified_subset
from .paths import ARTIFACTS_ENV, KEEP_HINT, REPO_ROOT, artifacts_dir, artifacts_root, portable_name
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
    "ARTIFACTS_ENV", "KEEP_HINT", "IMDB_ID", "IMDB_LABELS", "REPO_ROOT", "MIRROR_ENV", "PROFILES", "Profile", "Resolved", "SST2_ID", "SourceNotFoundError",
    "artifacts_dir", "artifacts_root", "describe_device", "from_pretrained", "get_device", "get_profile", "label_names", "load_hub_dataset",
    "load_imdb", "portable_name", "load_sst2", "resolve", "resolve_dataset", "resolve_model", "seed_everything",
    "start_chapter", "stratified_subset",
]
