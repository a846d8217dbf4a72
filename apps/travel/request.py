"""Understanding the person's request: options, the trip's facts, and remembered preferences."""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from syscalls import Sys
from syscalls.errors import SyscallError

DEFAULT_SITE = "http://127.0.0.1:8765/flights/index.html"
_OPTION = re.compile(r"\b(site|max_steps)=(\S+)")
_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
_WORD = re.compile(r"[A-Za-z][A-Za-z.'-]*")
_NOT_PLACES = {"book", "me", "a", "an", "the", "flight", "flights", "from", "to", "on", "for", "please", "i",
               "fly", "find", "get", "ticket", "cheapest", "cheap", "and", "with", "seat", "in", "at", "by"}
SEATS = ["any", "aisle", "window", "middle"]


class RequestError(Exception):
    """The request could not be understood; the message says what is missing."""


@dataclass
class Trip:
    origin: str
    destination: str
    date: str
    airline: str = ""  # preferred, from memory ("" = any)
    seat: str = "any"
    memories: list[str] = field(default_factory=list)

    def facts(self) -> list[str]:
        return [self.origin, self.destination, self.date]

    def goal(self) -> str:
        pref = f" Prefer {self.airline} flights if there is one (the cheapest of them)." if self.airline else ""
        seat = f" Choose a {self.seat} seat." if self.seat != "any" else ""
        return (f"Book the cheapest flight from {self.origin} to {self.destination} on {self.date}.{pref}{seat} "
                "Fill in the search form (From, To, Date), search, select the cheapest flight, choose the seat, "
                "continue to checkout and confirm the booking.")


def options(task: str) -> tuple[str, dict[str, str]]:
    """``site=URL`` and ``max_steps=N`` in the task are options; the rest is the request."""
    opts = dict(_OPTION.findall(task))
    return _OPTION.sub("", task).strip(), opts


def place_words(request: str) -> list[str]:
    """Words that could name a place: airport codes and capitalised words (not the sentence's first)."""
    words = _WORD.findall(_DATE.sub(" ", request))
    out: list[str] = []
    for i, w in enumerate(words):
        w = w.strip(".'-")
        if w.lower() in _NOT_PLACES or not w[:1].isupper() or (i == 0 and not w.isupper()):
            continue
        if w not in out:
            out.append(w)
    return out


FACTS_PROMPT = ("Read a flight request and fill in the trip: where it departs from, where it goes to, and the date.\n"
                "Example: \"fly me from Lisbon to Oslo on 2025-07-01\" -> "
                '{"date": "2025-07-01", "from": "Lisbon", "to": "Oslo"}')


async def trip(sys: Sys, request: str) -> Trip:
    """The trip's facts, chosen by the model under a schema that only allows words from the request."""
    places, dates = place_words(request), _DATE.findall(request)
    if len(places) < 2:
        raise RequestError(f"I need a departure and a destination (e.g. 'from SFO to JFK'); got {request!r}")
    if not dates:
        raise RequestError(f"I need the travel date as YYYY-MM-DD; got {request!r}")
    schema = {"type": "object", "properties": {"date": {"enum": sorted(set(dates))}, "from": {"enum": places},
                                               "to": {"enum": places}}, "required": ["date", "from", "to"]}
    reply = await sys.llm.json([{"role": "system", "content": FACTS_PROMPT},
                                {"role": "user", "content": request}], schema, max_tokens=60)
    v = reply.value if isinstance(reply.value, dict) else {}
    if v.get("from") == v.get("to"):
        raise RequestError(f"the model read the same place for departure and destination ({v.get('from')!r})")
    return Trip(v["from"], v["to"], v["date"])


PREFS_PROMPT = ("From what is remembered about the person, give their preferred airline (a name, or \"\" if none "
                "is mentioned) and seat (aisle, window, middle, or any).")


RELEVANT = 0.3  # cosine similarity below which a remembered preference is not about flying


async def preferences(sys: Sys, t: Trip) -> Trip:
    """Remembered airline and seat preferences, when the memory service has any; without one, none.

    Only the person's *preferences* are asked for (a fact such as "my dog is Biscuit" is not one), and
    only those that bear on a flight: the recall is scoped by kind and cut at a relevance floor."""
    try:
        found = await sys.mem.recall(f"preferred airline and seat when flying from {t.origin} to {t.destination}",
                                     k=5, collection="user", kinds=["preference"], min_score=RELEVANT)
    except SyscallError:  # no memory service, or not granted: book without preferences
        return t
    t.memories = [m.text for m in found if m.text.strip()][:5]
    if not t.memories:
        return t
    schema = {"type": "object", "properties": {"airline": {"type": "string", "maxLength": 40},
                                               "seat": {"enum": SEATS}}, "required": ["airline", "seat"]}
    notes = "\n".join(f"- {m}" for m in t.memories)
    reply = await sys.llm.json([{"role": "system", "content": PREFS_PROMPT},
                                {"role": "user", "content": f"Remembered:\n{notes}"}], schema, max_tokens=40)
    v = reply.value if isinstance(reply.value, dict) else {}
    airline = str(v.get("airline", "")).strip()
    t.airline = airline if airline and airline.lower() in notes.lower() else ""  # never one memory lacks
    t.seat = v.get("seat", "any") if v.get("seat") in SEATS else "any"
    return t
