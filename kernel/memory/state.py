"""The journaled form of a context, and the error for a page that cannot fit."""
from __future__ import annotations

from typing import Any

import msgspec

from drivers.vectors import Item
from kernel.memory.page import Page

VERSION = 1


class ContextFull(Exception):
    """A page that may not be evicted (system prompt, pinned) does not fit in the budget."""


class ContextState(msgspec.Struct, kw_only=True):
    """Everything a context is, as journaled by ``to_bytes`` (evicted pages are on disk, or in ``pending``)."""

    version: int = VERSION
    limit: int
    pages: list[Page] = []
    step: int = 0
    policy: str = "oldest"
    policy_params: dict[str, Any] = {}
    page_overhead: int = 0
    collection: str = ""
    evicted_pages: int = 0
    evicted_tokens: int = 0
    faults: int = 0
    pending: list[Item] = []  # paged-out items the store could not take yet (Swap.pending)
