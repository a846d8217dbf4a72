"""Boot step "openai_api": serve the OpenAI-compatible API on the configured address (docs/agents.md)."""
from __future__ import annotations

import contextlib
import sys
from typing import TYPE_CHECKING

import anyio

from kernel.api.openai import mcp
from kernel.api.openai.app import OpenAIApp
from kernel.api.openai.calls import Calls
from kernel.api.openai.server import HttpServer, bind

if TYPE_CHECKING:
    from kernel.kernel import Kernel


async def attach(k: "Kernel", stack: contextlib.AsyncExitStack) -> None:
    """Off when ``api_enabled`` is false; a port that cannot be had is an event, and the rest boots."""
    cfg = k.config
    calls = Calls(k)
    k.api_calls = calls  # keys for `llmos exec` and the kernel API, even when no port is served
    stack.callback(calls.close)
    if not cfg.api_enabled:
        k.events.emit("api.off")
        return
    try:
        sock = bind(cfg.api_host, cfg.api_port)
    except OSError as exc:
        message = f"cannot listen on {cfg.api_host}:{cfg.api_port}: {exc.strerror or exc}"
        k.events.emit("api.error", error=message)
        print(f"llmos: OpenAI API off: {message} (set [api] port in llmos.toml)", file=sys.stderr, flush=True)
        return
    endpoint, sessions = mcp.build(calls)
    await stack.enter_async_context(sessions.run())  # MCP's own task group, closed after the server below
    server = HttpServer(OpenAIApp(k, calls, max_body=cfg.api_max_body, mcp=endpoint).asgi, sock)
    tg = await stack.enter_async_context(anyio.create_task_group())
    k.api_url = await tg.start(server.serve)
    stack.callback(server.stop)
    k.events.emit("api.listen", url=k.api_url)
