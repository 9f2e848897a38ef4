"""The Flask app: a JSON API around a model bundle, and the React page at ``/`` (DESIGN.md section 7).

Start it with::

    MODEL_BUNDLE=path/to/bundle gunicorn --bind 127.0.0.1:8000 'deploy.app:create_app()'

Configuration comes from the environment:

    MODEL_BUNDLE   the bundle directory made by ``python -m deploy.export`` (required)
    CORS_ORIGINS   comma-separated origins allowed to call /api/* from other sites (default: none, same origin only)
    ORT_THREADS    onnxruntime threads per inference (default: 0 = one per CPU core)
    FRONTEND_DIR   the built page (default: deploy/frontend/dist, made by ``npm run build``)

Every answer is JSON, errors included: ``{"error": {"code": "...", "message": "..."}}``. Nothing a client
sends can produce a 500: bad input is a 400, 404, 405, 413 or 415 with a message saying what to fix.
"""
from __future__ import annotations

import json
import logging
import os
import time
from pathlib import Path

from flask import Flask, jsonify, request, send_from_directory
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound

from .bundle import Bundle, BundleError

MAX_BODY_BYTES = 1024 * 1024  # 1 MB
MAX_BATCH = 64
DEFAULT_FRONTEND = Path(__file__).resolve().parent / "frontend" / "dist"

log = logging.getLogger("deploy.app")


class ApiError(Exception):
    """A client error: becomes a JSON answer with this status, code and message."""

    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


HTTP_CODES = {400: "bad_request", 404: "not_found", 405: "method_not_allowed", 413: "payload_too_large",
              415: "unsupported_media_type", 500: "internal_error"}


def error_response(status: int, code: str, message: str):
    response = jsonify({"error": {"code": code, "message": message}})
    response.status_code = status
    return response


def _parse_texts(payload) -> tuple[list[str], bool]:
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
            raise ApiError(400, "wrong_type", f'"text" must be a string, not {_json_type(payload["text"])}.')
    else:
        texts, batch = payload["texts"], True
        if not isinstance(texts, list):
            raise ApiError(400, "wrong_type", f'"texts" must be a list of strings, not {_json_type(texts)}.')
        if not 1 <= len(texts) <= MAX_BATCH:
            raise ApiError(400, "batch_size", f'"texts" must hold 1 to {MAX_BATCH} texts; it holds {len(texts)}.')
        for i, t in enumerate(texts):
            if not isinstance(t, str):
                raise ApiError(400, "wrong_type", f'"texts"[{i}] must be a string, not {_json_type(t)}.')
    for i, t in enumerate(texts):
        if not t.strip():
            where = f'"texts"[{i}]' if batch else '"text"'
            raise ApiError(400, "empty_text", f"{where} is empty or only whitespace: type a review to classify.")
    return texts, batch


def _read_body() -> bytes:
    """The request body, at most 1 MB. A chunked upload (no Content-Length) is read up to the limit + 1 byte,
    because werkzeug would silently cut it at the limit and we would answer a misleading 400."""
    if request.content_length is not None or not request.environ.get("wsgi.input_terminated"):
        return request.get_data(cache=False)
    stream, chunks, size = request.environ["wsgi.input"], [], 0
    while size <= MAX_BODY_BYTES:
        chunk = stream.read(min(65536, MAX_BODY_BYTES + 1 - size))
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    if size > MAX_BODY_BYTES:
        raise ApiError(413, "payload_too_large", f"The body is larger than {MAX_BODY_BYTES // 1024} KB.")
    return b"".join(chunks)


def _json_type(value) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean", int: "a number",
            float: "a number", type(None): "null"}.get(type(value), type(value).__name__)


