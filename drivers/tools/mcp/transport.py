"""Transports to one MCP server (stdio child or streamable HTTP) that report when the server goes away."""
from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, Self, TextIO

import anyio

from .spec import ServerSpec


class WatchedStream:
    """A read stream that calls ``on_eof`` once the server's side closes (exit, crash, hang-up)."""

    def __init__(self, inner: Any, on_eof: Callable[[], None]):
        self.inner, self.on_eof = inner, on_eof

    @property
    def last_context(self) -> Any:
        return getattr(self.inner, "last_context", None)

    async def receive(self) -> Any:
        try:
            return await self.inner.receive()
        except (anyio.EndOfStream, anyio.ClosedResourceError, anyio.BrokenResourceError):
            self.on_eof()
            raise

    async def aclose(self) -> None:
        await self.inner.aclose()

    def __aiter__(self) -> WatchedStream:
        return self

    async def __anext__(self) -> Any:
        try:
            return await self.receive()
        except anyio.EndOfStream:
            raise StopAsyncIteration from None

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()


def _errlog(log_file: Path | None, stack: contextlib.ExitStack) -> TextIO:
    """Where a stdio server's stderr goes: its own log file under the llmos home, else our stderr."""
    if log_file is None:
        return sys.stderr
    log_file.parent.mkdir(parents=True, exist_ok=True)
    return stack.enter_context(open(log_file, "a", encoding="utf-8"))


@contextlib.asynccontextmanager
async def open_transport(spec: ServerSpec, on_eof: Callable[[], None], log_file: Path | None = None):
    """Yield (read, write) streams to the server; leaving stops a stdio child (stdin closed, then TERM, KILL)."""
    with contextlib.ExitStack() as files:
        if spec.url:
            from mcp.client.streamable_http import streamable_http_client
            from mcp.shared._httpx_utils import create_mcp_http_client
            http = create_mcp_http_client(headers=spec.headers or None)
            cm = streamable_http_client(spec.url, http_client=http)
        else:
            from mcp.client.stdio import StdioServerParameters, stdio_client
            params = StdioServerParameters(command=spec.command, args=spec.args, env=spec.env or None,
                                           cwd=spec.cwd or None, encoding_error_handler="replace")
            cm = stdio_client(params, errlog=_errlog(log_file, files))
        async with cm as (read, write):
            yield WatchedStream(read, on_eof), write
