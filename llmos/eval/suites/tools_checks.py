"""Checkers for the tools suite's clock items: the answer must name the time as it is when checked.

An item is checked right after it ran, so the time of the check, or up to 15 minutes before it,
is accepted (an item that ran across midnight or the hour is not failed for it)."""
from __future__ import annotations

import datetime as dt
import re
from typing import Any

WINDOW = dt.timedelta(minutes=15)


def _moments() -> list[dt.datetime]:
    now = dt.datetime.now(dt.timezone.utc)
    return [now, now - WINDOW]


def year(answer: str, expect: Any, item: Any) -> bool:
    return any(re.search(rf"\b{t.year}\b", answer) for t in _moments())


def date(answer: str, expect: Any, item: Any) -> bool:
    return any(t.strftime("%Y-%m-%d") in answer for t in _moments())


def month(answer: str, expect: Any, item: Any) -> bool:
    low = answer.casefold()
    return any(t.strftime("%B").casefold() in low or t.strftime("%Y-%m") in answer for t in _moments())


def weekday(answer: str, expect: Any, item: Any) -> bool:
    low = answer.casefold()
    return any(t.strftime("%A").casefold() in low for t in _moments())


def hour(answer: str, expect: Any, item: Any) -> bool:
    """The hour on a 24-hour clock appears as a number (``14``, ``14:05``, ``2 pm`` also counts)."""
    hours = {int(h) for h in re.findall(r"(?<![\d-])(\d{1,2})(?::\d\d)?(?!\d)", answer)}
    if re.search(r"\bpm\b|p\.m\.", answer.casefold()):
        hours |= {h + 12 for h in hours if h < 12}
    return any(t.hour in hours for t in _moments())
