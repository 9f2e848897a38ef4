"""The routes: the JSON API under ``/api`` and the React page at ``/`` (a Flask blueprint).

The loaded bundle is ``current_app.extensions["bundle"]``; the built page's folder is
``current_app.config["FRONTEND_DIR"]``.
"""
from __future__ import annotations

from pathlib import Path

from flask import Blueprint, current_app, jsonify, request, send_from_directory
from werkzeug.exceptions import MethodNotAllowed, NotFound

from .validation import ApiError, parse_texts, read_json

bp = Blueprint("api", __name__)
API_METHODS = {"api/predict": ["POST"], "api/health": ["GET", "HEAD"], "api/model": ["GET", "HEAD"]}


def _bundle():
    return current_app.extensions["bundle"]


@bp.post("/api/predict")
def predict():
    texts, batch = parse_texts(read_json())
    bundle = _bundle()
    predictions = bundle.predict(texts)
    if batch:
        return jsonify({"predictions": predictions, "model": bundle.name})
    return jsonify({**predictions[0], "model": bundle.name})


@bp.get("/api/health")
def health():
    return jsonify({"status": "ok"})


@bp.get("/api/model")
def model_info():
    return jsonify(_bundle().public_metadata())


@bp.get("/")
def index():
    frontend = Path(current_app.config["FRONTEND_DIR"])
    if not (frontend / "index.html").is_file():
        raise ApiError(404, "frontend_not_built", "The page is not built: run `npm ci && npm run build` in serve/frontend "
                                                  "(or set FRONTEND_DIR). The API works without it.")
    return send_from_directory(frontend, "index.html", max_age=0)


@bp.route("/<path:filename>", methods=["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"])
def everything_else(filename):
    # One catch-all, so that a wrong method on an API path is a 405 and an unknown path a JSON 404.
    if filename in API_METHODS:
        raise MethodNotAllowed(valid_methods=API_METHODS[filename])
    if filename.startswith("api/") or request.method not in ("GET", "HEAD"):
        raise NotFound()
    return send_from_directory(current_app.config["FRONTEND_DIR"], filename, max_age=3600)  # NotFound -> JSON 404
