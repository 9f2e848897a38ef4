"""IMDb and SST-2 as ``datasets`` objects, sized by a profile (stratified, seeded subsets)."""
from __future__ import annotations

import numpy as np
from datasets import Dataset, DatasetDict
from sklearn.model_selection import train_test_split

from .profiles import Profile, get_profile
from .sources import load_hub_dataset

IMDB_ID = "stanfordnlp/imdb"
SST2_ID = "stanfordnlp/sst2"
IMDB_LABELS = ("negative", "positive")  # IMDb's classes 0 and 1, as the course names them (IMDb says neg, pos)


def stratified_subset(ds: Dataset, n: int | None, seed: int, column: str = "label") -> Dataset:
    """A seeded random subset of ``n`` rows with the same label proportions as ``ds`` (all rows if ``n`` is None)."""
    if n is None or n >= len(ds):
        return ds.shuffle(seed=seed)
    if n <= 0:
        raise ValueError(f"a subset needs at least one row, not n={n}")
    keep, _ = _stratified_indices(ds, n, seed, column)
    return ds.select(keep)


def _stratified_indices(ds: Dataset, n_first: int, seed: int, column: str) -> tuple[np.ndarray, np.ndarray]:
    """Row indices of a stratified, seeded split of ``ds`` into ``n_first`` rows and the rest.

    scikit-learn does the splitting on the label column alone, which is much faster than
    ``Dataset.train_test_split(stratify_by_column=...)`` on a large split.
    """
    labels = ds.select_columns([column]).to_pandas()[column].to_numpy()
    first, rest = train_test_split(np.arange(len(ds)), train_size=n_first, stratify=labels, random_state=seed)
    return first, rest


def _split_off(ds: Dataset, n_val: int, seed: int, column: str) -> tuple[Dataset, Dataset]:
    """Split ``ds`` into (rest, validation) with ``n_val`` stratified validation rows, disjoint."""
    val, rest = _stratified_indices(ds, n_val, seed, column)
    return ds.select(rest), ds.select(val)


def load_imdb(profile: Profile | None = None) -> DatasetDict:
    """IMDb (Maas et al., 2011) as train / validation / test, sized by ``profile``.

    Validation is carved out of IMDb's train split, so the 25,000-review test split stays untouched until a
    chapter reports its final numbers. Labels: 0 = negative, 1 = positive.
    """
    profile = profile or get_profile()
    raw = load_hub_dataset(IMDB_ID)
    rest, val = _split_off(raw["train"], profile.n_val, profile.seed, "label")
    return DatasetDict(
        train=stratified_subset(rest, profile.n_train, profile.seed),
        validation=val,
        test=stratified_subset(raw["test"], profile.n_test, profile.seed),
    )


def load_sst2(profile: Profile | None = None) -> DatasetDict:
    """SST-2 (Socher et al., 2013; GLUE) as train / validation / test, sized by ``profile``.

    GLUE's test labels are hidden (-1), so its labelled validation split (872 sentences) serves as our test
    set, and our validation set is carved out of SST-2's train split. The column ``sentence`` is renamed
    ``text`` so that code written for IMDb works unchanged. Labels: 0 = negative, 1 = positive.
    """
    profile = profile or get_profile()
    raw = load_hub_dataset(SST2_ID).rename_column("sentence", "text").remove_columns("idx")
    n_val = profile.sst2_n_val or profile.n_val
    rest, val = _split_off(raw["train"], n_val, profile.seed, "label")
    return DatasetDict(
        train=stratified_subset(rest, profile.sst2_n_train, profile.seed),
        validation=val,
        test=stratified_subset(raw["validation"], profile.sst2_n_val, profile.seed),
    )


def label_names(ds: Dataset | DatasetDict) -> list[str]:
    if isinstance(ds, DatasetDict):
        ds = next(iter(ds.values()))
    return list(ds.features["label"].names)
