"""The host end of the kernel channel against a relay the test plays itself (no engine needed): connections are
relayed both ways with half-closes, channels are bounded, and anything that is not a frame ends the tunnel."""
from __future__ import annotations

import socket
import struct
import threading
import time

import pytest

from sandbox import SandboxError
from sandbox.relay import CHUNK, CLOSE, DATA, HEADER, OPEN, READY
from sandbox.tunnel import MAX_CHANNELS, Tunnel


class FakeApi:
    """What the tunnel asks of the engine: an exec whose stream is one end of a socket pair."""

    def __init__(self):
        self.engine_end, self.tunnel_end = socket.socketpair()
        self.argv = None

    def exec_create(self, cid, argv, **kw):
        self.argv, self.kw = argv, kw
        return {"Id": "exec-1"}

    def exec_start(self, exec_id, socket):
        return self.tunnel_end


def docker_frame(stream: int, data: bytes) -> bytes:
    return struct.pack(">BxxxI", stream, len(data)) + data


def relay_says(api: FakeApi, op: int, chan: int, data: bytes = b"", stream: int = 1) -> None:
    api.engine_end.sendall(docker_frame(stream, HEADER.pack(op, chan, len(data)) + data))


def read_frame(api: FakeApi) -> tuple[int, int, bytes]:
    head = _exactly(api.engine_end, HEADER.size)
    op, chan, n = HEADER.unpack(head)
    return op, chan, _exactly(api.engine_end, n)


def _exactly(s: socket.socket, n: int) -> bytes:
    out = b""
    while len(out) < n:
        chunk = s.recv(n - len(out))
        if not chunk:
            raise EOFError
        out += chunk
    return out


@pytest.fixture
def kernel(tmp_path):
    """A Unix socket standing for the kernel's: it answers each line with its reverse, then ends on EOF."""
    path = str(tmp_path / "k.sock")
    srv = socket.socket(socket.AF_UNIX)
    srv.bind(path)
    srv.listen(64)
    ended: list[bytes] = []  # what each connection had received when it reached its end

    def serve():
        while True:
            try:
                c, _ = srv.accept()
            except OSError:
                return
            threading.Thread(target=echo, args=(c,), daemon=True).start()

    def echo(c):
        got = b""
        try:
            while chunk := c.recv(65536):
                got += chunk
            ended.append(got)
            c.sendall(got[::-1])  # answers only after the client's half-close
            c.close()
        except OSError:
            pass

    threading.Thread(target=serve, daemon=True).start()
    yield path, ended
    srv.close()


def started(target: str, **kw) -> tuple[FakeApi, Tunnel]:
    api = FakeApi()
    t = Tunnel(api, "c" * 64, target, "/tmp/llmos.sock", **kw)
    threading.Timer(0.05, relay_says, (api, READY, 0)).start()
    t.start()
    assert api.argv[-1] == "/tmp/llmos.sock" and api.kw["user"] == "1000:1000"
    return api, t


def test_a_connection_goes_both_ways_and_a_half_close_reaches_the_kernel(kernel):
    path, ended = kernel
    api, t = started(path)
    try:
        relay_says(api, OPEN, 1)
        relay_says(api, DATA, 1, b"hello ")
        relay_says(api, DATA, 1, b"kernel")
        relay_says(api, CLOSE, 1)  # the app is done writing; the kernel answers then
        assert read_frame(api) == (DATA, 1, b"lenrek olleh")
        assert read_frame(api) == (CLOSE, 1, b"")
        assert t.opened == 1 and ended == [b"hello kernel"]
    finally:
        t.close()


def test_channels_are_bounded(kernel):
    path, _ = kernel
    api, t = started(path)
    try:
        for chan in range(1, MAX_CHANNELS + 3):
            relay_says(api, OPEN, chan)
        refused = [read_frame(api) for _ in range(2)]
        assert refused == [(CLOSE, MAX_CHANNELS + 1, b""), (CLOSE, MAX_CHANNELS + 2, b"")]
        assert t.opened == MAX_CHANNELS
    finally:
        t.close()


@pytest.mark.parametrize("bad", [HEADER.pack(9, 1, 0), HEADER.pack(DATA, 1, CHUNK + 1)])
def test_anything_that_is_not_a_frame_ends_the_tunnel_and_its_connections(kernel, bad):
    path, ended = kernel
    api, t = started(path)
    relay_says(api, OPEN, 1)
    relay_says(api, DATA, 1, b"partial")
    api.engine_end.sendall(docker_frame(1, bad))
    api.engine_end.settimeout(10)
    assert api.engine_end.recv(100) == b""  # the tunnel hung up on the relay
    assert t.error.startswith("bad frame from the relay")
    for _ in range(200):  # and on the kernel's side, after what had come before
        if ended:
            break
        time.sleep(0.01)
    assert ended == [b"partial"]


def test_a_relay_that_never_gets_ready_is_an_error_with_its_own_words(kernel):
    path, _ = kernel
    api = FakeApi()
    t = Tunnel(api, "c" * 64, path, "/tmp/llmos.sock", ready_s=0.5)
    api.engine_end.sendall(docker_frame(2, b"OSError: [Errno 98] Address already in use\n"))
    with pytest.raises(SandboxError) as ei:
        t.start()
    assert ei.value.code == "io"
    assert str(ei.value) == ("the kernel channel in the container did not start: "
                             "OSError: [Errno 98] Address already in use")
