"""Resolve a Hugging Face Hub id to something ``load_dataset`` / ``from_pretrained`` accept (ARCHITECTURE.md, "The Hub-id resolver").

Order:
1. ``$COURSE_MIRROR/datasets/<id>`` or ``$COURSE_MIRROR/models/<id>``, a folder in the Hub's own layout;
2. a model id listed under ``substitutes`` in ``$COURSE_MIRROR/mirror.json``: the stand-in, announced with a
   printed notice naming both models;
3. the Hub itself (or the local Hugging Face cache when ``HF_HUB_OFFLINE=1``).

When nothing answers, :class:`SourceNotFoundError` says which id, which variable, and how to fix it, at once:
no twenty seconds of network retries.
"""
from __future__ import annotations

import json
import os
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

MIRROR_ENV = "COURSE_MIRROR"
Kind = Literal["dataset", "model"]
_FOLDER = {"dataset": "datasets", "model": "models"}


class SourceNotFoundError(RuntimeError):
    """Nothing (mirror, stand-in, cache or Hub) could provide a dataset or model."""


@dataclass(frozen=True)
class Resolved:
    """Where a Hub id will be loaded from."""

    hub_id: str  # what the chapter asked for
    kind: Kind
    location: str  # a local folder, or a Hub id
    served_by: str  # the Hub id of what is really loaded (differs from hub_id for a stand-in)
    origin: Literal["mirror", "substitute", "hub"]

    @property
    def is_substitute(self) -> bool:
        return self.origin == "substitute"

    @property
    def notice(self) -> str | None:
        if not self.is_substitute:
            return None
        return (
            f"NOTICE: {self.hub_id} is not in the offline mirror; using the stand-in {self.served_by} instead "
            f"(from {self.location}). Numbers below come from {self.served_by}, not from {self.hub_id}."
        )


def mirror_root() -> Path | None:
    value = os.environ.get(MIRROR_ENV, "").strip()
    return Path(value).expanduser() if value else None


def read_mirror_manifest(root: Path) -> dict:
    manifest = root / "mirror.json"
    if not manifest.is_file():
        return {}
    with manifest.open(encoding="utf-8") as fh:
        return json.load(fh)


def hub_offline() -> bool:
    return os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in {"1", "true", "yes", "on"}


def _hub_reachable(timeout: float = 3.0) -> bool:
    """A quick TCP probe of the Hub, so that a machine without network fails in seconds, not after retries."""
    endpoint = os.environ.get("HF_ENDPOINT", "https://huggingface.co")
    host = endpoint.split("://", 1)[-1].split("/", 1)[0]
    host, _, port = host.partition(":")
    try:
        with socket.create_connection((host, int(port or 443)), timeout=timeout):
            return True
    except OSError:
        return False


def _cached_on_this_machine(hub_id: str, kind: Kind) -> bool:
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import LocalEntryNotFoundError

    try:
        snapshot_download(hub_id, repo_type=kind, local_files_only=True)
    except (LocalEntryNotFoundError, OSError, ValueError):
        return False
    return True


def not_found_message(hub_id: str, kind: Kind, reason: str) -> str:
    root = mirror_root()
    where = f"{MIRROR_ENV}={root}" if root else f"{MIRROR_ENV} is not set"
    return (
        f"Cannot load the {kind} '{hub_id}': {reason}.\n"
        f"  Looked in: the offline mirror ({where}), the mirror's stand-ins, then the Hugging Face Hub.\n"
        f"  Fix: point {MIRROR_ENV} at a mirror that holds {_FOLDER[kind]}/{hub_id} "
        f"(for example `export {MIRROR_ENV}=../shared/mirror`),\n"
        f"       or make one where the Hub is reachable: `python -m course.mirror fill --dest DIR`,\n"
        f"       or connect to the internet and unset HF_HUB_OFFLINE."
    )


def resolve(hub_id: str, kind: Kind, *, verbose: bool = True) -> Resolved:
    """Find where ``hub_id`` (a dataset or model) will come from. Prints the stand-in notice if one is used."""
    if kind not in _FOLDER:
        raise ValueError(f"kind must be 'dataset' or 'model', not {kind!r}")
    root = mirror_root()
    if root is not None:
        if not root.is_dir():
            raise SourceNotFoundError(not_found_message(hub_id, kind, f"the mirror folder {root} does not exist"))
        local = root / _FOLDER[kind] / hub_id
        if local.is_dir():
            return Resolved(hub_id, kind, str(local), hub_id, "mirror")
        if kind == "model":
            standin = read_mirror_manifest(root).get("substitutes", {}).get(hub_id)
            if standin and (root / "models" / standin).is_dir():
                resolved = Resolved(hub_id, kind, str(root / "models" / standin), standin, "substitute")
                if verbose:
                    print(resolved.notice)
                return resolved
    if hub_offline():
        if _cached_on_this_machine(hub_id, kind):
            return Resolved(hub_id, kind, hub_id, hub_id, "hub")
        raise SourceNotFoundError(
            not_found_message(hub_id, kind, "it is not in the mirror and HF_HUB_OFFLINE=1 forbids the Hub")
        )
    if not _hub_reachable():
        raise SourceNotFoundError(not_found_message(hub_id, kind, "it is not in the mirror and the Hub is unreachable"))
    return Resolved(hub_id, kind, hub_id, hub_id, "hub")


def resolve_dataset(hub_id: str) -> Resolved:
    return resolve(hub_id, "dataset")


def resolve_model(hub_id: str, *, verbose: bool = True) -> Resolved:
    return resolve(hub_id, "model", verbose=verbose)


def load_hub_dataset(hub_id: str, *args, **kwargs):
    """``datasets.load_dataset`` through the resolver, with one clear error when it fails."""
    import datasets

    resolved = resolve_dataset(hub_id)
    try:
        return datasets.load_dataset(resolved.location, *args, **kwargs)
    except (OSError, ConnectionError) as exc:
        raise SourceNotFoundError(not_found_message(hub_id, "dataset", f"loading from {resolved.location} failed ({exc})")) from None


def from_pretrained(auto_class, hub_id: str, **kwargs):
    """``auto_class.from_pretrained`` (AutoModel, AutoTokenizer, ...) through the resolver.

    Returns the loaded object; ``resolve_model(hub_id)`` tells where it came from.
    """
    resolved = resolve_model(hub_id)
    try:
        return auto_class.from_pretrained(resolved.location, **kwargs)
    except OSError as exc:
        raise SourceNotFoundError(not_found_message(hub_id, "model", f"loading from {resolved.location} failed ({exc})")) from None
