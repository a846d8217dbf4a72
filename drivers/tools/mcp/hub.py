"""The configured MCP servers: their tools offered as ``server.tool``, loaded the first time a process needs them."""
from __future__ import annotations

import fnmatch
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, Self

import anyio

from ...errors import DriverError
from ..base import Tool, ToolOutput
from .result import to_output
from .server import Emit, McpServer, _why
from .spec import ServerSpec


class McpTool(Tool):
    """One tool of one MCP server; its JSON schema is the server's ``inputSchema``."""

    def __init__(self, server: McpServer, remote: Any):
        self.server, self.remote_name = server, remote.name
        self.name = f"{server.spec.name}.{remote.name}"
        self.description = (remote.description or remote.title or remote.name).strip()
        schema = dict(remote.input_schema or {})
        schema.setdefault("type", "object")
        schema.setdefault("properties", {})
        self.schema = schema

    async def call(self, args: dict[str, Any], *, owner: str = "") -> ToolOutput:
        return await call_tool(self.server, self.remote_name, args)


async def call_tool(server: McpServer, tool: str, args: dict[str, Any]) -> ToolOutput:
    """Call ``tool`` on ``server``: a typed ``DriverError`` for timeouts, crashes and protocol errors."""
    from mcp import MCPError
    name, spec = server.spec.name, server.spec
    client = await server.ready()
    try:
        with anyio.fail_after(spec.timeout + 1):  # the client's own read timeout should fire first
            result = await client.call_tool(tool, args, read_timeout_seconds=spec.timeout)
    except TimeoutError:
        raise DriverError(f"MCP server {name!r} did not answer {tool!r} within {spec.timeout:g} s",
                          code="timeout", retryable=True) from None
    except MCPError as exc:
        if server.connection_lost() or "connection closed" in str(exc).lower():
            raise DriverError(f"MCP server {name!r} went away during {tool!r} (it exited or crashed); "
                              f"llmos restarts it, try again", code="unavailable", retryable=True) from None
        if "timed out" in str(exc).lower():
            raise DriverError(f"MCP server {name!r} did not answer {tool!r} within {spec.timeout:g} s",
                              code="timeout", retryable=True) from None
        raise DriverError(f"MCP server {name!r} refused {tool!r}: {exc}", code="invalid") from None
    except Exception as exc:  # noqa: BLE001 - e.g. a result that does not validate: say so, never a traceback
        raise DriverError(f"MCP server {name!r} failed on {tool!r}: {_why(exc)}", code="mcp") from None
    server.succeeded()
    return to_output(result)


def may_grant(server: str, patterns: Iterable[str]) -> bool:
    """Whether any grant pattern could match a tool ``server.<something>``."""
    for p in patterns:
        head = p.split(".", 1)[0] if "." in p else None
        if fnmatch.fnmatchcase(server, head) if head is not None else fnmatch.fnmatchcase(server + ".x", p):
            return True
    return False


class McpHub:
    """``async with McpHub(specs, log_dir) as hub``: nothing starts until ``load`` is asked for a server's
    tools; leaving stops every server it started."""

    def __init__(self, specs: Iterable[ServerSpec], *, log_dir: str | Path | None = None, emit: Emit | None = None):
        self.emit = emit or (lambda kind, **fields: None)
        log = Path(log_dir) if log_dir else None
        self.servers = {s.name: McpServer(s, log_file=log / f"mcp-{s.name}.log" if log else None, emit=self.emit)
                        for s in specs}
        self._loaded: dict[str, int] = {}  # server -> the start whose tools are in the table
        self._tg: anyio.abc.TaskGroup | None = None

    async def __aenter__(self) -> Self:
        self._tg = anyio.create_task_group()
        await self._tg.__aenter__()
        for s in self.servers.values():
            s.attach(self._tg)
        return self

    async def __aexit__(self, *exc: object) -> None:
        for s in self.servers.values():
            s.close()  # each stdio child: stdin closed, then TERM, then KILL (shielded, bounded, in the SDK)
        if self._tg is not None:
            await self._tg.__aexit__(None, None, None)

    def wanted(self, name: str, patterns: Iterable[str] | None) -> list[McpServer]:
        """The servers a ``tool.call`` of ``name`` (or a ``tool.list`` when ``name`` is empty) needs."""
        if name:
            server = self.servers.get(name.split(".", 1)[0]) if "." in name else None
            return [server] if server is not None else []
        pats = ["*"] if patterns is None else list(patterns)
        return [s for n, s in self.servers.items() if may_grant(n, pats)]

    async def load(self, table: dict[str, Tool], servers: list[McpServer],
                   on_error: Callable[[str, str], object] | None = None) -> None:
        """Start ``servers`` if needed and put their current tools into ``table`` (stale ones removed)."""
        async def one(server: McpServer) -> None:
            if on_error is not None and server.state == "backoff" and server.spec.name in self._loaded:
                return  # a listing does not wait out a crashing server's backoff: its last tools stay listed
            try:
                await server.ready()
            except DriverError as exc:
                if on_error is None:
                    raise
                on_error(server.spec.name, str(exc))
                return
            if self._loaded.get(server.spec.name) == server.starts:
                return
            prefix = server.spec.name + "."
            for key in [k for k in table if k.startswith(prefix)]:
                del table[key]
            for remote in server.tools:
                tool = McpTool(server, remote)
                table[tool.name] = tool
            self._loaded[server.spec.name] = server.starts
        if len(servers) == 1:
            await one(servers[0])
            return
        async with anyio.create_task_group() as tg:
            for s in servers:
                tg.start_soon(one, s)
