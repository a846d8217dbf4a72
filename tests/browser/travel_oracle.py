"""A scripted model for the travel app: it follows the goal in its prompt exactly, so a run proves the plumbing."""
from __future__ import annotations

import json
import re

from drivers.llm import GenRequest, ScriptedEngine


def _price(text: str) -> int:
    m = re.search(r"\$(\d+)", text)
    return int(m.group(1)) if m else 10**9


def choose(acts: list[str], goal: str, trip: dict) -> str:
    """The action a perfect agent takes next, given the candidate actions and the goal."""
    for key in ("from", "to", "date"):
        field = {"from": "From", "to": "To", "date": "Date"}[key]
        want = re.compile(rf"^type '{re.escape(trip[key])}' into \[\d+\] {field}$")
        hit = next((a for a in acts if want.match(a)), None)
        if hit:
            return hit
    search = next((a for a in acts if "Search flights" in a), None)
    if search:
        return search
    offers = [a for a in acts if re.search(r"link Select \w+ \(", a)]
    if offers:
        airline = re.search(r"Prefer (.+?) flights", goal)
        liked = [a for a in offers if airline and airline.group(1) in a]
        return min(liked or offers, key=_price)
    seat = re.search(r"Choose an? (\w+) seat", goal)
    want_seat = seat.group(1).capitalize() if seat else None
    for pattern in ([rf"radio {want_seat}$"] if want_seat else []) + ["Continue to checkout", "Confirm booking"]:
        hit = next((a for a in acts if re.search(pattern, a)), None)
        if hit:
            return hit
    return acts[-1]  # done


def travel_model(trip: dict, prefs: dict | None = None) -> ScriptedEngine:
    """A ScriptedEngine whose every reply comes from :func:`choose` (or the trip/prefs schemas)."""
    engine = ScriptedEngine()

    def reply(req: GenRequest) -> str:
        props = (req.json_schema or {}).get("properties", {})
        if "from" in props:
            return json.dumps({"date": trip["date"], "from": trip["from"], "to": trip["to"]})
        prompt = engine.detokenize(req.prompt)
        if "seat" in props:  # it reads only preferences that reached its prompt
            seen = engine.prefs and all(str(v).lower() in prompt.lower() for v in engine.prefs.values())
            return json.dumps(engine.prefs if seen else {"airline": "", "seat": "any"})
        goal = re.search(r"Goal: (.*)", prompt)
        return json.dumps({"action": choose(props["action"]["enum"], goal.group(1) if goal else "", trip)})

    engine.default = reply
    engine.prefs = prefs  # what it reads from remembered preferences; tests may change it
    return engine
