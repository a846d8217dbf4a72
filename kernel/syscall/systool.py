"""The ``tool`` syscalls: list the tools a process is granted and call one."""
from __future__ import annotations

from typing import TYPE_CHECKING

from kernel.proc.process import Process
from kernel.syscall.perm import refusal, tool_granted
from syscalls import tool
from syscalls.errors import NotFound, PermissionDenied

if TYPE_CHECKING:
    from kernel.kernel import Kernel


async def _load(k: "Kernel", proc: Process, name: str = "") -> None:
    """Tool drivers that list their tools on first use (MCP servers) put them into ``k.tools`` now."""
    for load in k.hooks.tools:
        await load(proc, name)


async def list_(k: "Kernel", proc: Process, req: tool.ListTools) -> tool.Tools:
    await _load(k, proc)
    return tool.Tools(tools=[tool.ToolSpec(name=t.name, description=t.description, schema=t.schema, topics=list(t.topics))
                             for t in k.tools.values() if tool_granted(proc, t.name)])


async def call(k: "Kernel", proc: Process, req: tool.Call) -> tool.ToolResult:
    if not tool_granted(proc, req.name):
        raise PermissionDenied(refusal(proc, "tools", req.name, f"tool '{req.name}'"))
    await _load(k, proc, req.name)
    t = k.tools.get(req.name)
    if t is None:
        raise NotFound(f"no tool named {req.name!r}; tool.list shows the ones available")
    out = await t.call(req.args, owner=str(proc.pid))
    return tool.ToolResult(name=req.name, output=out.output, data=out.data, is_error=out.is_error,
                           untrusted=out.untrusted)
