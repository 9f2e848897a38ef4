"""The Flask app: a JSON API around a model bundle, and the React page at ``/`` (ARCHITECTURE.md, "The serving
contract").

Start it with::

    MODEL_BUNDLE=path/to/bundle gunicorn --bind 127.0.0.1:8000 'serve.app:create_app()'

Configuration comes from the environment:

    MODEL_BUNDLE   the bundle directory made by ``python -m deploy.export`` (required)
    CORS_ORIGINS   comma-separated origins allowed to call /api/* from other sites (default: none, same origin only)
    ORT_THREADS    onnxruntime threads per inference (default: 0 = one per CPU core)
    FRONTEND_DIR   the built page (default: serve/frontend/dist, made by ``npm run build``)

The factory only wires: the bundle (:mod:`serve.bundle`), the routes (:mod:`serve.api`), request validation
(:mod:`serve.validation`) and the error handlers below. Every answer is JSON, errors included:
``{"error": {"code": "...", "message": "..."}}``. Nothing a client sends can produce a 500.
"""
from __future__ import annotations

import logging
import os
import time
from pathlib import Path

from flask import Flask, jsonify, request
from werkzeug.exceptions import HTTPException

from .api import bp
from .bundle import Bundle, BundleError
from .validation import MAX_BATCH, TOO_LARGE, ApiError

__all__ = ["MAX_BATCH", "DEFAULT_FRONTEND", "create_app", "error_response"]

DEFAULT_FRONTEND = Path(__file__).resolve().parent / "frontend" / "dist"
HTTP_CODES = {400: "bad_request", 404: "not_found", 405: "method_not_allowed", 413: "payload_too_large",
              415: "unsupported_media_type", 500: "internal_error"}

log = logging.getLogger("serve.app")


def create_app(bundle_dir: str | os.PathLike | None = None, *, bundle: Bundle | None = None,
               frontend_dir: str | os.PathLike | None = None, cors_origins: str | None = None,
               threads: int | None = None) -> Flask:
    """Build the app. Arguments override the environment (MODEL_BUNDLE, FRONTEND_DIR, CORS_ORIGINS, ORT_THREADS).

    Loads the bundle at once: a missing or broken bundle raises :class:`BundleError` naming the file, so
    gunicorn stops at start-up instead of serving errors.
    """
    logger = _logger()
    if bundle is None:
        bundle = _load_bundle(bundle_dir or os.environ.get("MODEL_BUNDLE"),
                              threads if threads is not None else int(os.environ.get("ORT_THREADS", "0") or 0), logger)
    app = Flask(__name__, static_folder=None)
    app.config.update(FRONTEND_DIR=str(frontend_dir or os.environ.get("FRONTEND_DIR") or DEFAULT_FRONTEND))
    app.json.sort_keys = False
    app.extensions["bundle"] = bundle
    _enable_cors(app, cors_origins if cors_origins is not None else os.environ.get("CORS_ORIGINS", ""))
    _register_error_handlers(app, logger)
    app.register_blueprint(bp)
    return app


def error_response(status: int, code: str, message: str):
    response = jsonify({"error": {"code": code, "message": message}})
    response.status_code = status
    return response


def _logger() -> logging.Logger:
    gunicorn = logging.getLogger("gunicorn.error")
    return gunicorn if gunicorn.handlers else log


def _load_bundle(bundle_dir, threads: int, logger: logging.Logger) -> Bundle:
    if not bundle_dir:
        raise BundleError("MODEL_BUNDLE is not set: point it at a bundle directory made by `python -m deploy.export`.")
    started = time.perf_counter()
    bundle = Bundle(bundle_dir, threads=threads or None)
    logger.info("loaded bundle %s (%s) in %.2f s", bundle.name, bundle.path, time.perf_counter() - started)
    return bundle


def _enable_cors(app: Flask, origins: str) -> None:
    allowed = [o.strip() for o in origins.split(",") if o.strip()]
    if allowed:
        from flask_cors import CORS

        CORS(app, resources={r"/api/*": {"origins": allowed}})


def _register_error_handlers(app: Flask, logger: logging.Logger) -> None:
    @app.errorhandler(ApiError)
    def _api_error(exc: ApiError):
        return error_response(exc.status, exc.code, exc.message)

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        code = HTTP_CODES.get(exc.code, exc.name.lower().replace(" ", "_"))
        message = {
            404: f"No such page or endpoint: {request.path}. The API has POST /api/predict, GET /api/health and GET /api/model.",
            405: f"{request.method} is not allowed on {request.path}.",
            413: TOO_LARGE,
        }.get(exc.code, exc.description or exc.name)
        response = error_response(exc.code or 500, code, message)
        if exc.code == 405 and getattr(exc, "valid_methods", None):
            response.headers["Allow"] = ", ".join(exc.valid_methods)
        return response

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):  # a bug on our side: log it, answer JSON, never an HTML page
        logger.exception("unexpected error on %s %s", request.method, request.path)
        return error_response(500, "internal_error", "The server failed to answer; this is not your fault. Try again later.")