def create_app(bundle_dir: str | os.PathLike | None = None, *, bundle: Bundle | None = None,
               frontend_dir: str | os.PathLike | None = None, cors_origins: str | None = None,
               threads: int | None = None) -> Flask:
    """Build the app. Arguments override the environment (MODEL_BUNDLE, FRONTEND_DIR, CORS_ORIGINS, ORT_THREADS).

    Loads the bundle at once: a missing or broken bundle raises :class:`BundleError` naming the file, so
    gunicorn stops at start-up instead of serving errors.
    """
    logger = logging.getLogger("gunicorn.error") if logging.getLogger("gunicorn.error").handlers else log
    if bundle is None:
        bundle_dir = bundle_dir or os.environ.get("MODEL_BUNDLE")
        if not bundle_dir:
            raise BundleError("MODEL_BUNDLE is not set: point it at a bundle directory made by `python -m deploy.export`.")
        threads = threads if threads is not None else int(os.environ.get("ORT_THREADS", "0") or 0)
        started = time.perf_counter()
        bundle = Bundle(bundle_dir, threads=threads or None)
        logger.info("loaded bundle %s (%s) in %.2f s", bundle.name, bundle.path, time.perf_counter() - started)
    frontend = Path(frontend_dir or os.environ.get("FRONTEND_DIR") or DEFAULT_FRONTEND)

    app = Flask(__name__, static_folder=None)
    app.config.update(MAX_CONTENT_LENGTH=MAX_BODY_BYTES, JSON_SORT_KEYS=False, DEBUG=False, TESTING=False)
    app.json.sort_keys = False
    app.extensions["bundle"] = bundle

    origins = cors_origins if cors_origins is not None else os.environ.get("CORS_ORIGINS", "")
    origins = [o.strip() for o in origins.split(",") if o.strip()]
    if origins:
        from flask_cors import CORS

        CORS(app, resources={r"/api/*": {"origins": origins}})

    @app.errorhandler(ApiError)
    def _api_error(exc: ApiError):
        return error_response(exc.status, exc.code, exc.message)

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        code = HTTP_CODES.get(exc.code, exc.name.lower().replace(" ", "_"))
        message = {
            404: f"No such page or endpoint: {request.path}. The API has POST /api/predict, GET /api/health and GET /api/model.",
            405: f"{request.method} is not allowed on {request.path}.",
            413: f"The body is larger than {MAX_BODY_BYTES // 1024} KB; send shorter texts or fewer at a time.",
        }.get(exc.code, exc.description or exc.name)
        response = error_response(exc.code or 500, code, message)
        if exc.code == 405 and getattr(exc, "valid_methods", None):
            response.headers["Allow"] = ", ".join(exc.valid_methods)
        return response

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):  # a bug on our side: log it, answer JSON, never an HTML page
        logger.exception("unexpected error on %s %s", request.method, request.path)
        return error_response(500, "internal_error", "The server failed to answer; this is not your fault. Try again later.")

    @app.post("/api/predict")
    def predict():
        if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
            raise ApiError(413, "payload_too_large", f"The body is larger than {MAX_BODY_BYTES // 1024} KB.")
        if request.mimetype != "application/json":
            raise ApiError(415, "unsupported_media_type",
                           f"Send JSON with the header Content-Type: application/json (got {request.mimetype or 'none'!r}).")
        raw = _read_body()
        try:
            payload = json.loads(raw.decode("utf-8"))
        except UnicodeDecodeError:
            raise ApiError(400, "invalid_json", "The body is not UTF-8 text.") from None
        except json.JSONDecodeError as exc:
            raise ApiError(400, "invalid_json", f"The body is not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno}).") from None
        except RecursionError:
            raise ApiError(400, "invalid_json", "The JSON is nested too deeply.") from None
        texts, batch = _parse_texts(payload)
        predictions = bundle.predict(texts)
        if batch:
            return jsonify({"predictions": predictions, "model": bundle.name})
        return jsonify({**predictions[0], "model": bundle.name})

    @app.get("/api/health")
    def health():
        return jsonify({"status": "ok"})

    @app.get("/api/model")
    def model_info():
        return jsonify(bundle.public_metadata())

    @app.get("/")
    def index():
        if not (frontend / "index.html").is_file():
            raise ApiError(404, "frontend_not_built",
                           f"The page is not built ({frontend / 'index.html'} is missing): run `npm ci && npm run build` in deploy/frontend. The API works without it.")
        return send_from_directory(frontend, "index.html", max_age=0)

    api_methods = {"api/predict": ["POST"], "api/health": ["GET", "HEAD"], "api/model": ["GET", "HEAD"]}

    @app.route("/<path:filename>", methods=["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"])
    def everything_else(filename):
        # One catch-all, so that a wrong method on an API path is a 405 and an unknown path a JSON 404.
        if filename in api_methods:
            raise MethodNotAllowed(valid_methods=api_methods[filename])
        if filename.startswith("api/") or request.method not in ("GET", "HEAD"):
            raise NotFound()
        return send_from_directory(frontend, filename, max_age=3600)  # NotFound -> the JSON 404 above

    return app
