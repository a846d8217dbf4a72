"""The kernel API server: framed msgspec messages on a Unix socket (and TCP: kernel/api/remote.py), one task per connection.

No input ends the kernel: every failure inside one connection (a frame past a bound, bytes that do not
decode, a handler or a stream that breaks) closes that connection and nothing else.  Bounds: frame
size, time to finish a frame, bytes held for unfinished frames of all clients together, nesting depth
(kernel/syscall/framing.py) and the number of connections."""
from __future__ import annotations

import contextlib
import os
from typing import Any, cast

import anyio
import msgspec
import structlog

from kernel.api import handlers
from kernel.api import messages as m
from kernel.syscall.framing import ByteBudget, FrameError, FrameReader, too_deep
from syscalls.transport import write_frame

MAX_REQUEST = 1024 * 1024  # bytes in one request frame; the largest request (spawn's task) is 256 KiB
MAX_CLIENTS = 64  # connections at once; one more is told "busy" and closed
MAX_BUFFERED = 16 * 1024 * 1024  # bytes of unfinished frames, all connections together
FRAME_SECONDS = 30.0  # a frame that has begun must arrive whole within this
SEND_SECONDS = 30.0  # a reply the client does not read within this ends its connection

# requests a TCP client is refused: what they name (programs, folders, keys for loopback) is on the kernel's machine
LOCAL_ONLY: dict[type[m.Request], str] = {
    m.Exec: "`llmos exec` needs the kernel's local socket: the program, its folder and environment are "
            "paths on the kernel's machine; run it there",
    m.ApiKey: "OpenAI API keys are for programs on the kernel's machine; ask for one over its local socket",
}

_decoder = msgspec.json.Decoder(m.AnyRequest)
_encoder = msgspec.json.Encoder(enc_hook=repr)  # odd values in events become their repr
_log = structlog.get_logger("llmos.api")


class _Peek(msgspec.Struct):
    id: int = 0


def _request_id(payload: bytes) -> int:
    """Best effort: the ``id`` of a request that failed to decode, so the error reply can name it."""
    try:
        return msgspec.json.decode(payload, type=_Peek).id
    except Exception:  # noqa: BLE001 - any failure here only means the reply names no id
        return 0


def decode(payload: bytes) -> m.Request | m.Error:
    """The request in ``payload``, or the ``bad_request`` Error to answer it with; never raises."""
    if too_deep(payload):
        return m.Error(code="bad_request", message="request nested too deeply")
    try:
        return cast(m.Request, _decoder.decode(payload))  # m.AnyRequest: the union of every request type
    except Exception as exc:  # noqa: BLE001 - DecodeError, ValidationError, UnicodeDecodeError, RecursionError ...
        return m.Error(id=_request_id(payload), code="bad_request", message=f"{type(exc).__name__}: {exc}"[:500])


async def accept(listener: Any) -> Any:
    """The next connection; a failure to accept (out of file descriptors, say) waits for some to close."""
    while True:
        try:
            return await listener.accept()
        except OSError as exc:
            _log.warning("api.accept_failed", error=str(exc))
            await anyio.sleep(0.1)


async def refuse(stream: anyio.abc.ByteStream, why: m.Error) -> None:
    """Tell a connection ``why`` in one frame (within a second) and close it."""
    with contextlib.suppress(Exception), anyio.move_on_after(1):
        async with stream:
            await write_frame(stream, _encoder.encode(why))


