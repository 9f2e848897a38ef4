"""Behavioural tests of a sentiment model: capabilities tested with templates, after CheckList.

Accuracy on a test set says how often a model is right on texts like its training data, not *how* it fails. Ribeiro
et al. (ACL 2020, "Beyond Accuracy: Behavioral Testing of NLP Models with CheckList") test a model like software:
one **capability** at a time (vocabulary, negation, ...), with many generated cases, in three **test types**:

- ``MFT``, a minimum functionality test: simple cases with a known answer ("The film was not good." is negative);
- ``INV``, an invariance test: a change that must not change the prediction (another name, a typo, a URL);
- ``DIR``, a directional test: a change that must move the prediction one way only (appending "Highly
  recommended." must not lower the probability of *positive*).

Everything here is plain Python and numpy, so that the same suite runs on any model (give it a function from a list
of texts to P(positive)) and on a host, against a bundle, without torch: ``python -m serve.behaviour BUNDLE``.
The ``checklist`` package itself is not used: it is unmaintained since 2021 and pins old versions of its
dependencies.
"""
from __future__ import annotations

import json
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

SUITE_VERSION = "course-behaviour/1"
TOLERANCE = 0.1  # DIR: how far P(positive) may move the wrong way before a case fails (CheckList's default)
KINDS = {"MFT": "minimum functionality", "INV": "invariance", "DIR": "directional expectation"}
POSITIVE, NEGATIVE = 1, 0
NOT_NEGATIVE = 2  # an MFT expectation for a two-label model: anything but a confident negative (P(positive) >= 1/3)
EXPECTED_NAMES = {POSITIVE: "positive", NEGATIVE: "negative", NOT_NEGATIVE: "not negative (P(positive) >= 1/3)"}
CAPABILITIES = ("vocabulary", "negation", "contrast", "temporal", "invariance", "direction")

# --- the lexicon: short, unambiguous words; every template below draws from it -----------------------------------
NOUNS = ("movie", "film", "story", "plot", "acting", "ending", "cast", "script", "dialogue", "soundtrack")
COUNTABLE = ("movie", "film", "story", "plot", "ending", "cast", "script", "soundtrack")  # "a great ___"
WATCHED = ("movie", "film")  # "I watched the ___"
POS_ADJ = ("good", "great", "excellent", "amazing", "wonderful", "fantastic", "brilliant", "superb", "delightful",
           "enjoyable", "beautiful", "outstanding")
NEG_ADJ = ("bad", "terrible", "awful", "boring", "dull", "horrible", "poor", "disappointing", "weak", "dreadful",
           "lousy", "tedious")
POS_VERB = ("loved", "enjoyed", "liked", "admired", "adored")
NEG_VERB = ("hated", "disliked", "despised", "loathed", "resented")
POS_VERB_BASE = ("love", "enjoy", "like", "admire", "adore")
NAMES = ("John", "Mary", "Ahmed", "Mei", "Carlos", "Aisha", "Dmitri", "Priya", "Kwame", "Sofia", "Hiroshi", "Emma",
         "Oluwaseun", "Ingrid", "Mateo", "Fatima")
PLACES = ("London", "Paris", "Lagos", "Mumbai", "Chicago", "Tokyo", "Cairo", "Sydney", "Toronto", "Berlin", "Lima",
          "Seoul", "Nairobi", "Madrid", "Jakarta", "Oslo")
POS_SENTENCES = ("Highly recommended.", "I would watch it again.", "I loved every minute of it.", "A real pleasure.",
                 "Ten out of ten.", "One of the best I have seen.")
NEG_SENTENCES = ("What a waste of time.", "I want my two hours back.", "Avoid it at all costs.",
                 "It was a chore to sit through.", "One of the worst I have seen.")
NEUTRAL_SENTENCES = ("I watched the {noun} last night.", "We saw the {noun} on Sunday.",
                     "The {noun} came out last year.", "I saw the {noun} with my sister.",
                     "The {noun} is two hours long.", "My brother picked the {noun}.")


def article(word: str) -> str:
    return "an" if word[0] in "aeiou" else "a"


