"""The kernel API client: typed async calls to the daemon over its Unix socket, or over TCP (llmos/remote.py)."""
from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncGenerator
from pathlib import Path
from typing import Any

import anyio
import msgspec

from kernel.api import messages as m
from kernel.api.daemon import socket_path
from kernel.config import default_home
from syscalls.transport import read_frame, write_frame

from . import remote

_encoder = msgspec.json.Encoder()
_decoder = msgspec.json.Decoder(m.AnyMessage)


def quiet_cancelled_waits() -> None:
    """A socket that becomes ready in the same loop turn as its cancelled wait makes anyio's readiness callback
    set a result on a cancelled future, and asyncio prints that InvalidStateError as a traceback on stderr;
    nothing is lost, so this loop drops exactly that one report and passes every other on as before."""
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:  # not on asyncio
        return
    if loop.get_exception_handler() is not None:
        return

    def handler(lp: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        if isinstance(context.get("exception"), asyncio.InvalidStateError) and ".set_result" in repr(context.get("handle")):
            return
        lp.default_exception_handler(context)
    loop.set_exception_handler(handler)


class KernelError(Exception):
    """The kernel answered a request with an error."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code, self.message = code, message


class NotRunning(KernelError):
    """No kernel daemon answers on this llmos home's socket (or at the TCP address given)."""

    def __init__(self, message: str):
        super().__init__("not_running", message)


class CutOff(NotRunning):
    """A request queued on a connection whose previous request was cut off; a new connection serves it."""


class Connection:
    """One socket connection; requests on it go one at a time."""

    def __init__(self, stream: anyio.abc.ByteStream):
        self.stream, self.buf = stream, bytearray()
        self._ids = itertools.count(1)
        self._lock = anyio.Lock()
        self.broken = False  # a request was cut off (cancelled or failed): replies may be out of step

    @classmethod
    async def open(cls, path: Path | remote.Target) -> Connection:
        if isinstance(path, remote.Target):
            try:
                return cls(await remote.open_stream(path))
            except remote.Unreachable as exc:
                raise NotRunning(str(exc)) from None
        try:
            return cls(await anyio.connect_unix(str(path)))
        except OSError as exc:
            raise NotRunning(f"no kernel is running at {path} ({exc.strerror or exc}); `llmos boot` starts one") from None

    async def receive(self) -> m.Message:
        try:
            payload = await read_frame(self.stream, self.buf)
        except (ValueError, OSError, anyio.BrokenResourceError) as exc:
            raise NotRunning(f"the kernel connection broke: {exc}") from None
        if payload is None:
            raise NotRunning("the kernel closed the connection (it halted or crashed)")
        return _decoder.decode(payload)

    async def request(self, req: m.Request) -> Any:
        async with self._lock:
            if self.broken:
                raise CutOff("this kernel connection was cut off mid-request")
            req.id = next(self._ids)
            try:
                try:
                    await write_frame(self.stream, _encoder.encode(req))
                except (OSError, anyio.BrokenResourceError, anyio.ClosedResourceError) as exc:
                    raise NotRunning(f"the kernel connection broke: {exc}") from None
                reply = await self.receive()
            except BaseException:  # cancelled or failed between request and reply: out of step from here
                self.broken = True
                raise
        if isinstance(reply, m.Error):
            raise KernelError(reply.code, reply.message)
        return reply.value if isinstance(reply, m.Ok) else reply

    async def aclose(self) -> None:
        await self.stream.aclose()


class Client:
    """``async with Client() as c: pid = await c.spawn("assistant", "hi"); info = await c.wait(pid)``."""

    def __init__(self, home: str | Path | None = None, *, kernel: remote.Target | None = None):
        """The kernel of ``home`` on its socket; or ``kernel``, or the one ``--kernel``/``$LLMOS_KERNEL`` names."""
        self.home = Path(home) if home else default_home()
        try:
            found = kernel or remote.target()
        except remote.Unreachable as exc:
            raise NotRunning(str(exc)) from None
        self.path: Path | remote.Target = found or socket_path(self.home)
        self._conn: Connection | None = None
        self._opening: anyio.Lock | None = None

    async def __aenter__(self) -> Client:
        quiet_cancelled_waits()
        await self._connection()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        if self._conn is not None:
            conn, self._conn = self._conn, None
            with anyio.CancelScope(shield=True):
                try:
                    await conn.aclose()
                except Exception:
                    pass

    async def _connection(self) -> Connection:
        if self._conn is None:  # calls at once on a new client wait for one connection, not one each
            if self._opening is None:
                self._opening = anyio.Lock()
            async with self._opening:
                if self._conn is None:
                    self._conn = await Connection.open(self.path)
        return self._conn

    async def call(self, req: m.Request) -> Any:
        """One request on this client's shared connection.  Concurrent calls queue on it; a call cut
        off (cancelled) leaves it out of step, so the next call, or one queued behind, opens a new one."""
        for attempt in (1, 2):
            if self._conn is not None and self._conn.broken:
                await self.aclose()
            conn = await self._connection()
            try:
                return await conn.request(req)
            except CutOff:
                if attempt == 2:
                    raise
            except NotRunning:
                if self._conn is conn:
                    await self.aclose()
                raise

    # -- typed calls -----------------------------------------------------------------------------
    async def status(self) -> m.KernelStats:
        return msgspec.convert(await self.call(m.Status()), m.KernelStats)

    async def spawn(self, app: str, task: str = "", *, priority: int | None = None,
                    budgets: dict[str, float] | None = None, files: dict[str, bytes] | None = None,
                    engine: str = "", user: str | None = None) -> int:
        return await self.call(m.Spawn(app=app, task=task, priority=priority, budgets=budgets or {},
                                       files=files or {}, engine=engine, user=user))

    async def copy_in(self, pid: int, path: str, data: bytes) -> int:
        return await self.call(m.CopyIn(pid=pid, path=path, data=data))

    async def copy_out(self, pid: int, path: str) -> bytes:
        return msgspec.convert(await self.call(m.CopyOut(pid=pid, path=path)), bytes)

    async def kill(self, pid: int, signal: str = "TERM") -> None:
        await self.call(m.Kill(pid=pid, signal=signal.upper().removeprefix("SIG")))

    async def ps(self, all: bool = False) -> list[m.ProcRow]:
        return msgspec.convert(await self.call(m.Ps(all=all)), list[m.ProcRow])

    async def logs(self, pid: int) -> list[dict]:
        return await self.call(m.Logs(pid=pid))

    async def apps(self) -> list[m.AppInfo]:
        return msgspec.convert(await self.call(m.Apps()), list[m.AppInfo])

    async def approvals(self) -> list[m.ApprovalInfo]:
        return msgspec.convert(await self.call(m.Approvals()), list[m.ApprovalInfo])

    async def approval(self, approval: str, *, full: bool = True) -> m.ApprovalInfo:
        """One pending approval with every argument whole, on a connection of its own (the shell's
        approval watcher asks while a command may be using the main one)."""
        conn = await Connection.open(self.path)
        try:
            found = msgspec.convert(await conn.request(m.Approvals(approval=approval, full=full)), list[m.ApprovalInfo])
        finally:
            with anyio.CancelScope(shield=True):
                await conn.aclose()
        if not found:
            raise KernelError("not_found", f"no pending approval {approval!r}")
        return found[0]

    async def approve(self, approval: str) -> None:
        await self.call(m.Approve(approval=approval))

    async def deny(self, approval: str, reason: str = "") -> None:
        await self.call(m.Deny(approval=approval, reason=reason))

    async def answer(self, question: str, text: str) -> None:
        """Answer a process's question (a ``user.ask``; ``approve``/``deny`` answer a ``user.confirm`` too)."""
        await self.call(m.Answer(question=question, text=text))

    async def halt(self) -> int:
        return await self.call(m.Halt())

    async def wait(self, pid: int, timeout: float | None = None) -> m.ProcInfo:
        """Wait on a connection of its own, so other calls on this client are not held up."""
        conn = await Connection.open(self.path)
        try:
            return msgspec.convert(await conn.request(m.Wait(pid=pid, timeout=timeout)), m.ProcInfo)
        finally:
            with anyio.CancelScope(shield=True):
                await conn.aclose()

    async def subscribe(self, pid: int = 0, *, events: bool = True,
                        stats_every: float = 0.0) -> AsyncGenerator[m.Event | m.Stats, None]:
        """Events (for ``pid``, or all) and stats as they come, on a connection of their own."""
        conn = await Connection.open(self.path)
        try:
            first = await conn.request(m.Subscribe(pid=pid, events=events, stats_every=stats_every))
            yield m.Stats(stats=msgspec.convert(first, m.KernelStats))
            while True:
                msg = await conn.receive()
                if isinstance(msg, (m.Event, m.Stats)):
                    yield msg
        finally:
            with anyio.CancelScope(shield=True):
                await conn.aclose()
