"""The behavioural suite (serve/behaviour.py): the templates generate what they claim, and failures are counted as
each test type defines them."""
from __future__ import annotations

import json
import re

import numpy as np
import pytest

from serve import behaviour as bh
from serve.behaviour import BudgetError, build_suite, over_budget, read_budgets, run_suite

SUITE = build_suite()
BY_NAME = {t.name: t for t in SUITE}
WORD = re.compile(r"[a-z']+")


def polarity(word: str) -> int | None:
    return bh.POSITIVE if word in bh.POS_ADJ + bh.POS_VERB + bh.POS_VERB_BASE else bh.NEGATIVE if word in bh.NEG_ADJ + bh.NEG_VERB else None


def keyword_model(texts):
    """A bag-of-words model that counts sentiment words and knows nothing of 'not' or 'but'."""
    out = []
    for text in texts:
        words = WORD.findall(text.lower())
        score = sum(1 if polarity(w) == bh.POSITIVE else -1 if polarity(w) == bh.NEGATIVE else 0 for w in words)
        score += sum(1 for s in bh.POS_SENTENCES if s in text) - sum(1 for s in bh.NEG_SENTENCES if s in text)
        out.append(1 / (1 + np.exp(-2 * score)))
    return np.array(out)


def test_suite_covers_every_capability_with_enough_cases():
    assert bh.capabilities(SUITE) == list(bh.CAPABILITIES)
    assert {t.kind for t in SUITE} == set(bh.KINDS)
    for test in SUITE:
        assert len(test.cases) >= 100 and len(set(test.cases)) == len(test.cases), test.name


def test_suite_is_deterministic_and_seeded():
    assert [t.cases for t in build_suite()] == [t.cases for t in SUITE]
    assert [t.cases for t in build_suite(seed=1)] != [t.cases for t in SUITE]
    assert all(len(t.cases) <= 20 for t in build_suite(n=20))


def test_vocabulary_cases_are_balanced_and_labelled_by_their_sentiment_word():
    cases = BY_NAME["clear sentiment words"].cases
    assert sum(label for _, label in cases) == len(cases) // 2
    for text, label in cases:
        found = {polarity(w) for w in WORD.findall(text.lower())} - {None}
        assert found == {label}, text


@pytest.mark.parametrize("name, expected_label, negated", [("negated positive", bh.NEGATIVE, bh.POSITIVE),
                                                            ("negated negative", bh.NOT_NEGATIVE, bh.NEGATIVE)])
def test_negation_cases_negate_a_word_of_the_other_polarity(name, expected_label, negated):
    for text, expected in BY_NAME[name].cases:
        words = WORD.findall(text.lower())
        assert expected == expected_label and ("not" in words or "wasn't" in words), text
        assert {polarity(w) for w in words} - {None} == {negated}, text


def test_not_negative_passes_anything_but_a_confident_negative():
    test = BY_NAME["negated negative"]
    for p, rate in [(0.34, 0.0), (0.5, 0.0), (0.9, 0.0), (0.32, 1.0), (0.05, 1.0)]:
        assert run_suite(lambda texts: np.full(len(texts), p), [test]).rates()[test.name] == rate, p


def test_contrast_and_temporal_verdicts_follow_the_second_clause():
    for text, expected in BY_NAME["verdict after 'but'"].cases:
        first, second = text.split(" but ")
        assert {polarity(w) for w in WORD.findall(second)} - {None} == {expected}, text
        assert {polarity(w) for w in WORD.findall(first)} - {None} == {1 - expected}, text
    for text, expected in BY_NAME["'used to ..., but now ...'"].cases:
        before, now = re.split(r"but now|; now", text)
        assert {polarity(w) for w in WORD.findall(now)} - {None} == {expected}, text


@pytest.mark.parametrize("name, fills", [("another person's name", bh.NAMES), ("another place", bh.PLACES)])
def test_invariance_pairs_differ_only_in_the_swapped_word(name, fills):
    for a, b in BY_NAME[name].cases:
        da, db = [w for w in a.split() if w not in b.split()], [w for w in b.split() if w not in a.split()]
        strip = lambda ws: [w.strip(".:;,") for w in ws]
        assert len(da) == len(db) == 1 and strip(da)[0] in fills and strip(db)[0] in fills and a != b, (a, b)


