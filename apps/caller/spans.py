"""What an argument may be: the request's own word spans for free strings, its own numbers for numbers.

A 135M model asked for ``{"city": ...}`` paraphrases, misspells or invents; held to the spans
of the request it only has to choose one, which it can (the same idea as pal's numbers)."""
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


def bound(params: dict[str, Any], request: str) -> dict[str, Any]:
    """The function's parameter schema with every argument required, free strings held to the request's
    spans and integers/numbers to its numbers (when it has any that fit the argument's range)."""
    props = params.get("properties", {}) if isinstance(params, dict) else {}
    words, nums = spans(request), numbers(request)
    out: dict[str, Any] = {}
    for name, sub in props.items():
        sub = dict(sub) if isinstance(sub, dict) else {}
        kind = sub.get("type")
        if kind == "string" and "enum" not in sub and "pattern" not in sub and words:
            sub = {"enum": words}
        elif kind in ("integer", "number") and "enum" not in sub:
            fit = [n for n in nums if (kind == "number" or n == int(n))
                   and sub.get("minimum", float("-inf")) <= n <= sub.get("maximum", float("inf"))]
            if fit:
                sub = {"enum": fit}
        out[name] = sub
    return {"type": "object", "properties": out, "required": list(out)}
