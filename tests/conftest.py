"""Shared test set-up: never touch the network, find the offline mirror, and make ``tests/helpers`` importable.

Tests live in one folder per package (``tests/<part or package>/``); shared fixtures in ``tests/helpers``."""
from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))  # tests/helpers is importable as `helpers`

# A miss must fail at once, not after network retries (and no test may reach the Hub).
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


@pytest.fixture(scope="session")
def mirror() -> Path:
    """The offline mirror named by COURSE_MIRROR. Its absence is an error, never a silent skip."""
    value = os.environ.get("COURSE_MIRROR")
    if not value or not Path(value).is_dir():
        pytest.fail(
            "COURSE_MIRROR must point at the offline mirror (for example COURSE_MIRROR=../shared/mirror); "
            f"got {value!r}. See README.md, 'Running the tests'."
        )
    return Path(value)
