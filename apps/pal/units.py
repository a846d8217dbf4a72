"""Unit facts pal's programs may use: a small table, consulted by the words of the question, so a
conversion factor comes from the table and not from the model's memory.

Each fact is a factor and the words that call for it: ``hours`` and ``minutes`` together admit 60,
``percent`` admits 100.  A fact's words must all appear (as whole words, any form listed), so
"7 weeks" admits 7 only with "days" asked for.  Powers ("squared", "to the power of") also admit
the ``**`` operator."""
from __future__ import annotations

import re

# (factor, groups of words: one word of every group must appear)
FACTS: list[tuple[str, list[tuple[str, ...]]]] = [
    ("60", [("hour", "hours", "hourly"), ("minute", "minutes")]),
    ("60", [("minute", "minutes"), ("second", "seconds")]),
    ("24", [("day", "days", "daily"), ("hour", "hours")]),
    ("7", [("week", "weeks", "weekly"), ("day", "days")]),
    ("12", [("year", "years"), ("month", "months")]),
    ("100", [("percent", "percentage", "%")]),
    ("100", [("meter", "meters", "metre", "metres"), ("centimeter", "centimeters", "centimetre", "centimetres")]),
    ("1000", [("kilometer", "kilometers", "kilometre", "kilometres"), ("meter", "meters", "metre", "metres")]),
    ("1000", [("kilogram", "kilograms", "kilo", "kilos"), ("gram", "grams")]),
    ("1000", [("liter", "liters", "litre", "litres"), ("milliliter", "milliliters", "millilitre", "millilitres")]),
    ("16", [("pound", "pounds"), ("ounce", "ounces")]),
    ("12", [("foot", "feet"), ("inch", "inches")]),
    ("2", [("squared", "square", "double", "doubles", "twice")]),
    ("3", [("cubed", "cube", "triple", "triples")]),
]
POWER_WORDS = ("power", "squared", "square", "cubed", "cube", "doubles", "triples")


def words(question: str) -> set[str]:
    return set(re.findall(r"[a-z]+|%", question.lower()))


def factors(question: str) -> list[str]:
    """The table's factors the question calls for, each once, in table order."""
    w = words(question)
    out: list[str] = []
    for factor, groups in FACTS:
        if all(any(x in w for x in g) for g in groups) and factor not in out:
            out.append(factor)
    return out


def powers(question: str) -> bool:
    """Whether a line may use ``**``: a power is named, or something grows some times every period."""
    return bool(words(question) & set(POWER_WORDS)) or bool(re.search(r"\d+ times (?:every|each|per)\b", question))
