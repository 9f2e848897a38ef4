"""What every script of the pipeline records about the run itself: the commit and the machine (imported by the scripts
here and by benchmarks/pipeline_times.py)."""
from __future__ import annotations

import os
import platform
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def git_commit() -> tuple[str | None, bool | None]:
    """The commit this ran at (``git rev-parse --short HEAD``) and whether tracked files had uncommitted changes;
    ``(None, None)`` where git is not available."""
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                                check=True, timeout=30).stdout.strip()
        changes = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT,
                                 capture_output=True, text=True, check=True, timeout=30).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None, None
    return (commit or None), bool(changes)


INT8_INSTRUCTIONS = ("avx512_vnni", "avx_vnni", "amx_int8")  # what makes int8 matrix products fast on x86


def cpu() -> dict:
    """The CPU's model name and which int8 dot-product instructions it has (from /proc/cpuinfo; Linux only).
    Timings of int8 models depend on them: a CPU with VNNI multiplies int8 in one instruction, one without in three."""
    name, flags = platform.processor() or platform.machine(), set()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            key, _, value = line.partition(":")
            if key.strip() == "model name" and name in ("", platform.machine(), platform.processor()):
                name = value.strip()
            elif key.strip() == "flags":
                flags = set(value.split())
                break
    except OSError:
        return {"model": name, "int8_instructions": None}
    return {"model": name, "int8_instructions": [f for f in INT8_INSTRUCTIONS if f in flags]}


def machine(load_at_start: float, shared: bool) -> dict:
    """The machine as the result files record it."""
    import torch

    import course

    return {"cpu_count": os.cpu_count(), "torch_threads": torch.get_num_threads(), "cpu": cpu(),
            "processor": platform.processor() or platform.machine(), "platform": platform.platform(),
            "torch": torch.__version__, "device": course.describe_device(),
            "load_average_1min_at_start": round(load_at_start, 2), "shared_with_other_jobs": shared}


def recorded(benchmark: str, profile, key: str, compute, shared: bool) -> dict:
    """A result file's object: what ``compute()`` returns, under ``key``, with what the run was: the script, the profile
    and its model, the date, the commit, the machine and the minutes it took."""
    import datetime as dt

    load = os.getloadavg()[0]
    start = time.perf_counter()
    out = {"benchmark": benchmark, "profile": profile.name, "model_id": profile.model_id,
           "date_utc": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")}
    out[key] = compute()
    minutes = round((time.perf_counter() - start) / 60, 2)
    commit, uncommitted = git_commit()
    out.update({"commit": commit, "uncommitted_changes": uncommitted, "machine": machine(load, shared),
                "minutes": {key.replace("_", "-"): minutes, "total": minutes}})
    return out


def missing_input_exits():
    """A context in which a missing input (a dataset or model the mirror lacks, the GloVe package) ends the script
    with the course's own message and exit status 2, instead of a traceback (what a DVC stage then shows)."""
    import contextlib

    from course.sources import SourceNotFoundError

    @contextlib.contextmanager
    def guard():
        try:
            yield
        except (SourceNotFoundError, ImportError) as exc:
            print(f"Missing input: {exc}", file=sys.stderr)
            raise SystemExit(2) from None

    return guard()


def emit(run, argv=None) -> dict:
    """Run ``run(argv)`` with everything it prints sent to stderr, then print its result as the ONE JSON object on
    stdout (what every benchmark here promises). A missing input ends it with the course's message (exit 2)."""
    import contextlib
    import json

    with missing_input_exits(), contextlib.redirect_stdout(sys.stderr):
        result = run(argv)
    print(json.dumps(result, indent=2))
    return result
