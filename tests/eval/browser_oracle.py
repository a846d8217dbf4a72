"""A scripted model for the travel app over many requests: it reads each request's own trip and cabin, so
one engine serves a whole browser-suite run (tests/browser/travel_oracle.py's for one fixed trip)."""
from __future__ import annotations

import json
import re

from drivers.llm import GenRequest, ScriptedEngine
from tests.browser.travel_oracle import choose

GOAL = re.compile(r"Goal: Book the cheapest flight from (\S+) to (\S+) on (\d{4}-\d{2}-\d{2})\.")
CABIN = re.compile(r'select "Cabin" name=cabin value="(\w+)"')


def _trip(props: dict, prompt: str) -> dict:
    """From and to as the request says them ("from X", "to Y", in any order), among the offered places."""
    places = props["from"]["enum"]
    request = prompt.rsplit("->", 1)[-1]  # after the facts prompt's worked example
    frm = [w for w in re.findall(r"\bfrom (\w+)", request) if w in places]
    to = [w for w in re.findall(r"\bto (\w+)", request) if w in places and w not in frm]
    return {"date": props["date"]["enum"][0], "from": frm[-1], "to": to[-1]}


def _action(acts: list[str], prompt: str) -> str:
    goal = GOAL.search(prompt)
    trip = {"from": goal.group(1), "to": goal.group(2), "date": goal.group(3)} if goal else {}
    shown = CABIN.search(prompt)
    for a in acts:  # a cabin the request names, once, before the search
        m = re.match(r"select '(\w+)' in \[\d+\] Cabin$", a)
        if m and shown and shown.group(1) != m.group(1):
            return a
    return choose([a for a in acts if not a.startswith("select ")] or acts, goal.group(0) if goal else "", trip)


def booking_model() -> ScriptedEngine:
    """A ``ScriptedEngine`` that books the cheapest flight of whatever request it is given."""
    engine = ScriptedEngine()

    def reply(req: GenRequest) -> str:
        props = (req.json_schema or {}).get("properties", {})
        prompt = engine.detokenize(req.prompt)
        if "from" in props:
            return json.dumps(_trip(props, prompt))
        if "seat" in props:
            return json.dumps({"airline": "", "seat": "any"})
        return json.dumps({"action": _action(props["action"]["enum"], prompt)})

    engine.default = reply
    return engine
