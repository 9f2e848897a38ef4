"""Part 3 end to end: gunicorn on 127.0.0.1 serving the built React page, driven by Playwright in Chromium."""
from __future__ import annotations

import http.client
import json
from pathlib import Path

import pytest

from serve.app import DEFAULT_FRONTEND
from deploy.background import chromium_page, serve_in_background
from deploy.onnx_bundle import export_bundle
from helpers.bundles import build_tiny_model

REVIEW = "A wonderful film: brilliant acting and a moving story. I loved it."


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    assert (DEFAULT_FRONTEND / "index.html").is_file(), (
        f"{DEFAULT_FRONTEND}/index.html is missing: build the page first (cd serve/frontend && npm ci && npm run build)")
    model, tokenizer, spec = build_tiny_model()
    bundle = tmp_path_factory.mktemp("bundle") / "tiny"
    export_bundle(model, tokenizer, spec, bundle, texts=[REVIEW, "awful"])
    with serve_in_background(bundle, threads=4) as srv:
        yield srv


def test_http_contract_over_gunicorn(server):
    status, body = server.post_json("/api/predict", {"text": REVIEW})
    assert status == 200 and body["label"] in ("negative", "positive") and body["model"] == "tiny-random-roberta"
    status, body = server.post_json("/api/predict", {"text": "  "})
    assert status == 400 and body["error"]["code"] == "empty_text"
    status, body = server.request("GET", "/api/nothing")
    assert status == 404 and body["error"]["code"] == "not_found"
    status, page = server.request("GET", "/")
    assert status == 200 and '<div id="root">' in page


def test_chunked_body_over_1mb_is_413_json(server):
    host, port = server.url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=30)
    body = [b'{"text": "'] + [b"a" * 100_000] * 12 + [b'"}']
    conn.request("POST", "/api/predict", body=iter(body), headers={"Content-Type": "application/json"},
                 encode_chunked=True)
    resp = conn.getresponse()
    payload = json.loads(resp.read())
    assert resp.status == 413 and payload["error"]["code"] == "payload_too_large"


def test_page_predicts_and_shows_errors(server):
    with chromium_page() as page:
        page.goto(server.url + "/")
        assert page.title() == "Movie review sentiment"
        box = page.get_by_label("Your movie review")
        # type a review, press the button, see the label and its probability bars
        box.fill(REVIEW)
        page.get_by_role("button", name="Predict sentiment").click()
        label = page.get_by_test_id("label")
        label.wait_for(timeout=15_000)
        status, expected = server.post_json("/api/predict", {"text": REVIEW})
        assert label.inner_text().lower() == expected["label"]
        meters = page.get_by_role("meter")
        assert meters.count() == 2
        assert int(meters.first.get_attribute("aria-valuenow")) == round(expected["probabilities"]["negative"] * 100)
        # submit an empty review: the API's own message appears in an alert
        box.fill("")
        page.get_by_role("button", name="Predict sentiment").click()
        alert = page.get_by_role("alert")
        alert.wait_for(timeout=15_000)
        assert "empty" in alert.inner_text()
        assert page.get_by_test_id("label").count() == 0
        # keyboard only: Tab to an example, Enter fills the box, Ctrl+Enter predicts
        box.focus()
        page.keyboard.press("Tab")
        page.keyboard.press("Enter")
        assert "wonderful film" in box.input_value()
        box.focus()
        page.keyboard.press("Control+Enter")
        page.get_by_test_id("label").wait_for(timeout=15_000)
        assert page.get_by_role("alert").count() == 0
        # the model's metadata from /api/model is in the footer
        assert "tiny-random-roberta" in page.locator("footer").inner_text()
