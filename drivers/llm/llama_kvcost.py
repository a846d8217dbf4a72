"""What keeping a paused sequence's KV costs against computing it again: rates learned online, decisions by cost."""
from __future__ import annotations

from typing import Any

ALPHA = 0.2  # weight of a new measurement in the moving averages


class KVCost:
    """Moving averages of prefill speed (tokens/s) and of KV copy bandwidth to and from host memory
    and disk (bytes/s), measured by the decode thread as it works.  ``worth`` says whether parking a
    sequence's KV (a copy out now, a copy back later) costs less than prefilling its tokens again,
    InferCept's choice between swapping and discarding.  Only the decode thread calls it.
    """

    def __init__(self, prefill_tok_s: float = 500.0, mem_bps: float = 2e9, disk_bps: float = 3e8):
        self.prefill_tok_s, self.mem_bps, self.disk_bps = prefill_tok_s, mem_bps, disk_bps
        self.parked = self.discarded = 0  # decisions taken, for stats

    @staticmethod
    def _avg(old: float, new: float) -> float:
        return old + ALPHA * (new - old)

    def note_prefill(self, tokens: int, seconds: float) -> None:
        if tokens >= 16 and seconds > 0:  # a few tokens time the step overhead, not the prefill speed
            self.prefill_tok_s = self._avg(self.prefill_tok_s, tokens / seconds)

    def note_copy(self, nbytes: int, seconds: float, *, disk: bool) -> None:
        if nbytes >= 1 << 16 and seconds > 0:
            if disk:
                self.disk_bps = self._avg(self.disk_bps, nbytes / seconds)
            else:
                self.mem_bps = self._avg(self.mem_bps, nbytes / seconds)

    def recompute_s(self, tokens: int) -> float:
        return tokens / self.prefill_tok_s

    def restore_s(self, nbytes: int, *, disk: bool) -> float:
        """A copy out and a copy back in."""
        return 2 * nbytes / (self.disk_bps if disk else self.mem_bps)

    def worth(self, tokens: int, nbytes: int, *, disk: bool) -> bool:
        """Whether to park ``nbytes`` of KV holding ``tokens`` (to memory, or to disk) rather than drop it."""
        ok = self.restore_s(nbytes, disk=disk) < self.recompute_s(tokens)
        if ok:
            self.parked += 1
        else:
            self.discarded += 1
        return ok

    def stats(self) -> dict[str, Any]:
        return {"prefill_tok_s": round(self.prefill_tok_s, 1), "mem_mb_s": round(self.mem_bps / 2**20, 1),
                "disk_mb_s": round(self.disk_bps / 2**20, 1), "parked": self.parked, "discarded": self.discarded}
