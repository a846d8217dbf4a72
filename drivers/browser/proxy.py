"""A per-owner SOCKS5 proxy on loopback that lets Chromium connect only to allowed host:ports.

Request routing in Playwright does not see redirect hops, service-worker fetches or
preconnects; every connection the browser makes for a context does pass its proxy,
so this is the layer that guarantees nothing leaves for an origin off the allowlist.
"""
from __future__ import annotations

import asyncio
import socket
import struct
import time

from .allowlist import Allowlist

_NOT_ALLOWED = 0x02  # SOCKS5 "connection not allowed by ruleset"
_UNREACHABLE = 0x04
_CMD_UNSUPPORTED = 0x07


class SocksGuard:
    """Serve SOCKS5 CONNECT on 127.0.0.1:<port>; refuse targets the allowlist does not
    allow and remember them in ``blocked`` as ``(monotonic time, "host:port")``."""

    def __init__(self, allowlist: Allowlist, connect_timeout: float = 10.0):
        self.allowlist = allowlist
        self.connect_timeout = connect_timeout
        self.blocked: list[tuple[float, str]] = []
        self.connections = 0
        self._server: asyncio.AbstractServer | None = None
        self._tasks: set[asyncio.Task] = set()
        self.port = 0

    async def start(self) -> SocksGuard:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    @property
    def url(self) -> str:
        return f"socks5://127.0.0.1:{self.port}"

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None
        for t in list(self._tasks):
            t.cancel()
        self._tasks.clear()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
        try:
            await self._handle(reader, writer)
        except (TimeoutError, asyncio.IncompleteReadError, ConnectionError, OSError, ValueError):
            pass
        except asyncio.CancelledError:
            pass
        finally:
            writer.close()
            if task is not None:
                self._tasks.discard(task)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        ver, nmethods = await reader.readexactly(2)
        await reader.readexactly(nmethods)
        if ver != 5:
            return
        writer.write(b"\x05\x00")  # no authentication
        ver, cmd, _, atyp = await reader.readexactly(4)
        if atyp == 1:
            host = socket.inet_ntop(socket.AF_INET, await reader.readexactly(4))
        elif atyp == 4:
            host = socket.inet_ntop(socket.AF_INET6, await reader.readexactly(16))
        elif atyp == 3:
            (n,) = await reader.readexactly(1)
            host = (await reader.readexactly(n)).decode("ascii", "replace")
        else:
            return
        (port,) = struct.unpack("!H", await reader.readexactly(2))
        if cmd != 1:
            await self._reply(writer, _CMD_UNSUPPORTED)
            return
        if not self.allowlist.allows_socket(host, port):
            shown = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
            self.blocked.append((time.monotonic(), shown))
            await self._reply(writer, _NOT_ALLOWED)
            return
        try:
            up_r, up_w = await asyncio.wait_for(asyncio.open_connection(host, port), self.connect_timeout)
        except (TimeoutError, OSError):
            await self._reply(writer, _UNREACHABLE)
            return
        self.connections += 1
        await self._reply(writer, 0)
        try:
            await asyncio.gather(_pipe(reader, up_w), _pipe(up_r, writer))
        finally:
            up_w.close()

    @staticmethod
    async def _reply(writer: asyncio.StreamWriter, code: int) -> None:
        writer.write(bytes([5, code, 0, 1, 0, 0, 0, 0, 0, 0]))
        await writer.drain()


async def _pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
    try:
        while data := await src.read(65536):
            dst.write(data)
            await dst.drain()
    finally:
        try:
            dst.write_eof()
        except (OSError, RuntimeError):
            pass


