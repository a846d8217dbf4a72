"""The kernel API on a TCP port (``llmos boot --listen HOST:PORT``): TLS when configured, a token on every connection.

Each connection: the TLS handshake (when a certificate is configured), then one ``auth`` frame with the
token, all within ``AUTH_SECONDS``.  A right token is answered ``ok`` and the connection is served like
one on the Unix socket (kernel/api/server.py), less the requests that only make sense on the kernel's
machine.  Anything else (a wrong or missing token, another first frame, a failed handshake, silence)
gets one ``unauthorized`` error line where a frame can still be sent, is closed, and is logged with
the peer's address and the reason, never the token.  Tokens are compared in constant time.

Connections over TCP have their own bound (``max_clients``), counted from accept, so strangers that
connect and say nothing cannot take the seats of the local socket's clients."""
from __future__ import annotations

import hashlib
import hmac
import ssl
from typing import Any

import anyio
import msgspec
import structlog
from anyio.streams.stapled import MultiListener
from anyio.streams.tls import TLSStream

from kernel.api import messages as m
from kernel.api.server import ApiServer, accept, refuse
from kernel.api.server import _encoder as encoder
from kernel.syscall.framing import FrameError
from syscalls.transport import write_frame

AUTH_SECONDS = 10.0  # the handshake and the token must arrive within this
AUTH_FRAME = 4096  # bytes in the auth frame at most
MAX_CLIENTS = 32

_auth = msgspec.json.Decoder(m.Auth)
_log = structlog.get_logger("llmos.api")


def _digest(token: str | bytes) -> bytes:
    return hashlib.sha256(token.encode() if isinstance(token, str) else token).digest()


class RemoteApi:
    """Serve ``server``'s API on a bound TCP ``listener`` (``anyio.create_tcp_listener``)."""

    def __init__(self, server: ApiServer, listener: anyio.abc.Listener[Any], *, token: str,
                 tls: ssl.SSLContext | None = None, max_clients: int = MAX_CLIENTS, auth_seconds: float = AUTH_SECONDS):
        self.server, self.listener, self.tls = server, listener, tls
        self._token = _digest(token)  # only its digest is kept: equal length, compared in constant time
        self.max_clients, self.auth_seconds = max_clients, auth_seconds
        self.clients = 0
        self.refused = 0  # connections turned away for a bad token, a failed handshake or no seat
        bound: Any = listener.extra(anyio.abc.SocketAttribute.local_address)
        self.address: tuple[str, int] = (str(bound[0]), int(bound[1]))
        # create_tcp_listener gives one listener per address the host resolves to (localhost: ::1 and 127.0.0.1)
        self._listeners = listener.listeners if isinstance(listener, MultiListener) else [listener]

    def _valid(self, token: str) -> bool:
        return hmac.compare_digest(_digest(token), self._token)

    async def serve(self, *, task_status: anyio.abc.TaskStatus[tuple[str, int]] = anyio.TASK_STATUS_IGNORED) -> None:
        """Accept connections until cancelled; ``task_status`` gets the bound (host, port)."""
        task_status.started(self.address)
        async with self.listener, anyio.create_task_group() as tg:
            for listener in self._listeners:
                tg.start_soon(self._accept, listener, tg)

    async def _accept(self, listener: anyio.abc.Listener[Any], tg: anyio.abc.TaskGroup) -> None:
        while True:
            stream = await accept(listener)
            if self.clients >= self.max_clients:
                self.refused += 1
                tg.start_soon(refuse, stream, m.Error(code="busy", message=f"the kernel API takes at most "
                              f"{self.max_clients} TCP connections; try again later"))
                continue
            self.clients += 1
            tg.start_soon(self._client, stream)

    async def _client(self, raw: anyio.abc.SocketStream) -> None:
        peer = _peer(raw)
        try:
            stream, why = await self._admit(raw)
        except Exception as exc:  # noqa: BLE001 - whatever one stranger does ends that connection only
            stream, why = None, f"the handshake broke ({type(exc).__name__})"
            await anyio.aclose_forcefully(raw)
        try:
            if stream is None:
                self.refused += 1
                _log.warning("api.remote_refused", peer=peer, reason=why)
                return
            _log.info("api.remote_connected", peer=peer)
            await self.server.session(stream[0], stream[1], remote=True)  # catches what its connection raises
        finally:
            self.clients -= 1

    async def _admit(self, raw: anyio.abc.SocketStream) -> tuple[Any, str]:
        """((stream, reader), "") for a connection that showed the token, else (None, why) with it closed."""
        stream: anyio.abc.ByteStream | None = None if self.tls is not None else raw  # None: no TLS session yet
        reader = None
        why = "no TLS handshake within the time allowed" if self.tls is not None else "no token within the time allowed"
        with anyio.move_on_after(self.auth_seconds):
            try:
                if stream is None:
                    stream = await TLSStream.wrap(raw, server_side=True, ssl_context=self.tls,
                                                  standard_compatible=False)
                    why = "no token within the time allowed"
                reader = self.server.reader(stream, max_frame=AUTH_FRAME)
                why = self._check(await reader.read())
                if not why:
                    await write_frame(stream, encoder.encode(m.Ok(id=0, value={"api": "llmos"})))
                    return (stream, reader), ""
            except FrameError as exc:
                why = f"a first frame that is no token ({exc})"
            except (anyio.BrokenResourceError, anyio.EndOfStream, anyio.ClosedResourceError, OSError) as exc:
                why = ("the client hung up before its token" if stream is not None
                       else f"TLS handshake failed ({type(exc).__name__}: {str(exc)[:200]})")
        if reader is not None:
            reader.release()
        if stream is not None:  # a frame can still reach the client: say why in one line
            await refuse(stream, m.Error(code="unauthorized", message=f"the kernel refused this connection: {why}"))
        else:
            await anyio.aclose_forcefully(raw)
        return None, why

    def _check(self, payload: bytes | None) -> str:
        """"" for a frame with the right token, else why not (never naming the token itself)."""
        if payload is None:
            return "the client hung up before its token"
        try:
            auth = _auth.decode(payload)
        except (msgspec.DecodeError, msgspec.ValidationError):
            return "missing token (the first frame must be the token)"
        if not auth.token:
            return "missing token"
        return "" if self._valid(auth.token) else "wrong token"


def _peer(stream: anyio.abc.SocketStream) -> str:
    try:
        peer: Any = stream.extra(anyio.abc.SocketAttribute.remote_address)
        return f"{peer[0]}:{peer[1]}"
    except Exception:  # noqa: BLE001 - a peer gone before we asked
        return "?"
