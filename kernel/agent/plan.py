"""Plans: before acting, the agent loop asks the model for its intended calls and has the rules check them all.

A plan the rules would deny is sent back with the violated rules, so the model replans
instead of failing halfway.  An accepted plan changes nothing about the per-call checks:
every call the agent then makes passes the rules again on its own.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kernel.agent.loop import ANSWER, AgentError, action_schema, tool_args
from syscalls import Sys

MAX_STEPS = 6  # of one plan: longer plans from a small model are mostly repetition
PLAN_PROMPT = ("Before acting, plan. Reply with a JSON object {\"steps\": [...]} listing the tool calls you "
               f"intend to make, in order, each like {{\"tool\": \"<tool name>\", <its arguments>}}. Leave out "
               f"the final \"{ANSWER}\".")
Check = Callable[[list[tuple[str, dict[str, Any]]]], Any]  # -> PlanVerdict


def plan_schema(tools: list[Any]) -> dict[str, Any]:
    step = action_schema(tools, None)
    step["properties"].pop(ANSWER, None)
    step["properties"]["tool"] = {"enum": [t.name for t in tools]} if tools else {"type": "string"}
    return {"type": "object", "properties": {"steps": {"type": "array", "items": step, "maxItems": MAX_STEPS}},
            "required": ["steps"]}


def plan_calls(steps: list[Any], tools: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """The syscalls a plan's steps would make: each tool step is one ``tool.call``."""
    calls = []
    for step in steps[:MAX_STEPS]:
        if isinstance(step, dict) and step.get("tool") in tools:
            args, _ = tool_args(tools[step["tool"]], step)
            calls.append(("tool.call", {"name": step["tool"], "args": args}))
    return calls


def rejection(verdict: Any, calls: list[tuple[str, dict[str, Any]]]) -> str:
    lines = ["Your plan was rejected by the rules:"]
    for v in verdict.violations:
        tool = calls[v.index][1].get("name", "?") if v.index < len(calls) else "?"
        lines.append(f"- step {v.index + 1} ({tool}): {v.decision.reason} [rule {v.decision.rule_id}]")
    lines.append("Make a new plan that does not need these steps.")
    return "\n".join(lines)


class Planner:
    """``agree`` returns the conversation with an accepted plan in it, or raises AgentError."""

    def __init__(self, check: Check, *, rounds: int = 3, max_tokens: int = 256):
        self.check, self.rounds, self.max_tokens = check, rounds, max_tokens

    async def agree(self, sys: Sys, messages: list[dict[str, Any]], tools: list[Any]) -> list[dict[str, Any]]:
        granted = {t.name: t for t in tools}
        schema = plan_schema(tools)
        why = ""
        for _ in range(self.rounds):
            asked = [*messages, {"role": "user", "content": PLAN_PROMPT}]
            reply = await sys.llm.json(asked, schema, max_tokens=self.max_tokens)
            steps = reply.value.get("steps", []) if isinstance(reply.value, dict) else []
            calls = plan_calls(steps if isinstance(steps, list) else [], granted)
            verdict = self.check(calls)
            messages = [*asked, {"role": "assistant", "content": reply.text}]
            if verdict.ok:
                note = " Some steps will wait for the person's approval." if verdict.needs_approval else ""
                return [*messages, {"role": "user", "content": "Plan accepted." + note +
                                    " Now carry it out one step at a time; every call is still checked."}]
            why = rejection(verdict, calls)
            messages.append({"role": "user", "content": why})
        raise AgentError(f"no plan the rules accept after {self.rounds} tries; last: {why[:300]}")


def for_process(k: Any, proc: Any) -> Planner | None:
    """A planner whose plans the kernel's rules check for ``proc``; None when the kernel has no rules."""
    rules = k.rules
    if rules is None:
        return None
    return Planner(lambda calls: rules.check_plan(k, proc, calls))
