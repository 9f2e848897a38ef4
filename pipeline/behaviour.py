"""Reference run of Part 3 chapter 02: the behavioural suite (serve/behaviour.py) on the profile's four models, Part 1's
LSTM, Part 2's stage 1 and stage 2 and the int8 bundle (through the server's own code), each made first by its own
chapter's code when it is missing. Prints ONE JSON object: every model's failure rate per capability and per test,
the three worst failures of each test for stage 2, and the bundle's gate verdict with the default budgets.

    COURSE_MIRROR=../shared/mirror HF_HUB_OFFLINE=1 python pipeline/behaviour.py --profile quick
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "pipeline"))

from run_info import emit, git_commit, machine  # noqa: E402


def run(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", default=os.environ.get("COURSE_PROFILE", "quick"))
    parser.add_argument("--shared-machine", action="store_true", help="record that other jobs shared the CPU")
    args = parser.parse_args(argv)
    import course
    from deploy.gate import DEFAULT_BUDGETS
    from deploy.recipes import behaviour_models, ensure_bundle
    from serve.behaviour import SUITE_VERSION, build_suite, over_budget, read_budgets, run_suite

    profile = course.get_profile(args.profile)
    load = os.getloadavg()[0]
    commit, uncommitted = git_commit()  # the code this run loads
    start = time.perf_counter()
    models = behaviour_models(profile)
    made_seconds = time.perf_counter() - start
    bundle_meta = json.loads((ensure_bundle(profile) / "bundle.json").read_text(encoding="utf-8"))
    suite = build_suite()
    out = {"benchmark": "behaviour", "profile": profile.name, "model_id": profile.model_id, "suite": SUITE_VERSION,
           "date_utc": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
           "cases": sum(len(t.cases) for t in suite), "tests": {t.name: t.capability for t in suite},
           "bundle": {"name": bundle_meta["name"], "quantization": bundle_meta["quantization"]}, "models": {}}
    budgets = read_budgets(DEFAULT_BUDGETS)
    for name, p_positive in models.items():
        t = time.perf_counter()
        result = run_suite(p_positive, suite)
        out["models"][name] = {"capability_failure_rates": result.capability_rates(),
                               "test_failure_rates": result.rates(), "seconds": round(time.perf_counter() - t, 1)}
        if name == "stage 2":
            out["models"][name]["worst"] = {r.test.name: r.worst(3) for r in result.results}
    bundle_rates = out["models"]["stage 2, int8 bundle"]["capability_failure_rates"]
    out["gate_with_default_budgets"] = {"budgets": budgets, "over_budget": sorted(over_budget(bundle_rates, budgets))}
    out.update({"commit": commit, "uncommitted_changes": uncommitted, "machine": machine(load, args.shared_machine),
                "minutes": {"models_made_or_loaded": round(made_seconds / 60, 2),
                            "total": round((time.perf_counter() - start) / 60, 2)}})
    return out


def main(argv=None) -> dict:
    return emit(run, argv)


if __name__ == "__main__":
    main()
