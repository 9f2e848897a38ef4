"""Profiles as DVC parameters: ``params.yaml`` holds one profile's sizes, so that a pipeline stage can depend on them.

The profile dataclass (:mod:`course.profiles`) stays the one place that chapters read. ``params.yaml`` is a copy of
one profile, written from it (``python -m course.params write quick``) and checked against it by the tests, so
the two cannot drift apart unnoticed. DVC reads it: each stage of ``dvc.yaml`` lists the fields it depends on
(``profile.lstm_epochs``), so that ``dvc repro`` re-runs only the stages whose fields changed, and
``dvc exp run -S profile.lstm_epochs=3`` runs a variant without editing code. A stage's command runs with
``COURSE_PARAMS=params.yaml``; :func:`course.get_profile` then starts from the named profile and applies the file's
values, which differ from the dataclass only inside such an experiment.

    python -m course.params write ci              # params.yaml for the ci profile (what CI's pipeline test runs)
    python -m course.params check                 # exit 1 if params.yaml differs from its profile's dataclass
"""
from __future__ import annotations

import argparse
import dataclasses
import os
from pathlib import Path

from .profiles import PARAMS_ENV

HEADER = ("# One profile of course/profiles.py, for DVC (dvc.yaml). Written by `python -m course.params write NAME`;\n"
          "# the tests check that it equals the dataclass. Change sizes in course/profiles.py, or for one experiment\n"
          "# with `dvc exp run -S profile.FIELD=VALUE`, never by hand here.\n")


class ParamsError(ValueError):
    """``params.yaml`` cannot be turned into a profile; the message says what to change."""


def profile_to_params(profile) -> dict:
    """``{"profile": {...}}``: the profile's fields as YAML-friendly values (tuples become lists)."""
    values = {f.name: getattr(profile, f.name) for f in dataclasses.fields(profile) if f.name != "description"}
    return {"profile": {k: list(v) if isinstance(v, tuple) else v for k, v in values.items()}}


def write_params(profile, path: str | os.PathLike = "params.yaml") -> Path:
    import yaml

    path = Path(path)
    path.write_text(HEADER + yaml.safe_dump(profile_to_params(profile), sort_keys=False), encoding="utf-8")
    return path


def read_params(path: str | os.PathLike):
    """The profile ``path`` describes: its named profile with the file's values applied."""
    import yaml

    from .profiles import PROFILES

    path = Path(path)
    if not path.is_file():
        raise ParamsError(f"{PARAMS_ENV}={path} names no file: write one with `python -m course.params write NAME`.")
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    values = data.get("profile") if isinstance(data, dict) else None
    if not isinstance(values, dict) or values.get("name") not in PROFILES:
        raise ParamsError(f"{path} must hold `profile:` with a `name:` among {', '.join(PROFILES)}.")
    base = PROFILES[values["name"]]
    fields = {f.name: f for f in dataclasses.fields(base)}
    unknown = sorted(set(values) - set(fields))
    if unknown:
        raise ParamsError(f"{path}: unknown profile fields {', '.join(unknown)} (course/profiles.py has no such size).")
    changes = {k: tuple(v) if isinstance(getattr(base, k), tuple) else v for k, v in values.items() if k != "name"}
    return dataclasses.replace(base, **changes)


def differences(path: str | os.PathLike) -> dict:
    """``{field: (in params.yaml, in the dataclass)}`` for every field where the file and its profile differ."""
    from .profiles import PROFILES

    mine = read_params(path)
    base = PROFILES[mine.name]
    return {f.name: (getattr(mine, f.name), getattr(base, f.name)) for f in dataclasses.fields(base)
            if getattr(mine, f.name) != getattr(base, f.name)}


def main(argv: list[str] | None = None) -> int:
    from .profiles import get_profile

    parser = argparse.ArgumentParser(prog="python -m course.params", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    w = sub.add_parser("write", help="write params.yaml for a profile")
    w.add_argument("name")
    w.add_argument("--path", default="params.yaml")
    c = sub.add_parser("check", help="exit 1 if params.yaml differs from its profile in course/profiles.py")
    c.add_argument("--path", default="params.yaml")
    args = parser.parse_args(argv)
    if args.command == "write":
        print(f"wrote {write_params(get_profile(args.name), args.path)}")
        return 0
    diff = differences(args.path)
    for name, (mine, base) in diff.items():
        print(f"{args.path}: {name} = {mine!r}, but course/profiles.py says {base!r}")
    return 1 if diff else 0


if __name__ == "__main__":
    raise SystemExit(main())
