"""caller: function calling on a small model.  The task is ``{"functions": [...], "request": "..."}``;
the answer is ``{"name": ..., "arguments": {...}}``.

Two steps: the function, then its arguments under the function's own schema, with free strings
held to the request's word spans and numbers to its numbers (spans.py).

The function is picked by the noisy channel: for each function, ``llm.score`` gives the
log-likelihood of the *request* as an example request for that function's description, and the
function under which the request is most likely wins.  The request is the same text under every
function, so the sums compare directly; a small model is far better at judging how well a text
fits a description than at naming the right function (docs/eval.md).  Engines that cannot score
(most HTTP servers), or more than ``CHANNEL_MAX`` functions, fall back to naming the function
under an enum of the offered names.  ``"pick": "name"`` in the task forces that fallback and
``"spans": false`` turns the spans off (to measure each mechanism)."""
from __future__ import annotations

import json
from typing import Any

from syscalls import Sys
from syscalls.errors import InvalidArgument, Unavailable

from .spans import bound

PICK = ("You route a user's request to one function. The functions:\n{listing}\n"
        "Reply with the name of the function that does what the user asks.")
FILL = ("You fill in the arguments of the function {name}: {description}\n"
        "Take every value from the user's request, written as the request writes it.")
CHANNEL = "{description} Example request:"
CHANNEL_MAX = 8  # functions scored one syscall each; more than this are picked by name
# A worked example of the form (none of the evaluation's functions or requests).
EXAMPLE = [{"role": "user", "content": "Order 2 pizzas from Mario's."},
           {"role": "assistant", "content": '{"shop": "Mario\'s", "count": 2}'}]


def parse(task: str) -> tuple[list[dict], str, dict[str, Any]]:
    try:
        data = json.loads(task)
    except ValueError:
        data = None
    if not isinstance(data, dict) or not isinstance(data.get("request"), str) or not isinstance(data.get("functions"), list):
        raise InvalidArgument('the task must be JSON {"functions": [{"name", "description", "parameters"}], "request": "..."}')
    funcs = [f for f in data["functions"] if isinstance(f, dict) and isinstance(f.get("name"), str)]
    if not funcs:
        raise InvalidArgument("no functions were given")
    if data.get("pick", "channel") not in ("channel", "name"):
        raise InvalidArgument('"pick" is "channel" (the default) or "name"')
    return funcs, data["request"], {"spans": bool(data.get("spans", True)), "pick": data.get("pick", "channel")}


async def pick(sys: Sys, funcs: list[dict], request: str, how: str = "channel") -> dict:
    if len(funcs) == 1:
        return funcs[0]
    if how == "channel" and len(funcs) <= CHANNEL_MAX:
        try:
            return await pick_by_channel(sys, funcs, request)
        except Unavailable:  # the engine cannot score (llm.score answers unavailable): name it instead
            pass
    return await pick_by_name(sys, funcs, request)


async def pick_by_channel(sys: Sys, funcs: list[dict], request: str) -> dict:
    """The function under whose description the request is most likely (first on a tie)."""
    best, best_lp = funcs[0], float("-inf")
    for f in funcs:
        prompt = CHANNEL.format(description=f.get("description") or f["name"].replace("_", " "))
        lp = (await sys.llm.score([{"role": "user", "content": prompt}], [request])).logprobs[0]
        if lp > best_lp:
            best, best_lp = f, lp
    return best


async def pick_by_name(sys: Sys, funcs: list[dict], request: str) -> dict:
    listing = "\n".join(f"- {f['name']}: {f.get('description', '')}" for f in funcs)
    schema = {"type": "object", "properties": {"name": {"enum": [f["name"] for f in funcs]}}, "required": ["name"]}
    reply = await sys.llm.json([{"role": "system", "content": PICK.format(listing=listing)},
                                {"role": "user", "content": request}], schema, max_tokens=32)
    name = reply.value.get("name") if isinstance(reply.value, dict) else None
    return next((f for f in funcs if f["name"] == name), funcs[0])


async def run(sys: Sys, task: str) -> str:
    funcs, request, opts = parse(task)
    func = await pick(sys, funcs, request, opts["pick"])
    params: dict[str, Any] = func.get("parameters") or {"type": "object", "properties": {}}
    schema = bound(params, request) if opts["spans"] else {**params, "required": list(params.get("properties", {}))}
    args: dict[str, Any] = {}
    if schema.get("properties"):
        reply = await sys.llm.json([{"role": "system", "content": FILL.format(name=func["name"],
                                                                              description=func.get("description", ""))},
                                    *EXAMPLE, {"role": "user", "content": request}], schema, max_tokens=96)
        args = reply.value if isinstance(reply.value, dict) else {}
    return json.dumps({"name": func["name"], "arguments": args})
