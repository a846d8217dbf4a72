"""Sequence slots of one llama.cpp context: who holds each, which tokens its KV holds, prefix reuse and copies."""
from __future__ import annotations

import time
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

    __slots__ = ("expect", "key", "last_used", "owner", "parked", "seq_id", "tokens")

    def __init__(self, seq_id: int):
        self.seq_id = seq_id
        self.tokens: list[int] = []
        self.owner: Any = None
        self.last_used = 0
        self.parked = False  # holds a paused sequence's KV: save it before overwriting
        self.key = ""  # whose paused KV it holds (a process, for KV that follows it across its syscalls)
        self.expect = 0.0  # when that owner is expected back (monotonic seconds)


class SlotTable:
    """Assigns free slots to sequences, preferring the slot whose cached tokens share the longest prefix.

    The slots' KV is also the prefix cache, looked up by token prefix: a new sequence takes the free
    slot that already holds the longest prefix of its context, or, when a busy slot holds a longer
    one (an app's system prompt that another process is using), gets that prefix copied with
    ``llama_memory_seq_cp`` instead of computing it again.  Copies are queued by ``claim`` and
    issued by ``flush_copies`` right before the next decode, which performs them (llama.cpp copies
    between per-sequence KV streams when it next updates the cache), so nothing can touch the
    source or the target in between.

    A slot released by a preempted sequence is *parked*: when another sequence needs it, its KV
    is first copied to ``store`` (a ``KVStore``), and a later request that continues it gets the
    KV back in whichever slot is free (``llama_state_seq_get_data``/``set_data``).  All KV-memory
    changes go through ``claim``/``clear``.
    """

    MIN_RESTORE = 16  # restoring fewer shared tokens than this is not worth a state copy
    MIN_COPY = 32  # copying a shared prefix shorter than this is not worth a KV stream copy

    def __init__(self, C: Any, mem: Any, n_slots: int, store: Any = None, *, share_prefixes: bool = True):
        self.C, self.mem, self.store = C, mem, store
        self.slots = [Slot(i) for i in range(n_slots)]
        self.share_prefixes = share_prefixes
        self.copies: list[tuple[int, int, int]] = []  # (source seq, target seq, tokens) for the next decode
        self.prefix_copies = self.prefix_tokens = 0
        self._clock = 0

    def free(self) -> list[Slot]:
        """Slots no sequence runs in (a slot a queued prefix copy reads from is not free until it is done)."""
        sources = {src for src, _, _ in self.copies}
        return [s for s in self.slots if s.owner is None and s.seq_id not in sources]

    def _pool(self, free: list[Slot], key: str) -> list[Slot]:
        """The free slots a sequence of ``key`` may take without displacing another owner's paused KV;
        when there are none, the one paused slot whose owner is expected back last (KVFlow's
        steps-to-next-use), ties to the least recently used."""
        open_ = [s for s in free if not s.parked or (key and s.key == key)]
        return open_ or [max(free, key=lambda s: (s.expect, -s.last_used))]

    def busy(self) -> int:
        return sum(1 for s in self.slots if s.owner is not None)

    def claim(self, owner: Any, context: list[int], key: str = "") -> tuple[Slot, int]:
        """Give ``owner`` a free slot for ``context``; returns the slot and how many tokens of KV it keeps.

        ``key`` names who asks: a slot holding that owner's own paused KV may be taken, another
        owner's only when no other slot is free.  At least one token is always left to evaluate, so
        the caller gets logits for it.
        """
        free = self.free()
        if not free:
            raise RuntimeError("no free slot")
        pool = self._pool(free, key)
        best, keep = pool[0], -1
        for s in pool:  # longest common prefix; ties: an unparked slot, then the least recently used
            n = common_prefix(s.tokens, context)
            if n > keep or (n == keep and (s.parked, s.last_used) < (best.parked, best.last_used)):
                best, keep = s, n
        if self.store is not None and self.store.entries:
            entry, n = self.store.best(context, key)
            saved = len(self.store.entries[entry].tokens) if entry is not None else 0
            mine = bool(key) and self.store.owner(entry) == key
            # restore a continuation of the saved sequence (or the asker's own), not a mere shared prefix
            if entry is not None and n >= keep + self.MIN_RESTORE and (n >= saved - 1 or mine):
                target = min(pool, key=lambda s: (s.parked, s.last_used))
                self._evict(target, 0)
                tokens = self.store.restore(entry, target.seq_id)
                target.tokens = list(tokens) if tokens is not None else []
                best, keep = target, common_prefix(target.tokens, context)
        keep = max(min(keep, len(context) - 1), 0)
        src, n = self._copy_source(best, context)
        if src is not None and n >= keep + self.MIN_COPY:
            self._evict(best, 0)
            best.tokens = src.tokens[:n]
            self.copies.append((src.seq_id, best.seq_id, n))
            self.prefix_copies += 1
            self.prefix_tokens += n
            keep = n
        else:
            self._evict(best, keep)
            if not self.C.llama_memory_seq_rm(self.mem, best.seq_id, keep, -1):
                self.C.llama_memory_seq_rm(self.mem, best.seq_id, -1, -1)
                keep = 0
            del best.tokens[keep:]
        best.owner = owner
        self._clock += 1
        best.last_used = self._clock
        return best, keep

    def pending(self) -> set[int]:
        """Slots waiting for a queued prefix copy."""
        return {dst for _, dst, _ in self.copies}

    def cached_prefix(self, context: list[int]) -> int:
        """The longest prefix of ``context`` some slot's KV holds now (free or busy)."""
        pending = self.pending()
        return max((common_prefix(s.tokens, context) for s in self.slots if s.seq_id not in pending), default=0)

    def prefix_in_flight(self, context: list[int], prefilling: list[tuple[Slot, list[int]]]) -> bool:
        """Whether a sequence still prefilling (its slot, its whole context) is computing a long prefix of
        ``context`` that no slot holds yet: requests that arrive together with one app's system prompt.
        Waiting a step for it lets ``claim`` copy that prefix instead of computing it again."""
        if not self.share_prefixes:
            return False
        need, pending, have = self.MIN_COPY, self.pending(), None
        for slot, other in prefilling:
            if slot.seq_id in pending:
                continue
            shared = common_prefix(other, context)
            if shared >= need and shared > len(slot.tokens) + need:
                have = self.cached_prefix(context) if have is None else have
                if shared > have + need:
                    return True
        return False

    def _copy_source(self, target: Slot, context: list[int]) -> tuple[Slot | None, int]:
        """The busy or paused slot holding the longest prefix of ``context`` (not one still waiting for
        its own copy)."""
        if not self.share_prefixes:
            return None, 0
        pending = self.pending()
        best, n_best = None, 0
        for s in self.slots:
            if (s.owner is not None or s.parked) and s is not target and s.seq_id not in pending:
                n = common_prefix(s.tokens, context)
                if n > n_best:
                    best, n_best = s, n
        return best, min(n_best, len(context) - 1)

    def flush_copies(self) -> list[int]:
        """Issue the queued prefix copies; call right before ``llama_decode``.  Returns the targets."""
        done = []
        for src, dst, n in self.copies:
            rm, C = self.C.llama_memory_seq_rm, self.C
            rm(self.mem, dst, -1, -1)
            C.llama_memory_seq_cp(self.mem, src, dst, -1, -1)  # whole stream: llama.cpp copies no ranges
            rm(self.mem, dst, n, -1)  # across streams, so trim it to the shared prefix afterwards
            done.append(dst)
        self.copies.clear()
        return done

    def _evict(self, slot: Slot, keep: int) -> None:
        """Before ``slot`` loses KV beyond ``keep`` tokens, save it if a preempted sequence owns it."""
        if slot.parked and self.store is not None and len(slot.tokens) > keep + self.MIN_RESTORE:
            self.store.save(slot.seq_id, slot.tokens, slot.key, slot.expect)
        slot.parked, slot.key = False, ""

    def release(self, slot: Slot, *, parked: bool = False, key: str = "") -> None:
        """Free the slot; its KV (and ``tokens``) stay for a later request with the same prefix.
        ``parked`` KV belongs to a paused sequence (of owner ``key``): it is saved before it is overwritten."""
        slot.owner = None
        slot.parked = parked
        slot.key = key if parked else ""
        slot.expect = time.monotonic()

    def hint(self, key: str, expect: float) -> None:
        """Owner ``key`` is expected back at ``expect`` (monotonic seconds)."""
        for s in self.slots:
            if s.parked and s.key == key:
                s.expect = expect
        if self.store is not None:
            self.store.hint(key, expect)

    def forget(self, key: str) -> None:
        """Owner ``key`` has gone: its KV is an ordinary prefix cache now, its saved states are dropped."""
        for s in self.slots:
            if s.key == key and s.owner is None:
                s.parked, s.key = False, ""
        if self.store is not None:
            self.store.forget(key)

    def clear(self, slot: Slot) -> None:
        """Forget the slot's KV (after a failed decode left it in an unknown state)."""
        self.C.llama_memory_seq_rm(self.mem, slot.seq_id, -1, -1)
        slot.tokens.clear()
        slot.parked, slot.key = False, ""
