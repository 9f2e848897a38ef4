"""Where the course keeps what it makes: ``artifacts/<profile>/<part>/`` at the repository root.

Checkpoints, cached features and bundles live there (ignored by git). ``$COURSE_ARTIFACTS`` moves the root, for
example to a mounted Google Drive folder so that a Colab chapter can reuse the previous chapter's checkpoint.
"""
from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS_ENV = "COURSE_ARTIFACTS"


def artifacts_root() -> Path:
    return Path(os.environ.get(ARTIFACTS_ENV) or REPO_ROOT / "artifacts")


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