@dataclass(frozen=True)
class Test:
    """One behavioural test: ``cases`` are ``(text, expected)`` for MFT (expected :data:`NEGATIVE`,
    :data:`POSITIVE` or :data:`NOT_NEGATIVE`),
    ``(text, variant)`` for INV and ``(text, variant, sign)`` for DIR (sign +1: P(positive) must not fall)."""

    name: str
    capability: str
    kind: str
    description: str
    cases: tuple

    def texts(self) -> list[str]:
        return [t for case in self.cases for t in (case[:1] if self.kind == "MFT" else case[:2])]


def _sample(rng: random.Random, items: list, n: int) -> list:
    """``n`` distinct items in a seeded order (all of them when there are fewer)."""
    items = sorted(set(items))
    rng.shuffle(items)
    return items[:n]


def _balanced(rng: random.Random, pos: list, neg: list, n: int) -> tuple:
    return tuple([(t, POSITIVE) for t in _sample(rng, pos, n // 2)] + [(t, NEGATIVE) for t in _sample(rng, neg, n - n // 2)])


def _vocabulary(noun_adj: Sequence[str], verbs: Sequence[str], adjs: Sequence[str]) -> list[str]:
    out = [f"The {n} was {a}." for n in NOUNS for a in adjs]
    out += [f"This is {article(a)} {a} {n}." for n in COUNTABLE for a in adjs]
    out += [f"I {v} the {n}." for n in NOUNS for v in verbs]
    return out


def _typo(text: str, rng: random.Random) -> str:
    """Swap two neighbouring letters inside one word of four letters or more (CheckList's typo)."""
    words = text.split(" ")
    choices = [i for i, w in enumerate(words) if sum(c.isalpha() for c in w) >= 4]
    i = rng.choice(choices)
    w = words[i]
    core = w.rstrip(".,!?:;")
    j = rng.choice([k for k in range(len(core) - 1) if core[k] != core[k + 1]])  # a swap that changes the word
    words[i] = w[:j] + w[j + 1] + w[j] + w[j + 2:]
    return " ".join(words)


def _swap_pairs(rng: random.Random, templates: Sequence[str], fills: Sequence[str], slot: str, n: int) -> tuple:
    """INV cases: the same sentence with two different fills of ``slot``."""
    cases = []
    for template in templates:
        for noun in NOUNS:
            for adj in POS_ADJ + NEG_ADJ:
                a, b = rng.sample(list(fills), 2)
                base = template.replace("{noun}", noun).replace("{adj}", adj)
                cases.append((base.replace(slot, a), base.replace(slot, b)))
    return tuple(_sample(rng, cases, n))


def build_suite(n: int = 150, seed: int = 0) -> list[Test]:
    """The course's suite: 12 tests in 6 capabilities, at most ``n`` generated cases each (seeded, so the same
    ``n`` and ``seed`` give the same cases everywhere)."""
    rng = random.Random(seed)
    pos_vocab = _vocabulary(NOUNS, POS_VERB, POS_ADJ)
    neg_vocab = _vocabulary(NOUNS, NEG_VERB, NEG_ADJ)
    tests = [Test("clear sentiment words", "vocabulary", "MFT",
                  "short sentences with one clearly positive or negative word: 'The plot was superb.'",
                  _balanced(rng, pos_vocab, neg_vocab, n))]

    negated_pos = [t for n_ in NOUNS for a in POS_ADJ for t in
                   (f"The {n_} was not {a}.", f"The {n_} wasn't {a} at all.")]
    negated_pos += [f"This is not {article(a)} {a} {n_}." for n_ in COUNTABLE for a in POS_ADJ]
    negated_pos += [f"I did not {v} the {n_}." for n_ in NOUNS for v in POS_VERB_BASE]
    negated_neg = [t for n_ in NOUNS for a in NEG_ADJ for t in
                   (f"The {n_} was not {a}.", f"The {n_} wasn't {a} at all.")]
    negated_neg += [f"This is not {article(a)} {a} {n_}." for n_ in COUNTABLE for a in NEG_ADJ]
    tests.append(Test("negated positive", "negation", "MFT",
                      "a positive word under 'not' is negative: 'The acting was not good.'",
                      tuple((t, NEGATIVE) for t in _sample(rng, negated_pos, n))))
    tests.append(Test("negated negative", "negation", "MFT",
                      "a negative word under 'not' is no negative verdict: 'The ending was not bad at all.' A two-label "
                      "model has no 'neutral', so anything but a confident negative passes (P(positive) >= 1/3)",
                      tuple((t, NOT_NEGATIVE) for t in _sample(rng, negated_neg, n))))

    contrast = []
    for n1 in NOUNS:
        for n2 in NOUNS:
            if n1 == n2:
                continue
            for a, b, verdict in [(rng.choice(POS_ADJ), rng.choice(NEG_ADJ), NEGATIVE),
                                  (rng.choice(NEG_ADJ), rng.choice(POS_ADJ), POSITIVE)]:
                contrast.append((f"The {n1} was {a}, but the {n2} was {b}.", verdict))
                contrast.append((f"Sure, the {n1} was {a}, but overall the {n2} was {b}.", verdict))
    tests.append(Test("verdict after 'but'", "contrast", "MFT",
                      "two opinions joined by 'but': the one after 'but' is the verdict: 'The plot was thin, but the "
                      "cast was wonderful.'", tuple(_sample(rng, contrast, n))))

    temporal = []
    for noun in NOUNS:
        for a in POS_ADJ:
            b = rng.choice(NEG_ADJ)
            temporal.append((f"I used to think this {noun} was {a}, but now I find it {b}.", NEGATIVE))
            temporal.append((f"I used to think this {noun} was {b}, but now I find it {a}.", POSITIVE))
            temporal.append((f"At first the {noun} seemed {a}; now, watching it again, it is {b}.", NEGATIVE))
            temporal.append((f"At first the {noun} seemed {b}; now, watching it again, it is {a}.", POSITIVE))
    tests.append(Test("'used to ..., but now ...'", "temporal", "MFT",
                      "an opinion that changed over time: what holds now is the verdict",
                      tuple(_sample(rng, temporal, n))))

    tests.append(Test("another person's name", "invariance", "INV",
                      "changing who is named must not change the prediction",
                      _swap_pairs(rng, ("{name} said the {noun} was {adj}.", "I watched it with {name}: the {noun} was {adj}.",
                                        "{name} thinks this {noun} is {adj}."), NAMES, "{name}", n)))
    tests.append(Test("another place", "invariance", "INV",
                      "changing where it was watched must not change the prediction",
                      _swap_pairs(rng, ("I saw this film in {place} and the {noun} was {adj}.",
                                        "The {noun} was {adj}; we watched it in {place}."), PLACES, "{place}", n)))
    numbers = [str(k) for k in range(2, 10)] + ["90", "120", "150", "180"]
    tests.append(Test("other numbers", "invariance", "INV",
                      "changing a number that carries no opinion must not change the prediction",
                      _swap_pairs(rng, ("I have seen it {num} times: the {noun} was {adj}.",
                                        "After {num} minutes I knew the {noun} was {adj}."), numbers, "{num}", n)))
    bases = _sample(rng, pos_vocab, n // 2) + _sample(rng, neg_vocab, n - n // 2)
    tests.append(Test("a typo", "invariance", "INV",
                      "two neighbouring letters swapped in one word must not change the prediction",
                      tuple((t, _typo(t, rng)) for t in bases)))
    handles = []
    for t in bases:
        tag = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(8))
        handles.append((t, f"{t} https://t.co/{tag}") if rng.random() < 0.5 else (t, f"@{tag} {t}"))
    tests.append(Test("a URL or @handle", "invariance", "INV",
                      "a link or a user handle added to the text must not change the prediction", tuple(handles)))

    neutral = [s.replace("{noun}", noun) for s in NEUTRAL_SENTENCES for noun in WATCHED]
    dir_bases = _sample(rng, neutral + bases, 10_000)
    up = [(b, f"{b} {s}", +1) for b in dir_bases for s in POS_SENTENCES]
    down = [(b, f"{b} {s}", -1) for b in dir_bases for s in NEG_SENTENCES]
    tests.append(Test("add a positive sentence", "direction", "DIR",
                      f"appending a clearly positive sentence must not lower P(positive) by more than {TOLERANCE}",
                      tuple(_sample(rng, up, n))))
    tests.append(Test("add a negative sentence", "direction", "DIR",
                      f"appending a clearly negative sentence must not raise P(positive) by more than {TOLERANCE}",
                      tuple(_sample(rng, down, n))))
    return tests


def capabilities(suite: Sequence[Test]) -> list[str]:
    """The suite's capabilities, in order of first appearance."""
    return list(dict.fromkeys(t.capability for t in suite))


@dataclass
class TestResult:
    test: Test
    failed: np.ndarray  # bool per case
    severity: np.ndarray  # how wrong each case is (0..1), for showing the worst first
    p: np.ndarray  # P(positive) of each case's text (first text of INV/DIR cases)
    p_variant: np.ndarray | None  # INV/DIR: P(positive) of the variant

    @property
    def rate(self) -> float:
        return float(self.failed.mean())

    def worst(self, k: int = 3) -> list[dict]:
        """The ``k`` worst failures, each with its texts and probabilities."""
        order = [i for i in np.argsort(-self.severity, kind="stable") if self.failed[i]][:k]
        rows = []
        for i in order:
            case = self.test.cases[i]
            row = {"text": case[0], "p_positive": round(float(self.p[i]), 3)}
            if self.test.kind == "MFT":
                row["expected"] = EXPECTED_NAMES[case[1]]
            else:
                row.update(variant=case[1], p_positive_variant=round(float(self.p_variant[i]), 3))
            rows.append(row)
        return rows


@dataclass
class SuiteResult:
    results: list[TestResult]

    def rates(self) -> dict[str, float]:
        """Failure rate per test."""
        return {r.test.name: round(r.rate, 4) for r in self.results}

    def capability_rates(self) -> dict[str, float]:
        """Failure rate per capability: the failed cases of its tests over all their cases."""
        out = {}
        for cap in capabilities([r.test for r in self.results]):
            failed = np.concatenate([r.failed for r in self.results if r.test.capability == cap])
            out[cap] = round(float(failed.mean()), 4)
        return out

    def summary(self) -> dict:
        """What ``bundle.json`` records: the suite's version, its size and the failure rates."""
        return {"suite": SUITE_VERSION, "tolerance": TOLERANCE,
                "cases": sum(len(r.test.cases) for r in self.results),
                "capability_failure_rates": self.capability_rates(),
                "test_failure_rates": self.rates()}

    def table(self) -> list[dict]:
        return [{"capability": r.test.capability, "test": r.test.name, "type": r.test.kind,
                 "cases": len(r.test.cases), "failure rate": round(r.rate, 4)} for r in self.results]


def run_suite(p_positive: Callable[[list[str]], Sequence[float]], suite: Sequence[Test] | None = None,
              tolerance: float = TOLERANCE) -> SuiteResult:
    """Run ``suite`` (default :func:`build_suite`) on a model given as ``p_positive(texts) -> P(positive) per text``.

    Every distinct text is scored once. A case fails when: MFT, the prediction (P >= 0.5 is positive) is not the
    expected label (for :data:`NOT_NEGATIVE`: P(positive) is below 1/3); INV, the prediction of the variant
    differs from the original's; DIR, P(positive) moves the wrong way by more than ``tolerance``.
    """
    suite = list(build_suite() if suite is None else suite)
    texts = list(dict.fromkeys(t for test in suite for t in test.texts()))
    probs = np.asarray(p_positive(texts), dtype=np.float64).reshape(-1)
    if probs.shape != (len(texts),) or not np.all((probs >= 0) & (probs <= 1)):
        raise ValueError(f"p_positive must return one probability in [0, 1] per text: {len(texts)} texts, "
                         f"got shape {probs.shape}")
    p_of = dict(zip(texts, probs))
    results = []
    for test in suite:
        p = np.array([p_of[case[0]] for case in test.cases])
        if test.kind == "MFT":
            expected = np.array([case[1] for case in test.cases])
            failed = np.where(expected == NOT_NEGATIVE, p < 1 / 3, (p >= 0.5).astype(int) != expected)
            severity = np.where(expected == NOT_NEGATIVE, 1 - p, np.abs(p - expected))
            results.append(TestResult(test, failed, severity, p, None))
            continue
        q = np.array([p_of[case[1]] for case in test.cases])
        if test.kind == "INV":
            failed = (p >= 0.5) != (q >= 0.5)
            severity = np.abs(p - q)
        else:  # DIR: the signed move against the expected direction
            sign = np.array([case[2] for case in test.cases])
            against = -(q - p) * sign
            failed = against > tolerance
            severity = np.clip(against, 0, 1)
        results.append(TestResult(test, failed, severity, p, q))
    return SuiteResult(results)


# --- budgets: the most a model may fail, per capability, before it ships -------------------------------------------

class BudgetError(ValueError):
    """A budgets file that cannot be used; the message says what to change."""


def read_budgets(path) -> dict[str, float]:
    """``{capability: highest allowed failure rate}`` from a JSON file ``{"budgets": {...}}``; every capability of
    the suite must have one, as a number from 0 to 1."""
    from pathlib import Path

    path = Path(path)
    if not path.is_file():
        raise BudgetError(f"{path.name} is missing next to bundle.json: copy deploy/behaviour_budgets.json there "
                          f"(the course's defaults) and adjust it, or export the bundle again.")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BudgetError(f"{path.name} is not valid JSON ({exc}).") from None
    budgets = data.get("budgets") if isinstance(data, dict) else None
    if not isinstance(budgets, dict):
        raise BudgetError(f"{path.name} must hold an object {{\"budgets\": {{capability: rate}}}}.")
    wanted = list(CAPABILITIES)
    missing = [c for c in wanted if c not in budgets]
    unknown = [c for c in budgets if c not in wanted]
    bad = [c for c, v in budgets.items() if isinstance(v, bool) or not isinstance(v, (int, float)) or not 0 <= v <= 1]
    if missing or unknown or bad:
        raise BudgetError(f"{path.name}: " + "; ".join(filter(None, [
            missing and f"no budget for {', '.join(missing)}", unknown and f"unknown capabilities {', '.join(unknown)} "
            f"(the suite has {', '.join(wanted)})", bad and f"not a rate from 0 to 1: {', '.join(bad)}"])))
    return {c: float(budgets[c]) for c in wanted}


def over_budget(rates: dict[str, float], budgets: dict[str, float]) -> dict[str, tuple[float, float]]:
    """``{capability: (rate, budget)}`` for every capability whose failure rate exceeds its budget."""
    return {c: (rates[c], budgets[c]) for c in budgets if rates[c] > budgets[c]}


def bundle_p_positive(bundle) -> Callable[[list[str]], np.ndarray]:
    """P(positive) through a loaded :class:`serve.bundle.Bundle`, exactly as the server computes it."""
    from .bundle import softmax

    if "positive" not in bundle.labels:
        raise ValueError(f"the behavioural suite needs a 'positive' label; this bundle has {bundle.labels}")
    k = bundle.labels.index("positive")

    def p_positive(texts: list[str]) -> np.ndarray:
        return np.concatenate([softmax(bundle.logits(texts[i:i + 64]))[:, k] for i in range(0, len(texts), 64)])

    return p_positive


def main(argv: list[str] | None = None) -> int:
    """``python -m serve.behaviour BUNDLE``: run the suite on a bundle and print its failure rates as JSON."""
    import argparse

    from .bundle import Bundle

    parser = argparse.ArgumentParser(prog="python -m serve.behaviour", description=main.__doc__)
    parser.add_argument("bundle", help="a bundle directory")
    args = parser.parse_args(argv)
    result = run_suite(bundle_p_positive(Bundle(args.bundle)))
    print(json.dumps(result.summary(), indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
