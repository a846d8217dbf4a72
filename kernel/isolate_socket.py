"""One isolated process's syscall socket: a token-guarded Unix socket whose frames are dispatched as that process."""
from __future__ import annotations

import contextlib
import hmac
import os
import secrets
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import anyio
import msgspec

from syscalls import Empty
from syscalls.errors import SyscallError, WireError
from syscalls.proc import Exit
from syscalls.transport import CallFrame, read_frame, reply_frame, write_frame

from .errors import ProcessExit
from .syscall import dispatch, validate

if TYPE_CHECKING:
    from .kernel import Kernel
    from .proc import Process


class _Hello(msgspec.Struct):
    hello: str


class SyscallSocket:
    """Serve ``proc``'s syscalls on a socket in a private folder (0711, the socket 0666 so a
    container's uid 1000 can connect); a client must first send the token.  ``proc.exit``
    is answered, then recorded in ``exit`` and ``on_exit`` is called."""

    def __init__(self, k: "Kernel", proc: "Process"):
        self.k, self.proc = k, proc
        # AF_UNIX paths are short (108 bytes): a folder under the temp dir, not the llmos home
        self.dir = Path(tempfile.mkdtemp(prefix=f"llmos-{proc.pid}-"))
        os.chmod(self.dir, 0o711)
        self.path = str(self.dir / "sys.sock")
        self.token = secrets.token_hex(16)
        self.exit: ProcessExit | None = None
        self.on_exit = lambda: None
        self.clients = 0

    async def serve(self, *, task_status: anyio.abc.TaskStatus = anyio.TASK_STATUS_IGNORED) -> None:
        try:
            listener = await anyio.create_unix_listener(self.path)
            os.chmod(self.path, 0o666)
            task_status.started()
            async with listener:
                await listener.serve(self._client)
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)

    async def drain(self, timeout: float = 1.0) -> None:
        """Wait (briefly) until every client has hung up, so none is cut off mid-read; asyncio
        reports a spurious InvalidStateError when a stream closes and is cancelled at once."""
        with anyio.move_on_after(timeout):
            while self.clients:
                await anyio.sleep(0.01)

    async def _client(self, stream: anyio.abc.SocketStream) -> None:
        self.clients += 1
        try:
            await self._talk(stream)
        finally:
            self.clients -= 1

    async def _talk(self, stream: anyio.abc.SocketStream) -> None:
        buf = bytearray()
        with contextlib.suppress(anyio.BrokenResourceError, anyio.ClosedResourceError, anyio.EndOfStream,
                                 OSError, ValueError):
            async with stream:
                first = await read_frame(stream, buf)
                if first is None or not self._hello_ok(first):
                    await write_frame(stream, reply_frame(0, err=WireError(
                        code="permission", message="bad or missing token on the syscall socket")))
                    return
                while (payload := await read_frame(stream, buf)) is not None:
                    await write_frame(stream, await self._one(payload))
                    if self.exit is not None:
                        return

    def _hello_ok(self, payload: bytes) -> bool:
        try:
            token = msgspec.json.decode(payload, type=_Hello).hello
        except (msgspec.DecodeError, msgspec.ValidationError):
            return False
        return hmac.compare_digest(token.encode(), self.token.encode())

    async def _one(self, payload: bytes) -> bytes:
        try:
            frame = msgspec.json.decode(payload, type=CallFrame)
        except (msgspec.DecodeError, msgspec.ValidationError) as exc:
            return reply_frame(0, err=WireError(code="invalid", message=f"malformed syscall frame: {exc}"))
        try:
            req = validate(bytes(frame.req))
            if isinstance(req, Exit):
                # ending itself is what returning does in the kernel: no grant needed for it
                self.k.events.emit("syscall", self.proc.pid, call="proc.exit", ok=True, status=req.status)
                raise ProcessExit(req.result, req.status)
            reply = await dispatch(self.k, self.proc, req)
        except SyscallError as exc:
            return reply_frame(frame.id, err=exc.to_wire())
        except ProcessExit as exc:
            self.exit = exc
            self.on_exit()
            return reply_frame(frame.id, Empty())
        return reply_frame(frame.id, reply)
