"""Boot step "mcp": the configured MCP servers' tools join ``k.tools``, each server started on first use."""
from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

from drivers.tools.mcp import McpHub, SpecError, spec_of
from kernel.proc.process import Process

if TYPE_CHECKING:
    from kernel.kernel import Kernel


async def attach(k: Kernel, stack: contextlib.AsyncExitStack) -> None:
    """Cheap: builds the hub and a ``tools`` hook; no server starts until a process lists or calls its tools."""
    specs = []
    for name, raw in k.config.mcp_servers.items():
        try:
            specs.append(spec_of(name, raw))
        except SpecError as exc:  # one bad server must not hide the others
            k.events.emit("mcp.error", server=name, error=str(exc))
    if not specs:
        return
    hub = await stack.enter_async_context(McpHub(specs, log_dir=k.home / "logs",
                                                 emit=lambda kind, **f: k.events.emit(kind, **f)))

    async def load(proc: Process, name: str) -> None:
        grants = None if proc.permissions is None else proc.permissions.tools
        servers = hub.wanted(name, grants)
        if not servers:
            return
        if name:  # tool.call: its errors are the call's errors
            await hub.load(k.tools, servers)
            return
        await hub.load(k.tools, servers,  # tool.list: a server that cannot start is left out, and said so
                       on_error=lambda server, error: k.events.emit("mcp.error", proc.pid, server=server, error=error))

    k.hooks.tools.append(load)
