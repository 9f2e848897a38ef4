#!/usr/bin/env python3
"""The Colab set-up cell's install, checked: it may add packages, never replace one that was there before.

Used by scripts/colab_env.sh (standard library only, so any Python can run it):

    python scripts/check_colab_install.py setup-args NOTEBOOK --source DIR
        print, one a line, the arguments of the `%pip install` line of NOTEBOOK's first cell tagged
        `colab-setup`, with its `git+https://...` requirement pointed at the folder DIR instead
    python scripts/check_colab_install.py compare BEFORE AFTER [--only CONSTRAINTS] [--what TEXT]
        compare two `pip freeze` outputs; exit 1, naming each package and its old -> new version, when a
        package of BEFORE (or, with --only, one named in the CONSTRAINTS file) has another version in AFTER
    python scripts/check_colab_install.py kernel
        (run with the environment's Python and the chapters' environment variables; needs nbclient) start the
        `python3` kernel as nbmake does and check, from inside it, that it is this Python, that google.colab was
        imported at start-up and that `course` is the installed package, not a checkout on the path
"""
from __future__ import annotations

import argparse
import json
import re
import shlex
import sys
from pathlib import Path

SETUP_TAG = "colab-setup"
PIP_LINE = re.compile(r"^\s*[%!]pip\s+install\s+(?P<args>.+?)\s*$")
GIT_REQUIREMENT = re.compile(r"^(?P<req>[A-Za-z0-9][A-Za-z0-9._-]*(\[[^\]]*\])?)\s*@\s*git\+\S+$")


def canonical(name: str) -> str:
    """The PEP 503 name, as pip compares names: `PyYAML` is `pyyaml`, `huggingface_hub` is `huggingface-hub`."""
    return re.sub(r"[-_.]+", "-", name).lower()


def parse_freeze(text: str) -> dict[str, str]:
    """`pip freeze` (or a constraints file) as {canonical name: version}; `name @ URL` lines keep `@ URL` as version."""
    packages = {}
    for raw in text.splitlines():
        line = raw.split(" #")[0].strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith(("-e ", "--editable ")):
            egg = re.search(r"#egg=([A-Za-z0-9._-]+)", raw)
            if egg:
                packages[canonical(egg.group(1))] = "editable " + line.split(None, 1)[1].split("#egg=")[0]
            continue
        if line.startswith("-"):  # other pip options (-c, -r, --index-url, ...)
            continue
        match = re.match(r"^([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[[^\]]*\])?\s*(===|==|@)\s*(.+)$", line)
        if not match:
            raise ValueError(f"cannot read this line of a pip freeze: {raw!r}")
        name, op, version = match.groups()
        packages[canonical(name)] = ("@ " + version.strip()) if op == "@" else version.strip()
    return packages


def changed_packages(before: dict[str, str], after: dict[str, str], only: set[str] | None = None
                     ) -> list[tuple[str, str, str]]:
    """(name, old, new) for each package of ``before`` whose version differs in ``after`` (new is "(removed)" when
    it is gone), restricted to the names in ``only`` when given. Packages only in ``after`` are additions: fine."""
    changes = []
    for name, old in sorted(before.items()):
        if only is not None and name not in only:
            continue
        new = after.get(name, "(removed)")
        if new != old:
            changes.append((name, old, new))
    return changes


def compare(before_text: str, after_text: str, only: set[str] | None = None, pinned: set[str] | None = None,
            what: str = "the install") -> tuple[bool, str]:
    """(passed, report). ``pinned``: names to mark as Colab's own versions (from the constraints file)."""
    before, after = parse_freeze(before_text), parse_freeze(after_text)
    changes = changed_packages(before, after, only)
    added = sorted(set(after) - set(before))
    lines = [f"{what}: {len(added)} package(s) added"
             + (f" ({', '.join(added[:12])}{', ...' if len(added) > 12 else ''})" if added else "")]
    if only is not None:
        others = changed_packages(before, after, None)
        outside = [c for c in others if c[0] not in only]
        for name, old, new in outside:
            lines.append(f"  note: {name} {old} -> {new} (not one of Colab's listed packages)")
    if not changes:
        checked = f"{len(only & set(before))} of Colab's listed packages" if only is not None else \
            f"all {len(before)} packages installed before"
        lines.append(f"OK: {what} changed no version ({checked} unchanged)")
        return True, "\n".join(lines)
    lines.append(f"FAILED: {what} changed the version of {len(changes)} package(s) that were installed before:")
    for name, old, new in changes:
        mark = "  (Colab's own version)" if pinned and name in pinned else ""
        lines.append(f"  {name} {old} -> {new}{mark}")
    lines += [
        "On Colab this install would replace what Colab ships (and what its front end and its other packages expect).",
        "What to do: lower the bound that asks for the newer version in pyproject.toml, in [project] dependencies or",
        "in the [colab] extra, so that the version before is accepted (Colab's versions: colab/runtime-constraints.txt).",
        "For a package the course does not name itself, find the requirement that pulled it in",
        "(pip install --dry-run --report - ...) and lower that one. Never raise a bound above Colab's version.",
    ]
    return False, "\n".join(lines)


