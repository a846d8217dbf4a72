"""``llmos mcp serve``: llmos as an MCP server (stdio) offering run_app, ps, kill and mem_search to an MCP host.

Every tool goes through the kernel daemon's API, so what the host starts runs as ordinary processes:
the app's manifest permissions, its budgets and every rule apply as they would from the shell."""
from __future__ import annotations

import fnmatch
from typing import Any

import anyio
import msgspec
from typing_extensions import TypedDict  # pydantic needs this one on Python < 3.12

from .client import Client, KernelError, NotRunning
from .mcpserver_app import MEMSEARCH_APP, install_memsearch


class Outcome(TypedDict):
    pid: int
    state: str
    exit_reason: str
    exit_status: int | None
    result: str | None
    error: str


class Row(TypedDict):
    pid: int
    ppid: int
    app: str
    state: str
    tokens: int
    task: str


class Memory(TypedDict):
    text: str
    collection: str
    score: float


def build_server(*, home: str | None = None, apps: list[str] | None = None, kill_any: bool = False) -> Any:
    """The MCP server object (``mcp.server.MCPServer``); ``apps`` are globs of the apps the host may run."""
    from mcp.server import MCPServer
    from mcp.server.mcpserver.exceptions import ToolError

    allowed = apps or ["*"]
    started: set[int] = set()  # pids this session started: the ones it may kill unless kill_any
    server = MCPServer("llmos", instructions="Run llmos apps (agents) as processes, list them, stop them, "
                                             "and search long-term memory.")

    async def call(fn):
        try:
            async with Client(home) as c:
                return await fn(c)
        except NotRunning as exc:
            raise ToolError(f"{exc.message}") from None
        except KernelError as exc:
            raise ToolError(f"{exc.code}: {exc.message}") from None

    def outcome(info: Any) -> Outcome:
        return Outcome(pid=info.pid, state=info.state, exit_reason=info.exit_reason or "",
                       exit_status=info.exit_status, result=info.result, error=getattr(info, "error", "") or "")

    @server.tool()
    async def run_app(app: str, task: str, wait: bool = True, timeout: float = 300.0) -> Outcome:
        """Run an llmos app on a task as a new process. With wait (the default) return its result when it
        ends, or its state after timeout seconds; otherwise return at once with its pid."""
        if not any(fnmatch.fnmatchcase(app, g) for g in allowed) or app == MEMSEARCH_APP:
            raise ToolError(f"this MCP server may not run app {app!r} (allowed: {', '.join(allowed)})")

        async def go(c: Client) -> Outcome:
            pid = await c.spawn(app, task)
            started.add(pid)
            if not wait:
                return Outcome(pid=pid, state="RUNNING", exit_reason="", exit_status=None, result=None, error="")
            try:
                return outcome(await c.wait(pid, max(0.1, min(timeout, 86400))))
            except KernelError as exc:
                if exc.code != "timeout":
                    raise
                return Outcome(pid=pid, state="RUNNING", exit_reason="", exit_status=None, result=None,
                               error=f"still running after {timeout:g} s; call ps, or kill {pid}")
        return await call(go)

    @server.tool()
    async def ps(all: bool = False) -> list[Row]:
        """The processes llmos runs (with all: also those that ended a while ago)."""
        async def go(c: Client) -> list[Row]:
            return [Row(pid=r.pid, ppid=r.ppid, app=r.app, state=r.state, tokens=r.tokens_in + r.tokens_out,
                        task=r.task[:200]) for r in await c.ps(all=all)]
        return await call(go)

    @server.tool()
    async def kill(pid: int, signal: str = "TERM") -> str:
        """Send a signal (TERM, KILL, STOP or CONT) to a process this MCP session started."""
        sig = signal.upper().removeprefix("SIG")
        if sig not in ("TERM", "KILL", "STOP", "CONT"):
            raise ToolError(f"unknown signal {signal!r}; use TERM, KILL, STOP or CONT")
        if not kill_any and pid not in started:
            raise ToolError(f"pid {pid} was not started through this MCP session; it may signal only its own "
                            f"processes (llmos mcp serve --kill-any lifts this)")

        async def go(c: Client) -> str:
            await c.kill(pid, sig)
            return f"sent {sig} to pid {pid}"
        return await call(go)

    @server.tool()
    async def mem_search(query: str, collection: str = "", k: int = 5) -> list[Memory]:
        """Search llmos's long-term memory. It runs as a process of the mem-search app, so only the collections
        that app is granted can be searched and every rule applies."""
        import json
        install_memsearch(home)
        task = json.dumps({"query": query, "collection": collection or None, "k": max(1, min(k, 50))})

        async def go(c: Client) -> list[Memory]:
            info = await c.wait(await c.spawn(MEMSEARCH_APP, task), 120)
            if info.exit_reason != "exited":
                raise ToolError(f"memory search failed: {info.exit_reason}: {getattr(info, 'error', '')}")
            try:
                return msgspec.json.decode(info.result or "[]", type=list[Memory])
            except msgspec.DecodeError as exc:  # a ValidationError too: what came back is not a list of memories
                raise ToolError(f"memory search returned something unexpected: {exc}") from None
        return await call(go)

    return server


async def serve(*, home: str | None = None, apps: list[str] | None = None, kill_any: bool = False) -> None:
    await build_server(home=home, apps=apps, kill_any=kill_any).run_stdio_async()


def main(home: str | None = None, apps: list[str] | None = None, kill_any: bool = False) -> int:
    try:
        anyio.run(lambda: serve(home=home, apps=apps, kill_any=kill_any))
    except KeyboardInterrupt:
        pass
    return 0
