"""Routing by likelihood: the tool under whose description the task is likeliest (the noisy channel), when
that beats "a general question answered from what you know", starts the agent loop."""
from __future__ import annotations

from typing import Any, NamedTuple

from syscalls import Sys
from syscalls.errors import PermissionDenied, Unavailable

EXAMPLE = "{description} Example request:"
KNOWLEDGE = "Answer a general question from what you know."  # the description of using no tool
MAX_TOOLS = 8  # one llm.score call each; more tools than this are not routed


class Routed(NamedTuple):
    tool: Any | None  # the likeliest tool, when strictly likelier than a general question
    general: bool  # a general question is strictly likelier than every tool (a tie, or no scores, is not)


async def likeliest_tool(sys: Sys, task: str, tools: list[Any]) -> Routed:
    """The granted tool whose description makes ``task`` likeliest, if strictly likelier than the
    no-tool description; no tool otherwise, or when the engine cannot score or the app may not."""
    if not task.strip() or not tools or len(tools) > MAX_TOOLS:
        return Routed(None, False)
    try:
        base = await _lp(sys, KNOWLEDGE, task)
        scored = [(await _lp(sys, t.description or t.name, task), t) for t in tools]
    except (PermissionDenied, Unavailable):  # no llm.score grant, or an engine that cannot score
        return Routed(None, False)
    top = max(lp for lp, _ in scored)
    if top > base:
        return Routed(next(t for lp, t in scored if lp == top), False)  # the first of equals
    return Routed(None, top < base)


async def _lp(sys: Sys, description: str, task: str) -> float:
    reply = await sys.llm.score([{"role": "user", "content": EXAMPLE.format(description=description)}], [task[:4000]])
    return reply.logprobs[0]
