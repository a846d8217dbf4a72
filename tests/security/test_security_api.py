"""No frame kills the kernel daemon: each class of hostile input on kernel.sock closes that connection only.

Deep nesting, invalid UTF-8 in a string, a subscriber hanging up mid-stream, oversized and unfinished
frames, and more connections than the bound: after each, the kernel still answers a fresh client, and
the bytes held for unfinished frames of all clients together stay under one bound."""
from __future__ import annotations

import socket
import time

import anyio
import pytest

from kernel.api import messages as m
from kernel.api.server import MAX_REQUEST, ApiServer
from kernel.syscall.framing import MAX_DEPTH, too_deep
from tests.fuzz.api_live import LiveApi

NESTED = b'{"op": "status", "id": 5, "x": ' + b"[" * 2000 + b"]" * 2000 + b"}"  # 4 KB, 2,000 deep


@pytest.fixture
def api():
    with LiveApi(max_clients=8, max_buffered=4 * 1024 * 1024) as live:
        yield live
        assert live.crashed() is None, live.crashed()


@pytest.mark.parametrize("payload", [
    NESTED,
    b"[" * 2000 + b"]" * 2000,
    b'{"op": "status", "id": 5, "x": ' + b'{"a":' * 2000 + b"1" + b"}" * 2000 + b"}",
], ids=["in-a-field", "bare", "objects"])
def test_a_deeply_nested_frame_gets_an_error_and_the_kernel_serves_on(api, payload):
    with api.connect() as s:
        s.sendall(api.frame(payload))
        r = api.reply(s)
        assert isinstance(r, m.Error) and r.code == "bad_request"
        s.sendall(api.frame(b'{"op": "status", "id": 9}'))  # the same connection even carries on
        assert isinstance(api.reply(s), m.Ok)
    assert api.status_ok() and api.crashed() is None


@pytest.mark.parametrize("payload", [
    b'{"op": "spawn", "id": 3, "app": "\xff\xfe", "task": "x"}',
    b'{"op": "deny", "id": 3, "approval": "a", "reason": "\xc3\x28"}',
    b'{"op": "status", "id": 3, "\xed\xa0\x80": 1}',
])
def test_invalid_utf8_in_a_string_gets_an_error_and_the_kernel_serves_on(api, payload):
    with api.connect() as s:
        s.sendall(api.frame(payload))
        r = api.reply(s)
        assert isinstance(r, m.Error) and r.code == "bad_request" and r.id in (0, 3)
    assert api.status_ok() and api.crashed() is None


def test_subscribers_hanging_up_mid_stream_never_end_the_server(api):
    """Stats every millisecond and events from a spawned process, and clients that vanish at once."""
    for i in range(60):
        s = api.connect()
        s.sendall(api.frame(b'{"op": "subscribe", "id": 1, "stats_every": 0.001}'))
        if i % 2:
            api.reply(s)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")  # RST
        s.close()
    assert api.status_ok() and api.settled() and api.crashed() is None


class _HangsUp:
    """A subscriber's stream whose peer is gone: the first reply is sent, every later send breaks."""

    def __init__(self, frames: list[bytes]):
        self.frames, self.sent = frames, 0

    async def receive(self, max_bytes: int = 65536) -> bytes:
        if self.frames:
            return self.frames.pop(0)
        await anyio.sleep_forever()

    async def send(self, data: bytes) -> None:
        self.sent += 1
        if self.sent > 1:
            raise anyio.BrokenResourceError

    async def aclose(self) -> None:
        pass

    async def __aenter__(self):
        return self

    async def __aexit__(self, *exc):
        await self.aclose()


@pytest.mark.anyio
async def test_a_broken_stats_send_inside_the_stream_task_group_closes_only_that_connection(tmp_path):
    """The exact failure: BrokenResourceError inside an ExceptionGroup from the stream's task group."""
    from drivers.llm import ScriptedEngine
    from kernel import Kernel, KernelConfig
    async with Kernel(KernelConfig(home=str(tmp_path / "h"), subsystems=[]), engine=ScriptedEngine()) as k:
        server = ApiServer(k, str(tmp_path / "unused.sock"))
        server.clients = 1  # as the accept loop counts it
        stream = _HangsUp([LiveApi.frame(b'{"op": "subscribe", "id": 1, "stats_every": 0.001}')])
        with anyio.fail_after(10):
            await server._client(stream)  # returns: raised nothing into the accept loop
        assert stream.sent >= 2 and server.clients == 0 and server.failed == 1


def test_an_oversized_frame_is_refused_before_it_is_read(api):
    with api.connect() as s:
        s.sendall((MAX_REQUEST + 1).to_bytes(4, "big"))
        r = api.reply(s)
        assert isinstance(r, m.Error) and r.code == "bad_frame" and "exceeds" in r.message
        assert api.reply(s) is None  # and hung up
    assert api.status_ok()


def test_an_unfinished_frame_is_given_up_after_its_time():
    with LiveApi(frame_seconds=0.5) as api:
        with api.connect() as s:
            s.sendall((1000).to_bytes(4, "big") + b'{"op":')
            t0 = time.monotonic()
            r = api.reply(s)
            assert isinstance(r, m.Error) and "not finished within" in r.message
            assert time.monotonic() - t0 < 5
        assert api.settled() and api.status_ok() and api.crashed() is None


def test_unfinished_frames_of_many_clients_share_one_byte_bound(api):
    """Each client announces 1 MiB and sends 900 KB of it: past 4 MiB together, the next is refused."""
    held, refused = [], 0
    for _ in range(7):
        s = api.connect()
        held.append(s)
        try:
            s.sendall(MAX_REQUEST.to_bytes(4, "big") + b" " * 900_000)
        except OSError:  # refused and hung up while sending
            pass
    time.sleep(0.3)
    for s in held:
        s.settimeout(0.2)
        try:
            r = api.reply(s)
        except TimeoutError:
            continue
        assert isinstance(r, m.Error) and "unfinished frames" in r.message
        refused += 1
    used = api.call(lambda: api.server.budget.used)
    assert refused >= 2 and used <= 4 * 1024 * 1024
    for s in held:
        s.close()
    assert api.settled() and api.status_ok()


def test_connections_past_the_bound_are_told_busy_and_others_carry_on(api):
    conns = [api.connect() for _ in range(8)]
    time.sleep(0.2)
    with api.connect() as extra:
        r = api.reply(extra)
        assert isinstance(r, m.Error) and r.code == "busy"
    for s in conns:
        s.close()
    assert api.settled() and api.status_ok()


def test_the_depth_check_is_exact_and_ignores_brackets_in_strings():
    assert not too_deep(b"[" * MAX_DEPTH + b"]" * MAX_DEPTH)
    assert too_deep(b"[" * (MAX_DEPTH + 1) + b"]" * (MAX_DEPTH + 1))
    assert not too_deep(b'{"a": "' + b"[" * 5000 + b'"}')
    assert not too_deep(b'{"a": "\\"' + b"{" * 5000 + b'"}')
    assert not too_deep(b"[]" * 100_000)  # many, but shallow
    assert too_deep(b"[" * 5000)  # unbalanced
    t0 = time.monotonic()
    too_deep(b'"\\"' * 300_000 + b"[" * 40)  # an unterminated string does not make it quadratic
    assert time.monotonic() - t0 < 1.0
