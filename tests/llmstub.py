"""A tiny OpenAI-compatible chat server on loopback for routing and failure tests: it streams a fixed
answer, records each request, and can fail on demand (500, close mid-stream, hang), stop and restart."""
from __future__ import annotations

import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class _Quiet(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that leaves mid-stream (a test cancelling its generation) is expected, not a traceback."""
        if not isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            super().handle_error(request, client_address)


class StubServer:
    """``modes`` is a queue of behaviours for the next chat requests ("ok" when empty): ``500``,
    ``close`` (the stream drops after the first piece), ``hang`` (never answers), ``slow`` (the pieces
    come ``slow_s`` apart).  ``bodies`` holds every chat request received."""

    def __init__(self, answer: tuple[str, ...] = ("hello", " world"), port: int = 0):
        self.answer, self.modes, self.bodies = answer, [], []
        self.slow_s = 0.5
        self.release = threading.Event()  # ends every hang
        self.port = port
        self._srv: ThreadingHTTPServer | None = None
        self.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        """Listen (again, on the same port after ``stop``)."""
        srv = _Quiet(("127.0.0.1", self.port), _handler(self))
        srv.daemon_threads = True
        self.port = srv.server_address[1]
        self.release.clear()
        threading.Thread(target=srv.serve_forever, daemon=True).start()
        self._srv = srv

    def stop(self) -> None:
        """Stop listening: connections to the port are refused from now on."""
        self.release.set()
        if self._srv is not None:
            self._srv.shutdown()
            self._srv.server_close()
            self._srv = None


def _handler(stub: StubServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # one request a connection (``Connection: close``): after ``stop``,
        # no kept-alive connection can still reach a handler

        def end_headers(self) -> None:
            self.send_header("Connection", "close")
            self.close_connection = True
            super().end_headers()

        def do_GET(self) -> None:
            self._json(200, {"data": [{"id": "stub-model"}]})

        def do_POST(self) -> None:
            body: dict[str, Any] = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)))
            stub.bodies.append(body)
            mode = stub.modes.pop(0) if stub.modes else "ok"
            if mode == "500":
                return self._json(500, {"error": {"message": "engine exploded"}})
            if mode == "400":
                return self._json(400, {"error": {"message": "bad request"}})
            if mode == "hang":
                stub.release.wait(30)
                self.close_connection = True
                return
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for i, piece in enumerate(stub.answer):
                if i and mode == "slow":
                    time.sleep(stub.slow_s)
                last = i == len(stub.answer) - 1
                self._chunk(_event(piece, "stop" if last else None))
                if mode == "close":
                    self.wfile.flush()
                    self.close_connection = True
                    return
            self._chunk(b"data: [DONE]\n\n")
            self.wfile.write(b"0\r\n\r\n")

        def _json(self, status: int, obj: dict[str, Any]) -> None:
            data = json.dumps(obj).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _chunk(self, data: bytes) -> None:
            self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
            self.wfile.flush()

        def log_message(self, *args: Any) -> None:
            pass
    return Handler


def _event(text: str, finish: str | None) -> bytes:
    return f"data: {json.dumps({'choices': [{'delta': {'content': text}, 'finish_reason': finish}]})}\n\n".encode()
