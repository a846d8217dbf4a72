"""Test helpers: a real ``chroma run`` server on a free loopback port, and a loopback server that answers garbage."""
from __future__ import annotations

import http.server
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def chroma_argv() -> list[str]:
    """The ``chroma`` CLI of the installed chromadb (next to this Python), else the same CLI in-package."""
    exe = Path(sys.executable).parent / "chroma"
    if exe.is_file():
        return [str(exe)]
    found = shutil.which("chroma")
    if found:
        return [found]
    return [sys.executable, "-c", "import sys; from chromadb.cli.cli import app; sys.argv[0] = 'chroma'; app()"]


class ChromaServer:
    """``chroma run --path DIR --host 127.0.0.1 --port PORT``; ``stop`` and ``start`` again keep the port and data."""

    def __init__(self, path: Path, port: int | None = None):
        self.path = Path(path)
        self.port = port or free_port()
        self.proc: subprocess.Popen | None = None
        self.log = self.path.parent / f"chroma-{self.port}.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def database_url(self) -> str:
        """The server's URL with a database of its own, so tests sharing one server do not meet."""
        return f"{self.url}/t{uuid.uuid4().hex[:12]}"

    def start(self, timeout: float = 60.0) -> "ChromaServer":
        env = {**os.environ, "ANONYMIZED_TELEMETRY": "False", "NO_COLOR": "1"}
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(
                [*chroma_argv(), "run", "--path", str(self.path), "--host", "127.0.0.1", "--port", str(self.port)],
                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"chroma run exited with {self.proc.returncode}: {self.log.read_text()[-2000:]}")
            try:
                if httpx.get(f"{self.url}/api/v2/heartbeat", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"chroma run did not answer within {timeout:.0f} s: {self.log.read_text()[-2000:]}")

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


class GarbageServer:
    """A loopback HTTP server that is not Chroma.  ``mode``: ``html`` (a web page), ``json`` (JSON of
    the wrong shape), ``error`` (HTTP 500 with HTML), ``hang`` (never answers), ``close`` (hangs up),
    ``liar`` (a real heartbeat, then wrong JSON for everything else), ``stall`` (a real heartbeat, then
    never answers)."""

    def __init__(self, mode: str):
        self.mode = mode
        self.release = threading.Event()
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_GET(self):
                self.answer()

            def do_POST(self):
                self.answer()

            def answer(self):
                mode = outer.mode
                if mode in ("liar", "stall"):
                    mode = "beat" if self.path.endswith("/heartbeat") else {"liar": "json", "stall": "hang"}[mode]
                if mode == "hang":
                    outer.release.wait(60)
                    return
                if mode == "close":
                    self.close_connection = True
                    return
                status, body = {
                    "html": (200, b"<!doctype html>\n<html><body><h1>It works!</h1>\n</body></html>"),
                    "json": (200, b'{"ids": 7, "hello": ["w", "o", "r", "l", "d"], "tenant": null}'),
                    "error": (500, b"<html>\n<b>Internal Server Error</b>\n</html>"),
                    "beat": (200, b'{"nanosecond heartbeat": 1}'),
                }[mode]
                self.send_response(status)
                self.send_header("Content-Type", "text/html" if body.startswith(b"<") else "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> "GarbageServer":
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()
