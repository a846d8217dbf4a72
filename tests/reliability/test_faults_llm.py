"""An OpenAI-compatible server that fails (500, hangs, closes the stream, sends garbage): each reaches
the process as a typed error, safe retries happen, and the kernel keeps serving."""
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from drivers.llm import OpenAIEngine
from kernel import Kernel, KernelConfig

pytestmark = pytest.mark.anyio

APP = """
from syscalls.errors import SyscallError
async def run(sys, task):
    try:
        r = await sys.llm.chat(task, max_tokens=16)
        return "ok:" + r.text
    except SyscallError as e:
        return f"{e.code}:{e.retryable}:{e.message}"
"""


def _event(text, finish=None):
    choice = {"delta": {"content": text}, "finish_reason": finish}
    return f"data: {json.dumps({'choices': [choice]})}\n\n".encode()


class _Server(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    modes: list[str] = []
    stop = threading.Event()

    def do_GET(self):
        body = b'{"data": [{"id": "fake"}]}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        mode = self.modes.pop(0) if self.modes else "ok"
        if mode == "500":
            body = b'{"error": {"message": "engine exploded"}}'
            self.send_response(500)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        if mode == "hang":
            self.stop.wait(30)
            self.close_connection = True
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        first = _event("hello") if mode != "garbage" else b"data: {not json at all\n\n"
        self._chunk(first)
        if mode == "close":  # the connection drops inside the chunked body
            self.wfile.flush()
            self.close_connection = True
            return
        self._chunk(_event(" world", "stop") + b"data: [DONE]\n\n")
        self.wfile.write(b"0\r\n\r\n")

    def _chunk(self, data):
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    srv = ThreadingHTTPServer(("127.0.0.1", 0), _Server)
    srv.daemon_threads = True
    _Server.modes, _Server.stop = [], threading.Event()
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{srv.server_address[1]}"
    _Server.stop.set()
    srv.shutdown()
    srv.server_close()


async def _run(tmp_path, registry, make_app, url, modes, **cfg):
    make_app("asker", code=APP, syscalls=["llm.*"])
    _Server.modes[:] = modes
    config = KernelConfig(home=str(tmp_path / "h"), subsystems=[], **cfg)
    async with Kernel(config, engine=OpenAIEngine(url, n_slots=2), registry=registry) as k:
        pid = await k.spawn("asker", "hi")
        p = await k.wait(pid, timeout=30)
        retries = [e for e in k.events.for_pid(pid) if e["kind"] == "syscall.retry"]
        after = await k.wait(await k.spawn("asker", "again"), timeout=30)  # the kernel still serves
        assert after.result == "ok:hello world"
        return p.result, retries


@pytest.mark.parametrize("mode,expect", [
    ("500", "llm_error:True:the model failed: llm engine {url} answered 500: engine exploded"),
    ("close", "llm_error:True:the model failed: llm engine {url} unreachable: connection closed mid-answer"),
    ("garbage", "llm_error:True:the model failed: bad event from llm engine"),
])
async def test_a_failing_server_gives_a_typed_retryable_error_after_retries(tmp_path, registry, make_app,
                                                                           server, mode, expect):
    result, retries = await _run(tmp_path, registry, make_app, server, [mode] * 3)
    assert result.startswith(expect.format(url=server)), result
    assert [r["attempt"] for r in retries] == [1, 2] and retries[0]["error"] == "llm_error"


async def test_one_500_is_retried_away(tmp_path, registry, make_app, server):
    result, retries = await _run(tmp_path, registry, make_app, server, ["500"])
    assert result == "ok:hello world" and len(retries) == 1


async def test_a_hanging_server_hits_the_syscall_timeout(tmp_path, registry, make_app, server):
    t0 = time.monotonic()
    result, _ = await _run(tmp_path, registry, make_app, server, ["hang"], syscall_timeout=1.0)
    assert result == "timeout:True:llm.chat did not finish within 1 s"
    assert time.monotonic() - t0 < 10
