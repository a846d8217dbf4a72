"""A live kernel API for tests: a kernel and its ApiServer on a real Unix socket (and, with ``tcp=True``, on a
loopback TCP port behind a token: kernel/api/remote.py), in a background event loop.

Tests talk to it with plain blocking sockets, as any local client would.  ``crashed()`` says whether
the server (and with it the daemon) has ended; every check of these suites starts from there."""
from __future__ import annotations

import contextlib
import shutil
import socket
import struct
import tempfile
import time
from pathlib import Path
from typing import Any

import anyio
import msgspec
from anyio.from_thread import start_blocking_portal

from drivers.llm import ScriptedEngine
from kernel import Kernel, KernelConfig
from kernel.api import messages as m
from kernel.api.remote import RemoteApi
from kernel.api.server import ApiServer

HEADER = struct.Struct(">I")


TOKEN = "fuzz-token-0123456789abcdef"


class LiveApi:
    def __init__(self, *, tcp: bool = False, auth_seconds: float = 10.0, **server_opts: Any):
        self.home = Path(tempfile.mkdtemp(prefix="llmos-api-"))  # short: AF_UNIX paths are 108 bytes
        self.path = str(self.home / "kernel.sock")
        self.server_opts = server_opts
        self.kernel: Kernel | None = None
        self.server: ApiServer | None = None
        self.tcp, self.auth_seconds = tcp, auth_seconds
        self.remote: RemoteApi | None = None

    async def _serve(self, *, task_status: anyio.abc.TaskStatus) -> None:
        cfg = KernelConfig(home=str(self.home), subsystems=["rules"])
        async with Kernel(cfg, engine=ScriptedEngine(default='{"tool": "answer", "answer": "ok"}')) as k:
            self.kernel = k
            self.server = ApiServer(k, self.path, **self.server_opts)
            async with anyio.create_task_group() as tg:
                await tg.start(self.server.serve)
                if self.tcp:
                    listener = await anyio.create_tcp_listener(local_host="127.0.0.1", local_port=0)
                    self.remote = RemoteApi(self.server, listener, token=TOKEN, auth_seconds=self.auth_seconds)
                    await tg.start(self.remote.serve)
                task_status.started()

    def __enter__(self) -> "LiveApi":
        self._cm = start_blocking_portal()
        self.portal = self._cm.__enter__()
        self.future, _ = self.portal.start_task(self._serve)
        return self

    def __exit__(self, *exc: Any) -> None:
        with contextlib.suppress(Exception):
            self.future.cancel()
        with contextlib.suppress(BaseException):
            self._cm.__exit__(None, None, None)
        shutil.rmtree(self.home, ignore_errors=True)

    def crashed(self) -> BaseException | None:
        """The exception that ended the server, or None while it serves."""
        if not self.future.done():
            return None
        return self.future.exception() or RuntimeError("the API server returned")

    def call(self, fn: Any, *args: Any) -> Any:
        return self.portal.call(fn, *args)

    # -- a plain client --------------------------------------------------------------------------
    def connect(self, timeout: float = 10.0) -> socket.socket:
        """A connection to the Unix socket; with ``tcp=True``, to the TCP port, its token shown."""
        if self.tcp:
            s = self.connect_tcp(timeout)
            s.sendall(self.frame(b'{"op": "auth", "token": "%s"}' % TOKEN.encode()))
            assert isinstance(self.reply(s), m.Ok)
            return s
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(timeout)
        s.connect(self.path)
        return s

    def connect_tcp(self, timeout: float = 10.0) -> socket.socket:
        """A bare TCP connection, no token shown yet."""
        assert self.remote is not None
        return socket.create_connection(self.remote.address, timeout=timeout)

    @staticmethod
    def frame(payload: bytes) -> bytes:
        return HEADER.pack(len(payload)) + payload

    @staticmethod
    def reply(s: socket.socket) -> Any:
        """The next message from the server, or None when it hung up."""
        head = _exactly(s, 4)
        if head is None:
            return None
        body = _exactly(s, HEADER.unpack(head)[0])
        return None if body is None else msgspec.json.decode(body, type=m.AnyMessage)

    def status_ok(self) -> bool:
        """A fresh connection still gets its status: the kernel keeps serving."""
        with self.connect() as s:
            s.sendall(self.frame(b'{"op": "status", "id": 7}'))
            r = self.reply(s)
        return isinstance(r, m.Ok) and r.id == 7

    def settled(self, timeout: float = 5.0) -> bool:
        """Every connection has been closed and given its buffered bytes back."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.call(lambda: self.server.clients == 0 and self.server.budget.used == 0
                         and (self.remote is None or self.remote.clients == 0)):
                return True
            time.sleep(0.02)
        return False


def _exactly(s: socket.socket, n: int) -> bytes | None:
    out = bytearray()
    while len(out) < n:
        try:
            chunk = s.recv(n - len(out))
        except (ConnectionResetError, BrokenPipeError):
            return None
        if not chunk:
            return None
        out += chunk
    return bytes(out)
