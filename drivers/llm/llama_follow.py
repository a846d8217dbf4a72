"""What each owner's kept KV held when its last sequence ended, to count the re-prefills of its later ones."""
from __future__ import annotations

from collections import OrderedDict

from .base import EngineStats
from .llama_slots import common_prefix

MAX_OWNERS = 4096


class OwnerHistory:
    """Owner -> the tokens its KV held when its last kept sequence (``keep_kv``) ended.  A later
    sequence of that owner that has to compute any of those tokens again is a re-prefill, and is
    counted; one that finds all of them resumes.  Only the decode thread uses it."""

    def __init__(self) -> None:
        self._held: OrderedDict[str, list[int]] = OrderedDict()

    def kept(self, key: str, tokens: list[int]) -> None:
        self._held[key] = list(tokens)
        self._held.move_to_end(key)
        while len(self._held) > MAX_OWNERS:
            self._held.popitem(last=False)

    def forget(self, key: str) -> None:
        self._held.pop(key, None)

    def count(self, stats: EngineStats, key: str, context: list[int], keep: int) -> None:
        """A new sequence of ``key`` starts with ``keep`` tokens of ``context`` already in its slot."""
        held = self._held.get(key) if key else None
        if held is None:
            return
        reused = min(common_prefix(held, context), len(context) - 1)
        if keep >= reused:
            stats.follow_resumes += 1
        else:
            stats.reprefills += 1
            stats.reprefill_tokens += reused - keep
