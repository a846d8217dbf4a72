"""Checker for the browser suite: the demo site confirmed a booking of the expected flight, route, date (and cabin).

The answer is the travel app's result (JSON: booked, url, title, page, trip, actions ...).  What is
checked is the site's own word: the page the app ended on is the site's confirmation page, and the
booking its address carries (the form fields the site passed from search to confirmation) is the
expected flight on the expected route and date, in the expected cabin when the item names one.
Places compare without case, as the site reads them (``flights.js`` upper-cases them).
"""
from __future__ import annotations

import json
import urllib.parse
from typing import Any


def booking(answer: str) -> dict[str, str] | None:
    """The booking the site confirmed, read from the result's final page; None when it confirmed none."""
    try:
        result = json.loads(answer)
    except ValueError:
        return None
    if not isinstance(result, dict):
        return None
    url = urllib.parse.urlsplit(str(result.get("url", "")))
    if not url.path.endswith("/confirmation.html") or "confirmed" not in str(result.get("title", "")).lower():
        return None
    return {k: v[-1] for k, v in urllib.parse.parse_qs(url.query).items()}


def booked(answer: str, expect: Any, item: Any) -> bool:
    got = booking(answer)
    if got is None:
        return False
    same = (got.get("flight") == expect["flight"] and got.get("date") == expect["date"]
            and got.get("from", "").strip().casefold() == expect["from"].casefold()
            and got.get("to", "").strip().casefold() == expect["to"].casefold())
    return same and ("cabin" not in expect or got.get("cabin") == expect["cabin"])
