"""caller: function calling on a small model.  The task is ``{"functions": [...], "request": "..."}``;
the answer is ``{"name": ..., "arguments": {...}}``.

Two constrained steps: the function's name (one of those offered), then its arguments under the
function's own schema, with free strings held to the request's word spans and numbers to its
numbers (spans.py).  ``"spans": false`` in the task turns that off (to measure it)."""
from __future__ import annotations

import json
from typing import Any

from syscalls import Sys
from syscalls.errors import InvalidArgument

from .spans import bound

PICK = ("You route a user's request to one function. The functions:\n{listing}\n"
        "Reply with the name of the function that does what the user asks.")
FILL = ("You fill in the arguments of the function {name}: {description}\n"
        "Take every value from the user's request, written as the request writes it.")
# A worked example of the form (none of the evaluation's functions or requests).
EXAMPLE = [{"role": "user", "content": "Order 2 pizzas from Mario's."},
           {"role": "assistant", "content": '{"shop": "Mario\'s", "count": 2}'}]


def parse(task: str) -> tuple[list[dict], str, bool]:
    try:
        data = json.loads(task)
    except ValueError:
        data = None
    if not isinstance(data, dict) or not isinstance(data.get("request"), str) or not isinstance(data.get("functions"), list):
        raise InvalidArgument('the task must be JSON {"functions": [{"name", "description", "parameters"}], "request": "..."}')
    funcs = [f for f in data["functions"] if isinstance(f, dict) and isinstance(f.get("name"), str)]
    if not funcs:
        raise InvalidArgument("no functions were given")
    return funcs, data["request"], bool(data.get("spans", True))


async def pick(sys: Sys, funcs: list[dict], request: str) -> dict:
    if len(funcs) == 1:
        return funcs[0]
    listing = "\n".join(f"- {f['name']}: {f.get('description', '')}" for f in funcs)
    schema = {"type": "object", "properties": {"name": {"enum": [f["name"] for f in funcs]}}, "required": ["name"]}
    reply = await sys.llm.json([{"role": "system", "content": PICK.format(listing=listing)},
                                {"role": "user", "content": request}], schema, max_tokens=32)
    name = reply.value.get("name") if isinstance(reply.value, dict) else None
    return next((f for f in funcs if f["name"] == name), funcs[0])


async def run(sys: Sys, task: str) -> str:
    funcs, request, use_spans = parse(task)
    func = await pick(sys, funcs, request)
    params: dict[str, Any] = func.get("parameters") or {"type": "object", "properties": {}}
    schema = bound(params, request) if use_spans else {**params, "required": list(params.get("properties", {}))}
    args: dict[str, Any] = {}
    if schema.get("properties"):
        reply = await sys.llm.json([{"role": "system", "content": FILL.format(name=func["name"],
                                                                              description=func.get("description", ""))},
                                    *EXAMPLE, {"role": "user", "content": request}], schema, max_tokens=96)
        args = reply.value if isinstance(reply.value, dict) else {}
    return json.dumps({"name": func["name"], "arguments": args})
