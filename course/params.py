"""The command line of profiles as DVC parameters (``course.profiles.read_params`` and its neighbours).

    python -m course.params write ci              # params.yaml for the ci profile (what CI's pipeline test runs)
    python -m course.params check                 # exit 1 if params.yaml differs from its profile's dataclass
"""
from __future__ import annotations

import argparse

from .profiles import differences, get_profile, write_params


def main(argv: list[str] | None = None) -> int:
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
