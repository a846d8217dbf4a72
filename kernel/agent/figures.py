"""Word problems of shapes, multiples and rates read in parts: a rectangle's perimeter, a box's volume, a circle's
area and circumference, "3 times as old as", a fraction of a count, prices by kind of ticket and a rate over a
span of time.  As in kernel/agent/stories.py, each reading takes every number of the task or none of them."""
from __future__ import annotations

import re

from drivers.tools.asking import NUMBER_WORDS

from .stories import AREA, NUM, bare, numbers


def perimeter(task: str) -> str | None:
    """The way round a rectangle ("a garden 12 m by 7 m ... how much fencing": 2 * (12 + 7))."""
    m = AREA.search(task)
    if not m or len(numbers(task)) != 2 or not re.search(r"\b(?:perimeter|fenc(?:e|ing)|around|border|edging|trim)\b", task, re.I):
        return None
    return f"2 * ({bare(m.group(1))} + {bare(m.group(2))})"


SIDES = re.compile(rf"({NUM})\s*(?:[a-z]+\s+)?(?:long|wide|high|deep|tall|by|x|×)", re.IGNORECASE)


def volume(task: str) -> str | None:
    """A box's volume from three sides ("3 m long, 4 m wide and 5 m high", "20 x 30 x 40 cm")."""
    nums = numbers(task)
    if len(nums) != 3 or not re.search(r"\b(?:volume|cubic|hold|fill)\b", task, re.I):
        return None
    if not re.search(rf"{NUM}\s*[a-z]*\s*(?:by|x|×)\s*{NUM}\s*[a-z]*\s*(?:by|x|×)\s*{NUM}", task, re.I) and len(SIDES.findall(task)) < 2:
        return None
    return " * ".join(nums)


CIRCLE = re.compile(rf"\b(radius|diameter)\s+(?:of\s+|is\s+)?({NUM})|({NUM})\s*[a-z]*\s+(radius|diameter)\b", re.IGNORECASE)


def circle(task: str) -> str | None:
    """A circle's area or circumference from its radius or diameter ("area of a circle with a radius of 4 cm":
    pi * 4 ^ 2)."""
    m = CIRCLE.search(task)
    if not m or len(numbers(task)) != 1 or not re.search(r"\bcircle|circular|round\b", task, re.I):
        return None
    kind, n = (m.group(1) or m.group(4)).lower(), bare(m.group(2) or m.group(3))
    r = f"{n} / 2" if kind == "diameter" else n
    if re.search(r"\b(?:circumference|perimeter|around)\b", task, re.I):
        return f"2 * pi * {r}" if kind == "radius" else f"pi * {n}"
    return f"pi * ({r}) ^ 2" if re.search(r"\barea\b", task, re.I) else None


MULTIPLE = re.compile(rf"\b({NUM}|{'|'.join(NUMBER_WORDS)}|twice)\s+(?:times\s+)?(?:as\s+(?:many|much|old|long|tall|big|heavy|fast|far)\s+(?:[a-z]+\s+)?as"
                      rf"|(?:times\s+)?(?:more|older|longer|taller|bigger|heavier|faster)\s+than)\b", re.IGNORECASE)


def times_as(task: str) -> str | None:
    """A multiple of another amount ("3 times as old as her son, who is 12": 3 * 12)."""
    m = MULTIPLE.search(task)
    if not m or "%" in task or re.search(r"\b(?:together|in all|altogether|combined|in total|both)\b", task, re.I):
        return None
    word = m.group(1).lower()
    times = "2" if word == "twice" else str(NUMBER_WORDS[word]) if word in NUMBER_WORDS else bare(word)
    rest = numbers(task[:m.start()] + " " + task[m.end():])
    return f"{times} * {rest[0]}" if len(rest) == 1 and not re.search(r"\btimes\s+more\b", m.group(0), re.I) else None


SHARE_OF_THEM = re.compile(r"(?<![\d.])(\d+)\s*/\s*(\d+)\s+of\s+(?:them|those|these|the\s+[a-z]+)\b", re.IGNORECASE)


def fraction_of(task: str) -> str | None:
    """A fraction of a count the task gave before ("28 students and 3/4 of them passed": 28 * 3 / 4)."""
    m = SHARE_OF_THEM.search(task)
    rest = numbers(task[:m.start()] + " " + task[m.end():]) if m else []
    return f"{rest[0]} * {m.group(1)} / {m.group(2)}" if m and len(rest) == 1 else None


PRICED_KIND = re.compile(rf"(?:[$€£]\s*({NUM})|({NUM})\s*(?:dollars?|euros?|pounds?))\s+(?:each\s+)?(?:for|per)\s+(?:an?\s+|each\s+)?([a-z]+)",
                         re.IGNORECASE)
COUNTED_KIND = re.compile(rf"(?<![\d.$])({NUM})\s+([a-z]+)", re.IGNORECASE)


def _kind(word: str) -> str:
    w = word.lower()
    return {"children": "child", "kids": "child", "kid": "child", "people": "person", "men": "man", "women": "woman"}.get(w, w.rstrip("s"))


def by_kind(task: str) -> str | None:
    """Counts of things priced by kind ("$12 for adults and $7 for kids ... 2 adults and 3 kids": 2 * 12 + 3 * 7)."""
    prices = {_kind(k): bare(a or b) for a, b, k in PRICED_KIND.findall(task)}
    if len(prices) < 2:
        return None
    rest = PRICED_KIND.sub(" ", task)
    counts = [(bare(n), _kind(k)) for n, k in COUNTED_KIND.findall(rest)]
    if not counts or re.search(r"\b(?:and|plus|with)\s+(?:a|an|one)\s+[a-z]", rest, re.I) or any(k not in prices for _, k in counts) or len(numbers(task)) != len(prices) + len(counts):
        return None
    return " + ".join(f"{n} * {prices[k]}" for n, k in counts)


PER_SPAN = {("day", "week"): 7, ("day", "year"): 365, ("week", "year"): 52, ("month", "year"): 12}  # how many of one in the other
RATE = re.compile(rf"\$?({NUM})\s*([a-z]*)\s+(?:a|per|each|every)\s+(day|week|month|year)\b", re.IGNORECASE)
SPAN = re.compile(rf"\b(?:in|for|after|over)\s+({NUM})\s+(days?|weeks?|months?|years?)\b", re.IGNORECASE)


def over_time(task: str) -> str | None:
    """A rate per day, week, month or year over a span of another ("4 km every day ... in 3 weeks": 4 * 3 * 7;
    "$175 every month ... after 2 years": 175 * 2 * 12)."""
    rate, span = RATE.search(task), SPAN.search(task)
    if not rate or not span or len(numbers(task)) != 2 or "%" in task or re.search(r"\bhow (?:long|many (?:days|weeks|months|years))\b", task, re.I):
        return None
    per, over = rate.group(3).lower(), span.group(2).lower().rstrip("s")
    if per != over and (per, over) not in PER_SPAN:
        return None  # "a day for 2 months": a month is no fixed count of days
    factor = f" * {PER_SPAN[(per, over)]}" if per != over else ""
    return f"{bare(rate.group(1))} * {bare(span.group(1))}{factor}"


READINGS = (circle, volume, perimeter, times_as, fraction_of, by_kind, over_time)


def figure(task: str) -> str | None:
    """The first reading here that takes the task, or None."""
    return next((e for read in READINGS if (e := read(task))), None)
