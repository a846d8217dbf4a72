"""Saved KV state of preempted sequences: host memory first, spilled to disk when memory is short."""
from __future__ import annotations

import ctypes
import os
import time
import uuid
from collections import OrderedDict
from pathlib import Path
from typing import Any

from .llama_kvcost import KVCost
from .llama_slots import common_prefix


class SavedSeq:
    __slots__ = ("data", "expect", "key", "path", "size", "tokens")

    def __init__(self, tokens: list[int], data: Any, size: int, key: str = "", expect: float = 0.0):
        self.tokens, self.data, self.size = tokens, data, size
        self.key, self.expect = key, expect  # whose KV it is, and when that owner is expected back
        self.path: Path | None = None  # set once the state lives on disk instead of in ``data``


class KVStore:
    """Saved sequence states (``llama_state_seq_get_data``) in LRU order.

    At most ``budget`` bytes stay in host memory; older entries are written to files under
    ``disk_dir`` (up to ``disk_budget`` bytes) and read back on restore.  An entry that fits
    neither is dropped: the sequence it belonged to is then re-prefilled from its tokens, which
    the engine counts.  Only the decode thread calls the mutating methods.

    Entries may name their owner (``key``) and when it is expected back (``expect``, a monotonic
    time): memory is made room for by spilling the entry needed last first, and with a ``cost``
    model an entry goes to memory or disk only when copying it back beats prefilling its tokens.
    """

    def __init__(self, C: Any, ctx: Any, mem: Any, budget: int, *, disk_dir: str | os.PathLike[str] | None = None,
                 disk_budget: int = 4 << 30, cost: KVCost | None = None):
        self.C, self.ctx, self.mem, self.budget = C, ctx, mem, budget
        self.cost = cost
        self.peak_bytes = self.peak_disk_bytes = 0  # the most ever held, to check the bounds
        self.disk_budget = disk_budget
        self.entries: OrderedDict[int, SavedSeq] = OrderedDict()
        self.bytes = 0  # in memory
        self.disk_bytes = 0
        self.saves = self.restores = self.spills = self.disk_restores = self.dropped = self.lost = 0
        self._next = 0
        self._tag = uuid.uuid4().hex[:8]
        self.disk_dir: Path | None = None
        self.set_disk_dir(disk_dir)

    def set_disk_dir(self, path: str | os.PathLike[str] | None) -> None:
        """Where spilled states go (created on first spill); None keeps states in memory only."""
        self.disk_dir = Path(path) if path else None

    def save(self, seq_id: int, tokens: list[int], key: str = "", expect: float = 0.0) -> bool:
        """Copy ``seq_id``'s KV (which holds exactly ``tokens``) out of the context."""
        if not tokens or (self.budget <= 0 and self.disk_dir is None):
            return False
        size = self.C.llama_state_seq_get_size(self.ctx, seq_id)
        if not size or size > max(self.budget, self.disk_budget if self.disk_dir else 0):
            return False
        if self.cost is not None and not self.cost.worth(len(tokens), size, disk=size > self.budget):
            return False  # prefilling the tokens again is cheaper than a copy out and back
        t0 = time.perf_counter()
        buf = (ctypes.c_uint8 * size)()
        n = self.C.llama_state_seq_get_data(self.ctx, buf, size, seq_id)
        if not n:
            return False
        if self.cost is not None:
            self.cost.note_copy(n, time.perf_counter() - t0, disk=False)
        for old_key, old in list(self.entries.items()):  # a longer copy of the same history replaces it
            if len(old.tokens) <= len(tokens) and tokens[:len(old.tokens)] == old.tokens:
                self._drop(old_key)
            elif key and old.key == key:  # one entry per owner: its newest history
                self._drop(old_key)
        self._next += 1
        self.entries[self._next] = SavedSeq(list(tokens), buf, n, key, expect)
        self.bytes += n
        self.saves += 1
        self._fit()  # the bound holds between saves; one state is in transit while it is copied out
        self.peak_bytes = max(self.peak_bytes, self.bytes)
        return True

    def hint(self, key: str, expect: float) -> None:
        """The owner ``key`` is expected back at ``expect`` (monotonic seconds)."""
        for e in self.entries.values():
            if e.key == key:
                e.expect = expect

    def forget(self, key: str) -> None:
        """Drop the entries of an owner that has gone."""
        for k in [k for k, e in self.entries.items() if e.key == key]:
            self._drop(k)

    def _fit(self) -> None:
        """Spill in-memory entries to disk (or drop them) until memory is within budget: the entry
        whose owner is expected back last first, then the oldest."""
        order = sorted(self.entries.items(), key=lambda kv: -kv[1].expect)  # stable: oldest first among ties
        for key, e in order:
            if self.bytes <= self.budget:
                break
            if e.data is None:
                continue
            worth = self.cost is None or self.cost.worth(len(e.tokens), e.size, disk=True)
            if not worth or not self._spill(key, e):
                self._drop(key)
                self.dropped += 1

    def _spill(self, key: int, e: SavedSeq) -> bool:
        if self.disk_dir is None:
            return False
        while self.disk_bytes + e.size > self.disk_budget:  # the oldest file makes room
            old = next((k for k, x in self.entries.items() if x.path is not None), None)
            if old is None:
                return False
            self._drop(old)
            self.dropped += 1
        try:
            t0 = time.perf_counter()
            self.disk_dir.mkdir(parents=True, exist_ok=True)
            path = self.disk_dir / f"kv-{self._tag}-{key}.bin"
            with open(path, "wb") as f:
                f.write(memoryview(e.data)[:e.size])
        except OSError:
            return False
        if self.cost is not None:
            self.cost.note_copy(e.size, time.perf_counter() - t0, disk=True)
        e.path, e.data = path, None
        self.bytes -= e.size
        self.disk_bytes += e.size
        self.peak_disk_bytes = max(self.peak_disk_bytes, self.disk_bytes)
        self.spills += 1
        return True

    def best(self, context: list[int], owner: str = "") -> tuple[int | None, int]:
        """The saved entry sharing the longest prefix with ``context``, and that length; ``owner``'s
        own entry first, when it shares any of it."""
        best, n_best = None, 0
        for key, e in self.entries.items():
            n = common_prefix(e.tokens, context)
            if owner and e.key == owner and n:
                return key, n
            if n > n_best:
                best, n_best = key, n
        return best, n_best

    def restore(self, key: int, seq_id: int) -> list[int] | None:
        """Load entry ``key`` into ``seq_id`` (emptied first); returns the tokens it now holds,
        or None when the state is lost (a file gone or unreadable) and ``seq_id`` is empty."""
        e = self.entries.get(key)
        if e is None:
            return None
        data, path = e.data, e.path
        from_disk = path is not None
        if path is not None:
            try:
                raw = path.read_bytes()
                data = (ctypes.c_uint8 * len(raw)).from_buffer_copy(raw) if len(raw) == e.size else None
            except OSError:
                data = None
        self._drop(key)
        self.C.llama_memory_seq_rm(self.mem, seq_id, -1, -1)
        if data is None or not self.C.llama_state_seq_set_data(self.ctx, data, e.size, seq_id):
            self.C.llama_memory_seq_rm(self.mem, seq_id, -1, -1)
            self.lost += 1
            return None
        self.restores += 1
        self.disk_restores += from_disk
        return e.tokens

    def owner(self, key: int) -> str:
        e = self.entries.get(key)
        return e.key if e is not None else ""

    def _drop(self, key: int) -> None:
        e = self.entries.pop(key)
        if e.path is not None:
            self.disk_bytes -= e.size
            try:
                e.path.unlink()
            except OSError:
                pass
        else:
            self.bytes -= e.size

    def close(self) -> None:
        """Forget every entry and remove the spill files."""
        for key in list(self.entries):
            self._drop(key)

    def stats(self) -> dict[str, Any]:
        return {"saves": self.saves, "restores": self.restores, "bytes": self.bytes, "entries": len(self.entries),
                "spills": self.spills, "disk_restores": self.disk_restores, "disk_bytes": self.disk_bytes,
                "dropped": self.dropped, "lost": self.lost, "peak_bytes": self.peak_bytes,
                "peak_disk_bytes": self.peak_disk_bytes, "budget": self.budget, "disk_budget": self.disk_budget}
