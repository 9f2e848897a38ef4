"""Request validation: what a client may send to ``POST /api/predict``, and the error each mistake gets.

Every check raises :class:`ApiError`, which the app turns into ``{"error": {"code", "message"}}`` with a 4xx
status. This is the one place that reads a request body, so the size limit is enforced here only.
"""
from __future__ import annotations

import json

from flask import request

MAX_BODY_BYTES = 1024 * 1024  # 1 MB
MAX_BATCH = 64
TOO_LARGE = f"The body is larger than {MAX_BODY_BYTES // 1024} KB; send shorter texts or fewer at a time."


class ApiError(Exception):
    """A client error: becomes a JSON answer with this status, code and message."""

    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def read_body(limit: int = MAX_BODY_BYTES) -> bytes:
    """The request body, at most ``limit`` bytes, else a 413. Reads at most ``limit + 1`` bytes whether the client
    sent a Content-Length or a chunked upload, so an oversized body is refused, never silently cut."""
    if request.content_length is not None and request.content_length > limit:
        raise ApiError(413, "payload_too_large", TOO_LARGE)
    stream, chunks, size = request.stream, [], 0
    while size <= limit:
        chunk = stream.read(min(65536, limit + 1 - size))
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    if size > limit:
        raise ApiError(413, "payload_too_large", TOO_LARGE)
    return b"".join(chunks)


def read_json() -> object:
    """The request's JSON document: 415 unless it is declared as JSON, 400 unless it parses."""
    if request.mimetype != "application/json":
        raise ApiError(415, "unsupported_media_type",
                       f"Send JSON with the header Content-Type: application/json (got {request.mimetype or 'none'!r}).")
    raw = read_body()
    try:
        return json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ApiError(400, "invalid_json", "The body is not UTF-8 text.") from None
    except json.JSONDecodeError as exc:
        raise ApiError(400, "invalid_json", f"The body is not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno}).") from None
    except RecursionError:
        raise ApiError(400, "invalid_json", "The JSON is nested too deeply.") from None


def parse_texts(payload) -> tuple[list[str], bool]:
    """The texts in a request body, and whether it was a batch. Raises ApiError(400) for anything wrong."""
    if not isinstance(payload, dict):
        raise ApiError(400, "invalid_body", 'The body must be a JSON object: {"text": "..."} or {"texts": ["...", ...]}.')
    has_text, has_texts = "text" in payload, "texts" in payload
    if has_text and has_texts:
        raise ApiError(400, "ambiguous_body", 'Send either "text" (one review) or "texts" (a batch), not both.')
    if not (has_text or has_texts):
        raise ApiError(400, "missing_field", 'The body needs a "text" field (a string) or a "texts" field (a list of strings).')
    if has_text:
        texts, batch = [payload["text"]], False
        if not isinstance(payload["text"], str):
            raise ApiError(400, "wrong_type", f'"text" must be a string, not {json_type(payload["text"])}.')
    else:
        texts, batch = payload["texts"], True
        if not isinstance(texts, list):
            raise ApiError(400, "wrong_type", f'"texts" must be a list of strings, not {json_type(texts)}.')
        if not 1 <= len(texts) <= MAX_BATCH:
            raise ApiError(400, "batch_size", f'"texts" must hold 1 to {MAX_BATCH} texts; it holds {len(texts)}.')
        for i, t in enumerate(texts):
            if not isinstance(t, str):
                raise ApiError(400, "wrong_type", f'"texts"[{i}] must be a string, not {json_type(t)}.')
    for i, t in enumerate(texts):
        if not t.strip():
            where = f'"texts"[{i}]' if batch else '"text"'
            raise ApiError(400, "empty_text", f"{where} is empty or only whitespace: type a review to classify.")
    return texts, batch


def json_type(value) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean", int: "a number",
            float: "a number", type(None): "null"}.get(type(value), type(value).__name__)