def test_typo_swaps_two_neighbouring_letters_of_one_word():
    for a, b in BY_NAME["a typo"].cases:
        diff = [i for i, (x, y) in enumerate(zip(a, b)) if x != y]
        assert len(a) == len(b) and len(diff) == 2 and diff[1] == diff[0] + 1, (a, b)
        assert a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]]


def test_url_handle_and_direction_variants_add_only_what_they_say():
    for a, b in BY_NAME["a URL or @handle"].cases:
        assert re.fullmatch(re.escape(a) + r" https://t\.co/\w{8}", b) or re.fullmatch(r"@\w{8} " + re.escape(a), b)
    for name, sentences, sign in [("add a positive sentence", bh.POS_SENTENCES, 1),
                                  ("add a negative sentence", bh.NEG_SENTENCES, -1)]:
        for a, b, s in BY_NAME[name].cases:
            assert s == sign and b.startswith(a + " ") and b[len(a) + 1:] in sentences


def test_failures_are_counted_per_test_type():
    result = run_suite(keyword_model, SUITE)
    rates = result.rates()
    assert rates["clear sentiment words"] == 0.0  # it knows the words
    assert rates["negated positive"] == 1.0 and rates["negated negative"] == 1.0  # and ignores "not"
    assert 0.3 < rates["verdict after 'but'"] < 0.7  # one positive and one negative word: a tie, read as positive
    assert rates["another person's name"] == rates["a URL or @handle"] == 0.0
    assert rates["add a positive sentence"] == rates["add a negative sentence"] == 0.0
    caps = result.capability_rates()
    assert caps["negation"] == 1.0 and caps["vocabulary"] == 0.0
    worst = result.results[1].worst(2)
    assert len(worst) == 2 and worst[0]["expected"] == "negative" and worst[0]["p_positive"] > 0.5
    summary = json.loads(json.dumps(result.summary()))
    assert summary["capability_failure_rates"] == caps and summary["cases"] == sum(len(t.cases) for t in SUITE)


def test_direction_failures_respect_the_tolerance():
    test = BY_NAME["add a positive sentence"]
    drop = {b: 0.5 - (bh.TOLERANCE + 0.05 if i % 2 else bh.TOLERANCE - 0.05) for i, (_, b, _) in enumerate(test.cases)}
    result = run_suite(lambda texts: np.array([drop.get(t, 0.5) for t in texts]), [test])
    assert result.rates()[test.name] == pytest.approx(sum(i % 2 for i in range(len(test.cases))) / len(test.cases))


def test_a_model_must_give_one_probability_per_text():
    with pytest.raises(ValueError, match="one probability in \\[0, 1\\] per text"):
        run_suite(lambda texts: np.zeros(len(texts) - 1), SUITE[:1])
    with pytest.raises(ValueError, match="one probability"):
        run_suite(lambda texts: np.full(len(texts), 2.0), SUITE[:1])


def write(path, data):
    path.write_text(json.dumps(data))
    return path


def test_budgets_file_is_checked(tmp_path):
    good = {c: 0.5 for c in bh.CAPABILITIES}
    assert read_budgets(write(tmp_path / "b.json", {"budgets": good})) == good
    with pytest.raises(BudgetError, match="is missing next to bundle.json: copy deploy/behaviour_budgets.json"):
        read_budgets(tmp_path / "none.json")
    with pytest.raises(BudgetError, match="no budget for negation"):
        read_budgets(write(tmp_path / "b.json", {"budgets": {c: 0.5 for c in bh.CAPABILITIES if c != "negation"}}))
    with pytest.raises(BudgetError, match="unknown capabilities sarcasm"):
        read_budgets(write(tmp_path / "b.json", {"budgets": {**good, "sarcasm": 0.1}}))
    with pytest.raises(BudgetError, match="not a rate from 0 to 1: contrast"):
        read_budgets(write(tmp_path / "b.json", {"budgets": {**good, "contrast": 1.5}}))
    with pytest.raises(BudgetError, match="not valid JSON"):
        (tmp_path / "b.json").write_text("{")
        read_budgets(tmp_path / "b.json")
    assert over_budget({**good, "negation": 0.6}, good) == {"negation": (0.6, 0.5)}
