"""How a syscall reaches the kernel: in-process, or framed messages over a Unix socket."""
from __future__ import annotations

import abc
import itertools
import struct
from typing import Any, Awaitable, Callable

import anyio
import msgspec

from .base import Reply, Request
from .errors import Unavailable, WireError, error_from_wire
from .table import TABLE, encode, name_of

MAX_FRAME = 8 * 1024 * 1024
_HEADER = struct.Struct(">I")


class Transport(abc.ABC):
    @abc.abstractmethod
    async def call(self, req: Request) -> Reply:
        """Send one request; return its reply or raise a ``SyscallError``."""

    async def aclose(self) -> None:
        return None


class InProcTransport(Transport):
    """Calls go straight to a kernel function bound to one process."""

    def __init__(self, handler: Callable[[Request], Awaitable[Reply]]):
        self._handler = handler

    async def call(self, req: Request) -> Reply:
        return await self._handler(req)


class CallFrame(msgspec.Struct, kw_only=True):
    id: int
    req: msgspec.Raw


class ReplyFrame(msgspec.Struct, kw_only=True, omit_defaults=True):
    id: int
    ok: msgspec.Raw = msgspec.Raw(b"")  # msgspec cannot decode ``Raw | None``; empty means an error
    err: WireError | None = None


async def write_frame(stream: anyio.abc.ByteSendStream, payload: bytes) -> None:
    await stream.send(_HEADER.pack(len(payload)) + payload)


async def read_frame(stream: anyio.abc.ByteReceiveStream, buffer: bytearray) -> bytes | None:
    """Read one length-prefixed frame; None at a clean end of stream."""
    while True:
        if len(buffer) >= 4:
            (n,) = _HEADER.unpack_from(buffer)
            if n > MAX_FRAME:
                raise ValueError(f"frame of {n} bytes exceeds {MAX_FRAME}")
            if len(buffer) >= 4 + n:
                payload = bytes(buffer[4:4 + n])
                del buffer[:4 + n]
                return payload
        try:
            chunk = await stream.receive(65536)
        except (anyio.EndOfStream, anyio.ClosedResourceError, anyio.BrokenResourceError):
            if buffer:
                raise ValueError("connection closed inside a frame") from None
            return None
        buffer.extend(chunk)


class SocketTransport(Transport):
    """One request at a time over the kernel's syscall socket (for subprocess and container apps)."""

    def __init__(self, path: str, token: str = ""):
        self.path, self.token = path, token
        self._stream: anyio.abc.SocketStream | None = None
        self._buf = bytearray()
        self._ids = itertools.count(1)
        self._lock = anyio.Lock()

    async def _connect(self) -> anyio.abc.SocketStream:
        if self._stream is None:
            try:
                self._stream = await anyio.connect_unix(self.path)
            except OSError as exc:
                raise Unavailable(f"cannot reach the kernel at {self.path}: {exc}") from None
            await write_frame(self._stream, encode({"hello": self.token}))
        return self._stream

    async def call(self, req: Request) -> Reply:
        async with self._lock:
            stream = await self._connect()
            fid = next(self._ids)
            await write_frame(stream, encode({"id": fid, "req": req}))
            payload = await read_frame(stream, self._buf)
            if payload is None:
                raise Unavailable("the kernel closed the syscall connection")
        frame = msgspec.json.decode(payload, type=ReplyFrame)
        if frame.err is not None:
            raise error_from_wire(frame.err)
        return msgspec.json.decode(bytes(frame.ok) or b"{}", type=TABLE[name_of(req)].reply)

    async def aclose(self) -> None:
        if self._stream is not None:
            await self._stream.aclose()
            self._stream = None


def reply_frame(fid: int, reply: Any = None, err: WireError | None = None) -> bytes:
    if err is not None:
        return encode(ReplyFrame(id=fid, err=err))
    return encode(ReplyFrame(id=fid, ok=msgspec.Raw(encode(reply))))
