"""Routing by likelihood: the tool under whose description the task is likeliest (the noisy channel), when
that beats "a general question answered from what you know", starts the agent loop."""
from __future__ import annotations

import re
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


COMMON = frozenset("the and for with what which who how this that are was were you your can could would should does did "
                   "tell give show please now".split())


def vocabulary(text: str) -> set[str]:
    """The words of a description or a route pattern, three letters or more, common ones aside."""
    return {w for w in re.findall(r"[a-z]{3,}", text.lower()) if w not in COMMON}


def plausible(tool: Any, task: str, pattern: str = "") -> bool:
    """Whether a task the likelihood route gives ``tool`` names anything the tool is about: a word (or the
    start of one) of its description, its topics (drivers/tools/base.py) or its ``[agent.route]`` pattern
    ("Tell me todays weekday" and the clock's "weekday").  The likeliest of a few tools is still a guess:
    "At what temperature does water boil?" is likelier under the clock's description than under "a general
    question", and the clock's reading then became the answer."""
    said = vocabulary(task)
    about = vocabulary(f"{tool.description or ''} {tool.name} {' '.join(tool.topics)} {pattern}")
    return any(w.startswith(a) or a.startswith(w) for w in said for a in about)