def setup_cell(notebook: Path) -> str:
    nb = json.loads(notebook.read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        if cell["cell_type"] == "code" and SETUP_TAG in cell.get("metadata", {}).get("tags", []):
            return "".join(cell["source"])
    raise SystemExit(f"{notebook}: no code cell tagged {SETUP_TAG!r}")


def setup_install_args(cell_source: str, source_dir: Path) -> list[str]:
    """The set-up cell's `%pip install` arguments, its `name[extra] @ git+URL` requirement replaced by
    `name[extra] @ file:///source_dir` (the same package and extras, from a local copy of the repository)."""
    for line in cell_source.splitlines():
        match = PIP_LINE.match(line)
        if match:
            break
    else:
        raise SystemExit("the set-up cell has no `%pip install` line: see SETUP_TEMPLATE in course/colab.py")
    args, swapped = [], 0
    for arg in shlex.split(match.group("args")):
        git = GIT_REQUIREMENT.match(arg)
        if git:
            arg = f"{git.group('req')} @ {Path(source_dir).resolve().as_uri()}"
            swapped += 1
        args.append(arg)
    if swapped != 1:
        raise SystemExit(f"expected one `name[extra] @ git+URL` requirement in {match.group(0).strip()!r}, found {swapped}")
    return args


KERNEL_PROBE = """\
import importlib.util, json, sys
print(json.dumps({"python": sys.executable, "colab": "google.colab" in sys.modules,
                  "stub": getattr(sys.modules.get("google.colab"), "IS_COURSE_STUB", False),
                  "course": importlib.util.find_spec("course").origin}))
"""


def kernel_report(kernel_name: str = "python3") -> dict:
    """What a fresh `kernel_name` kernel (the chapters' kernelspec), started as nbmake starts it, says of itself."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.v4.new_notebook(metadata={"kernelspec": {"name": kernel_name, "display_name": "Python 3",
                                                           "language": "python"}})
    nb.cells.append(nbformat.v4.new_code_cell(KERNEL_PROBE))
    NotebookClient(nb, timeout=120, kernel_name=kernel_name).execute()
    text = "".join(o.get("text", "") for o in nb.cells[0].outputs if o.get("name") == "stdout")
    return json.loads(text.strip().splitlines()[-1])


def kernel_problems(report: dict, python: str) -> list[str]:
    problems = []
    if Path(report["python"]).absolute() != Path(python).absolute():
        problems.append(f"the kernel runs {report['python']}, not {python}: check `jupyter kernelspec list`")
    if not report["colab"]:
        problems.append("google.colab is not imported at kernel start: IPYTHONDIR's startup file or PYTHONPATH is wrong")
    elif not report["stub"]:
        problems.append("google.colab is not the course's stand-in (scripts/colab_stub)")
    course_dir = Path(report["course"]).resolve().parent.parent
    if not any(part in ("site-packages", "dist-packages") for part in course_dir.parts):
        problems.append(f"the kernel imports course from {course_dir}, not from the installed package: "
                        "remove the repository from PYTHONPATH")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("setup-args", help="the set-up cell's pip arguments, one a line, for a local source folder")
    p.add_argument("notebook", type=Path)
    p.add_argument("--source", type=Path, required=True, help="the folder to install the course from")
    c = sub.add_parser("compare", help="fail when AFTER changed a version of BEFORE")
    c.add_argument("before", type=Path)
    c.add_argument("after", type=Path)
    c.add_argument("--only", type=Path, help="a constraints file: check only the packages it names")
    c.add_argument("--pinned", type=Path, help="a constraints file whose packages are marked as Colab's own")
    c.add_argument("--what", default="the install", help="what made AFTER, for the report")
    sub.add_parser("kernel", help="check the kernel the chapters will get (see above)")
    args = parser.parse_args(argv)
    if args.command == "kernel":
        report = kernel_report()
        problems = kernel_problems(report, sys.executable)
        print(f"kernel: {report['python']}; google.colab imported at start: {report['colab']} "
              f"(stand-in: {report['stub']}); course from {Path(report['course']).parent}")
        for problem in problems:
            print(f"FAILED: {problem}", file=sys.stderr)
        return 1 if problems else 0
    if args.command == "setup-args":
        print("\n".join(setup_install_args(setup_cell(args.notebook), args.source)))
        return 0
    only = set(parse_freeze(args.only.read_text())) if args.only else None
    pinned = set(parse_freeze(args.pinned.read_text())) if args.pinned else None
    passed, report = compare(args.before.read_text(), args.after.read_text(), only, pinned, args.what)
    print(report, file=sys.stdout if passed else sys.stderr)
    return 0 if passed else 1


if __name__ == "__main__":
    raise SystemExit(main())
