"""Sequence slots of one llama.cpp context: who holds each, which tokens its KV cache holds, prefix reuse."""
from __future__ import annotations

from typing import Any


def common_prefix(a: list[int], b: list[int]) -> int:
    n = min(len(a), len(b))
    if a[:n] == b[:n]:
        return n
    lo, hi = 0, n  # binary search on list-slice equality: C-speed compares, few Python steps
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if a[:mid] == b[:mid]:
            lo = mid
        else:
            hi = mid - 1
    return lo


class Slot:
    """One llama.cpp sequence id.  ``tokens`` mirrors exactly the KV cells the sequence holds."""

    __slots__ = ("seq_id", "tokens", "owner", "last_used")

    def __init__(self, seq_id: int):
        self.seq_id = seq_id
        self.tokens: list[int] = []
        self.owner: Any = None
        self.last_used = 0


class SlotTable:
    """Assigns free slots to sequences, preferring the slot whose cached tokens share the longest prefix.

    All KV-memory changes go through ``claim``/``clear`` so a later KV save/restore on eviction
    or a shared-prefix cache (``llama_memory_seq_cp``) has one place to hook in.
    """

    def __init__(self, C: Any, mem: Any, n_slots: int):
        self.C, self.mem = C, mem
        self.slots = [Slot(i) for i in range(n_slots)]
        self._clock = 0

    def free(self) -> list[Slot]:
        return [s for s in self.slots if s.owner is None]

    def busy(self) -> int:
        return sum(1 for s in self.slots if s.owner is not None)

    def claim(self, owner: Any, context: list[int]) -> tuple[Slot, int]:
        """Give ``owner`` a free slot for ``context``; returns the slot and how many tokens of KV it keeps.

        At least one token is always left to evaluate, so the caller gets logits for it.
        """
        free = self.free()
        if not free:
            raise RuntimeError("no free slot")
        best, keep = free[0], -1
        for s in free:  # longest common prefix wins; ties go to the least recently used slot
            n = common_prefix(s.tokens, context)
            if n > keep or (n == keep and s.last_used < best.last_used):
                best, keep = s, n
        keep = min(keep, len(context) - 1)
        keep = max(keep, 0)
        if not self.C.llama_memory_seq_rm(self.mem, best.seq_id, keep, -1):
            self.C.llama_memory_seq_rm(self.mem, best.seq_id, -1, -1)
            keep = 0
        del best.tokens[keep:]
        best.owner = owner
        self._clock += 1
        best.last_used = self._clock
        return best, keep

    def release(self, slot: Slot) -> None:
        """Free the slot; its KV (and ``tokens``) stay for a later request with the same prefix."""
        slot.owner = None

    def clear(self, slot: Slot) -> None:
        """Forget the slot's KV (after a failed decode left it in an unknown state)."""
        self.C.llama_memory_seq_rm(self.mem, slot.seq_id, -1, -1)
        slot.tokens.clear()