class ApiServer:
    """Serve the kernel API for ``kernel`` on ``path``; ``on_halt`` is called after a ``halt`` request."""

    def __init__(self, kernel: Any, path: str, *, on_halt: Any = None, max_clients: int = MAX_CLIENTS,
                 max_buffered: int = MAX_BUFFERED, max_request: int = MAX_REQUEST,
                 frame_seconds: float = FRAME_SECONDS):
        self.kernel, self.path, self.on_halt = kernel, path, on_halt
        self.clients = 0
        self.max_clients, self.max_request, self.frame_seconds = max_clients, max_request, frame_seconds
        self.budget = ByteBudget(max_buffered)
        self.refused = 0  # connections turned away, and connections closed for an error
        self.failed = 0
        self._listener: anyio.abc.SocketListener | None = None

    async def serve(self, *, task_status: anyio.abc.TaskStatus = anyio.TASK_STATUS_IGNORED) -> None:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path)
        old = os.umask(0o177)  # the socket is born 0600: only its owner may drive the kernel
        try:
            self._listener = await anyio.create_unix_listener(self.path)
        finally:
            os.umask(old)
        os.chmod(self.path, 0o600)
        task_status.started()
        async with self._listener, anyio.create_task_group() as tg:
            while True:
                stream = await accept(self._listener)
                if self.clients >= self.max_clients:
                    self.refused += 1
                    tg.start_soon(self._refuse, stream)
                    continue
                self.clients += 1  # counted at accept: a burst cannot outrun the bound
                tg.start_soon(self._client, stream)

    async def _refuse(self, stream: anyio.abc.ByteStream) -> None:
        await refuse(stream, m.Error(code="busy", message=f"the kernel API serves at most "
                                     f"{self.max_clients} connections; try again later"))

    async def _client(self, stream: anyio.abc.ByteStream) -> None:
        try:
            await self.session(stream)
        finally:
            self.clients -= 1

    def reader(self, stream: anyio.abc.ByteStream, *, max_frame: int | None = None) -> FrameReader:
        """A reader of ``stream``'s frames within this server's bounds (``max_frame``: a smaller one)."""
        return FrameReader(stream, self.budget, max_frame=max_frame or self.max_request, frame_seconds=self.frame_seconds)

    async def session(self, stream: anyio.abc.ByteStream, reader: FrameReader | None = None, *,
                      remote: bool = False) -> None:
        """Serve one connection until it ends; ``remote``: it came over TCP (kernel/api/remote.py) and
        has shown its token, and requests that only make sense on the kernel's machine are refused."""
        reader = reader or self.reader(stream)
        reader.max_frame = self.max_request
        try:
            async with stream:
                await self._converse(stream, reader, remote)
        except (anyio.BrokenResourceError, anyio.ClosedResourceError, anyio.EndOfStream, OSError):
            pass  # the client went away; others are unaffected
        except Exception as exc:  # noqa: BLE001 - whatever one connection does ends that connection only
            self.failed += 1
            _log.warning("api.connection_failed", error=f"{type(exc).__name__}: {exc}"[:500])
        finally:
            reader.release()

    async def _converse(self, stream: anyio.abc.ByteStream, reader: FrameReader, remote: bool) -> None:
        while True:
            try:
                payload = await reader.read()
            except FrameError as exc:  # a bound broken: say so and hang up
                with anyio.move_on_after(1):
                    await self._send(stream, m.Error(code="bad_frame", message=str(exc)))
                return
            if payload is None:
                return
            req = decode(payload)
            if isinstance(req, m.Error):
                await self._send(stream, req)
                continue
            if remote and type(req) in LOCAL_ONLY:
                await self._send(stream, m.Error(id=req.id, code="local_only", message=LOCAL_ONLY[type(req)]))
                continue
            if isinstance(req, m.Subscribe):
                reader.release()  # nothing more is read from a stream's client but its hang-up
                await self._stream(stream, req)
                return
            await self._send(stream, await self._handle(req))
            if isinstance(req, m.Halt) and self.on_halt is not None:
                self.on_halt()

    async def _handle(self, req: m.Request) -> m.Message:
        try:
            value = await handlers.HANDLERS[type(req)](self.kernel, req)
        except Exception as exc:
            code, message = handlers.error_of(exc)
            return m.Error(id=req.id, code=code, message=message)
        return m.Ok(id=req.id, value=value)

    async def _send(self, stream: anyio.abc.ByteSendStream, msg: m.Message) -> None:
        data = _encoder.encode(msg)
        with anyio.fail_after(SEND_SECONDS):  # a client that stops reading does not hold a task forever
            await write_frame(stream, data)

    async def _stream(self, stream: anyio.abc.ByteStream, req: m.Subscribe) -> None:
        """Events as they happen and stats every ``stats_every`` seconds, until the client hangs up."""
        send, receive = anyio.create_memory_object_stream[m.Message](max_buffer_size=1000)
        dropped = 0

        def on_event(ev: dict[str, Any]) -> None:
            nonlocal dropped
            if req.pid and ev.get("pid") != req.pid:
                return
            try:
                send.send_nowait(m.Event(event=dict(ev)))
            except anyio.WouldBlock:
                dropped += 1  # a slow subscriber loses events rather than slowing the kernel

        unsubscribe = self.kernel.events.subscribe(on_event) if req.events else (lambda: None)
        try:
            await self._send(stream, m.Ok(id=req.id, value=handlers.stats(self.kernel)))
            async with anyio.create_task_group() as tg:
                async def pump() -> None:
                    async with receive:
                        async for msg in receive:
                            await self._send(stream, msg)
                    tg.cancel_scope.cancel()

                async def ticker() -> None:
                    while req.stats_every:
                        await anyio.sleep(req.stats_every)
                        with contextlib.suppress(anyio.WouldBlock):
                            send.send_nowait(m.Stats(stats=handlers.stats(self.kernel)))

                async def hangup() -> None:  # the client closes or sends anything: end the stream
                    with contextlib.suppress(Exception):
                        await stream.receive()
                    tg.cancel_scope.cancel()

                tg.start_soon(pump)
                tg.start_soon(ticker)
                tg.start_soon(hangup)
        finally:
            unsubscribe()
            send.close()


