"""The expressions an arithmetic task writes itself: operator words turned into signs, then every span that
the calculator can evaluate, so the first calculator call copies the task's own sum instead of retyping it."""
from __future__ import annotations

import re
from functools import partial
from typing import Any

from drivers.tools.calc import CalcError, evaluate

NUM = r"\d[\d,]*(?:\.\d+)?"
ORDINALS = {"second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7, "eighth": 8, "ninth": 9,
            "tenth": 10, r"\d+(?:st|nd|rd|th)": 0}  # "to the third power", "to the 5th power"
NOT_SUMS = re.compile(r"\d{4}-\d{1,2}-\d{1,2}|\d{1,2}:\d\d")  # dates and times
OFF = "OFF"  # WORDS' marker for an amount less a share of itself (_left)
# operator words and phrasings, in the order they are rewritten (longer phrases first)
WORDS: list[tuple[str, Any]] = [
    (rf"\b(?:the\s+)?square root of\s+({NUM})", r"sqrt(\1)"),
    (rf"\b(?:the\s+)?square of\s+({NUM})", r"\1 ^ 2"), (rf"\b(?:the\s+)?cube of\s+({NUM})", r"\1 ^ 3"),
    (rf"\b(?:subtract|deduct)\s+({NUM})\s+from\s+({NUM})", r"\2 - \1"),
    (rf"\btake\s+(?:away\s+)?({NUM})\s+(?:away\s+)?from\s+({NUM})", r"\2 - \1"),
    (rf"\bto the\s+({'|'.join(ORDINALS)})\s+power\b", lambda m: "^ " + str(power(m.group(1)))),
    (rf"\b(?:multiply\s+({NUM})\s+(?:by|and|with)|(?:the\s+)?product of\s+({NUM})\s+and)\s+({NUM})", r"\1\2 * \3"),
    (rf"\b(?:divide\s+({NUM})\s+by|(?:the\s+)?quotient of\s+({NUM})\s+(?:and|by))\s+({NUM})", r"\1\2 / \3"),
    (rf"\b(?:the\s+)?difference (?:between|of)\s+({NUM})\s+and\s+({NUM})", r"\1 - \2"),
    (r"\braised to the power of\b|\braised to\b", "^"),
    # a conversion the task gives the factor of: "convert 5 miles to km, use 1 mile = 1.609 km"
    (rf"\b({NUM})\s+([a-z]+?)(?:e?s)?\s+(?:to|into|in)\s+[a-z]+\b[^=]{{0,30}}?\b1\s+\2(?:e?s)?\s*(?:=|is|equals)\s*({NUM})[^.?!,]*",
     r"\1 * \3"),
    # temperatures, by their formula: "68 degrees fahrenheit to celsius"
    (rf"({NUM})\s*(?:°\s*|degrees?\s+)?f(?:ahrenheit)?\s+(?:to|in|into)\s+(?:degrees\s+)?c(?:elsius|entigrade)?\b", r"(\1 - 32) * 5 / 9"),
    (rf"({NUM})\s*(?:°\s*|degrees?\s+)?c(?:elsius|entigrade)?\s+(?:to|in|into)\s+(?:degrees\s+)?f(?:ahrenheit)?\b", r"\1 * 9 / 5 + 32"),
    # a second step on the first's result: "1250 divided by 25, then add 18 to that"
    (rf",?\s*(?:and\s+)?then\s+add\s+({NUM})(?:\s+to\s+(?:that|it|the result))?", r" + \1"),
    (rf",?\s*(?:and\s+)?then\s+(?:subtract|take away)\s+({NUM})(?:\s+from\s+(?:that|it|the result))?", r" - \1"),
    (rf",?\s*(?:and\s+)?then\s+multiply\s+(?:that|it|the result)\s+by\s+({NUM})", r" * \1"),
    (rf",?\s*(?:and\s+)?then\s+divide\s+(?:that|it|the result)\s+by\s+({NUM})", r" / \1"),
    (rf"\b(?:the\s+)?(?:average|mean) of\s+({NUM})((?:\s*,\s*{NUM})*)\s*,?\s+and\s+({NUM})", "AVG"),
    (rf"\b(?:add(?:\s+up)?|sum of|total of|sum)\s+({NUM})((?:\s*(?:,|\band\b)\s*{NUM})*)\s*,?\s+and\s+({NUM})", "SUM"),
    (rf"({NUM})\s*(?:percent|%)\s+of\s+({NUM})", r"\1 / 100 * \2"),
    # a share of an amount: "a 15% tip on a $64 bill", "8% tax on $250", "3/8 of 640"
    (rf"({NUM})\s*(?:percent|%)\s+(?:tip|tax|vat|service charge|discount|commission|deposit)\s+(?:on|of|for)\s+"
     rf"(?:(?:a|an|the|my|our)\s+)?\$?({NUM})", r"\1 / 100 * \2"),
    (rf"(?<![\d.])({NUM})\s*/\s*({NUM})\s+of\s+(?:(?:a|an|the)\s+)?\$?({NUM})", r"\1 / \2 * \3"),
    # what is left of an amount after a share of it: "$120 and it's 25% off ... the sale price", "1200 and take away 35% of it"
    (rf"\$?({NUM})\b(?=[^.?!]{{0,60}}?\b({NUM})\s*(?:percent|%)\s+(?:off\b(?=.*\b(?:sale|final|new|discounted|reduced)\s+price"
     rf"|.*\bhow much (?:will|do|would|did) (?:i|you|we) pay)|of it\b(?=.*\b(?:left|remain)))).*", OFF),
    (r"\bmultiplied by\b", "*"), (r"\bdivided by\b", "/"), (r"\btimes\b", "*"),
    (r"\bplus\b", "+"), (r"\bminus\b", "-"), (r"\bsquared\b", "^ 2"), (r"\bcubed\b", "^ 3"),
    (r"\bto the power of\b", "^"), (r"[×x](?=\s*\d)", "*"), (r"÷", "/"),
]
SPAN = re.compile(r"(?:sqrt\()?[\d(][\d\s.,+\-*/^()sqrt]*[\d)]")


