"""The ``mem`` family: store, recall, forget and pin memories."""
from __future__ import annotations

from typing import Annotated

import msgspec

from .base import Name, Reply, Request, Text

K = Annotated[int, msgspec.Meta(ge=1, le=50)]


class Store(Request, tag="mem.store"):
    text: Text
    kind: Name = "fact"  # fact | preference | note | ...
    collection: Name | None = None  # None: the process's own


class Recall(Request, tag="mem.recall"):
    query: Text
    k: K = 5
    collection: Name | None = None


class Forget(Request, tag="mem.forget"):
    id: Name
    collection: Name | None = None


class Pin(Request, tag="mem.pin"):
    text: Text


class Stored(Reply):
    id: str
    collection: str


class Memory(Reply):
    id: str
    text: str
    kind: str
    collection: str
    score: float


class Recalled(Reply):
    memories: list[Memory]
