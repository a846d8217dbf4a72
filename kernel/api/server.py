"""The kernel API server: framed msgspec messages on a Unix socket, one task per client connection."""
from __future__ import annotations

import contextlib
import os
from typing import Any

import anyio
import msgspec

from syscalls.transport import read_frame, write_frame

from . import handlers
from . import messages as m

_decoder = msgspec.json.Decoder(m.AnyRequest)
_encoder = msgspec.json.Encoder(enc_hook=repr)  # odd values in events become their repr


class _Peek(msgspec.Struct):
    id: int = 0


def _request_id(payload: bytes) -> int:
    """Best effort: the ``id`` of a request that failed to decode, so the error reply can name it."""
    try:
        return msgspec.json.decode(payload, type=_Peek).id
    except (msgspec.DecodeError, msgspec.ValidationError):
        return 0


class ApiServer:
    """Serve the kernel API for ``kernel`` on ``path``; ``on_halt`` is called after a ``halt`` request."""

    def __init__(self, kernel: Any, path: str, *, on_halt: Any = None):
        self.kernel, self.path, self.on_halt = kernel, path, on_halt
        self.clients = 0
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
        async with self._listener:
            await self._listener.serve(self._client)

    async def _client(self, stream: anyio.abc.SocketStream) -> None:
        self.clients += 1
        buf = bytearray()
        try:
            async with stream:
                while True:
                    try:
                        payload = await read_frame(stream, buf)
                    except ValueError as exc:  # oversized or truncated frame: say so and hang up
                        await self._send(stream, m.Error(code="bad_frame", message=str(exc)))
                        return
                    if payload is None:
                        return
                    try:
                        req = _decoder.decode(payload)
                    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
                        await self._send(stream, m.Error(id=_request_id(payload), code="bad_request",
                                                         message=str(exc)))
                        continue
                    if isinstance(req, m.Subscribe):
                        await self._stream(stream, req)
                        return
                    await self._send(stream, await self._handle(req))
                    if isinstance(req, m.Halt) and self.on_halt is not None:
                        self.on_halt()
        except (anyio.BrokenResourceError, anyio.ClosedResourceError, anyio.EndOfStream, OSError):
            return  # the client went away; others are unaffected
        finally:
            self.clients -= 1

    async def _handle(self, req: m.Request) -> m.Message:
        try:
            value = await handlers.HANDLERS[type(req)](self.kernel, req)
        except Exception as exc:
            code, message = handlers.error_of(exc)
            return m.Error(id=req.id, code=code, message=message)
        return m.Ok(id=req.id, value=value)

    async def _send(self, stream: anyio.abc.ByteSendStream, msg: m.Message) -> None:
        await write_frame(stream, _encoder.encode(msg))

    async def _stream(self, stream: anyio.abc.SocketStream, req: m.Subscribe) -> None:
        """Events as they happen and stats every ``stats_every`` seconds, until the client hangs up."""
        send, receive = anyio.create_memory_object_stream[m.Message](max_buffer_size=1000)
        dropped = 0

        def on_event(ev: dict) -> None:
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


