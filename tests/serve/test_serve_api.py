"""The serving contract (ARCHITECTURE.md, "The serving contract") with Flask's test client, concurrency, and start-up."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from serve.app import MAX_BATCH, create_app
from serve.bundle import BundleError
from deploy.onnx_bundle import export_bundle
from helpers.bundles import build_tiny_model

ROOT = Path(__file__).resolve().parents[2]
REVIEWS = ["a wonderful film, the acting was brilliant", "boring plot and awful acting, a waste",
           "it was not very good", "the best movie i have seen"]


@pytest.fixture(scope="module")
def bundle_dir(tmp_path_factory) -> Path:
    model, tokenizer, spec = build_tiny_model()
    out = tmp_path_factory.mktemp("bundle") / "tiny"
    export_bundle(model, tokenizer, spec, out, texts=REVIEWS)
    return out


@pytest.fixture(scope="module")
def frontend_dir(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("frontend")
    (folder / "index.html").write_text("<!doctype html><title>Sentiment</title><div id=root></div>")
    (folder / "assets").mkdir()
    (folder / "assets" / "app.js").write_text("console.log('hi')")
    return folder


@pytest.fixture(scope="module")
def app(bundle_dir, frontend_dir):
    return create_app(bundle_dir, frontend_dir=frontend_dir)


@pytest.fixture()
def client(app):
    return app.test_client()


def post(client, body, content_type="application/json"):
    data = body if isinstance(body, (bytes, str)) else json.dumps(body)
    return client.post("/api/predict", data=data, content_type=content_type)


def assert_json_error(resp, status: int, code: str | None = None):
    assert resp.status_code == status, (resp.status_code, resp.get_data(as_text=True)[:300])
    assert resp.mimetype == "application/json", resp.mimetype
    err = resp.get_json()["error"]
    assert isinstance(err["message"], str) and err["message"]
    if code:
        assert err["code"] == code, err
    return err


# ---- 200s ---------------------------------------------------------------------------------------
def test_predict_single(client):
    resp = post(client, {"text": REVIEWS[0]})
    assert resp.status_code == 200
    body = resp.get_json()
    assert set(body) == {"label", "score", "probabilities", "model"}
    assert body["model"] == "tiny-random-roberta"
    assert set(body["probabilities"]) == {"negative", "positive"}
    assert body["label"] == max(body["probabilities"], key=body["probabilities"].get)
    assert body["score"] == body["probabilities"][body["label"]]
    assert sum(body["probabilities"].values()) == pytest.approx(1.0, abs=1e-5)


def test_predict_batch_matches_single(client):
    resp = post(client, {"texts": REVIEWS})
    assert resp.status_code == 200
    body = resp.get_json()
    assert set(body) == {"predictions", "model"} and len(body["predictions"]) == len(REVIEWS)
    for text, pred in zip(REVIEWS, body["predictions"]):
        single = post(client, {"text": text}).get_json()
        assert pred["label"] == single["label"]
        assert pred["score"] == pytest.approx(single["score"], abs=1e-5)  # padding must not change the answer


def test_batch_limits(client):
    assert post(client, {"texts": ["good"] * MAX_BATCH}).status_code == 200
    assert_json_error(post(client, {"texts": ["good"] * (MAX_BATCH + 1)}), 400, "batch_size")
    assert_json_error(post(client, {"texts": []}), 400, "batch_size")


def test_long_text_is_truncated_not_refused(client, app):
    bundle = app.extensions["bundle"]
    long_text = "good " * 5000 + "awful terrible boring"
    resp = post(client, {"text": long_text})
    assert resp.status_code == 200
    ids = bundle.encode([long_text])[0]
    assert len(ids) == bundle.window.max_length
    # head and tail kept: the last real tokens are the review's last words
    tail = [bundle.tokenizer.token_to_id(w) for w in ("awful", "terrible", "boring")]
    assert ids[-1 - len(bundle.window.suffix_ids) - 2: len(ids) - len(bundle.window.suffix_ids)].tolist() == tail


def test_charset_and_unicode(client):
    resp = client.post("/api/predict", data=json.dumps({"text": "très bien 🎬 \u0000 \ud800"}),
                       content_type="application/json; charset=utf-8")
    assert resp.status_code == 200


def test_health_and_model(client, bundle_dir):
    resp = client.get("/api/health")
    assert resp.status_code == 200 and resp.get_json() == {"status": "ok"}
    info = client.get("/api/model").get_json()
    meta = json.loads((bundle_dir / "bundle.json").read_text())
    for key in ("name", "architecture", "labels", "quantization", "size_mb", "test_accuracy"):
        assert info[key] == meta[key]
    assert info["labels"] == ["negative", "positive"]


def test_frontend_served(client):
    resp = client.get("/")
    assert resp.status_code == 200 and resp.mimetype == "text/html"
    assert client.get("/assets/app.js").status_code == 200


def test_frontend_not_built_is_json_404(bundle_dir, tmp_path):
    client = create_app(bundle_dir, frontend_dir=tmp_path / "nothing").test_client()
    err = assert_json_error(client.get("/"), 404, "frontend_not_built")
    assert "npm" in err["message"]


# ---- errors -------------------------------------------------------------------------------------
@pytest.mark.parametrize("body, code", [
    (b"{not json", "invalid_json"),
    (b"", "invalid_json"),
    (b"\xff\xfe{}", "invalid_json"),
    (b"[" * 100_000, "invalid_json"),
    (b'"just a string"', "invalid_body"),
    (b"[]", "invalid_body"),
    (b"null", "invalid_body"),
    (b"{}", "missing_field"),
    (b'{"txt": "good"}', "missing_field"),
    (b'{"text": 5}', "wrong_type"),
    (b'{"text": null}', "wrong_type"),
    (b'{"text": ["good"]}', "wrong_type"),
    (b'{"text": {"a": 1}}', "wrong_type"),
    (b'{"texts": "good"}', "wrong_type"),
    (b'{"texts": ["good", 3]}', "wrong_type"),
    (b'{"texts": [["good"]]}', "wrong_type"),
    (b'{"text": ""}', "empty_text"),
    (b'{"text": "   \\n\\t "}', "empty_text"),
    (b'{"texts": ["good", " "]}', "empty_text"),
    (b'{"text": "good", "texts": ["good"]}', "ambiguous_body"),
    (b'{"text": NaN}', "wrong_type"),
])
def test_bad_bodies_are_400(client, body, code):
    assert_json_error(post(client, body), 400, code)


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data", ""])
def test_wrong_content_type_is_415(client, content_type):
    resp = client.post("/api/predict", data=json.dumps({"text": "good"}), content_type=content_type or None)
    assert_json_error(resp, 415, "unsupported_media_type")


def test_body_over_1mb_is_413(client):
    big = json.dumps({"text": "a" * (1024 * 1024 + 10)})
    assert_json_error(post(client, big), 413, "payload_too_large")
    just_under = json.dumps({"text": "good " * 200_000})  # ~1 MB of text, truncated to the window
    assert len(just_under) < 1024 * 1024 and post(client, just_under).status_code == 200


@pytest.mark.parametrize("method, path, status", [
    ("get", "/api/predict", 405), ("put", "/api/predict", 405), ("delete", "/api/predict", 405),
    ("post", "/api/health", 405), ("post", "/api/model", 405), ("post", "/", 405),
    ("get", "/api/nothing", 404), ("post", "/api/nothing", 404), ("get", "/no/such/page", 404),
    ("get", "/../../etc/passwd", 404), ("get", "/assets/missing.js", 404),
])
def test_404_and_405_are_json(client, method, path, status):
    assert_json_error(getattr(client, method)(path), status)


def test_405_lists_allowed_methods(client):
    assert "POST" in client.get("/api/predict").headers["Allow"]


def test_no_debug_mode(app):
    assert not app.debug and not app.testing  # the size limit is serve.validation.read_body's, tested above


def test_cors_only_when_configured(bundle_dir, frontend_dir, app):
    plain = app.test_client().post("/api/predict", json={"text": "good"}, headers={"Origin": "https://example.org"})
    assert "Access-Control-Allow-Origin" not in plain.headers
    allowed = create_app(bundle_dir, frontend_dir=frontend_dir, cors_origins="https://example.org").test_client()
    resp = allowed.post("/api/predict", json={"text": "good"}, headers={"Origin": "https://example.org"})
    assert resp.headers["Access-Control-Allow-Origin"] == "https://example.org"


def test_fuzzed_bodies_never_500_or_html(client):
    import random

    rng = random.Random(0)
    pieces = [b"{", b"}", b"[", b"]", b'"text"', b'"texts"', b":", b",", b'"good"', b"1", b"null", b"true", b"\xff", b" "]
    for _ in range(300):
        body = b"".join(rng.choice(pieces) for _ in range(rng.randint(0, 12)))
        resp = post(client, body)
        assert resp.status_code in (200, 400), (body, resp.status_code)
        assert resp.mimetype == "application/json"


# ---- concurrency --------------------------------------------------------------------------------
def test_concurrent_requests_identical_answers(app):
    expected = {t: post(app.test_client(), {"text": t}).get_json() for t in REVIEWS}

    def call(i: int):
        text = REVIEWS[i % len(REVIEWS)]
        resp = post(app.test_client(), {"text": text} if i % 5 else {"texts": [text, text]})
        assert resp.status_code == 200
        body = resp.get_json()
        got = body if "label" in body else body["predictions"][0]
        return text, got["label"], got["probabilities"]

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(call, range(400)))
    assert len(results) == 400
    for text, label, probs in results:
        assert label == expected[text]["label"]
        for name, p in probs.items():
            assert p == pytest.approx(expected[text]["probabilities"][name], abs=1e-5)


# ---- start-up -----------------------------------------------------------------------------------
def test_missing_bundle_fails_clearly(tmp_path, monkeypatch):
    with pytest.raises(BundleError, match="does not exist"):
        create_app(tmp_path / "nope")
    monkeypatch.delenv("MODEL_BUNDLE", raising=False)
    with pytest.raises(BundleError, match="MODEL_BUNDLE"):
        create_app()


@pytest.mark.parametrize("damage, message", [
    ("delete:bundle.json", "bundle.json is missing"),
    ("write:bundle.json:{oops", "not valid JSON"),
    ("write:bundle.json:{}", "lacks the keys"),
    ("delete:model.onnx", "model.onnx"),
    ("truncate:model.onnx", "corrupt"),
    ("write:tokenizer.json:garbage", "tokenizer.json"),
    ("labels", "labels"),
])
def test_broken_bundle_fails_clearly(bundle_dir, tmp_path, damage, message):
    broken = tmp_path / "broken"
    shutil.copytree(bundle_dir, broken)
    kind, _, rest = damage.partition(":")
    if kind == "delete":
        (broken / rest).unlink()
    elif kind == "write":
        name, _, text = rest.partition(":")
        (broken / name).write_text(text)
    elif kind == "truncate":
        data = (broken / rest).read_bytes()
        (broken / rest).write_bytes(data[: len(data) // 2])
    else:
        meta = json.loads((broken / "bundle.json").read_text())
        meta["labels"] = ["only-one"]
        (broken / "bundle.json").write_text(json.dumps(meta))
    with pytest.raises(BundleError, match=message):
        create_app(broken)


def test_corrupt_model_without_checksum_fails_clearly(bundle_dir, tmp_path):
    broken = tmp_path / "broken"
    shutil.copytree(bundle_dir, broken)
    meta = json.loads((broken / "bundle.json").read_text())
    meta.pop("model_sha256")
    (broken / "bundle.json").write_text(json.dumps(meta))
    (broken / "model.onnx").write_bytes(b"this is not an onnx model")
    with pytest.raises(BundleError, match="could not be loaded by onnxruntime"):
        create_app(broken)


def test_gunicorn_refuses_to_start_without_bundle(tmp_path):
    env = {"PATH": str(Path(sys.executable).parent) + ":/usr/bin:/bin", "PYTHONPATH": str(ROOT),
           "MODEL_BUNDLE": str(tmp_path / "missing")}
    proc = subprocess.run([sys.executable, "-m", "gunicorn", "--bind", "127.0.0.1:0", "serve.app:create_app()"],
                          env=env, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert proc.returncode != 0
    assert "does not exist" in proc.stderr and str(tmp_path / "missing") in proc.stderr


def test_serving_imports_no_torch(bundle_dir):
    code = ("import sys; from serve.app import create_app; app = create_app(sys.argv[1]); "
            "c = app.test_client(); assert c.post('/api/predict', json={'text': 'good'}).status_code == 200; "
            "bad = [m for m in ('torch', 'transformers', 'datasets', 'sklearn') if m in sys.modules]; "
            "assert not bad, bad; print('ok')")
    proc = subprocess.run([sys.executable, "-c", code, str(bundle_dir)], cwd=ROOT, capture_output=True, text=True,
                          timeout=120, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    assert proc.returncode == 0 and "ok" in proc.stdout, proc.stderr[-2000:]


def test_staged_folder_serves_on_its_own(bundle_dir, frontend_dir, tmp_path):
    """`python -m deploy.stage` output runs with only itself on the path, as on Heroku (Procfile defaults)."""
    from deploy.stage import stage

    # The tiny random model fails its behavioural budgets (the gate is tested in tests/part3_deploy/test_part3_gate.py).
    ship = stage(bundle_dir, tmp_path / "ship", frontend_dir, accept_over_budget=True)
    for name in ("Procfile", "requirements.txt", ".python-version", "Dockerfile", "serve/app.py", "bundle/bundle.json",
                 "serve/frontend/dist/index.html"):
        assert (ship / name).is_file(), name
    assert not (ship / "deploy" / "export.py").exists()  # the exporter (torch) does not ship
    procfile = (ship / "Procfile").read_text()
    assert procfile.startswith("web: ") and "$PORT" in procfile and "'serve.app:create_app()'" in procfile
    assert "MODEL_BUNDLE=${MODEL_BUNDLE:-bundle}" in procfile
    code = ("import sys; from serve.app import create_app; c = create_app('bundle').test_client(); "
            "assert c.post('/api/predict', json={'text': 'good'}).status_code == 200; "
            "assert c.get('/').status_code == 200; assert 'torch' not in sys.modules; print('ok')")
    proc = subprocess.run([sys.executable, "-c", code], cwd=ship, capture_output=True, text=True, timeout=120,
                          env={"PYTHONPATH": str(ship), "PATH": "/usr/bin:/bin"})
    assert proc.returncode == 0 and "ok" in proc.stdout, proc.stderr[-2000:]


def test_no_answer_carries_a_server_path(bundle_dir, tmp_path):
    """Every kind of answer, errors included, is free of this machine's paths, even for a bundle whose metadata
    names an absolute source (one exported by an older exporter, say)."""
    copied = tmp_path / "bundle"
    shutil.copytree(bundle_dir, copied)
    meta = json.loads((copied / "bundle.json").read_text())
    meta["source_checkpoint"] = "/home/someone/course/artifacts/quick/part2/stage2"
    (copied / "bundle.json").write_text(json.dumps(meta))
    client = create_app(copied, frontend_dir=tmp_path / "no-page-here").test_client()
    answers = [
        client.get("/api/model"), client.get("/api/health"), client.get("/"), client.get("/assets/x.js"),
        client.get("/api/nope"), client.get("/api/predict"), client.put("/api/model"),
        post(client, {"text": "good"}), post(client, {"texts": ["good", "bad"]}), post(client, {"text": ""}),
        post(client, b"{not json"), post(client, "x", content_type="text/plain"),
        post(client, {"text": "a" * (1024 * 1024 + 10)}),
    ]
    assert {a.status_code for a in answers} >= {200, 400, 404, 405, 413, 415}
    forbidden = {str(copied), str(tmp_path), str(ROOT), tempfile.gettempdir() + "/", str(Path.home()) + "/", "/home/"}
    for answer in answers:
        assert answer.mimetype == "application/json"
        text = answer.get_data(as_text=True)
        leaked = [f for f in forbidden if f in text]
        assert not leaked, (answer.request.path, leaked, text[:300])
    assert answers[0].get_json()["source_checkpoint"] == "stage2"
