"""Planning: split a task into sub-tasks, each with a spec (and an optional program check)."""
from __future__ import annotations

import json

from syscalls import Sys
from syscalls.errors import InvalidArgument

from .checks import KINDS, clean, problem

PLAN_SYSTEM = (
    "You are a manager. Split the user's task into independent sub-tasks that workers can do in "
    "parallel. For each sub-task give: the task, a spec that says what a correct result looks like, "
    "and, when the spec can be tested exactly, a check: {\"kind\": one of " + ", ".join(KINDS)
    + ", \"value\": ...}. Reply in JSON.")


# One worked example of the form (a small model plans far better with one).
EXAMPLE = [
    {"role": "user", "content": "Give the capital of Japan and the sum of 17 and 25."},
    {"role": "assistant", "content": json.dumps({"subtasks": [
        {"task": "What is the capital of Japan?", "spec": "The city's name only.",
         "check": {"kind": "contains", "value": "Tokyo"}},
        {"task": "What is 17 + 25?", "spec": "The number only.", "check": {"kind": "number", "value": "42"}}]})},
]


def schema(max_workers: int) -> dict:
    check = {"type": "object", "properties": {"kind": {"enum": list(KINDS)}, "value": {"type": "string"}},
             "required": ["kind", "value"]}
    item = {"type": "object", "properties": {"task": {"type": "string"}, "spec": {"type": "string"},
                                             "check": check}, "required": ["task", "spec"]}
    return {"type": "object", "properties": {"subtasks": {"type": "array", "items": item, "minItems": 1,
                                                          "maxItems": max_workers}},
            "required": ["subtasks"]}


def given(task: str) -> list[dict] | None:
    """A task may come already split: JSON ``{"subtasks": [{"task", "spec", "check"?}, ...]}``."""
    try:
        data = json.loads(task)
    except ValueError:
        return None
    subs = data.get("subtasks") if isinstance(data, dict) else None
    if not isinstance(subs, list):
        return None
    for i, s in enumerate(subs):  # the person wrote this plan: a check that would be dropped is an error
        if isinstance(s, dict) and s.get("check") is not None and problem(s["check"]):
            raise InvalidArgument(f"subtasks[{i}].check: {problem(s['check'])}")
    return normalize(subs)


def normalize(subs: list, max_workers: int = 8) -> list[dict]:
    """Well-formed sub-tasks, each once (a small model repeats itself)."""
    out, seen = [], set()
    for s in subs[:max_workers]:
        if isinstance(s, dict) and isinstance(s.get("task"), str) and s["task"].strip() \
                and s["task"].strip().lower() not in seen:
            seen.add(s["task"].strip().lower())
            out.append({"task": s["task"].strip(), "spec": str(s.get("spec") or "").strip(),
                        "check": clean(s.get("check"))})
    return out


async def make_plan(sys: Sys, task: str, max_workers: int) -> tuple[list[dict], str]:
    """The sub-tasks, and where the plan came from ("given" or "model")."""
    subs = given(task)
    if subs:
        return subs[:max_workers], "given"
    reply = await sys.llm.json([{"role": "system", "content": PLAN_SYSTEM}, *EXAMPLE,
                                {"role": "user", "content": task}], schema(max_workers), max_tokens=400)
    value = reply.value if isinstance(reply.value, dict) else {}
    subs = normalize(value.get("subtasks") or [], max_workers)
    return (subs or [{"task": task, "spec": "", "check": None}]), "model"
