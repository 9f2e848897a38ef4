"""How long each stage of the DVC pipeline takes, from an empty cache, in a temporary git copy of the course.

Makes the copy with ``course.experiments.temporary_copy`` (the profile's sizes in its ``params.yaml``, DVC's cache
empty, analytics off), then runs ``dvc repro --single-item STAGE`` for every stage in the pipeline's order and times
each; the copy is removed at the end. Prints ONE JSON object. The ``quick`` profile takes hours (each stage trains
its models on real sizes); the ``ci`` profile minutes.

    COURSE_MIRROR=../shared/mirror HF_HUB_OFFLINE=1 python benchmarks/pipeline_times.py --profile ci
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "pipeline"))  # run_info.py, shared with the stages' scripts

from run_info import emit, git_commit, machine  # noqa: E402


def order(repo: Path) -> list[str]:
    """The stages in an order DVC can run them one by one: ``dvc dag --dot`` lists each edge (dep -> user)."""
    import yaml

    from course import experiments

    stages = list(yaml.safe_load((repo / "dvc.yaml").read_text())["stages"])
    dot = experiments.dvc(repo, "dag", "--dot").stdout
    edges = [tuple(part.strip().strip('"') for part in line.strip().rstrip(";").split("->"))
             for line in dot.splitlines() if "->" in line]
    done: list[str] = []
    while len(done) < len(stages):
        ready = [s for s in stages if s not in done and all(a in done for a, b in edges if b == s)]
        if not ready:
            raise SystemExit(f"dvc dag has a cycle among {sorted(set(stages) - set(done))}")
        done.append(ready[0])
    return done


def run(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", default="ci")
    parser.add_argument("--shared-machine", action="store_true", help="record that other jobs shared the CPU")
    args = parser.parse_args(argv)
    from course import experiments

    load = os.getloadavg()[0]
    commit, uncommitted = git_commit()
    began = dt.datetime.now(dt.timezone.utc)
    repo = experiments.temporary_copy(args.profile)
    seconds = {}
    try:
        for stage in order(repo):
            start = time.perf_counter()
            experiments.dvc(repo, "repro", "--single-item", stage, timeout=6 * 3600)
            seconds[stage] = round(time.perf_counter() - start, 1)
            print(f"{stage}: {seconds[stage]} s", file=sys.stderr)
        start = time.perf_counter()
        again = experiments.dvc(repo, "repro")
        again_seconds = round(time.perf_counter() - start, 1)
        if experiments.stages_run(again.stdout + again.stderr):
            raise SystemExit("a second dvc repro ran stages again:\n" + again.stdout[-2000:])
    except experiments.ExperimentError as exc:
        raise SystemExit(f"The pipeline failed in the {args.profile} copy: {exc}") from None
    finally:
        shutil.rmtree(repo.parent, ignore_errors=True)
    return {"benchmark": "pipeline_times", "profile": args.profile, "date_utc": began.isoformat(timespec="seconds"),
            "commit": commit, "uncommitted_changes": uncommitted, "stage_seconds": seconds,
            "total_seconds": round(sum(seconds.values()), 1), "second_repro_seconds": again_seconds,
            "machine": machine(load, args.shared_machine)}


if __name__ == "__main__":
    emit(run)
