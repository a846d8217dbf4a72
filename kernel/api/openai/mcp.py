"""The MCP endpoint (streamable HTTP at ``/mcp``): the same key offers its process's granted tools, each
listing a ``tool.list`` and each call a ``tool.call`` syscall of that process, under the rules and approvals."""
from __future__ import annotations

from typing import Any

import mcp_types as types
from mcp.server.lowlevel import Server
from mcp.server.streamable_http_manager import StreamableHTTPSessionManager
from starlette.types import Receive, Scope, Send

from kernel.api.openai.calls import Calls
from kernel.api.openai.errors import ApiError
from syscalls import tool


def _auth(ctx: Any) -> str | None:
    req = ctx.request
    return req.headers.get("authorization") if req is not None else None


def build(calls: Calls) -> tuple["McpEndpoint", StreamableHTTPSessionManager]:
    """The ASGI endpoint and the session manager, whose ``run()`` must be entered while it serves."""

    async def list_tools(ctx: Any, params: Any) -> types.ListToolsResult:
        proc = calls.process(_auth(ctx))
        try:
            reply = await calls.run_as(proc, tool.ListTools(), tool.Tools)
        except ApiError as exc:
            if exc.status == 403:  # the app is not granted tool.list: it has no tools to offer
                return types.ListToolsResult(tools=[])
            raise
        return types.ListToolsResult(tools=[
            types.Tool(name=t.name, description=t.description,
                       input_schema=t.schema if t.schema.get("type") == "object" else {"type": "object"})
            for t in reply.tools])

    async def call_tool(ctx: Any, params: types.CallToolRequestParams) -> types.CallToolResult:
        proc = calls.process(_auth(ctx))
        try:
            reply = await calls.run_as(proc, tool.Call(name=params.name, args=dict(params.arguments or {})),
                                       tool.ToolResult)
        except ApiError as exc:
            return types.CallToolResult(content=[types.TextContent(type="text", text=exc.message)], is_error=True)
        return types.CallToolResult(content=[types.TextContent(type="text", text=reply.output)], is_error=reply.is_error,
                                    structured_content=reply.data if isinstance(reply.data, dict) else None)

    server = Server("llmos", instructions="The tools this llmos process is granted; every call passes the "
                                          "kernel's permissions, rules and approvals.",
                    on_list_tools=list_tools, on_call_tool=call_tool)
    manager = StreamableHTTPSessionManager(app=server, stateless=True, json_response=True)
    return McpEndpoint(calls, manager), manager


class McpEndpoint:
    """Rejects a request without a live process's key (401) before MCP sees it."""

    def __init__(self, calls: Calls, manager: StreamableHTTPSessionManager):
        self.calls, self.manager = calls, manager

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        try:
            self.calls.process(headers.get("authorization"))
        except ApiError as exc:
            await send({"type": "http.response.start", "status": exc.status,
                        "headers": [(b"content-type", b"application/json")]})
            await send({"type": "http.response.body", "body": exc.body()})
            return
        await self.manager.handle_request(scope, receive, send)
