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

    __slots__ = ("last_used", "owner", "parked", "seq_id", "tokens")

    def __init__(self, seq_id: int):
        self.seq_id = seq_id
        self.tokens: list[int] = []
        self.owner: Any = None
        self.last_used = 0
        self.parked = False  # holds a preempted sequence's KV: save it before overwriting


class SlotTable:
    """Assigns free slots to sequences, preferring the slot whose cached tokens share the longest prefix.

    A slot released by a preempted sequence is *parked*: when another sequence needs it, its KV
    is first copied to ``store`` (a ``KVStore``), and a later request that continues it gets the
    KV back in whichever slot is free (``llama_state_seq_get_data``/``set_data``).  All KV-memory
    changes go through ``claim``/``clear``.
    """

    MIN_RESTORE = 16  # restoring fewer shared tokens than this is not worth a state copy

    def __init__(self, C: Any, mem: Any, n_slots: int, store: Any = None):
        self.C, self.mem, self.store = C, mem, store
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
        for s in free:  # longest common prefix; ties: an unparked slot, then the least recently used
            n = common_prefix(s.tokens, context)
            if n > keep or (n == keep and (s.parked, s.last_used) < (best.parked, best.last_used)):
                best, keep = s, n
        if self.store is not None and self.store.entries:
            key, n = self.store.best(context)
            saved = len(self.store.entries[key].tokens) if key is not None else 0
            # restore a continuation of the saved sequence, not a mere shared system prompt
            if key is not None and n >= keep + self.MIN_RESTORE and n >= saved - 1:
                target = min(free, key=lambda s: (s.parked, s.last_used))
                self._evict(target, 0)
                tokens = self.store.restore(key, target.seq_id)
                target.tokens = list(tokens) if tokens is not None else []
                best, keep = target, common_prefix(target.tokens, context)
        keep = max(min(keep, len(context) - 1), 0)
        self._evict(best, keep)
        if not self.C.llama_memory_seq_rm(self.mem, best.seq_id, keep, -1):
            self.C.llama_memory_seq_rm(self.mem, best.seq_id, -1, -1)
            keep = 0
        del best.tokens[keep:]
        best.owner = owner
        self._clock += 1
        best.last_used = self._clock
        return best, keep

    def _evict(self, slot: Slot, keep: int) -> None:
        """Before ``slot`` loses KV beyond ``keep`` tokens, save it if a preempted sequence owns it."""
        if slot.parked and self.store is not None and len(slot.tokens) > keep + self.MIN_RESTORE:
            self.store.save(slot.seq_id, slot.tokens)
        slot.parked = False

    def release(self, slot: Slot, *, parked: bool = False) -> None:
        """Free the slot; its KV (and ``tokens``) stay for a later request with the same prefix."""
        slot.owner = None
        slot.parked = parked

    def clear(self, slot: Slot) -> None:
        """Forget the slot's KV (after a failed decode left it in an unknown state)."""
        self.C.llama_memory_seq_rm(self.mem, slot.seq_id, -1, -1)
        slot.tokens.clear()
        slot.parked = False
