"""Host-memory copies of preempted sequences' KV state, so a resumed sequence skips its re-prefill."""
from __future__ import annotations

import ctypes
from collections import OrderedDict
from typing import Any

from .llama_slots import common_prefix


class SavedSeq:
    __slots__ = ("data", "size", "tokens")

    def __init__(self, tokens: list[int], data: Any, size: int):
        self.tokens, self.data, self.size = tokens, data, size


class KVStore:
    """An LRU of saved sequence states (``llama_state_seq_get_data``), bounded by ``budget`` bytes."""

    def __init__(self, C: Any, ctx: Any, mem: Any, budget: int):
        self.C, self.ctx, self.mem, self.budget = C, ctx, mem, budget
        self.entries: OrderedDict[int, SavedSeq] = OrderedDict()
        self.bytes = 0
        self.saves = self.restores = 0
        self._next = 0

    def save(self, seq_id: int, tokens: list[int]) -> bool:
        """Copy ``seq_id``'s KV (which holds exactly ``tokens``) out of the context."""
        if not tokens or self.budget <= 0:
            return False
        size = self.C.llama_state_seq_get_size(self.ctx, seq_id)
        if not size or size > self.budget:
            return False
        buf = (ctypes.c_uint8 * size)()
        n = self.C.llama_state_seq_get_data(self.ctx, buf, size, seq_id)
        if not n:
            return False
        for key, old in list(self.entries.items()):  # a longer copy of the same history replaces it
            if len(old.tokens) <= len(tokens) and tokens[:len(old.tokens)] == old.tokens:
                self._drop(key)
        self._next += 1
        self.entries[self._next] = SavedSeq(list(tokens), buf, n)
        self.bytes += n
        self.saves += 1
        while self.bytes > self.budget and self.entries:
            self._drop(next(iter(self.entries)))
        return True

    def best(self, context: list[int]) -> tuple[int | None, int]:
        """The saved entry sharing the longest prefix with ``context``, and that length."""
        best, n_best = None, 0
        for key, e in self.entries.items():
            n = common_prefix(e.tokens, context)
            if n > n_best:
                best, n_best = key, n
        return best, n_best

    def restore(self, key: int, seq_id: int) -> list[int] | None:
        """Load entry ``key`` into ``seq_id`` (emptied first); returns the tokens it now holds."""
        e = self.entries.get(key)
        if e is None:
            return None
        self._drop(key)
        self.C.llama_memory_seq_rm(self.mem, seq_id, -1, -1)
        if not self.C.llama_state_seq_set_data(self.ctx, e.data, e.size, seq_id):
            self.C.llama_memory_seq_rm(self.mem, seq_id, -1, -1)
            return None
        self.restores += 1
        return e.tokens

    def _drop(self, key: int) -> None:
        e = self.entries.pop(key)
        self.bytes -= e.size
