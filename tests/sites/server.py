"""A tiny threaded HTTP server that serves a folder on a loopback address and counts hits."""
from __future__ import annotations

import functools
import http.server
import socketserver
import threading
import time
import urllib.parse
from pathlib import Path

from llmos.eval.sites import QuietStatic

SITES = Path(__file__).resolve().parent
MAX_SLOW_S = 30.0  # /_slow never sleeps longer than this


class _Handler(QuietStatic):
    """Static files (quiet, never cached) plus a few dynamic helpers under ``/_``:

    - ``/_redirect?to=URL``   answers 302 to URL (any origin);
    - ``/_slow?s=N``          sleeps N seconds (at most 30), then answers a small page;
    - ``/_hits``              answers the number of requests seen so far (not counted).
    """

    server: _Server
    protocol_version = "HTTP/1.0"

    def _count(self) -> None:
        with self.server.lock:
            self.server.hits.append(self.path)

    def _reply(self, status: int, body: bytes, ctype: str = "text/html; charset=utf-8", headers=()) -> None:
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _dynamic(self) -> bool:
        url = urllib.parse.urlsplit(self.path)
        q = urllib.parse.parse_qs(url.query)
        if url.path == "/_hits":
            self._reply(200, str(len(self.server.hits)).encode(), "text/plain")
            return True
        self._count()
        if url.path == "/_redirect":
            to = q.get("to", ["/"])[0]
            self._reply(302, b"redirecting", headers=[("Location", to)])
            return True
        if url.path == "/_slow":
            secs = min(float(q.get("s", ["5"])[0]), MAX_SLOW_S)
            self.server.closing.wait(secs)
            self._reply(200, b"<title>Slow</title><p>finally</p>")
            return True
        return False

    def do_GET(self) -> None:
        if not self._dynamic():
            super().do_GET()

    def do_HEAD(self) -> None:
        if not self._dynamic():
            super().do_HEAD()

    def do_POST(self) -> None:
        self._count()
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        self._reply(200, b"ok " + str(len(body)).encode(), "text/plain")


class _Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, addr, handler):
        self.hits: list[str] = []
        self.connections = 0
        self.lock = threading.Lock()
        self.closing = threading.Event()
        super().__init__(addr, handler)

    def verify_request(self, request, client_address) -> bool:
        with self.lock:
            self.connections += 1
        return True


class Site:
    """A running server: ``url`` (no trailing slash), ``origin`` (host:port),
    ``hits`` (request paths in order) and ``connections`` (TCP connections accepted)."""

    def __init__(self, folder: str | Path, host: str = "127.0.0.1", port: int = 0):
        handler = functools.partial(_Handler, directory=str(folder))
        self._server = _Server((host, port), handler)
        self.host, self.port = self._server.server_address[:2]
        self.origin = f"{self.host}:{self.port}"
        self.url = f"http://{self.origin}"
        self._thread = threading.Thread(target=self._server.serve_forever, name=f"site-{self.origin}", daemon=True)
        self._thread.start()

    @property
    def hits(self) -> list[str]:
        with self._server.lock:
            return list(self._server.hits)

    @property
    def connections(self) -> int:
        with self._server.lock:
            return self._server.connections

    def reset(self) -> None:
        with self._server.lock:
            self._server.hits.clear()
            self._server.connections = 0

    def close(self) -> None:
        self._server.closing.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> Site:  # noqa: PYI034 - a plain class, not subclassed
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def serve(folder: str | Path = SITES, host: str = "127.0.0.1", port: int = 0) -> Site:
    """Serve ``folder`` (default: all demo sites) on ``host`` at a free port (or ``port``)."""
    return Site(folder, host, port)


if __name__ == "__main__":  # python tests/sites/server.py [folder] [port]
    import sys

    site = serve(sys.argv[1] if len(sys.argv) > 1 else SITES, port=int(sys.argv[2]) if len(sys.argv) > 2 else 0)
    print(f"serving {site.url}/  (Ctrl-C to stop)")
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        site.close()
