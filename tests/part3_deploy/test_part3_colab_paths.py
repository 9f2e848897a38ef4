"""Part 3 where a machine lacks the page's tools (a fresh Colab runtime): the chapters say so and still ship the API."""
from __future__ import annotations

import subprocess
import sys

import pytest

from deploy import background, recipes
from deploy.onnx_bundle import export_bundle
from deploy.stage import stage
from helpers.bundles import build_tiny_model


@pytest.fixture(scope="module")
def bundle_dir(tmp_path_factory):
    model, tokenizer, spec = build_tiny_model()
    out = tmp_path_factory.mktemp("bundle") / "tiny"
    export_bundle(model, tokenizer, spec, out, texts=["a great film", "a dull film"])
    return out


def test_missing_page_tools_names_what_is_missing(tmp_path, monkeypatch):
    monkeypatch.setattr(recipes, "FRONTEND", tmp_path / "frontend")  # not built
    monkeypatch.setattr(recipes.shutil, "which", lambda name: None)  # no node, no npm
    monkeypatch.setattr(background, "CHROMIUM", str(tmp_path / "no-chromium"))
    missing = recipes.missing_page_tools()
    assert len(missing) == 2 and "Node.js 20" in missing[0] and "found: none" in missing[0] and "Chromium" in missing[1]
    assert recipes.missing_page_tools(browser=False) == missing[:1]
    (tmp_path / "frontend" / "dist").mkdir(parents=True)
    (tmp_path / "frontend" / "dist" / "index.html").write_text("<!doctype html>")
    assert recipes.missing_page_tools(browser=False) == []  # a built page needs no Node.js


def test_staged_api_without_page_serves_and_says_the_page_is_missing(bundle_dir, tmp_path):
    ship = stage(bundle_dir, tmp_path / "ship", page=False, accept_over_budget=True)  # a tiny random model
    assert (ship / "bundle" / "bundle.json").is_file() and (ship / "serve" / "app.py").is_file()
    assert not (ship / "serve" / "frontend").exists()
    code = ("from serve.app import create_app; c = create_app('bundle').test_client(); "
            "assert c.post('/api/predict', json={'text': 'good'}).status_code == 200; "
            "r = c.get('/'); assert r.status_code == 404 and r.get_json()['error']['code'] == 'frontend_not_built'; print('ok')")
    proc = subprocess.run([sys.executable, "-c", code], cwd=ship, capture_output=True, text=True, timeout=120,
                          env={"PYTHONPATH": str(ship), "PATH": "/usr/bin:/bin"})
    assert proc.returncode == 0 and "ok" in proc.stdout, proc.stderr[-2000:]
