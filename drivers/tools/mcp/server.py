"""One MCP server's life: started on demand, its tools listed, restarted with backoff when it crashes."""
from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anyio

from ...errors import DriverError
from .spec import ServerSpec
from .transport import open_transport

Emit = Callable[..., object]  # emit(kind, **fields): the kernel's event log, or nothing


def _why(exc: BaseException) -> str:
    """A one-line reason, looking inside exception groups (task groups wrap what they raise)."""
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    text = str(exc) or type(exc).__name__
    return f"{type(exc).__name__}: {text}" if not isinstance(exc, (OSError, TimeoutError)) else text


class McpServer:
    """States: ``stopped`` (never started, or gave up after ``max_restarts`` crashes in a row; the next
    use starts it again), ``starting``, ``ready``, ``backoff`` (waiting to restart), ``closed``."""

    def __init__(self, spec: ServerSpec, *, log_file: Path | None = None, emit: Emit | None = None):
        self.spec, self.log_file = spec, log_file
        self.emit = emit or (lambda kind, **fields: None)
        self.state = "stopped"
        self.client: Any = None
        self.tools: list[Any] = []  # mcp_types.Tool, as last listed
        self.starts = 0  # how many times it was started (the first start and every restart)
        self.crashes = 0  # in a row; a call that succeeds resets it
        self.last_error = ""
        self._changed = anyio.Event()
        self._end = anyio.Event()  # set when the running instance should end (crash or stop)
        self._stop = anyio.Event()
        self._closing = False
        self._tg: anyio.abc.TaskGroup | None = None

    # -- used by the hub ---------------------------------------------------------------------------
    def attach(self, tg: anyio.abc.TaskGroup) -> None:
        self._tg = tg

    def close(self) -> None:
        self._closing = True
        self._stop.set()
        self._end.set()
        self._set("closed")

    async def ready(self) -> Any:
        """The connected client, starting the server if needed; raises ``DriverError`` if it cannot."""
        if self.state == "closed" or self._tg is None:
            raise DriverError(f"MCP server {self.spec.name!r} is shut down", code="unavailable")
        if self.state == "stopped":
            self.state = "starting"
            self._tg.start_soon(self._supervise)
        deadline = anyio.current_time() + self.spec.start_timeout + self.spec.backoff_max
        while self.state != "ready":
            if self.state in ("stopped", "closed"):
                raise DriverError(f"MCP server {self.spec.name!r} could not start: {self.last_error}"
                                  f"{self._log_hint()}", code="unavailable", retryable=True)
            changed = self._changed
            with anyio.move_on_after(max(0.0, deadline - anyio.current_time())):
                await changed.wait()
            if anyio.current_time() >= deadline and self.state != "ready":
                raise DriverError(f"MCP server {self.spec.name!r} did not become ready within "
                                  f"{self.spec.start_timeout + self.spec.backoff_max:g} s (state {self.state}; "
                                  f"{self.last_error or 'no error yet'}){self._log_hint()}",
                                  code="timeout", retryable=True)
        return self.client

    def connection_lost(self) -> bool:
        return self._end.is_set() and not self._closing

    def succeeded(self) -> None:
        self.crashes = 0

    # -- the supervisor task -----------------------------------------------------------------------
    def _set(self, state: str) -> None:
        self.state = state
        self._changed.set()
        self._changed = anyio.Event()

    def _log_hint(self) -> str:
        return f"; its stderr is in {self.log_file}" if self.log_file and self.spec.command else ""

    async def _supervise(self) -> None:
        from mcp import Client
        while not self._closing:
            self._end = anyio.Event()
            self.starts += 1
            started, t0 = False, time.monotonic()
            scope = anyio.CancelScope(deadline=anyio.current_time() + self.spec.start_timeout)
            try:
                with scope:
                    async with contextlib.AsyncExitStack() as stack:
                        streams = open_transport(self.spec, self._end.set, self.log_file)
                        client = Client(streams, read_timeout_seconds=self.spec.timeout, cache=None)
                        await stack.enter_async_context(client)
                        tools = await self._list(client)
                        scope.deadline = math.inf
                        started = True
                        self.client, self.tools = client, tools
                        self.emit("mcp.start", server=self.spec.name, transport=self.spec.transport,
                                  tools=len(tools), start=self.starts, ms=round((time.monotonic() - t0) * 1000))
                        self._set("ready")
                        await self._end.wait()
                        self.client = None
                        if not self._closing:
                            self._set("starting")
                if scope.cancelled_caught and not started:
                    self.last_error = f"no answer to the MCP handshake within {self.spec.start_timeout:g} s"
            except Exception as exc:  # noqa: BLE001 - a server that fails must never take the kernel down
                self.last_error = _why(exc)
            self.client = None
            if self._closing:
                break
            self.crashes += 1
            if started:
                self.last_error = "the server closed the connection (it exited or crashed)"
            self.emit("mcp.crash" if started else "mcp.error", server=self.spec.name, error=self.last_error,
                      crashes=self.crashes)
            if self.crashes > self.spec.max_restarts:
                self._set("stopped")  # gave up for now; the next use starts it again
                return
            self._set("backoff")
            delay = min(self.spec.backoff_max, self.spec.backoff * 2 ** (self.crashes - 1))
            self.emit("mcp.restart", server=self.spec.name, delay=delay, crashes=self.crashes)
            with anyio.move_on_after(delay):
                await self._stop.wait()
            if not self._closing:
                self._set("starting")
        if self.state != "closed":
            self._set("closed")

    @staticmethod
    async def _list(client: Any) -> list[Any]:
        tools, cursor = [], None
        for _ in range(100):  # a paginator that never ends must not hang the start
            page = await client.list_tools(cursor=cursor)
            tools += page.tools
            cursor = page.next_cursor
            if not cursor:
                break
        return tools
