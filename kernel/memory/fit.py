"""Cut text to a token budget: the longest prefix that still fits, found by binary search."""
from __future__ import annotations

from typing import Callable


def longest_prefix(text: str, fits: Callable[[int], bool]) -> int:
    """The largest ``n`` in ``0..len(text)`` with ``fits(n)`` (``fits`` must be monotone);
    0 if even ``fits(0)`` is false.  About ``log2(len(text))`` token counts."""
    lo, hi = 0, len(text)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if fits(mid):
            lo = mid
        else:
            hi = mid - 1
    return lo
