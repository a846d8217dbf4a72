"""Sliding-window rate counters, one window per (app, rule), for `rate = "10/min"`."""

from __future__ import annotations

import re
from collections import deque

_UNITS = {"s": 1.0, "sec": 1.0, "second": 1.0, "m": 60.0, "min": 60.0, "minute": 60.0,
          "h": 3600.0, "hour": 3600.0, "d": 86400.0, "day": 86400.0}
_RATE = re.compile(r"^\s*(\d+)\s*/\s*(\d*)\s*([a-z]+?)s?\s*$")
MAX_KEYS = 100_000


def parse_rate(text: str) -> tuple[int, float]:
    """"10/min" -> (10, 60.0); "5/10s" -> (5, 10.0). Raises ValueError."""
    m = _RATE.match(text.lower()) if isinstance(text, str) else None
    if not m or m.group(3) not in _UNITS:
        raise ValueError(f"rate {text!r} is not like '10/min' (units: s, min, h, day)")
    count = int(m.group(1))
    span = float(m.group(2) or 1) * _UNITS[m.group(3)]
    if count < 0 or span <= 0:
        raise ValueError(f"rate {text!r} must have a positive window")
    return count, span


class RateWindows:
    """Timestamps of admitted calls per key; a call exceeds the rate when `limit` are in window."""

    def __init__(self) -> None:
        self._hits: dict[tuple[str, str], deque[float]] = {}

    def _window(self, key: tuple[str, str], now: float, span: float) -> deque[float]:
        hits = self._hits.get(key)
        if hits is None:
            if len(self._hits) >= MAX_KEYS:
                self._hits.clear()  # bounded memory; losing counts only loosens briefly
            hits = self._hits[key] = deque()
        while hits and hits[0] <= now - span:
            hits.popleft()
        return hits

    def exceeded(self, key: tuple[str, str], now: float, limit: int, span: float,
                 extra: int = 0) -> bool:
        return len(self._window(key, now, span)) + extra >= limit

    def record(self, key: tuple[str, str], now: float) -> None:
        self._hits.setdefault(key, deque()).append(now)
