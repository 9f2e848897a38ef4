"""Where the course keeps what it makes: ``artifacts/<profile>/<part>/`` at the repository root.

Checkpoints, cached features and bundles live there (ignored by git). Where the course is installed as a package
rather than run from a checkout (Colab's set-up cell), the root is ``artifacts/`` in the working directory
(``/content/artifacts`` on Colab). ``$COURSE_ARTIFACTS`` moves the root, for example to a mounted Google Drive
folder so that a Colab chapter can reuse the previous chapter's checkpoint.
"""
from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS_ENV = "COURSE_ARTIFACTS"


KEEP_HINT = ("To keep checkpoints from one chapter to the next (a fresh Colab runtime has none), set COURSE_ARTIFACTS "
             "to a lasting folder, such as Google Drive: see the set-up cell.")


def in_checkout() -> bool:
    """True when the packages run from a clone of the repository, False when installed into site-packages."""
    return (REPO_ROOT / "_config.yml").is_file()


def artifacts_root() -> Path:
    if os.environ.get(ARTIFACTS_ENV):
        return Path(os.environ[ARTIFACTS_ENV])
    return (REPO_ROOT if in_checkout() else Path.cwd()) / "artifacts"


def artifacts_dir(profile, part: str) -> Path:
    """``<root>/<profile name>/<part>``, e.g. ``artifacts/quick/part2``."""
    return artifacts_root() / profile.name / part


def portable_name(path: str | os.PathLike) -> str:
    """How metadata names a file it was made from: relative to the artifacts root when inside it
    (``quick/part2/stage2``), else the folder's own name. Never an absolute path of this machine."""
    path = Path(path).resolve()
    try:
        return path.relative_to(artifacts_root().resolve()).as_posix()
    except ValueError:
        return path.name
