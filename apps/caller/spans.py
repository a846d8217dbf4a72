"""What an argument may be: the request's own word spans for free strings, its own numbers for numbers,
the enum values it names for enums; and arguments drawn from the same mentions take them in order.

A 135M model asked for ``{"city": ...}`` paraphrases, misspells or invents; held to the spans
of the request it only has to choose one, which it can (the same idea as pal's numbers).  Asked
to fill ``source`` and ``target`` from "100 USD to EUR", or ``hour`` and ``minute`` from "8:05",
it swaps or repeats them (it leans on the last mention), so those are settled before it decodes."""
from __future__ import annotations

import re
from typing import Any

MAX_WORDS = 6
EDGE = "\"'.,;:!?()[]"


def spans(request: str) -> list[str]:
    """Every run of 1..6 words within one clause of the request (clauses end at , ; : ! ? before a
    space), trimmed of punctuation at its ends (``Luigi's`` and ``Dr. Chen`` keep theirs), in order."""
    out: dict[str, None] = {}
    for clause in re.split(r"[,;:!?]\s+", request):
        words = clause.split()
        for i in range(len(words)):
            for j in range(i + 1, min(len(words), i + MAX_WORDS) + 1):
                text = " ".join(words[i:j]).strip(EDGE)
                if text:
                    out.setdefault(text, None)
    return list(out)


def numbers(request: str) -> list[int | float]:
    """The numbers written in the request (``6:45`` gives 6 and 45; ``19.5`` stays 19.5)."""
    out: dict[float, int | float] = {}
    for m in re.finditer(r"\d+(?:\.\d+)?", request.replace(",", "")):
        v = float(m.group(0))
        out.setdefault(v, int(v) if v == int(v) else v)
    return list(out.values())


def mention(value: Any, request: str) -> int | None:
    """Where the request first names ``value`` (a whole word, case ignored; a number as written), or None."""
    if isinstance(value, str):
        m = re.search(r"(?<!\w)" + re.escape(value.lower()) + r"(?!\w)", request.lower())
        return m.start() if m else None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        for m in re.finditer(r"\d+(?:\.\d+)?", request.replace(",", "")):
            if float(m.group(0)) == float(value):
                return m.start()
    return None


def bound(params: dict[str, Any], request: str) -> dict[str, Any]:
    """The function's parameter schema with every argument required, free strings held to the request's
    spans, integers/numbers to its numbers (when it has any that fit the argument's range) and enums to
    the values it names (when it names any); then ``in_order``."""
    props = params.get("properties", {}) if isinstance(params, dict) else {}
    words, nums = spans(request), numbers(request)
    out: dict[str, Any] = {}
    drawn: dict[str, str] = {}  # argument -> the kind of mention it is held to ("number" or its enum)
    for name, sub in props.items():
        sub = dict(sub) if isinstance(sub, dict) else {}
        kind = sub.get("type")
        if kind == "string" and "enum" not in sub and "pattern" not in sub and words:
            sub = {"enum": words}
        elif kind in ("integer", "number") and "enum" not in sub:
            fit = [n for n in nums if (kind == "number" or n == int(n))
                   and sub.get("minimum", float("-inf")) <= n <= sub.get("maximum", float("inf"))]
            if fit:
                sub, drawn[name] = {"enum": fit}, "number"
        elif isinstance(sub.get("enum"), list):
            named = [v for v in sub["enum"] if mention(v, request) is not None]
            if named:
                sub, drawn[name] = {"enum": named}, repr(sub["enum"])
        out[name] = sub
    return {"type": "object", "properties": in_order(out, drawn, request), "required": list(out)}


def in_order(props: dict[str, Any], drawn: dict[str, str], request: str) -> dict[str, Any]:
    """Arguments held to the same kind of mention (numbers; one enum) take the request's mentions in the
    order it makes them, each mention once: in schema order, each argument gets the earliest mention it
    admits that no earlier one took.  Only when there are enough mentions for all of them; else the
    model chooses among its own candidates."""
    kinds: dict[str, list[str]] = {}
    for name, kind in drawn.items():
        kinds.setdefault(kind, []).append(name)
    out = dict(props)
    for names in kinds.values():
        if len(names) < 2:
            continue
        taken: list[Any] = []
        for name in names:
            free = sorted((v for v in props[name]["enum"] if v not in taken), key=lambda v: mention(v, request) or 0)
            if not free:
                break
            taken.append(free[0])
        else:
            out.update({name: {"enum": [v]} for name, v in zip(names, taken)})
    return out
