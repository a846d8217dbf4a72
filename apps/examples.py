"""The format of a prompt app's few-shot ``[[agent.examples]]`` and ``[agent.route]``, checked when the manifest loads."""
from __future__ import annotations

import re
from typing import Any

FORMAT = ('each example is {task = "...", steps = [{action = {tool = "NAME", ARG = ...}, observation = "..."}, '
          '..., {action = {tool = "answer", answer = "..."}}]}')


def problem(examples: list[dict[str, Any]], tools: list[str]) -> str:
    """What is wrong with the first malformed example (a message naming its key), or ""."""
    for i, ex in enumerate(examples):
        where = f"key 'agent.examples[{i}]'"
        extra = set(ex) - {"task", "steps"}
        if extra:
            return f"{where}: unknown key {sorted(extra)[0]!r}; {FORMAT}"
        if not isinstance(ex.get("task"), str) or not ex["task"].strip():
            return f"{where}: needs a non-empty 'task'; {FORMAT}"
        steps = ex.get("steps")
        if not isinstance(steps, list) or not steps:
            return f"{where}: needs 'steps', a list of at least one step; {FORMAT}"
        for j, step in enumerate(steps):
            at = f"{where}.steps[{j}]"
            last = j == len(steps) - 1
            if not isinstance(step, dict) or set(step) - {"action", "observation"}:
                return f"{at}: a step has 'action' and, after a tool, 'observation'; {FORMAT}"
            action = step.get("action")
            tool = action.get("tool") if isinstance(action, dict) else None
            if not isinstance(action, dict) or not isinstance(tool, str):
                return f"{at}: 'action' needs a 'tool' (one of the agent's tools, or \"answer\")"
            if tool == "answer":
                if not last:
                    return f"{at}: the answer must be the last step"
                if "answer" not in action or action["answer"] in ("", None):
                    return f"{at}: an answer step needs a non-empty 'answer'"
                continue
            if tool not in tools:
                return f"{at}: tool {tool!r} is not one of agent.tools"
            if last:
                return f"{at}: the last step must be {{tool = \"answer\", answer = \"...\"}}"
            if not isinstance(step.get("observation"), str):
                return f"{at}: a tool step needs the 'observation' (the tool's output, as text)"
    return ""


def route_problem(route: dict[str, str], tools: list[str]) -> str:
    """What is wrong with ``[agent.route]`` (tool -> regex over the task), or ""."""
    for tool, pattern in route.items():
        if tool not in tools:
            return f"key 'agent.route.{tool}': {tool!r} is not one of agent.tools"
        try:
            re.compile(pattern)
        except re.error as exc:
            return f"key 'agent.route.{tool}': not a regular expression ({exc})"
    return ""
