"""The behavioural gate before shipping: run the suite of :mod:`serve.behaviour` on a bundle, through the same code
the server uses (:class:`serve.bundle.Bundle`, onnxruntime, no torch), compare each capability's failure rate with
its budget, and record the rates in the bundle's ``bundle.json`` (``GET /api/model`` then shows them).

The budgets are one file next to ``bundle.json``: ``behaviour_budgets.json``, ``{"budgets": {capability: rate}}``.
The exporter writes the course's defaults there (``deploy/behaviour_budgets.json``); edit the bundle's copy to
set a bundle's own bar. :func:`deploy.stage.stage` calls :func:`check_bundle` and refuses a bundle over budget
unless told to accept it.

    python -m deploy.gate BUNDLE [--accept-over-budget]
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import shutil
from pathlib import Path

from serve.behaviour import BudgetError, bundle_p_positive, over_budget, read_budgets, run_suite
from serve.bundle import BUNDLE_JSON, Bundle

BUDGETS_FILE = "behaviour_budgets.json"
DEFAULT_BUDGETS = Path(__file__).with_name(BUDGETS_FILE)


class GateError(RuntimeError):
    """A bundle fails its behavioural budgets; the message names each capability over budget."""


def write_default_budgets(bundle_dir: str | Path) -> Path:
    """Copy the course's default budgets next to ``bundle.json`` (the exporter does this for every new bundle)."""
    target = Path(bundle_dir) / BUDGETS_FILE
    shutil.copyfile(DEFAULT_BUDGETS, target)
    return target


def check_bundle(bundle_dir: str | Path, accept_over_budget: bool = False) -> dict:
    """Run the behavioural suite on the bundle, record the result in its ``bundle.json`` and return it. Raises :class:`GateError` when a capability fails more often than its budget, unless
    ``accept_over_budget`` (the acceptance is recorded too)."""
    bundle_dir = Path(bundle_dir)
    budgets = read_budgets(bundle_dir / BUDGETS_FILE)
    bundle = Bundle(bundle_dir)
    result = run_suite(bundle_p_positive(bundle))
    rates = result.capability_rates()
    over = over_budget(rates, budgets)
    summary = {**result.summary(), "budgets": budgets, "over_budget": sorted(over), "passed": not over,
               "accepted_over_budget": bool(over) and accept_over_budget,
               "checked": dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat()}
    meta_path = bundle_dir / BUNDLE_JSON
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    meta["behaviour"] = summary
    meta_path.write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    if over and not accept_over_budget:
        lines = [f"  {cap}: fails {100 * rate:.1f}% of its cases, budget {100 * budget:.1f}%"
                 for cap, (rate, budget) in over.items()]
        raise GateError(f"The bundle {bundle.name!r} is over its behavioural budget in {len(over)} "
                        f"capabilit{'y' if len(over) == 1 else 'ies'}:\n" + "\n".join(lines) +
                        f"\nNot staged. Improve the model, or raise the budgets in {BUDGETS_FILE} next to bundle.json, "
                        "or accept it knowingly (--accept-over-budget; the acceptance is recorded in bundle.json).")
    return summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m deploy.gate", description=__doc__.splitlines()[0])
    parser.add_argument("bundle", type=Path)
    parser.add_argument("--accept-over-budget", action="store_true")
    args = parser.parse_args(argv)
    try:
        summary = check_bundle(args.bundle, args.accept_over_budget)
    except (GateError, BudgetError) as exc:
        print(exc)
        return 1
    print(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