def _listed_all(span: str) -> str:
    nums = [n.replace(",", "") for n in re.findall(r"\d+(?:,\d{3})*(?:\.\d+)?", span)]
    return f"({' + '.join(nums)}) / {len(nums)}"


def _left(m: re.Match[str]) -> str:
    """An amount less a percentage of itself, written where the sentence starts: "120 - 120 * 25 / 100"."""
    amount, share = (g.replace(",", "") for g in (m.group(1), m.group(2)))
    return f"{amount} - {amount} * {share} / 100 ."


def power(word: str) -> int:
    """The exponent an ordinal names: "third" is 3, "12th" is 12."""
    return ORDINALS.get(word.lower()) or int(re.sub(r"\D", "", word))


def _listed(m: re.Match[str], op: str) -> str:
    nums = [m.group(1), *re.findall(NUM, m.group(2) or ""), m.group(3)]
    joined = " + ".join(n.replace(",", "") for n in nums)
    return f"({joined}) / {len(nums)}" if op == "AVG" else joined


ASKS_MEAN = re.compile(r"\b(?:average|mean)\b", re.IGNORECASE)
LISTED = re.compile(rf"({NUM})((?:\s*,\s*{NUM})+\s*,?\s+and\s+{NUM}|(?:\s*,\s*{NUM})*\s*,?\s+and\s+{NUM})")


def rewrite(task: str) -> str:
    """The task with its operator words as signs (``1000 minus 357`` -> ``1000 - 357``); a task that asks for
    an average of numbers it lists anywhere ("my scores were 82, 91, 77 and 90 - what's my average") has the
    list as their mean."""
    text = task
    if ASKS_MEAN.search(text) and not re.search(r"\b(?:average|mean) of\s+\d", text, re.IGNORECASE):
        text = LISTED.sub(lambda m: _listed_all(m.group(0)), text, count=1)
    for pattern, repl in WORDS:
        if repl in ("SUM", "AVG"):
            text = re.sub(pattern, partial(_listed, op=repl), text, flags=re.IGNORECASE)
        elif repl == OFF:
            text = re.sub(pattern, _left, text, count=1, flags=re.IGNORECASE | re.DOTALL)
        else:
            text = re.sub(pattern, repl, text, flags=re.IGNORECASE)
    return text


def expressions(task: str, limit: int = 4) -> list[str]:
    """The task's own arithmetic, longest first: spans with at least one operator that evaluate."""
    found: dict[str, None] = {}
    task = NOT_SUMS.sub(" ", task)
    for m in SPAN.finditer(rewrite(task)):
        span = " ".join(m.group(0).split()).strip(" ,")
        while span.count("(") > span.count(")") and span.startswith("("):
            span = span[1:].strip()
        if not re.search(r"[-+*/^]|sqrt", span):
            continue
        try:
            evaluate(span)
        except (CalcError, ArithmeticError, ValueError, TypeError):
            continue
        found.setdefault(span, None)
    return sorted(found, key=len, reverse=True)[:limit]
