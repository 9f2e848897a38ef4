"""Loaders: sizes from the profile, stratified and seeded subsets, disjoint splits (reads the real mirror)."""
from collections import Counter

import pytest
from datasets import Dataset

from course import get_profile, load_imdb, load_sst2, stratified_subset


@pytest.fixture(scope="module")
def imdb_ci(mirror):
    return load_imdb(get_profile("ci"))


def test_imdb_sizes_follow_the_profile(imdb_ci):
    p = get_profile("ci")
    assert {k: len(v) for k, v in imdb_ci.items()} == {"train": p.n_train, "validation": p.n_val, "test": p.n_test}
    assert imdb_ci["train"].features["label"].names == ["neg", "pos"]


def test_imdb_subsets_are_balanced_like_imdb(imdb_ci):
    for split in imdb_ci.values():
        counts = Counter(split["label"])
        assert counts[0] == counts[1] == len(split) // 2


def test_validation_is_disjoint_from_train(imdb_ci):
    """Disjoint rows; a text in both must be one that IMDb's training split itself holds twice (it has a few
    exact duplicate reviews)."""
    from course import IMDB_ID, load_hub_dataset

    shared = set(imdb_ci["train"]["text"]) & set(imdb_ci["validation"]["text"])
    if shared:
        counts = Counter(t for t in load_hub_dataset(IMDB_ID)["train"]["text"] if t in shared)
        assert all(counts[t] >= 2 for t in shared), [t[:60] for t in shared if counts[t] < 2]


def test_same_seed_same_subset_other_seed_other_subset(mirror, imdb_ci):
    import dataclasses

    again = load_imdb(get_profile("ci"))
    assert again["train"]["text"][:20] == imdb_ci["train"]["text"][:20]
    other = load_imdb(dataclasses.replace(get_profile("ci"), seed=7))
    assert other["train"]["text"][:20] != imdb_ci["train"]["text"][:20]


def test_sst2_uses_glue_validation_as_test(mirror):
    d = load_sst2(get_profile("ci"))
    assert set(d) == {"train", "validation", "test"}
    assert d["train"].column_names == ["text", "label"]
    assert len(d["train"]) == 400 and len(d["validation"]) == 200 and len(d["test"]) == 200
    assert set(d["test"]["label"]) == {0, 1}, "GLUE test labels are hidden (-1): they must never appear"


def test_stratified_subset_keeps_proportions():
    ds = Dataset.from_dict({"text": [str(i) for i in range(1000)], "label": [0] * 800 + [1] * 200})
    sub = stratified_subset(ds, 100, seed=0)
    assert Counter(sub["label"]) == {0: 80, 1: 20}
    assert len(stratified_subset(ds, None, seed=0)) == 1000
    with pytest.raises(ValueError):
        stratified_subset(ds, 0, seed=0)
