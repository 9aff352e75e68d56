"""A minimal headless-Chromium driver over the DevTools protocol, and a local web server.

Only the system's Chromium is used (Debian's ``chromium``); nothing is downloaded. The
protocol is spoken over a websocket with ``websocket-client``.
"""
from __future__ import annotations

import base64
import functools
import http.server
import json
import os
import shutil
import subprocess
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

import websocket

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
NO_CHROMIUM = "no Chromium found: install Debian's `chromium` (apt-get install -y chromium)"


def page_ready(timeout_ms: int) -> str:
    """JavaScript statements that wait until MathJax has typeset and every image has loaded
    (or ``timeout_ms`` passed), leaving the page's images in ``imgs``; the start of every
    async check run on a page."""
    return """
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
    await MathJax.startup.promise;
  }
  const imgs = [...document.images];
  imgs.forEach(i => { i.loading = "eager"; });
  await Promise.all(imgs.map(i => i.complete ? null : new Promise(r => {
    i.addEventListener("load", r); i.addEventListener("error", r); setTimeout(r, %d);
  })));""" % timeout_ms


def chromium_or_skip() -> str:
    """The browser for a test: skipped when there is none, failed on CI, which installs it."""
    import pytest

    exe = find_chromium()
    if exe is None:
        if os.environ.get("CI"):
            pytest.fail(NO_CHROMIUM)
        pytest.skip(NO_CHROMIUM)
    return exe


def find_chromium() -> str | None:
    """The browser named by ``$CHROMIUM``, else the first of :data:`CANDIDATES` on the PATH."""
    env = os.environ.get("CHROMIUM")
    if env:
        return env if shutil.which(env) or Path(env).exists() else None
    for name in CANDIDATES:
        path = shutil.which(name)
        if path:
            return path
    return None


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # keep test output clean
        pass


class Server:
    """Serve ``root`` on 127.0.0.1 at a free port, in a thread."""

    def __init__(self, root: Path):
        handler = functools.partial(_QuietHandler, directory=str(root))
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}/"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> "Server":
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()


class Browser:
    """One headless Chromium with one page, driven over the DevTools protocol."""

    def __init__(self, executable: str, *, width: int = 1300, height: int = 900,
                 timeout: float = 60.0):
        self.width, self.height, self.timeout = width, height, timeout
        self.profile = tempfile.TemporaryDirectory(prefix="chromium-profile-",
                                                   ignore_cleanup_errors=True)
        self.log = open(Path(self.profile.name) / "stderr.log", "wb")
        self.proc = subprocess.Popen(
            [executable, "--headless=new", "--no-sandbox", "--disable-gpu",
             "--disable-dev-shm-usage", "--no-first-run", "--no-default-browser-check",
             "--disable-extensions", "--disable-background-networking", "--disable-sync",
             "--disable-component-update", "--disable-default-apps", "--mute-audio",
             "--hide-scrollbars", f"--window-size={width},{height}",
             "--remote-debugging-port=0", f"--user-data-dir={self.profile.name}",
             "about:blank"],
            stdout=subprocess.DEVNULL, stderr=self.log)
        port = self._port()
        deadline = time.monotonic() + timeout
        while True:
            try:
                targets = json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list"))
                page = next(t for t in targets if t["type"] == "page")
                break
            except (OSError, StopIteration):
                if time.monotonic() > deadline:
                    raise RuntimeError("Chromium started but shows no page target")
                time.sleep(0.2)
        self.ws = websocket.create_connection(page["webSocketDebuggerUrl"], timeout=timeout,
                                              suppress_origin=True)
        self._id = 0
        self.events: list[dict] = []
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.call(f"{domain}.enable")
        self._metrics(width, height)

    def _metrics(self, width: int, height: int) -> None:
        self.call("Emulation.setDeviceMetricsOverride", width=width, height=height,
                  deviceScaleFactor=1, mobile=False)

    def _port(self) -> int:
        marker = Path(self.profile.name) / "DevToolsActivePort"
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"Chromium exited with code {self.proc.returncode}: "
                                   + (Path(self.profile.name) / "stderr.log").read_text()[-2000:])
            if marker.exists() and marker.read_text().strip():
                return int(marker.read_text().split()[0])
            time.sleep(0.1)
        raise RuntimeError("Chromium did not open its DevTools port")

    def call(self, method: str, **params):
        self._id += 1
        msg_id = self._id
        self.ws.send(json.dumps({"id": msg_id, "method": method, "params": params}))
        while True:
            msg = json.loads(self.ws.recv())
            if msg.get("id") == msg_id:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return msg.get("result", {})
            if "method" in msg:
                self.events.append(msg)

    def wait_event(self, method: str, timeout: float | None = None) -> dict:
        deadline = time.monotonic() + (timeout or self.timeout)
        while True:
            for i, ev in enumerate(self.events):
                if ev["method"] == method:
                    return self.events.pop(i)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"no {method} within {timeout or self.timeout} s")
            self.ws.settimeout(remaining)
            msg = json.loads(self.ws.recv())
            if "method" in msg:
                self.events.append(msg)

    def evaluate(self, expression: str):
        res = self.call("Runtime.evaluate", expression=expression, awaitPromise=True,
                        returnByValue=True, timeout=int(self.timeout * 1000))
        if "exceptionDetails" in res:
            raise RuntimeError(f"evaluation failed: {res['exceptionDetails']}")
        return res["result"].get("value")

    def open(self, url: str) -> list[dict]:
        """Load ``url`` and wait for its load event; returns the events seen while loading."""
        self.events.clear()
        self.call("Page.navigate", url=url)
        self.wait_event("Page.loadEventFired")
        return self.events

    def screenshot(self, path: Path, *, full_page: bool = False, max_height: int = 6000) -> None:
        """Save a PNG of the viewport, or of the whole page (at most ``max_height`` pixels).

        The whole page is taken by making the viewport as tall as the page: a clip beyond the
        viewport (``captureBeyondViewport``) shifted the book's layout sideways."""
        if full_page:
            h = min(int(self.evaluate("document.documentElement.scrollHeight")), max_height)
            self._metrics(self.width, h)
        try:
            data = self.call("Page.captureScreenshot", format="png")["data"]
        finally:
            if full_page:
                self._metrics(self.width, self.height)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(data))

    def print_pdf(self, path: Path, **options) -> None:
        """Print the open page to ``path`` (``Page.printToPDF`` with ``options``).

        The PDF comes back as a stream read in pieces: a book's PDF is tens of megabytes,
        too much for one protocol message.
        """
        stream = self.call("Page.printToPDF", transferMode="ReturnAsStream", **options)["stream"]
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "wb") as out:
            while True:
                piece = self.call("IO.read", handle=stream, size=1 << 20)
                data = piece.get("data", "")
                out.write(base64.b64decode(data) if piece.get("base64Encoded") else data.encode())
                if piece.get("eof"):
                    break
        self.call("IO.close", handle=stream)

    def close(self) -> None:
        try:
            self.ws.close()
        finally:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
            self.log.close()
            self.profile.cleanup()
