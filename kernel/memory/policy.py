"""Eviction policies: which unpinned pages leave the context first."""
from __future__ import annotations

import math
from typing import Any, Protocol, Sequence

from kernel.memory.page import Page

#: kind bias of the scored policy: how much a kind is worth keeping, before age, use and importance.
KIND_WEIGHT = {"scratch": -10.0, "recall": 0.1, "observation": 0.2, "stub": 0.4, "message": 0.5}


class Policy(Protocol):
    """Order the evictable pages, first to go first.  Pinned pages and the system
    prompt are never passed in; scratch pages (chain-of-thought) always come first."""

    name: str

    def order(self, pages: Sequence[Page], step: int) -> list[Page]: ...

    def params(self) -> dict[str, Any]: ...


class OldestFirst:
    """The default: scratch pages oldest first, then every other page oldest first (FIFO)."""

    name = "oldest"

    def order(self, pages: Sequence[Page], step: int) -> list[Page]:
        scratch = [p for p in pages if p.kind == "scratch"]
        rest = [p for p in pages if p.kind != "scratch"]
        return scratch + rest  # pages arrive in context order, which is age order

    def params(self) -> dict[str, Any]:
        return {}


class Scored:
    """Keep what is recent, used and important: evict the lowest
    ``w_recency * 0.5**(age/half_life) + w_use * log1p(uses) + w_importance * importance + kind bias``
    first (scratch pages always first).  Age is measured in context steps."""

    name = "scored"

    def __init__(self, half_life: float = 8.0, w_recency: float = 1.0, w_use: float = 0.5,
                 w_importance: float = 1.5):
        self.half_life = half_life
        self.w_recency = w_recency
        self.w_use = w_use
        self.w_importance = w_importance

    def keep_score(self, page: Page, step: int) -> float:
        age = max(0, step - page.step)
        return float(self.w_recency * 0.5 ** (age / self.half_life) + self.w_use * math.log1p(page.uses)
                     + self.w_importance * page.importance + KIND_WEIGHT.get(page.kind, 0.0))

    def order(self, pages: Sequence[Page], step: int) -> list[Page]:
        scratch = [p for p in pages if p.kind == "scratch"]
        rest = [p for p in pages if p.kind != "scratch"]
        # stable sort: equal scores go oldest first
        return scratch + sorted(rest, key=lambda p: self.keep_score(p, step))

    def params(self) -> dict[str, Any]:
        return {"half_life": self.half_life, "w_recency": self.w_recency, "w_use": self.w_use,
                "w_importance": self.w_importance}


POLICIES: dict[str, type[Policy]] = {"oldest": OldestFirst, "scored": Scored}


def make_policy(name: str = "oldest", **params: Any) -> Policy:
    try:
        return POLICIES[name](**params)
    except KeyError:
        raise ValueError(f"unknown eviction policy {name!r}; known: {sorted(POLICIES)}") from None
