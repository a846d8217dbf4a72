"""Routing by likelihood: the tool under whose description the task is likeliest (the noisy channel), when
that beats "a general question answered from what you know", starts the agent loop."""
from __future__ import annotations

from typing import Any

from syscalls import Sys
from syscalls.errors import PermissionDenied, Unavailable

EXAMPLE = "{description} Example request:"
KNOWLEDGE = "Answer a general question from what you know."  # the description of using no tool
MAX_TOOLS = 8  # one llm.score call each; more tools than this are not routed


async def likeliest_tool(sys: Sys, task: str, tools: list[Any]) -> Any | None:
    """The granted tool whose description makes ``task`` likeliest, if strictly likelier than the
    no-tool description; None otherwise, or when the engine cannot score or the app may not."""
    if not task.strip() or not tools or len(tools) > MAX_TOOLS:
        return None
    try:
        base = await _lp(sys, KNOWLEDGE, task)
        best, best_lp = None, base
        for t in tools:
            lp = await _lp(sys, t.description or t.name, task)
            if lp > best_lp:
                best, best_lp = t, lp
    except (PermissionDenied, Unavailable):  # no llm.score grant, or an engine that cannot score
        return None
    return best


async def _lp(sys: Sys, description: str, task: str) -> float:
    reply = await sys.llm.score([{"role": "user", "content": EXAMPLE.format(description=description)}], [task[:4000]])
    return reply.logprobs[0]
