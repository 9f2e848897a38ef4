"""Run gunicorn in the background (for chapters and tests), and drive a headless Chromium with Playwright.

    with serve_in_background("bundles/standin-int8") as server:
        print(server.url)                  # http://127.0.0.1:PORT
        server.post_json("/api/predict", {"text": "great"})

The server is the same command as in production (``gunicorn 'serve.app:create_app()'``), bound to
127.0.0.1 on a free port; leaving the ``with`` block stops it (SIGTERM, then SIGKILL after a timeout).
"""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, process: subprocess.Popen, url: str, log_path: Path):
        self.process, self.url, self.log_path = process, url, log_path

    def request(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None,
                timeout: float = 30) -> tuple[int, dict | str]:
        """(status, parsed JSON or text) for one HTTP request, errors included."""
        req = urllib.request.Request(self.url + path, data=body, method=method, headers=headers or {})
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:
                status, raw, ctype = resp.status, resp.read(), resp.headers.get("Content-Type", "")
        except urllib.error.HTTPError as err:
            status, raw, ctype = err.code, err.read(), err.headers.get("Content-Type", "")
        return status, json.loads(raw) if ctype.startswith("application/json") else raw.decode("utf-8", "replace")

    def post_json(self, path: str, payload, timeout: float = 120) -> tuple[int, dict | str]:
        return self.request("POST", path, json.dumps(payload).encode(), {"Content-Type": "application/json"}, timeout)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def stop(self, timeout: float = 10) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode


def start_gunicorn(bundle_dir: str | os.PathLike, *, port: int | None = None, threads: int = 4,
                   workers: int = 1, env: dict | None = None, log_path: str | os.PathLike | None = None,
                   wait: float = 90) -> Server:
    """Start ``gunicorn 'serve.app:create_app()'`` on 127.0.0.1 and wait until /api/health answers."""
    port = port or free_port()
    log_path = Path(log_path or Path(os.environ.get("TMPDIR", "/tmp")) / f"gunicorn-{port}.log")
    # MALLOC_ARENA_MAX=2 as in the Procfile: fewer glibc heaps for the threads, less memory kept after peaks.
    # MALLOC_MMAP_THRESHOLD_=131072, also as in the Procfile: glibc otherwise raises its mmap threshold after the first
    # large free, so later activations (MBs each) come from the heap, which fragments and never shrinks: measured
    # with the int8 roberta-base-sized model, one 512-token review then peaked at ~660 MB instead of ~270 MB.
    full_env = {"MALLOC_ARENA_MAX": "2", "MALLOC_MMAP_THRESHOLD_": "131072", **os.environ, "MODEL_BUNDLE": str(Path(bundle_dir).resolve()), **(env or {})}
    full_env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), full_env.get("PYTHONPATH")]))
    cmd = [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
           "--threads", str(threads), "--timeout", "120", "serve.app:create_app()"]
    with open(log_path, "wb") as log:
        process = subprocess.Popen(cmd, cwd=ROOT, env=full_env, stdout=log, stderr=subprocess.STDOUT)
    server = Server(process, f"http://127.0.0.1:{port}", log_path)
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with code {process.returncode} during start-up:\n{server.log()[-3000:]}")
        try:
            if server.request("GET", "/api/health", timeout=2)[0] == 200:
                return server
        except OSError:
            pass
        time.sleep(0.2)
    server.stop()
    raise RuntimeError(f"gunicorn did not answer /api/health within {wait:.0f} s:\n{server.log()[-3000:]}")


@contextmanager
def serve_in_background(bundle_dir, **kwargs):
    server = start_gunicorn(bundle_dir, **kwargs)
    try:
        yield server
    finally:
        server.stop()


@contextmanager
def chromium_page(viewport: dict | None = None):
    """A Playwright page in Debian's Chromium (``apt-get install chromium``), headless."""
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        raise FileNotFoundError(f"{CHROMIUM} not found: install Chromium (`apt-get install -y chromium`) "
                                f"or set CHROMIUM_PATH to a Chromium/Chrome binary.")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_page(viewport=viewport or {"width": 900, "height": 900})
            yield page
        finally:
            browser.close()
